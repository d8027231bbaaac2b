// The wave surrogate: FNO2d on (velocity, source-location channel, grid coordinates) -> the
// wavefield at N times on every node. Inputs and outputs in fixed scales: velocity (v - mean) / std,
// the source as a Gaussian bump of a fixed physical width (km), the wavefield divided by its RMS
// over the training set. Everything is physical (km), so the same model runs on a finer grid of the
// same box: the bump keeps its width in km, FNO2d's coordinates and padding scale with the grid.
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { type Tensor, tidy } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat, div, expand, reshape, sqrt, square, sub, sum } from '../../autodiff/ops.js';
import { FNO2d, type FNOActivation } from '../../nn/fno.js';
import { mse, relativeL2 } from '../../nn/losses.js';

export interface WaveFNOOptions {
  /** Fourier modes per axis. Default 12. */
  modes?: number;
  /** Channels of the Fourier layers. Default 32. */
  width?: number;
  /** Fourier layers. Default 4 (the paper's). */
  layers?: number;
  /** Hidden channels of the projection. Default 128. */
  projection?: number;
  /** Zero padding (fraction of the grid) against the FFT's periodic wrap. Default 0.125. */
  padFraction?: number;
  /** Default 'relu' (the paper's). */
  activation?: FNOActivation;
  seed?: number;
}
const MODEL_OPTIONS = optionNames<WaveFNOOptions>()('modes', 'width', 'layers', 'projection', 'padFraction', 'activation', 'seed');

/** FNO2d with two input channels (velocity, source) and `snapshots` output channels. */
export function waveFNO(snapshots: number, opts: WaveFNOOptions = {}): FNO2d {
  checkOptions(opts, MODEL_OPTIONS, 'waveFNO(snapshots, opts)');
  const modes = opts.modes ?? 12;
  return new FNO2d({
    inChannels: 2,
    outChannels: snapshots,
    modes1: modes,
    modes2: modes,
    width: opts.width ?? 32,
    layers: opts.layers ?? 4,
    projection: opts.projection ?? 128,
    padFraction: opts.padFraction ?? 0.125,
    activation: opts.activation ?? 'relu',
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  });
}

/** The fixed scales of a trained surrogate (stored with its weights). */
export interface WaveScales {
  /** Velocity normalization (km/s). */
  vMean: number;
  vStd: number;
  /** RMS of the training wavefields: the output unit. */
  uScale: number;
  /** Standard deviation (km) of the source bump. */
  sourceWidth: number;
}

/** The source channels [S, 1, nz, nx]: exp(-r² / 2σ²), r the distance (km) to each source cell. */
export function sourceChannel(sources: readonly (readonly [number, number])[], nz: number, nx: number, dx: number, width: number): Tensor {
  const v = new Float32Array(sources.length * nz * nx);
  const c = (dx * dx) / (2 * width * width);
  sources.forEach(([zs, xs], s) => {
    for (let i = 0; i < nz; i++) for (let j = 0; j < nx; j++) v[(s * nz + i) * nx + j] = Math.exp(-c * ((i - zs) ** 2 + (j - xs) ** 2));
  });
  return tensor(v, { shape: [sources.length, 1, nz, nx] });
}

/**
 * The FNO's input [S, 2, nz, nx] for velocities `v` ([S, nz, nx] or one [nz, nx] model shared by
 * all S sources, km/s; differentiable in v) and source cells on a grid of spacing dx (km).
 */
export function waveInputs(v: Tensor, sources: readonly (readonly [number, number])[], dx: number, scales: WaveScales): Tensor {
  const s = sources.length;
  const [nz, nx] = v.shape.slice(-2) as [number, number];
  if (v.rank !== 2 && !(v.rank === 3 && v.shape[0] === s))
    throw argError('waveInputs(v, sources, dx, scales)', 'v', `[nz, nx] or [${s}, nz, nx] (one model per source)`, v, Error);
  return tidy(() => {
    const vn = div(sub(v, scales.vMean), scales.vStd);
    const vc = v.rank === 2 ? expand(reshape(vn, [1, 1, nz, nx]), [s, 1, nz, nx]) : reshape(vn, [s, 1, nz, nx]);
    return concat([vc, sourceChannel(sources, nz, nx, dx, scales.sourceWidth)], 1);
  });
}

/** The surrogate's wavefields [S, N, nz, nx] in units of uScale (differentiable in v and the weights). */
export function waveForward(
  model: FNO2d,
  v: Tensor,
  sources: readonly (readonly [number, number])[],
  dx: number,
  scales: WaveScales,
): Tensor {
  return tidy(() => model.forward(waveInputs(v, sources, dx, scales)));
}

export type WaveLoss = 'rel-l2' | 'mse';

/** The training loss of predictions against targets (both [B, N, nz, nx], in units of uScale). */
export function waveLoss(kind: WaveLoss, pred: Tensor, target: Tensor): Tensor {
  if (kind === 'mse') return mse(pred, target);
  if (kind === 'rel-l2') return relativeL2(pred, target);
  throw argError('waveLoss(kind, pred, target)', 'kind', "'rel-l2' or 'mse'", kind);
}

/** Per-sample relative L2 errors [B] of pred against target ([B, ...]). */
export function relativeL2PerSample(pred: Tensor, target: Tensor): Tensor {
  return tidy(() => {
    const axes = Array.from({ length: target.rank - 1 }, (_, k) => k + 1);
    return sqrt(div(sum(square(sub(pred, target)), axes), sum(square(target), axes)));
  });
}

/** The paper's FWI loss: sum over sources, nodes and times of (u_obs - u_pred)². */
export function waveMisfit(pred: Tensor, observed: Tensor): Tensor {
  return sum(square(sub(observed, pred)));
}

/** ||a - b|| / ||b|| of two tensors (a model misfit). */
export function relativeError(a: Tensor, b: Tensor): Tensor {
  return tidy(() => sqrt(div(sum(square(sub(a, b))), sum(square(b)))));
}
