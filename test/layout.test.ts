// Layout ops against float64 references built with HostArray: views (reshape of contiguous data,
// flatten, permute, transpose, slice, expand, squeeze, unsqueeze) and copies (reshape of
// non-contiguous views, pad, concat, stack), on contiguous and non-contiguous inputs, plus errors.
// Layout ops only move float32 values, so every comparison is exact.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, rng, size, upload, useDevice, views } from './helpers.js';
import { assertEqualValues, randomHost, values } from './ref.js';

/** Kernels recorded by f (pending work is flushed before and after). */
async function kernelsOf(f: () => tl.Tensor): Promise<{ y: tl.Tensor; kernels: number }> {
  await tl.sync();
  // Dispatches, and the buffer copies that stand in for copy kernels.
  const count = (): number => tl.memory().dispatches + tl.memory().copies;
  const before = count();
  const y = f();
  await tl.sync();
  return { y, kernels: count() - before };
}

async function expectValues(y: tl.Tensor, want: HostArray, what: string): Promise<void> {
  expect(y.shape, `${what}: shape`).toEqual(want.shape);
  assertEqualValues(await values(y), want.data, what);
}

/** Row-major reinterpretation: what every reshape must produce. */
const reshaped = (h: HostArray, shape: number[]): HostArray => new HostArray(shape, h.data);

function permuteRef(h: HostArray, perm: number[]): HostArray {
  const p = perm.map((a) => (a < 0 ? a + h.shape.length : a));
  return HostArray.build(
    p.map((a) => h.shape[a]!),
    (idx) => {
      const src = new Array<number>(p.length);
      p.forEach((a, d) => (src[a] = idx[d]!));
      return h.at(src);
    },
  );
}

type Spec = tl.SliceSpec;

/** The indices Python's slice(start, stop, step).indices(n) walks, written out as CPython does. */
function pySlice(
  n: number,
  start: number | null | undefined,
  stop: number | null | undefined,
  stepIn: number | null | undefined,
): number[] {
  const step = stepIn ?? 1;
  const lower = step > 0 ? 0 : -1;
  const upper = step > 0 ? n : n - 1;
  const fix = (v: number | null | undefined, dflt: number): number =>
    v === null || v === undefined ? dflt : v < 0 ? Math.max(v + n, lower) : Math.min(v, upper);
  const s = fix(start, step > 0 ? lower : upper);
  const e = fix(stop, step > 0 ? upper : lower);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function sliceRef(h: HostArray, spec: Spec[]): HostArray {
  // Per axis: the source indices it walks, or a single fixed index (the axis is dropped).
  const per = h.shape.map((n, d) => {
    const s = spec[d] ?? null;
    if (typeof s === 'number') return { fixed: s < 0 ? s + n : s };
    const [a, b, c] = s ?? [];
    return { list: pySlice(n, a, b, c) };
  });
  const kept = per.filter((p) => p.list !== undefined);
  return HostArray.build(
    kept.map((p) => p.list.length),
    (idx) => {
      let k = 0;
      return h.at(per.map((p) => (p.list !== undefined ? p.list[idx[k++]!]! : p.fixed)));
    },
  );
}

/** NumPy pad, written independently of the kernel: reflect mirrors repeatedly until the index lands inside. */
function padRef(h: HostArray, pads: [number, number][], mode: tl.PadMode, value = 0): HostArray {
  const full = [...new Array<[number, number]>(h.shape.length - pads.length).fill([0, 0]), ...pads];
  const shape = h.shape.map((n, d) => n + full[d]![0] + full[d]![1]);
  return HostArray.build(shape, (idx) => {
    const src: number[] = [];
    for (let d = 0; d < shape.length; d++) {
      const n = h.shape[d]!;
      let c = idx[d]! - full[d]![0];
      if (c < 0 || c >= n) {
        if (mode === 'constant') return value;
        if (mode === 'edge') c = Math.min(Math.max(c, 0), n - 1);
        else if (n === 1) c = 0;
        else
          while (c < 0 || c >= n) {
            if (c < 0) c = -c;
            if (c >= n) c = 2 * (n - 1) - c;
          }
      }
      src.push(c);
    }
    return h.at(src);
  });
}

function concatRef(parts: HostArray[], axis: number): HostArray {
  const a = axis < 0 ? axis + parts[0]!.shape.length : axis;
  const shape = [...parts[0]!.shape];
  shape[a] = parts.reduce((s, p) => s + p.shape[a]!, 0);
  return HostArray.build(shape, (idx) => {
    let c = idx[a]!;
    for (const p of parts) {
      if (c < p.shape[a]!) return p.at(idx.map((v, d) => (d === a ? c : v)));
      c -= p.shape[a]!;
    }
    throw new Error('concatRef: index past the end');
  });
}

describe('layout', () => {
  useDevice();

  it('clone copies exactly: the vec4 path (contiguous, length a multiple of 4), the per-word path and views', async () => {
    const g = rng();
    for (const n of [4, 8, 64, 260, 4096, 100_004, 3, 5, 1023]) {
      for (const dtype of ['float32', 'int32', 'uint32'] as const) {
        const host = randomHost(g, [n], -1e6, 1e6);
        const data =
          dtype === 'float32'
            ? Float32Array.from(host.data)
            : dtype === 'int32'
              ? Int32Array.from(host.data, Math.round)
              : Uint32Array.from(host.data, (v) => Math.abs(Math.round(v)));
        const x = tl.tensor(data);
        const y = tl.clone(x);
        expect(y.dtype).toBe(dtype);
        const got = await y.data();
        const bad = got.findIndex((v, i) => v !== data[i]);
        expect(bad, `seed ${g.seed}: clone of ${n} ${dtype}: element ${bad}`).toBe(-1);
        for (const t of [x, y]) t.dispose();
      }
    }
    // A view (offset and stride) goes through the strided copy.
    const base = tl.arange(40);
    const view = base.slice([[3, 39, 3]]);
    expect(Array.from(await tl.clone(view).data())).toEqual(Array.from({ length: 12 }, (_, k) => 3 + 3 * k));
    base.dispose();
  });

  it('reshape of contiguous data (with -1) and flatten are views: no kernel, row-major values', async () => {
    const g = rng();
    const h = randomHost(g, [2, 3, 4]);
    const x = upload(h);
    for (const shape of [[4, -1], [-1], [24], [2, 12], [1, 24, 1], [3, -1, 2], [2, 3, 4]]) {
      const want = shape.map((d) => (d === -1 ? 24 / -shape.reduce((a, b) => a * b, 1) : d));
      const { y, kernels } = await kernelsOf(() => tl.reshape(x, shape));
      expect(kernels, `reshape to [${shape}]: kernels`).toBe(0);
      expect(y.isContiguous).toBe(true);
      await expectValues(y, reshaped(h, want), `seed ${g.seed}: reshape [2,3,4] to [${shape}]`);
    }
    const { y: f, kernels } = await kernelsOf(() => tl.flatten(x));
    expect(kernels).toBe(0);
    await expectValues(f, reshaped(h, [24]), `seed ${g.seed}: flatten`);
    // 0-d and empty tensors.
    expect(await tl.flatten(tl.tensor(7)).toArray()).toEqual([7]);
    expect(tl.reshape(tl.tensor(7), []).shape).toEqual([]);
    expect(tl.reshape(tl.zeros([0, 3]), [3, 0, -1]).shape).toEqual([3, 0, 0]);
    x.dispose();
  });

  it('reshape of views: collapsible views stay views, others are copied, values are always row-major', async () => {
    const g = rng();
    const h = randomHost(g, [4, 6]);
    for (const v of views(h, g)) {
      const x = v.make();
      for (const shape of [[24], [3, 8], [2, 2, 6], [-1, 4]]) {
        const want = shape.map((d) => (d === -1 ? 6 : d));
        const y = tl.reshape(x, shape);
        await expectValues(y, reshaped(h, want), `seed ${g.seed}: reshape ${v.name} [4,6] to [${shape}]`);
        y.dispose();
      }
      const f = tl.flatten(x);
      await expectValues(f, reshaped(h, [24]), `seed ${g.seed}: flatten ${v.name}`);
      x.dispose();
    }
    const x = upload(h);
    // A transposed view cannot be reinterpreted: one copy kernel, and the result is contiguous.
    const { y: t, kernels: kt } = await kernelsOf(() => tl.reshape(tl.transpose(x), [24]));
    expect(kt, 'reshape of a transpose: kernels').toBe(1);
    expect(t.isContiguous).toBe(true);
    await expectValues(t, reshaped(permuteRef(h, [1, 0]), [24]), `seed ${g.seed}: reshape of transpose`);
    // Column slice x[:, 1:4]: rows are not adjacent, so a copy.
    const { y: cs, kernels: kc } = await kernelsOf(() => tl.reshape(tl.slice(x, [null, [1, 4]]), [12]));
    expect(kc).toBe(1);
    await expectValues(cs, reshaped(sliceRef(h, [null, [1, 4]]), [12]), `seed ${g.seed}: reshape of column slice`);
    // Row slice x[1:3] (offset, contiguous rows), a reversed 1-D slice, a step-2 1-D slice: views.
    for (const [spec, shape] of [
      [[[1, 3]], [3, 4]],
      [
        [1, [null, null, -1]],
        [2, 3],
      ],
      [
        [2, [1, null, 2]],
        [3, 1],
      ],
    ] as [Spec[], number[]][]) {
      const { y, kernels } = await kernelsOf(() => tl.reshape(tl.slice(x, spec), shape));
      expect(kernels, `reshape of slice ${JSON.stringify(spec)}: kernels`).toBe(0);
      await expectValues(y, reshaped(sliceRef(h, spec), shape), `seed ${g.seed}: reshape of slice ${JSON.stringify(spec)}`);
    }
    // An expanded (stride 0) view: copied by reshape, values repeat.
    const col = tl.reshape(tl.slice(x, [null, 0]), [4, 1]);
    const e = tl.reshape(tl.expand(col, [4, 3]), [12]);
    await expectValues(
      e,
      HostArray.build([12], ([i]) => h.at([Math.floor(i! / 3), 0])),
      `seed ${g.seed}: reshape of expand`,
    );
    x.dispose();
  });

  it('reshape rejects bad sizes with the shapes and element counts', () => {
    const x = tl.zeros([2, 3]);
    expect(() => tl.reshape(x, [4, 2])).toThrow('reshape(x, shape): cannot reshape [2, 3] (6 elements) into [4, 2]');
    expect(() => tl.reshape(x, [4, -1])).toThrow('reshape(x, shape): cannot reshape [2, 3] (6 elements) into [4, -1]');
    expect(() => tl.reshape(tl.zeros([10]), [3, -1])).toThrow('cannot reshape [10] (10 elements) into [3, -1]');
    expect(() => tl.reshape(x, [-1, -1])).toThrow('tellus: reshape(x, shape): shape: expected at most one -1, got [-1, -1]');
    expect(() => tl.reshape(x, [-2, -3])).toThrow(
      'tellus: reshape(x, shape): shape: expected an array of non-negative integers, got [-2, -3]',
    );
    expect(() => tl.reshape(x, 6 as unknown as number[])).toThrow(
      'tellus: reshape(x, shape): shape: expected an array of non-negative integers (one may be -1), got 6',
    );
    expect(() => tl.reshape('x' as unknown as tl.Tensor, [6])).toThrow('tellus: reshape(x, shape): x: expected a Tensor, got "x"');
    x.dispose();
  });

  it('permute and transpose are views with the permuted values, on contiguous and non-contiguous inputs', async () => {
    const g = rng();
    const h = randomHost(g, [2, 3, 4]);
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
      [-1, 0, -2],
    ];
    for (const v of views(h, g)) {
      const x = v.make();
      for (const p of perms) {
        const { y, kernels } = await kernelsOf(() => tl.permute(x, p));
        expect(kernels, `permute ${v.name} [${p}]`).toBe(0);
        await expectValues(y, permuteRef(h, p), `seed ${g.seed}: permute ${v.name} [${p}]`);
        y.dispose();
      }
      await expectValues(tl.transpose(x), permuteRef(h, [0, 2, 1]), `seed ${g.seed}: transpose ${v.name}`);
      await expectValues(tl.transpose(x, 0, 2), permuteRef(h, [2, 1, 0]), `seed ${g.seed}: transpose(0, 2) ${v.name}`);
      await expectValues(tl.transpose(x, -3, 1), permuteRef(h, [1, 0, 2]), `seed ${g.seed}: transpose(-3, 1) ${v.name}`);
      await expectValues(x.T, permuteRef(h, [0, 2, 1]), `seed ${g.seed}: .T ${v.name}`);
      x.dispose();
    }
    const v1 = tl.tensor([1, 2, 3]);
    expect(await tl.transpose(v1).toArray()).toEqual([1, 2, 3]);
    const x = tl.zeros([2, 3, 4]);
    expect(() => tl.permute(x, [0, 0, 1])).toThrow('tellus: permute(x, axes): axes: expected a permutation of 3 axes, got [0, 0, 1]');
    expect(() => tl.permute(x, [0, 1])).toThrow('tellus: permute(x, axes): axes: expected a permutation of 3 axes, got [0, 1]');
    expect(() => tl.permute(x, [0, 1, 3])).toThrow('tellus: permute(x, axes): axes[2]: expected an integer in [-3, 2], got 3');
    expect(() => tl.transpose(x, 0, 5)).toThrow('tellus: transpose(x, axis0, axis1): axis1: expected an integer in [-3, 2], got 5');
  });

  it('slice: indices, negative indices, steps (negative too), clamped bounds, nulls, on views', async () => {
    const g = rng();
    const h = randomHost(g, [5, 7, 4]);
    const specs: Spec[][] = [
      [],
      [1],
      [-1],
      [null, [1, 5, 2]],
      [[null, null, -1]],
      [[8, 2, -2]],
      [null, [-3, null, -3]],
      [[4, -1, -1]],
      [null, [-20, 20, 3]],
      [null, [20, -20, -4]],
      [[null, -10, -1]],
      [null, [-1, -100, -2]],
      [null, null, [1, 3]],
      [2, [null, null, -2], 1],
      [[2, 2]],
      [[null, 3], -2, [-1, 0, -1]],
      [[1], null, [null, null, 3]],
      [-5, 6, -4],
    ];
    for (const v of views(h, g)) {
      const x = v.make();
      for (const spec of specs) {
        const what = `seed ${g.seed}: slice ${v.name} ${JSON.stringify(spec)}`;
        const { y, kernels } = await kernelsOf(() => tl.slice(x, spec));
        expect(kernels, `${what}: kernels`).toBe(0);
        await expectValues(y, sliceRef(h, spec), what);
        // Slicing a slice composes offsets and strides.
        const z = tl.slice(
          y,
          y.shape.map(() => [null, null, -1] as const),
        );
        const want = sliceRef(
          sliceRef(h, spec),
          y.shape.map(() => [null, null, -1] as const),
        );
        await expectValues(z, want, `${what}, reversed again`);
        y.dispose();
        z.dispose();
      }
      x.dispose();
    }
  });

  it('slice rejects out-of-range indices, zero steps and extra entries, naming the axis', () => {
    const x = tl.zeros([5, 7, 4]);
    expect(() => tl.slice(x, [5])).toThrow('tellus: slice(x, spec): spec[0]: expected an index in [-5, 4] (axis 0 has size 5), got 5');
    expect(() => tl.slice(x, [null, -8])).toThrow(
      'tellus: slice(x, spec): spec[1]: expected an index in [-7, 6] (axis 1 has size 7), got -8',
    );
    expect(() => tl.slice(x, [null, null, 1.5])).toThrow(
      'tellus: slice(x, spec): spec[2]: expected an index in [-4, 3] (axis 2 has size 4), got 1.5',
    );
    expect(() => tl.slice(x, [[0, 5, 0]])).toThrow('tellus: slice(x, spec): spec[0][2]: expected a non-zero integer step, got 0');
    expect(() => tl.slice(x, [null, [0, 2.5]])).toThrow('tellus: slice(x, spec): spec[1][1]: expected an integer, got 2.5');
    expect(() => tl.slice(x, [null, null, null, null])).toThrow(
      'tellus: slice(x, spec): spec: expected at most 3 entries (one per axis of x), got an array of length 4',
    );
    x.dispose();
  });

  it('expand, squeeze and unsqueeze are views; reading them gives broadcast values', async () => {
    const g = rng();
    const h = randomHost(g, [3, 1]);
    for (const v of views(h, g)) {
      const x = v.make();
      const { y, kernels } = await kernelsOf(() => tl.expand(x, [2, 3, 4]));
      expect(kernels).toBe(0);
      await expectValues(
        y,
        HostArray.build([2, 3, 4], ([, i]) => h.at([i!, 0])),
        `seed ${g.seed}: expand ${v.name}`,
      );
      await expectValues(tl.squeeze(x), HostArray.from([3], h.data), `seed ${g.seed}: squeeze ${v.name}`);
      await expectValues(tl.squeeze(x, [-1]), HostArray.from([3], h.data), `seed ${g.seed}: squeeze(-1) ${v.name}`);
      for (const [axis, shape] of [
        [0, [1, 3, 1]],
        [1, [3, 1, 1]],
        [2, [3, 1, 1]],
        [-1, [3, 1, 1]],
        [-3, [1, 3, 1]],
      ] as const) {
        const u = tl.unsqueeze(x, axis);
        expect(u.shape, `unsqueeze(${axis})`).toEqual(shape);
        // Through a following expand, the inserted axis must behave like any other.
        const e = tl.expand(
          u,
          shape.map((d) => (d === 1 ? 2 : d)),
        );
        const want = HostArray.build(e.shape, (idx) => h.at([idx[shape.indexOf(3)]!, 0]));
        await expectValues(e, want, `seed ${g.seed}: unsqueeze(${axis}) then expand, ${v.name}`);
      }
      x.dispose();
    }
    const s = tl.expand(tl.tensor(2.5), [2, 2]);
    expect(await s.toArray()).toEqual([
      [2.5, 2.5],
      [2.5, 2.5],
    ]);
    const m = tl.zeros([3, 2]);
    expect(() => tl.expand(m, [3, 4])).toThrow('expand(x, shape): shapes [3, 2] and [3, 4] cannot be broadcast together');
    expect(() => tl.expand(m, [2])).toThrow('expand(x, shape): cannot expand [3, 2] to [2]');
    expect(() => tl.squeeze(m, [1])).toThrow('tellus: squeeze(x, axes): axes[0]: expected an axis of size 1, got axis 1, of size 2');
    expect(() => tl.squeeze(m, [2])).toThrow('tellus: squeeze(x, axes): axes[0]: expected an integer in [-2, 1], got 2');
    expect(() => tl.unsqueeze(m, 3)).toThrow('tellus: unsqueeze(x, axis): axis: expected an integer in [-3, 2], got 3');
  });

  it('pad in constant (with value), edge and reflect modes, pads larger than the axis, on every axis and on views', async () => {
    const g = rng();
    const h = randomHost(g, [3, 4, 2]);
    const padSets: [number, number][][] = [
      [
        [2, 3],
        [3, 1],
        [0, 4],
      ],
      [
        [1, 0],
        [0, 0],
        [5, 5],
      ],
      [[0, 1]],
      [
        [7, 6],
        [9, 2],
      ],
    ];
    for (const v of views(h, g)) {
      const x = v.make();
      for (const pads of padSets) {
        for (const [mode, value] of [
          ['constant', undefined],
          ['constant', -2.5],
          ['edge', undefined],
          ['reflect', undefined],
        ] as const) {
          const y = tl.pad(x, pads, { mode, value });
          await expectValues(
            y,
            padRef(h, pads, mode, value ?? 0),
            `seed ${g.seed}: pad ${v.name} ${JSON.stringify(pads)} ${mode} ${value ?? ''}`,
          );
          y.dispose();
        }
      }
      x.dispose();
    }
    // Rank 2 has its own kernel paths (layout.wgsl RANK2, and pad4 when padded rows hold whole
    // vec4s: 4 + 7 + 1 = 12 columns; 4 + 2 + 1 = 7 takes the one-word kernel): every mode on every view.
    const h2 = randomHost(g, [5, 4]);
    for (const v of views(h2, g)) {
      const x = v.make();
      for (const mode of ['constant', 'edge', 'reflect'] as const) {
        for (const pads of [
          [
            [2, 6],
            [7, 1],
          ],
          [
            [0, 1],
            [2, 1],
          ],
        ] as [number, number][][]) {
          const y = tl.pad(x, pads, { mode, value: 1.5 * Number(mode === 'constant') });
          await expectValues(
            y,
            padRef(h2, pads, mode, 1.5 * Number(mode === 'constant')),
            `seed ${g.seed}: pad rank 2 ${v.name} ${mode} ${JSON.stringify(pads)}`,
          );
          y.dispose();
        }
      }
      x.dispose();
    }
    // Size-1 axes: reflect repeats the single sample, like edge.
    const one = randomHost(g, [1, 3]);
    await expectValues(
      tl.pad(
        upload(one),
        [
          [2, 3],
          [4, 4],
        ],
        { mode: 'reflect' },
      ),
      padRef(
        one,
        [
          [2, 3],
          [4, 4],
        ],
        'reflect',
      ),
      `seed ${g.seed}: reflect size-1 axis`,
    );
    // int32 data and value; the default mode is constant 0.
    const hi = HostArray.from([2, 3], [1, -2, 3, 4, 5, -6]);
    const xi = upload(hi, 'int32');
    const pi = tl.pad(
      xi,
      [
        [1, 1],
        [0, 2],
      ],
      { value: 7 },
    );
    expect(pi.dtype).toBe('int32');
    await expectValues(
      pi,
      padRef(
        hi,
        [
          [1, 1],
          [0, 2],
        ],
        'constant',
        7,
      ),
      'int32 pad',
    );
    await expectValues(
      tl.pad(xi, [
        [0, 0],
        [2, 0],
      ]),
      padRef(
        hi,
        [
          [0, 0],
          [2, 0],
        ],
        'constant',
      ),
      'int32 pad default',
    );
    await expectValues(
      tl.pad(
        xi,
        [
          [0, 0],
          [4, 3],
        ],
        { mode: 'reflect' },
      ),
      padRef(
        hi,
        [
          [0, 0],
          [4, 3],
        ],
        'reflect',
      ),
      'int32 reflect',
    );
    // Empty axes may be constant-padded.
    await expectValues(
      tl.pad(
        tl.zeros([0, 2]),
        [
          [1, 1],
          [0, 0],
        ],
        { value: 3 },
      ),
      HostArray.from([2, 2], [3, 3, 3, 3]),
      'constant pad of an empty axis',
    );
  });

  it('pad rejects bad pads, modes and values, naming the argument', () => {
    const x = tl.zeros([2, 3]);
    expect(() =>
      tl.pad(x, [
        [-1, 0],
        [0, 0],
      ]),
    ).toThrow('tellus: pad(x, pads, opts): pads[0][0]: expected an integer >= 0, got -1');
    expect(() =>
      tl.pad(x, [
        [0, 0],
        [0, 1.5],
      ]),
    ).toThrow('tellus: pad(x, pads, opts): pads[1][1]: expected an integer >= 0, got 1.5');
    expect(() =>
      tl.pad(x, [
        [0, 0],
        [0, 0],
        [1, 1],
      ]),
    ).toThrow('tellus: pad(x, pads, opts): pads: expected at most 2 pairs (one per axis of x), got an array of length 3');
    expect(() => tl.pad(x, [[1, 1]], { mode: 'wrap' as tl.PadMode })).toThrow(
      `tellus: pad(x, pads, opts): mode: expected 'constant', 'edge' or 'reflect', got "wrap"`,
    );
    expect(() => tl.pad(x, [[1, 1]], { value: NaN })).toThrow('tellus: pad(x, pads, opts): value: expected a finite number, got NaN');
    expect(() => tl.pad(tl.zeros([2], 'int32'), [[1, 1]], { value: 2.5 })).toThrow(
      'tellus: pad(x, pads, opts): value: expected an integer for int32, got 2.5',
    );
    expect(() =>
      tl.pad(
        tl.zeros([0, 3]),
        [
          [1, 0],
          [0, 0],
        ],
        { mode: 'reflect' },
      ),
    ).toThrow("pad(x, pads): mode 'reflect' cannot pad axis 0 of size 0");
    expect(() =>
      tl.pad(
        tl.zeros([3, 0]),
        [
          [0, 0],
          [0, 2],
        ],
        { mode: 'edge' },
      ),
    ).toThrow("pad(x, pads): mode 'edge' cannot pad axis 1 of size 0");
    x.dispose();
  });

  it('concat along each axis (negative too), with size-0 parts and view parts; stack along each axis', async () => {
    const g = rng();
    const base = [2, 3, 4];
    for (let axis = 0; axis < 3; axis++) {
      const sizes = [2, 0, 3, 1];
      const hs = sizes.map((n) =>
        randomHost(
          g,
          base.map((d, i) => (i === axis ? n : d)),
        ),
      );
      // Parts as contiguous, transposed and strided views in turn.
      const parts = hs.map((h, i) => views(h, g)[i % 3]!.make());
      for (const ax of [axis, axis - 3]) {
        const { y, kernels } = await kernelsOf(() => tl.concat(parts, ax));
        // One copy per non-empty part.
        expect(kernels, `concat axis ${ax}: kernels`).toBe(3);
        await expectValues(y, concatRef(hs, axis), `seed ${g.seed}: concat axis ${ax}`);
        y.dispose();
      }
      const single = tl.concat([parts[0]!], axis);
      await expectValues(single, hs[0]!, `seed ${g.seed}: concat of one part, axis ${axis}`);
      const m = parts[0]!.concat([parts[2]!], axis);
      await expectValues(m, concatRef([hs[0]!, hs[2]!], axis), `seed ${g.seed}: Tensor.concat, axis ${axis}`);
      for (const p of parts) p.dispose();
    }
    // The copies by layout: contiguous runs (copyBufferToBuffer, at offsets on both sides, aligned
    // to vec4s or not), and rows whose last group of four is short (6 and 7 columns), strided too.
    const flat = Array.from({ length: 16 }, (_, i) => i + 0.5);
    const f = tl.tensor(flat);
    const aligned = tl.concat([tl.slice(f, [[4, 12]]), tl.slice(f, [[0, 8]])]);
    expect(await values(aligned)).toEqual([...flat.slice(4, 12), ...flat.slice(0, 8)]);
    const off = tl.concat([tl.slice(f, [[1, 9]]), tl.slice(f, [[3, 16]])]);
    expect(await values(off)).toEqual([...flat.slice(1, 9), ...flat.slice(3, 16)]);
    const h6 = randomHost(g, [3, 6]);
    const h7 = randomHost(g, [3, 7]);
    const h7t = new HostArray(
      [7, 3],
      Float64Array.from({ length: 21 }, (_, k) => h7.data[(k % 3) * 7 + Math.floor(k / 3)]!),
    );
    const rows = tl.concat([upload(h6), tl.transpose(upload(h7t))], 1);
    await expectValues(rows, concatRef([h6, h7], 1), `seed ${g.seed}: concat of 6 and 7 columns`);
    // Every part empty: an empty result that still reads back.
    const e = tl.concat([tl.zeros([0, 3]), tl.zeros([0, 3])], 0);
    expect(e.shape).toEqual([0, 3]);
    expect(await values(e)).toEqual([]);
    const e1 = tl.concat([tl.zeros([2, 0]), tl.zeros([2, 0])], 1);
    expect(e1.shape).toEqual([2, 0]);
    expect(await values(e1)).toEqual([]);
    // 0-d tensors stack into a vector (concat needs rank >= 1).
    expect(await tl.stack([tl.tensor(3), tl.tensor(4), tl.tensor(5)]).toArray()).toEqual([3, 4, 5]);
    // int32 parts.
    const ci = tl.concat([
      tl.tensor([[1, 2]], { dtype: 'int32' }),
      tl.tensor(
        [
          [3, 4],
          [5, 6],
        ],
        { dtype: 'int32' },
      ),
    ]);
    expect(ci.dtype).toBe('int32');
    expect(await ci.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);

    const hs = [0, 1, 2].map(() => randomHost(g, [3, 4]));
    const parts = hs.map((h, i) => views(h, g)[i]!.make());
    for (const axis of [0, 1, 2, -1, -3]) {
      const a = axis < 0 ? axis + 3 : axis;
      const y = tl.stack(parts, axis);
      const want = HostArray.build([...[3, 4].slice(0, a), 3, ...[3, 4].slice(a)], (idx) => hs[idx[a]!]!.at(idx.filter((_, d) => d !== a)));
      await expectValues(y, want, `seed ${g.seed}: stack axis ${axis}`);
      y.dispose();
    }
  });

  it('concat and stack reject shape, rank and dtype mismatches and bad axes, naming the tensor', () => {
    const a = tl.zeros([2, 4, 4]);
    const b = tl.zeros([2, 5, 3]);
    expect(() => tl.concat([a, b], 1)).toThrow(
      'tellus: concat(tensors, axis): tensors[1]: expected a tensor of shape [2, 4, 4] (as tensors[0]) except along axis 1, got a float32 tensor of shape [2, 5, 3]',
    );
    expect(() => tl.concat([a, tl.zeros([2, 4])], 0)).toThrow(
      'tellus: concat(tensors, axis): tensors[1]: expected a tensor of shape [2, 4, 4] (as tensors[0]) except along axis 0, got a float32 tensor of shape [2, 4]',
    );
    expect(() => tl.concat([a, tl.zeros([2, 4, 4], 'int32')])).toThrow(
      'tellus: concat(tensors, axis): tensors[1]: expected a float32 tensor (as tensors[0]), got an int32 tensor of shape [2, 4, 4]',
    );
    expect(() => tl.concat([])).toThrow(
      'tellus: concat(tensors, axis): tensors: expected a non-empty array of tensors, got an array of length 0',
    );
    expect(() => tl.concat([a, 3 as unknown as tl.Tensor])).toThrow('tellus: concat(tensors, axis): tensors[1]: expected a Tensor, got 3');
    expect(() => tl.concat([a, a], 3)).toThrow('tellus: concat(tensors, axis): axis: expected an integer in [-3, 2], got 3');
    expect(() => tl.stack([a, b])).toThrow(
      'tellus: stack(tensors, axis): tensors[1]: expected a tensor of shape [2, 4, 4] (as tensors[0]), got a float32 tensor of shape [2, 5, 3]',
    );
    expect(() => tl.stack([a, 'b' as unknown as tl.Tensor])).toThrow(
      'tellus: stack(tensors, axis): tensors[1]: expected a Tensor, got "b"',
    );
    expect(() => tl.stack([a, a], 4)).toThrow('tellus: stack(tensors, axis): axis: expected an integer in [-4, 3], got 4');
    expect(() => tl.stack([])).toThrow(
      'tellus: stack(tensors, axis): tensors: expected a non-empty array of tensors, got an array of length 0',
    );
    expect(() => tl.concat([tl.tensor(1), tl.tensor(2)])).toThrow(
      'tellus: concat(tensors, axis): tensors[0]: expected a tensor of rank >= 1 (stack joins 0-d tensors), got a float32 tensor of shape []',
    );
    expect(size(a.shape)).toBe(32);
  });
});
