// Losses against float64 references on random data of awkward shapes (including views), and their
// shape errors. GPU sums accumulate in float32: tolerances are relative, a few 1e-6.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';

const f64 = (a: ArrayLike<number>): number[] => Array.from(a, Number);
const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

async function value(t: tl.Tensor): Promise<number> {
  expect(t.shape).toEqual([]);
  const v = await t.item();
  t.dispose();
  return v;
}

/** |got - want| <= rtol |want|, with the seed in the message. */
function near(got: number, want: number, rtol: number, what: string): void {
  if (!(Math.abs(got - want) <= rtol * Math.abs(want))) throw new Error(`${what}: got ${got}, expected ${want} (rtol ${rtol})`);
}

describe('losses vs float64 references', () => {
  useDevice();
  // float32 elementwise rounding (~6e-8) plus float32 accumulation over at most ~1e3 terms.
  const RTOL = 5e-6;

  it('mse, l1 and huber (several deltas) on a [7, 13, 3] batch and a transposed view', async () => {
    const g = rng();
    const shape = [7, 13, 3];
    const n = 7 * 13 * 3;
    const p = randomFloats(g, n, -3, 3);
    const t = randomFloats(g, n, -3, 3);
    const r = f64(p).map((x, i) => x - t[i]!);
    const P = tl.tensor(p, { shape });
    // The same values through a permuted view: losses must not depend on layout.
    const T = tl.tensor(t, { shape }).permute([2, 1, 0]).contiguous().permute([2, 1, 0]);
    near(await value(nn.mse(P, T)), mean(r.map((x) => x * x)), RTOL, `seed ${g.seed}: mse`);
    near(await value(nn.l1(P, T)), mean(r.map(Math.abs)), RTOL, `seed ${g.seed}: l1`);
    for (const delta of [0.3, 1, 2.5]) {
      const want = mean(r.map((x) => (Math.abs(x) <= delta ? 0.5 * x * x : delta * (Math.abs(x) - 0.5 * delta))));
      near(await value(nn.huber(P, T, delta)), want, RTOL, `seed ${g.seed}: huber delta ${delta}`);
    }
    expect(await value(nn.huber(P, P))).toBe(0);
  });

  it('relativeL2 is the per-sample relative error averaged over dim 0', async () => {
    const g = rng();
    for (const shape of [[5, 4, 9], [3, 65], [6]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const per = n / shape[0]!;
      const p = randomFloats(g, n);
      const t = randomFloats(g, n, 0.5, 2);
      const want = mean(
        Array.from({ length: shape[0]! }, (_, b) => {
          let num = 0;
          let den = 0;
          for (let k = b * per; k < (b + 1) * per; k++) {
            num += (p[k]! - t[k]!) ** 2;
            den += t[k]! ** 2;
          }
          return Math.sqrt(num / den);
        }),
      );
      near(await value(nn.relativeL2(tl.tensor(p, { shape }), tl.tensor(t, { shape }))), want, RTOL, `seed ${g.seed}: relativeL2 ${shape}`);
    }
  });

  it('weightedMisfit with no, scalar, per-trace and full weights', async () => {
    const g = rng();
    const [nr, nt] = [11, 37];
    const d = randomFloats(g, nr * nt);
    const o = randomFloats(g, nr * nt);
    const wTrace = randomFloats(g, nr, 0, 2);
    const wFull = randomFloats(g, nr * nt, 0, 2);
    const misfit = (w: (i: number) => number): number => 0.5 * f64(d).reduce((s, x, i) => s + (w(i) * (x - o[i]!)) ** 2, 0);
    const D = tl.tensor(d, { shape: [nr, nt] });
    const O = tl.tensor(o, { shape: [nr, nt] });
    near(
      await value(nn.weightedMisfit(D, O)),
      misfit(() => 1),
      RTOL,
      `seed ${g.seed}: unweighted`,
    );
    near(
      await value(nn.weightedMisfit(D, O, 0.5)),
      misfit(() => 0.5),
      RTOL,
      `seed ${g.seed}: scalar weight`,
    );
    near(
      await value(nn.weightedMisfit(D, O, tl.tensor(wTrace, { shape: [nr, 1] }))),
      misfit((i) => wTrace[Math.floor(i / nt)]!),
      RTOL,
      `seed ${g.seed}: per-trace`,
    );
    near(
      await value(nn.weightedMisfit(D, O, tl.tensor(wFull, { shape: [nr, nt] }))),
      misfit((i) => wFull[i]!),
      RTOL,
      `seed ${g.seed}: full`,
    );
  });

  it('are differentiable with tl.grad: gradients match float64 formulas', async () => {
    const g = rng();
    const [B, K] = [4, 33];
    const n = B * K;
    const p = randomFloats(g, n, -2, 2);
    const t = randomFloats(g, n, -2, 2);
    const w = randomFloats(g, K, 0.5, 2);
    const [P, T, Wt] = [tl.tensor(p, { shape: [B, K] }), tl.tensor(t, { shape: [B, K] }), tl.tensor(w, { shape: [K] })];
    const r = f64(p).map((x, i) => x - t[i]!);
    const rowNorm = (v: number[], b: number): number => Math.sqrt(v.slice(b * K, (b + 1) * K).reduce((s, x) => s + x * x, 0));
    const tRow = Array.from({ length: B }, (_, b) => rowNorm(f64(t), b));
    const rRow = Array.from({ length: B }, (_, b) => rowNorm(r, b));
    const cases: [string, (x: tl.Tensor) => tl.Tensor, (i: number) => number][] = [
      ['mse', (x) => nn.mse(x, T), (i) => (2 * r[i]!) / n],
      ['l1', (x) => nn.l1(x, T), (i) => Math.sign(r[i]!) / n],
      ['huber', (x) => nn.huber(x, T, 0.7), (i) => Math.max(-0.7, Math.min(0.7, r[i]!)) / n],
      ['relativeL2', (x) => nn.relativeL2(x, T), (i) => r[i]! / (rRow[Math.floor(i / K)]! * tRow[Math.floor(i / K)]! * B)],
      ['weightedMisfit', (x) => nn.weightedMisfit(x, T, Wt), (i) => w[i % K]! ** 2 * r[i]!],
    ];
    for (const [name, f, want] of cases) {
      const got = await (tl.grad(f)(P) as tl.Tensor).data();
      // Each gradient element is a handful of float32 operations on values of size ~1.
      assertClose(
        got,
        Array.from({ length: n }, (_, i) => want(i)),
        { rtol: 1e-5, atol: 1e-7 },
        `seed ${g.seed}: grad of ${name}`,
      );
    }
  });

  it('does not leak intermediates', async () => {
    const a = tl.ones([4, 5]);
    const b = tl.zeros([4, 5]);
    await tl.sync();
    const live = tl.memory().buffersLive;
    for (const f of [nn.mse, nn.l1, nn.huber, nn.relativeL2, nn.weightedMisfit]) await value(f(a, b));
    // Other tests' dropped tensors may be garbage-collected meanwhile, which only lowers the count.
    expect(tl.memory().buffersLive).toBeLessThanOrEqual(live);
  });
});

describe('loss errors', () => {
  useDevice();

  it('name the arguments and shapes', () => {
    const a = tl.zeros([2, 3]);
    expect(() => nn.mse(a, tl.zeros([3, 2]))).toThrow(
      /mse\(pred, target\): target: expected a tensor of shape \[2, 3\] \(as pred; losses do not broadcast\), got a float32 tensor of shape \[3, 2\]/,
    );
    expect(() => nn.l1(a, tl.zeros([3]))).toThrow(
      /l1\(pred, target\): target: expected a tensor of shape \[2, 3\] \(as pred; losses do not broadcast\), got a float32 tensor of shape \[3\]/,
    );
    expect(() => nn.huber(a, a, 0)).toThrow(/huber\(pred, target, delta\): delta: expected a number > 0, got 0/);
    expect(() => nn.huber(a, [1] as never)).toThrow(/huber\(pred, target, delta\): target: expected a Tensor, got an array of length 1/);
    expect(() => nn.relativeL2(tl.zeros([]), tl.zeros([]))).toThrow(
      /relativeL2\(pred, target\): pred: expected a tensor of rank >= 1 \(dim 0 is the batch\), got a float32 tensor of shape \[\]/,
    );
    expect(() => nn.mse(a, tl.zeros([2, 3], 'int32'))).toThrow(/target: expected a float32 tensor, got an int32 tensor of shape \[2, 3\]/);
    expect(() => nn.weightedMisfit(a, a, tl.ones([3, 1]))).toThrow(
      /weights: expected a tensor that broadcasts to d's shape \[2, 3\], got a float32 tensor of shape \[3, 1\]/,
    );
    expect(() => nn.weightedMisfit(a, a, tl.ones([1, 2, 3]))).toThrow(
      /weights: expected a tensor that broadcasts to d's shape \[2, 3\], got a float32 tensor of shape \[1, 2, 3\]/,
    );
    expect(() => nn.weightedMisfit(a, tl.zeros([2]))).toThrow(
      /weightedMisfit\(d, dObs, weights\): dObs: expected a tensor of shape \[2, 3\] \(as d; losses do not broadcast\), got a float32 tensor of shape \[2\]/,
    );
  });
});
