// Latent-space inversion against pixel-space Tikhonov and TV on the same noisy data, for the VAE
// and WGAN-GP examples (issue 21 item 4, docs/generative-priors.md). Held-out channel models
// (facies 1 = sand, 0 = shale) become velocities; two physics ops see them:
//   - cross-hole straight-ray tomography on the n x n cells (h m), a sensor every h round(32 / h) m
//     (40 m at 20 m cells) in each borehole, travel times in ms with Gaussian noise of `tomoNoise` ms;
//   - acoustic FWI (acoustic2d) on the model (averaged to n/2 x n/2 when n > 32): a surface survey
//     (sources on row 1, a receiver on every column; tl.jiSurvey), noise `fwiNoise` x the data RMS.
// Latent: tl.latentInversion with restarts through G(z) (sand probability p, velocity
// vShale + p (vSand - vShale)). Tikhonov: first-derivative smoothness; TV: smoothed total
// variation. Tomography's pixel-space runs use tl.invert (Gauss-Newton, beta cooling to chi = 1);
// FWI's run L-BFGS on misfit + alpha R(m) with alpha fixed (no chi target without a data
// covariance that the waveforms' correlated noise lacks). Scores: velocity relative L2, facies
// accuracy after thresholding at the mid velocity, data chi. Imports only the package root.
import * as tl from '../../src/index.js';

export interface CompareOptions {
  /** Cell size (m) of the n x n models. Default 640 / n (a 640 m square). */
  h?: number;
  /** Facies velocities (km/s). Default 2.0 and 2.5 (tl.faciesVelocity's). */
  vShale?: number;
  vSand?: number;
  tomoNoise?: number;
  fwiNoise?: number;
  /** Latent inversion: restarts, Adam iterations, lambda. Defaults 4, 150, 1. */
  restarts?: number;
  iterations?: number;
  lambda?: number;
  /** Tomography's pixel-space Gauss-Newton iterations (cap; beta cooling stops at chi = 1). Default 15. */
  tomoIterations?: number;
  /** FWI time steps of 2 ms. Default 400 (0.8 s, the two-way time to the bottom and back). */
  fwiSteps?: number;
  /** FWI: latent Adam iterations (default 40) and pixel-space L-BFGS iterations (default 30). */
  fwiIterations?: number;
  fwiPixelIterations?: number;
  /** Physics to run. Default both. */
  physics?: ('tomography' | 'fwi')[];
  /** FWI runs on the model averaged over c x c blocks. Default 2 for n > 32 (64 x 64 -> 32 x 32), else 1. */
  fwiCoarsen?: number;
  /** Held-out models FWI runs on (the first k; it costs ~100x tomography). Default 1. */
  fwiModels?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export type Physics = 'tomography' | 'fwi';
export type Method = 'latent' | 'tikhonov' | 'tv';

export interface Score {
  physics: Physics;
  method: Method;
  model: number;
  relativeL2: number;
  faciesAccuracy: number;
  chi: number;
  seconds: number;
  /** Latent only: mean per-cell std of the restarts' velocities (km/s). */
  restartSpread?: number;
}

/** One model's fields (km/s, row-major) for the figures. */
export interface CompareFields {
  physics: Physics;
  n: number;
  dx: number;
  truth: Float32Array;
  fields: Record<Method, Float32Array>;
  /** Latent only: per-cell std over the restarts. */
  spread: Float32Array;
}

export interface CompareResult {
  scores: Score[];
  fields: CompareFields[];
}

/**
 * Runs every physics op and method on each held-out facies model (values [n * n] in {0, 1}).
 * `decode(z [R, latent])` returns sand probabilities [R, 1, n, n].
 */
export async function comparePriors(
  decode: (z: tl.Tensor) => tl.Tensor,
  latent: number,
  heldOut: Float32Array[],
  n: number,
  opts: CompareOptions = {},
): Promise<CompareResult> {
  const o = {
    h: opts.h ?? 640 / n,
    vShale: opts.vShale ?? 2.0,
    vSand: opts.vSand ?? 2.5,
    tomoNoise: opts.tomoNoise ?? 0.5,
    fwiNoise: opts.fwiNoise ?? 0.02,
    restarts: opts.restarts ?? 4,
    iterations: opts.iterations ?? 150,
    lambda: opts.lambda ?? 1,
    fwiIterations: opts.fwiIterations ?? 40,
    fwiSteps: opts.fwiSteps ?? 400,
    tomoIterations: opts.tomoIterations ?? 15,
    fwiPixelIterations: opts.fwiPixelIterations ?? 30,
    physics: opts.physics ?? ['tomography', 'fwi'],
    fwiModels: opts.fwiModels ?? 1,
    fwiCoarsen: opts.fwiCoarsen ?? (n > 32 ? 2 : 1),
    seed: opts.seed ?? 0,
  };
  const say = opts.onProgress ?? (() => {});
  const scores: Score[] = [];
  const fields: CompareFields[] = [];
  const velocity = (f: Float32Array): Float32Array => f.map((p) => o.vShale + p * (o.vSand - o.vShale));
  for (const [k, facies] of heldOut.entries()) {
    const truth = velocity(facies);
    if (o.physics.includes('tomography')) {
      say(`model ${k + 1}/${heldOut.length}: tomography`);
      const r = await tomography(decode, latent, truth, n, o, o.seed + 17 * k);
      scores.push(...r.scores.map((s) => ({ ...s, model: k })));
      if (k === 0) fields.push(r.fields);
    }
    if (o.physics.includes('fwi') && k < o.fwiModels) {
      say(`model ${k + 1}/${heldOut.length}: FWI`);
      const r = await fwi(decode, latent, truth, n, o, o.seed + 17 * k + 5);
      scores.push(...r.scores.map((s) => ({ ...s, model: k })));
      if (k === 0) fields.push(r.fields);
    }
  }
  return { scores, fields };
}

type Resolved = Required<Omit<CompareOptions, 'onProgress'>>;

/** Relative L2 and facies accuracy (threshold at the mid velocity) of a velocity model. */
function score(v: ArrayLike<number>, truth: Float32Array, o: Resolved): { relativeL2: number; faciesAccuracy: number } {
  const mid = (o.vShale + o.vSand) / 2;
  let [e, t, hit] = [0, 0, 0];
  for (let i = 0; i < truth.length; i++) {
    e += (v[i]! - truth[i]!) ** 2;
    t += truth[i]! ** 2;
    if (v[i]! > mid === truth[i]! > mid) hit++;
  }
  return { relativeL2: Math.sqrt(e / t), faciesAccuracy: hit / truth.length };
}

/** chi = ||(d - dObs) / sigma||^2 / N of predicted data d (disposed here). */
async function chi(d: tl.Tensor, dObs: tl.Tensor, sigma: number): Promise<number> {
  const r = tl.tidy(() => tl.div(tl.sum(tl.square(tl.div(tl.sub(d, dObs), sigma))), dObs.size));
  d.dispose();
  return (await take(r))[0]!;
}

/** Reads a tensor into a new Float32Array and disposes it. */
async function take(t: tl.Tensor): Promise<Float32Array> {
  const v = Float32Array.from(await t.data());
  t.dispose();
  return v;
}

/** Per-cell mean and std over the rows of [R, cells]. */
function rowStats(v: Float32Array, R: number): { mean: Float32Array; std: Float32Array } {
  const c = v.length / R;
  const mean = new Float32Array(c);
  const std = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    let [s, q] = [0, 0];
    for (let r = 0; r < R; r++) s += v[r * c + i]!;
    const m = s / R;
    for (let r = 0; r < R; r++) q += (v[r * c + i]! - m) ** 2;
    [mean[i], std[i]] = [m, Math.sqrt(q / R)];
  }
  return { mean, std };
}

/**
 * Scores the best restart of a latent inversion whose models became velocities `v` [R, cells]
 * (read and disposed here, with the result's tensors), and the restarts' per-cell spread.
 */
async function latentResult(
  lat: tl.LatentInversionResult,
  v: tl.Tensor,
  truth: Float32Array,
  o: Resolved,
): Promise<{ score: Omit<Score, 'model' | 'physics' | 'seconds'>; best: Float32Array; std: Float32Array }> {
  const vAll = await take(v);
  const R = lat.loss.length;
  const { std } = rowStats(vAll, R);
  const cells = vAll.length / R;
  const best = vAll.slice(lat.best * cells, (lat.best + 1) * cells);
  lat.z.dispose();
  lat.models.dispose();
  return {
    score: {
      method: 'latent',
      ...score(best, truth, o),
      chi: lat.chi[lat.best]!,
      restartSpread: std.reduce((a, b) => a + b, 0) / std.length,
    },
    best,
    std,
  };
}

async function tomography(
  decode: (z: tl.Tensor) => tl.Tensor,
  latent: number,
  truth: Float32Array,
  n: number,
  o: Resolved,
  seed: number,
): Promise<{ scores: Omit<Score, 'model'>[]; fields: CompareFields }> {
  const h = o.h;
  const mesh = tl.TensorMesh2d.uniform(n, n, h);
  const spacing = h * Math.max(1, Math.round(32 / h));
  const survey = tl.crossholeSurvey({ sourceX: 0, receiverX: n * h, zFrom: h / 2, zTo: n * h - h / 2, spacing });
  const sim = tl.straightRayTomography(mesh, survey);
  const sTrue = tl.tensor(truth.map((v) => 1 / v)); // ms/m
  const noise = tl.randn([sim.nData], { seed, std: o.tomoNoise });
  const dObs = tl.keep(tl.tidy(() => tl.add(sim.forward(sTrue), noise)));
  noise.dispose();
  const out: Omit<Score, 'model'>[] = [];
  const fields: Partial<Record<Method, Float32Array>> = {};

  let t0 = performance.now();
  const slowness = (p: tl.Tensor): tl.Tensor => tl.div(1, tl.add(tl.mul(p, o.vSand - o.vShale), o.vShale));
  const lat = await tl.latentInversion(decode, (p) => sim.forward(tl.reshape(slowness(p), [p.shape[0]!, n * n])), dObs, latent, {
    restarts: o.restarts,
    iterations: o.iterations,
    lambda: o.lambda,
    noiseStd: o.tomoNoise,
    lr: 0.05,
    seed,
  });
  const {
    score: latentScore,
    best,
    std,
  } = await latentResult(
    lat,
    tl.tidy(() => tl.add(tl.mul(lat.models, o.vSand - o.vShale), o.vShale)),
    truth,
    o,
  );
  fields.latent = best;
  out.push({ physics: 'tomography', ...latentScore, seconds: (performance.now() - t0) / 1000 });

  for (const method of ['tikhonov', 'tv'] as const) {
    t0 = performance.now();
    // Slowness jumps of ~0.1 ms/m over a cell: TV's epsilon a tenth of that gradient.
    const reg = tl.regularization(
      mesh,
      method === 'tikhonov' ? { alphaS: 1e-4, alphaX: 1, alphaZ: 1 } : { alphaS: 1e-4, alphaX: 1, alphaZ: 1, tv: { epsilon: 1e-3 } },
    );
    const m0 = tl.full([n * n], 1 / ((o.vShale + o.vSand) / 2));
    const r = await tl.invert(sim, dObs, {
      m0,
      regularization: reg,
      uncertainty: o.tomoNoise,
      method: 'gauss-newton',
      maxIterations: o.tomoIterations,
      coolingFactor: 2,
      coolingRate: 1,
      chiFactor: 1,
    });
    const v = (await r.model.data()).map((x) => 1 / x) as Float32Array;
    fields[method] = v;
    out.push({
      physics: 'tomography',
      method,
      ...score(v, truth, o),
      chi: await chi(
        tl.tidy(() => sim.forward(r.model)),
        dObs,
        o.tomoNoise,
      ),
      seconds: (performance.now() - t0) / 1000,
    });
    r.model.dispose();
    m0.dispose();
    reg.dispose();
  }
  dObs.dispose();
  sTrue.dispose();
  sim.dispose();
  return { scores: out, fields: { physics: 'tomography', n, dx: h, truth, fields: fields as Record<Method, Float32Array>, spread: std } };
}

/** The n x n model averaged over c x c blocks. */
function coarsen(v: Float32Array, n: number, c: number): Float32Array {
  const m = n / c;
  const out = new Float32Array(m * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[Math.floor(i / c) * m + Math.floor(j / c)]! += v[i * n + j]! / (c * c);
  return out;
}

/** Smoothness sum of squared first differences, or smoothed TV, of v [m, m] (km/s). */
function roughness(v: tl.Tensor, method: 'tikhonov' | 'tv', eps: number): tl.Tensor {
  const gx = tl.sub(
    tl.slice(v, [
      [0, -1],
      [1, null],
    ]),
    tl.slice(v, [
      [0, -1],
      [0, -1],
    ]),
  );
  const gz = tl.sub(
    tl.slice(v, [
      [1, null],
      [0, -1],
    ]),
    tl.slice(v, [
      [0, -1],
      [0, -1],
    ]),
  );
  const g2 = tl.add(tl.square(gx), tl.square(gz));
  return method === 'tikhonov' ? tl.sum(g2) : tl.sum(tl.sqrt(tl.add(g2, eps * eps)));
}

async function fwi(
  decode: (z: tl.Tensor) => tl.Tensor,
  latent: number,
  truthFine: Float32Array,
  n: number,
  o: Resolved,
  seed: number,
): Promise<{ scores: Omit<Score, 'model'>[]; fields: CompareFields }> {
  const c = o.fwiCoarsen;
  const m = n / c;
  const dx = c * o.h;
  const truth = coarsen(truthFine, n, c);
  // 8 Hz Ricker: >= 5 cells per wavelength at 2.5 x the peak; 0.8 s covers the two-way time to the bottom.
  const survey = tl.jiSurvey(
    tl.jiDataParams({ samples: 1, nz: m, nx: m, dx: dx / 1000, shots: 4, dt: 0.002, nt: o.fwiSteps, freq: 8, pmlWidth: 10, maxVel: 3.2 }),
  );
  const F = (vKms: tl.Tensor): tl.Tensor => tl.reshape(tl.acoustic2d(tl.mul(vKms, 1000), survey), [-1]);
  const dTrue = tl.keep(tl.tidy(() => F(tl.tensor(truth, { shape: [m, m] }))));
  const rms = Math.sqrt((await take(tl.tidy(() => tl.mean(tl.square(dTrue)))))[0]!);
  const sigma = o.fwiNoise * rms;
  const nData = dTrue.size;
  const dObs = tl.keep(tl.tidy(() => tl.add(dTrue, tl.randn([nData], { seed, std: sigma }))));
  dTrue.dispose();
  const out: Omit<Score, 'model'>[] = [];
  const fields: Partial<Record<Method, Float32Array>> = {};

  let t0 = performance.now();
  const velocities = (p: tl.Tensor): tl.Tensor => tl.add(tl.mul(c > 1 ? tl.avgPool2d(p, c) : p, o.vSand - o.vShale), o.vShale);
  const lat = await tl.latentInversion(
    decode,
    (p) => {
      const v = velocities(p);
      const R = p.shape[0]!;
      return tl.stack(Array.from({ length: R }, (_, r) => F(tl.reshape(tl.slice(v, [[r, r + 1]]), [m, m]))));
    },
    dObs,
    latent,
    { restarts: o.restarts, iterations: o.fwiIterations, lambda: o.lambda, noiseStd: sigma, lr: 0.05, seed, readEvery: 10 },
  );
  const {
    score: latentScore,
    best,
    std,
  } = await latentResult(
    lat,
    tl.tidy(() => velocities(lat.models)),
    truth,
    o,
  );
  fields.latent = best;
  out.push({ physics: 'fwi', ...latentScore, seconds: (performance.now() - t0) / 1000 });

  // alpha per cell in units of the misfit per datum (fixed, not tuned on the truth); TV's epsilon 0.01 km/s.
  const alpha = { tikhonov: (0.5 * nData) / (m * m), tv: (0.5 * nData) / (m * m) };
  for (const method of ['tikhonov', 'tv'] as const) {
    t0 = performance.now();
    const fg = tl.valueAndGrad((v: tl.Tensor) =>
      tl.add(tl.mul(tl.sum(tl.square(tl.div(tl.sub(F(v), dObs), sigma))), 0.5), tl.mul(roughness(v, method, 0.01), alpha[method])),
    );
    const v0 = tl.full([m, m], (o.vShale + o.vSand) / 2);
    const r = await tl.lbfgs((v) => fg(v) as [tl.Tensor, tl.Tensor], v0, {
      maxIter: o.fwiPixelIterations,
      maxEvals: 2 * o.fwiPixelIterations + 4,
    });
    const v = Float32Array.from(await r.x.data());
    fields[method] = v;
    out.push({
      physics: 'fwi',
      method,
      ...score(v, truth, o),
      chi: await chi(
        tl.tidy(() => F(r.x)),
        dObs,
        sigma,
      ),
      seconds: (performance.now() - t0) / 1000,
    });
    r.x.dispose();
    v0.dispose();
  }
  dObs.dispose();
  tl.disposeJiSurvey(survey);
  return { scores: out, fields: { physics: 'fwi', n: m, dx, truth, fields: fields as Record<Method, Float32Array>, spread: std } };
}
