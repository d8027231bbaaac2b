// gather (PyTorch semantics), scatterAdd (deterministic, duplicates summed) and take (NumPy take
// with a 1-D index) against float64 references, on random data and non-contiguous views; index
// validation on the device (out-of-range indices reject the read, and the engine keeps working).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { forEachIndex, HostArray, rng, useDevice, views, type Gen } from './helpers.js';
import { assertEqualValues, assertWithin, EPS32, intViews, randomHost, randomIntHost, values } from './ref.js';

/** torch.gather: out[idx] = x[idx with idx[axis] replaced by index[idx]]; out has index's shape. */
function gatherRef(x: HostArray, axis: number, index: HostArray): HostArray {
  return HostArray.build(index.shape, (idx) => x.at(idx.map((v, d) => (d === axis ? index.at(idx) : v))));
}

/**
 * torch.scatter_add (out-of-place): target plus, for each position idx of index, src[idx] added at
 * idx with idx[axis] replaced by index[idx]. Also returns the sum of |terms| per output, which
 * bounds the float32 rounding error.
 */
function scatterAddRef(target: HostArray, axis: number, index: HostArray, src: HostArray): { out: HostArray; abs: Float64Array } {
  const out = HostArray.from(target.shape, target.data);
  const abs = Float64Array.from(target.data, Math.abs);
  forEachIndex(index.shape, (idx) => {
    const t = idx.map((v, d) => (d === axis ? index.at(idx) : v));
    let o = 0;
    t.forEach((v, d) => (o += v * out.strides[d]!));
    out.data[o] = out.data[o]! + src.at(idx);
    abs[o] = abs[o]! + Math.abs(src.at(idx));
  });
  return { out, abs };
}

/** np.take(x, index, axis) for a 1-D index of in-range, non-negative values. */
function takeRef(x: HostArray, index: number[], axis: number): HostArray {
  const shape = x.shape.map((d, i) => (i === axis ? index.length : d));
  return HostArray.build(shape, (idx) => x.at(idx.map((v, d) => (d === axis ? index[v]! : v))));
}

const randomIndex = (g: Gen, shape: number[], axisLen: number): HostArray => randomIntHost(g, shape, 0, axisLen);

describe('indexing', () => {
  useDevice();

  it('gather along each axis (negative too) with index shapes smaller than x off the axis, on views', async () => {
    const g = rng();
    const xs = [4, 5, 6];
    const hx = randomHost(g, xs);
    // Index shapes per axis: along the axis any length (longer than x's too), elsewhere <= x's extent.
    const indexShapes: Record<number, number[][]> = {
      0: [
        [7, 5, 6],
        [2, 3, 1],
      ],
      1: [
        [4, 9, 6],
        [1, 2, 6],
      ],
      2: [
        [4, 5, 3],
        [3, 4, 8],
      ],
    };
    for (const vx of views(hx, g)) {
      const x = vx.make();
      for (const axis of [0, 1, 2]) {
        for (const ishape of indexShapes[axis]!) {
          const hi = randomIndex(g, ishape, xs[axis]!);
          for (const vi of intViews(hi)) {
            const index = vi.make();
            for (const ax of [axis, axis - 3]) {
              const what = `seed ${g.seed}: gather(x ${vx.name}, ${ax}, index [${ishape}] ${vi.name})`;
              const y = tl.gather(x, ax, index);
              expect(y.shape, what).toEqual(ishape);
              expect(y.dtype).toBe('float32');
              assertEqualValues(await values(y), gatherRef(hx, axis, hi).data, what);
              y.dispose();
            }
            index.dispose();
          }
        }
      }
      x.dispose();
    }
    // int32 data, the method form, and an empty index.
    const xi = tl.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'int32' },
    );
    const gi = xi.gather(
      1,
      tl.tensor(
        [
          [2, 2],
          [0, 1],
        ],
        { dtype: 'int32' },
      ),
    );
    expect(gi.dtype).toBe('int32');
    expect(await gi.toArray()).toEqual([
      [3, 3],
      [4, 5],
    ]);
    const ge = tl.gather(xi, 0, tl.tensor(new Int32Array(0), { shape: [0, 3] }));
    expect(ge.shape).toEqual([0, 3]);
    expect(await values(ge)).toEqual([]);
  });

  it('scatterAdd sums duplicate indices, float32 and int32, on views, and is deterministic', async () => {
    const g = rng();
    const ts = [3, 4, 5];
    for (const axis of [0, 1, 2]) {
      // The index axis (7) is longer than the target axis, so duplicates are certain; index and
      // src may be smaller than target off the axis.
      const ishape = ts.map((d, i) => (i === axis ? 7 : d - (i % 2)));
      const sshape = ishape.map((d) => d + 1);
      const hi = randomIndex(g, ishape, ts[axis]!);
      const ht = randomHost(g, ts);
      const hs = randomHost(g, sshape);
      const want = scatterAddRef(ht, axis, hi, hs);
      // Each output adds at most 7 terms to the target in some order: the float32 error is at
      // most (terms) u sum|terms| (worst-case sequential summation); we allow 2 (8) eps sum|terms|.
      const bound = Array.from(want.abs, (a) => 2 * 8 * EPS32 * a + 1e-30);
      const vts = views(ht, g);
      const vss = views(hs, g);
      const vis = intViews(hi);
      for (let k = 0; k < 3; k++) {
        const target = vts[k]!.make();
        const src = vss[(k + 1) % 3]!.make();
        const index = vis[(k + 2) % 3]!.make();
        for (const ax of [axis, axis - 3]) {
          const what = `seed ${g.seed}: scatterAdd(target ${vts[k]!.name}, ${ax}, index [${ishape}] ${vis[(k + 2) % 3]!.name}, src ${vss[(k + 1) % 3]!.name})`;
          const y1 = tl.scatterAdd(target, ax, index, src);
          const y2 = target.scatterAdd(ax, index, src);
          expect(y1.shape, what).toEqual(ts);
          const got1 = await y1.data();
          const got2 = await y2.data();
          assertWithin(got1, want.out.data, bound, what);
          // Same inputs, same bits: the summation order is fixed.
          expect(got2, `${what}: second run`).toEqual(got1);
          y1.dispose();
          y2.dispose();
        }
        for (const t of [target, src, index]) t.dispose();
      }

      // int32: exact, including the target's own values.
      const hti = randomIntHost(g, ts, -50, 50);
      const hsi = randomIntHost(g, sshape, -1000, 1000);
      const wi = scatterAddRef(hti, axis, hi, hsi).out;
      for (let k = 0; k < 3; k++) {
        const target = intViews(hti)[k]!.make();
        const src = intViews(hsi)[(k + 2) % 3]!.make();
        const index = intViews(hi)[(k + 1) % 3]!.make();
        const y = tl.scatterAdd(target, axis, index, src);
        expect(y.dtype).toBe('int32');
        assertEqualValues(await values(y), wi.data, `seed ${g.seed}: int32 scatterAdd axis ${axis}, view set ${k}`);
        for (const t of [target, src, index, y]) t.dispose();
      }
    }
    // A hand-checked case: every src element lands on index 1 of the target.
    const t = tl.zeros([3]);
    const y = tl.scatterAdd(t, 0, tl.tensor([1, 1, 1, 1], { dtype: 'int32' }), tl.tensor([1, 2, 3, 4]));
    expect(await y.toArray()).toEqual([0, 10, 0]);
    // An empty target gives an empty result that still reads back; an empty index adds nothing.
    const e = tl.scatterAdd(tl.zeros([0, 3]), 0, tl.zeros([0, 3], 'int32'), tl.zeros([0, 3]));
    expect(e.shape).toEqual([0, 3]);
    expect(await values(e)).toEqual([]);
    const n = tl.scatterAdd(tl.ones([2, 3]), 1, tl.zeros([2, 0], 'int32'), tl.zeros([2, 0]));
    expect(await n.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  it('take with a 1-D index (duplicates, any order) along each axis, on views', async () => {
    const g = rng();
    const hx = randomHost(g, [4, 3, 5]);
    for (const vx of views(hx, g)) {
      const x = vx.make();
      for (const axis of [0, 1, 2, -1]) {
        const a = axis < 0 ? axis + 3 : axis;
        const n = hx.shape[a]!;
        const hi = randomIndex(g, [6], n);
        for (const vi of intViews(hi)) {
          const index = vi.make();
          const what = `seed ${g.seed}: take(x ${vx.name}, index ${vi.name} [${Array.from(hi.data)}], ${axis})`;
          const y = tl.take(x, index, axis);
          assertEqualValues(await values(y), takeRef(hx, Array.from(hi.data), a).data, what);
          expect(y.shape, what).toEqual(hx.shape.map((d, i) => (i === a ? 6 : d)));
          index.dispose();
          y.dispose();
        }
      }
      // Default axis 0, the method form, and an empty index.
      const i0 = tl.tensor([3, 0, 3], { dtype: 'int32' });
      assertEqualValues(await values(x.take(i0)), takeRef(hx, [3, 0, 3], 0).data, `seed ${g.seed}: take default axis, ${vx.name}`);
      const e = tl.take(x, tl.tensor(new Int32Array(0)), 1);
      expect(e.shape).toEqual([4, 0, 5]);
      expect(await values(e)).toEqual([]);
      x.dispose();
    }
  });

  it('out-of-range indices reject the read with "out of range"; the engine keeps working', async () => {
    const x = tl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const good = tl.tensor([[2, 0, 1]], { dtype: 'int32' });
    const bad: [string, () => tl.Tensor][] = [
      ['gather, index = axis length', () => tl.gather(x, 1, tl.tensor([[0, 3, 1]], { dtype: 'int32' }))],
      ['gather, negative index', () => tl.gather(x, 0, tl.tensor([[0, -1, 1]], { dtype: 'int32' }))],
      ['scatterAdd, index too large', () => tl.scatterAdd(tl.zeros([2, 3]), 0, tl.tensor([[0, 2, 1]], { dtype: 'int32' }), x)],
      ['scatterAdd, negative index', () => tl.scatterAdd(tl.zeros([2, 3]), 1, tl.tensor([[-1], [0]], { dtype: 'int32' }), x)],
      ['take, index too large', () => tl.take(x, tl.tensor([1, 7], { dtype: 'int32' }), 1)],
      ['take, negative index', () => tl.take(x, tl.tensor([-1], { dtype: 'int32' }))],
    ];
    for (const [what, make] of bad) {
      const y = make();
      await expect(y.data(), what).rejects.toThrow('out of range');
      y.dispose();
      // The flag was consumed: a correct op right after reads back normally with the right values.
      const ok = tl.gather(x, 1, good);
      expect(await ok.toArray(), `after ${what}`).toEqual([[3, 1, 2]]);
      const s = tl.scatterAdd(tl.zeros([2, 3]), 0, tl.tensor([[1, 1, 0]], { dtype: 'int32' }), x);
      expect(await s.toArray(), `after ${what}`).toEqual([
        [0, 0, 3],
        [1, 2, 0],
      ]);
      ok.dispose();
      s.dispose();
    }
  });

  it('requires an int32 index and matching shapes, naming the argument', () => {
    const x = tl.zeros([4, 5]);
    const fi = tl.zeros([4, 5]);
    const ui = tl.zeros([4, 5], 'uint32');
    const ii = tl.zeros([4, 5], 'int32');
    expect(() => tl.gather(x, 0, fi)).toThrow(TypeError);
    expect(() => tl.gather(x, 0, fi)).toThrow(
      'tellus: gather(x, axis, index): index: expected an int32 tensor, got a float32 tensor of shape [4, 5]',
    );
    expect(() => tl.gather(x, 0, ui)).toThrow(
      'tellus: gather(x, axis, index): index: expected an int32 tensor, got a uint32 tensor of shape [4, 5]',
    );
    expect(() => tl.scatterAdd(x, 0, fi, x)).toThrow(TypeError);
    expect(() => tl.scatterAdd(x, 0, fi, x)).toThrow(
      'tellus: scatterAdd(target, axis, index, src): index: expected an int32 tensor, got a float32 tensor of shape [4, 5]',
    );
    expect(() => tl.take(x, tl.zeros([3]))).toThrow(TypeError);
    expect(() => tl.take(x, tl.zeros([3]))).toThrow(
      'tellus: take(x, index, axis): index: expected an int32 tensor, got a float32 tensor of shape [3]',
    );
    expect(() => tl.gather(x, 0, tl.zeros([4], 'int32'))).toThrow(
      "gather(x, axis, index): index must have x's rank and fit inside x off the axis; got x [4, 5], index [4], axis 0",
    );
    expect(() => tl.gather(x, 0, tl.zeros([2, 6], 'int32'))).toThrow('got x [4, 5], index [2, 6], axis 0');
    expect(() => tl.gather(x, 2, ii)).toThrow('tellus: gather(x, axis, index): axis: expected an integer in [-2, 1], got 2');
    expect(() => tl.scatterAdd(x, 0, ii, tl.zeros([4, 5], 'int32'))).toThrow(
      'tellus: scatterAdd(target, axis, index, src): src: expected a float32 tensor (as target), got an int32 tensor of shape [4, 5]',
    );
    expect(() => tl.scatterAdd(x, 1, tl.zeros([4, 6], 'int32'), tl.zeros([4, 5]))).toThrow(
      "scatterAdd(target, axis, index, src): index must have target's rank, fit inside src, and inside target off the axis; got target [4, 5], index [4, 6], src [4, 5], axis 1",
    );
    expect(() => tl.take(x, tl.zeros([2, 2], 'int32'))).toThrow(
      'tellus: take(x, index, axis): index: expected a 1-D tensor, got an int32 tensor of shape [2, 2]',
    );
    expect(() => tl.take(x, [1, 2] as unknown as tl.Tensor)).toThrow(
      'tellus: take(x, index, axis): index: expected a Tensor, got an array of length 2',
    );
    expect(() => tl.gather(null as unknown as tl.Tensor, 0, ii)).toThrow('gather(x, axis, index): x: expected a Tensor, got null');
    // 0-d tensors have no axis to index.
    const i0 = tl.tensor(0, { dtype: 'int32' });
    expect(() => tl.gather(tl.tensor(3), 0, i0)).toThrow(
      'tellus: gather(x, axis, index): x: expected a tensor of rank >= 1, got a float32 tensor of shape []',
    );
    expect(() => tl.scatterAdd(tl.tensor(3), 0, i0, tl.tensor(1))).toThrow(
      'tellus: scatterAdd(target, axis, index, src): target: expected a tensor of rank >= 1, got a float32 tensor of shape []',
    );
    expect(() => tl.take(tl.tensor(3), tl.tensor([0], { dtype: 'int32' }))).toThrow(
      'tellus: take(x, index, axis): x: expected a tensor of rank >= 1, got a float32 tensor of shape []',
    );
  });
});
