// Gradients of the binary elementwise ops (with broadcasting and JS-number operands), where, cast,
// contiguous, clone and stopGradient: tl.grad against float64 central differences on every view
// layout, the GPU Taylor test, mixed second derivatives (hvp vs differences of device gradients)
// for mul/div/pow, and jvp with broadcasting against a float64 directional derivative.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, randomInts, rng, size, upload, useDevice, type Gen } from './helpers.js';
import { randomHost } from './ref.js';
import {
  assertScaled,
  awayFromZero,
  checkGrad,
  checkHvp,
  checkTaylor,
  f32,
  fdDirectional,
  map64,
  readAll,
  scalar64,
  zip64,
  type Fn64,
  type GradCase,
} from './gradref.js';

// a [3, 1, 4] against b [2, 4] broadcasts to [3, 2, 4]: each gradient must be summed back.
const SA = [3, 1, 4];
const SB = [2, 4];

// Tolerances (relative to the gradient's scale). 2e-6: each gradient element is w times one to three
// correctly rounded float32 operations, summed over the broadcast copies (at most 12 here). 1e-5 (pow): pow is exp2(b·log2 a) in float32,
// accurate to a few ulp of b·log2(a) (elementwise.test.ts allows 4e-6), and the rule chains pow and log.
const ARITH = 2e-6;
// 1e-8: the float64 difference quotient of a linear loss is exact up to cancellation, ~1e-16·|L| / 1e-6.
const IDENTITY = 1e-8;
const POW = 1e-5;

/** Values 0.6·m + 0.3·parity, m random in [-4, 4]: a (odd) and b (even) differ by >= 0.3 everywhere. */
const grid = (g: Gen, shape: number[], odd: boolean): HostArray =>
  f32(
    HostArray.from(
      shape,
      Array.from(randomInts(g, size(shape), -4, 5), (m) => 0.6 * m + (odd ? 0.3 : 0)),
    ),
  );

type Op2 = (a: tl.Tensor, b: tl.Tensor) => tl.Tensor;
const both = (
  name: string,
  op: Op2,
  f: (a: number, b: number) => number,
  ha: HostArray,
  hb: HostArray,
  tol: number,
  vScale?: number,
): GradCase => ({
  name,
  inputs: [ha, hb],
  gpu: op,
  cpu: ([a, b]) => zip64(a!, b!, f),
  tol,
  vScale,
});
/** One tensor operand and one JS number (on either side). */
const withNumber = (
  name: string,
  op: (x: tl.Tensor) => tl.Tensor,
  f: (x: number) => number,
  hx: HostArray,
  tol: number,
  vScale?: number,
): GradCase => ({
  name,
  inputs: [hx],
  gpu: op,
  cpu: ([x]) => map64(x!, f),
  tol,
  vScale,
});

const CASES: Record<string, (g: Gen) => GradCase> = {
  add: (g) => both('add', tl.add, (a, b) => a + b, randomHost(g, SA), randomHost(g, SB), ARITH),
  sub: (g) => both('sub', tl.sub, (a, b) => a - b, randomHost(g, SA), randomHost(g, SB), ARITH),
  mul: (g) => both('mul', tl.mul, (a, b) => a * b, randomHost(g, SA, -2, 2), randomHost(g, SB, -2, 2), ARITH),
  // |b| >= 0.5: away from the pole, and the Taylor steps (<= 1/4) cannot reach it.
  div: (g) => both('div', tl.div, (a, b) => a / b, randomHost(g, SA, -2, 2), awayFromZero(g, SB, 0.5, 2), ARITH),
  // a in [0.5, 2]: the real branch of a^b, where both partials exist.
  pow: (g) => both('pow', tl.pow, (a, b) => a ** b, randomHost(g, SA, 0.5, 2), randomHost(g, SB, -2, 2), POW),
  // Grid values keep |a - b| >= 0.3 (no ties, no switching under the Taylor steps, which with
  // vScale 1/2 move a - b by at most 1/4).
  maximum: (g) => both('maximum', tl.maximum, Math.max, grid(g, SA, true), grid(g, SB, false), ARITH, 0.5),
  minimum: (g) => both('minimum', tl.minimum, Math.min, grid(g, SA, false), grid(g, SB, true), ARITH, 0.5),
  // A 0-d tensor operand broadcast against [3, 4]: its gradient sums all 12 products.
  'mul by a 0-d tensor': (g) =>
    both('mul [3,4] x []', tl.mul, (a, b) => a * b, randomHost(g, [3, 4], -2, 2), awayFromZero(g, [], 0.5, 2), ARITH),
  'add(x, 1.5)': (g) =>
    withNumber(
      'add(x, 1.5)',
      (x) => tl.add(x, 1.5),
      (x) => x + 1.5,
      randomHost(g, [3, 5]),
      ARITH,
    ),
  'sub(2, x)': (g) =>
    withNumber(
      'sub(2, x)',
      (x) => tl.sub(2, x),
      (x) => 2 - x,
      randomHost(g, [3, 5]),
      ARITH,
    ),
  'mul(x, -0.75)': (g) =>
    withNumber(
      'mul(x, -0.75)',
      (x) => tl.mul(x, -0.75),
      (x) => -0.75 * x,
      randomHost(g, [3, 5]),
      ARITH,
    ),
  'div(1.25, x)': (g) =>
    withNumber(
      'div(1.25, x)',
      (x) => tl.div(1.25, x),
      (x) => 1.25 / x,
      awayFromZero(g, [3, 5], 0.5, 2),
      ARITH,
    ),
  'div(x, 1.25)': (g) =>
    withNumber(
      'div(x, 1.25)',
      (x) => tl.div(x, 1.25),
      (x) => x / 1.25,
      randomHost(g, [3, 5]),
      ARITH,
    ),
  'pow(x, 2.5)': (g) =>
    withNumber(
      'pow(x, 2.5)',
      (x) => tl.pow(x, 2.5),
      (x) => x ** 2.5,
      randomHost(g, [3, 5], 0.5, 2),
      POW,
    ),
  // A negative base with an integer exponent is real (NumPy): d/dx x³ = 3x² on both signs.
  'pow(x, 3)': (g) =>
    withNumber(
      'pow(x, 3)',
      (x) => tl.pow(x, 3),
      (x) => x ** 3,
      awayFromZero(g, [3, 5], 0.3, 2),
      POW,
    ),
  // A JS-number base: the exponent's rule takes log(2) on the CPU (it once called gt(2, 0) and threw).
  'pow(2, x)': (g) =>
    withNumber(
      'pow(2, x)',
      (x) => tl.pow(2, x),
      (x) => 2 ** x,
      randomHost(g, [3, 5], -2, 2),
      POW,
    ),
  // x stays >= 0.3 away from the constant 0.2 (vScale 1: steps move x by <= 1/4).
  'maximum(x, 0.2)': (g) =>
    withNumber(
      'maximum(x, 0.2)',
      (x) => tl.maximum(x, 0.2),
      (x) => Math.max(x, 0.2),
      map64(awayFromZero(g, [3, 5], 0.3, 2), (v) => v + 0.2),
      ARITH,
    ),
  'minimum(0.2, x)': (g) =>
    withNumber(
      'minimum(0.2, x)',
      (x) => tl.minimum(0.2, x),
      (x) => Math.min(0.2, x),
      map64(awayFromZero(g, [3, 5], 0.3, 2), (v) => v + 0.2),
      ARITH,
    ),
};

describe('binary ops: first derivatives with broadcasting', () => {
  useDevice();
  for (const [name, make] of Object.entries(CASES)) {
    it(`${name}: grad matches float64 finite differences on every layout`, async () => {
      const g = rng();
      await checkGrad(make(g), g);
    });
    it(`${name}: Taylor remainder falls as h^2`, async () => {
      const g = rng();
      await checkTaylor(make(g), g);
    });
  }

  it('maximum(x, x) and minimum(x, x) split the tie: the gradient is exactly w', async () => {
    const g = rng();
    const hx = randomHost(g, [3, 4]);
    const w = randomHost(g, [3, 4]);
    const grads = tl.tidy(() => {
      const wt = upload(w);
      return [tl.maximum, tl.minimum].map((op) => tl.grad((x: tl.Tensor) => tl.sum(tl.mul(wt, op(x, x))))(upload(hx)) as tl.Tensor);
    });
    const got = await readAll(grads);
    grads.forEach((t) => t.dispose());
    // 0.5·w + 0.5·w is exact in float32.
    got.forEach((v, i) => assertScaled(v, f32(w).data, 0, `seed ${g.seed}: ${i === 0 ? 'maximum' : 'minimum'}(x, x)`));
  });
});

// ---------------------------------------------------------------- where, cast, contiguous, clone

/** A condition [3, 1] (uint32, from a comparison) with its host mirror; rows 0 and 1 pick different branches. */
function condition(g: Gen): { host: HostArray; make: () => tl.Tensor } {
  const h = randomHost(g, [3, 1]);
  h.data[0] = 0.5;
  h.data[1] = -0.5;
  return { host: map64(h, (v) => (v > 0 ? 1 : 0)), make: () => tl.gt(upload(h), 0) };
}

const where64 = (c: HostArray, a: HostArray, b: HostArray): HostArray =>
  HostArray.build([3, 4], (idx) => (c.atBroadcast(idx) ? a.atBroadcast(idx) : b.atBroadcast(idx)));

/** Values in (k + 0.3, k + 0.7): trunc is locally constant, also under the Taylor steps (<= 1/4). */
function offInteger(g: Gen, shape: number[]): HostArray {
  return f32(
    HostArray.from(
      shape,
      Array.from(randomInts(g, size(shape), -2, 2), (k) => k + 0.3 + 0.4 * g.next()),
    ),
  );
}

const OTHER: Record<string, (g: Gen) => GradCase> = {
  // Both branches differentiated; the condition and the branches broadcast to [3, 4].
  where: (g) => {
    const c = condition(g);
    const cpu: Fn64 = ([a, b]) => where64(c.host, a!, b!);
    return {
      name: 'where(c [3,1], a [3,4], b [4])',
      inputs: [randomHost(g, [3, 4]), randomHost(g, [4])],
      gpu: (a, b) => tl.where(c.make(), a, b),
      cpu,
      tol: ARITH,
    };
  },
  // The condition is bigger than both branches: a [4] and b [] each broadcast to [3, 4].
  'where with a larger condition': (g) => {
    const hc = randomHost(g, [3, 4]);
    [hc.data[0], hc.data[1]] = [0.5, -0.5];
    const cpu: Fn64 = ([a, b]) => HostArray.build([3, 4], (idx) => (hc.at(idx) > 0 ? a!.atBroadcast(idx) : b!.atBroadcast(idx)));
    return {
      name: 'where(c [3,4], a [4], b [])',
      inputs: [randomHost(g, [4]), randomHost(g, [])],
      gpu: (a, b) => tl.where(tl.gt(upload(hc), 0), a, b),
      cpu,
      tol: ARITH,
    };
  },
  'where with a number branch': (g) => {
    const c = condition(g);
    const cpu: Fn64 = ([x]) => where64(c.host, scalar64(0.5), x!);
    return { name: 'where(c, 0.5, x)', inputs: [randomHost(g, [3, 4])], gpu: (x) => tl.where(c.make(), 0.5, x), cpu, tol: ARITH };
  },
  // Identities (tol IDENTITY): the gradient is w bit for bit; only the float64 difference quotient is inexact.
  // A float-to-float cast is the identity (the same tensor comes back).
  'cast float32': (g) => ({
    name: 'cast(x, float32)',
    inputs: [randomHost(g, [3, 4])],
    gpu: (x) => tl.cast(x, 'float32'),
    cpu: ([x]) => x!,
    tol: IDENTITY,
  }),
  // The integer path is piecewise constant: only the x term carries gradient.
  'cast through int32': (g) => ({
    name: 'x + cast(cast(x, int32), float32)',
    inputs: [offInteger(g, [3, 4])],
    gpu: (x) => tl.add(x, tl.cast(tl.cast(x, 'int32'), 'float32')),
    cpu: ([x]) => map64(x!, (v) => v + Math.trunc(v)),
    tol: ARITH,
  }),
  // The layouts fed in include transposed and strided views, where contiguous really copies.
  contiguous: (g) => ({
    name: 'contiguous',
    inputs: [randomHost(g, [3, 4])],
    gpu: (x) => tl.contiguous(x),
    cpu: ([x]) => x!,
    tol: IDENTITY,
  }),
  clone: (g) => ({ name: 'clone', inputs: [randomHost(g, [3, 4])], gpu: (x) => tl.clone(x), cpu: ([x]) => x!, tol: IDENTITY }),
};

describe('where, cast, contiguous, clone: first derivatives', () => {
  useDevice();
  for (const [name, make] of Object.entries(OTHER)) {
    it(`${name}: grad matches float64 finite differences on every layout`, async () => {
      const g = rng();
      await checkGrad(make(g), g);
    });
    it(`${name}: Taylor remainder falls as h^2`, async () => {
      const g = rng();
      await checkTaylor(make(g), g);
    });
  }
});

describe('stopGradient', () => {
  useDevice();

  it('blocks the gradient: d/dx sum(w * x * stopGradient(x)) = w * x, and through detach alone it is 0', async () => {
    const g = rng();
    const hx = randomHost(g, [3, 5]);
    const w = randomHost(g, [3, 5]);
    const grads = tl.tidy(() => {
      const wt = upload(w);
      const x = upload(hx);
      return [
        tl.grad((y: tl.Tensor) => tl.sum(tl.mul(wt, tl.mul(y, tl.stopGradient(y)))))(x) as tl.Tensor,
        tl.grad((y: tl.Tensor) => tl.sum(tl.mul(wt, tl.detach(tl.exp(y)))))(x) as tl.Tensor,
        // Second order: the stopped factor is a constant for the outer derivative as well.
        tl.grad((y: tl.Tensor) =>
          tl.sum(tl.grad((z: tl.Tensor) => tl.sum(tl.mul(wt, tl.mul(tl.square(z), tl.stopGradient(z)))))(y) as tl.Tensor),
        )(x) as tl.Tensor,
      ];
    });
    const [once, zero, second] = await readAll(grads);
    grads.forEach((t) => t.dispose());
    // One or two float32 roundings (<= 1.2e-7 relative): 3e-7. Ignoring sg would give 2wx and 4wx.
    assertScaled(
      once!,
      hx.data.map((x, i) => w.data[i]! * x),
      3e-7,
      `seed ${g.seed}: d/dx (x * sg(x))`,
    );
    assertScaled(zero!, new Float64Array(15), 0, `seed ${g.seed}: d/dx sg(exp(x))`);
    // d/dx (w·2x·sg(x)) with sg(x) held constant: 2·w·x.
    assertScaled(
      second!,
      hx.data.map((x, i) => 2 * w.data[i]! * x),
      3e-7,
      `seed ${g.seed}: second derivative through sg`,
    );
  });
});

describe('mul, div, pow: mixed second derivatives', () => {
  useDevice();
  // x [2, 3, 4] packs a = x[0] and b = x[1, 0:1] (broadcast [1, 4]), so the Hessian has the mixed
  // block d²/da db as well as d²/da² and d²/db². Rows x[1, 1:] are unused: their Hessian rows are 0.
  const cases: [string, Op2, number, number][] = [
    ['mul', tl.mul, -2, 2],
    ['div', (a, b) => tl.div(b, a), 0.5, 2],
    ['pow', tl.pow, 0.5, 2],
  ];
  for (const [name, op, lo, hi] of cases) {
    it(`${name}: hvp matches a Richardson difference of device gradients`, async () => {
      const g = rng();
      // x[0] in [lo, hi] (positive for div's denominator and pow's base, also under the ±1/32 steps); x[1] in [-2, 2].
      const hx = HostArray.build([2, 3, 4], (idx) => (idx[0] === 0 ? lo + (hi - lo) * g.next() : -2 + 4 * g.next()));
      const w = randomHost(g, [3, 4]);
      const wt = upload(w);
      const f = (x: tl.Tensor): tl.Tensor => tl.sum(tl.mul(wt, op(tl.slice(x, [0]), tl.slice(x, [1, [0, 1]]))));
      // 1e-4 of the hvp's scale: gradient rounding (~1e-7 relative) amplified ~100x by the quotient,
      // with room for |∇f| up to a few times |Hv|; truncation O(ε⁴) ~ 1e-5 for these smooth ops.
      await checkHvp(name, f, f32(hx), g, 1e-4);
      wt.dispose();
    });
  }
});

describe('binary ops: jvp with broadcasting', () => {
  useDevice();
  const cases: [string, Op2, (a: number, b: number) => number, [number, number], [number, number]][] = [
    ['mul', tl.mul, (a, b) => a * b, [-2, 2], [-2, 2]],
    ['div', tl.div, (a, b) => a / b, [-2, 2], [0.5, 2]],
    ['pow', tl.pow, (a, b) => a ** b, [0.5, 2], [-2, 2]],
  ];
  for (const [name, op, f, ra, rb] of cases) {
    it(`${name}: jvp over both broadcast operands matches the float64 directional derivative`, async () => {
      const g = rng();
      const [ha, hb] = [randomHost(g, SA, ...ra), randomHost(g, SB, ...rb)];
      const [ta, tb] = [randomHost(g, SA), randomHost(g, SB)];
      const cpu: Fn64 = ([a, b]) => zip64(a!, b!, f);
      const want = fdDirectional(cpu, [ha, hb], [ta, tb]);
      const [out, tan] = tl.tidy(() => tl.jvp(op, [upload(ha), upload(hb)], [upload(ta), upload(tb)]));
      expect(tan.shape).toEqual([3, 2, 4]);
      const [o, t] = await readAll([out, tan]);
      out.dispose();
      tan.dispose();
      const tol = name === 'pow' ? POW : ARITH;
      assertScaled(o!, cpu([ha, hb]).data, tol, `seed ${g.seed}: jvp(${name}) primal`);
      assertScaled(t!, want, tol, `seed ${g.seed}: jvp(${name}) tangent`);
    });
  }
});
