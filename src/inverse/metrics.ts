// Image-quality metrics for recovered models, per sample, differentiable (so either can be a loss).
import { type Tensor, tidy } from '../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { tensor } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, concat, div, mean, mul, reshape, slice, sqrt, square, sub, sum } from '../autodiff/ops.js';
import { conv2d } from '../nn/layers.js';
import { gaussianWeights } from './operators.js';

/** ||x_n - xTrue_n|| / ||xTrue_n|| per sample (axis 0 is the batch): shape [N]. */
export function relativeModelError(x: Tensor, xTrue: Tensor): Tensor {
  const what = 'relativeModelError(x, xTrue)';
  checkTensor(x, what, 'x');
  checkTensor(xTrue, what, 'xTrue');
  if (x.rank < 1 || x.shape.join() !== xTrue.shape.join())
    throw argError(what, 'x', `a tensor of xTrue's shape [${xTrue.shape.join(', ')}] (axis 0 the batch)`, x, Error);
  const n = x.shape[0]!;
  return tidy(() => {
    const norm = (t: Tensor): Tensor => sqrt(sum(square(reshape(t, [n, -1])), 1));
    return div(norm(sub(x, xTrue)), norm(xTrue));
  });
}

export interface SSIMOptions {
  /** The dynamic range L of the images (max - min of what they can hold): C1 = (K1 L)^2, C2 = (K2 L)^2. Required. */
  dataRange: number;
  /** Side of the Gaussian window. Default 11. */
  windowSize?: number;
  /** Standard deviation of the window. Default 1.5. */
  sigma?: number;
  /** Default 0.01. */
  k1?: number;
  /** Default 0.03. */
  k2?: number;
}
const SSIM_OPTIONS = optionNames<SSIMOptions>()('dataRange', 'windowSize', 'sigma', 'k1', 'k2');

/**
 * Mean structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of images [..., H, W], one
 * value per image (shape: the leading axes). Local means, variances and the covariance come from a
 * normalized Gaussian window (11 x 11, sigma 1.5) applied where it fits ('valid', as the authors'
 * ssim_index.m), with population (not sample) statistics; the SSIM map is averaged over those
 * positions. Needs H, W >= windowSize.
 */
export function ssim(x: Tensor, y: Tensor, opts: SSIMOptions): Tensor {
  const what = 'ssim(x, y, opts)';
  checkTensor(x, what, 'x');
  checkTensor(y, what, 'y');
  checkOptions(opts, SSIM_OPTIONS, what);
  const num = (v: unknown, arg: string, dflt: number | undefined): number => {
    const n = v ?? dflt;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw argError(what, arg, 'a finite number > 0', v, RangeError);
    return n;
  };
  const range = num(opts?.dataRange, 'opts.dataRange', undefined);
  const win = opts.windowSize ?? 11;
  if (!Number.isInteger(win) || win < 1 || win % 2 === 0) throw argError(what, 'opts.windowSize', 'an odd integer >= 1', win, RangeError);
  const sigma = num(opts.sigma, 'opts.sigma', 1.5);
  const c1 = (num(opts.k1, 'opts.k1', 0.01) * range) ** 2;
  const c2 = (num(opts.k2, 'opts.k2', 0.03) * range) ** 2;
  if (x.dtype !== 'float32' || x.rank < 2 || x.shape[x.rank - 1]! < win || x.shape[x.rank - 2]! < win)
    throw argError(what, 'x', `a float32 tensor [..., H, W] with H, W >= ${win} (the window)`, x, Error);
  if (y.shape.join() !== x.shape.join()) throw argError(what, 'y', `a tensor of x's shape [${x.shape.join(', ')}]`, y, Error);
  const lead = x.shape.slice(0, -2);
  const [h, w] = x.shape.slice(-2) as [number, number];
  const n = lead.reduce((a, b) => a * b, 1);
  return tidy(() => {
    const g = Float32Array.from(gaussianWeights(sigma, (win - 1) / 2));
    const kz = tensor(g, { shape: [1, 1, win, 1] });
    const kx = tensor(g, { shape: [1, 1, 1, win] });
    // The five filtered maps of every image in one batch of 5N single-channel images.
    const xs = reshape(x, [n, 1, h, w]);
    const ys = reshape(y, [n, 1, h, w]);
    const maps = reshape(conv2d(conv2d(concat([xs, ys, square(xs), square(ys), mul(xs, ys)]), kz), kx), [5, n, h - win + 1, w - win + 1]);
    const part = (i: number): Tensor => reshape(slice(maps, [[i, i + 1]]), [n, h - win + 1, w - win + 1]);
    const [mx, my, exx, eyy, exy] = [0, 1, 2, 3, 4].map(part) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const mxy = mul(mx, my);
    const mx2 = square(mx);
    const my2 = square(my);
    const num1 = add(mul(mxy, 2), c1);
    const num2 = add(mul(sub(exy, mxy), 2), c2);
    const den1 = add(add(mx2, my2), c1);
    const den2 = add(add(sub(exx, mx2), sub(eyy, my2)), c2);
    const map = div(mul(num1, num2), mul(den1, den2));
    return reshape(mean(map, [1, 2]), lead);
  });
}
