// The Tellus side of the benchmarks.
import * as tl from '../src/index.js';
import { Adam, mse } from '../src/nn/index.js';
import type { Case } from './harness.js';

type Mlp = { W: tl.Tensor; b: tl.Tensor }[];

/** tanh MLP with Xavier-uniform weights from the seeded generator. */
function initMlp(sizes: number[], seed: number): Mlp {
  return sizes.slice(1).map((n, k) => {
    const lim = Math.sqrt(6 / (sizes[k]! + n));
    return { W: tl.rand([sizes[k]!, n], { seed: seed + k, low: -lim, high: lim }), b: tl.zeros([n]) };
  });
}

function mlp(params: Mlp, x: tl.Tensor): tl.Tensor {
  return params.reduce((h, L, k) => {
    const z = tl.add(tl.matmul(h, L.W), L.b);
    return k === params.length - 1 ? z : tl.tanh(z);
  }, x);
}

export function tellusCases(): Record<string, Case> {
  return {
    'elementwise x1000 (1024 floats)': async () => {
      const y = tl.tidy(() => {
        let x = tl.ones([1024]);
        for (let i = 0; i < 1000; i++) x = i % 2 === 0 ? x.add(1) : x.mul(0.5);
        return x;
      });
      await y.data();
      y.dispose();
    },
    'grad of sum(tanh(x @ W)), 512x512': async (state) => {
      state.x ??= tl.rand([512, 512], { seed: 2 });
      state.W ??= tl.rand([512, 512], { seed: 3, low: -0.05, high: 0.05 });
      state.f ??= tl.grad((w: tl.Tensor) => tl.sum(tl.tanh(tl.matmul(state.x, w))));
      const g = state.f(state.W) as tl.Tensor;
      await g.data();
      g.dispose();
    },
    'Adam step, MLP 32-128-128-1, batch 256': async (state) => {
      state.x ??= tl.rand([256, 32], { seed: 4, low: -1, high: 1 });
      state.y ??= tl.rand([256, 1], { seed: 5 });
      state.params ??= initMlp([32, 128, 128, 1], 10);
      state.opt ??= new Adam({ lr: 1e-3 });
      state.step ??= tl.valueAndGrad((p: Mlp) => mse(mlp(p, state.x), state.y));
      const [loss, grads] = state.step(state.params) as [tl.Tensor, Mlp];
      state.opt.step(state.params, grads);
      await loss.data();
      loss.dispose();
      for (const g of tl.tree.leaves(grads)) g.dispose();
    },
    'sum of 4M floats': async (state) => {
      state.x ??= tl.rand([4 * 2 ** 20], { seed: 6 });
      const s = tl.sum(state.x);
      state.result = await s.data();
      s.dispose();
    },
    'row sums of 1024x1024': async (state) => {
      state.x ??= tl.rand([1024, 1024], { seed: 7 });
      const s = tl.sum(state.x, 1);
      state.result = await s.data();
      s.dispose();
    },
    'copy 16 MiB': async (state) => {
      state.x ??= tl.rand([4 * 2 ** 20], { seed: 8 });
      const c = tl.clone(state.x);
      state.result = await c.data();
      c.dispose();
    },
    'fused (a - b)^2 / 2, 4M floats': async (state) => {
      state.a ??= tl.rand([4 * 2 ** 20], { seed: 10 });
      state.b ??= tl.rand([4 * 2 ** 20], { seed: 11 });
      // tidy releases the intermediates' handles, so the three ops fuse into one kernel.
      const y = tl.tidy(() => tl.mul(tl.square(tl.sub(state.a, state.b)), 0.5));
      state.result = await y.data();
      y.dispose();
    },
    'dispatch + read-back of one tiny op': async (state) => {
      // The input lives on the GPU already, so the run is one kernel, one submit and one map.
      state.x ??= tl.rand([4], { seed: 9 });
      const y = tl.add(state.x, 1);
      await y.data();
      y.dispose();
    },
    'matmul 256x256': async (state) => {
      state.a ??= tl.rand([256, 256], { seed: 0 });
      state.b ??= tl.rand([256, 256], { seed: 1 });
      const c = tl.matmul(state.a, state.b);
      state.result = await c.data();
      c.dispose();
    },
    'matmul 512x512': async (state) => {
      state.a ??= tl.rand([512, 512], { seed: 0 });
      state.b ??= tl.rand([512, 512], { seed: 1 });
      const c = tl.matmul(state.a, state.b);
      state.result = await c.data();
      c.dispose();
    },
  };
}
