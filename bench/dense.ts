// Dense training throughput (issue 23): the PINN step of a wave-equation residual, the NF-Inv
// coordinate network's step, and the matmul shapes they are made of, in Tellus and @jax-js/jax on
// the same adapter. The PINN step: MLP 2 -> 100 -> 100 -> 100 -> 1 (tanh), 2,540 collocation
// points, u_xx and u_tt of the network, loss mean((u_tt - 4 u_xx)^2), its gradient in the weights
// and an Adam step. NF-Inv: 2 -> 128 -> 256 x 4 -> 128 -> 1 (LeakyReLU 0.2), 9,000 points,
// forward + weight gradient of an MSE + Adam.
import * as tl from '../src/index.js';
import { dalembert } from '../examples/pinn-wave/dalembert.js';
import type { Case, Row } from './harness.js';
import { jaxAdamUpdate } from './jax.js';

type Jax = any;

const PINN = { points: 2540, sizes: [2, 100, 100, 100, 1] };
const NF = { points: 9000, sizes: [2, 128, 256, 256, 256, 256, 128, 1] };

export const DENSE_CASES = {
  pinn: 'PINN step, 2-100x3-1 tanh, 2540 points',
  pinnNested: 'PINN step, 2-100x3-1 tanh, 2540 points, nested grad',
  nf: 'NF-Inv step, 2-128-256x4-128-1, 9000 points',
} as const;

/** matmul shapes [N, K] x [K, M]: the layers of both networks and their gradients' products. */
export const MATMUL_SHAPES: [number, number, number][] = [
  [2540, 2, 100],
  [2540, 100, 100],
  [2540, 100, 1],
  [9000, 2, 128],
  [9000, 128, 256],
  [9000, 256, 256],
  [9000, 256, 1],
  [65536, 2, 64],
  [65536, 64, 64],
  [65536, 64, 1],
];
export const matmulCase = ([n, k, m]: [number, number, number]): string => `matmul [${n},${k}]x[${k},${m}]`;

/** FLOPs per case, for GFLOP/s against calibrate()'s peak. */
export const DENSE_FLOPS: Record<string, number> = Object.fromEntries(MATMUL_SHAPES.map((s) => [matmulCase(s), 2 * s[0] * s[1] * s[2]]));
/**
 * Bytes each matmul must move at least (A and B read once, C written once), so "of roofline" is
 * the larger of the compute and the bandwidth shares: thin-K and M = 1 products are bound by
 * bandwidth, at (FLOPs / bytes) x copy GB/s, far below the compute peak.
 */
export const DENSE_BYTES: Record<string, number> = Object.fromEntries(
  MATMUL_SHAPES.map(([n, k, m]) => [matmulCase([n, k, m]), 4 * (n * k + k * m + n * m)]),
);

/** Deterministic values in [lo, hi), the same in every library. */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => lo + ((hi - lo) * (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)) / 2 ** 32);
}

/** Xavier-uniform weights and zero biases, as host arrays shared by both libraries. */
function weights(sizes: number[], seed: number): { W: Float32Array; b: Float32Array; nin: number; nout: number }[] {
  return sizes.slice(1).map((nout, k) => {
    const nin = sizes[k]!;
    const lim = Math.sqrt(6 / (nin + nout));
    return { W: values(nin * nout, seed + k, -lim, lim), b: new Float32Array(nout), nin, nout };
  });
}

const directions = (P: number): [Float32Array, Float32Array] => [
  Float32Array.from({ length: P * 2 }, (_, i) => (i % 2 === 0 ? 1 : 0)),
  Float32Array.from({ length: P * 2 }, (_, i) => (i % 2 === 1 ? 1 : 0)),
];

type Mlp = { W: tl.Tensor; b: tl.Tensor }[];

function tlMlp(sizes: number[], seed: number): Mlp {
  return weights(sizes, seed).map((L) => ({ W: tl.tensor(L.W, { shape: [L.nin, L.nout] }), b: tl.tensor(L.b) }));
}

function tlNet(p: Mlp, x: tl.Tensor, act: (z: tl.Tensor) => tl.Tensor): tl.Tensor {
  return p.reduce((h, L, k) => {
    const z = tl.add(tl.matmul(h, L.W), L.b);
    return k === p.length - 1 ? z : act(z);
  }, x);
}

async function tlStep(state: Record<string, any>, loss: (p: Mlp) => tl.Tensor): Promise<void> {
  state.step ??= tl.valueAndGrad(loss);
  state.opt ??= new tl.Adam({ lr: 1e-3 });
  const [value, grads] = state.step(state.params) as [tl.Tensor, Mlp];
  state.opt.step(state.params, grads);
  await value.data();
  for (const t of [value, ...tl.tree.leaves(grads)]) t.dispose();
}

export function tellusDenseCases(): Record<string, Case> {
  const cases: Record<string, Case> = {
    [DENSE_CASES.pinn]: async (state) => {
      state.params ??= tlMlp(PINN.sizes, 1);
      state.x ??= tl.tensor(values(PINN.points * 2, 2), { shape: [PINN.points, 2] });
      await tlStep(state, (p) => {
        const d = tl.derivatives((y) => tlNet(p, y, tl.tanh), state.x, { second: [0, 1] });
        return tl.mean(tl.square(tl.sub(d.second[1]!, tl.mul(d.second[0]!, 4))));
      });
    },
    [DENSE_CASES.pinnNested]: async (state) => {
      state.params ??= tlMlp(PINN.sizes, 1);
      state.x ??= tl.tensor(values(PINN.points * 2, 2), { shape: [PINN.points, 2] });
      if (!state.e) {
        const [ex, et] = directions(PINN.points);
        state.e = [tl.tensor(ex, { shape: [PINN.points, 2] }), tl.tensor(et, { shape: [PINN.points, 2] })];
      }
      await tlStep(state, (p) => {
        const du = tl.grad((y: tl.Tensor) => tl.sum(tlNet(p, y, tl.tanh)));
        const d2 = (e: tl.Tensor) => tl.sum(tl.mul(tl.grad((y: tl.Tensor) => tl.sum(tl.mul(du(y), e)))(state.x) as tl.Tensor, e), 1);
        return tl.mean(tl.square(tl.sub(d2(state.e[1]), tl.mul(d2(state.e[0]), 4))));
      });
    },
    [DENSE_CASES.nf]: async (state) => {
      state.params ??= tlMlp(NF.sizes, 3);
      state.x ??= tl.tensor(values(NF.points * 2, 4), { shape: [NF.points, 2] });
      state.y ??= tl.tensor(values(NF.points, 5), { shape: [NF.points, 1] });
      await tlStep(state, (p) =>
        tl.mse(
          tlNet(p, state.x, (z) => tl.leakyRelu(z, 0.2)),
          state.y,
        ),
      );
    },
  };
  for (const s of MATMUL_SHAPES) {
    cases[matmulCase(s)] = async (state) => {
      state.a ??= tl.tensor(values(s[0] * s[1], 6), { shape: [s[0], s[1]] });
      state.b ??= tl.tensor(values(s[1] * s[2], 7), { shape: [s[1], s[2]] });
      const c = tl.matmul(state.a, state.b);
      await c.data();
      c.dispose();
    };
  }
  return cases;
}

/** The same cases in jax-js (move semantics: arrays used again are passed as `.ref`). */
export function jaxDenseCases(jax: Jax): Record<string, Case> {
  const np = jax.numpy;
  const init = (sizes: number[], seed: number) => {
    const p: Record<string, Jax> = {};
    weights(sizes, seed).forEach((L, k) => {
      p[`W${k}`] = np.array(L.W).reshape([L.nin, L.nout]);
      p[`b${k}`] = np.array(L.b);
    });
    return p;
  };
  const net = (p: Record<string, Jax>, x: Jax, layers: number, act: (z: Jax) => Jax): Jax => {
    let h = x;
    for (let k = 0; k < layers; k++) {
      const z = np.matmul(h, p[`W${k}`].ref).add(p[`b${k}`].ref);
      h = k === layers - 1 ? z : act(z);
    }
    for (const v of Object.values(p)) v.dispose();
    return h;
  };
  // Adam written in jax-js ops, as in bench/jax.ts.
  const adam = async (state: Record<string, any>, loss: (p: Record<string, Jax>) => Jax): Promise<void> => {
    if (!state.m) {
      state.m = {};
      state.v = {};
      for (const key of Object.keys(state.p)) {
        state.m[key] = np.zeros(state.p[key].shape);
        state.v[key] = np.zeros(state.p[key].shape);
      }
      state.t = 0;
      state.vg = jax.valueAndGrad(loss);
    }
    const [value, grads] = state.vg(jax.tree.ref(state.p));
    jaxAdamUpdate(jax, state, grads);
    await jax.blockUntilReady(state.p);
    await value.data();
  };
  const pinn = async (state: Record<string, any>): Promise<void> => {
    if (!state.p) {
      state.p = init(PINN.sizes, 1);
      state.x = np.array(values(PINN.points * 2, 2)).reshape([PINN.points, 2]);
      const [ex, et] = directions(PINN.points);
      state.ex = np.array(ex).reshape([PINN.points, 2]);
      state.et = np.array(et).reshape([PINN.points, 2]);
    }
    const layers = PINN.sizes.length - 1;
    await adam(state, (p: Record<string, Jax>) => {
      const du = (q: Record<string, Jax>, y: Jax) => jax.grad((z: Jax) => net(q, z, layers, np.tanh).sum())(y);
      const d2 = (q: Record<string, Jax>, e: Jax) =>
        jax
          .grad((y: Jax) => du(q, y).mul(e.ref).sum())(state.x.ref)
          .mul(e)
          .sum(1);
      const uxx = d2(jax.tree.ref(p), state.ex.ref);
      const utt = d2(p, state.et.ref);
      return np.square(utt.sub(uxx.mul(4))).mean();
    });
  };
  const cases: Record<string, Case> = {
    [DENSE_CASES.pinnNested]: pinn,
    [DENSE_CASES.nf]: async (state) => {
      if (!state.p) {
        state.p = init(NF.sizes, 3);
        state.x = np.array(values(NF.points * 2, 4)).reshape([NF.points, 2]);
        state.y = np.array(values(NF.points, 5)).reshape([NF.points, 1]);
      }
      const layers = NF.sizes.length - 1;
      await adam(state, (p: Record<string, Jax>) =>
        np.square(net(p, state.x.ref, layers, (z: Jax) => jax.nn.leakyRelu(z, 0.2)).sub(state.y.ref)).mean(),
      );
    },
  };
  for (const s of MATMUL_SHAPES) {
    cases[matmulCase(s)] = async (state) => {
      state.a ??= np.array(values(s[0] * s[1], 6)).reshape([s[0], s[1]]);
      state.b ??= np.array(values(s[1] * s[2], 7)).reshape([s[1], s[2]]);
      await np.matmul(state.a.ref, state.b.ref).data();
    };
  }
  return cases;
}

export const DALEMBERT_CASE = "PINN d'Alembert to relative L2 1e-2 (time to accuracy)";

/**
 * Time to accuracy (issue 23): examples/pinn-wave part e, DeepXDE's d'Alembert problem, trained
 * until the relative L2 on its 101 x 101 grid is <= 1e-2. One run (seconds, not a median); the
 * note gives the steps and DeepXDE's time on this CPU for the same accuracy.
 */
export async function dalembertRow(): Promise<Row> {
  const r = await dalembert({}, () => {});
  const ms = 1000 * (r.reached?.seconds ?? r.seconds);
  const note = r.reached
    ? `${r.reached.step} Adam steps to ${r.reached.relL2.toExponential(1)}; DeepXDE ~200 s (1,600 steps): ${(200 / (ms / 1000)).toFixed(1)}x`
    : `not reached: ${r.relL2.toExponential(2)} after ${r.seconds.toFixed(0)} s`;
  return { benchmark: DALEMBERT_CASE, library: 'tellus', timing: { medianMs: ms, minMs: ms, maxMs: ms, runs: 1 }, note };
}
