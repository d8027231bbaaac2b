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
      grad: (x) => x.mul(0.5).exp().mul(x.square().mul(0.5).add(x.mul(2))),
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
    it(`slopes ~1 and ~2 with the right gradient, slope1 ~1 with a wrong one: case ${k}`, async () => {
      const g = rng();
      const n = 300;
      const x = tl.tensor(randomFloats(g, n, -2, 2));
      const c = cases(tl.tensor(randomFloats(g, 40 * n, -0.1, 0.1), { shape: [40, n] }), tl.tensor(randomFloats(g, 40)))[k]!;
      const good = await nn.taylorTest(c.f, x, { gradient: c.grad(x), seed: g.seed });
      expect(good.hs).toHaveLength(6);
      expect(good.r1).toHaveLength(6);
      // Fitted over h = 0.1 ... 0.003: the h^2 term of r0, the cubic term of r1 and round-off each bend the lines by < 0.05.
      if (!(Math.abs(good.slope0 - 1) < 0.1 && Math.abs(good.slope1 - 2) < 0.1)) throw new Error(`seed ${g.seed}: ${c.name}: slopes ${good.slope0}, ${good.slope1}; r1 ${good.r1}`);
      for (let i = 0; i < 6; i++) expect(good.r1[i]!).toBeLessThan(good.r0[i]!);
      const bad = await nn.taylorTest(c.f, x, { gradient: c.wrong(x), seed: g.seed });
      // The first-order error rules r1: slope 1, not 2 (its h^2 part still lifts the fit by up to ~0.13 at h = 0.1).
      if (!(Math.abs(bad.slope1 - 1) < 0.2)) throw new Error(`seed ${g.seed}: ${c.name} with a wrong gradient: slope1 ${bad.slope1}`);
      // Without a gradient the test takes the tape's: it must pass like the hand-written one.
      const auto = await nn.taylorTest(c.f, x, { seed: g.seed });
      if (!(Math.abs(auto.slope1 - 2) < 0.1)) throw new Error(`seed ${g.seed}: ${c.name} with the tape's gradient: slope1 ${auto.slope1}`);
    });
  }

  it('takes a direction and step options, and returns f(x) and <g, v>', async () => {
    // f = 0.5 |x|^2 along v = x: f(x + h x) = 0.5 (1 + h)^2 |x|^2 exactly, so r1 = 0.5 h^2 |x|^2.
    const x = tl.tensor([1, 2, 3, 4]);
    const r = await nn.taylorTest((v) => v.square().sum().mul(0.5), x, { gradient: x, direction: x, h0: 0.5, steps: 4, factor: 0.25 });
    expect(r.hs).toEqual([0.5, 0.125, 0.03125, 0.0078125]);
    expect(r.f0).toBe(15);
    expect(r.gv).toBe(30);
    // Powers of two keep every value exact in float32.
    r.hs.forEach((h, k) => expect(r.r1[k]).toBe(15 * h * h));
    expect(r.slope1).toBeCloseTo(2, 12);
    expect(r.slope0).toBeGreaterThan(0.9);
  });

  it('rejects bad arguments', async () => {
    const x = tl.zeros([3]);
    const f = (v: tl.Tensor): tl.Tensor => v.sum();
    await expect(nn.taylorTest(f, x, { gradient: tl.zeros([4]) })).rejects.toThrow(/taylorTest\(f, x, opts\): opts.gradient has shape \[4\], expected \[3\]/);
    await expect(nn.taylorTest(f, x, { gradient: [1, 2, 3] as never })).rejects.toThrow(/opts.gradient: expected a Tensor, got an array/);
    await expect(nn.taylorTest(f, x, { gradient: x, factor: 2 })).rejects.toThrow(/expected h0 > 0 and 0 < factor < 1, got h0 0.1, factor 2/);
    await expect(nn.taylorTest((v) => v, x, { gradient: x })).rejects.toThrow(/f must return a one-element float32 tensor, got float32 \[3\] at x/);
  });
});

describe('dotTest', () => {
  useDevice();

  it('matmul and its transpose are adjoint to float32 round-off; a wrong adjoint is not', async () => {
    // Fixed data: relError = float32 round-off / |<Ax, y>|, and <Ax, y> is a sum of random-sign terms
    // that for some draws nearly cancels (|lhs| below a tenth of its typical ~60 in ~8% of them); with
    // these seeds it does not (|lhs| = 51), so the bound tests the adjoint, not the luck of the draw.
    const [p, q, r] = [37, 53, 6];
    const M = tl.tensor(randomFloats(rng(11), p * q), { shape: [p, q] });
    const A = (x: tl.Tensor): tl.Tensor => tl.matmul(M, x);
    const AT = (y: tl.Tensor): tl.Tensor => tl.matmul(M.T, y);
    const res = await nn.dotTest(A, AT, [q, r], [p, r], { seed: 1 });
    // Both sides come from float32 matmuls (rel. error ~1e-7 per output), accumulated in float64;
    // measured 1e-7 on SwiftShader.
    expect(res.relError).toBeLessThan(1e-5);
    expect(Math.abs(res.lhs)).toBeGreaterThan(10);
    // The classic slip, a square operator not transposed: fixed data (seed 7), since for random data
    // the two sides can agree by chance (|lhs - rhs| < 1e-3 max(|lhs|, |rhs|) with probability ~1e-3).
    const S = tl.tensor(randomFloats(rng(7), q * q), { shape: [q, q] });
    const bad = await nn.dotTest((x) => tl.matmul(S, x), (y) => tl.matmul(S, y), [q, r], [q, r], { seed: 7 });
    expect(bad.relError).toBeGreaterThan(1e-2);
    const worse = await nn.dotTest(A, (y) => tl.matmul(M.T, y).mul(2), [q, r], [p, r], { seed: 1 });
    expect(worse.relError).toBeCloseTo(0.5, 5);
  });

  it('checks output shapes', async () => {
    const M = tl.ones([2, 3]);
    await expect(nn.dotTest((x) => tl.matmul(M, x), (y) => y, [3], [2])).rejects.toThrow(/dotTest\(A, AT, xShape, yShape\): AT\(y\) has shape \[2\], expected \[3\]/);
    await expect(nn.dotTest((x) => x, (y) => y, [3], [2])).rejects.toThrow(/A\(x\) has shape \[3\], expected \[2\]/);
  });
});
