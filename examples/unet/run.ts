// U-Net image-to-image on generated seismic images: learn the map from a reverse-time-migration
// (RTM) image to the velocity perturbation dv that produced it (Born's scattering model, the
// "reflectivity" model), i.e. a learned deblurring / least-squares-migration surrogate.
//
// Data. Each sample is a layered model perturbation dv on an n x n grid (cells of DX m): 3-6
// interfaces with random depths and dips, a jump of ±40-120 m/s at each, sometimes a vertical
// fault that shifts the layers on one side, minus its running mean over ±3 cells in depth (the
// high-pass part that reflections see; a surface survey cannot recover the rest), and no
// perturbation in the top rows (where the sources sit; muted in the image too). The background v0 (a linear increase with depth) is the same for every sample, so
// the input is rtm2d(v0, born2d(v0, dv)) = J^T J dv (tl.gaussNewton2d: Born data from a few
// surface shots into receivers on every column, migrated back), blurred by the wavelet's band,
// dimmed with depth and smeared by the acquisition footprint. Generation is seeded (host PRNG).
// Inputs are divided by their RMS over the training set, targets by 100 m/s.
//
// Training: UNet(1, 1) (depth 2, GroupNorm, bilinear upsampling), MSE, Adam with a cosine decay,
// held-out validation each epoch. Reported: validation relative L2 and mean SSIM (7x7 uniform
// windows, as skimage's default) against dv, next to the same numbers for the RTM image itself
// after the best single scale factor (least squares over the training set), the baseline a
// U-Net must beat. Imports only the package root, so the browser app can run it too.
import * as tl from '../../src/index.js';

export interface UNetExampleOptions {
  /** Grid cells per side (a multiple of 4; default 32). */
  n?: number;
  train?: number;
  val?: number;
  epochs?: number;
  batch?: number;
  /** U-Net channels at the first level (default 8). */
  width?: number;
  lr?: number;
  seed?: number;
  onProgress?: (p: UNetProgress) => void;
}

export interface UNetProgress {
  phase: 'data' | 'train';
  /** Samples generated, or epochs done. */
  done: number;
  total: number;
  trainLoss?: number;
  valRelL2?: number;
}

/** A row-major [n, n] field. */
export interface Field {
  values: Float32Array;
  shape: [number, number];
}

export interface UNetExampleResult {
  n: number;
  dx: number;
  parameters: number;
  steps: number;
  dataSeconds: number;
  trainSeconds: number;
  /** Per epoch: mean training MSE (normalized units) and validation relative L2. */
  trainLoss: number[];
  valRelL2: number[];
  final: { valRelL2: number; valSsim: number; baselineRelL2: number; baselineSsim: number; baselineScale: number };
  /** One validation sample in physical units: RTM image (normalized), dv and the U-Net's dv (m/s). */
  example: { input: Field; target: Field; prediction: Field; baseline: Field };
}

const DX = 12.5;
const DT = 0.002;
const FREQ = 12;
const SHOTS = 3;
const DV_SCALE = 100;
const TOP = 3; // rows of the model left unperturbed (and muted in the image)
const SMOOTH = 3; // half-length (cells) of the depth smoothing removed from the layered models

/** Seeded uniform [0, 1) (an LCG; enough for model generation). */
function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * A layered model with dipping interfaces and sometimes a fault, minus its running mean over
 * ±SMOOTH cells in depth: the high-pass part that reflections see (m/s), zero in the top rows.
 */
function layeredModel(n: number, rnd: () => number): Float32Array {
  const m = new Float32Array(n * n);
  const count = 3 + Math.floor(rnd() * 4);
  const faces = Array.from({ length: count }, () => ({
    z: TOP + 1 + rnd() * (n - TOP - 3),
    dip: (rnd() - 0.5) * 0.5,
    jump: (40 + 80 * rnd()) * (rnd() < 0.5 ? -1 : 1),
  }));
  const fault = rnd() < 0.5 ? { x: n * (0.25 + 0.5 * rnd()), throw: (rnd() - 0.5) * 0.3 * n } : null;
  const col = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    const shift = fault && x > fault.x ? fault.throw : 0;
    for (let z = 0; z < n; z++) {
      col[z] = 0;
      for (const f of faces) if (z >= f.z + f.dip * (x - n / 2) + shift) col[z]! += f.jump;
    }
    for (let z = TOP; z < n; z++) {
      let [s, k] = [0, 0];
      for (let d = -SMOOTH; d <= SMOOTH; d++) if (z + d >= 0 && z + d < n) [s, k] = [s + col[z + d]!, k + 1];
      m[z * n + x] = col[z]! - s / k;
    }
  }
  return m;
}

/** Mean SSIM over 7x7 uniform windows (valid positions), data range from the target. */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n * n; i++) [lo, hi] = [Math.min(lo, b[i]!), Math.max(hi, b[i]!)];
  const range = hi - lo || 1;
  const [c1, c2] = [(0.01 * range) ** 2, (0.03 * range) ** 2];
  const w = 7;
  const k = w * w;
  let total = 0;
  let count = 0;
  for (let z = 0; z + w <= n; z++)
    for (let x = 0; x + w <= n; x++) {
      let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
      for (let i = 0; i < w; i++)
        for (let j = 0; j < w; j++) {
          const [u, v] = [a[(z + i) * n + x + j]!, b[(z + i) * n + x + j]!];
          sa += u;
          sb += v;
          saa += u * u;
          sbb += v * v;
          sab += u * v;
        }
      const [ma, mb] = [sa / k, sb / k];
      // Sample (co)variances, k - 1 in the denominator, as skimage.
      const va = (saa - k * ma * ma) / (k - 1);
      const vb = (sbb - k * mb * mb) / (k - 1);
      const cov = (sab - k * ma * mb) / (k - 1);
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      count++;
    }
  return total / count;
}

const relL2 = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let [e, s] = [0, 0];
  for (let i = 0; i < b.length; i++) [e, s] = [e + (a[i]! - b[i]!) ** 2, s + b[i]! ** 2];
  return Math.sqrt(e / s);
};

export async function runUNetExample(opts: UNetExampleOptions = {}): Promise<UNetExampleResult> {
  const n = opts.n ?? 32;
  const nTrain = opts.train ?? 64;
  const nVal = opts.val ?? 16;
  const epochs = opts.epochs ?? 12;
  const batch = opts.batch ?? 8;
  const width = opts.width ?? 8;
  const lr = opts.lr ?? 3e-3;
  const seed = opts.seed ?? 0;
  if (n % 4 !== 0 || n < 16) throw new Error(`runUNetExample: n must be a multiple of 4 and at least 16, got ${n}`);
  if (nTrain % batch !== 0) throw new Error(`runUNetExample: train (${nTrain}) must be a multiple of batch (${batch})`);
  const progress = opts.onProgress ?? (() => {});
  tl.seed(seed);

  // Acquisition: SHOTS sources and a receiver on every column, all on row 1; background v0(z).
  const v0Host = new Float32Array(n * n);
  for (let z = 0; z < n; z++) v0Host.fill(1800 + 1.2 * z * DX, z * n, (z + 1) * n);
  const v0 = tl.tensor(v0Host, { shape: [n, n] });
  const nt = Math.ceil((1.5 / FREQ + (2.2 * n * DX) / 1800) / DT);
  const wavelet = tl.ricker(FREQ, nt, DT);
  const physics: tl.Acoustic2dOptions = {
    dx: DX,
    dt: DT,
    pmlWidth: 10,
    pmlFreq: FREQ,
    maxVel: 2000 + 1.2 * n * DX,
    sourceAmplitudes: tl.expand(tl.reshape(wavelet, [1, 1, nt]), [SHOTS, 1, nt]),
    sourceLocations: Array.from({ length: SHOTS }, (_, s) => [[1, Math.round(((s + 0.5) * n) / SHOTS)] as [number, number]]),
    receiverLocations: Array.from({ length: SHOTS }, () => Array.from({ length: n }, (_, x) => [1, x] as [number, number])),
  };

  const t0 = performance.now();
  const rnd = lcg(seed + 1);
  const total = nTrain + nVal;
  const dvHost = Array.from({ length: total }, () => layeredModel(n, rnd));
  const images: tl.Tensor[] = [];
  for (let i = 0; i < total; i++) {
    images.push(tl.gaussNewton2d(v0, tl.tensor(dvHost[i]!, { shape: [n, n] }), physics));
    // One read-back per sample bounds the pending work and gives the progress bar a true count.
    if (i % 4 === 3 || i === total - 1) await images[i]!.data();
    progress({ phase: 'data', done: i + 1, total });
  }
  // Top mute: the rows next to the sources hold the source-side artefact, not reflectors.
  const mute = tl.tensor(
    Float32Array.from({ length: n * n }, (_, k) => (k < TOP * n ? 0 : 1)),
    { shape: [n, n] },
  );
  const allX = tl.reshape(tl.mul(tl.stack(images), mute), [total, 1, n, n]);
  mute.dispose();
  for (const t of images) t.dispose();
  const rawTrain = tl.slice(allX, [[0, nTrain]]);
  const xScale = Math.sqrt(await tl.mean(tl.square(rawTrain)).item());
  const x = tl.div(allX, xScale);
  const yHost = new Float32Array(total * n * n);
  dvHost.forEach((m, i) =>
    yHost.set(
      m.map((v) => v / DV_SCALE),
      i * n * n,
    ),
  );
  const y = tl.tensor(yHost, { shape: [total, 1, n, n] });
  const [xTrain, yTrain] = [tl.slice(x, [[0, nTrain]]), tl.slice(y, [[0, nTrain]])];
  const [xVal, yVal] = [tl.slice(x, [[nTrain, total]]), tl.slice(y, [[nTrain, total]])];
  // Baseline: the normalized RTM image times the single scale that best fits the training targets.
  const baselineScale = (await tl.sum(tl.mul(xTrain, yTrain)).item()) / (await tl.sum(tl.square(xTrain)).item());
  const dataSeconds = (performance.now() - t0) / 1000;

  const model = new tl.UNet(1, 1, { depth: 2, width, seed: seed + 7 });
  const params = model.parameters();
  const steps = epochs * (nTrain / batch);
  const opt = new tl.Adam({ lr: tl.cosineDecay(lr, steps, lr / 30) });
  const step = tl.valueAndGrad((p: tl.NamedTensors, xb: tl.Tensor, yb: tl.Tensor) => tl.mse(model.call(p, xb), yb));
  const predict = (xs: tl.Tensor): tl.Tensor => {
    const parts: tl.Tensor[] = [];
    for (let b = 0; b < xs.shape[0]!; b += batch) parts.push(tl.noGrad(() => model.forward(tl.slice(xs, [[b, b + batch]]))));
    const out = tl.concat(parts, 0);
    for (const t of parts) t.dispose();
    return out;
  };
  const valError = async (): Promise<number> => {
    const p = predict(xVal);
    const e = tl.tidy(() => tl.sqrt(tl.div(tl.sum(tl.square(tl.sub(p, yVal))), tl.sum(tl.square(yVal)))));
    p.dispose();
    const v = await e.item();
    e.dispose();
    return v;
  };

  const trainLoss: number[] = [];
  const valRelL2: number[] = [];
  const order = Array.from({ length: nTrain / batch }, (_, i) => i);
  const t1 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // The epoch's losses add up on the GPU; one read-back per epoch.
    let sum = tl.zeros([]);
    for (const b of order) {
      const xb = tl.slice(xTrain, [[b * batch, (b + 1) * batch]]);
      const yb = tl.slice(yTrain, [[b * batch, (b + 1) * batch]]);
      const [loss, grads] = step(params, xb, yb) as [tl.Tensor, tl.NamedTensors];
      opt.step(params, grads);
      const next = tl.add(sum, loss);
      for (const t of [sum, loss, xb, yb, ...Object.values(grads)]) t.dispose();
      sum = next;
    }
    trainLoss.push((await sum.item()) / order.length);
    sum.dispose();
    valRelL2.push(await valError());
    progress({ phase: 'train', done: e + 1, total: epochs, trainLoss: trainLoss[e]!, valRelL2: valRelL2[e]! });
  }
  const trainSeconds = (performance.now() - t1) / 1000;

  // Final numbers on the host in float64: relative L2 over the whole validation set, mean SSIM per image.
  const pv = predict(xVal);
  const [pHost, yvHost, xvHost] = await Promise.all([pv.data(), yVal.data(), xVal.data()]);
  pv.dispose();
  const size = n * n;
  const baseHost = xvHost.map((v) => v * baselineScale);
  let [ssimNet, ssimBase] = [0, 0];
  for (let i = 0; i < nVal; i++) {
    const at = (a: Float32Array): Float32Array => a.subarray(i * size, (i + 1) * size);
    ssimNet += ssim(at(pHost as Float32Array), at(yvHost as Float32Array), n) / nVal;
    ssimBase += ssim(at(baseHost as Float32Array), at(yvHost as Float32Array), n) / nVal;
  }
  const field = (a: ArrayLike<number>, scale: number): Field => ({
    values: Float32Array.from({ length: size }, (_, k) => a[k]! * scale),
    shape: [n, n],
  });
  const result: UNetExampleResult = {
    n,
    dx: DX,
    parameters: model.numParameters(),
    steps,
    dataSeconds,
    trainSeconds,
    trainLoss,
    valRelL2,
    final: {
      valRelL2: relL2(pHost, yvHost),
      valSsim: ssimNet,
      baselineRelL2: relL2(baseHost, yvHost),
      baselineSsim: ssimBase,
      baselineScale,
    },
    example: {
      input: field(xvHost, 1),
      target: field(yvHost, DV_SCALE),
      prediction: field(pHost, DV_SCALE),
      baseline: field(baseHost, DV_SCALE),
    },
  };
  for (const t of [v0, wavelet, physics.sourceAmplitudes!, allX, rawTrain, x, y, xTrain, yTrain, xVal, yVal]) t.dispose();
  model.dispose();
  opt.dispose();
  return result;
}
