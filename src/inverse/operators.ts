// Linear forward operators as (A, AT) pairs of differentiable functions on batches of models
// [N, 1, H, W] (the layout the prox CNN reads). Everything is built from differentiable ops, so the
// unrolled scheme can be trained through A and AT, and each pair is checked by a dot test
// (test/unrolled.test.ts). Counting wrappers let solvers report how many applications they used.
import { type Tensor, tidy } from '../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { tensor } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, concat, pad, reshape, slice, stack, sub } from '../autodiff/ops.js';
import { conv2d } from '../nn/layers.js';
import { born2d, rtm2d, type Acoustic2dOptions } from '../physics/index.js';

/** A linear operator and its adjoint, both differentiable functions of a tensor. */
export interface LinearOperator {
  A: (x: Tensor) => Tensor;
  AT: (y: Tensor) => Tensor;
}

/** How many times A and AT were applied (per batch: one application maps the whole batch). */
export interface Applications {
  A: number;
  AT: number;
  total: number;
}

/** The operator with counters on A and AT: `count()` reads them, `reset()` zeroes them. */
export interface CountedOperator extends LinearOperator {
  count(): Applications;
  reset(): void;
}

export function countApplications(op: LinearOperator, what = 'countApplications(op)'): CountedOperator {
  checkOperator(op, what);
  let a = 0;
  let at = 0;
  return {
    A: (x) => (a++, op.A(x)),
    AT: (y) => (at++, op.AT(y)),
    count: () => ({ A: a, AT: at, total: a + at }),
    reset: () => void (a = at = 0),
  };
}

export function checkOperator(op: unknown, what: string): LinearOperator {
  const o = op as Partial<LinearOperator> | null;
  if (o === null || typeof o !== 'object' || typeof o.A !== 'function' || typeof o.AT !== 'function')
    throw argError(what, 'op', 'an object { A, AT } of two functions (the operator and its adjoint)', op);
  return o as LinearOperator;
}

/** Checks a batch of models [N, 1, H, W] and returns [N, H, W]. */
export function modelShape(x: Tensor, what: string, arg: string, minSize = 1): [number, number, number] {
  checkTensor(x, what, arg);
  if (x.dtype !== 'float32' || x.rank !== 4 || x.shape[1] !== 1 || x.shape[2]! < minSize || x.shape[3]! < minSize)
    throw argError(what, arg, `a float32 tensor [N, 1, H, W] with H, W >= ${minSize}`, x, Error);
  return [x.shape[0]!, x.shape[2]!, x.shape[3]!];
}

/** Normalized 1-D Gaussian weights exp(-i^2 / (2 sigma^2)), i = -radius..radius, in float64. */
export function gaussianWeights(sigma: number, radius: number): Float64Array {
  const w = new Float64Array(2 * radius + 1);
  let s = 0;
  for (let i = -radius; i <= radius; i++) s += w[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return w.map((v) => v / s);
}

export interface GaussianBlurOptions {
  /** Standard deviation in cells along z (axis H). Default 2. */
  sigma?: number;
  /** Along x (axis W). Default: sigma. */
  sigmaX?: number;
  /** Half-width of the kernel in cells. Default ceil(3 sigma) per axis. */
  radius?: number;
}
const BLUR_OPTIONS = optionNames<GaussianBlurOptions>()('sigma', 'sigmaX', 'radius');

/**
 * Gaussian blur of models [N, 1, H, W] with zero padding ("same" size), as two 1-D correlations.
 * A zero-padded correlation's adjoint is the correlation with the flipped kernel, zero padded the
 * same way; the Gaussian is symmetric, so AT applies the flipped (equal) weights through the same code.
 */
export function gaussianBlur(opts: GaussianBlurOptions = {}): LinearOperator {
  const what = 'gaussianBlur(opts)';
  checkOptions(opts, BLUR_OPTIONS, what);
  const pos = (v: unknown, arg: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw argError(what, arg, 'a finite number > 0', v, RangeError);
    return v;
  };
  const sz = pos(opts.sigma ?? 2, 'opts.sigma');
  const sx = pos(opts.sigmaX ?? sz, 'opts.sigmaX');
  if (opts.radius !== undefined && (!Number.isInteger(opts.radius) || opts.radius < 1))
    throw argError(what, 'opts.radius', 'an integer >= 1', opts.radius, RangeError);
  const rz = opts.radius ?? Math.ceil(3 * sz);
  const rx = opts.radius ?? Math.ceil(3 * sx);
  const wz = gaussianWeights(sz, rz);
  const wx = gaussianWeights(sx, rx);
  const kernels = (flip: boolean): [Tensor, Tensor] => {
    const f = (w: Float64Array): Float32Array => Float32Array.from(flip ? [...w].reverse() : w);
    return [tensor(f(wz), { shape: [1, 1, wz.length, 1] }), tensor(f(wx), { shape: [1, 1, 1, wx.length] })];
  };
  const fwd = kernels(false);
  const adj = kernels(true);
  const apply = (x: Tensor, [kz, kx]: [Tensor, Tensor], name: string): Tensor => {
    modelShape(x, `gaussianBlur().${name}(x)`, 'x');
    return tidy(() => conv2d(conv2d(x, kz, null, { padding: [rz, 0] }), kx, null, { padding: [0, rx] }));
  };
  return { A: (x) => apply(x, fwd, 'A'), AT: (y) => apply(y, adj, 'AT') };
}

/**
 * Forward differences of models [N, 1, H, W]: L x = [vec(D_z x), vec(D_x x)] per sample, shape
 * [N, (H-1) W + H (W-1)]; L^T L is the Tikhonov smoothing penalty's operator (a Neumann Laplacian,
 * sign flipped). The model size is fixed up front so AT can split its input.
 */
export function gradient2d(h: number, w: number): LinearOperator {
  const what = 'gradient2d(h, w)';
  for (const [v, arg] of [
    [h, 'h'],
    [w, 'w'],
  ] as const)
    if (!Number.isInteger(v) || v < 2) throw argError(what, arg, 'an integer >= 2', v, RangeError);
  const nz = (h - 1) * w;
  const len = nz + h * (w - 1);
  const A = (x: Tensor): Tensor => {
    const [n, xh, xw] = modelShape(x, 'gradient2d().A(x)', 'x');
    if (xh !== h || xw !== w) throw argError('gradient2d().A(x)', 'x', `a tensor [N, 1, ${h}, ${w}]`, x, Error);
    return tidy(() => {
      const dz = sub(slice(x, [null, null, [1, h]]), slice(x, [null, null, [0, h - 1]]));
      const dx = sub(slice(x, [null, null, null, [1, w]]), slice(x, [null, null, null, [0, w - 1]]));
      return concat([reshape(dz, [n, -1]), reshape(dx, [n, -1])], 1);
    });
  };
  // (D^T y)_j = y_{j-1} - y_j with y_{-1} = y_{n-1} = 0: pad by one on each side and subtract.
  const diffT = (y: Tensor, axis: 2 | 3): Tensor => {
    const pads = (side: 0 | 1): [number, number][] => [0, 1, 2, 3].map((a) => (a === axis ? (side ? [0, 1] : [1, 0]) : [0, 0]));
    return sub(pad(y, pads(0)), pad(y, pads(1)));
  };
  const AT = (y: Tensor): Tensor => {
    checkTensor(y, 'gradient2d().AT(y)', 'y');
    if (y.rank !== 2 || y.shape[1] !== len) throw argError('gradient2d().AT(y)', 'y', `a tensor [N, ${len}]`, y, Error);
    const n = y.shape[0]!;
    return tidy(() => {
      const dz = reshape(slice(y, [null, [0, nz]]), [n, 1, h - 1, w]);
      const dx = reshape(slice(y, [null, [nz, len]]), [n, 1, h, w - 1]);
      return add(diffT(dz, 2), diffT(dx, 3));
    });
  };
  return { A, AT };
}

/**
 * Born modelling around a fixed background v0 as a linear operator on velocity perturbations
 * [N, 1, nz, nx] -> data [N, shot, receiver, time]: A = born2d, AT = rtm2d (its exact discrete
 * adjoint, docs/acoustic.md), one call per model of the batch.
 */
export function bornOperator(v0: Tensor, opts: Acoustic2dOptions): LinearOperator {
  const what = 'bornOperator(v0, opts)';
  checkTensor(v0, what, 'v0');
  if (v0.rank !== 2) throw argError(what, 'v0', 'a float32 tensor [nz, nx]', v0, Error);
  const [nz, nx] = v0.shape as [number, number];
  return {
    A: (x) => {
      const [n, h, w] = modelShape(x, 'bornOperator().A(x)', 'x');
      if (h !== nz || w !== nx) throw argError('bornOperator().A(x)', 'x', `a tensor [N, 1, ${nz}, ${nx}] (v0's grid)`, x, Error);
      return tidy(() => stack(Array.from({ length: n }, (_, i) => born2d(v0, reshape(slice(x, [[i, i + 1]]), [nz, nx]), opts))));
    },
    AT: (y) => {
      checkTensor(y, 'bornOperator().AT(y)', 'y');
      if (y.rank !== 4) throw argError('bornOperator().AT(y)', 'y', 'a float32 tensor [N, shot, receiver, time]', y, Error);
      const n = y.shape[0]!;
      return tidy(() =>
        reshape(stack(Array.from({ length: n }, (_, i) => rtm2d(v0, reshape(slice(y, [[i, i + 1]]), y.shape.slice(1)), opts))), [
          n,
          1,
          nz,
          nx,
        ]),
      );
    },
  };
}
