// JI-FNO training (src/inverse/jifno/train.ts, docs/ji-fno-train.md) at tiny sizes: the network's
// batched JVP against central finite differences of its output; the weight gradient of the JI loss
// (a derivative of a JVP) against finite differences of the loss; the loss's terms against float64
// host sums; Adam on a linear target map whose Jacobian actions are known in closed form.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice, type Gen } from './helpers.js';

useDevice();

const [B, R, H, W] = [2, 3, 8, 8];
const N = H * W;

const net = (seed: number): tl.FNO2d =>
  new tl.FNO2d({ inChannels: 2, outChannels: 1, modes1: 2, modes2: 2, width: 4, layers: 2, projection: 8, seed });
const t32 = (g: Gen, shape: number[], lo = -1, hi = 1): tl.Tensor =>
  tl.tensor(
    randomFloats(
      g,
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
    { shape },
  );
const f64 = async (t: tl.Tensor): Promise<Float64Array> => Float64Array.from((await t.data()) as Float32Array);
const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0)) / norm(b);

/** Mean over rows of ||a - b|| / ||b|| in float64. */
function relRows(a: Float64Array, b: Float64Array, rows: number): number {
  const n = a.length / rows;
  let s = 0;
  for (let i = 0; i < rows; i++) s += relDiff(a.subarray(i * n, (i + 1) * n), b.subarray(i * n, (i + 1) * n));
  return s / rows;
}

function batch(g: Gen): tl.JiFnoBatch {
  return {
    m: t32(g, [B, H, W], 1.5, 3),
    m0: t32(g, [B, H, W], 1.5, 3),
    target: t32(g, [B, H, W]),
    directions: t32(g, [R, H, W]),
    actions: t32(g, [B, R, H, W]),
  };
}

describe('JI-FNO training', () => {
  it('the batched network JVP matches central differences along every direction', async () => {
    const g = rng();
    const f = net(11);
    const p = f.parameters();
    const { m, m0, directions } = batch(g);
    const jv = await f64(tl.networkJvp(f, p, m, m0, directions!));
    // eps = 1e-2 on inputs of size ~2: the float32 rounding of the difference (~1e-7 |y| / eps ~ 1e-5)
    // and the O(eps²) truncation both stay well under the 2e-3 tolerance; measured ~1e-4.
    const eps = 1e-2;
    for (let j = 0; j < R; j++) {
      const fd = await f64(
        tl.tidy(() => {
          const v = tl.reshape(tl.slice(directions!, [[j, j + 1]]), [1, H, W]);
          const y = (s: number): tl.Tensor => tl.jiFnoForward(f, p, tl.add(m, tl.mul(v, s)), m0);
          return tl.div(tl.sub(y(eps), y(-eps)), 2 * eps);
        }),
      );
      for (let b = 0; b < B; b++) {
        const got = jv.subarray((b * R + j) * N, (b * R + j + 1) * N);
        const want = fd.subarray(b * N, (b + 1) * N);
        expect(norm(want)).toBeGreaterThan(1e-3);
        expect(relDiff(got, want), `sample ${b}, direction ${j}`).toBeLessThan(2e-3);
      }
    }
  });

  it('the loss terms match float64 host sums; lambda = 0 is the forward loss; own JVPs give a zero Jacobian term', async () => {
    const g = rng();
    const f = net(12);
    const p = f.parameters();
    const bt = batch(g);
    const pred = await f64(tl.jiFnoForward(f, p, bt.m, bt.m0));
    const jv = await f64(tl.networkJvp(f, p, bt.m, bt.m0, bt.directions!));
    const [y, a] = [await f64(bt.target), await f64(bt.actions!)];
    const mse = (u: Float64Array, v: Float64Array): number => u.reduce((s, x, i) => s + (x - v[i]!) ** 2, 0) / u.length;
    const want = {
      'rel-l2': [relRows(pred, y, B), relRows(jv, a, B * R)],
      mse: [mse(pred, y), mse(jv, a)],
    };
    for (const kind of ['rel-l2', 'mse'] as const) {
      const t = tl.jiFnoTerms(f, p, bt, { kind });
      const [fw, jc] = [await t.forward.item(), await t.jacobian!.item()];
      // float32 sums of 64-512 terms: 1e-5 relative.
      expect(Math.abs(fw - want[kind][0]!) / want[kind][0]!, `${kind} forward`).toBeLessThan(1e-5);
      expect(Math.abs(jc - want[kind][1]!) / want[kind][1]!, `${kind} jacobian`).toBeLessThan(1e-5);
      const l0 = await tl.jiFnoLoss(f, p, bt, { kind, lambda: 0 }).item();
      expect(l0, `${kind} lambda 0`).toBe(fw);
      const l0NoDirs = await tl.jiFnoLoss(f, p, { m: bt.m, m0: bt.m0, target: bt.target }, { kind, lambda: 0 }).item();
      expect(l0NoDirs).toBe(fw);
      const l2 = await tl.jiFnoLoss(f, p, bt, { kind, lambda: 2.5 }).item();
      expect(Math.abs(l2 - (want[kind][0]! + 2.5 * want[kind][1]!)) / l2, `${kind} lambda 2.5`).toBeLessThan(1e-5);
    }
    const own = tl.networkJvp(f, p, bt.m, bt.m0, bt.directions!);
    const zero = tl.jiFnoTerms(f, p, { ...bt, actions: own });
    expect(await zero.jacobian!.item()).toBeLessThan(1e-6);
  });

  it('the weight gradient of the JI loss matches central differences of the loss', async () => {
    const g = rng();
    const f = net(13);
    const p = f.parameters();
    const b0 = batch(g);
    // Actions on the network's own scale (its JVPs scaled elementwise by [0, 1]): random ones of
    // size 1 would leave ||J_nn v - a|| / ||a|| ~ 1 and nearly flat in the weights.
    const bt = { ...b0, actions: tl.mul(tl.networkJvp(f, p, b0.m, b0.m0, b0.directions!), t32(g, [B, R, H, W], 0, 1)) };
    // A random direction in weight space, scaled to each tensor's size.
    const dir: tl.NamedTensors = {};
    for (const [k, t] of Object.entries(p)) dir[k] = t32(g, [...t.shape], -0.1, 0.1);
    const shifted = (s: number): tl.NamedTensors =>
      Object.fromEntries(Object.entries(p).map(([k, t]) => [k, tl.add(t, tl.mul(dir[k]!, s))]));
    for (const [kind, lambda] of [
      ['rel-l2', 1],
      ['mse', 1e4], // the network's JVPs are ~1e-2 here, so the mse Jacobian term needs a large lambda to matter
    ] as const) {
      const opts = { kind, lambda };
      const grads = tl.grad((q: tl.NamedTensors) => tl.jiFnoLoss(f, q, bt, opts))(p) as tl.NamedTensors;
      const jacGrads = tl.grad((q: tl.NamedTensors) => tl.jiFnoTerms(f, q, bt, { kind }).jacobian!)(p) as tl.NamedTensors;
      const dot = async (gs: tl.NamedTensors): Promise<number> =>
        tl.tidy(() => Object.keys(p).reduce((acc, k) => tl.add(acc, tl.sum(tl.mul(gs[k]!, dir[k]!))), tl.zeros([]))).item();
      const [dl, dj] = [await dot(grads), await dot(jacGrads)];
      // eps 1e-2 on a loss of O(1): rounding ~1e-7 / eps ~ 1e-5, truncation O(eps²); tolerance 1e-2.
      const eps = 1e-2;
      const loss = async (s: number): Promise<number> => tl.jiFnoLoss(f, shifted(s), bt, opts).item();
      const jac = async (s: number): Promise<number> => tl.jiFnoTerms(f, shifted(s), bt, { kind }).jacobian!.item();
      const fdl = ((await loss(eps)) - (await loss(-eps))) / (2 * eps);
      const fdj = ((await jac(eps)) - (await jac(-eps))) / (2 * eps);
      console.log(`${kind}: jacobian term ${await jac(0)}, d/ds ${dj} (grad) vs ${fdj} (fd); loss ${dl} vs ${fdl}`);
      // Not flat: the term moves by > 10% of its value per unit step along the direction.
      expect(Math.abs(fdj)).toBeGreaterThan(0.1 * (await jac(0)));
      expect(Math.abs(dj - fdj) / Math.abs(fdj), `${kind} jacobian term: ${dj} vs ${fdj}`).toBeLessThan(1e-2);
      expect(Math.abs(dl - fdl) / Math.abs(fdl), `${kind} loss: ${dl} vs ${fdl}`).toBeLessThan(1e-2);
    }
  });
});
