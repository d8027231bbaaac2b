// FNO2d: the two-dimensional Fourier neural operator (Li et al. 2021). The input [batch, in, H, W]
// gets two extra channels, the normalized grid coordinates, is lifted to `width` channels by a 1x1
// convolution, padded on the right and bottom, passed through `layers` Fourier layers
// (SpectralConv2d + 1x1 convolution, summed, the activation after all but the last), cropped back to
// H x W and projected pointwise width -> 128 -> activation -> out. The activation is GELU by default
// (Li et al.'s later code); Yang et al. 2021 use ReLU.
//
// Resolution independence: the model is meant to be one operator on functions over the unit square,
// so everything that depends on the grid scales with it. The coordinates are x = j / W and z = i / H
// (cell starts in [0, 1); at 2H x 2W the even samples sit at the same points as the H x W grid), and
// the padding is a FRACTION of the domain, round(padFraction H) rows and round(padFraction W)
// columns, so the padded domain the Fourier layers see as periodic is the same physical box at every
// resolution. (A fixed number of padding cells would change that box, hence the operator, with the grid.)
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { type Tensor, tidy } from '../graph/tensor.js';
import { tensor } from '../ops/creation.js';
import { checkInt, checkTensor } from '../ops/emit.js';
import { add, concat, gelu, pad, relu, slice, tanh } from '../autodiff/ops.js';
import { Conv1x1 } from './layers.js';
import { Module } from './module.js';
import { SpectralConv2d } from './spectral.js';

export interface FNO2dOptions {
  inChannels: number;
  outChannels: number;
  /** Fourier modes kept along H (rows, both signs) and along W (columns of the half spectrum). */
  modes1: number;
  modes2: number;
  /** Channels of the Fourier layers. Default 32. */
  width?: number;
  /** Number of Fourier layers. Default 4. */
  layers?: number;
  /** Zero padding on the right and bottom, as a fraction of W and H (for non-periodic problems). Default 0. */
  padFraction?: number;
  /** Hidden channels of the projection. Default 128. */
  projection?: number;
  /** Seed of the initialization (each submodule gets its own offset); default the global generator. */
  seed?: number;
  /** Nonlinearity after the Fourier layers (all but the last) and inside the projection. Default 'gelu'. */
  activation?: FNOActivation;
}

export type FNOActivation = 'gelu' | 'relu' | 'tanh';
const ACTIVATIONS: Record<FNOActivation, (x: Tensor) => Tensor> = { gelu, relu, tanh };

const FNO2D_OPTIONS = optionNames<FNO2dOptions>()(
  'inChannels',
  'outChannels',
  'modes1',
  'modes2',
  'width',
  'layers',
  'padFraction',
  'projection',
  'seed',
  'activation',
);

/** The [batch, 2, H, W] coordinate channels: x = j / W (along W), z = i / H (along H). */
function gridChannels(batch: number, h: number, w: number): Tensor {
  const v = new Float32Array(batch * 2 * h * w);
  for (let b = 0; b < batch; b++) {
    const o = b * 2 * h * w;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        v[o + i * w + j] = j / w;
        v[o + h * w + i * w + j] = i / h;
      }
  }
  return tensor(v, { shape: [batch, 2, h, w] });
}

/**
 * FNO2d({ inChannels, outChannels, modes1, modes2, width, layers, padFraction, projection, seed, activation }):
 * [batch, inChannels, H, W] -> [batch, outChannels, H, W]. Parameters: lift, spectral.k, pointwise.k,
 * proj1, proj2 (as parameters() names them). The padded grid must keep modes1 <= floor(H'/2) and
 * modes2 <= floor(W'/2) + 1.
 */
export class FNO2d extends Module {
  lift: Conv1x1;
  spectral: SpectralConv2d[];
  pointwise: Conv1x1[];
  proj1: Conv1x1;
  proj2: Conv1x1;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly width: number;
  readonly padFraction: number;
  readonly activation: FNOActivation;

  constructor(opts: FNO2dOptions) {
    super();
    const fn = 'FNO2d(opts)';
    if (opts === null || typeof opts !== 'object') throw argError(fn, 'opts', 'an object', opts);
    checkOptions(opts, FNO2D_OPTIONS, fn);
    this.inChannels = checkInt(opts.inChannels, fn, 'inChannels', 1);
    this.outChannels = checkInt(opts.outChannels, fn, 'outChannels', 1);
    const m1 = checkInt(opts.modes1, fn, 'modes1', 1);
    const m2 = checkInt(opts.modes2, fn, 'modes2', 1);
    this.width = checkInt(opts.width ?? 32, fn, 'width', 1);
    const n = checkInt(opts.layers ?? 4, fn, 'layers', 1);
    const hidden = checkInt(opts.projection ?? 128, fn, 'projection', 1);
    const pf = opts.padFraction ?? 0;
    if (typeof pf !== 'number' || !Number.isFinite(pf) || pf < 0) throw argError(fn, 'padFraction', 'a finite number >= 0', pf);
    this.padFraction = pf;
    const act = opts.activation ?? 'gelu';
    if (typeof act !== 'string' || !Object.prototype.hasOwnProperty.call(ACTIVATIONS, act))
      throw argError(fn, 'activation', `one of ${Object.keys(ACTIVATIONS).join(', ')}`, act);
    this.activation = act;
    const s = opts.seed;
    const seed = (k: number): { seed?: number } => (s === undefined ? {} : { seed: s + 10 * k });
    this.lift = new Conv1x1(this.inChannels + 2, this.width, seed(0));
    this.spectral = Array.from({ length: n }, (_, k) => new SpectralConv2d(this.width, this.width, m1, m2, seed(1 + 2 * k)));
    this.pointwise = Array.from({ length: n }, (_, k) => new Conv1x1(this.width, this.width, seed(2 + 2 * k)));
    this.proj1 = new Conv1x1(this.width, hidden, seed(2 * n + 1));
    this.proj2 = new Conv1x1(hidden, this.outChannels, seed(2 * n + 2));
  }

  /** The padding [rows, columns] used for an H x W input. */
  padding(h: number, w: number): [number, number] {
    return [Math.round(this.padFraction * h), Math.round(this.padFraction * w)];
  }

  forward(x: Tensor): Tensor {
    const what = `FNO2d.forward(x)`;
    checkTensor(x, what, 'x');
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw argError(what, 'x', `a tensor [batch, ${this.inChannels}, H, W]`, x, Error);
    const [b, , h, w] = x.shape as [number, number, number, number];
    const [ph, pw] = this.padding(h, w);
    const act = ACTIVATIONS[this.activation];
    return tidy(() => {
      let y = this.lift.forward(concat([x, gridChannels(b, h, w)], 1));
      if (ph > 0 || pw > 0)
        y = pad(y, [
          [0, ph],
          [0, pw],
        ]);
      const n = this.spectral.length;
      for (let k = 0; k < n; k++) {
        y = add(this.spectral[k]!.forward(y), this.pointwise[k]!.forward(y));
        if (k < n - 1) y = act(y);
      }
      if (ph > 0 || pw > 0) y = slice(y, [null, null, [0, h], [0, w]]);
      return this.proj2.forward(act(this.proj1.forward(y)));
    });
  }
}
