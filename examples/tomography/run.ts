// Cross-hole straight-ray travel-time tomography, the conventional inversions of the NFs-Inv
// paper's cases 1 and 2 (docs/tomography.md). Mesh 64 x 128 cells of 1 m (x by depth), source
// borehole at x = 0 and receiver borehole at x = 64 m, sensors every 1 m at the cell-centre depths
// 0.5 ... 127.5 m (128 x 128 = 16,384 rays). Times in ms, slowness in ms/m (= s/km): t = G s with
// G in metres, so the same matrix serves seconds and milliseconds. Gaussian noise of 20 ms.
//   case 1: a 200 m/s square (20 m side) in 1000 m/s;
//   case 2: a tilted 500 m/s ellipse in a von Karman random background (mean 1000 m/s, std 100 m/s,
//           correlation length 8 m), our stand-in for the paper's GeoStatTools field.
// Both start from the uniform 1000 m/s model and are inverted twice:
//   - without regularization: CGLS (conjugate gradients on the normal equations G^T G dm = G^T r)
//     stopped by the discrepancy principle, at the first iterate with chi = phi_d / N <= 1
//     (phi_d = ||(d - G s) / 20 ms||^2); the iteration count is the only regularization. For
//     comparison, CGLS also runs on past chi = 1 for a fixed count (default 10): least squares
//     without even that, fitting the noise;
//   - with smoothness only (alphaS = 0, alphaX = alphaZ = 0.5, p = 2): tl.invert, Gauss-Newton
//     with beta cooling to chi = 1 (see `smoothInversion`).
// Model errors are relative L2 norms of the slowness error, over all cells and inside / outside
// the target. Imports only the package root, so the browser app can run it too.
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';

export interface TomographyRunOptions {
  /** Which of the paper's cases to run. Default [1, 2]. */
  cases?: (1 | 2)[];
  /** Cells along x and depth, cell size (m). Default 64, 128, 1 (the paper's). */
  nx?: number;
  nz?: number;
  h?: number;
  /** Noise standard deviation (ms). Default 20. */
  noise?: number;
  seed?: number;
  /** Iteration caps: CGLS (default 200) and Gauss-Newton (default 20). */
  cgIterations?: number;
  /** CGLS iterations of the overfitting run, past chi = 1 (default 10; 0 skips it). */
  overfitIterations?: number;
  gnIterations?: number;
  /** Progress messages. */
  onProgress?: (message: string) => void;
}

export interface ModelErrors {
  /** ||s - s_true|| / ||s_true|| over all cells, inside the target, outside it. */
  relativeL2: number;
  inside: number;
  outside: number;
}

export interface IterationRecord {
  iteration: number;
  chi: number;
  phiD: number;
  phiM?: number;
  beta?: number;
}

/** CGLS to chi = 1, CGLS for a fixed count past it, Gauss-Newton with smoothness. */
export type InversionName = 'none' | 'overfit' | 'smooth';

export interface InversionSummary {
  name: InversionName;
  method: string;
  iterations: number;
  chi: number;
  stopReason: string;
  seconds: number;
  history: IterationRecord[];
  errors: ModelErrors;
  /** Cells with negative recovered slowness. */
  negativeCells: number;
  /** Mean recovered slowness inside the target (ms/m). */
  targetMean: number;
  /** Recovered slowness (ms/m), [nz * nx]. */
  model: Float32Array;
  /** Predicted times of the figure's source gather (ms). */
  gather: Float32Array;
}

export interface CaseResult {
  case: 1 | 2;
  description: string;
  shape: [number, number];
  h: number;
  nData: number;
  nModel: number;
  nnz: number;
  traceMs: number;
  noise: number;
  /** Shortest and longest noise-free time (ms). */
  timeRange: [number, number];
  /** chi of the true model against the noisy data (about 1 by construction). */
  chiTrue: number;
  targetCells: number;
  /** Mean true slowness inside the target (ms/m). */
  targetMean: number;
  /** True slowness (ms/m) and the target mask, [nz * nx]. */
  truth: Float32Array;
  target: Uint8Array;
  /** Ray coverage: total ray length per cell (m). */
  coverage: Float32Array;
  /** The middle source's gather: receiver depths (m), observed and noise-free times (ms). */
  gather: { source: number; depth: number[]; observed: Float32Array; clean: Float32Array };
  inversions: InversionSummary[];
}

export interface TomographyRunResult {
  cases: CaseResult[];
}

/** Case 1: 200 m/s square in 1000 m/s. Side 20/64 of the width, centred. Slowness in ms/m. */
function blockModel(nx: number, nz: number): { s: Float32Array; target: Uint8Array } {
  const side = Math.max(1, Math.round((20 / 64) * nx));
  const [ix0, iz0] = [Math.floor((nx - side) / 2), Math.floor((nz - side) / 2)];
  const s = new Float32Array(nx * nz).fill(1);
  const target = new Uint8Array(nx * nz);
  for (let iz = iz0; iz < iz0 + side; iz++)
    for (let ix = ix0; ix < ix0 + side; ix++) {
      s[iz * nx + ix] = 1000 / 200;
      target[iz * nx + ix] = 1;
    }
  return { s, target };
}

/** Case 2: a 500 m/s ellipse (semi-axes 10/64 and 22/128 of the panel, tilted 30 degrees) in a random background. */
async function ellipseModel(nx: number, nz: number, h: number, seed: number): Promise<{ s: Float32Array; target: Uint8Array }> {
  const field = tl.vonKarman([nz, nx], { dx: h, ax: 8, kappa: 1, mean: 1000, std: 100, seed });
  const v = await field.data();
  field.dispose();
  const [a, b, th] = [(10 / 64) * nx * h, (22 / 128) * nz * h, Math.PI / 6];
  const [cx, cz] = [(nx * h) / 2, (nz * h) / 2];
  const s = new Float32Array(nx * nz);
  const target = new Uint8Array(nx * nz);
  for (let iz = 0; iz < nz; iz++)
    for (let ix = 0; ix < nx; ix++) {
      const [dx, dz] = [(ix + 0.5) * h - cx, (iz + 0.5) * h - cz];
      const [u, w] = [dx * Math.cos(th) + dz * Math.sin(th), -dx * Math.sin(th) + dz * Math.cos(th)];
      const inside = (u / a) ** 2 + (w / b) ** 2 <= 1;
      target[iz * nx + ix] = inside ? 1 : 0;
      s[iz * nx + ix] = 1000 / (inside ? 500 : Math.max(v[iz * nx + ix]!, 300));
    }
  return { s, target };
}

/** Gaussian noise from the seeded host generator (Box-Muller). */
function gaussian(n: number, std: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const [r, t] = [Math.sqrt(-2 * Math.log(1 - rnd())), 2 * Math.PI * rnd()];
    out[i] = std * r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(t);
  }
  return out;
}

export function modelErrors(m: ArrayLike<number>, truth: ArrayLike<number>, target: Uint8Array): ModelErrors {
  const acc = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < truth.length; i++) {
    const a = acc[target[i]!]!;
    a[0]! += (m[i]! - truth[i]!) ** 2;
    a[1]! += truth[i]! ** 2;
  }
  const [out, inn] = acc as [[number, number], [number, number]];
  return {
    relativeL2: Math.sqrt((out[0] + inn[0]) / (out[1] + inn[1])),
    inside: Math.sqrt(inn[0] / inn[1]),
    outside: Math.sqrt(out[0] / out[1]),
  };
}

function targetMean(m: ArrayLike<number>, target: Uint8Array): number {
  let [sum, n] = [0, 0];
  for (let i = 0; i < target.length; i++) if (target[i]) [sum, n] = [sum + m[i]!, n + 1];
  return sum / n;
}

const sumSq = (x: tl.Tensor): tl.Tensor => tl.sum(tl.square(x));

/**
 * CGLS from m0 on min ||G m - d||^2, stopped at the first iterate with chi <= 1 (or after
 * maxIterations; with `untilTarget` false, always after maxIterations). Step sizes stay on the GPU
 * as scalar tensors; one read-back per iteration (chi).
 */
export async function cgls(
  sim: tl.StraightRayTomography,
  dObs: tl.Tensor,
  m0: tl.Tensor,
  std: number,
  maxIterations: number,
  untilTarget = true,
): Promise<{ model: tl.Tensor; history: IterationRecord[]; stopReason: string }> {
  const G = sim.G;
  const GT = G.transpose();
  const n = sim.nData;
  let [m, r] = tl.tidy(() => [tl.clone(m0), tl.sub(dObs, tl.spmv(G, m0))]);
  let s = tl.spmv(GT, r);
  let p = tl.clone(s);
  let gamma = sumSq(s);
  const history: IterationRecord[] = [];
  const chiOf = async (res: tl.Tensor): Promise<number> => {
    const phi = tl.tidy(() => tl.div(sumSq(res), std * std));
    const v = await phi.item();
    phi.dispose();
    return v;
  };
  const phi0 = await chiOf(r);
  history.push({ iteration: 0, chi: phi0 / n, phiD: phi0 });
  let stopReason = `maxIterations (${maxIterations})`;
  for (let k = 1; k <= maxIterations && (!untilTarget || history[history.length - 1]!.chi > 1); k++) {
    const next = tl.tidy(() => {
      const q = tl.spmv(G, p);
      const alpha = tl.div(gamma, tl.maximum(sumSq(q), 1e-30));
      const m1 = tl.add(m, tl.mul(alpha, p));
      const r1 = tl.sub(r, tl.mul(alpha, q));
      const s1 = tl.spmv(GT, r1);
      const gamma1 = sumSq(s1);
      const p1 = tl.add(s1, tl.mul(tl.div(gamma1, tl.maximum(gamma, 1e-30)), p));
      return [m1, r1, s1, gamma1, p1] as const;
    });
    for (const t of [m, r, s, gamma, p]) t.dispose();
    [m, r, s, gamma, p] = next;
    const phi = await chiOf(r);
    history.push({ iteration: k, chi: phi / n, phiD: phi });
    if (untilTarget && phi / n <= 1) stopReason = 'chi <= 1 (discrepancy principle)';
  }
  for (const t of [r, s, gamma, p]) t.dispose();
  return { model: m, history, stopReason };
}

/**
 * The smoothness-only inversion (the paper's Figs. 2(c) and 4(c)): tl.invert's inexact
 * Gauss-Newton on phi_d + beta phi_m with alphaS = 0, alphaX = alphaZ = 0.5 (p = 2), beta0 from the
 * eigenvalue estimate (ratio 1), cooled by 2 every iteration, stopped at the target chi = 1.
 */
export async function smoothInversion(
  sim: tl.StraightRayTomography,
  mesh: tl.TensorMesh2d,
  dObs: tl.Tensor,
  m0: tl.Tensor,
  std: number,
  maxIterations: number,
): Promise<{ model: tl.Tensor; history: IterationRecord[]; stopReason: string }> {
  const reg = tl.regularization(mesh, { alphaS: 0, alphaX: 0.5, alphaZ: 0.5 });
  const r = await tl.invert(sim, dObs, {
    m0,
    regularization: reg,
    uncertainty: std,
    method: 'gauss-newton',
    maxIterations,
    coolingFactor: 2,
    coolingRate: 1,
    chiFactor: 1,
  });
  reg.dispose();
  const history = r.history.map(({ iteration, chi, phiD, phiM, beta }) => ({ iteration, chi, phiD, phiM, beta }));
  return { model: r.model, history, stopReason: r.message };
}

/** Reads back a model and its gather, and scores it. */
async function summarize(
  name: InversionName,
  method: string,
  model: tl.Tensor,
  sim: tl.StraightRayTomography,
  c: { truth: Float32Array; target: Uint8Array; gatherRows: [number, number] },
  run: { history: IterationRecord[]; stopReason: string; seconds: number },
): Promise<InversionSummary> {
  const pred = tl.spmv(sim.G, model);
  const [m, d] = await Promise.all([model.data(), pred.data()]);
  pred.dispose();
  const last = run.history[run.history.length - 1]!;
  return {
    name,
    method,
    iterations: last.iteration,
    chi: last.chi,
    stopReason: run.stopReason,
    seconds: run.seconds,
    history: run.history,
    errors: modelErrors(m, c.truth, c.target),
    negativeCells: Array.prototype.filter.call(m, (v: number) => v < 0).length,
    targetMean: targetMean(m, c.target),
    model: Float32Array.from(m),
    gather: Float32Array.from(d.subarray(...c.gatherRows)),
  };
}

/** One case's mesh, survey, simulation, true model and noisy data (shared with the neural-field example). */
export interface TomographyCase {
  mesh: tl.TensorMesh2d;
  survey: { sources: Float64Array; receivers: Float64Array };
  sim: tl.StraightRayTomography;
  nx: number;
  nz: number;
  h: number;
  noise: number;
  /** True slowness (ms/m) and the target mask, [nz * nx]. */
  truth: Float32Array;
  target: Uint8Array;
  /** Noisy and noise-free times (ms). */
  observed: Float32Array;
  clean: Float64Array;
  chiTrue: number;
}

export async function tomographyCase(
  which: 1 | 2,
  opts: Pick<TomographyRunOptions, 'nx' | 'nz' | 'h' | 'noise' | 'seed'> = {},
): Promise<TomographyCase> {
  const [nx, nz, h] = [opts.nx ?? 64, opts.nz ?? 128, opts.h ?? 1];
  const noise = opts.noise ?? 20;
  const seed = opts.seed ?? 1;
  const mesh = tl.TensorMesh2d.uniform(nx, nz, h);
  const survey = tl.crossholeSurvey({ sourceX: 0, receiverX: nx * h, zFrom: h / 2, zTo: nz * h - h / 2, spacing: h });
  const sim = tl.straightRayTomography(mesh, survey);
  const { s: truth, target } = which === 1 ? blockModel(nx, nz) : await ellipseModel(nx, nz, h, seed + 100);
  // Noise-free times in float64 on the host (exact given the float64 lengths), then the noise.
  const clean = new Float64Array(sim.nData);
  const { rowPtr, colIdx, values } = sim.G.host;
  for (let i = 0; i < sim.nData; i++) for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) clean[i]! += values[k]! * truth[colIdx[k]!]!;
  const e = gaussian(sim.nData, noise, seed + which);
  const observed = Float32Array.from(clean, (t, i) => t + e[i]!);
  const chiTrue = e.reduce((a, v) => a + (v / noise) ** 2, 0) / sim.nData;
  return { mesh, survey, sim, nx, nz, h, noise, truth, target, observed, clean, chiTrue };
}

export async function runCase(which: 1 | 2, opts: TomographyRunOptions = {}): Promise<CaseResult> {
  const say = opts.onProgress ?? (() => {});
  const { mesh, survey, sim, nx, nz, h, noise, truth, target, observed, clean, chiTrue } = await tomographyCase(which, opts);
  const nr = survey.receivers.length / 2;
  say(`case ${which}: ${nx}x${nz} cells, ${sim.nData} rays, ${sim.G.nnz} ray-cell lengths (traced in ${sim.traceMs.toFixed(0)} ms)`);
  const src = Math.floor(survey.sources.length / 4); // the middle source
  const gatherRows: [number, number] = [src * nr, (src + 1) * nr];

  const dObs = tl.tensor(observed);
  const m0 = tl.full([sim.nModel], 1); // 1000 m/s
  const c = { truth, target, gatherRows };
  const inversions: InversionSummary[] = [];
  let t0 = performance.now();
  const ls = await cgls(sim, dObs, m0, noise, opts.cgIterations ?? 200);
  inversions.push(
    await summarize('none', 'CGLS, stopped at chi <= 1', ls.model, sim, c, { ...ls, seconds: (performance.now() - t0) / 1000 }),
  );
  ls.model.dispose();
  say(`case ${which}, no regularization: ${inversions[0]!.iterations} CGLS iterations, chi ${inversions[0]!.chi.toFixed(3)}`);
  const overfit = opts.overfitIterations ?? 10;
  if (overfit > 0) {
    t0 = performance.now();
    const of = await cgls(sim, dObs, m0, noise, overfit, false);
    const method = `CGLS, ${overfit} iterations (past chi = 1)`;
    inversions.push(await summarize('overfit', method, of.model, sim, c, { ...of, seconds: (performance.now() - t0) / 1000 }));
    of.model.dispose();
    say(`case ${which}, ${method}: chi ${inversions[1]!.chi.toFixed(3)}`);
  }
  t0 = performance.now();
  const sm = await smoothInversion(sim, mesh, dObs, m0, noise, opts.gnIterations ?? 20);
  inversions.push(
    await summarize('smooth', 'Gauss-Newton (tl.invert), alphaS = 0, alphaX = alphaZ = 0.5', sm.model, sim, c, {
      ...sm,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
  sm.model.dispose();
  const smooth = inversions[inversions.length - 1]!;
  say(`case ${which}, smoothness: ${smooth.iterations} Gauss-Newton iterations, chi ${smooth.chi.toFixed(3)}`);
  const cov = sim.coverage();
  for (const t of [dObs, m0]) t.dispose();
  sim.dispose();
  return {
    case: which,
    description: which === 1 ? '200 m/s square in 1000 m/s' : '500 m/s ellipse in a random background (mean 1000 m/s, std 100 m/s)',
    shape: [nz, nx],
    h,
    nData: sim.nData,
    nModel: sim.nModel,
    nnz: sim.G.nnz,
    traceMs: sim.traceMs,
    noise,
    timeRange: [clean.reduce((a, v) => Math.min(a, v), Infinity), clean.reduce((a, v) => Math.max(a, v), -Infinity)],
    chiTrue,
    targetCells: target.reduce((a, v) => a + v, 0),
    targetMean: targetMean(truth, target),
    truth,
    target,
    coverage: Float32Array.from(cov),
    gather: {
      source: src,
      depth: Array.from({ length: nr }, (_, j) => survey.receivers[2 * j + 1]!),
      observed: observed.slice(...gatherRows),
      clean: Float32Array.from(clean.subarray(...gatherRows)),
    },
    inversions,
  };
}

export async function runTomography(opts: TomographyRunOptions = {}): Promise<TomographyRunResult> {
  const cases: CaseResult[] = [];
  for (const which of opts.cases ?? [1, 2]) cases.push(await runCase(which, opts));
  return { cases };
}
