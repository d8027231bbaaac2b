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
    // Central differences in float32: the rounding error of the difference falls as 1/eps (worst
    // relative error measured 3.4e-3, 1.7e-3, 5.5e-4, 3.3e-4, 1.6e-4 at eps 3e-3, 1e-2, 3e-2, 5e-2,
    // 1e-1), the O(eps²) truncation is still below it at 1e-1. eps = 5e-2, tolerance 2e-3.
    const eps = 5e-2;
    let worst = 0;
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
        worst = Math.max(worst, relDiff(got, want));
        expect(relDiff(got, want), `sample ${b}, direction ${j}`).toBeLessThan(2e-3);
      }
    }
    console.log(`network JVP vs central differences: worst relative L2 ${worst.toExponential(2)}`);
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

  it('Adam with the Jacobian term lowers the Jacobian error of a linear target map more than the forward loss alone', async () => {
    // R(m, m0) = K (m - m0), K a fixed local stencil: dR/dm v = K v exactly, computed here in
    // float64. The models differ from their backgrounds only by a constant (m = m0 + a), so the
    // forward loss shows K only on constants and says nothing about its action on the
    // directions V (smooth, zero-mean); the JI term does.
    const g = rng();
    const n = 8;
    const K = (v: Float64Array): Float64Array =>
      v.map((x, k) => {
        const [i, j] = [Math.floor(k / W), k % W];
        return 0.5 * x + 0.3 * v[i * W + ((j + 1) % W)]! - 0.2 * v[((i + 1) % H) * W + j]!;
      });
    const P = new Float64Array(N).fill(1);
    const KP = K(P);
    const a = Array.from(randomFloats(g, n, 0.5, 1.5));
    const m0 = Float32Array.from(randomFloats(g, n * N, 1.5, 3));
    const m = m0.map((x, k) => x + a[Math.floor(k / N)]! * P[k % N]!);
    const target = Float32Array.from({ length: n * N }, (_, k) => a[Math.floor(k / N)]! * KP[k % N]!);
    // Smooth directions (Fourier modes up to 1 per axis, no constant), within the FNO's modes.
    const V = Array.from({ length: R }, () => {
      const c = randomFloats(g, 8);
      return Float64Array.from({ length: N }, (_, k) => {
        const [x, z] = [(2 * Math.PI * (k % W)) / W, (2 * Math.PI * Math.floor(k / W)) / H];
        return (
          c[0]! * Math.cos(x) +
          c[1]! * Math.sin(x) +
          c[2]! * Math.cos(z) +
          c[3]! * Math.sin(z) +
          c[4]! * Math.cos(x + z) +
          c[5]! * Math.sin(x + z) +
          c[6]! * Math.cos(x - z) +
          c[7]! * Math.sin(x - z)
        );
      });
    });
    const KV = V.map(K);
    const actions = Float32Array.from({ length: n * R * N }, (_, k) => KV[Math.floor(k / N) % R]![k % N]!);
    const data: tl.JiFnoData = {
      m: tl.tensor(m, { shape: [n, H, W] }),
      m0: tl.tensor(m0, { shape: [n, H, W] }),
      target: tl.tensor(target, { shape: [n, H, W] }),
      directions: tl.tensor(Float32Array.from(V.flatMap((v) => [...v])), { shape: [R, H, W] }),
      actions: tl.tensor(actions, { shape: [n, R, H, W] }),
    };
    const run = async (
      lambda: number,
      extra: Partial<tl.TrainJiFnoOptions> = {},
    ): Promise<{ first: number[]; last: tl.JiFnoEpoch; hist: tl.JiFnoEpoch[] }> => {
      const f = net(21);
      const errs = tl.jiFnoErrors(f, f.parameters(), data, 4);
      const e0 = await errs.data();
      errs.dispose();
      const live0 = tl.memory().bytesLive; // after a read-back: the data and f's weights
      const hist = await tl.trainJiFno(f, data, { epochs: 15, lr: 3e-2, batchSize: 4, lambda, seed: 3, ...extra });
      expect(tl.memory().bytesLive, 'no tensor outlives training').toBeLessThanOrEqual(live0);
      f.dispose();
      expect(hist.map((h) => h.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(hist.every((h) => Number.isFinite(h.loss) && h.loss > 0)).toBe(true);
      return { first: [...e0], last: hist[hist.length - 1]!, hist };
    };
    const plain = await run(0);
    const ji = await run(10);
    // One random direction per step, errors every 5 epochs: NaN between, and still a Jacobian far better than lambda 0's.
    const sub = await run(10, { directionsPerStep: 1, evalEvery: 5 });
    expect(sub.hist.map((h) => Number.isNaN(h.jacobianError))).toEqual(Array.from({ length: 15 }, (_, i) => (i + 1) % 5 !== 0));
    const f3 = (x: number): string => x.toFixed(3);
    console.log(
      `initial errors (forward, Jacobian) ${plain.first.map(f3).join(', ')}; after 15 epochs: lambda 0 ${f3(plain.last.forwardError)}, ${f3(plain.last.jacobianError)}; lambda 10 ${f3(ji.last.forwardError)}, ${f3(ji.last.jacobianError)}`,
    );
    // Measured (Node): initial 0.877, 1.019; lambda 0 -> 0.160, 1.000; lambda 10 -> 0.189, 0.120.
    // Margins of 2x and more, so Adam's rounding differences across runtimes cannot flip them.
    expect(plain.last.forwardError).toBeLessThan(0.5 * plain.first[0]!);
    expect(ji.last.forwardError).toBeLessThan(0.7 * plain.first[0]!);
    expect(ji.last.jacobianError).toBeLessThan(0.3 * plain.first[1]!);
    expect(ji.last.jacobianError).toBeLessThan(0.3 * plain.last.jacobianError);
    expect(sub.last.jacobianError, `one direction per step: ${f3(sub.last.jacobianError)}`).toBeLessThan(0.5 * plain.last.jacobianError);
  });

  it('bad input: errors name the function, the argument, what was expected and what came', () => {
    const g = rng();
    const f = net(31);
    const p = f.parameters();
    const bt = batch(g);
    const what = 'tellus: jiFnoLoss(net, params, batch, opts)';
    expect(() => tl.jiFnoLoss(f, p, bt, { lambda: -1 })).toThrow(`${what}: opts.lambda: expected a finite number >= 0, got -1`);
    expect(() => tl.jiFnoLoss(f, p, bt, { kind: 'l1' as tl.JiLossKind })).toThrow(`${what}: opts.kind: expected 'rel-l2' or 'mse'`);
    expect(() => tl.jiFnoLoss(f, p, bt, { lamda: 1 } as tl.JiFnoLossOptions)).toThrow(/unknown option 'lamda'/);
    expect(() => tl.jiFnoLoss(f, p, { m: bt.m, m0: bt.m0, target: bt.target })).toThrow(
      `${what}: batch.directions: expected directions and actions (lambda > 0), got undefined`,
    );
    expect(() => tl.jiFnoLoss(f, p, { ...bt, m0: tl.zeros([B, H, W + 1]) })).toThrow(
      `${what}: batch.m0: expected a live float32 tensor [2, 8, 8] (as batch.m)`,
    );
    expect(() => tl.jiFnoLoss(f, p, { ...bt, actions: tl.zeros([B, R + 1, H, W]) })).toThrow(
      `${what}: batch.actions: expected a live float32 tensor [2, 3, 8, 8] (dR/dm along each direction)`,
    );
    expect(() => tl.jiFnoLoss(f, p, { ...bt, directions: tl.zeros([R, H]) })).toThrow(
      `${what}: batch.directions: expected a live float32 tensor [r, 8, 8] with r >= 1`,
    );
    const wide = new tl.FNO2d({ inChannels: 3, outChannels: 1, modes1: 2, modes2: 2, width: 4, layers: 1, projection: 4 });
    expect(() => tl.jiFnoLoss(wide, wide.parameters(), bt)).toThrow(
      `${what}: net: expected an FNO2d with inChannels 2 (m, m0) and outChannels 1`,
    );
    expect(() => tl.jiFnoStep(f, p, {} as tl.ParamOptimizer, bt)).toThrow(
      'tellus: jiFnoStep(net, params, opt, batch, opts): opt: expected an optimizer (Adam, AdamW, SGD)',
    );
    expect(() => tl.networkJvp(f, p, bt.m, bt.m0, tl.zeros([R, H + 1, W]))).toThrow(
      'tellus: networkJvp(net, params, m, m0, directions): directions: expected a live float32 tensor [r, 8, 8] with r >= 1',
    );
    const data = { ...bt, target: bt.target, actions: bt.actions! } as tl.JiFnoData;
    const tw = 'tellus: trainJiFno(net, data, opts)';
    return Promise.all([
      expect(tl.trainJiFno(f, data, { epochs: 0, lr: 1e-3, batchSize: 1 })).rejects.toThrow(
        `${tw}: opts.epochs: expected an integer >= 1, got 0`,
      ),
      expect(tl.trainJiFno(f, data, { epochs: 1, lr: 1e-3, batchSize: 1, directionsPerStep: 9 })).rejects.toThrow(
        `${tw}: opts.directionsPerStep: expected an integer in [1, ${R}], got 9`,
      ),
      expect(tl.trainJiFno(f, data, { epochs: 1, lr: 1e-3, batchSize: 3 })).rejects.toThrow(
        `${tw}: opts.batchSize: expected an integer in [1, 2], got 3`,
      ),
      expect(tl.trainJiFno(f, data, { epochs: 1, lr: -1, batchSize: 1 })).rejects.toThrow(/Adam\(opts\): lr: expected a finite number > 0/),
      expect(tl.trainJiFno(f, data, { epochs: 1, lr: 1e-3, batchSize: 1, epoch: 2 } as tl.TrainJiFnoOptions)).rejects.toThrow(
        /unknown option 'epoch'/,
      ),
    ]);
  });
});
