// Differentiable FFTs with NumPy's API (numpy.fft: fft, ifft, rfft, irfft, their 2-D and n-D
// forms, `n` / `s` to crop or zero-pad, `norm` 'backward' | 'ortho' | 'forward'). Complex tensors
// are float32 with a trailing (re, im) axis; axes count the logical dims. Three linear cores
// record tape nodes whose VJPs are the adjoint transforms, written with the same cores, so
// gradients of any order work:
//  * c2c (scale s, sign +-): adjoint is c2c with the opposite sign and the same scale;
//  * r2c (real x -> half spectrum): adjoint is Re(F^H [g, 0]) = c2r(g / w), where w_k = 2 for the
//    bins that stand for a conjugate pair and 1 for DC (and Nyquist for even n);
//  * c2r (half spectrum -> real, the Hermitian extension): adjoint is w * r2c(g).
// Cropping and padding along the axis (input length != n) are undone in the VJPs with slice/pad.
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { tensor } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { checkComplex } from '../ops/complex.js';
import { checkFftLength, fftAxis } from '../ops/fft.js';
import { record } from './tape.js';
import { mul, pad, slice } from './ops.js';

type T = Tensor;
export type FftNorm = 'backward' | 'ortho' | 'forward';

export interface FftOptions {
  /** Logical axis to transform (default -1). */
  axis?: number;
  /** Transform length: the input is cropped or zero-padded to it (default: its length along axis). */
  n?: number;
  norm?: FftNorm;
}

export interface FftNOptions {
  /** Logical axes to transform (default: the last len(s) axes, or all axes). */
  axes?: readonly number[];
  /** Transform lengths per axis (NumPy's `s`). */
  s?: readonly number[];
  norm?: FftNorm;
}

/** Crops or zero-pads logical `axis` of `t` to length `len` (differentiable). */
function fit(t: T, axis: number, len: number): T {
  const cur = t.shape[axis]!;
  if (cur === len) return t;
  if (cur > len)
    return slice(
      t,
      t.shape.map((_, i) => (i === axis ? ([0, len] as const) : null)),
    );
  return pad(
    t,
    t.shape.map((_, i) => (i === axis ? [0, len - cur] : [0, 0])),
  );
}

/** Weights w_k of a half spectrum of length n/2 + 1, shaped to broadcast along `axis`. */
function halfWeights(n: number, axis: number, shape: readonly number[], power: 1 | -1): T {
  const h = Math.floor(n / 2) + 1;
  const w = Float32Array.from({ length: h }, (_, k) => (k === 0 || (n % 2 === 0 && k === n / 2) ? 1 : power === 1 ? 2 : 0.5));
  return tensor(w, { shape: shape.map((d, i) => (i === axis ? h : 1)) });
}

/** c2c along one (non-negative) logical axis of a complex tensor. */
function c2c(x: T, axis: number, n: number, inverse: boolean, scale: number): T {
  const inLen = x.shape[axis]!;
  const out = fftAxis(x, { axis, input: 'complex', n, inverse, scale, outLen: n, outReal: false });
  return record(inverse ? 'ifft' : 'fft', out, [x], () => (g) => [fit(c2c(g, axis, n, !inverse, scale), axis, inLen)]);
}

/** Real x along `axis` -> its first n/2 + 1 DFT coefficients, times scale. */
function r2c(x: T, axis: number, n: number, scale: number): T {
  const inLen = x.shape[axis]!;
  const h = Math.floor(n / 2) + 1;
  const out = fftAxis(x, { axis, input: 'real', n, inverse: false, scale, outLen: h, outReal: false });
  return record('rfft', out, [x], () => (g) => {
    const w = halfWeights(n, axis, g.shape, -1);
    const gx = c2r(mul(g, w), axis, n, scale);
    w.dispose();
    return [fit(gx, axis, inLen)];
  });
}

/** Half spectrum along `axis` -> the real signal of length n it stands for, times scale (unnormalized inverse). */
function c2r(x: T, axis: number, n: number, scale: number): T {
  const inLen = x.shape[axis]!;
  const out = fftAxis(x, { axis, input: 'hermitian', n, inverse: true, scale, outLen: n, outReal: true });
  return record('irfft', out, [x], () => (g) => {
    const spec = r2c(g, axis, n, scale);
    const w = halfWeights(n, axis, spec.shape, 1);
    const gx = mul(spec, w);
    w.dispose();
    return [fit(gx, axis, inLen)];
  });
}

const NORMS: readonly FftNorm[] = ['backward', 'ortho', 'forward'];

/** The scale of a transform of length n: forward transforms divide by n under 'forward', inverse under 'backward'. */
function scaleOf(norm: unknown, n: number, inverse: boolean, what: string): number {
  const v = norm ?? 'backward';
  if (!NORMS.includes(v as FftNorm)) throw argError(what, 'norm', `one of ${NORMS.map((s) => `'${s}'`).join(', ')}`, norm);
  if (v === 'ortho') return 1 / Math.sqrt(n);
  return (v === 'forward') !== inverse ? 1 / n : 1;
}

function checkAxis(axis: unknown, rank: number, what: string, arg: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const range = `an integer in [${-rank}, ${rank - 1}] (logical axes${rank > 0 ? '' : ': the tensor has none'})`;
    throw argError(what, arg, range, axis, RangeError);
  }
  return axis < 0 ? axis + rank : axis;
}

const FFT_OPTIONS = optionNames<FftOptions>()('axis', 'n', 'norm');
const FFTN_OPTIONS = optionNames<FftNOptions>()('axes', 's', 'norm');

/** Logical shape of the input: complex (trailing pair axis) or real. */
function inputShape(x: unknown, isComplex: boolean, what: string): number[] {
  if (isComplex) return checkComplex(x, what, 'x');
  const t = checkTensor(x, what, 'x');
  if (t.dtype !== 'float32') throw argError(what, 'x', 'a real float32 tensor', t);
  return [...t.shape];
}

function oneD(x: T, opts: FftOptions, kind: 'fft' | 'ifft' | 'rfft' | 'irfft'): T {
  const what = `${kind}(x, opts)`;
  const o = checkOptions(opts, FFT_OPTIONS, what);
  const shape = inputShape(x, kind !== 'rfft', what);
  const axis = checkAxis(o.axis ?? -1, shape.length, what, 'axis');
  const len = shape[axis]!;
  const defaultN = kind === 'irfft' ? 2 * (len - 1) : len;
  const n = checkFftLength(
    o.n ?? defaultN,
    what,
    `n${o.n === undefined ? ` (default ${kind === 'irfft' ? '2 (m - 1) for a half spectrum of length m' : 'the axis length'})` : ''}`,
  );
  const scale = scaleOf(o.norm, n, kind === 'ifft' || kind === 'irfft', what);
  if (kind === 'rfft') return r2c(x, axis, n, scale);
  if (kind === 'irfft') return c2r(x, axis, n, scale);
  return c2c(x, axis, n, kind === 'ifft', scale);
}

/** Discrete Fourier transform of a complex tensor along one axis: X_k = sum_j x_j exp(-2 pi i jk / n). */
export const fft = (x: T, opts: FftOptions = {}): T => oneD(x, opts, 'fft');
/** Inverse DFT along one axis: x_j = (1/n) sum_k X_k exp(2 pi i jk / n) under norm 'backward'. */
export const ifft = (x: T, opts: FftOptions = {}): T => oneD(x, opts, 'ifft');
/** DFT of a real tensor along one axis: the n/2 + 1 non-negative frequencies, as a complex tensor. */
export const rfft = (x: T, opts: FftOptions = {}): T => oneD(x, opts, 'rfft');
/** Inverse of rfft: a half spectrum of length m -> real signal of length n (default 2 (m - 1)). */
export const irfft = (x: T, opts: FftOptions = {}): T => oneD(x, opts, 'irfft');

/** Axes and lengths of an n-D transform, as numpy.fft does: axes default to the last len(s) (or all). */
function nd(
  x: unknown,
  opts: FftNOptions,
  isComplexIn: boolean,
  what: string,
  defAxes?: number[],
): { axes: number[]; s: (number | undefined)[]; shape: number[] } {
  const o = checkOptions(opts, FFTN_OPTIONS, what);
  const shape = inputShape(x, isComplexIn, what);
  const r = shape.length;
  if (defAxes && r < defAxes.length)
    throw argErrorText(what, 'x', `a tensor with at least ${defAxes.length} logical axes`, `logical shape ${fmt(shape)}`, RangeError);
  if (o.s !== undefined && !Array.isArray(o.s)) throw argError(what, 's', 'an array of lengths', o.s);
  if (o.axes !== undefined && !Array.isArray(o.axes)) throw argError(what, 'axes', 'an array of axes', o.axes);
  const s = o.s as number[] | undefined;
  let axes = o.axes as number[] | undefined;
  axes ??= defAxes ?? (s ? Array.from({ length: s.length }, (_, i) => r - s.length + i) : Array.from({ length: r }, (_, i) => i));
  const norm = axes.map((a, i) => checkAxis(a, r, what, `axes[${i}]`));
  if (new Set(norm).size !== norm.length) throw argErrorText(what, 'axes', 'distinct axes', fmt(axes), RangeError);
  if (norm.length === 0) throw argErrorText(what, 'axes', 'at least one axis', '[]', RangeError);
  if (s && s.length !== norm.length) throw argError(what, 's', `${norm.length} lengths (one per axis)`, s, RangeError);
  // Lengths not given are the axes' own (irfftN's last one is 2 (m - 1), which it checks too).
  if (!s) norm.forEach((a, i) => checkFftLength(shape[a], what, `s[${i}] (default the length of axis ${a})`));
  return { axes: norm, s: norm.map((_, i) => (s ? checkFftLength(s[i], what, `s[${i}]`) : undefined)), shape };
}

/** Moves an n-D transform on: intermediates are released at once (the linear VJPs keep nothing). */
function step(prev: T, input: T, next: T): T {
  if (prev !== input) prev.dispose();
  return next;
}

function c2cN(x: T, opts: FftNOptions, inverse: boolean, what: string, defAxes?: number[]): T {
  const { axes, s } = nd(x, opts, true, what, defAxes);
  let y = x;
  axes.forEach((a, i) => {
    const n = s[i] ?? y.shape[a]!;
    y = step(y, x, c2c(y, a, n, inverse, scaleOf(opts.norm, n, inverse, what)));
  });
  return y;
}

/** N-D DFT over `axes` (default all logical axes). */
export const fftn = (x: T, opts: FftNOptions = {}): T => c2cN(x, opts, false, 'fftn(x, opts)');
export const ifftn = (x: T, opts: FftNOptions = {}): T => c2cN(x, opts, true, 'ifftn(x, opts)');
/** 2-D DFT over the last two logical axes (or `axes`). */
export const fft2 = (x: T, opts: FftNOptions = {}): T => c2cN(x, opts, false, 'fft2(x, opts)', [-2, -1]);
export const ifft2 = (x: T, opts: FftNOptions = {}): T => c2cN(x, opts, true, 'ifft2(x, opts)', [-2, -1]);

function rfftN(x: T, opts: FftNOptions, what: string, defAxes?: number[]): T {
  const { axes, s } = nd(x, opts, false, what, defAxes);
  const last = axes.length - 1;
  const nl = s[last] ?? x.shape[axes[last]!]!;
  let y = r2c(x, axes[last]!, nl, scaleOf(opts.norm, nl, false, what));
  for (let i = 0; i < last; i++) {
    const n = s[i] ?? y.shape[axes[i]!]!;
    y = step(y, x, c2c(y, axes[i]!, n, false, scaleOf(opts.norm, n, false, what)));
  }
  return y;
}

function irfftN(x: T, opts: FftNOptions, what: string, defAxes?: number[]): T {
  const { axes, s, shape } = nd(x, opts, true, what, defAxes);
  const last = axes.length - 1;
  let y = x;
  for (let i = 0; i < last; i++) {
    const n = s[i] ?? y.shape[axes[i]!]!;
    y = step(y, x, c2c(y, axes[i]!, n, true, scaleOf(opts.norm, n, true, what)));
  }
  const nl = checkFftLength(s[last] ?? 2 * (shape[axes[last]!]! - 1), what, 's[last] (default 2 (m - 1) for a half spectrum of length m)');
  return step(y, x, c2r(y, axes[last]!, nl, scaleOf(opts.norm, nl, true, what)));
}

/** N-D DFT of a real tensor: rfft over the last of `axes`, then full transforms over the others. */
export const rfftn = (x: T, opts: FftNOptions = {}): T => rfftN(x, opts, 'rfftn(x, opts)');
/** Inverse of rfftn; `s` gives the output lengths (the last defaults to 2 (m - 1)). */
export const irfftn = (x: T, opts: FftNOptions = {}): T => irfftN(x, opts, 'irfftn(x, opts)');
export const rfft2 = (x: T, opts: FftNOptions = {}): T => rfftN(x, opts, 'rfft2(x, opts)', [-2, -1]);
export const irfft2 = (x: T, opts: FftNOptions = {}): T => irfftN(x, opts, 'irfft2(x, opts)', [-2, -1]);
