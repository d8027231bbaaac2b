// Gradients of the layout and indexing ops: reshape, flatten, permute, transpose, slice (steps,
// negative steps, integer indices), sliceScatter, expand, unsqueeze, squeeze, pad (constant, edge,
// reflect), concat, stack, gather, scatterAdd and take (repeated indices, so contributions add up).
// tl.grad against float64 central differences of NumPy/PyTorch-semantics references on every view
// layout, the GPU Taylor test, and jvp of slice and pad.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { forEachIndex, HostArray, rng, upload, useDevice, type Gen } from './helpers.js';
import { randomHost, randomIntHost } from './ref.js';
import { assertScaled, checkGrad, checkTaylor, fdDirectional, readAll, type Fn64, type GradCase } from './gradref.js';

// ---------------------------------------------------------------- float64 references

function reshape64(x: HostArray, shape: number[]): HostArray {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return new HostArray(
    shape.map((d) => (d === -1 ? x.data.length / known : d)),
    x.data,
  );
}

function permute64(x: HostArray, axes: number[]): HostArray {
  const ax = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  return HostArray.build(
    ax.map((a) => x.shape[a]!),
    (idx) => {
      const src = new Array<number>(idx.length);
      ax.forEach((a, j) => (src[a] = idx[j]!));
      return x.at(src);
    },
  );
}

function swap64(x: HostArray, a0: number, a1: number): HostArray {
  const r = x.shape.length;
  const [p, q] = [a0 < 0 ? a0 + r : a0, a1 < 0 ? a1 + r : a1];
  return permute64(
    x,
    x.shape.map((_, i) => (i === p ? q : i === q ? p : i)),
  );
}

type Spec = tl.SliceSpec;

/** Python slicing: the source indices along an axis of length n for one spec entry (null for an integer index, which drops the axis). */
function pySlice(n: number, s: Spec | undefined): number[] | number {
  if (typeof s === 'number') return s < 0 ? s + n : s;
  const [start, stop, stepIn] = s ?? [];
  const step = stepIn ?? 1;
  const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number): number =>
    v == null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const out: number[] = [];
  if (step > 0) for (let i = norm(start, 0, 0, n); i < norm(stop, n, 0, n); i += step) out.push(i);
  else for (let i = norm(start, n - 1, -1, n - 1); i > norm(stop, -1, -1, n - 1); i += step) out.push(i);
  return out;
}

/** Output shape and, per output index, the source index of x[spec]. */
function sliceMap(shape: number[], spec: Spec[]): { shape: number[]; source: (idx: number[]) => number[] } {
  const per = shape.map((n, d) => pySlice(n, spec[d] ?? null));
  const kept = per.flatMap((p, d) => (typeof p === 'number' ? [] : [d]));
  return {
    shape: kept.map((d) => (per[d] as number[]).length),
    source: (idx) => per.map((p, d) => (typeof p === 'number' ? p : p[idx[kept.indexOf(d)]!]!)),
  };
}

function slice64(x: HostArray, spec: Spec[]): HostArray {
  const m = sliceMap(x.shape, spec);
  return HostArray.build(m.shape, (idx) => x.at(m.source(idx)));
}

function sliceScatter64(gv: HostArray, shape: number[], spec: Spec[]): HostArray {
  const m = sliceMap(shape, spec);
  const out = HostArray.build(shape, () => 0);
  forEachIndex(m.shape, (idx, flat) => {
    const src = m.source(idx);
    out.data[src.reduce((o, v, d) => o + v * out.strides[d]!, 0)] = gv.data[flat]!;
  });
  return out;
}

const expand64 = (x: HostArray, shape: number[]): HostArray => HostArray.build(shape, (idx) => x.atBroadcast(idx));

/** NumPy pad: constant fills `value`; edge repeats the border; reflect mirrors without repeating it (iterated for wide pads). */
function pad64(x: HostArray, pads: [number, number][], mode: 'constant' | 'edge' | 'reflect', value = 0): HostArray {
  const full = [...new Array<[number, number]>(x.shape.length - pads.length).fill([0, 0]), ...pads];
  const shape = x.shape.map((n, d) => n + full[d]![0] + full[d]![1]);
  return HostArray.build(shape, (idx) => {
    const src: number[] = [];
    for (let d = 0; d < idx.length; d++) {
      const n = x.shape[d]!;
      let c = idx[d]! - full[d]![0];
      if (c < 0 || c >= n) {
        if (mode === 'constant') return value;
        if (mode === 'edge') c = Math.min(Math.max(c, 0), n - 1);
        else while (c < 0 || c >= n) c = c < 0 ? -c : 2 * (n - 1) - c;
      }
      src.push(c);
    }
    return x.at(src);
  });
}

function concat64(xs: HostArray[], axis: number): HostArray {
  const r = xs[0]!.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const shape = [...xs[0]!.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  return HostArray.build(shape, (idx) => {
    let i = idx[a]!;
    for (const x of xs) {
      if (i < x.shape[a]!) return x.at(idx.map((v, d) => (d === a ? i : v)));
      i -= x.shape[a]!;
    }
    throw new Error('concat64: out of range');
  });
}

function stack64(xs: HostArray[], axis: number): HostArray {
  const a = axis < 0 ? axis + xs[0]!.shape.length + 1 : axis;
  return concat64(
    xs.map((x) => reshape64(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)])),
    a,
  );
}

/** torch.gather. */
const gather64 = (x: HostArray, axis: number, index: HostArray): HostArray =>
  HostArray.build(index.shape, (idx) => x.at(idx.map((v, d) => (d === axis ? index.at(idx) : v))));

/** torch.scatter_add (out of place): src elements outside index's extent are not added. */
function scatterAdd64(target: HostArray, axis: number, index: HostArray, src: HostArray): HostArray {
  const out = HostArray.from(target.shape, target.data);
  forEachIndex(index.shape, (idx) => {
    const t = idx.map((v, d) => (d === axis ? index.at(idx) : v));
    const o = t.reduce((s, v, d) => s + v * out.strides[d]!, 0);
    out.data[o] = out.data[o]! + src.at(idx);
  });
  return out;
}

/** np.take with a 1-D index. */
function take64(x: HostArray, index: number[], axis: number): HostArray {
  const a = axis < 0 ? axis + x.shape.length : axis;
  return HostArray.build(
    x.shape.map((d, i) => (i === a ? index.length : d)),
    (idx) => x.at(idx.map((v, d) => (d === a ? index[v]! : v))),
  );
}

// ---------------------------------------------------------------- cases

// 1e-6: every gradient is w rearranged, or sums of a handful of entries of w (repeated indices,
// pad folds, expand): a few float32 roundings, against a float64 difference quotient good to ~1e-9.
const LAYOUT = 1e-6;

const one =
  (name: string, shape: number[], gpu: (x: tl.Tensor) => tl.Tensor, cpu: (x: HostArray) => HostArray) =>
  (g: Gen): GradCase => ({
    name,
    inputs: [randomHost(g, shape)],
    gpu: gpu,
    cpu: ([x]) => cpu(x!),
    tol: LAYOUT,
  });
const many =
  (name: string, shapes: number[][], gpu: (xs: tl.Tensor[]) => tl.Tensor, cpu: (xs: HostArray[]) => HostArray) =>
  (g: Gen): GradCase => ({
    name,
    inputs: shapes.map((s) => randomHost(g, s)),
    gpu: (...xs) => gpu(xs),
    cpu,
    tol: LAYOUT,
  });
/** An int32 index with values in [0, n); more entries than n along the axis guarantee repeats. */
const indexHost = (g: Gen, shape: number[], n: number): HostArray => randomIntHost(g, shape, 0, n);

const S1: Spec[] = [[1, null], [null, null, -2], 2];
const S2: Spec[] = [-1, [1, -1, 2]];
const S3: Spec[] = [[3, 0, -1], null, [-4, null, 3]];

const CASES: Record<string, (g: Gen) => GradCase> = {
  'reshape [3,4] -> [2,6]': one(
    'reshape',
    [3, 4],
    (x) => tl.reshape(x, [2, 6]),
    (x) => reshape64(x, [2, 6]),
  ),
  'reshape [2,3,4] -> [4,-1]': one(
    'reshape -1',
    [2, 3, 4],
    (x) => tl.reshape(x, [4, -1]),
    (x) => reshape64(x, [4, -1]),
  ),
  'flatten [2,3,4]': one('flatten', [2, 3, 4], tl.flatten, (x) => reshape64(x, [-1])),
  'permute [2,0,1]': one(
    'permute',
    [2, 3, 4],
    (x) => tl.permute(x, [2, 0, 1]),
    (x) => permute64(x, [2, 0, 1]),
  ),
  'permute [-1,0,-2]': one(
    'permute negative',
    [2, 3, 4],
    (x) => tl.permute(x, [-1, 0, -2]),
    (x) => permute64(x, [-1, 0, -2]),
  ),
  'transpose default': one(
    'transpose',
    [2, 3, 4],
    (x) => tl.transpose(x),
    (x) => swap64(x, -2, -1),
  ),
  'transpose(x, 0, 2)': one(
    'transpose 0 2',
    [2, 3, 4],
    (x) => tl.transpose(x, 0, 2),
    (x) => swap64(x, 0, 2),
  ),
  'transpose(x, -3, 1)': one(
    'transpose -3 1',
    [2, 3, 4],
    (x) => tl.transpose(x, -3, 1),
    (x) => swap64(x, -3, 1),
  ),
  'slice [[1,], [::-2], 2]': one(
    'slice S1',
    [4, 5, 6],
    (x) => tl.slice(x, S1),
    (x) => slice64(x, S1),
  ),
  'slice [-1, [1:-1:2]]': one(
    'slice S2',
    [4, 5, 6],
    (x) => tl.slice(x, S2),
    (x) => slice64(x, S2),
  ),
  'slice [[3:0:-1], :, [-4::3]]': one(
    'slice S3',
    [4, 5, 6],
    (x) => tl.slice(x, S3),
    (x) => slice64(x, S3),
  ),
  sliceScatter: one(
    'sliceScatter',
    [2, 3],
    (gv) =>
      tl.sliceScatter(
        gv,
        [4, 5],
        [
          [1, 3],
          [null, null, 2],
        ],
      ),
    (gv) =>
      sliceScatter64(
        gv,
        [4, 5],
        [
          [1, 3],
          [null, null, 2],
        ],
      ),
  ),
  'sliceScatter, negative step and index': one(
    'sliceScatter S2',
    [5],
    (gv) => tl.sliceScatter(gv, [3, 9], [-1, [null, null, -2]]),
    (gv) => sliceScatter64(gv, [3, 9], [-1, [null, null, -2]]),
  ),
  'expand [3,1] -> [2,3,4]': one(
    'expand',
    [3, 1],
    (x) => tl.expand(x, [2, 3, 4]),
    (x) => expand64(x, [2, 3, 4]),
  ),
  'expand [4] -> [3,4]': one(
    'expand rank',
    [4],
    (x) => tl.expand(x, [3, 4]),
    (x) => expand64(x, [3, 4]),
  ),
  'unsqueeze(x, 1)': one(
    'unsqueeze 1',
    [3, 4],
    (x) => tl.unsqueeze(x, 1),
    (x) => reshape64(x, [3, 1, 4]),
  ),
  'unsqueeze(x, -1)': one(
    'unsqueeze -1',
    [3, 4],
    (x) => tl.unsqueeze(x, -1),
    (x) => reshape64(x, [3, 4, 1]),
  ),
  'squeeze all': one(
    'squeeze',
    [3, 1, 4, 1],
    (x) => tl.squeeze(x),
    (x) => reshape64(x, [3, 4]),
  ),
  'squeeze([-1])': one(
    'squeeze -1',
    [3, 1, 4, 1],
    (x) => tl.squeeze(x, [-1]),
    (x) => reshape64(x, [3, 1, 4]),
  ),
  'pad constant 0.5': one(
    'pad constant',
    [3, 4],
    (x) =>
      tl.pad(
        x,
        [
          [1, 2],
          [0, 3],
        ],
        { value: 0.5 },
      ),
    (x) =>
      pad64(
        x,
        [
          [1, 2],
          [0, 3],
        ],
        'constant',
        0.5,
      ),
  ),
  'pad constant, last axis only': one(
    'pad constant last',
    [2, 3, 4],
    (x) => tl.pad(x, [[2, 1]]),
    (x) => pad64(x, [[2, 1]], 'constant'),
  ),
  'pad edge': one(
    'pad edge',
    [3, 4],
    (x) =>
      tl.pad(
        x,
        [
          [2, 3],
          [1, 2],
        ],
        { mode: 'edge' },
      ),
    (x) =>
      pad64(
        x,
        [
          [2, 3],
          [1, 2],
        ],
        'edge',
      ),
  ),
  // The fold sums each band onto its end cell; on a size-1 axis both bands land on the same cell.
  'pad edge, size-1 axis and one-sided': one(
    'pad edge 1',
    [1, 2, 3],
    (x) =>
      tl.pad(
        x,
        [
          [2, 1],
          [0, 3],
          [4, 0],
        ],
        { mode: 'edge' },
      ),
    (x) =>
      pad64(
        x,
        [
          [2, 1],
          [0, 3],
          [4, 0],
        ],
        'edge',
      ),
  ),
  'pad reflect': one(
    'pad reflect',
    [3, 4],
    (x) =>
      tl.pad(
        x,
        [
          [2, 1],
          [1, 3],
        ],
        { mode: 'reflect' },
      ),
    (x) =>
      pad64(
        x,
        [
          [2, 1],
          [1, 3],
        ],
        'reflect',
      ),
  ),
  // Wider than the axis: the reflection folds back more than once.
  'pad reflect, wide': one(
    'pad reflect wide',
    [2, 3],
    (x) => tl.pad(x, [[4, 5]], { mode: 'reflect' }),
    (x) => pad64(x, [[4, 5]], 'reflect'),
  ),
  'concat axis 1': many(
    'concat 1',
    [
      [2, 3],
      [2, 1],
      [2, 4],
    ],
    (xs) => tl.concat(xs, 1),
    (xs) => concat64(xs, 1),
  ),
  'concat axis 0': many(
    'concat 0',
    [
      [1, 3],
      [2, 3],
    ],
    (xs) => tl.concat(xs, 0),
    (xs) => concat64(xs, 0),
  ),
  'concat axis -1': many(
    'concat -1',
    [
      [2, 2, 3],
      [2, 2, 2],
    ],
    (xs) => tl.concat(xs, -1),
    (xs) => concat64(xs, -1),
  ),
  'stack axis 0': many(
    'stack 0',
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    (xs) => tl.stack(xs, 0),
    (xs) => stack64(xs, 0),
  ),
  'stack axis -1': many(
    'stack -1',
    [
      [2, 3],
      [2, 3],
    ],
    (xs) => tl.stack(xs, -1),
    (xs) => stack64(xs, -1),
  ),
  'stack axis 1': many(
    'stack 1',
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    (xs) => tl.stack(xs, 1),
    (xs) => stack64(xs, 1),
  ),
  'gather axis 1': (g) => {
    const hi = indexHost(g, [3, 7], 5);
    return {
      name: 'gather(x [4,5], 1, index [3,7])',
      inputs: [randomHost(g, [4, 5])],
      gpu: (x) => tl.gather(x, 1, upload(hi, 'int32')),
      cpu: ([x]) => gather64(x!, 1, hi),
      tol: LAYOUT,
    };
  },
  'gather axis -2, transposed index view': (g) => {
    const hi = indexHost(g, [6, 5], 4);
    const index = (): tl.Tensor => {
      const t = tl.tensor(Int32Array.from(HostArray.build([5, 6], ([i, j]) => hi.at([j!, i!])).data), { shape: [5, 6] });
      return tl.transpose(t);
    };
    return {
      name: 'gather(x [4,5], -2, index [6,5] view)',
      inputs: [randomHost(g, [4, 5])],
      gpu: (x) => tl.gather(x, -2, index()),
      cpu: ([x]) => gather64(x!, 0, hi),
      tol: LAYOUT,
    };
  },
  // index [6, 3] inside src [6, 4]: src[:, 3] is never added, so its gradient is 0.
  'scatterAdd axis 0': (g) => {
    const hi = indexHost(g, [6, 3], 4);
    return {
      name: 'scatterAdd(target [4,5], 0, index [6,3], src [6,4])',
      inputs: [randomHost(g, [4, 5]), randomHost(g, [6, 4])],
      gpu: (t, s) => tl.scatterAdd(t, 0, upload(hi, 'int32'), s),
      cpu: ([t, s]) => scatterAdd64(t!, 0, hi, s!),
      tol: LAYOUT,
    };
  },
  'scatterAdd axis -1': (g) => {
    const hi = indexHost(g, [4, 8], 5);
    return {
      name: 'scatterAdd(target [4,5], -1, index [4,8], src [4,8])',
      inputs: [randomHost(g, [4, 5]), randomHost(g, [4, 8])],
      gpu: (t, s) => tl.scatterAdd(t, -1, upload(hi, 'int32'), s),
      cpu: ([t, s]) => scatterAdd64(t!, 1, hi, s!),
      tol: LAYOUT,
    };
  },
  'take axis 0': (g) => {
    const idx = Array.from(randomIntHost(g, [7], 0, 4).data);
    return {
      name: 'take(x [4,5], index [7], 0)',
      inputs: [randomHost(g, [4, 5])],
      gpu: (x) => tl.take(x, tl.tensor(Int32Array.from(idx))),
      cpu: ([x]) => take64(x!, idx, 0),
      tol: LAYOUT,
    };
  },
  'take axis -1': (g) => {
    const idx = Array.from(randomIntHost(g, [6], 0, 4).data);
    return {
      name: 'take(x [2,3,4], index [6], -1)',
      inputs: [randomHost(g, [2, 3, 4])],
      gpu: (x) => tl.take(x, tl.tensor(Int32Array.from(idx)), -1),
      cpu: ([x]) => take64(x!, idx, -1),
      tol: LAYOUT,
    };
  },
  'take axis 1': (g) => {
    const idx = Array.from(randomIntHost(g, [5], 0, 3).data);
    return {
      name: 'take(x [2,3,4], index [5], 1)',
      inputs: [randomHost(g, [2, 3, 4])],
      gpu: (x) => tl.take(x, tl.tensor(Int32Array.from(idx)), 1),
      cpu: ([x]) => take64(x!, idx, 1),
      tol: LAYOUT,
    };
  },
};

describe('layout and indexing ops: first derivatives', () => {
  useDevice();
  for (const [name, make] of Object.entries(CASES)) {
    it(`${name}: grad matches float64 finite differences on every layout, and the Taylor remainder falls as h^2`, async () => {
      const g = rng();
      const c = make(g);
      await checkGrad(c, g);
      await checkTaylor(c, g);
    });
  }
});

const GATHER_INDEX = new Int32Array([0, 4, 4, 1, 0, 2, 3, 3, 3, 0, 1, 4]);

describe('jvp of slice, pad and gather', () => {
  useDevice();
  const cases: [string, number[], (x: tl.Tensor) => tl.Tensor, Fn64][] = [
    ['slice [[3:0:-1], :, [-4::3]]', [4, 5, 6], (x) => tl.slice(x, S3), ([x]) => slice64(x!, S3)],
    [
      'pad reflect',
      [3, 4],
      (x) =>
        tl.pad(
          x,
          [
            [2, 1],
            [1, 3],
          ],
          { mode: 'reflect' },
        ),
      ([x]) =>
        pad64(
          x!,
          [
            [2, 1],
            [1, 3],
          ],
          'reflect',
        ),
    ],
    [
      'pad edge',
      [3, 4],
      (x) =>
        tl.pad(
          x,
          [
            [0, 2],
            [3, 1],
          ],
          { mode: 'edge' },
        ),
      ([x]) =>
        pad64(
          x!,
          [
            [0, 2],
            [3, 1],
          ],
          'edge',
        ),
    ],
    [
      'pad constant',
      [3, 4],
      (x) =>
        tl.pad(
          x,
          [
            [1, 1],
            [2, 0],
          ],
          { value: -1 },
        ),
      ([x]) =>
        pad64(
          x!,
          [
            [1, 1],
            [2, 0],
          ],
          'constant',
          -1,
        ),
    ],
    [
      'gather with repeats',
      [4, 5],
      (x) => tl.gather(x, 1, tl.tensor(GATHER_INDEX, { shape: [2, 6] })),
      ([x]) => gather64(x!, 1, HostArray.from([2, 6], GATHER_INDEX)),
    ],
  ];
  for (const [name, shape, op, cpu] of cases) {
    it(`${name}: jvp matches the float64 directional derivative`, async () => {
      const g = rng();
      const hx = randomHost(g, shape);
      const ht = randomHost(g, shape);
      const want = fdDirectional(cpu, [hx], [ht]);
      const [out, tan] = tl.tidy(() => tl.jvp(op, [upload(hx)], [upload(ht)]));
      expect(tan.shape).toEqual(cpu([hx]).shape);
      const [o, t] = await readAll([out, tan]);
      out.dispose();
      tan.dispose();
      // The values are copies of inputs and tangents (exact); 1e-6 covers the float64 quotient.
      assertScaled(o!, cpu([hx]).data, LAYOUT, `seed ${g.seed}: jvp(${name}) primal`);
      assertScaled(t!, want, LAYOUT, `seed ${g.seed}: jvp(${name}) tangent`);
    });
  }
});
