// Optimizers: each fused in-place update against a float64 CPU reference over several steps on a
// pytree of awkwardly sized parameters (outputs poisoned, so state read before it is written shows
// as NaN), weight decay variants, learning-rate schedules, save/restore, flat memory, bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { assertClose, randomFloats, rng, useDevice, type Gen } from './helpers.js';

const SHAPES: Record<string, number[]> = { w: [3, 5, 7], b: [65], s: [1], big: [1000] };
const KEYS = ['b', 'big', 's', 'w']; // tree leaf order: sorted keys
const sizeOf = (s: number[]): number => s.reduce((a, b) => a * b, 1);

type Host = Record<string, Float64Array>;
const hostTree = (g: Gen, lo = -1, hi = 1): Host =>
  Object.fromEntries(KEYS.map((k) => [k, Float64Array.from(randomFloats(g, sizeOf(SHAPES[k]!), lo, hi))]));
const devTree = (h: Host): Record<string, tl.Tensor> =>
  Object.fromEntries(KEYS.map((k) => [k, tl.tensor(Float32Array.from(h[k]!), { shape: SHAPES[k] })]));
const disposeTree = (t: Record<string, tl.Tensor>): void => Object.values(t).forEach((x) => x.dispose());

interface Cfg {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** Float64 reference of one step on one element; `st` holds [buf] or [m, v] and `t` is the 1-based step. */
function refStep(kind: string, c: Cfg, p: number, g: number, st: number[], t: number, lr: number): number {
  if (kind === 'SGD') {
    const mu = c.momentum ?? 0;
    const gg = g + (c.weightDecay ?? 0) * p;
    if (mu === 0) return p - lr * gg;
    st[0] = t === 1 ? gg : mu * st[0]! + (1 - (c.dampening ?? 0)) * gg;
    return p - lr * (c.nesterov ? gg + mu * st[0] : st[0]);
  }
  const [b1, b2, eps] = [c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8];
  const wd = c.weightDecay ?? (kind === 'AdamW' ? 0.01 : 0);
  const gg = kind === 'Adam' ? g + wd * p : g;
  const p0 = kind === 'AdamW' ? p * (1 - lr * wd) : p;
  st[0] = b1 * (st[0] ?? 0) + (1 - b1) * gg;
  st[1] = b2 * (st[1] ?? 0) + (1 - b2) * gg * gg;
  return p0 - ((lr / (1 - b1 ** t)) * st[0]) / (Math.sqrt(st[1]) / Math.sqrt(1 - b2 ** t) + eps);
}

const make = (kind: string, c: Cfg): nn.SGD | nn.Adam =>
  kind === 'SGD' ? new nn.SGD(c) : kind === 'Adam' ? new nn.Adam(c) : new nn.AdamW(c);

describe('optimizers vs float64 references', () => {
  useDevice();

  const cases: [string, Cfg][] = [
    ['SGD', { lr: 0.1 }],
    ['SGD', { lr: 0.05, weightDecay: 0.1 }],
    ['SGD', { lr: 0.05, momentum: 0.9 }],
    ['SGD', { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 }],
    ['SGD', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.02 }],
    ['Adam', { lr: 0.01 }],
    ['Adam', { lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }],
    ['AdamW', { lr: 0.01 }],
    ['AdamW', { lr: 0.03, weightDecay: 0.2, beta2: 0.9 }],
  ];
  for (const [kind, cfg] of cases) {
    it(`${kind} ${JSON.stringify(cfg)}: 5 steps on a pytree`, async () => {
      const g = rng();
      const hp = hostTree(g);
      const params = devTree(hp);
      const opt = make(kind, cfg);
      const st: Record<string, number[][]> = Object.fromEntries(KEYS.map((k) => [k, Array.from(hp[k]!, () => [])]));
      for (let t = 1; t <= 5; t++) {
        const hg = hostTree(g);
        // A nested gradient tree with other key order; one gradient is a transposed view.
        const grads = devTree(hg);
        const wT = tl
          .tensor(Float32Array.from(hg.w!), { shape: [3, 5, 7] })
          .permute([2, 1, 0])
          .contiguous()
          .permute([2, 1, 0]);
        opt.step(
          { w: params.w!, nest: [params.b!, { s: params.s!, big: params.big! }] },
          { nest: [grads.b!, { big: grads.big!, s: grads.s! }], w: wT },
        );
        for (const k of KEYS) hp[k] = hp[k]!.map((p, i) => refStep(kind, cfg, p, hg[k]![i]!, st[k]![i]!, t, cfg.lr));
        disposeTree(grads);
        wT.dispose();
        expect(opt.stepCount).toBe(t);
        // float32 storage of p (~6e-8 per step at |p| <= 1) and of the state, over 5 steps.
        for (const k of KEYS)
          assertClose(await params[k]!.data(), hp[k]!, { rtol: 1e-5, atol: 1e-6 }, `seed ${g.seed}: ${kind} ${k} step ${t}`);
      }
      disposeTree(params);
      opt.dispose();
    });
  }

  it('updates in place in recorded order: ops before step() see old values, after see new ones', async () => {
    const p = tl.tensor([1, 2, 3]);
    const opt = new nn.SGD({ lr: 0.5 });
    const before = p.mul(1);
    opt.step(p, tl.tensor([2, 2, 2]));
    const after = p.mul(1);
    opt.step([p], [tl.tensor([4, 4, 4])]);
    expect(Array.from(await before.data())).toEqual([1, 2, 3]);
    expect(Array.from(await after.data())).toEqual([0, 1, 2]);
    expect(Array.from(await p.data())).toEqual([-2, -1, 0]);
  });

  it('updates a parameter whose value is still a pending fused elementwise result', async () => {
    // The in-place kernel must run after the (not yet emitted) fused group that computes p.
    const p = tl.tensor([1, 2, 3]).mul(2).add(1);
    const opt = new nn.SGD({ lr: 1, momentum: 0.5 });
    opt.step(p, tl.tensor([1, 1, 1]).mul(1));
    opt.step(p, tl.tensor([1, 1, 1]));
    expect(Array.from(await p.data())).toEqual([0.5, 2.5, 4.5]);
  });

  it('steps taken inside tidy() keep their state alive for the next step (Adam, SGD with momentum)', async () => {
    const p = tl.tensor([1, 2, 3]);
    const q = tl.tensor([1, 2, 3]);
    const adam = new nn.Adam({ lr: 0.1 });
    const sgd = new nn.SGD({ lr: 0.1, momentum: 0.9 });
    // Adam's first steps move each coordinate by ~lr; SGD with momentum by lr g, then lr g (1 + 0.9).
    for (let k = 0; k < 2; k++)
      tl.tidy(() => {
        adam.step(p, tl.tensor([1, -1, 2]));
        sgd.step(q, tl.tensor([1, 1, 1]));
      });
    const pv = await p.data();
    [0.8, 2.2, 2.8].forEach((w, i) => expect(pv[i]).toBeCloseTo(w, 5));
    expect(Array.from(await q.data()).map((v) => +v.toFixed(5))).toEqual([0.71, 1.71, 2.71]);
  });

  it('skips empty parameters and materializes strided gradients', async () => {
    const e = tl.zeros([0, 3]);
    const p = tl.tensor([
      [1, 2],
      [3, 4],
    ]);
    const g = tl.tensor([
      [1, 3],
      [2, 4],
    ]).T; // logical [[1, 2], [3, 4]]
    new nn.SGD({ lr: 1 }).step([e, p], [tl.zeros([0, 3]), g]);
    expect(await p.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('learning-rate schedules', () => {
  useDevice();

  it('stepDecay, exponentialDecay and cosineDecay follow their formulas', () => {
    const s = nn.stepDecay(0.1, 3, 0.5);
    expect([0, 1, 2, 3, 5, 6, 9].map(s)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    const e = nn.exponentialDecay(2, 0.9);
    for (const t of [0, 1, 7, 50]) expect(e(t)).toBeCloseTo(2 * 0.9 ** t, 14);
    const c = nn.cosineDecay(1, 10, 0.1);
    expect(c(0)).toBeCloseTo(1, 14);
    expect(c(5)).toBeCloseTo(0.55, 14);
    expect(c(10)).toBeCloseTo(0.1, 14);
    expect(c(25)).toBeCloseTo(0.1, 14);
    expect(nn.cosineDecay(3, 4)(2)).toBeCloseTo(1.5, 14);
  });

  it('an optimizer evaluates the schedule at each step count', async () => {
    const p = tl.zeros([5]);
    const g = tl.ones([5]);
    const lr = nn.exponentialDecay(1, 0.5);
    const opt = new nn.SGD({ lr });
    let want = 0;
    for (let t = 0; t < 6; t++) {
      expect(opt.lr).toBe(lr(t));
      opt.step(p, g);
      want -= lr(t);
    }
    // Sums of powers of two are exact in float32.
    expect(Array.from(await p.data())).toEqual(new Array(5).fill(want));
  });
});

describe('state save and restore', () => {
  useDevice();

  for (const [kind, cfg] of [
    ['Adam', { lr: 0.01, weightDecay: 0.05 }],
    ['AdamW', { lr: nn.cosineDecay(0.05, 8) }],
    ['SGD', { lr: 0.1, momentum: 0.9, nesterov: true }],
  ] as const) {
    it(`${kind}: restoring a stateDict reproduces the next steps exactly`, async () => {
      const g = rng();
      const params = devTree(hostTree(g));
      const opt = make(kind, cfg as Cfg);
      const grads = Array.from({ length: 6 }, () => devTree(hostTree(g)));
      for (let t = 0; t < 3; t++) opt.step(params, grads[t]!);
      const saved = opt.stateDict();
      const savedParams = Object.fromEntries(KEYS.map((k) => [k, params[k]!.clone()]));
      for (let t = 3; t < 6; t++) opt.step(params, grads[t]!);
      const want = await Promise.all(KEYS.map((k) => params[k]!.data()));
      expect(saved.stepCount).toBe(3);
      const slots = kind === 'SGD' ? ['momentumBuffer'] : ['m', 'v'];
      for (const s of slots) expect(saved[s] as tl.Tensor[]).toHaveLength(4);
      // Into the same optimizer (after more steps) and into a fresh one: bit-identical trajectories.
      for (const target of [opt, make(kind, cfg as Cfg)]) {
        target.loadStateDict(saved);
        expect(target.stepCount).toBe(3);
        const p2 = Object.fromEntries(KEYS.map((k) => [k, savedParams[k]!.clone()]));
        for (let t = 3; t < 6; t++) target.step(p2, grads[t]!);
        const got = await Promise.all(KEYS.map((k) => p2[k]!.data()));
        KEYS.forEach((k, i) => expect(Array.from(got[i]!)).toEqual(Array.from(want[i]!)));
        disposeTree(p2);
        target.dispose();
      }
      for (const s of slots) (saved[s] as tl.Tensor[]).forEach((t) => t.dispose());
      [params, savedParams, ...grads].forEach(disposeTree);
    });
  }
});

describe('memory', () => {
  useDevice();

  it('stays flat over 1,000 Adam steps', async () => {
    // Poisoning defers buffer reuse by one submit; measure the real planner.
    tl.debug({ poisonOutputs: false });
    const p = tl.tensor(randomFloats(rng(), 257));
    const opt = new nn.Adam({ lr: 1e-3 });
    let baseline = -1;
    let allocations = -1;
    for (let i = 0; i < 1000; i++) {
      const g = tl.tidy(() => p.mul(2).sin());
      opt.step({ p }, { p: g });
      g.dispose();
      if (i % 100 === 99) {
        await p.data();
        const m = tl.memory();
        if (i === 199) [baseline, allocations] = [m.bytesLive + m.bytesPooled, m.allocations];
        if (i > 199) {
          expect(m.bytesLive + m.bytesPooled).toBeLessThanOrEqual(baseline);
          expect(m.allocations).toBe(allocations);
        }
      }
    }
    tl.debug({ poisonOutputs: true });
    expect(baseline).toBeGreaterThan(0);
    p.dispose();
    opt.dispose();
  });
});

describe('bad input', () => {
  useDevice();

  it('rejects bad hyperparameters with the argument and value', () => {
    expect(() => new nn.SGD({ lr: -1 })).toThrow(/SGD\(opts\): lr: expected a finite number > 0 or a schedule step => lr, got -1/);
    expect(() => new nn.SGD({} as never)).toThrow(/SGD\(opts\): lr: expected a finite number > 0 or a schedule step => lr, got undefined/);
    expect(() => new nn.SGD({ lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0 and dampening = 0/);
    expect(() => new nn.SGD({ lr: 0.1, dampening: 2 })).toThrow(/SGD\(opts\): dampening: expected a number in \[0, 1\], got 2/);
    expect(() => new nn.Adam({ lr: 0.1, beta1: 1 })).toThrow(/Adam\(opts\): beta1: expected a finite number in \[0, 1\), got 1/);
    expect(() => new nn.AdamW({ lr: 0.1, eps: NaN })).toThrow(/AdamW\(opts\): eps: expected a finite number > 0, got NaN/);
    expect(() => nn.stepDecay(0.1, 0, 0.5)).toThrow(
      /tellus: stepDecay\(lr0, stepSize, gamma\): stepSize: expected an integer >= 1, got 0$/,
    );
    const p = tl.zeros([2]);
    expect(() => new nn.SGD({ lr: () => NaN }).step(p, p.add(1))).toThrow(
      /tellus: SGD\(opts\): lr\(0\) \(the schedule\): expected a finite number >= 0, got NaN$/,
    );
  });

  it('rejects mismatched trees, shapes, dtypes, views and shared buffers', () => {
    const opt = new nn.Adam({ lr: 0.1 });
    const a = tl.zeros([2, 3]);
    const b = tl.zeros([4]);
    expect(() => opt.step({ a, b }, { a })).toThrow(
      /params and grads must have the same structure: params has 2 tensors, grads has 1, first difference at params.b/,
    );
    expect(() => opt.step({ a, b }, { a, c: b })).toThrow(/first difference at params.b/);
    expect(() => opt.step({ a }, { a: tl.zeros([3, 2]) })).toThrow(
      /grads\.a: expected a tensor of shape \[2, 3\] \(as params\.a\), got a float32 tensor of shape \[3, 2\]/,
    );
    expect(() => opt.step([a], [tl.zeros([2, 3], 'int32')])).toThrow(
      /grads\[0\]: expected a float32 tensor, got an int32 tensor of shape \[2, 3\]/,
    );
    expect(() => opt.step({ a: a.T }, { a: a.T })).toThrow(
      /params\.a: expected a contiguous tensor \(it is updated in place\), got a view of shape \[3, 2\]/,
    );
    expect(() => opt.step([a, a], [a.add(1), a.add(1)])).toThrow(/params\[1\] shares its storage with an earlier parameter/);
    expect(() => opt.step(a, a)).toThrow(/grads is the same buffer as params/);
    expect(() => opt.step({ a: 3 } as never, { a: 3 } as never)).toThrow(
      /params\.a: expected a Tensor or nested plain objects\/arrays of Tensors, got 3$/,
    );
    const dead = tl.zeros([2, 3]);
    dead.dispose();
    expect(() => opt.step({ a }, { a: dead })).toThrow(/grads.a: expected a live tensor, got a disposed tensor of shape \[2, 3\]/);
    opt.step({ a, b }, { a: a.add(1), b: b.add(1) });
    expect(() => opt.step([a], [a.add(1)])).toThrow(/holds state for 2 parameter tensors, params has 1/);
    expect(() => opt.step({ a: b, b: a }, { a: b.add(1), b: a.add(1) })).toThrow(
      /state 'm' for params.a has shape \[2, 3\], expected \[4\]/,
    );
    expect(() => opt.loadStateDict({ stepCount: 1.5 })).toThrow(/d\.stepCount: expected an integer >= 0, got 1\.5/);
    expect(() => opt.loadStateDict({ stepCount: 1, m: [], v: [] })).toThrow(/stepCount is 1 but the state holds no tensors/);
    expect(() => opt.loadStateDict({ stepCount: 1, m: [a] })).toThrow(/d\.v: expected an array of tensors, got undefined/);
    // The failed loads left the optimizer as it was.
    expect(opt.stepCount).toBe(1);
    opt.dispose();
  });
});
