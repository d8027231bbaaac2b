// SpectralConv2d: the Fourier layer of a Fourier neural operator (Li et al. 2021). rfft2 of the
// input, keep the lowest modes1 rows of both the positive and the negative frequencies and the
// lowest modes2 columns of the half spectrum, mix channels there with two complex weight tensors
// (one per row block), place the result in an otherwise zero spectrum and irfft2 back to H x W.
// The truncation and mixing run in one fused kernel (shaders/spectral.wgsl) whose VJPs are two
// sibling kernels (the adjoint mix and the weight gradient), each recorded with its own VJP, so
// gradients of any order work; { fused: false } builds the same layer from differentiable ops
// (rfft2, slice, cmix, pad, concat, irfft2) instead.
//
// Conventions: rfft2 and irfft2 use the default norm ('backward': forward unscaled, inverse
// 1/(H W)). Any matching pair gives the same layer, since the two scales multiply to 1/(H W); the
// weights then act on the Fourier coefficients c_k = X_k / (H W) of the input, so the layer maps
// a band-limited function to the same function whatever the grid it is sampled on. irfft2 takes
// the Hermitian part of the zero-frequency column (and of the Nyquist column for even W) as
// numpy/torch do, i.e. the imaginary parts there are ignored.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { tidy, type Tensor } from '../graph/tensor.js';
import { rand } from '../ops/creation.js';
import { checkInt, checkTensor } from '../ops/emit.js';
import { concat, pad, slice, stack } from '../autodiff/ops.js';
import { record, save } from '../autodiff/tape.js';
import { spectralMixRaw, spectralWeightGradRaw } from '../ops/spectral.js';
import { cmix } from '../autodiff/complex.js';
import { irfft2, rfft2 } from '../autodiff/fft.js';
import { Module } from './module.js';

export interface SpectralConv2dOptions {
  /** Seed of the initialization (weights1: seed, weights2: seed + 1); default the global generator. */
  seed?: number;
  /** Truncation and mixing in one fused kernel (default true), or composed from slice/cmix/pad/concat. */
  fused?: boolean;
}

type T = Tensor;

// The fused mode mixing and its two sibling kernels, closed under VJPs (w stacked [2, I, O, m1, m2]):
//   F(x, w)  = y[b, o] = sum_i x[b, i] w[i, o]            VJP g -> [A(g, w), G(x, g)]
//   A(g, w)  = sum_o g[b, o] conj(w[i, o])                VJP h -> [F(h, w), G(h, g)]
//   G(u, v)  = sum_b conj(u[b, i]) v[b, o]                VJP k -> [A(v, k), F(u, k)]
// (kept modes only; F and A are zero elsewhere). Gradients of a real loss with respect to a
// complex tensor stored as (re, im) pairs are dL/dre + i dL/dim, hence the conjugates.
const SPECTRAL_OPTIONS = optionNames<SpectralConv2dOptions>()('seed', 'fused');

function mixF(x: T, w: T): T {
  return record('spectralMix', spectralMixRaw(x, w, false), [x, w], () => {
    const [sx, sw] = [save(x), save(w)];
    return (g) => [mixA(g, sw), mixG(sx, g, sw)];
  });
}

function mixA(g: T, w: T): T {
  return record('spectralMixAdjoint', spectralMixRaw(g, w, true), [g, w], () => {
    const [sg, sw] = [save(g), save(w)];
    return (h) => [mixF(h, sw), mixG(h, sg, sw)];
  });
}

/** `like` only supplies the modes (the weights' shape). */
function mixG(u: T, v: T, like: T): T {
  const [m1, m2] = [like.shape[3]!, like.shape[4]!];
  return record('spectralWeightGrad', spectralWeightGradRaw(u, v, m1, m2), [u, v], () => {
    const [su, sv] = [save(u), save(v)];
    return (k) => [mixA(sv, k), mixF(su, k)];
  });
}

/**
 * SpectralConv2d(in, out, modes1, modes2): x [batch, in, H, W] real -> [batch, out, H, W].
 * Parameters weights1 and weights2, complex [in, out, modes1, modes2] (float32 [in, out, modes1,
 * modes2, 2]), for the rows 0..modes1-1 and H-modes1..H-1 of the spectrum; initialised as the
 * reference implementation: 1/(in out) times U[0, 1) in both the real and imaginary parts.
 * Needs modes1 <= floor(H / 2) and modes2 <= floor(W / 2) + 1.
 */
export class SpectralConv2d extends Module {
  weights1: Tensor;
  weights2: Tensor;
  private readonly fused: boolean;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly modes1: number,
    readonly modes2: number,
    opts: SpectralConv2dOptions = {},
  ) {
    super();
    const fn = 'SpectralConv2d(inChannels, outChannels, modes1, modes2, opts)';
    checkOptions(opts, SPECTRAL_OPTIONS, fn);
    checkInt(inChannels, fn, 'inChannels', 1);
    checkInt(outChannels, fn, 'outChannels', 1);
    checkInt(modes1, fn, 'modes1', 1);
    checkInt(modes2, fn, 'modes2', 1);
    const scale = 1 / (inChannels * outChannels);
    const shape = [inChannels, outChannels, modes1, modes2, 2];
    const seed = (k: number): { seed?: number } => (opts.seed === undefined ? {} : { seed: opts.seed + k });
    this.weights1 = rand(shape, { low: 0, high: scale, ...seed(0) });
    this.weights2 = rand(shape, { low: 0, high: scale, ...seed(1) });
    this.fused = opts.fused ?? true;
  }

  forward(x: Tensor): Tensor {
    const what = `SpectralConv2d(${this.inChannels}, ${this.outChannels}, ${this.modes1}, ${this.modes2}).forward(x)`;
    checkTensor(x, what, 'x');
    if (x.rank !== 4 || x.shape[1] !== this.inChannels)
      throw argError(what, 'x', `a real tensor [batch, ${this.inChannels}, H, W]`, x, Error);
    const [, , h, w] = x.shape as [number, number, number, number];
    const m1 = this.modes1;
    const m2 = this.modes2;
    const wh = Math.floor(w / 2) + 1;
    if (m1 > Math.floor(h / 2))
      throw new Error(`tellus: ${what}: modes1 = ${m1} needs H >= ${2 * m1} (both row blocks of ${m1} modes), got H = ${h}`);
    if (m2 > wh) throw new Error(`tellus: ${what}: modes2 = ${m2} exceeds the ${wh} columns of the half spectrum of W = ${w}`);
    if (this.fused) return tidy(() => irfft2(mixF(rfft2(x), stack([this.weights1, this.weights2])), { s: [h, w] }));
    return tidy(() => {
      const xf = rfft2(x); // [batch, in, H, wh, 2]
      const top = cmix(slice(xf, [null, null, [0, m1], [0, m2]]), this.weights1); // [batch, out, m1, m2, 2]
      const bot = cmix(slice(xf, [null, null, [h - m1, h], [0, m2]]), this.weights2);
      // Zero spectrum with the two blocks in place: rows [top; 0; bot], columns [0, m2) of wh.
      const rows =
        h > 2 * m1
          ? concat(
              [
                pad(top, [
                  [0, h - 2 * m1],
                  [0, 0],
                  [0, 0],
                ]),
                bot,
              ],
              2,
            )
          : concat([top, bot], 2);
      const full =
        m2 < wh
          ? pad(rows, [
              [0, wh - m2],
              [0, 0],
            ])
          : rows;
      return irfft2(full, { s: [h, w] });
    });
  }
}
