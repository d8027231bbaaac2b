// Gradient-checking utilities: the Taylor test's slopes on smooth functions with analytic
// gradients (and with wrong ones), and the dot-product test on matmul and its transpose.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';

describe('taylorTest', () => {
  useDevice();

  type F = (x: tl.Tensor) => tl.Tensor;
  /** Smooth functions of accurate ops (exp, sqrt, matmul, polynomials), each with its gradient and a typical wrong one. */
  const cases = (W: tl.Tensor, B: tl.Tensor): { name: string; f: F; grad: F; wrong: F }[] => [
    {
      name: 'sum(exp(x/2) x^2)',
      f: (x) => x.mul(0.5).exp().mul(x.square()).sum(),
      grad: (x) =>
        x
          .mul(0.5)
          .exp()
          .mul(x.square().mul(0.5).add(x.mul(2))),
      wrong: (x) => x.mul(0.5).exp().mul(x.square().mul(0.5)), // product rule: one term forgotten
    },
    {
      name: '0.5 |W x - b|^2 + 0.25 sum(x^4)',
      f: (x) => tl.matmul(W, x).sub(B).square().sum().mul(0.5).add(x.square().square().sum().mul(0.25)),
      grad: (x) => tl.matmul(W.T, tl.matmul(W, x).sub(B)).add(x.square().mul(x)),
      wrong: (x) => tl.matmul(W.T, tl.matmul(W, x).sub(B)), // the regularizer's gradient left out
    },
    {
      name: 'sum(sqrt(1 + x^2))',
      f: (x) => x.square().add(1).sqrt().sum(),
      grad: (x) => x.div(x.square().add(1).sqrt()),
      wrong: (x) => x, // the chain rule's 1/sqrt(1 + x^2) missing
    },
  ];

  for (const k of [0, 1, 2]) {
    it(`passes with the right gradient (slopes ~1 and ~2), fails with a wrong one (slope1 ~1): case ${k}`, async () => {
      const g = rng();
      const n = 300;
      const x = tl.tensor(randomFloats(g, n, -2, 2));
      const c = cases(tl.tensor(randomFloats(g, 40 * n, -0.1, 0.1), { shape: [40, n] }), tl.tensor(randomFloats(g, 40)))[k]!;
      const good = await nn.taylorTest(c.f, x, { gradient: c.grad(x), seed: g.seed });
      expect(good.hs).toHaveLength(6);
      expect(good.r1).toHaveLength(6);
      expect(good.passed, `seed ${g.seed}: ${c.name}: ${good.message}`).toBe(true);
      // Near the floor round-off moves slope1 (llvmpipe's sqrt: 2.26-2.52 with r1 1.3x the floor at
      // the smallest pair), and the fit over all steps with it (2.12); both stay far from 1.
      if (!(good.slope1 < 3 && Math.abs(good.fit0 - 1) < 0.1 && Math.abs(good.fit1 - 2) < 0.25))
        throw new Error(`seed ${g.seed}: ${c.name}: slope1 ${good.slope1}, fitted slopes ${good.fit0}, ${good.fit1}: ${good.message}`);
      expect(Math.abs(good.slope0 - 1), good.message).toBeLessThan(0.1);
      for (let i = 0; i < 6; i++) expect(good.r1[i]!).toBeLessThan(good.r0[i]!);
      const bad = await nn.taylorTest(c.f, x, { gradient: c.wrong(x), seed: g.seed });
      // The first-order error rules r1: slope 1, not 2.
      expect(bad.passed, `seed ${g.seed}: ${c.name} with a wrong gradient: ${bad.message}`).toBe(false);
      expect(bad.message).toMatch(/failed: slope1 .* < 1.3/);
      if (!(Math.abs(bad.slope1 - 1) < 0.2)) throw new Error(`seed ${g.seed}: ${c.name} with a wrong gradient: slope1 ${bad.slope1}`);
      // Without a gradient the test takes the tape's: it must pass like the hand-written one.
      const auto = await nn.taylorTest(c.f, x, { seed: g.seed });
      expect(auto.passed, `seed ${g.seed}: ${c.name} with the tape's gradient: ${auto.message}`).toBe(true);
      // A 1% error in the gradient: first order too, so it fails wherever it stands above the h^2 term.
      const off = await nn.taylorTest(c.f, x, { gradient: c.grad(x).mul(1.01), seed: g.seed, h0: 0.01 });
      expect(off.passed, `seed ${g.seed}: ${c.name} with the gradient 1% off: ${off.message}`).toBe(false);
      expect(off.message).toMatch(/failed: slope1/);
    });
  }

  it('takes a direction and step options, and returns f(x), <g, v>, the floor and the steps used', async () => {
    // f = 0.5 |x|^2 along v = x: f(x + h x) = 0.5 (1 + h)^2 |x|^2 exactly, so r1 = 0.5 h^2 |x|^2.
    const x = tl.tensor([1, 2, 3, 4]);
    const r = await nn.taylorTest((v) => v.square().sum().mul(0.5), x, { gradient: x, direction: x, h0: 0.5, steps: 4, factor: 0.25 });
    expect(r.hs).toEqual([0.5, 0.125, 0.03125, 0.0078125]);
    expect(r.f0).toBe(15);
    expect(r.gv).toBe(30);
    expect(r.gvTerms).toBe(30);
    expect(r.gxTerms).toBe(30);
    // Powers of two keep every value exact in float32.
    r.hs.forEach((h, k) => expect(r.r1[k]).toBe(15 * h * h));
    // floor = eps (8 (|f| + fScale) + Σ|g x|) + 64 eps h Σ|g v|, eps = 2^-23.
    r.hs.forEach((h, k) => expect(r.floor[k]).toBeCloseTo(2 ** -23 * (8 * 15 + 30 + 64 * h * 30), 15));
    expect(r.used).toEqual([2, 3]);
    expect(r.slope1).toBeCloseTo(2, 12);
    expect(r.fit1).toBeCloseTo(2, 12);
    expect(r.slope0).toBeGreaterThan(0.9);
    expect(r.passed).toBe(true);
    expect(r.message).toMatch(/passed: slope1 2.000 >= 1.3 on h = 0.03125 to 0.0078125/);
    // A window of 3 and a stricter criterion.
    const w = await nn.taylorTest((v) => v.square().sum().mul(0.5), x, {
      gradient: x,
      direction: x,
      h0: 0.5,
      steps: 4,
      factor: 0.25,
      window: 3,
      minSlope: 2.5,
    });
    expect(w.used).toEqual([1, 2, 3]);
    expect(w.passed).toBe(false);
    // fScale (cancelling terms) raises the floor: here above every r1, so nothing is usable.
    const hidden = await nn.taylorTest((v) => v.square().sum().mul(0.5), x, {
      gradient: x,
      direction: x,
      h0: 0.5,
      steps: 4,
      factor: 0.25,
      fScale: 1e6,
    });
    // floor ~ 8 eps 1e6 = 0.95: only r1 = 3.75 at h = 0.5 clears it, one step, not a pair.
    expect(hidden.floor[0]).toBeCloseTo(2 ** -23 * (8 * (15 + 1e6) + 30 + 64 * 0.5 * 30), 12);
    expect(hidden.r1.map((v, k) => v > hidden.floor[k]!)).toEqual([true, false, false, false]);
    expect(hidden.used).toEqual([]);
    expect(hidden.passed).toBe(false);
  });

  it('fails, and says why, when r1 never clears the round-off floor', async () => {
    // A linear f: r1 is round-off at every step, so no slope can be measured, right gradient or not.
    const g = rng();
    const x = tl.tensor(randomFloats(g, 200));
    const c = tl.tensor(randomFloats(g, 200));
    const r = await nn.taylorTest((v) => v.mul(c).sum().add(3), x, { gradient: c });
    expect(r.used).toEqual([]);
    expect(r.slope1).toBeNaN();
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/no 2 consecutive steps have r1 above the float32 round-off floor.*raise h0 or use a larger direction/);
    r.r1.forEach((v, k) => expect(v, r.message).toBeLessThanOrEqual(r.floor[k]!));
    // And a quadratic f whose curvature along v is too small for the steps: the same verdict.
    const tiny = await nn.taylorTest((v) => v.square().sum().mul(0.5), x, { h0: 1e-5 });
    expect(tiny.passed, tiny.message).toBe(false);
    expect(tiny.message).toMatch(/raise h0/);
  });

  it('rejects bad arguments', async () => {
    const x = tl.zeros([3]);
    const f = (v: tl.Tensor): tl.Tensor => v.sum();
    await expect(nn.taylorTest(f, x, { gradient: tl.zeros([4]) })).rejects.toThrow(
      /taylorTest\(f, x, opts\): opts\.gradient: expected a float32 tensor of shape \[3\], got a float32 tensor of shape \[4\]/,
    );
    await expect(nn.taylorTest(f, x, { gradient: [1, 2, 3] as never })).rejects.toThrow(
      /opts\.gradient: expected a Tensor, got an array of length 3/,
    );
    await expect(nn.taylorTest(f, x, { gradient: x, factor: 2 })).rejects.toThrow(/opts\.factor: expected a number in \(0, 1\), got 2/);
    await expect(nn.taylorTest((v) => v, x, { gradient: x })).rejects.toThrow(
      /taylorTest\(f, x, opts\): f\(x\): expected a float32 tensor with one element, got a float32 tensor of shape \[3\]$/,
    );
    await expect(nn.taylorTest(f, x, { gradient: x, window: 7 })).rejects.toThrow(
      /opts\.window: expected an integer <= opts\.steps \(6\), got 7/,
    );
    await expect(nn.taylorTest(f, x, { gradient: x, fScale: -1 })).rejects.toThrow(/opts\.fScale: expected a number >= 0, got -1/);
    await expect(nn.taylorTest(f, x, { gradient: x, minSlope: NaN })).rejects.toThrow(/opts.minSlope: expected a finite number, got NaN/);
  });
});

describe('dotTest', () => {
  useDevice();

  it('matmul and its transpose pass, with y in the range of A and with a random y; wrong adjoints fail', async () => {
    const [p, q, r] = [37, 53, 6];
    const M = tl.tensor(randomFloats(rng(), p * q), { shape: [p, q] });
    const A = (x: tl.Tensor): tl.Tensor => tl.matmul(M, x);
    const AT = (y: tl.Tensor): tl.Tensor => tl.matmul(M.T, y);
    const seed = rng().seed;
    // y = A x + n: <A x, y> ~ |A x|^2, so lhs is large and positive whatever the draw.
    const res = await nn.dotTest(A, AT, [q, r], [p, r], { seed });
    expect(res.passed, res.message).toBe(true);
    expect(res.tol).toBe(1e-4);
    expect(res.lhs, res.message).toBeGreaterThan(0.5 * res.scale);
    // Both sides come from float32 matmuls (rel. error ~1e-7 per output), accumulated in float64;
    // measured ~1e-8 of Σ|terms| on SwiftShader.
    expect(res.relError, res.message).toBeLessThan(1e-6);
    // A random y: relative to Σ|terms| the mismatch is round-off too, however much <A x, y> cancels.
    const rnd = await nn.dotTest(A, AT, [q, r], [p, r], { seed, y: 'random', tol: 1e-6 });
    expect(rnd.passed, rnd.message).toBe(true);
    // The classic slip, a square operator not transposed (a random S is far from symmetric).
    const S = tl.tensor(randomFloats(rng(), q * q), { shape: [q, q] });
    const bad = await nn.dotTest(
      (x) => tl.matmul(S, x),
      (y) => tl.matmul(S, y),
      [q, r],
      [q, r],
      { seed },
    );
    expect(bad.passed, bad.message).toBe(false);
    expect(bad.relError, bad.message).toBeGreaterThan(1e-2);
    expect(bad.message).toMatch(/failed: .* > tol 0.0001/);
    // A factor: rhs is exactly twice lhs, up to round-off.
    const worse = await nn.dotTest(A, (y) => tl.matmul(M.T, y).mul(2), [q, r], [p, r], { seed });
    expect(worse.passed).toBe(false);
    expect(worse.rhs / worse.lhs).toBeCloseTo(2, 5);
    // A boundary term dropped (the last row of M missing from the adjoint): relative size ~1/37.
    const cut = tl.tensor(
      Float32Array.from({ length: p * r }, (_, i) => (i < (p - 1) * r ? 1 : 0)),
      { shape: [p, r] },
    );
    const dropped = await nn.dotTest(A, (y) => tl.matmul(M.T, y.mul(cut)), [q, r], [p, r], { seed });
    expect(dropped.passed, dropped.message).toBe(false);
  });

  it('checks output shapes and options', async () => {
    const M = tl.ones([2, 3]);
    await expect(
      nn.dotTest(
        (x) => tl.matmul(M, x),
        (y) => y,
        [3],
        [2],
      ),
    ).rejects.toThrow(
      /dotTest\(A, AT, xShape, yShape\): AT\(y\): expected a float32 tensor of shape \[3\], got a float32 tensor of shape \[2\]/,
    );
    await expect(
      nn.dotTest(
        (x) => x,
        (y) => y,
        [3],
        [2],
      ),
    ).rejects.toThrow(/A\(x\): expected a float32 tensor of shape \[2\], got a float32 tensor of shape \[3\]/);
    await expect(
      nn.dotTest(
        (x) => x,
        (y) => y,
        [3],
        [3],
        { y: 'both' as never },
      ),
    ).rejects.toThrow(/opts\.y: expected 'range' or 'random', got "both"/);
    await expect(
      nn.dotTest(
        (x) => x,
        (y) => y,
        [3],
        [3],
        { tol: 0 },
      ),
    ).rejects.toThrow(/opts\.tol: expected a number > 0, got 0/);
  });
});
