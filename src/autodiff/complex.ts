// Differentiable complex ops. A complex tensor is a float32 tensor with a trailing axis of 2
// (re, im), so its gradient is the pair (dL/dre, dL/dim): read as a complex number, that is
// dL/dre + i dL/dim, PyTorch's convention (the conjugate Wirtinger derivative times 2). For a
// holomorphic f, the cotangent rule is g -> g * conj(f'(z)); for a linear map A, g -> A^H g.
import { keep, type Tensor } from '../graph/tensor.js';
import { context } from '../graph/context.js';
import { fmt } from '../graph/shape.js';
import { tensor } from '../ops/creation.js';
import { checkFloat, checkTensor } from '../ops/emit.js';
import { argError, argErrorText } from '../graph/options.js';
import { angleRaw, checkComplex, cmatmulRaw, cmulRaw } from '../ops/complex.js';
import { noGrad, record, save } from './tape.js';
import { add, div, gt, mul, neg, permute, reshape, slice, sqrt, square, stack, unbroadcast, unsqueeze, where } from './ops.js';

type T = Tensor;

/** A complex tensor from real and imaginary parts of the same shape (differentiable in both). */
export function complex(re: T, im: T): T {
  const fn = 'complex(re, im)';
  checkTensor(re, fn, 're');
  checkTensor(im, fn, 'im');
  checkFloat(re, fn, 're');
  if (im.dtype !== 'float32' || re.rank !== im.rank || re.shape.some((d, i) => d !== im.shape[i]))
    throw argError(fn, 'im', `a float32 tensor of shape ${fmt(re.shape)} (as re)`, im);
  return stack([re, im], -1);
}

/**
 * A complex tensor from JS data: interleaved (re, im) pairs in row-major order, or separate `re`
 * and `im` arrays. `shape` is the logical shape (without the pair axis).
 */
export function complexTensor(data: ArrayLike<number> | { re: ArrayLike<number>; im: ArrayLike<number> }, shape: readonly number[]): T {
  const fn = 'complexTensor(data, shape)';
  const n = shape.reduce((a, b) => a * b, 1);
  let pairs: Float32Array;
  if ('re' in data && 'im' in data) {
    if (data.re.length !== n || data.im.length !== n)
      throw argErrorText(
        fn,
        'data',
        `${n} re and ${n} im values (shape ${fmt(shape)})`,
        `${data.re.length} re and ${data.im.length} im`,
        Error,
      );
    pairs = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) [pairs[2 * i], pairs[2 * i + 1]] = [data.re[i]!, data.im[i]!];
  } else {
    if (data.length !== 2 * n) throw argErrorText(fn, 'data', `${2 * n} interleaved values (shape ${fmt(shape)})`, `${data.length}`, Error);
    pairs = Float32Array.from(data);
  }
  return tensor(pairs, { shape: [...shape, 2] });
}

/** Reads a complex tensor back as separate real and imaginary arrays. */
export async function complexData(z: T): Promise<{ re: Float32Array; im: Float32Array }> {
  checkComplex(z, 'complexData(z)', 'z');
  const d = await z.data();
  const n = d.length / 2;
  const re = new Float32Array(n);
  const im = new Float32Array(n);
  for (let i = 0; i < n; i++) [re[i], im[i]] = [d[2 * i]!, d[2 * i + 1]!];
  return { re, im };
}

const part = (z: T, k: 0 | 1, fn: string): T => {
  checkComplex(z, fn, 'z');
  return reshape(slice(z, [...z.shape.slice(0, -1).map(() => null), [k, k + 1]]), z.shape.slice(0, -1));
};
/** Real part (a view of the pairs: no copy). */
export const real = (z: T): T => part(z, 0, 'real(z)');
/** Imaginary part (a view). */
export const imag = (z: T): T => part(z, 1, 'imag(z)');

// The [1, -1] factor conj multiplies by, uploaded once per device.
let sign: { t: T; generation: number } | null = null;

/** Complex conjugate: one fusable elementwise multiply by [1, -1] broadcast over the pairs. */
export function conj(z: T): T {
  checkComplex(z, 'conj(z)', 'z');
  const generation = context().generation;
  if (!sign || sign.generation !== generation) sign = { t: keep(tensor([1, -1])), generation };
  return mul(z, sign.t);
}

/** |z|. Its gradient g z / |z| is taken as 0 at z = 0 (as in PyTorch), not NaN. */
export function cabs(z: T): T {
  checkComplex(z, 'cabs(z)', 'z');
  const out = noGrad(() => sqrt(add(square(real(z)), square(imag(z)))));
  return record('cabs', out, [z], () => {
    const [sz, so] = [save(z), save(out)];
    return (g) => {
      const w = div(where(gt(so, 0), g, 0), where(gt(so, 0), so, 1));
      return [mul(sz, unsqueeze(w, -1))];
    };
  });
}

/** arg z = atan2(im, re) in (-pi, pi]; gradient (-im, re) / |z|^2 (0 at z = 0). */
export function angle(z: T): T {
  const out = angleRaw(z);
  return record('angle', out, [z], () => {
    const sz = save(z);
    return (g) => {
      const [re, im] = [real(sz), imag(sz)];
      const r2 = add(square(re), square(im));
      const safe = where(gt(r2, 0), r2, 1);
      const w = div(where(gt(r2, 0), g, 0), safe);
      return [stack([neg(mul(w, im)), mul(w, re)], -1)];
    };
  });
}

/** Elementwise complex product with NumPy broadcasting over the logical dims. */
export function cmul(a: T, b: T): T {
  const out = cmulRaw(a, b);
  return record('cmul', out, [a, b], () => {
    const [sa, sb] = [save(a), save(b)];
    return (g) => [unbroadcast(cmulConj(g, sb), sa.shape), unbroadcast(cmulConj(g, sa), sb.shape)];
  });
}

/** g * conj(b), differentiable in both (its own rule: d(g conj b) -> (w b, conj(w) g)). */
function cmulConj(g: T, b: T): T {
  const out = cmulRaw(g, b, false, true);
  return record('cmulConj', out, [g, b], () => {
    const [sg, sb] = [save(g), save(b)];
    // out = g conj(b): cotangent w gives w * b for g, and conj(w * conj(g)) = conj(w) g for b.
    return (w) => [unbroadcast(cmul(w, sb), sg.shape), unbroadcast(cmulConj(sg, w), sb.shape)];
  });
}

const swapLast = (t: T): T => {
  const r = t.rank;
  const axes = t.shape.map((_, i) => i);
  [axes[r - 3], axes[r - 2]] = [axes[r - 2]!, axes[r - 3]!];
  return permute(t, axes);
};
/** Conjugate transpose of the last two logical dims (a view plus one fused multiply). */
const adjoint = (t: T): T => conj(swapLast(t));

/** Batched complex matrix product [..., M, K] x [..., K, N] -> [..., M, N] (logical dims). */
export function cmatmul(a: T, b: T): T {
  const out = cmatmulRaw(a, b);
  return record('cmatmul', out, [a, b], () => {
    const [sa, sb] = [save(a), save(b)];
    return (g) => [unbroadcast(cmatmul(g, adjoint(sb)), sa.shape), unbroadcast(cmatmul(adjoint(sa), g), sb.shape)];
  });
}

/**
 * Channel mixing as in a spectral convolution: out[b, o, ...] = sum_i x[b, i, ...] w[i, o, ...]
 * (einsum 'bi...,io...->bo...') on complex tensors; the trailing logical dims must match.
 */
export function cmix(x: T, w: T): T {
  const sx = checkComplex(x, 'cmix(x, w)', 'x');
  const sw = checkComplex(w, 'cmix(x, w)', 'w');
  if (sx.length < 2 || sw.length !== sx.length || sx[1] !== sw[0] || sx.slice(2).some((d, i) => d !== sw[i + 2])) {
    throw new Error(
      `tellus: cmix(x, w): expected x [batch, in, ...] and w [in, out, ...] with equal trailing dims, got logical shapes ${fmt(sx)} and ${fmt(sw)}`,
    );
  }
  const r = sx.length;
  // Spatial dims lead as batch dims of a matmul: [..., B, I] x [..., I, O] -> [..., B, O].
  const lead = (t: T): T => permute(t, [...Array.from({ length: r - 2 }, (_, i) => i + 2), 0, 1, r]);
  const y = cmatmul(lead(x), lead(w));
  return permute(y, [r - 2, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i), r]);
}
