// PINN toolkit (src/inverse/pinn): samplers against known points, domains, the Taylor-mode
// derivatives of the network (as the toolkit uses them, output transform included) against float64
// finite differences of a float64 re-implementation, hard constraints, adaptive weights and RAR
// against hand computations, L-BFGS options honoured, flat memory, and bad input rejected.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, rng, useDevice } from './helpers.js';

// SciPy 1.17 qmc.Sobol(d=8, scramble=False).random(16), columns 0-7, points 0-15.
const SOBOL_8 = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
  [0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75],
  [0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 0.25],
  [0.375, 0.375, 0.625, 0.875, 0.375, 0.125, 0.375, 0.875],
  [0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375],
  [0.625, 0.125, 0.875, 0.625, 0.625, 0.875, 0.125, 0.125],
  [0.125, 0.625, 0.375, 0.125, 0.125, 0.375, 0.625, 0.625],
  [0.1875, 0.3125, 0.9375, 0.4375, 0.5625, 0.3125, 0.4375, 0.9375],
  [0.6875, 0.8125, 0.4375, 0.9375, 0.0625, 0.8125, 0.9375, 0.4375],
  [0.9375, 0.0625, 0.6875, 0.1875, 0.3125, 0.5625, 0.1875, 0.1875],
  [0.4375, 0.5625, 0.1875, 0.6875, 0.8125, 0.0625, 0.6875, 0.6875],
  [0.3125, 0.1875, 0.3125, 0.5625, 0.9375, 0.4375, 0.0625, 0.0625],
  [0.8125, 0.6875, 0.8125, 0.0625, 0.4375, 0.9375, 0.5625, 0.5625],
  [0.5625, 0.4375, 0.0625, 0.8125, 0.1875, 0.6875, 0.3125, 0.8125],
  [0.0625, 0.9375, 0.5625, 0.3125, 0.6875, 0.1875, 0.8125, 0.3125],
];

describe('PINN samplers and domains', () => {
  it('Sobol matches SciPy unscrambled points in 8 dimensions; skip continues the sequence', () => {
    expect(Array.from(tl.sobol(16, 8))).toEqual(SOBOL_8.flat());
    expect(Array.from(tl.sobol(4, 3, 12))).toEqual(SOBOL_8.slice(12, 16).flatMap((r) => r.slice(0, 3)));
  });

  it('Hammersley is (i/n, base-2, base-3, base-5 radical inverses)', () => {
    const h = tl.hammersley(8, 4);
    const want = [
      [0, 0, 0, 0],
      [1 / 8, 1 / 2, 1 / 3, 1 / 5],
      [2 / 8, 1 / 4, 2 / 3, 2 / 5],
      [3 / 8, 3 / 4, 1 / 9, 3 / 5],
      [4 / 8, 1 / 8, 4 / 9, 4 / 5],
      [5 / 8, 5 / 8, 7 / 9, 1 / 25],
      [6 / 8, 3 / 8, 2 / 9, 6 / 25],
      [7 / 8, 7 / 8, 5 / 9, 11 / 25],
    ];
    assertClose(h, want.flat(), { rtol: 0, atol: 1e-15 }, 'hammersley');
  });

  it('a seeded uniform stream repeats with its seed and differs with another', () => {
    const a = tl.uniformPoints(5, 2, new tl.Rng(3));
    expect(Array.from(a)).toEqual(Array.from(tl.uniformPoints(5, 2, new tl.Rng(3))));
    expect(Array.from(a)).not.toEqual(Array.from(tl.uniformPoints(5, 2, new tl.Rng(4))));
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('samples interior, boundary (faces by measure) and initial sets of a space-time rectangle', () => {
    const d = tl.spaceTime(new tl.Rectangle([0, -1], [2, 1]), new tl.TimeDomain(0, 0.5));
    expect(d.names).toEqual(['x', 'z', 't']);
    expect(d.timeAxis).toBe(2);
    for (const method of ['uniform', 'hammersley', 'sobol'] as const) {
      const inside = d.interior(50, { method, seed: 2 });
      expect(inside.n).toBe(50);
      for (let i = 0; i < inside.n; i++) expect(d.contains([inside.at(i, 0), inside.at(i, 1), inside.at(i, 2)])).toBe(true);
      const b = d.boundary(40, { method });
      let onX = 0;
      for (let i = 0; i < b.n; i++) {
        const [x, z] = [b.at(i, 0), b.at(i, 1)];
        const edge = x === 0 || x === 2 || z === -1 || z === 1;
        expect(edge, `point ${i}: ${x}, ${z}`).toBe(true);
        if (x === 0 || x === 2) onX++;
      }
      expect(onX).toBe(20); // the four edges have equal length: 10 points each
      const init = d.initial(10, { method });
      for (let i = 0; i < init.n; i++) expect(init.at(i, 2)).toBe(0);
    }
    const iv = tl.spaceTime(new tl.Interval(0, 1), new tl.TimeDomain(0, 1));
    const ends = iv.boundary(6);
    expect(Array.from({ length: 6 }, (_, i) => ends.at(i, 0)).sort()).toEqual([0, 0, 0, 1, 1, 1]);
    const g = iv.grid([3, 2]);
    expect(Array.from(g.points)).toEqual([0, 0, 0, 1, 0.5, 0, 0.5, 1, 1, 0, 1, 1]);
  });

  it('rejects bad domains, sampler options and point sets', () => {
    expect(() => new tl.Interval(1, 0)).toThrow(/hi\[0\]/);
    expect(() => new tl.Interval(0, 1).interior(10, { methd: 'sobol' } as never)).toThrow(/methd.*method/s);
    expect(() => new tl.Interval(0, 1).interior(10, { method: 'halton' as never })).toThrow(/method/);
    expect(() => new tl.Interval(0, 1).interior(0)).toThrow(/n/);
    expect(() => new tl.Interval(0, 1).initial(4)).toThrow(/no time axis/);
    expect(() => tl.sobol(4, 9)).toThrow(/d: expected an integer in \[1, 8\]/);
    expect(() => tl.spaceTime(new tl.TimeDomain(0, 1), new tl.TimeDomain(0, 1))).toThrow(/space/);
    expect(() => tl.PointSet.fromRows([[0, 1], [2]])).toThrow(/rows\[1\]/);
    expect(() => new tl.PointSet(new Float64Array([0, NaN]), 2)).toThrow(/finite/);
  });
});

/** The same network in float64 on the host. */
function hostNet(net: tl.FieldNet, W: Float64Array[], b: Float64Array[]): (x: number[]) => number {
  const { shift, scale, B, features, keepInput } = net.fixed;
  const d = net.inputs;
  const Bf = B.map((m) => Float64Array.from(new Float32Array(m)));
  return (x) => {
    const y = x.map((v, k) => (v - Math.fround(shift[k]!)) * Math.fround(scale[k]!));
    let h: number[] = y;
    if (Bf.length) {
      const f: number[] = [];
      for (const m of Bf) {
        const z = Array.from({ length: features }, (_, j) => 2 * Math.PI * y.reduce((s, v, k) => s + v * m[k * features + j]!, 0));
        f.push(...z.map(Math.cos), ...z.map(Math.sin));
      }
      h = keepInput ? [...f, ...y] : f;
    }
    W.forEach((w, l) => {
      const nout = b[l]!.length;
      const nin = h.length;
      const o = Array.from({ length: nout }, (_, j) => b[l]![j]! + h.reduce((s, v, i) => s + v * w[i * nout + j]!, 0));
      h = l < W.length - 1 ? o.map(net.activation === 'tanh' ? Math.tanh : Math.sin) : o;
      void nin;
      void d;
    });
    return h[0]!;
  };
}

describe('PINN networks and derivatives', () => {
  useDevice();

  for (const variant of ['plain tanh', 'Fourier features (two scales), sin'] as const) {
    it(`u, u_x, u_xx, u_tt of the network through a hard constraint match float64 finite differences (${variant})`, async () => {
      const g = rng();
      const dom = tl.spaceTime(new tl.Interval(0, 2), new tl.TimeDomain(0, 1));
      const net = new tl.FieldNet({
        inputs: 2,
        hidden: [12, 10],
        lo: dom.lo,
        hi: dom.hi,
        seed: g.seed,
        ...(variant === 'plain tanh' ? {} : { activation: 'sin' as const, fourier: { features: 4, scales: [0.5, 1.5], seed: g.seed } }),
      });
      const W = await Promise.all(net.layers.map(async (l) => Float64Array.from(await l.weight.data())));
      const b = await Promise.all(net.layers.map(async (l) => Float64Array.from(await l.bias.data())));
      const f = hostNet(net, W, b);
      // u = sin(x) + exp(-2 x^2) + t^2 x (2 - x) N(x, t): the transform is part of what the residual sees.
      const uHost = (p: number[]): number => Math.sin(p[0]!) + Math.exp(-2 * p[0]! * p[0]!) + p[1]! * p[1]! * p[0]! * (2 - p[0]!) * f(p);
      const pts = Array.from({ length: 16 }, () => [Math.fround(2 * g.next()), Math.fround(g.next())]);
      const seen: Record<string, ArrayLike<number>> = {};
      const pinn = new tl.Pinn({
        domain: dom,
        net,
        transform: (x, n) =>
          x('x')
            .sin()
            .add(x('x').square().mul(-2).exp())
            .add(
              x('t')
                .square()
                .mul(x('x').mul(x('x').mul(-1).add(2)))
                .mul(n),
            ),
        terms: [{ kind: 'residual', name: 'r', points: tl.PointSet.fromRows(pts), residual: (c) => c.u() }],
      });
      const X = tl.tensor(pts.flat(), { shape: [pts.length, 2] });
      const t = pinn.terms[0] as tl.ResidualTerm;
      for (const [name, fn] of [
        ['u', (c: tl.ResidualContext) => c.u()],
        ['u_x', (c: tl.ResidualContext) => c.d('x')],
        ['u_t', (c: tl.ResidualContext) => c.d('t')],
        ['u_xx', (c: tl.ResidualContext) => c.dd('x')],
        ['u_tt', (c: tl.ResidualContext) => c.dd('t')],
      ] as const) {
        seen[name] = await pinn.residual({ ...t, residual: fn }, X).data();
      }
      const h1 = 1e-5;
      const h2 = 1e-4;
      const fd = (p: number[], k: number, order: 0 | 1 | 2): number => {
        const at = (s: number): number => uHost(p.map((v, j) => (j === k ? v + s : v)));
        if (order === 0) return at(0);
        if (order === 1) return (at(h1) - at(-h1)) / (2 * h1);
        return (at(h2) - 2 * at(0) + at(-h2)) / (h2 * h2);
      };
      const want: Record<string, number[]> = {
        u: pts.map((p) => fd(p, 0, 0)),
        u_x: pts.map((p) => fd(p, 0, 1)),
        u_t: pts.map((p) => fd(p, 1, 1)),
        u_xx: pts.map((p) => fd(p, 0, 2)),
        u_tt: pts.map((p) => fd(p, 1, 2)),
      };
      for (const k of Object.keys(want)) {
        const scale = Math.max(1, ...want[k]!.map(Math.abs));
        assertClose(seen[k]!, want[k]!, { rtol: 1e-3, atol: 2e-4 * scale }, `${k} (${variant}) seed ${g.seed}`);
      }
      // The jets agree with reverse-over-reverse tl.grad of the same network (no transform).
      const plain = (Y: tl.Tensor): tl.Tensor => tl.sum(net.forward(Y));
      const d2 = tl.grad((Y: tl.Tensor) => tl.sum(tl.slice(tl.grad(plain)(Y) as tl.Tensor, [null, 0])))(X) as tl.Tensor;
      const jet = net.jet(X, [0]);
      assertClose(
        await tl.slice(d2, [null, 0]).data(),
        await jet.second(0)!.data(),
        { rtol: 1e-3, atol: 1e-4 },
        `jet vs grad(grad) seed ${g.seed}`,
      );
      pinn.dispose();
      X.dispose();
    });
  }

  it('output transforms satisfy the constraints exactly: u(x, 0) = u0(x), u_t(x, 0) = 0, u = 0 at both ends', async () => {
    const dom = tl.spaceTime(new tl.Interval(0, 1), new tl.TimeDomain(0, 1));
    const net = new tl.FieldNet({ inputs: 2, hidden: [16, 16], lo: dom.lo, hi: dom.hi, seed: 5 });
    const pinn = new tl.Pinn({
      domain: dom,
      net,
      transform: (x, n) =>
        x('x')
          .mul(Math.PI)
          .sin()
          .add(x('x').mul(x('x').mul(-1).add(1)).mul(x('t').square()).mul(n)),
      terms: [{ kind: 'residual', name: 'r', points: dom.interior(8), residual: (c) => c.u() }],
    });
    const init = dom.initial(20);
    const u = await pinn.predict(init);
    const u0 = await tl
      .noGrad(() => tl.sin(tl.mul(tl.tensor(Float32Array.from(init.points.filter((_, i) => i % 2 === 0))), Math.PI)))
      .data();
    expect(Array.from(u)).toEqual(Array.from(u0));
    const X = tl.pointsTensor(init);
    const ut = await tl.noGrad(() => pinn.residual({ ...(pinn.terms[0] as tl.ResidualTerm), residual: (c) => c.d('t') }, X)).data();
    expect(Array.from(ut).every((v) => v === 0)).toBe(true);
    const ends = await pinn.predict(dom.boundary(10));
    // sin(pi * 1) in float32 is -8.7e-8, not 0: the constraint term itself is exactly 0 there.
    for (const v of ends) expect(Math.abs(v)).toBeLessThan(1e-7);
    X.dispose();
    pinn.dispose();
  });
});

describe('PINN training machinery', () => {
  useDevice();

  const smallProblem = (seed: number, terms?: (d: tl.Domain) => tl.Term[]): tl.Pinn => {
    const dom = tl.spaceTime(new tl.Interval(0, 1), new tl.TimeDomain(0, 1));
    const net = new tl.FieldNet({ inputs: 2, hidden: [8, 8], lo: dom.lo, hi: dom.hi, seed });
    return new tl.Pinn({
      domain: dom,
      net,
      terms: terms
        ? terms(dom)
        : [
            { kind: 'residual', name: 'pde', points: new tl.Collocation(dom, 24), residual: (c) => tl.sub(c.dd('t'), c.dd('x')) },
            { kind: 'data', name: 'ic', points: dom.initial(12).withValues(([x]) => Math.sin(Math.PI * x!)), weight: 3 },
            { kind: 'data', name: 'bc', points: dom.boundary(8).withValues(() => 0) },
          ],
    });
  };

  it('adaptive weights: gradient statistics match tl.grad of each term, and the annealing update matches the formula', async () => {
    const g = rng();
    const pinn = smallProblem(g.seed);
    const stats = await pinn.gradientStats();
    // Hand computation of each term's gradient over u's parameters with tl.grad.
    const inputs = pinn.inputs();
    const params = pinn.parameters();
    const want = { maxAbs: [] as number[], meanAbs: [] as number[] };
    for (let i = 0; i < 3; i++) {
      const gr = tl.grad((p: tl.NamedTensors) => pinn.termLosses(p, inputs)[i]!)(params) as tl.NamedTensors;
      const all = (await Promise.all(Object.values(gr).map((t) => t.data()))).flatMap((a) => Array.from(a, Math.abs));
      want.maxAbs.push(Math.max(...all));
      want.meanAbs.push(all.reduce((s, v) => s + v, 0) / all.length);
    }
    assertClose(stats.maxAbs, want.maxAbs, { rtol: 1e-5, atol: 0 }, `max |grad| seed ${g.seed}`);
    assertClose(stats.meanAbs, want.meanAbs, { rtol: 1e-5, atol: 0 }, `mean |grad| seed ${g.seed}`);
    const before = { ...pinn.weights };
    const after = await pinn.annealWeights(0.9);
    expect(after.pde).toBe(before.pde);
    expect(after.ic).toBeCloseTo(0.1 * 3 + (0.9 * stats.maxAbs[0]!) / stats.meanAbs[1]!, 4);
    expect(after.bc).toBeCloseTo(0.1 * 1 + (0.9 * stats.maxAbs[0]!) / stats.meanAbs[2]!, 4);
    // The pure update on numbers.
    expect(tl.annealedWeights(['r', 'a', 'b'], { r: 1, a: 2, b: 5 }, 0, [4, 9, 9], [1, 2, 8], 0.5)).toEqual({
      r: 1,
      a: 0.5 * 2 + 0.5 * 2,
      b: 2.5 + 0.25,
    });
    for (const v of inputs.values()) [v.X, v.y].forEach((t) => t?.dispose());
    pinn.dispose();
  });

  it('RAR adds exactly the candidates with the largest |residual|', async () => {
    const pinn = smallProblem(1, (d) => [
      {
        kind: 'residual',
        name: 'pde',
        points: new tl.Collocation(d, 10, 'interior', { method: 'sobol' }),
        residual: (c) => tl.sub(tl.mul(c.x('x'), c.x('t')), 0.3),
      },
    ]);
    const cand = pinn.domain.interior(64, { method: 'uniform', seed: 9 });
    const r = Array.from({ length: cand.n }, (_, i) =>
      Math.abs(Math.fround(Math.fround(cand.at(i, 0)) * Math.fround(cand.at(i, 1))) - 0.3),
    );
    const worst = r
      .map((v, i) => [v, i] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, 5)
      .map(([, i]) => i);
    const picked = await pinn.refine('pde', cand, 5);
    expect(picked).toEqual(worst);
    const col = (pinn.terms[0] as tl.ResidualTerm).points as tl.Collocation;
    expect(col.points.n).toBe(15);
    expect(Array.from(col.points.points.subarray(20))).toEqual(Array.from(cand.select(worst).points));
    col.resample();
    expect(col.points.n).toBe(15); // refined points survive resampling
    expect(tl.worstIndices([1, 5, 5, 0, 7], 3)).toEqual([4, 1, 2]);
    pinn.dispose();
  });

  it('L-BFGS honours its options: maxIter reached with tolerances at 0, tolGrad stops at once, the reason is reported', async () => {
    const pinn = smallProblem(2);
    const res = await pinn.train({ lbfgs: { maxIter: 6, tolGrad: 0, tolLoss: 0, tolStep: 0 }, logEvery: 2 });
    const lb = res.lbfgs!;
    if (lb.reason === 'lineSearch') expect(lb.iterations).toBeLessThan(6);
    else {
      expect(lb.reason).toBe('maxIter');
      expect(lb.iterations).toBe(6);
    }
    expect(res.log.map((p) => p.step)).toEqual([2, 4, 6].slice(0, Math.floor(lb.iterations / 2)));
    expect(res.log.every((p) => p.phase === 'lbfgs' && Object.keys(p.terms).join() === 'pde,ic,bc')).toBe(true);
    expect(res.loss).toBeCloseTo(lb.loss, 5);
    const stop = await pinn.train({ lbfgs: { maxIter: 50, tolGrad: 1e9 } });
    expect(stop.lbfgs).toMatchObject({ iterations: 0, reason: 'gradient', converged: true });
    pinn.dispose();
  });

  it('stop ends training at a report: Adam as if fewer steps were asked, L-BFGS with reason callback and the iterate loaded', async () => {
    const flat = async (p: tl.Pinn): Promise<number[]> =>
      (await Promise.all(Object.values(p.parameters()).map((t) => t.data()))).flatMap((a) => Array.from(a));
    const stopped = smallProblem(6);
    const seen: number[] = [];
    const res = await stopped.train({
      adam: { steps: 30, lr: 1e-2 },
      lbfgs: { maxIter: 5 },
      logEvery: 5,
      stop: (p) => (seen.push(p.step), p.step === 10),
    });
    expect(seen).toEqual([5, 10]);
    expect(res).toMatchObject({ adamSteps: 10, stopped: { phase: 'adam', step: 10 } });
    expect(res.lbfgs).toBeUndefined();
    const plain = smallProblem(6);
    await plain.train({ adam: { steps: 10, lr: 1e-2 }, logEvery: 5 });
    // Same steps on the same device: bitwise the same parameters.
    expect(await flat(stopped)).toEqual(await flat(plain));
    plain.dispose();

    const lb = await stopped.train({
      lbfgs: { maxIter: 20, tolGrad: 0, tolLoss: 0, tolStep: 0 },
      logEvery: 2,
      stop: async (p) => {
        // The modules hold the reported iterate: evaluating them gives the reported loss.
        expect((await stopped.evaluate()).loss).toBeCloseTo(p.loss, 6);
        return p.step === 4;
      },
    });
    if (lb.lbfgs!.reason !== 'lineSearch') {
      expect(lb.lbfgs).toMatchObject({ iterations: 4, reason: 'callback', converged: false });
      expect(lb.stopped).toEqual({ phase: 'lbfgs', step: 4 });
      expect(lb.log.map((p) => p.step)).toEqual([2, 4]);
    }
    expect(lb.loss).toBeCloseTo(lb.log.at(-1)!.loss, 6);
    stopped.dispose();
  });

  it('trains a scalar unknown with the network, reports every term, and keeps memory flat over 200 Adam steps', async () => {
    const pinn = smallProblem(3, (d) => [
      {
        kind: 'residual',
        name: 'pde',
        points: new tl.Collocation(d, 16, 'interior', { method: 'uniform', seed: 1 }),
        residual: (c) => tl.sub(c.u(), c.unknown('k')),
      },
      { kind: 'data', name: 'obs', points: d.interior(8).withValues(() => 0.7) },
    ]);
    const pinn2 = new tl.Pinn({ domain: pinn.domain, net: pinn.net, terms: pinn.terms, unknowns: { k: 0 } });
    expect(Object.keys(pinn2.parameters())).toContain('k.value');
    const mem: number[] = [];
    const res = await pinn2.train({
      adam: { steps: 200, lr: 2e-2 },
      resample: { every: 40 },
      weights: { scheme: 'annealing', every: 50 },
      logEvery: 40,
      onProgress: (p) => {
        const m = tl.memory();
        mem.push(m.bytesLive + m.bytesPooled);
        expect(Object.keys(p.terms)).toEqual(['pde', 'obs']);
        expect(p.eta).toBeGreaterThanOrEqual(0);
      },
    });
    expect(res.log.map((p) => p.step)).toEqual([40, 80, 120, 160, 200]);
    for (let i = 2; i < mem.length; i++) expect(mem[i], `bytes at log ${i}`).toBeLessThanOrEqual(mem[1]!);
    expect(Math.abs((await pinn2.unknown('k')) - 0.7)).toBeLessThan(0.05);
    expect(res.log.at(-1)!.unknowns.k).toBeCloseTo(await pinn2.unknown('k'), 6);
    pinn2.dispose();
  });

  it('an unknown network of some axes only: v(x) in a space-time domain', async () => {
    const base = smallProblem(5);
    const vnet = new tl.FieldNet({ inputs: 1, hidden: [4], seed: 1 });
    const pinn = new tl.Pinn({
      domain: base.domain,
      net: base.net,
      unknowns: { v: { net: vnet, axes: ['x'] } },
      terms: [
        {
          kind: 'residual',
          name: 'r',
          points: base.domain.interior(6),
          residual: (c) => tl.sub(c.dd('t'), tl.mul(c.dd('x'), tl.square(c.field('v')))),
        },
      ],
    });
    expect(Object.keys(pinn.parameters())).toContain('v.layers.0.weight');
    const v = await pinn.predictField(
      'v',
      tl.PointSet.fromRows([
        [0.3, 0],
        [0.3, 0.9],
        [0.7, 0.5],
      ]),
    );
    expect(v[0]).toBe(v[1]); // independent of t
    expect(v[0]).not.toBe(v[2]);
    const want = await tl.noGrad(() => vnet.forward(tl.tensor([[0.3]]))).data();
    expect(v[0]).toBeCloseTo(want[0]!, 6);
    const res = await pinn.train({ adam: { steps: 2 }, lbfgs: { maxIter: 2 } });
    expect(res.lbfgs!.iterations).toBeGreaterThan(0);
    expect(
      () => new tl.Pinn({ domain: base.domain, net: base.net, unknowns: { v: { net: vnet, axes: ['x', 't'] } }, terms: base.terms }),
    ).toThrow(/2 inputs/);
    pinn.dispose();
  });

  it("fieldDd: an unknown network's second derivative along its axis, against float64", async () => {
    const base = smallProblem(5);
    // v(x) on lo/hi = [0.2, 0.8]: x' = (x - 0.5) / 0.3, v = W2 tanh(W1 x' + b1) + b2.
    const vnet = new tl.FieldNet({ inputs: 1, hidden: [4], lo: [0.2], hi: [0.8], seed: 3 });
    const pts = tl.PointSet.fromRows([
      [0.1, 0.4],
      [0.45, 0.2],
      [0.9, 0.7],
    ]);
    const pinn = new tl.Pinn({
      domain: base.domain,
      net: base.net,
      unknowns: { v: { net: vnet, axes: ['x'] } },
      terms: [{ kind: 'residual', name: 'smooth', points: pts, residual: (c) => c.fieldDd('v', 'x') }],
    });
    const p = vnet.parameters();
    const [W1, b1, W2] = (await Promise.all(['layers.0.weight', 'layers.0.bias', 'layers.1.weight'].map((k) => p[k]!.data()))) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const got = await pinn.residualAbs('smooth', pts);
    [0.1, 0.45, 0.9].forEach((x, i) => {
      const xs = (x - 0.5) / 0.3;
      let want = 0;
      for (let j = 0; j < 4; j++) {
        const t = Math.tanh(W1[j]! * xs + b1[j]!);
        want += W2[j]! * -2 * t * (1 - t * t) * (W1[j]! / 0.3) ** 2;
      }
      // float32 through three chain-rule products: a few ulps of the largest term.
      expect(Math.abs(got[i]! - Math.abs(want)), `x = ${x}`).toBeLessThan(1e-5 * (1 + Math.abs(want)));
    });
    await expect(
      (async () => {
        const bad = new tl.Pinn({
          domain: base.domain,
          net: base.net,
          unknowns: { v: { net: vnet, axes: ['x'] } },
          terms: [{ kind: 'residual', name: 'smooth', points: pts, residual: (c) => c.fieldDd('v', 't') }],
        });
        return bad.residualAbs('smooth', pts);
      })(),
    ).rejects.toThrow("fieldDd('v', 't'): the network does not take this axis");
    pinn.dispose();
  });

  it('rejects bad options with messages that name them', () => {
    const pinn = smallProblem(4);
    const bad = async (o: unknown): Promise<unknown> => pinn.train(o as tl.TrainOptions);
    return Promise.all([
      expect(bad({ adam: { step: 10 } })).rejects.toThrow(/step.*steps/s),
      expect(bad({ lbfgs: { maxIters: 3 } })).rejects.toThrow(/maxIters.*maxIter/s),
      expect(bad({ weights: { scheme: 'gradnorm' } })).rejects.toThrow(/scheme/),
      expect(bad({ weights: { scheme: 'annealing', alpha: 2 } })).rejects.toThrow(/alpha/),
      expect(bad({ rar: { every: 5, candidates: 10, add: 20 } })).rejects.toThrow(/rar.add/),
      expect(bad({ logEvry: 3 })).rejects.toThrow(/logEvry.*logEvery/s),
      expect(bad({ stop: 3 })).rejects.toThrow(/stop.*a function/s),
      expect(bad({ lbfgs: { maxIter: 0 } })).rejects.toThrow(/maxIter/),
      (async () => {
        expect(() => new tl.FieldNet({ inputs: 2, hidden: [4], fourier: { features: 2, scale: [1] } as never })).toThrow(/scale.*scales/s);
        expect(() => new tl.FieldNet({ inputs: 2, hidden: [] })).toThrow(/hidden/);
        expect(() => new tl.Pinn({ domain: pinn.domain, net: pinn.net, terms: [{ kind: 'pde', name: 'x' } as never] })).toThrow(/kind/);
        expect(
          () => new tl.Pinn({ domain: pinn.domain, net: pinn.net, terms: [{ kind: 'data', name: 'd', points: pinn.domain.interior(3) }] }),
        ).toThrow(/values/);
        expect(
          () =>
            new tl.Pinn({
              domain: pinn.domain,
              net: pinn.net,
              terms: [
                {
                  kind: 'residual',
                  name: 'r',
                  points: pinn.domain.interior(3),
                  residual: (c: tl.ResidualContext) => c.u(),
                  wieght: 2,
                } as never,
              ],
            }),
        ).toThrow(/wieght.*weight/s);
      })(),
    ]).finally(() => pinn.dispose());
  });
});
