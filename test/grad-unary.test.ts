// Gradients of the unary elementwise ops: tl.grad against float64 central differences of a CPU
// reference on every view layout, the GPU Taylor-remainder test, second derivatives (grad of grad)
// against analytic float64 formulas, and jvp against a float64 directional derivative.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { type HostArray, rng, upload, useDevice, views, type Gen } from './helpers.js';
import { randomHost } from './ref.js';
import { assertScaled, awayFromZero, checkGrad, checkTaylor, erf64, f32, fdDirectional, map64, readAll, type GradCase } from './gradref.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const ALPHA = 0.2;

type Domain = 'any' | 'positive' | 'unit' | 'kink';
interface Unary {
  op: (x: tl.Tensor) => tl.Tensor;
  f: (x: number) => number;
  /** Analytic second derivative. */
  d2: (x: number) => number;
  /** any: [-3, 3]; positive: [0.5, 3] (log, sqrt, ...); unit: [-0.5, 0.5] (log1p); kink: 0.3 <= |x| <= 3 with random sign, off the kink at 0. */
  domain: Domain;
  /** First- and second-order tolerance relative to the gradient's scale. */
  tol: number;
}

// Tolerances (relative to the gradient's scale; the float64 central differences are good to ~1e-9).
// 2e-6: the rule is one to four correctly rounded float32 operations (~6e-8 each).
// 1e-5: the rule chains up to three float32 transcendentals (exp, erf, pow, sqrt, ...), each within
// a few ulp on SwiftShader and llvmpipe (elementwise.test.ts allows 4e-6); measured worst ~5e-7.
const RATIONAL = 2e-6;
const TRANSCENDENTAL = 1e-5;
const UNARY: Record<string, Unary> = {
  neg: { op: tl.neg, f: (x) => -x, d2: () => 0, domain: 'any', tol: RATIONAL },
  abs: { op: tl.abs, f: Math.abs, d2: () => 0, domain: 'kink', tol: RATIONAL },
  exp: { op: tl.exp, f: Math.exp, d2: Math.exp, domain: 'any', tol: TRANSCENDENTAL },
  log: { op: tl.log, f: Math.log, d2: (x) => -1 / (x * x), domain: 'positive', tol: RATIONAL },
  sqrt: { op: tl.sqrt, f: Math.sqrt, d2: (x) => -0.25 * x ** -1.5, domain: 'positive', tol: TRANSCENDENTAL },
  rsqrt: { op: tl.rsqrt, f: (x) => 1 / Math.sqrt(x), d2: (x) => 0.75 * x ** -2.5, domain: 'positive', tol: TRANSCENDENTAL },
  sin: { op: tl.sin, f: Math.sin, d2: (x) => -Math.sin(x), domain: 'any', tol: TRANSCENDENTAL },
  cos: { op: tl.cos, f: Math.cos, d2: (x) => -Math.cos(x), domain: 'any', tol: TRANSCENDENTAL },
  tanh: { op: tl.tanh, f: Math.tanh, d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), domain: 'any', tol: TRANSCENDENTAL },
  sigmoid: { op: tl.sigmoid, f: sig, d2: (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)), domain: 'any', tol: TRANSCENDENTAL },
  relu: { op: tl.relu, f: (x) => Math.max(x, 0), d2: () => 0, domain: 'kink', tol: RATIONAL },
  gelu: {
    op: tl.gelu,
    f: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)),
    d2: (x) => phi(x) * (2 - x * x),
    domain: 'any',
    tol: TRANSCENDENTAL,
  },
  softplus: { op: tl.softplus, f: (x) => Math.log1p(Math.exp(x)), d2: (x) => sig(x) * (1 - sig(x)), domain: 'any', tol: TRANSCENDENTAL },
  square: { op: tl.square, f: (x) => x * x, d2: () => 2, domain: 'any', tol: RATIONAL },
  reciprocal: { op: tl.reciprocal, f: (x) => 1 / x, d2: (x) => 2 / x ** 3, domain: 'positive', tol: RATIONAL },
  erf: { op: tl.erf, f: erf64, d2: (x) => (-4 * x * Math.exp(-x * x)) / Math.sqrt(Math.PI), domain: 'any', tol: TRANSCENDENTAL },
  // log1p's rule is 1 / (1 + x); expm1's is e^x taken as out + 1, so it inherits the forward's accuracy.
  log1p: { op: tl.log1p, f: Math.log1p, d2: (x) => -1 / (1 + x) ** 2, domain: 'unit', tol: RATIONAL },
  expm1: { op: tl.expm1, f: Math.expm1, d2: Math.exp, domain: 'any', tol: TRANSCENDENTAL },
  leakyRelu: { op: (x) => tl.leakyRelu(x, ALPHA), f: (x) => (x >= 0 ? x : ALPHA * x), d2: () => 0, domain: 'kink', tol: RATIONAL },
};

const SHAPE = [4, 6];

function draw(g: Gen, domain: Domain, shape = SHAPE): HostArray {
  if (domain === 'kink') return awayFromZero(g, shape, 0.3, 3);
  if (domain === 'unit') return randomHost(g, shape, -0.5, 0.5);
  return domain === 'positive' ? randomHost(g, shape, 0.5, 3) : randomHost(g, shape, -3, 3);
}

function unaryCase(name: string, g: Gen): GradCase {
  const u = UNARY[name]!;
  // The Taylor steps move x by at most 1/4: off the kinks (|x| >= 0.3), inside (0, inf) for
  // x >= 0.5 and inside log1p's (-1, inf) for x >= -0.5. sqrt(x)² is linear, so its Taylor loss uses (sqrt(x) - 1)²; sigmoid² bends little
  // compared with its size, so (sigmoid - 1/2)² lowers the float32 noise floor under the remainder.
  const shift = name === 'sqrt' ? -1 : name === 'sigmoid' ? -0.5 : 0;
  return { name, inputs: [draw(g, u.domain)], gpu: u.op, cpu: ([x]) => map64(x!, u.f), tol: u.tol, shift };
}

describe('unary ops: first derivatives', () => {
  useDevice();
  for (const name of Object.keys(UNARY)) {
    it(`${name}: grad matches float64 finite differences on every layout`, async () => {
      const g = rng();
      await checkGrad(unaryCase(name, g), g);
    });
    it(`${name}: Taylor remainder falls as h^2`, async () => {
      const g = rng();
      await checkTaylor(unaryCase(name, g), g);
    });
  }
});

describe('unary ops: second derivatives (grad of grad)', () => {
  useDevice();
  for (const [name, u] of Object.entries(UNARY)) {
    it(`${name}: d/dx sum(grad(sum(w * f))(x)) = w * f''(x)`, async () => {
      const g = rng();
      const hx = draw(g, u.domain);
      const w = randomHost(g, SHAPE);
      const want = hx.data.map((x, i) => w.data[i]! * u.d2(x));
      // The input is a transposed view: the nested tape must handle strides too.
      const make = views(hx, g)[1]!.make;
      const second = tl.tidy(() => {
        const wt = upload(w);
        const first = tl.grad((y: tl.Tensor) => tl.sum(tl.mul(wt, u.op(y))));
        return tl.grad((y: tl.Tensor) => tl.sum(first(y) as tl.Tensor))(make()) as tl.Tensor;
      });
      expect(second.shape).toEqual(SHAPE);
      const [got] = await readAll([second]);
      second.dispose();
      // Second-order rules chain one more set of float32 ops than the first-order ones: the same
      // class tolerance, doubled. A zero second derivative (piecewise-linear ops) must come out exactly 0.
      assertScaled(got!, want, 2 * u.tol, `seed ${g.seed}: ${name}''`);
    });
  }
});

describe('unary ops: jvp', () => {
  useDevice();
  for (const name of ['tanh', 'rsqrt', 'gelu', 'abs', 'log1p', 'expm1']) {
    it(`${name}: jvp on a strided view matches the float64 directional derivative`, async () => {
      const g = rng();
      const u = UNARY[name]!;
      const hx = draw(g, u.domain);
      const ht = randomHost(g, SHAPE);
      const want = fdDirectional(([x]) => map64(x!, u.f), [hx], [ht]);
      const wantOut = map64(hx, u.f).data;
      const [out, tan] = tl.tidy(() => tl.jvp(u.op, [views(hx, g).at(-1)!.make()], [upload(ht)]));
      expect(tan.shape).toEqual(SHAPE);
      const [o, t] = await readAll([out, tan]);
      out.dispose();
      tan.dispose();
      assertScaled(o!, wantOut, u.tol, `seed ${g.seed}: jvp(${name}) primal output`);
      assertScaled(t!, want, u.tol, `seed ${g.seed}: jvp(${name}) tangent`);
    });
  }
});

describe('leakyRelu default slope', () => {
  useDevice();
  it('grad uses alpha = 0.01 below zero and 1 above', async () => {
    const g = rng();
    const hx = awayFromZero(g, [17], 0.3, 3);
    const gr = tl.tidy(() => tl.grad((x: tl.Tensor) => tl.sum(tl.leakyRelu(x)))(upload(hx)) as tl.Tensor);
    const [got] = await readAll([gr]);
    gr.dispose();
    // Exact: the rule selects 1 or alpha (float32(0.01)).
    assertScaled(got!, f32(map64(hx, (x) => (x >= 0 ? 1 : 0.01))).data, 0, `seed ${g.seed}`);
  });
});
