// Raw complex kernels (shaders/complex.wgsl). A complex tensor is a float32 tensor whose last axis
// has size 2 and holds (re, im); its logical shape is the shape without that axis. Everything
// linear over the reals (add, scale, sum, slice, pad, reshape of leading dims) is already right for
// it, so only genuinely complex products need kernels.
import type { Tensor } from '../graph/tensor.js';
import { broadcastShapes, broadcastStrides, collapse, fmt, MAX_RANK } from '../graph/shape.js';
import { argError, argErrorText } from '../graph/options.js';
import { checkTensor, emit, grid1d, output } from './emit.js';
import { binary, contiguous } from './elementwise.js';
import { slice } from './layout.js';
import complexWgsl from '../../shaders/complex.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('complex.wgsl', complexWgsl);

/** Throws unless `z` is a float32 tensor with a trailing axis of 2; returns its logical shape. */
export function checkComplex(z: unknown, fn: string, arg: string): number[] {
  const t = checkTensor(z, fn, arg);
  if (t.dtype !== 'float32' || t.rank === 0 || t.shape[t.rank - 1] !== 2)
    throw argError(fn, arg, 'a complex tensor (float32 with a trailing axis of 2 holding re, im)', t);
  return t.shape.slice(0, -1);
}

const pad8 = (v: readonly number[], fill: number): number[] => [...v, ...new Array<number>(2 * 4 - v.length).fill(fill)];
const pad4 = (v: readonly number[], fill: number): number[] => [...new Array<number>(4 - v.length).fill(fill), ...v];

/** a * b (conj(a) / conj(b) with the flags), broadcasting over the logical dims. */
export function cmulRaw(a: Tensor, b: Tensor, conjA = false, conjB = false): Tensor {
  const sa = checkComplex(a, 'cmul(a, b)', 'a');
  const sb = checkComplex(b, 'cmul(a, b)', 'b');
  const shape = broadcastShapes([sa, sb], 'cmul(a, b)');
  const y = output([...shape, 2], 'float32');
  const n = y.size / 2;
  if (n === 0) return y;
  const c = collapse(shape, [broadcastStrides(sa, a.strides.slice(0, -1), shape), broadcastStrides(sb, b.strides.slice(0, -1), shape)]);
  if (c.shape.length > MAX_RANK) throw new RangeError(`tellus: cmul(a, b): at most ${MAX_RANK} dims, got ${fmt(shape)}`);
  emit({
    file: 'complex.wgsl',
    entry: 'mul',
    label: 'cmul',
    bind: { a: a.storageFor('cmul(a, b): a'), b: b.storageFor('cmul(a, b): b'), c: y.storageFor('cmul') },
    uniforms: {
      n,
      rank: c.shape.length,
      off_a: a.offset,
      off_b: b.offset,
      pair_a: a.strides[a.rank - 1]!,
      pair_b: b.strides[b.rank - 1]!,
      ca: conjA ? -1 : 1,
      cb: conjB ? -1 : 1,
      shape: pad8(c.shape, 1),
      strides_a: pad8(c.strides[0]!, 0),
      strides_b: pad8(c.strides[1]!, 0),
    },
    grid: grid1d(n),
    bytes: 24 * n,
    flops: 6 * n,
  });
  return y;
}

/** Longest inner loop one invocation runs: llvmpipe has cut very long per-invocation loops short. */
const K_CHUNK = 2048;

/** Batched complex matmul over the logical dims [..., M, K] x [..., K, N] -> [..., M, N]. */
export function cmatmulRaw(aIn: Tensor, bIn: Tensor, conjA = false, conjB = false): Tensor {
  let a = aIn;
  let b = bIn;
  const sa = checkComplex(a, 'cmatmul(a, b)', 'a');
  const sb = checkComplex(b, 'cmatmul(a, b)', 'b');
  const matrix = 'a complex matrix (logical rank >= 2)';
  if (sa.length < 2) throw argErrorText('cmatmul(a, b)', 'a', matrix, `logical shape ${fmt(sa)}`, Error);
  if (sb.length < 2) throw argErrorText('cmatmul(a, b)', 'b', matrix, `logical shape ${fmt(sb)}`, Error);
  const [M, K] = sa.slice(-2) as [number, number];
  const [K2, N] = sb.slice(-2) as [number, number];
  if (K !== K2) throw new Error(`tellus: cmatmul(a, b): inner dimensions differ: a is ${fmt(sa)}, b is ${fmt(sb)} (${K} vs ${K2})`);
  if (K > K_CHUNK) {
    // Sum of products over K chunks (views, no copies).
    let acc: Tensor | null = null;
    for (let k0 = 0; k0 < K; k0 += K_CHUNK) {
      const k1 = Math.min(K, k0 + K_CHUNK);
      const pa = slice(
        a,
        a.shape.map((_, i) => (i === a.rank - 2 ? ([k0, k1] as const) : null)),
      );
      const pb = slice(
        b,
        b.shape.map((_, i) => (i === b.rank - 3 ? ([k0, k1] as const) : null)),
      );
      const part = cmatmulRaw(pa, pb, conjA, conjB);
      const next: Tensor = acc ? binary('add', acc, part) : part;
      for (const t of [pa, pb, ...(acc ? [acc, part] : [])]) t.dispose();
      acc = next;
    }
    return acc!;
  }
  const batch = broadcastShapes([sa.slice(0, -2), sb.slice(0, -2)], 'cmatmul(a, b) batch dims');
  const copies: Tensor[] = [];
  const merge = () =>
    collapse(batch, [
      broadcastStrides(sa.slice(0, -2), a.strides.slice(0, -3), batch),
      broadcastStrides(sb.slice(0, -2), b.strides.slice(0, -3), batch),
    ]);
  let cb = merge();
  if (cb.shape.length > 4) {
    copies.push((a = contiguous(a)), (b = contiguous(b)));
    cb = merge();
    if (cb.shape.length > 4) throw new RangeError(`tellus: cmatmul(a, b): batch dims ${fmt(batch)} do not collapse to 4 or fewer`);
  }
  const y = output([...batch, M, N, 2], 'float32');
  const n = y.size / 2;
  if (n > 0) {
    const r = a.rank;
    emit({
      file: 'complex.wgsl',
      entry: 'matmul',
      label: `cmatmul ${M}x${K}x${N}`,
      bind: { a: a.storageFor('cmatmul(a, b): a'), b: b.storageFor('cmatmul(a, b): b'), c: y.storageFor('cmatmul') },
      uniforms: {
        M,
        N,
        K,
        batch_rank: cb.shape.length,
        off_a: a.offset,
        off_b: b.offset,
        pair_a: a.strides[r - 1]!,
        pair_b: b.strides[b.rank - 1]!,
        a_row: a.strides[r - 3]!,
        a_col: a.strides[r - 2]!,
        b_row: b.strides[b.rank - 3]!,
        b_col: b.strides[b.rank - 2]!,
        ca: conjA ? -1 : 1,
        cb: conjB ? -1 : 1,
        batch_shape: pad4(cb.shape, 1),
        batch_a: pad4(cb.strides[0]!, 0),
        batch_b: pad4(cb.strides[1]!, 0),
      },
      grid: grid1d(n),
      bytes: 8 * (n * K * 2 + n),
      flops: 8 * n * K,
    });
  }
  for (const t of copies) t.dispose();
  return y;
}

/** atan2(im, re) per element: a real tensor of the logical shape. */
export function angleRaw(z: Tensor): Tensor {
  const shape = checkComplex(z, 'angle(z)', 'z');
  const y = output(shape, 'float32');
  if (y.size === 0) return y;
  const c = collapse(shape, [z.strides.slice(0, -1)]);
  emit({
    file: 'complex.wgsl',
    entry: 'angle',
    label: 'angle',
    bind: { z: z.storageFor('angle(z)'), out: y.storageFor('angle') },
    uniforms: {
      n: y.size,
      rank: c.shape.length,
      off: z.offset,
      pair: z.strides[z.rank - 1]!,
      shape: pad8(c.shape, 1),
      strides: pad8(c.strides[0]!, 0),
    },
    grid: grid1d(y.size),
    bytes: 12 * y.size,
    flops: 20 * y.size,
  });
  return y;
}
