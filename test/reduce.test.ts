// Reductions (sum, mean, prod, max, min, argmax, argmin) against float64 references: every axis
// combination on awkward shapes and non-contiguous views, each kernel path (one thread per output,
// one workgroup per output, two passes over chunks), int32 data, NaN and tie rules, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, IN_BROWSER, rng, upload, useDevice, views, type Gen } from './helpers.js';
import {
  assertEqualValues,
  assertWithin,
  EPS32,
  intViews,
  normAxes,
  randomHost,
  randomIntHost,
  reduceRef,
  refAbsSum,
  refArgmax,
  refArgmin,
  refMax,
  refMean,
  refMin,
  refProd,
  refSum,
  values,
} from './ref.js';

type Axes = number | number[] | undefined;
type FoldOp = 'sum' | 'mean' | 'prod' | 'max' | 'min';
const REF: Record<FoldOp, (v: number[]) => number> = { sum: refSum, mean: refMean, prod: refProd, max: refMax, min: refMin };

const axesText = (a: Axes): string => (a === undefined ? 'all' : JSON.stringify(a));

/**
 * Runs tl[op](x, axes, keepDims) and compares with the float64 reference of `h` (x's logical values).
 * Tolerances:
 *  - sum: float32 accumulation rounds every partial sum (relative 2^-24); over the sequential and
 *    tree orders the kernels use the errors add up like a random walk, |err| <~ sqrt(R) eps sum|x|.
 *    We allow 4 sqrt(R) eps sum|x| (for R <= 64 this also covers the worst case R u sum|x|).
 *  - mean: the sum's bound divided by R, plus two roundings of the final scaling by 1/R.
 *  - prod: no cancellation in a product, so the R - 1 roundings give a relative error <= R u;
 *    we allow 2 R eps |prod| (eps = 2u).
 *  - max/min: selections, so exact.
 */
async function checkFold(op: FoldOp, x: tl.Tensor, h: HostArray, axes: Axes, keepDims: boolean, what: string): Promise<void> {
  const y = tl[op](x, axes, keepDims);
  const want = reduceRef(h, axes, keepDims, REF[op]);
  const msg = `${what}: ${op}(axes ${axesText(axes)}, keepDims ${keepDims})`;
  expect(y.shape, `${msg}: shape`).toEqual(want.shape);
  expect(y.dtype, `${msg}: dtype`).toBe(op === 'mean' ? 'float32' : x.dtype);
  const got = await values(y);
  y.dispose();
  const R = normAxes(h.shape.length, axes).reduce((s, a) => s * h.shape[a]!, 1);
  if (op === 'max' || op === 'min' || (x.dtype !== 'float32' && op !== 'mean')) {
    assertEqualValues(got, want.data, msg);
    return;
  }
  const abs = reduceRef(h, axes, keepDims, refAbsSum).data;
  const bound = Array.from(want.data, (w, i) => {
    const sumBound = 4 * Math.sqrt(R) * EPS32 * abs[i]! + 1e-30;
    if (op === 'sum') return sumBound;
    if (op === 'mean') return sumBound / R + 2 * EPS32 * Math.abs(w);
    return 2 * R * EPS32 * Math.abs(w) + 1e-30;
  });
  assertWithin(got, want.data, bound, msg);
}

/** argmax/argmin(x, axis, keepDims) against the first-index reference (indices are exact). */
async function checkArg(
  op: 'argmax' | 'argmin',
  x: tl.Tensor,
  h: HostArray,
  axis: number | undefined,
  keepDims: boolean,
  what: string,
): Promise<void> {
  const y = tl[op](x, axis, keepDims);
  const f = op === 'argmax' ? refArgmax : refArgmin;
  // Without an axis the index is into the flattened tensor: reduce over every axis in row-major order.
  const want = reduceRef(h, axis, keepDims, f);
  const msg = `${what}: ${op}(axis ${axis ?? 'none'}, keepDims ${keepDims})`;
  expect(y.shape, `${msg}: shape`).toEqual(want.shape);
  expect(y.dtype, `${msg}: dtype`).toBe('int32');
  assertEqualValues(await values(y), want.data, msg);
  y.dispose();
}

/** Random signs on magnitudes in [0.5, 1.5]: products of ~100 of them neither overflow nor underflow. */
function prodHost(g: Gen, shape: number[]): HostArray {
  const h = randomHost(g, shape, 0.5, 1.5);
  for (let i = 0; i < h.data.length; i++) if (g.next() < 0.5) h.data[i] = -h.data[i]!;
  return h;
}

// Every case runs on both kernel paths: 'auto' (one thread per output on the CPU adapters CI has)
// and the workgroup tree reductions real GPUs get; the forced workgroup path runs in Node (the
// SwiftShader Chromium also has) and Deno (llvmpipe), not again in Chromium (IN_BROWSER).
for (const strategy of IN_BROWSER ? (['auto'] as const) : (['auto', 'workgroup'] as const))
  describe(`reductions (${strategy} kernels)`, () => {
    useDevice();
    beforeAll(() => tl.debug({ reductions: strategy }));
    afterAll(() => tl.debug({ reductions: 'auto' }));

    // Odd sizes, size-1 dims in the middle, several and negative axes.
    const CASES: { shape: number[]; axes: Axes[] }[] = [
      { shape: [3, 1, 5, 7], axes: [undefined, 0, 1, 2, -1, [0, 2], [-1, -3], [1, 3], [0, 1, 2, 3], [-4, 2, 3]] },
      { shape: [7], axes: [undefined, 0, -1] },
      {
        shape: [2, 3, 4, 5],
        axes: [
          [1, 2],
          [0, 3],
          [-4, -2, -1],
        ],
      },
      { shape: [1, 1], axes: [undefined, 0, [0, 1]] },
      { shape: [13, 1], axes: [0, 1] },
    ];

    it('sum, mean, max, min over all, single, several and negative axes, with keepDims, on views', async () => {
      const g = rng();
      for (const { shape, axes } of CASES) {
        const h = randomHost(g, shape);
        for (const v of views(h, g)) {
          const x = v.make();
          for (const a of axes) {
            for (const keepDims of [false, true]) {
              for (const op of ['sum', 'mean', 'max', 'min'] as const) {
                await checkFold(op, x, h, a, keepDims, `seed ${g.seed}, [${shape}] ${v.name}`);
              }
            }
          }
          x.dispose();
        }
      }
    });

    it('prod over axes on views', async () => {
      const g = rng();
      for (const { shape, axes } of CASES) {
        const h = prodHost(g, shape);
        for (const v of views(h, g)) {
          const x = v.make();
          for (const a of axes) await checkFold('prod', x, h, a, a === 0, `seed ${g.seed}, [${shape}] ${v.name}`);
          x.dispose();
        }
      }
    });

    it('argmax and argmin return the first extreme index (ties) over each axis and flattened, on views', async () => {
      const g = rng();
      for (const shape of [[3, 1, 5, 7], [7], [2, 3, 4, 5]]) {
        // Seven distinct values: ties everywhere, so "first index" is what is tested.
        const h = randomIntHost(g, shape, -3, 4);
        for (const v of views(h, g)) {
          const x = v.make();
          for (const axis of [undefined, ...shape.map((_, i) => i), -1]) {
            for (const keepDims of [false, true]) {
              await checkArg('argmax', x, h, axis, keepDims, `seed ${g.seed}, [${shape}] ${v.name}`);
              await checkArg('argmin', x, h, axis, keepDims, `seed ${g.seed}, [${shape}] ${v.name}`);
            }
          }
          x.dispose();
        }
      }
    });

    it('workgroup path: few outputs, reductions of 33..16384 elements, ties and views', async () => {
      const g = rng();
      // [shape, axes]: nOut < 1024 and 32 < R <= 16384 selects one workgroup per output.
      const cases: [number[], Axes][] = [
        [[3, 33], 1],
        [[40, 3], 0],
        [
          [5, 6, 7],
          [0, 2],
        ],
        [[1000], undefined],
        [[2, 16384], -1],
      ];
      for (const [shape, axes] of cases) {
        const hf = randomHost(g, shape);
        // Sum of small integers is exact in float32 whatever the order: a dropped or doubled element shows.
        const hi = randomIntHost(g, shape, -8, 9);
        for (const v of views(hf, g)) {
          const x = v.make();
          for (const op of ['sum', 'mean', 'max', 'min'] as const)
            await checkFold(op, x, hf, axes, false, `seed ${g.seed}, [${shape}] ${v.name}`);
          x.dispose();
        }
        for (const v of views(hi, g)) {
          const x = v.make();
          const what = `seed ${g.seed}, [${shape}] ${v.name}, integer data`;
          const y = tl.sum(x, axes);
          assertEqualValues(await values(y), reduceRef(hi, axes, false, refSum).data, `${what}: exact sum`);
          y.dispose();
          const axis = typeof axes === 'number' ? axes : undefined;
          if (axes === undefined || axis !== undefined) {
            await checkArg('argmax', x, hi, axis, false, what);
            await checkArg('argmin', x, hi, axis, true, what);
          }
          x.dispose();
        }
      }
    });

    it('thread path: many outputs (>= 1024) each reducing a short run, contiguous and strided', async () => {
      const g = rng();
      for (const [shape, axis] of [
        [[1100, 40], 1],
        [[40, 1100], 0],
      ] as const) {
        const h = randomHost(g, [...shape]);
        const x = upload(h);
        for (const op of ['sum', 'mean', 'max', 'min'] as const) await checkFold(op, x, h, axis, false, `seed ${g.seed}, [${shape}]`);
        await checkArg('argmax', x, h, axis, false, `seed ${g.seed}, [${shape}]`);
        x.dispose();
      }
    });

    it('two-pass path: 70,000 elements over all axes (sum, mean, max, min, prod, argmax), contiguous and on views', async () => {
      const g = rng();
      const n = 70_000;
      const hf = randomHost(g, [n]);
      const x = upload(hf);
      for (const op of ['sum', 'mean', 'max', 'min'] as const) await checkFold(op, x, hf, undefined, false, `seed ${g.seed}, [${n}]`);
      await checkFold('sum', x, hf, 0, true, `seed ${g.seed}, [${n}]`);
      x.dispose();

      // Integer data: the float32 sum is exact, so each of the 70,000 elements is counted exactly once.
      const hi = randomIntHost(g, [250, 280], -8, 9);
      for (const v of views(hi, g)) {
        const xi = v.make();
        const what = `seed ${g.seed}, [250, 280] ${v.name}, integer data`;
        for (const op of ['sum', 'max', 'min'] as const) {
          const y = tl[op](xi);
          assertEqualValues(await values(y), [REF[op](Array.from(hi.data))], `${what}: ${op}`);
          y.dispose();
        }
        const m = tl.mean(xi);
        // Exact sum times 1/R: two float32 roundings.
        assertWithin(
          await values(m),
          [refMean(Array.from(hi.data))],
          [2 * EPS32 * Math.abs(refMean(Array.from(hi.data))) + 1e-30],
          `${what}: mean`,
        );
        m.dispose();
        await checkArg('argmax', xi, hi, undefined, false, what);
        xi.dispose();
      }

      // prod of +-1 is exact: checks the sign of every chunk's partial product.
      const hs = HostArray.from(
        [n],
        Array.from({ length: n }, () => (g.next() < 0.5 ? -1 : 1)),
      );
      const xs = upload(hs);
      const p = tl.prod(xs);
      expect(await p.item(), `seed ${g.seed}: prod of +-1`).toBe(refProd(Array.from(hs.data)));
      xs.dispose();
      p.dispose();

      // A unique maximum and a tie far apart: argmax must return the first, even at the end of the range.
      const ht = randomHost(g, [n]);
      const first = 1000 + Math.floor(g.next() * 30_000);
      const second = 40_000 + Math.floor(g.next() * 29_999);
      ht.data[first] = 5;
      ht.data[second] = 5;
      const xt = upload(ht);
      const am = tl.argmax(xt);
      const mx = tl.max(xt);
      expect(await am.item(), `seed ${g.seed}: argmax with ties at ${first} and ${second}`).toBe(first);
      expect(await mx.item(), `seed ${g.seed}: max`).toBe(5);
      am.dispose();
      mx.dispose();
      xt.dispose();
    });

    it('two-pass path with several outputs and keepDims, over contiguous and strided runs', async () => {
      const g = rng();
      for (const [shape, axis] of [
        [[3, 20_000], 1],
        [[20_000, 3], 0],
        [[2, 17_000], -1],
      ] as const) {
        const h = randomHost(g, [...shape]);
        const x = upload(h);
        for (const op of ['sum', 'mean', 'max', 'min'] as const) await checkFold(op, x, h, axis, true, `seed ${g.seed}, [${shape}]`);
        x.dispose();
      }
    });

    it('int32 sums, max, min, argmax are exact and mean returns float32, on int32 views', async () => {
      const g = rng();
      for (const shape of [[3, 1, 5, 7], [2, 600], [70_000]]) {
        const h = randomIntHost(g, shape, -1000, 1001);
        for (const v of intViews(h)) {
          const x = v.make();
          const what = `seed ${g.seed}, int32 [${shape}] ${v.name}`;
          expect(x.dtype).toBe('int32');
          const axesList: Axes[] = shape.length > 1 ? [undefined, 0, -1, [0, shape.length - 1]] : [undefined, 0];
          for (const a of axesList) {
            for (const op of ['sum', 'max', 'min'] as const) await checkFold(op, x, h, a, false, what);
            // mean of ints is computed in float32: the exact sum, one rounding, the scale.
            await checkFold('mean', x, h, a, false, what);
          }
          await checkArg('argmax', x, h, undefined, false, what);
          await checkArg('argmin', x, h, -1, false, what);
          x.dispose();
        }
      }
    });

    it('uint32 compares and sums as unsigned', async () => {
      const u = tl.tensor(Uint32Array.from([1, 4_000_000_000, 3, 7, 200_000_000, 0]), { shape: [2, 3] });
      expect(await tl.max(u).item()).toBe(4_000_000_000);
      expect(await tl.min(u).item()).toBe(0);
      expect(await tl.argmax(u).item()).toBe(1);
      expect(await tl.max(u, 0).toArray()).toEqual([7, 4_000_000_000, 3]);
      expect(await tl.argmin(u, 1).toArray()).toEqual([0, 2]);
      // Values past 2^31 (negative as int32) compare and add as unsigned.
      expect(await tl.sum(u, 0).toArray()).toEqual([8, 4_200_000_000, 3]);
      expect(tl.sum(u).dtype).toBe('uint32');
      const m = tl.mean(u, 1);
      expect(m.dtype).toBe('float32');
      // Computed in float32: values past 2^24 round on conversion and in the sum, then the scaling.
      assertWithin(
        await values(m),
        [(1 + 4_000_000_000 + 3) / 3, (7 + 200_000_000) / 3],
        [(4 * EPS32 * 4e9) / 3, (4 * EPS32 * 2e8) / 3],
        'uint32 mean',
      );
    });

    it('max and min propagate NaN; argmax and argmin return the first NaN', async () => {
      const g = rng();
      // Thread path ([6, 9] over axis 1), workgroup path ([4, 500]) and two-pass path ([2, 20000]).
      for (const shape of [
        [6, 9],
        [4, 500],
        [2, 20_000],
      ]) {
        const h = randomHost(g, shape);
        const cols = shape[1]!;
        // Row 0: no NaN; row 1: one NaN; later rows: two NaNs, the first somewhere random.
        for (let r = 1; r < shape[0]!; r++) {
          const c1 = Math.floor(g.next() * cols);
          h.data[r * cols + c1] = NaN;
          if (r > 1) h.data[r * cols + Math.floor(g.next() * cols)] = NaN;
        }
        for (const v of views(h, g)) {
          const x = v.make();
          const what = `seed ${g.seed}, [${shape}] ${v.name}`;
          for (const op of ['max', 'min'] as const) {
            await checkFold(op, x, h, 1, false, what);
            await checkFold(op, x, h, undefined, false, what);
          }
          // The first row has no NaN: max/min of it are finite.
          const row0 = tl.max(tl.slice(x, [0]));
          expect(await row0.item(), `${what}: row without NaN`).toBe(refMax(Array.from(h.data.subarray(0, cols))));
          row0.dispose();
          await checkArg('argmax', x, h, 1, false, what);
          await checkArg('argmin', x, h, -1, false, what);
          await checkArg('argmax', x, h, undefined, false, what);
          x.dispose();
        }
      }
    });

    it('sums in float32 with compensation: 20,000 terms of ~1 stay within 1e-6 relative', async () => {
      const g = rng();
      const d = new Float32Array(20000).map(() => 0.5 + g.next());
      let want = 0;
      for (const v of d) want += v;
      const got = await tl.sum(tl.tensor(d)).item();
      // Plain sequential float32 summation errs by ~sqrt(n) eps (8e-6) typically and n eps (1e-3) at
      // worst; compensated partial sums leave only the final combination of up to 256 partials
      // (~log2(256) eps = 5e-7 in the workgroup tree).
      expect(Math.abs(got - want) / want, `seed ${g.seed}`).toBeLessThan(1e-6);
    });

    it('reducing only axes of size 1 copies: the result has its own storage and keeps NaN; arg ops give 0', async () => {
      const x = tl.tensor(Float32Array.from([1.5, NaN, -2, 4, 0.25, 8]), { shape: [3, 1, 2] });
      const xt = tl.permute(x, [2, 1, 0]); // a strided view: [2, 1, 3]
      const s = tl.sum(x, 1);
      const m = tl.max(xt, [1], true);
      const a = tl.argmax(x, 1);
      x.dispose();
      xt.dispose();
      expect(s.shape).toEqual([3, 2]);
      expect(await values(s)).toEqual([1.5, NaN, -2, 4, 0.25, 8]);
      expect(m.shape).toEqual([2, 1, 3]);
      expect(await values(m)).toEqual([1.5, -2, 0.25, NaN, 4, 8]);
      expect(await values(a)).toEqual([0, 0, 0, 0, 0, 0]);
    });

    it('empty reductions: sum is 0, prod is 1, mean is NaN; max/min/argmax/argmin throw', async () => {
      const x = tl.zeros([2, 0, 3]);
      const s = tl.sum(x, 1);
      expect(s.shape).toEqual([2, 3]);
      expect(await values(s)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(await values(tl.prod(x, [1], true))).toEqual([1, 1, 1, 1, 1, 1]);
      const m = await values(tl.mean(x, 1));
      expect(m).toHaveLength(6);
      for (const v of m) expect(v).toBeNaN();
      // Reducing the non-empty axes of an empty tensor gives an empty result.
      const e = tl.sum(x, [0, 2]);
      expect(e.shape).toEqual([0]);
      expect(await values(e)).toEqual([]);
      expect(await values(tl.max(x, [0, 2]))).toEqual([]);
      expect(await tl.sum(x).item()).toBe(0);
      for (const op of ['max', 'min'] as const) {
        expect(() => tl[op](x, 1)).toThrow(`${op}(x, axes, keepDims): cannot reduce an empty axis (shape [2, 0, 3])`);
        expect(() => tl[op](x)).toThrow('cannot reduce an empty axis');
      }
      for (const op of ['argmax', 'argmin'] as const) {
        expect(() => tl[op](x, 1)).toThrow(`cannot reduce an empty axis (shape [2, 0, 3]) with ${op}`);
        expect(() => tl[op](x)).toThrow('cannot reduce an empty axis');
      }
      x.dispose();
    });

    it('0-d tensors reduce to themselves', async () => {
      const x = tl.tensor(2.5);
      for (const op of ['sum', 'mean', 'prod', 'max', 'min'] as const) {
        const y = tl[op](x);
        expect(y.shape, op).toEqual([]);
        expect(await y.item(), op).toBe(2.5);
        // Axis 0 of a scalar is accepted (as in PyTorch) and reduces nothing.
        expect(await tl[op](x, 0).item(), `${op}(x, 0)`).toBe(2.5);
      }
      expect(await tl.argmax(x).item()).toBe(0);
      expect(await tl.argmin(x, 0).item()).toBe(0);
    });

    it('rejects bad axes and non-tensors with messages naming the argument', () => {
      const x = tl.zeros([2, 3, 4, 5]);
      expect(() => tl.sum(x, 4)).toThrow('tellus: sum(x, axes, keepDims): axes: expected an integer in [-4, 3], got 4');
      expect(() => tl.max(x, [-5])).toThrow('tellus: max(x, axes, keepDims): axes[0]: expected an integer in [-4, 3], got -5');
      expect(() => tl.mean(x, 1.5)).toThrow('tellus: mean(x, axes, keepDims): axes: expected an integer in [-4, 3], got 1.5');
      expect(() => tl.sum(x, [1, -3])).toThrow('tellus: sum(x, axes, keepDims): axes: expected distinct axes, got [1, -3]');
      expect(() => tl.argmax(x, 7)).toThrow('tellus: argmax(x, axis, keepDims): axis: expected an integer in [-4, 3], got 7');
      expect(() => tl.sum([1, 2] as unknown as tl.Tensor)).toThrow(
        'tellus: sum(x, axes, keepDims): x: expected a Tensor, got an array of length 2',
      );
      expect(() => tl.argmin(null as unknown as tl.Tensor)).toThrow('tellus: argmin(x, axis, keepDims): x: expected a Tensor, got null');
      const d = tl.zeros([3]);
      d.dispose();
      expect(() => tl.sum(d)).toThrow('expected a live tensor, got a disposed tensor of shape [3]');
      x.dispose();
    });
  });

describe('float sums a vec4 at a time', () => {
  useDevice();

  it('unit-stride sums of whole vec4s (full, rows, offset rows, chunked) match float64', async () => {
    const g = rng();
    // [shape, axis, slice start]: rows of 4k, a long run split into chunks, an offset view, and
    // lengths that are not multiples of 4 (the per-word path) beside them.
    const cases: [number[], number | undefined, number][] = [
      [[4096], undefined, 0],
      [[3, 1024], 1, 0],
      [[7, 12], 1, 0],
      [[1, 20480], 1, 0],
      [[5, 8], undefined, 0],
      [[6, 10], 1, 0],
      [[4099], undefined, 0],
      [[3, 16], 1, 4],
    ];
    for (const [shape, axis, start] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const host = new Float32Array(n + start).map(() => 2 * g.next() - 1);
      const base = tl.tensor(host);
      const x = tl.reshape(start ? base.slice([[start, n + start]]) : base, shape);
      const got = await tl.sum(x, axis).data();
      const rows = axis === undefined ? 1 : shape[0]!;
      const len = n / rows;
      for (let r = 0; r < rows; r++) {
        let want = 0;
        let mag = 0;
        for (let k = 0; k < len; k++) {
          want += host[start + r * len + k]!;
          mag += Math.abs(host[start + r * len + k]!);
        }
        // Compensated partial sums: a few float32 roundings of the result, not n of them.
        expect(Math.abs(got[r]! - want), `seed ${g.seed}: sum of ${JSON.stringify(shape)} axis ${axis} row ${r}`).toBeLessThanOrEqual(
          4e-7 * mag + 1e-7,
        );
      }
      base.dispose();
    }
  });
});
