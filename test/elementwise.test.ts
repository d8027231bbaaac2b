// Elementwise unary/binary ops, where and cast against float64 references on fresh random inputs,
// including broadcasting, scalars, integer dtypes and non-contiguous views.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { erf64 } from './gradref.js';
import {
  assertClose,
  broadcastShape,
  forEachIndex,
  HostArray,
  randomFloats,
  randomInts,
  rng,
  size,
  upload,
  useDevice,
  views,
} from './helpers.js';

type UnaryCase = { op: keyof typeof REF; lo: number; hi: number };
const REF = {
  neg: (x: number) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x: number) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  relu: (x: number) => Math.max(x, 0),
  gelu: (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
  softplus: (x: number) => Math.log1p(Math.exp(x)),
  square: (x: number) => x * x,
  reciprocal: (x: number) => 1 / x,
  sign: Math.sign,
  erf: erf64,
  log1p: Math.log1p,
  expm1: Math.expm1,
};
const CASES: UnaryCase[] = [
  ...(['neg', 'abs', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'gelu', 'softplus', 'square', 'sign', 'erf', 'expm1'] as const).map(
    (op) => ({ op, lo: -3, hi: 3 }),
  ),
  { op: 'log1p', lo: -0.9, hi: 4 },
  ...(['log', 'sqrt', 'rsqrt', 'reciprocal'] as const).map((op) => ({ op, lo: 0.05, hi: 4 })),
];

describe('unary ops', () => {
  useDevice();
  const shapes = [[1], [7], [3, 5], [2, 1, 9], [4, 3, 2, 3]];

  for (const { op, lo, hi } of CASES) {
    it(`${op} matches float64 on every view layout`, async () => {
      const g = rng();
      for (const shape of shapes) {
        const h = HostArray.from(shape, randomFloats(g, size(shape), lo, hi));
        const want = h.data.map(REF[op]);
        for (const v of views(h, g)) {
          const x = v.make();
          const y = tl[op](x);
          expect(y.shape).toEqual(shape);
          // float32 transcendentals are accurate to a few ulp (~1e-7 relative); 4e-6 leaves room
          // for SwiftShader's and llvmpipe's fast paths while catching any real formula error.
          assertClose(await y.data(), want, { rtol: 4e-6, atol: 2e-6 }, `${op} ${v.name} [${shape}] seed ${g.seed}`);
          x.dispose();
          y.dispose();
        }
      }
    });
  }

  it('sin and cos stay accurate over many periods (own range reduction)', async () => {
    const g = rng();
    const h = HostArray.from([4000], randomFloats(g, 4000, -200, 200));
    const x = upload(h);
    const xs = Float64Array.from(new Float32Array(h.data));
    // Cody-Waite reduction keeps the absolute error near float32 rounding of the result.
    assertClose(await tl.sin(x).data(), xs.map(Math.sin), { rtol: 0, atol: 2e-6 }, `sin seed ${g.seed}`);
    assertClose(await tl.cos(x).data(), xs.map(Math.cos), { rtol: 0, atol: 2e-6 }, `cos seed ${g.seed}`);
  });

  it('log1p and expm1 keep float32 accuracy for tiny |x| and match float64 elsewhere', async () => {
    const g = rng();
    // Tiny: |x| log-uniform over 1e-10 .. 1e-3 with random signs. Moderate: log1p on (-0.99, 50),
    // expm1 on (-20, 12) (its -1 tail, and the plain e^x branch above 20 is left to the next test:
    // WGSL lets exp err by (3 + 2|x|) ulp, 2e-6 relative at x = 12).
    const tiny = Array.from({ length: 600 }, () => (g.next() < 0.5 ? -1 : 1) * 10 ** (-10 + 7 * g.next()));
    const cases = { log1p: [-0.99, 50], expm1: [-20, 12] } as const;
    for (const [op, [lo, hi]] of Object.entries(cases) as [keyof typeof cases, readonly [number, number]][]) {
      const xs = new Float32Array([...tiny, ...randomFloats(g, 600, lo, hi), 0, -0]);
      const x = tl.tensor(xs);
      const want = Float64Array.from(xs, REF[op]);
      // Purely relative: at |x| = 1e-10 the answer is x itself, and log(1 + x) or e^x - 1 computed
      // plainly gives 0 there (relative error 1) and ~6e-8 / |x| up to |x| = 1e-3 (6e-5), so 4e-6
      // (a few float32 ulp, as for the other transcendentals) fails any formula that rounds 1 + x.
      assertClose(await tl[op](x).data(), want, { rtol: 4e-6, atol: 0 }, `${op} seed ${g.seed}`);
      // The chainable method is the same op.
      assertClose(await x[op]().data(), want, { rtol: 4e-6, atol: 0 }, `x.${op}() seed ${g.seed}`);
      x.dispose();
    }
  });

  it('log1p and expm1 at their limits: -1, zeros of either sign, overflow', async () => {
    const x = tl.tensor([-1, -0, 0, 1e30]);
    expect(Array.from(await tl.log1p(x).data())).toEqual([-Infinity, -0, 0, Math.fround(Math.log1p(1e30))]);
    const y = tl.tensor([-100, -0, 0, 100, 25]);
    const e = Array.from(await tl.expm1(y).data());
    expect(e.slice(0, 4)).toEqual([-1, -0, 0, Infinity]);
    // x > 20 takes e^x itself: as accurate as exp, (3 + 2|x|) ulp in WGSL.
    assertClose(e.slice(4), [Math.expm1(25)], { rtol: 53 * 2 ** -23, atol: 0 }, 'expm1(25)');
  });

  it('leakyRelu uses its slope on negatives', async () => {
    const g = rng();
    const h = HostArray.from([5, 7], randomFloats(g, 35, -2, 2));
    const y = tl.leakyRelu(upload(h), 0.2);
    assertClose(
      await y.data(),
      h.data.map((x) => (x >= 0 ? x : 0.2 * x)),
      { rtol: 1e-6, atol: 1e-7 },
      `seed ${g.seed}`,
    );
  });

  it('stays finite at extreme inputs where naive formulas overflow', async () => {
    const x = tl.tensor([-100, -50, 0, 50, 100]);
    assertClose(await x.tanh().data(), [-1, -1, 0, 1, 1], { atol: 0 }, 'tanh');
    assertClose(await x.sigmoid().data(), [0, REF.sigmoid(-50), 0.5, 1, 1], { rtol: 4e-6, atol: 1e-30 }, 'sigmoid');
    assertClose(
      await x.softplus().data(),
      [Math.log1p(Math.exp(-100)), Math.log1p(Math.exp(-50)), Math.LN2, 50, 100],
      { rtol: 4e-6, atol: 1e-30 },
      'softplus',
    );
  });

  it('integer ops keep their dtype; float-only ops reject integers', async () => {
    const g = rng();
    const vals = randomInts(g, 20, -50, 50);
    const x = tl.tensor(vals);
    for (const op of ['neg', 'abs', 'relu', 'square', 'sign'] as const) {
      const y = tl[op](x);
      expect(y.dtype).toBe('int32');
      expect(Array.from(await y.data())).toEqual(Array.from(vals, (v) => REF[op](v) + 0));
    }
    expect(() => tl.sin(x)).toThrow(/sin\(x\): x: expected a float32 tensor, got an int32 tensor of shape/);
    expect(() => tl.log1p(x)).toThrow(/log1p\(x\): x: expected a float32 tensor, got an int32 tensor of shape/);
    expect(() => tl.expm1(tl.tensor(new Uint32Array([1])))).toThrow(
      /tellus: expm1\(x\): x: expected a float32 tensor, got a uint32 tensor of shape \[1\]$/,
    );
  });
});

const BINARY_REF = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  pow: (a: number, b: number) => a ** b,
  minimum: Math.min,
  maximum: Math.max,
  eq: (a: number, b: number) => +(a === b),
  ne: (a: number, b: number) => +(a !== b),
  lt: (a: number, b: number) => +(a < b),
  le: (a: number, b: number) => +(a <= b),
  gt: (a: number, b: number) => +(a > b),
  ge: (a: number, b: number) => +(a >= b),
};
type BinaryName = keyof typeof BINARY_REF;

/** Rounds to float32 the way the device sees uploaded data, so comparisons of equal inputs agree. */
const f32 = (h: HostArray): HostArray => new HostArray(h.shape, Float64Array.from(new Float32Array(h.data)));

describe('binary ops with broadcasting', () => {
  useDevice();
  const pairs: [number[], number[]][] = [
    [[7], [7]],
    [
      [3, 1, 5],
      [4, 1],
    ],
    [[1], [5, 1, 3]],
    [[2, 3], []],
    [
      [6, 1],
      [1, 6],
    ],
    [
      [2, 3, 4, 5],
      [3, 1, 5],
    ],
  ];
  for (const op of Object.keys(BINARY_REF) as BinaryName[]) {
    it(`${op} matches float64 for broadcast shapes and views`, async () => {
      const g = rng();
      for (const [sa, sb] of pairs) {
        const positive = op === 'pow' || op === 'div';
        // Comparisons get small integers so ties (eq, le, ge) really occur.
        const draw = (n: number): Float32Array =>
          op.length === 2 ? Float32Array.from(randomInts(g, n, -2, 3)) : randomFloats(g, n, positive ? 0.5 : -2, 2);
        const ha = f32(HostArray.from(sa, draw(size(sa))));
        const hb = f32(HostArray.from(sb, draw(size(sb))));
        const shape = broadcastShape(sa, sb);
        const want = new Float64Array(size(shape));
        forEachIndex(shape, (idx, i) => (want[i] = BINARY_REF[op](ha.atBroadcast(idx), hb.atBroadcast(idx))));
        for (const v of views(ha, g)) {
          const a = v.make();
          const b = upload(hb);
          const y = tl[op](a, b);
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe(op.length === 2 ? 'uint32' : 'float32');
          // One rounding of an exact float64 result (pow: a few ulp through exp/log).
          assertClose(
            await y.data(),
            want,
            { rtol: op === 'pow' ? 4e-6 : 2e-7, atol: 1e-7 },
            `${op} ${v.name} [${sa}]x[${sb}] seed ${g.seed}`,
          );
          for (const t of [a, b, y]) t.dispose();
        }
      }
    });
  }

  it('takes JS numbers on either side without uploading them', async () => {
    const g = rng();
    const h = f32(HostArray.from([4, 5], randomFloats(g, 20, 0.5, 2)));
    const x = upload(h);
    const cases: [tl.Tensor, (v: number) => number][] = [
      [tl.add(x, 2.5), (v) => v + 2.5],
      [tl.sub(3, x), (v) => 3 - v],
      [tl.div(1, x), (v) => 1 / v],
      [tl.pow(x, 3), (v) => v ** 3],
      [tl.pow(2, x), (v) => 2 ** v],
      [x.mul(-1.5), (v) => -1.5 * v],
      [x.maximum(1), (v) => Math.max(v, 1)],
    ];
    for (const [y, f] of cases) assertClose(await y.data(), h.data.map(f), { rtol: 4e-6, atol: 1e-7 }, `scalar op seed ${g.seed}`);
  });

  it('pow follows NumPy for negative bases', async () => {
    const y = tl.pow(tl.tensor([-2, -2, -8, 0, 0, 3]), tl.tensor([2, 3, 1 / 3, 0, 2, -1]));
    const d = await y.data();
    assertClose(
      Array.from(d).filter((_, i) => i !== 2),
      [4, -8, 1, 0, 1 / 3],
      { rtol: 1e-6 },
      'pow',
    );
    expect(d[2]).toBeNaN();
  });

  it('computes in int32 and uint32 with wraparound, and promotes mixed dtypes', async () => {
    const g = rng();
    const a = randomInts(g, 30, -1000, 1000);
    const b = randomInts(g, 30, 1, 50);
    const ta = tl.tensor(a);
    const tb = tl.tensor(b);
    expect(Array.from(await tl.add(ta, tb).data())).toEqual(Array.from(a, (v, i) => v + b[i]!));
    expect(Array.from(await tl.mul(ta, tb).data())).toEqual(Array.from(a, (v, i) => v * b[i]!));
    expect(Array.from(await tl.div(ta, tb).data())).toEqual(Array.from(a, (v, i) => Math.trunc(v / b[i]!) | 0));
    expect(Array.from(await tl.pow(tb, 2).data())).toEqual(Array.from(b, (v) => v * v));
    const u = tl.tensor(new Uint32Array([1, 5]));
    expect(Array.from(await tl.sub(u, tl.tensor(new Uint32Array([2, 2]))).data())).toEqual([2 ** 32 - 1, 3]);
    const mixed = tl.add(ta, tl.tensor([0.5]));
    expect(mixed.dtype).toBe('float32');
    assertClose(
      await mixed.data(),
      Array.from(a, (v) => v + 0.5),
      { rtol: 1e-7 },
      'int32 + float32',
    );
    expect(tl.add(ta, 0.25).dtype).toBe('float32');
    expect(tl.add(ta, 2).dtype).toBe('int32');
  });

  it('compares NaN as NumPy does', async () => {
    const a = tl.tensor([NaN, 1, NaN]);
    const b = tl.tensor([NaN, NaN, 1]);
    expect(Array.from(await tl.eq(a, b).data())).toEqual([0, 0, 0]);
    expect(Array.from(await tl.ne(a, b).data())).toEqual([1, 1, 1]);
    expect(Array.from(await tl.gt(a, b).data())).toEqual([0, 0, 0]);
    expect(Array.from(await tl.ge(a, b).data())).toEqual([0, 0, 0]);
    expect(Array.from(await tl.le(a, b).data())).toEqual([0, 0, 0]);
  });
});

describe('where and cast', () => {
  useDevice();

  it('where broadcasts condition and both branches', async () => {
    const g = rng();
    const hc = HostArray.from([4, 1], randomFloats(g, 4));
    const ha = HostArray.from([4, 6], randomFloats(g, 24));
    const hb = HostArray.from([6], randomFloats(g, 6));
    const want = new Float64Array(24);
    forEachIndex([4, 6], (idx, i) => (want[i] = hc.atBroadcast(idx) > 0 ? ha.atBroadcast(idx) : hb.atBroadcast(idx)));
    for (const v of views(ha, g)) {
      const y = tl.where(tl.gt(upload(hc), 0), v.make(), upload(hb));
      assertClose(await y.data(), new Float32Array(want), { atol: 0, rtol: 0 }, `where ${v.name} seed ${g.seed}`);
    }
    // A float condition is tested as a float: -0 is false.
    const y = tl.where(tl.tensor([1, 0, -0, 0.5]), 1, tl.tensor([7, 7, 7, 7]));
    expect(Array.from(await y.data())).toEqual([1, 7, 7, 1]);
  });

  it('cast truncates toward zero and round-trips integers', async () => {
    const x = tl.tensor([-2.7, -0.5, 0, 0.5, 2.7, 1e6]);
    expect(Array.from(await tl.cast(x, 'int32').data())).toEqual([-2, 0, 0, 0, 2, 1e6]);
    expect(Array.from(await tl.cast(x, 'uint32').data())).toEqual([0, 0, 0, 0, 2, 1e6]);
    const i = tl.tensor(new Int32Array([-3, 0, 12345678]));
    expect(Array.from(await i.cast('float32').data())).toEqual([-3, 0, 12345678]);
    expect(Array.from(await i.cast('uint32').data())).toEqual([2 ** 32 - 3, 0, 12345678]);
    expect(tl.cast(x, 'float32')).toBe(x);
  });
});

describe('elementwise input checks', () => {
  useDevice();

  it('names the argument, the expectation and what it got', () => {
    const a = tl.zeros([2, 3]);
    expect(() => tl.add(a, tl.zeros([4]))).toThrow(/add\(a, b\): shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => tl.add(a, NaN)).toThrow(/add\(a, b\): b: expected a finite number, got NaN/);
    expect(() => tl.mul(a, Infinity)).toThrow(/expected a finite number, got Infinity/);
    expect(() => tl.leakyRelu(a, NaN)).toThrow(/tellus: leakyRelu\(x, alpha\): alpha: expected a finite number, got NaN$/);
    expect(() => tl.exp([1, 2] as unknown as tl.Tensor)).toThrow(
      /tellus: exp\(x\): x: expected a Tensor, got an array of length 2 \(wrap data with tensor\(\.\.\.\)\)$/,
    );
    expect(() => tl.cast(a, 'float64' as tl.DType)).toThrow(
      /tellus: cast\(x, dtype\): dtype: expected one of float32, int32, uint32, got "float64"$/,
    );
    const d = tl.ones([3]);
    d.dispose();
    expect(() => tl.sqrt(d)).toThrow(/tellus: sqrt\(x\): x: expected a live tensor, got a disposed tensor of shape \[3\]$/);
    expect(() => tl.add(a, d)).toThrow(/disposed tensor/);
  });
});
