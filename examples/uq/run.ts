// Uncertainty quantification on an image-to-image inversion (issue 21, docs/uncertainty.md).
//
// Data. A true velocity model m on an n x n grid: a random layered model (tl.layeredModelValues,
// 3-6 layers, up to 2 faults) plus a von Karman perturbation (tl.vonKarman, std 0.1 km/s). The
// input is m blurred (Gaussian, 1 cell) and subsampled every 2nd cell, then repeated back to n x n
// (a low-resolution image of the model); the target is m plus Gaussian noise of a known spatially
// varying sigma(z, x): growing with depth, larger still in a patch. Both are normalized by the
// training set's model mean and std; sigma is given in those units. So a calibrated network's
// aleatoric sigma should be sigma(z, x), plus what the input cannot determine (the blur's lost
// detail, the fit's bias) in quadrature: small by design next to sigma.
//
// Methods, each a U-Net (inputs: the image and its z, x coordinates) that predicts a correction
// to the image: (a) heteroscedastic (2 outputs [mean, log variance],
// Gaussian NLL or beta-NLL); (b) a deep ensemble of MSE networks (seeds + bootstrap resamples);
// (c) MC dropout (dropout after the bottleneck and decoder blocks, MSE, 50 passes); (d) an
// ensemble of heteroscedastic networks ((a) plus members on bootstrap resamples). (b) and (c)
// predict a mean only: their aleatoric variance is one constant, the validation set's mean squared
// error less its mean epistemic variance (Gal's homoscedastic noise precision, fitted on held-out
// data). Scored on a held-out test set: RMSE, NLL, 68/95% coverage, ECE, the reliability diagram,
// and the aleatoric sigma against the known one. Imports only the package root, so the browser app
// can run it too.
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';

export type UqMethod = 'heteroscedastic' | 'ensemble' | 'mcDropout' | 'heteroEnsemble';
export const METHODS: readonly UqMethod[] = ['heteroscedastic', 'ensemble', 'mcDropout', 'heteroEnsemble'];
export const METHOD_NAMES: Record<UqMethod, string> = {
  heteroscedastic: 'heteroscedastic',
  ensemble: 'deep ensemble (MSE)',
  mcDropout: 'MC dropout',
  heteroEnsemble: 'heteroscedastic ensemble',
};

export interface UqExampleOptions {
  /** Grid cells per side (a multiple of 4; default 16). */
  n?: number;
  train?: number;
  val?: number;
  test?: number;
  epochs?: number;
  batch?: number;
  /** U-Net channels at the first level (default 4). */
  width?: number;
  /** Ensemble members (default 5). */
  members?: number;
  /** MC dropout passes (default 50) and probability (default 0.1). */
  passes?: number;
  dropout?: number;
  /** beta-NLL's beta for the heteroscedastic networks; 0 (default) is the Gaussian NLL. */
  beta?: number;
  lr?: number;
  seed?: number;
  onProgress?: (p: UqProgress) => void;
  /** Called with each trained network (e.g. to save a checkpoint). */
  onModel?: (name: string, model: tl.Module) => Promise<void> | void;
}

export interface UqProgress {
  phase: 'data' | 'train' | 'predict';
  /** Networks trained (of `total`), or methods predicted. */
  done: number;
  total: number;
  label: string;
  loss?: number;
}

/** A row-major [n, n] field. */
export interface Field {
  values: Float32Array;
  shape: [number, number];
}

export interface MethodResult {
  rmse: number;
  /** RMSE against the noise-free model (the noise is not predictable). */
  rmseClean: number;
  nll: number;
  coverage68: number;
  coverage95: number;
  ece: number;
  reliability: { nominal: number[]; observed: number[] };
  /** Mean over test cells of aleatoric sigma / known sigma (normalized units), and of the sigmas. */
  sigmaRatio: number;
  /**
   * What a calibrated aleatoric sigma would give: mean over cells of sqrt(sigma^2 + e^2) / sigma,
   * e^2 the test set's mean squared error of the mean against the noise-free model at that cell
   * (the part of the residual the input does not determine or the fit missed).
   */
  sigmaRatioExpected: number;
  meanAleatoricSigma: number;
  meanEpistemicSigma: number;
  /** Training loss per epoch of each network (NLL or MSE). */
  losses: number[][];
  trainSeconds: number;
  predictSeconds: number;
  /** One test sample: mean, total std, |error| (normalized units), and aleatoric sigma / known sigma averaged over the test set. */
  maps: { mean: Field; std: Field; error: Field; ratio: Field };
}

export interface UqExampleResult {
  n: number;
  dx: number;
  /** Normalization: model = mean + std * normalized value (km/s). */
  scale: { mean: number; std: number };
  parameters: number;
  counts: { train: number; val: number; test: number };
  /** The run's settings (beta > 0: the heteroscedastic networks trained with beta-NLL). */
  settings: {
    epochs: number;
    batch: number;
    width: number;
    members: number;
    passes: number;
    dropout: number;
    beta: number;
    lr: number;
    seed: number;
  };
  dataSeconds: number;
  totalSeconds: number;
  /** Known noise sigma (normalized) averaged over the map, and its range. */
  sigma: { mean: number; min: number; max: number };
  methods: Record<UqMethod, MethodResult>;
  example: { input: Field; truth: Field; target: Field; sigma: Field };
}

const DX = 0.05; // km
const BLUR = 1; // cells, the input's Gaussian blur
const VK_STD = 0.1; // km/s

/** Known noise sigma (normalized units): 0.5 at the top to 1 at the bottom, +0.5 in a patch. */
export function noiseSigma(n: number): Float32Array {
  const s = new Float32Array(n * n);
  const [z0, z1, x0, x1] = [Math.floor(n / 4), Math.floor(n / 2), Math.floor(n / 2), Math.floor((3 * n) / 4)];
  for (let z = 0; z < n; z++)
    for (let x = 0; x < n; x++) s[z * n + x] = 0.5 + (0.5 * z) / (n - 1) + (z >= z0 && z < z1 && x >= x0 && x < x1 ? 0.5 : 0);
  return s;
}

/** Gaussian blur (sigma BLUR cells, edge-clamped, separable), keep every 2nd cell, repeat each 2x2: the low-resolution input. */
function lowRes(m: Float64Array, n: number): Float64Array {
  const r = Math.ceil(3 * BLUR);
  const w = Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * BLUR * BLUR)));
  const ws = w.reduce((a, b) => a + b, 0);
  const clamp = (i: number) => Math.min(n - 1, Math.max(0, i));
  const pass = (a: Float64Array, alongZ: boolean) =>
    Float64Array.from({ length: n * n }, (_, i) => {
      const [z, x] = [Math.floor(i / n), i % n];
      let s = 0;
      for (let k = -r; k <= r; k++) s += w[k + r]! * (alongZ ? a[clamp(z + k) * n + x]! : a[z * n + clamp(x + k)]!);
      return s / ws;
    });
  const b = pass(pass(m, true), false);
  return Float64Array.from({ length: n * n }, (_, i) => b[(Math.floor(i / n) & ~1) * n + ((i % n) & ~1)]!);
}

/** Standard normal samples (Box-Muller) from a seeded uniform generator. */
function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * A U-Net that predicts a correction to its input image: mean = image + (first output channel); a second
 * channel, if any, is the raw log variance. The input is already a low-resolution image of the
 * target, and the U-Net's group norms discard each sample's level, which the skip restores. The
 * output conv starts at zero (bias logVar0 on the log-variance channel), so training starts from
 * the identity with a constant variance.
 */
export class ResidualUNet extends tl.Module {
  net: tl.UNet;
  constructor(outChannels: 1 | 2, opts: tl.UNetOptions, logVar0 = 0) {
    super();
    this.net = new tl.UNet(3, outChannels, opts);
    const w = this.net.out.weight;
    this.net.out.loadParameters({
      weight: tl.zeros(w.shape),
      bias: tl.tensor(outChannels === 1 ? [0] : [0, logVar0]),
    });
  }
  /** x: [N, 3, H, W], the image and its z and x coordinates; the image is channel 0. */
  forward(x: tl.Tensor): tl.Tensor {
    const out = this.net.forward(x);
    const image = tl.slice(x, [null, [0, 1]]);
    if (this.net.outChannels === 1) return tl.add(out, image);
    return tl.concat([tl.add(tl.slice(out, [null, [0, 1]]), image), tl.slice(out, [null, [1, 2]])], 1);
  }
}

export async function runUqExample(opts: UqExampleOptions = {}): Promise<UqExampleResult> {
  const n = opts.n ?? 16;
  const [nTrain, nVal, nTest] = [opts.train ?? 192, opts.val ?? 32, opts.test ?? 64];
  const epochs = opts.epochs ?? 15;
  const batch = opts.batch ?? 16;
  const width = opts.width ?? 4;
  const members = opts.members ?? 5;
  const passes = opts.passes ?? 50;
  const dropout = opts.dropout ?? 0.1;
  const beta = opts.beta ?? 0;
  const lr = opts.lr ?? 1e-2;
  const seed = opts.seed ?? 0;
  if (n % 4 !== 0 || n < 8) throw new Error(`runUqExample: n must be a multiple of 4 and at least 8, got ${n}`);
  if (members < 2) throw new Error(`runUqExample: members must be at least 2 (an ensemble), got ${members}`);
  const progress = opts.onProgress ?? (() => {});
  const tStart = performance.now();
  tl.seed(seed);

  // Data: models, low-resolution inputs, noisy targets; normalized by the training models' mean and std.
  const total = nTrain + nVal + nTest;
  const size = n * n;
  const vk = tl.vonKarman([total, n, n], { dx: DX, ax: 0.2, mean: 0, std: VK_STD, seed: seed + 11 });
  const vkHost = await vk.data();
  vk.dispose();
  const models = Array.from({ length: total }, (_, i) => {
    const m = tl.layeredModelValues({
      nz: n,
      nx: n,
      dx: DX,
      layers: [3, 6],
      faults: [0, 2],
      faultThrow: [0.05, 0.2],
      seed: seed * 100003 + i,
    });
    return m.values.map((v, k) => v + vkHost[i * size + k]!);
  });
  let [s1, s2] = [0, 0];
  for (let i = 0; i < nTrain; i++) for (const v of models[i]!) [s1, s2] = [s1 + v, s2 + v * v];
  const mMean = s1 / (nTrain * size);
  const mStd = Math.sqrt(s2 / (nTrain * size) - mMean * mMean);
  const sigma = noiseSigma(n);
  const rnd = mulberry32(seed + 23);
  const [xHost, yHost, cleanHost] = [new Float32Array(total * size), new Float32Array(total * size), new Float32Array(total * size)];
  models.forEach((m, i) => {
    const low = lowRes(m, n);
    for (let k = 0; k < size; k++) {
      cleanHost[i * size + k] = (m[k]! - mMean) / mStd;
      xHost[i * size + k] = (low[k]! - mMean) / mStd;
      yHost[i * size + k] = cleanHost[i * size + k]! + sigma[k]! * gaussian(rnd);
    }
    if (i % 32 === 31 || i === total - 1) progress({ phase: 'data', done: i + 1, total, label: 'models' });
  });
  // Inputs: the low-resolution model and two coordinate channels (z and x in [-1, 1]), so the
  // translation-equivariant U-Net can tell where the noise is larger (CoordConv).
  const withCoords = (from: number, to: number) => {
    const a = new Float32Array((to - from) * 3 * size);
    for (let i = from; i < to; i++)
      for (let k = 0; k < size; k++) {
        const at = (i - from) * 3 * size + k;
        [a[at], a[at + size], a[at + 2 * size]] = [
          xHost[i * size + k]!,
          (2 * Math.floor(k / n)) / (n - 1) - 1,
          (2 * (k % n)) / (n - 1) - 1,
        ];
      }
    return tl.tensor(a, { shape: [to - from, 3, n, n] });
  };
  const [xTrain, yTrain] = [withCoords(0, nTrain), tl.tensor(yHost.subarray(0, nTrain * size), { shape: [nTrain, 1, n, n] })];
  const [xVal, xTest] = [withCoords(nTrain, nTrain + nVal), withCoords(nTrain + nVal, total)];
  const yValHost = yHost.subarray(nTrain * size, (nTrain + nVal) * size);
  const yTestHost = yHost.subarray((nTrain + nVal) * size);
  const cleanTest = cleanHost.subarray((nTrain + nVal) * size);
  const dataSeconds = (performance.now() - tStart) / 1000;

  // Training: 1 + members - 1 heteroscedastic networks, `members` MSE networks, one dropout network.
  const nets = members + members + 1;
  let trained = 0;
  const train = { epochs, batch, lr };
  const tick = (label: string) => (epoch: number, loss: number) =>
    progress({ phase: 'train', done: trained + epoch / epochs, total: nets, label, loss });
  const done = async (label: string, m: tl.Module) => {
    trained++;
    await opts.onModel?.(label, m);
  };
  const hetLoss = beta > 0 ? { loss: 'beta-nll' as const, beta } : { loss: 'nll' as const };
  // The heteroscedastic nets' log variance starts at the training set's log mean (y - x)^2: the identity's homoscedastic fit.
  let r2 = 0;
  for (let k = 0; k < nTrain * size; k++) r2 += (yHost[k]! - xHost[k]!) ** 2 / (nTrain * size);
  const unet = (out: 1 | 2, k: number, extra: tl.UNetOptions = {}) =>
    new ResidualUNet(out, { depth: 2, width, seed: seed + 1000 * k, ...extra }, Math.log(r2));

  const hetero = unet(2, 0);
  const heteroFit = await tl.trainRegressor(hetero, xTrain, yTrain, { ...train, ...hetLoss, seed, onEpoch: tick('heteroscedastic') });
  await done('heteroscedastic', hetero);
  const heteroMore = await tl.trainEnsemble((k) => unet(2, k + 1), xTrain, yTrain, {
    ...train,
    ...hetLoss,
    members: members - 1,
    seed: seed + 1,
    onEpoch: tick('heteroscedastic ensemble'),
    onMember: () => void trained++,
  });
  const mseEns = await tl.trainEnsemble((k) => unet(1, k + 10), xTrain, yTrain, {
    ...train,
    members,
    seed: seed + 10,
    onEpoch: tick('deep ensemble'),
    onMember: () => void trained++,
  });
  const drop = unet(1, 20, { dropout, mcDropout: true });
  const dropFit = await tl.trainRegressor(drop, xTrain, yTrain, { ...train, seed: seed + 20, onEpoch: tick('MC dropout') });
  await done('mcDropout', drop);
  for (const [k, m] of heteroMore.members.entries()) await opts.onModel?.(`heteroEnsemble-${k + 1}`, m);
  for (const [k, m] of mseEns.members.entries()) await opts.onModel?.(`ensemble-${k}`, m);

  // Predictions on the validation set (the homoscedastic noise of (b), (c)) and on the test set.
  const sigmaHost = Float64Array.from(sigma);
  const read = async (p: tl.Predictive) => {
    const out = { mean: await p.mean.data(), aleatoric: await p.aleatoric.data(), epistemic: await p.epistemic.data() };
    for (const t of [p.mean, p.aleatoric, p.epistemic, p.total]) t.dispose();
    return out as { mean: Float32Array; aleatoric: Float32Array; epistemic: Float32Array };
  };
  const noiseFromVal = (v: { mean: Float32Array; epistemic: Float32Array }) => {
    let [mse, ep] = [0, 0];
    for (let i = 0; i < v.mean.length; i++) [mse, ep] = [mse + (v.mean[i]! - yValHost[i]!) ** 2, ep + v.epistemic[i]!];
    return Math.max(1e-6, (mse - ep) / v.mean.length);
  };
  const pb = { batch: 32 };
  const mcOpts = { ...pb, passes, seed: seed + 30 };
  const predictors: Record<UqMethod, () => Promise<{ mean: Float32Array; aleatoric: Float32Array; epistemic: Float32Array }>> = {
    heteroscedastic: () => read(tl.ensemblePredict([hetero], xTest, { ...pb, heteroscedastic: true })),
    heteroEnsemble: () => read(tl.ensemblePredict([hetero, ...heteroMore.members], xTest, { ...pb, heteroscedastic: true })),
    ensemble: async () => {
      const noiseVariance = noiseFromVal(await read(tl.ensemblePredict(mseEns.members, xVal, pb)));
      return read(tl.ensemblePredict(mseEns.members, xTest, { ...pb, noiseVariance }));
    },
    mcDropout: async () => {
      const noiseVariance = noiseFromVal(await read(tl.mcDropoutPredict(drop, xVal, mcOpts)));
      return read(tl.mcDropoutPredict(drop, xTest, { ...mcOpts, noiseVariance }));
    },
  };
  const losses: Record<UqMethod, number[][]> = {
    heteroscedastic: [heteroFit.losses],
    heteroEnsemble: [heteroFit.losses, ...heteroMore.results.map((r) => r.losses)],
    ensemble: mseEns.results.map((r) => r.losses),
    mcDropout: [dropFit.losses],
  };
  const seconds = (rs: { seconds: number }[]) => rs.reduce((s, r) => s + r.seconds, 0);
  const trainSeconds: Record<UqMethod, number> = {
    heteroscedastic: heteroFit.seconds,
    heteroEnsemble: heteroFit.seconds + seconds(heteroMore.results),
    ensemble: seconds(mseEns.results),
    mcDropout: dropFit.seconds,
  };
  const field = (a: ArrayLike<number>, at = 0): Field => ({
    values: Float32Array.from({ length: size }, (_, k) => a[at * size + k]!),
    shape: [n, n],
  });
  const methods = {} as Record<UqMethod, MethodResult>;
  for (const [i, method] of METHODS.entries()) {
    const t0 = performance.now();
    const p = await predictors[method]();
    const predictSeconds = (performance.now() - t0) / 1000;
    const variance = p.aleatoric.map((a, k) => a + p.epistemic[k]!);
    const report = tl.calibrationReport(p.mean, variance, yTestHost);
    let [ratio, expected, al, ep] = [0, 0, 0, 0];
    const ratioMap = new Float64Array(size);
    const clean2 = new Float64Array(size);
    for (let k = 0; k < p.mean.length; k++) {
      const s = Math.sqrt(p.aleatoric[k]!);
      ratioMap[k % size]! += s / sigmaHost[k % size]! / nTest;
      clean2[k % size]! += (p.mean[k]! - cleanTest[k]!) ** 2 / nTest;
      [al, ep] = [al + s, ep + Math.sqrt(p.epistemic[k]!)];
    }
    for (const [k, r] of ratioMap.entries()) {
      ratio += r / size;
      expected += Math.sqrt(sigmaHost[k]! ** 2 + clean2[k]!) / sigmaHost[k]! / size;
    }
    methods[method] = {
      rmse: report.rmse,
      rmseClean: tl.rmse(p.mean, cleanTest),
      nll: report.nll,
      coverage68: report.coverage68,
      coverage95: report.coverage95,
      ece: report.ece,
      reliability: { nominal: report.reliability.nominal, observed: report.reliability.observed },
      sigmaRatio: ratio,
      sigmaRatioExpected: expected,
      meanAleatoricSigma: al / p.mean.length,
      meanEpistemicSigma: ep / p.mean.length,
      losses: losses[method],
      trainSeconds: trainSeconds[method],
      predictSeconds,
      maps: {
        mean: field(p.mean),
        std: field(variance.map(Math.sqrt)),
        error: field(p.mean.map((m, k) => Math.abs(m - yTestHost[k]!))),
        ratio: field(ratioMap),
      },
    };
    progress({ phase: 'predict', done: i + 1, total: METHODS.length, label: METHOD_NAMES[method] });
  }

  let [sMean, sMin, sMax] = [0, Infinity, -Infinity];
  for (const s of sigma) [sMean, sMin, sMax] = [sMean + s / size, Math.min(sMin, s), Math.max(sMax, s)];
  const result: UqExampleResult = {
    n,
    dx: DX,
    scale: { mean: mMean, std: mStd },
    parameters: hetero.numParameters(),
    counts: { train: nTrain, val: nVal, test: nTest },
    settings: { epochs, batch, width, members, passes, dropout, beta, lr, seed },
    dataSeconds,
    totalSeconds: (performance.now() - tStart) / 1000,
    sigma: { mean: sMean, min: sMin, max: sMax },
    methods,
    example: { input: field(xHost, nTrain + nVal), truth: field(cleanTest), target: field(yTestHost), sigma: field(sigma) },
  };
  for (const t of [xTrain, yTrain, xVal, xTest]) t.dispose();
  for (const m of [hetero, drop, ...heteroMore.members, ...mseEns.members]) m.dispose();
  return result;
}
