// Batched matmul with NumPy semantics (1-D operands are promoted and the added axis dropped; batch
// dims broadcast). Operands are passed by strides, so transposed views cost nothing.
import type { Tensor } from '../graph/tensor.js';
import { broadcastShapes, broadcastStrides, collapse, fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkFloat, checkTensor, emit, output } from './emit.js';
import { reshape, unsqueeze } from './layout.js';
import { full } from './creation.js';
import { contiguous } from './elementwise.js';
import matmulWgsl from '../../shaders/matmul.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('matmul.wgsl', matmulWgsl);

export function matmul(aIn: Tensor, bIn: Tensor): Tensor {
  let a = checkTensor(aIn, 'matmul(a, b)', 'a');
  let b = checkTensor(bIn, 'matmul(a, b)', 'b');
  checkFloat(a, 'matmul(a, b)', 'a');
  checkFloat(b, 'matmul(a, b)', 'b');
  if (a.rank === 0) throw argError('matmul(a, b)', 'a', 'a tensor of rank >= 1', a, Error);
  if (b.rank === 0) throw argError('matmul(a, b)', 'b', 'a tensor of rank >= 1', b, Error);
  const vecA = a.rank === 1;
  const vecB = b.rank === 1;
  if (vecA) a = unsqueeze(a, 0);
  if (vecB) b = unsqueeze(b, 1);
  const promoted = [vecA ? a : null, vecB ? b : null];
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const N = b.shape[b.rank - 1]!;
  if (b.shape[b.rank - 2] !== K) {
    throw new Error(
      `tellus: matmul(a, b): inner dimensions differ: a is ${fmt(aIn.shape)}, b is ${fmt(bIn.shape)} (${K} vs ${b.shape[b.rank - 2]})`,
    );
  }
  // Transposed operands (every gradient has them) would miss the vec4 kernel. For large enough
  // products a contiguous copy, O(MK) work against O(MKN), pays for itself several times over.
  const copies: Tensor[] = [];
  if (K % 4 === 0 && N % 4 === 0 && M * N * K >= 32 ** 3) {
    if (a.strides[a.rank - 1] !== 1) copies.push((a = contiguous(a)));
    if (b.strides[b.rank - 1] !== 1) copies.push((b = contiguous(b)));
  }
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], 'matmul(a, b) batch dims');
  const ba = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const bb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const cb = collapse(batch, [ba, bb]);
  if (cb.shape.length > 4)
    throw new Error(`tellus: matmul(a, b): batch dims ${fmt(batch)} do not collapse to 4 or fewer; make an operand contiguous first`);
  const nBatch = cb.shape.reduce((s, d) => s * d, 1);
  // An empty result comes from an (empty) fill, so it still has a buffer for data() to read.
  const y = [...batch, M, N].includes(0) ? full([...batch, M, N], 0) : output([...batch, M, N], 'float32');
  if (y.size > 0) {
    const limit = 65535;
    if (nBatch > limit) throw new Error(`tellus: matmul(a, b): ${nBatch} batch entries exceed the ${limit} this kernel dispatches at once`);
    const aligned = (...v: number[]): boolean => v.every((x) => x % 4 === 0);
    const vec4 =
      a.strides[a.rank - 1] === 1 &&
      b.strides[b.rank - 1] === 1 &&
      aligned(K, N, a.offset, b.offset, a.strides[a.rank - 2]!, b.strides[b.rank - 2]!, ...cb.strides[0]!, ...cb.strides[1]!);
    emit({
      file: 'matmul.wgsl',
      entry: vec4 ? 'matmul_vec4' : 'matmul',
      label: `matmul ${M}x${K}x${N}${nBatch > 1 ? ` x${nBatch}` : ''}`,
      bind: vec4
        ? { a4: a.storageFor('matmul(a, b): a'), b4: b.storageFor('matmul(a, b): b'), c4: y.storageFor('matmul') }
        : { a: a.storageFor('matmul(a, b): a'), b: b.storageFor('matmul(a, b): b'), c: y.storageFor('matmul') },
      uniforms: {
        M,
        N,
        K,
        batch_rank: cb.shape.length,
        offset_a: a.offset,
        offset_b: b.offset,
        a_row: a.strides[a.rank - 2]!,
        a_col: a.strides[a.rank - 1]!,
        b_row: b.strides[b.rank - 2]!,
        b_col: b.strides[b.rank - 1]!,
        batch_shape: pad4(cb.shape, 1),
        batch_a: pad4(cb.strides[0]!, 0),
        batch_b: pad4(cb.strides[1]!, 0),
      },
      grid: [Math.ceil(N / 32), Math.ceil(M / 32), nBatch],
      bytes: 4 * nBatch * (M * K + K * N + M * N),
      flops: 2 * nBatch * M * N * K,
    });
  }
  for (const t of [...copies, ...promoted]) t?.dispose();
  if (!vecA && !vecB) return y;
  const shape = [...batch, ...(vecA ? [] : [M]), ...(vecB ? [] : [N])];
  const r = reshape(y, shape);
  y.dispose();
  return r;
}

function pad4(v: readonly number[], fill: number): number[] {
  return [...v, ...new Array<number>(4 - v.length).fill(fill)];
}
