// matmul against a float64 reference: odd and tile-sized shapes, 1-D operands, broadcast batch dims,
// transposed and sliced operand views (read in place, without a copy), and bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, rng, upload, useDevice, views, type Gen } from './helpers.js';
import { assertWithin, EPS32, matmulRef, randomHost, values } from './ref.js';
import { pickKernel } from '../src/ops/matmul.js';

/**
 * Checks y against the float64 product of (a, b). Tolerance per element: 4 sqrt(K) eps sum_k |a_ik b_kj|.
 * Why: the inputs are exact float32 values, so the only error is float32 arithmetic in the dot
 * product: each of the K products and K partial sums rounds with relative error <= u = eps/2, and
 * these independent roundings accumulate like a random walk, ~sqrt(K) u sum_k |a_ik||b_kj|. The
 * factor 4 (8 in units of u) is headroom; for K <= 64 it also covers the worst case K u sum|ab|.
 */
async function checkProduct(y: tl.Tensor, a: HostArray, b: HostArray, what: string): Promise<void> {
  const { c, absProd, K } = matmulRef(a, b);
  expect(y.shape, `${what}: shape`).toEqual(c.shape);
  expect(y.dtype, `${what}: dtype`).toBe('float32');
  const bound = Array.from(absProd.data, (s) => 4 * Math.sqrt(Math.max(K, 1)) * EPS32 * s + 1e-30);
  assertWithin(await values(y), c.data, bound, what);
}

/** Runs f and counts the kernels its result needs (pending work is flushed first). */
async function countDispatches(f: () => tl.Tensor): Promise<{ y: tl.Tensor; dispatches: number }> {
  await tl.sync();
  const before = tl.memory().dispatches;
  const y = f();
  await y.data();
  return { y, dispatches: tl.memory().dispatches - before };
}

/** A view of h that starts at (1, 4) inside a larger buffer: offset and row stride are multiples of 4. */
function offsetView(h: HostArray, g: Gen): tl.Tensor {
  const [m, k] = h.shape as [number, number];
  const big = HostArray.build([m + 1, k + 8], ([i, j]) => (i! >= 1 && j! >= 4 && j! < 4 + k ? h.at([i! - 1, j! - 4]) : 100 + g.next()));
  const dev = upload(big);
  const v = tl.slice(dev, [
    [1, null],
    [4, 4 + k],
  ]);
  dev.dispose();
  return v;
}

describe('matmul', () => {
  useDevice();

  for (const blocks of ['4x4', '8x8'] as const)
    it(`matches float64 on 1x1x1, odd and tile-sized shapes, for every pairing of contiguous, transposed and strided operands, read in place (${blocks} blocks)`, async () => {
      tl.debug({ matmulBlocks: blocks });
      const g = rng();
      // (M, K, N): 7x13x5 and 33x17x65 straddle the 4x4 register block; 64x64x64, 33x16x20 and
      // 16x20x8 are multiples of 4 along K and N (the vec4 kernel in all four layouts); 16x7x8 is
      // A^T B with K odd (the vec4 kernel's quads, then one k at a time); 12x9x8 and 20x16x4 leave a
      // half-empty 8x4 block (rows past M: clamped, or re-read when A runs along M), 4x8x12 is a
      // single 4x4 block; 8x12x1 and 13x8x1 are matrix-vector
      // products (both matvec kernels); 12x2x8, 9x3x4 and 5x1x12 have the input layers' tiny K.
      for (const [M, K, N] of [
        [1, 1, 1],
        [7, 13, 5],
        [33, 17, 65],
        [64, 64, 64],
        [33, 16, 20],
        [16, 20, 8],
        [16, 7, 8],
        [12, 9, 8],
        [20, 16, 4],
        [4, 8, 12],
        [8, 12, 1],
        [13, 8, 1],
        [12, 2, 8],
        [9, 3, 4],
        [5, 1, 12],
      ] as const) {
        const ha = randomHost(g, [M, K]);
        const hb = randomHost(g, [K, N]);
        for (const va of views(ha, g)) {
          for (const vb of views(hb, g)) {
            const a = va.make();
            const b = vb.make();
            const what = `seed ${g.seed}, ${M}x${K}x${N}, a ${va.name}, b ${vb.name}`;
            const { y, dispatches } = await countDispatches(() => tl.matmul(a, b));
            // Views are read through their strides: one kernel, no contiguous copy first.
            expect(dispatches, `${what}: dispatches`).toBe(1);
            await checkProduct(y, ha, hb, what);
            for (const t of [a, b, y]) t.dispose();
          }
        }
      }
      tl.debug({ matmulBlocks: 'auto' });
    });

  it('picks the vec4 kernels for every layout an MLP and its gradients use', () => {
    const at = (M: number, K: number, N: number, a: 'k' | 'm', b: 'n' | 'k', big = true) =>
      pickKernel(
        {
          M,
          K,
          N,
          aRow: a === 'k' ? K : 1,
          aCol: a === 'k' ? 1 : M,
          bRow: b === 'n' ? N : 1,
          bCol: b === 'n' ? 1 : K,
          aOff: 0,
          bOff: 0,
          batchA: [],
          batchB: [],
        },
        big,
      );
    // Forward x W, input gradient g W^T, weight gradient x^T g, for a 100-wide layer of 2540 points.
    expect(at(2540, 100, 100, 'k', 'n')).toEqual({ entry: 'matmul_vec4', overrides: { A_COL: 0, B_COL: 0, TALL: 1, WIDE: 1 } });
    expect(at(2540, 100, 100, 'k', 'k')).toEqual({ entry: 'matmul_vec4', overrides: { A_COL: 0, B_COL: 1, TALL: 1, WIDE: 1 } });
    expect(at(100, 2540, 100, 'm', 'n')).toEqual({ entry: 'matmul_vec4', overrides: { A_COL: 1, B_COL: 0, TALL: 1, WIDE: 1 } });
    expect(at(100, 2540, 100, 'm', 'k')).toEqual({ entry: 'matmul_vec4', overrides: { A_COL: 1, B_COL: 1, TALL: 1, WIDE: 1 } });
    // 4x4 blocks where asked, and along an axis of C no longer than 4.
    expect(at(2540, 100, 100, 'k', 'n', false).overrides).toEqual({ A_COL: 0, B_COL: 0, TALL: 0, WIDE: 0 });
    expect(at(4, 100, 100, 'k', 'n').overrides).toEqual({ A_COL: 0, B_COL: 0, TALL: 0, WIDE: 1 });
    expect(at(100, 100, 4, 'k', 'n').overrides).toEqual({ A_COL: 0, B_COL: 0, TALL: 1, WIDE: 0 });
    // The output layer (N = 1) and its weight gradient.
    expect(at(2540, 100, 1, 'k', 'n').entry).toBe('matvec_k');
    expect(at(100, 2540, 1, 'm', 'n').entry).toBe('matvec_m');
    // Tiny K (no vec4 along A) with B along N: scalar loads of A, vec4 rows of B, 4x4 where asked.
    expect(at(2540, 2, 100, 'k', 'n')).toEqual({ entry: 'matmul_rows', overrides: { TALL: 1, WIDE: 1 } });
    expect(at(2540, 3, 100, 'k', 'n', false)).toEqual({ entry: 'matmul_rows', overrides: { TALL: 0, WIDE: 0 } });
    // Else the scalar kernel, with vec4 stores of C when N % 4 = 0.
    expect(at(2540, 100, 2, 'k', 'k').entry).toBe('matmul');
    expect(at(2540, 2, 100, 'k', 'k').entry).toBe('matmul_c4');
    const misaligned = { M: 8, K: 8, aRow: 8, aCol: 1, bCol: 1, aOff: 2, bOff: 0, batchA: [], batchB: [] };
    expect(pickKernel({ ...misaligned, N: 8, bRow: 8 }, true).entry).toBe('matmul_rows');
    expect(pickKernel({ ...misaligned, N: 8, bRow: 8, bOff: 2 }, true).entry).toBe('matmul_c4');
    expect(pickKernel({ ...misaligned, N: 6, bRow: 6 }, true).entry).toBe('matmul');
  });

  it('reads sliced operands with offsets in place (vec4-aligned and not)', async () => {
    const g = rng();
    for (const [M, K, N] of [
      [9, 12, 8],
      [6, 7, 5],
    ] as const) {
      const ha = randomHost(g, [M, K]);
      const hb = randomHost(g, [K, N]);
      const a = offsetView(ha, g);
      const b = offsetView(hb, g);
      const what = `seed ${g.seed}, ${M}x${K}x${N}, sliced operands`;
      const { y, dispatches } = await countDispatches(() => tl.matmul(a, b));
      expect(dispatches, what).toBe(1);
      await checkProduct(y, ha, hb, what);
      // The same slices transposed: b^T a^T = (a b)^T, again read in place.
      const yt = tl.matmul(tl.transpose(b), tl.transpose(a));
      expect(yt.shape, what).toEqual([N, M]);
      const want = matmulRef(ha, hb);
      const got = await values(yt);
      const gotT = Array.from({ length: M * N }, (_, f) => got[(f % N) * M + Math.floor(f / N)]!);
      const bound = Array.from(want.absProd.data, (s) => 4 * Math.sqrt(K) * EPS32 * s + 1e-30);
      assertWithin(gotT, want.c.data, bound, `${what}: transposed slices`);
      for (const t of [a, b, y, yt]) t.dispose();
    }
  });

  it('1-D operands: vector-matrix, matrix-vector, dot, and with batch dims', async () => {
    const g = rng();
    const [M, K, N] = [5, 19, 6];
    const cases: [number[], number[]][] = [
      [[K], [K, N]],
      [[M, K], [K]],
      [[K], [K]],
      [[2, 3, M, K], [K]],
      [[K], [2, K, N]],
      [[1], [1]],
      [[8], [8, 4]],
    ];
    for (const [sa, sb] of cases) {
      const ha = randomHost(g, sa);
      const hb = randomHost(g, sb);
      for (const va of views(ha, g)) {
        const vb = views(hb, g).find((v) => v.name === (sb.length === 1 ? 'strided slice' : 'transposed view'))!;
        const a = va.make();
        const b = vb.make();
        const what = `seed ${g.seed}, [${sa}] @ [${sb}], a ${va.name}, b ${vb.name}`;
        const y = tl.matmul(a, b);
        await checkProduct(y, ha, hb, what);
        for (const t of [a, b, y]) t.dispose();
      }
    }
  });

  it('broadcasts batch dims: [2,3,M,K] x [K,N], [2,1,M,K] x [1,4,K,N], [3,M,K] x [3,K,N] and more, on views', async () => {
    const g = rng();
    const cases: [number[], number[]][] = [
      [
        [2, 3, 5, 6],
        [6, 7],
      ],
      [
        [2, 1, 5, 6],
        [1, 4, 6, 7],
      ],
      [
        [3, 5, 6],
        [3, 6, 7],
      ],
      [
        [1, 5, 6],
        [4, 6, 7],
      ],
      [
        [2, 3, 5, 6],
        [3, 6, 7],
      ],
      [
        [5, 6],
        [2, 2, 6, 7],
      ],
      // K and N multiples of 4 (the vec4 kernel when contiguous).
      [
        [2, 3, 6, 8],
        [8, 12],
      ],
      [
        [2, 1, 6, 8],
        [1, 4, 8, 12],
      ],
    ];
    for (const [sa, sb] of cases) {
      const ha = randomHost(g, sa);
      const hb = randomHost(g, sb);
      const va = views(ha, g);
      const vb = views(hb, g);
      // contiguous x contiguous, transposed x strided, strided x transposed.
      for (const [i, j] of [
        [0, 0],
        [1, 2],
        [2, 1],
      ] as const) {
        const a = va[i]!.make();
        const b = vb[j]!.make();
        const what = `seed ${g.seed}, [${sa}] @ [${sb}], a ${va[i]!.name}, b ${vb[j]!.name}`;
        const { y, dispatches } = await countDispatches(() => tl.matmul(a, b));
        expect(dispatches, `${what}: dispatches`).toBe(1);
        await checkProduct(y, ha, hb, what);
        for (const t of [a, b, y]) t.dispose();
      }
    }
  });

  it('one tensor as both operands: x @ x^T and x^T @ x', async () => {
    const g = rng();
    const h = randomHost(g, [9, 6]);
    const x = upload(h);
    const ht = HostArray.build([6, 9], ([i, j]) => h.at([j!, i!]));
    await checkProduct(tl.matmul(x, tl.transpose(x)), h, ht, `seed ${g.seed}: x @ x^T`);
    await checkProduct(tl.matmul(tl.transpose(x), x), ht, h, `seed ${g.seed}: x^T @ x`);
    x.dispose();
  });

  it('K = 0 gives zeros; empty batch or rows give empty results', async () => {
    const y = tl.matmul(tl.zeros([3, 0]), tl.zeros([0, 4]));
    expect(y.shape).toEqual([3, 4]);
    expect(await values(y)).toEqual(new Array(12).fill(0));
    const e = tl.matmul(tl.zeros([0, 3]), tl.ones([3, 2]));
    expect(e.shape).toEqual([0, 2]);
    expect(await values(e)).toEqual([]);
    const eb = tl.matmul(tl.zeros([2, 0, 5, 3]), tl.ones([3, 4]));
    expect(eb.shape).toEqual([2, 0, 5, 4]);
    expect(await values(eb)).toEqual([]);
  });

  it('rejects mismatched inner dimensions, non-float input, rank 0 and incompatible batches, naming the operands', () => {
    const a = tl.zeros([2, 3]);
    expect(() => tl.matmul(a, tl.zeros([4, 5]))).toThrow('matmul(a, b): inner dimensions differ: a is [2, 3], b is [4, 5] (3 vs 4)');
    expect(() => tl.matmul(tl.zeros([3]), tl.zeros([4]))).toThrow('inner dimensions differ: a is [3], b is [4] (3 vs 4)');
    expect(() => tl.matmul(a, tl.zeros([2]))).toThrow('inner dimensions differ: a is [2, 3], b is [2] (3 vs 2)');
    expect(() => tl.matmul(tl.zeros([2, 3], 'int32'), tl.zeros([3, 2]))).toThrow(
      'matmul(a, b): a: expected a float32 tensor, got an int32 tensor of shape [2, 3]',
    );
    expect(() => tl.matmul(a, tl.zeros([3, 2], 'int32'))).toThrow(
      'matmul(a, b): b: expected a float32 tensor, got an int32 tensor of shape [3, 2]',
    );
    expect(() => tl.matmul(a, tl.zeros([3, 2], 'uint32'))).toThrow(
      'matmul(a, b): b: expected a float32 tensor, got a uint32 tensor of shape [3, 2]',
    );
    expect(() => tl.matmul(tl.tensor(2), tl.zeros([3]))).toThrow(
      'tellus: matmul(a, b): a: expected a tensor of rank >= 1, got a float32 tensor of shape []',
    );
    expect(() => tl.matmul(a, tl.tensor(2))).toThrow(
      'tellus: matmul(a, b): b: expected a tensor of rank >= 1, got a float32 tensor of shape []',
    );
    expect(() => tl.matmul(tl.zeros([2, 2, 3]), tl.zeros([3, 3, 4]))).toThrow(
      'matmul(a, b) batch dims: shapes [2] and [3] cannot be broadcast together',
    );
    expect(() => tl.matmul(a, [[1], [2], [3]] as unknown as tl.Tensor)).toThrow(
      'matmul(a, b): b: expected a Tensor, got an array of length 3 (wrap data with tensor(...))',
    );
    a.dispose();
  });
});
