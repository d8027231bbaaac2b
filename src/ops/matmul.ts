// Batched matmul with NumPy semantics (1-D operands are promoted and the added axis dropped; batch
// dims broadcast). Operands are passed by strides, so transposed views cost nothing.
import type { Tensor } from '../graph/tensor.js';
import { broadcastShapes, broadcastStrides, collapse, fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkFloat, checkTensor, emit, grid1d, output } from './emit.js';
import { reshape, unsqueeze } from './layout.js';
import { full } from './creation.js';
import matmulWgsl from '../../shaders/matmul.wgsl';
import { registerShader } from '../gpu/kernels.js';
import { context } from '../graph/context.js';

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
    const [aRow, aCol, bRow, bCol] = [a.strides[a.rank - 2]!, a.strides[a.rank - 1]!, b.strides[b.rank - 2]!, b.strides[b.rank - 1]!];
    const big = bigBlocks(M, N);
    const k = pickKernel(
      {
        M,
        K,
        N,
        aRow,
        aCol,
        bRow,
        bCol,
        aOff: a.offset,
        bOff: b.offset,
        batchA: cb.strides[0]!,
        batchB: cb.strides[1]!,
      },
      big,
    );
    const colBlocks = k.entry === 'matvec_k' || k.entry === 'matvec_m' ? 1 : Math.ceil(N / (k.overrides.WIDE ? 8 : 4));
    const rowBlocks = Math.ceil(M / (k.overrides.TALL ? 8 : 4));
    const lanesX = Math.min(8, 2 ** Math.ceil(Math.log2(colBlocks)));
    const groupsX = Math.ceil(colBlocks / lanesX);
    const [gx, gy] = grid1d(groupsX * Math.ceil(rowBlocks / (64 / lanesX)) * 64);
    const scalarA = k.entry === 'matmul' || k.entry === 'matmul_c4' || k.entry === 'matmul_rows';
    const scalarB = k.entry === 'matmul' || k.entry === 'matmul_c4' || k.entry === 'matvec_m';
    emit({
      file: 'matmul.wgsl',
      entry: k.entry,
      label: `matmul ${M}x${K}x${N}${nBatch > 1 ? ` x${nBatch}` : ''}`,
      overrides: k.overrides,
      bind: {
        [scalarA ? 'a' : 'a4']: a.storageFor('matmul(a, b): a'),
        [scalarB ? 'b' : 'b4']: b.storageFor('matmul(a, b): b'),
        [k.entry === 'matmul' || k.entry.startsWith('matvec') ? 'c' : 'c4']: y.storageFor('matmul'),
      },
      uniforms: {
        M,
        N,
        K,
        batch_rank: cb.shape.length,
        offset_a: a.offset,
        offset_b: b.offset,
        a_row: aRow,
        a_col: aCol,
        b_row: bRow,
        b_col: bCol,
        batch_shape: pad4(cb.shape, 1),
        batch_a: pad4(cb.strides[0]!, 0),
        batch_b: pad4(cb.strides[1]!, 0),
        col_blocks: colBlocks,
        row_blocks: rowBlocks,
        lanes_x: lanesX,
        groups_x: groupsX,
        dispatch_x: gx,
      },
      grid: [gx, gy, nBatch],
      bytes: 4 * nBatch * (M * K + K * N + M * N),
      flops: 2 * nBatch * M * N * K,
    });
  }
  for (const t of promoted) t?.dispose();
  if (!vecA && !vecB) return y;
  const shape = [...batch, ...(vecA ? [] : [M]), ...(vecB ? [] : [N])];
  const r = reshape(y, shape);
  y.dispose();
  return r;
}

/**
 * Whether the vec4 kernel takes 8x8 blocks of C per invocation (else 4x4). On CPU adapters every
 * load is a gather, so FMAs per loaded float set the speed; on GPUs 8x8 leaves too few threads to
 * fill the machine unless C is large (a guess: no GPU measured yet).
 */
function bigBlocks(M: number, N: number): boolean {
  const forced = context().scheduler.matmulBlocks;
  if (forced !== 'auto') return forced === '8x8';
  return context().info.isSoftware || M * N >= 1 << 22;
}

function pad4(v: readonly number[], fill: number): number[] {
  return [...v, ...new Array<number>(4 - v.length).fill(fill)];
}

interface Layout {
  M: number;
  K: number;
  N: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
  aOff: number;
  bOff: number;
  batchA: readonly number[];
  batchB: readonly number[];
}

/**
 * The kernel for a product's layout. Each operand is read as vec4s along the axis it is contiguous
 * in, when every index the kernel divides by 4 is a multiple of 4: its size along that axis, its
 * other stride, its offset and its batch strides (and N, for vec4 rows of C). N = 1 goes to a
 * matrix-vector kernel; an A no vec4 fits (tiny K) with B along N to matmul_rows; anything else
 * to the scalar 4x4 kernel (vec4 stores of C when N % 4 = 0).
 */
export function pickKernel(
  l: Layout,
  big: boolean,
): {
  entry: 'matmul' | 'matmul_c4' | 'matmul_rows' | 'matmul_vec4' | 'matvec_k' | 'matvec_m';
  overrides: Record<string, number>;
} {
  const q = (...v: readonly number[]) => v.every((x) => x % 4 === 0);
  const aBase = q(l.aOff, ...l.batchA);
  const bBase = q(l.bOff, ...l.batchB);
  // Strides of size-1 axes never move an index, so they need no alignment.
  const aAlongK = (l.aCol === 1 || l.K === 1) && q(l.K) && (l.M === 1 || q(l.aRow)) && aBase;
  const aAlongM = (l.aRow === 1 || l.M === 1) && q(l.M) && (l.K === 1 || q(l.aCol)) && aBase;
  const bAlongN = (l.bCol === 1 || l.N === 1) && q(l.N) && (l.K === 1 || q(l.bRow)) && bBase;
  const bAlongK = (l.bRow === 1 || l.K === 1) && q(l.K) && (l.N === 1 || q(l.bCol)) && bBase;
  if (l.N === 1) {
    if (aAlongK && (l.bRow === 1 || l.K === 1) && bBase) return { entry: 'matvec_k', overrides: {} };
    if (aAlongM) return { entry: 'matvec_m', overrides: {} };
  }
  if ((aAlongK || aAlongM) && (bAlongN || bAlongK) && q(l.N)) {
    // Prefer the transpose-free pairing when an operand fits both (a size-1 or square-strided axis).
    const aCol = !aAlongK;
    const bCol = !bAlongN;
    const tall = big && l.M > 4 ? 1 : 0;
    const wide = big && l.N > 4 ? 1 : 0;
    return { entry: 'matmul_vec4', overrides: { A_COL: aCol ? 1 : 0, B_COL: bCol ? 1 : 0, TALL: tall, WIDE: wide } };
  }
  // A that no vec4 fits (tiny K: input layers) with B along N: scalar loads of A, vec4s of B.
  if (bAlongN) return { entry: 'matmul_rows', overrides: { TALL: big && l.M > 4 ? 1 : 0, WIDE: big && l.N > 4 ? 1 : 0 } };
  return { entry: q(l.N) ? 'matmul_c4' : 'matmul', overrides: {} };
}
