// The @jax-js/jax side of the benchmarks, on WebGPU. jax-js arrays follow move semantics: every
// op consumes its arguments, so reused arrays are passed as `.ref`.
import type { Case } from './harness.js';

type Jax = any;

export async function loadJax(): Promise<Jax> {
  const jax = await import('@jax-js/jax');
  const devices: string[] = await jax.init();
  if (!devices.includes('webgpu')) throw new Error(`jax-js found no WebGPU device (devices: ${devices.join(', ')})`);
  jax.defaultDevice('webgpu');
  return jax;
}

export function jaxCases(jax: Jax): Record<string, Case> {
  const np = jax.numpy;
  const chain = (x: Jax, n: number): Jax => {
    for (let i = 0; i < n; i++) x = i % 2 === 0 ? x.add(1) : x.mul(0.5);
    return x;
  };
  const chainJit = jax.jit((x: Jax) => chain(x, 1000));
  return {
    'elementwise x1000 (1024 floats)': async () => {
      const y = chain(np.ones([1024]), 1000);
      await y.data();
    },
    'elementwise x1000 (1024 floats), jit-fused': async () => {
      const y = chainJit(np.ones([1024]));
      await y.data();
    },
    'grad of sum(tanh(x @ W)), 512x512': async (state) => {
      state.x ??= jax.random.uniform(jax.random.key(2), [512, 512]);
      state.W ??= jax.random.uniform(jax.random.key(3), [512, 512], { minval: -0.05, maxval: 0.05 });
      state.f ??= jax.grad((w: Jax) => np.tanh(np.matmul(state.x.ref, w)).sum());
      const g = state.f(state.W.ref);
      await g.data();
    },
    'Adam step, MLP 32-128-128-1, batch 256': async (state) => {
      // The same network and update as the Tellus case, with Adam written out in jax-js ops
      // (jax-js has no optimizer package on npm).
      if (!state.p) {
        const sizes = [32, 128, 128, 1];
        state.x = jax.random.uniform(jax.random.key(4), [256, 32], { minval: -1, maxval: 1 });
        state.y = jax.random.uniform(jax.random.key(5), [256, 1]);
        state.p = {};
        state.m = {};
        state.v = {};
        for (let k = 0; k < 3; k++) {
          const lim = Math.sqrt(6 / (sizes[k]! + sizes[k + 1]!));
          state.p[`W${k}`] = jax.random.uniform(jax.random.key(10 + k), [sizes[k]!, sizes[k + 1]!], { minval: -lim, maxval: lim });
          state.p[`b${k}`] = np.zeros([sizes[k + 1]!]);
        }
        for (const key of Object.keys(state.p)) {
          state.m[key] = np.zeros(state.p[key].shape);
          state.v[key] = np.zeros(state.p[key].shape);
        }
        state.t = 0;
        state.vg = jax.valueAndGrad((p: Jax) => {
          let h = np.tanh(np.matmul(state.x.ref, p.W0).add(p.b0));
          h = np.tanh(np.matmul(h, p.W1).add(p.b1));
          const out = np.matmul(h, p.W2).add(p.b2);
          return np.square(out.sub(state.y.ref)).mean();
        });
      }
      const [loss, grads] = state.vg(jax.tree.ref(state.p));
      jaxAdamUpdate(jax, state, grads);
      await jax.blockUntilReady(state.p);
      await loss.data();
    },
    'sum of 4M floats': async (state) => {
      state.x ??= jax.random.uniform(jax.random.key(6), [4 * 2 ** 20]);
      state.result = await np.sum(state.x.ref).data();
    },
    'row sums of 1024x1024': async (state) => {
      state.x ??= jax.random.uniform(jax.random.key(7), [1024, 1024]);
      state.result = await np.sum(state.x.ref, 1).data();
    },
    'copy 16 MiB': async (state) => {
      // jax-js has no explicit copy; x * 1 moves the same bytes through one kernel.
      state.x ??= jax.random.uniform(jax.random.key(8), [4 * 2 ** 20]);
      state.result = await state.x.ref.mul(1).data();
    },
    'fused (a - b)^2 / 2, 4M floats': async (state) => {
      state.a ??= jax.random.uniform(jax.random.key(10), [4 * 2 ** 20]);
      state.b ??= jax.random.uniform(jax.random.key(11), [4 * 2 ** 20]);
      const d = state.a.ref.sub(state.b.ref);
      state.result = await d.ref.mul(d).mul(0.5).data();
    },
    'dispatch + read-back of one tiny op': async (state) => {
      // A GPU-resident input: jax-js evaluates np.ones([4]).add(1) on the host, with no dispatch.
      state.x ??= jax.random.uniform(jax.random.key(9), [4]);
      await state.x.ref.add(1).data();
    },
    'matmul 256x256': async (state) => {
      state.a ??= jax.random.uniform(jax.random.key(0), [256, 256]);
      state.b ??= jax.random.uniform(jax.random.key(1), [256, 256]);
      state.result = await np.matmul(state.a.ref, state.b.ref).data();
    },
    'matmul 512x512': async (state) => {
      state.a ??= jax.random.uniform(jax.random.key(0), [512, 512]);
      state.b ??= jax.random.uniform(jax.random.key(1), [512, 512]);
      const c = np.matmul(state.a.ref, state.b.ref);
      state.result = await c.data();
    },
  };
}

/**
 * One Adam step (PyTorch's defaults unless given) written in jax-js ops on state.p with moments
 * state.m, state.v and step count state.t: jax-js has no optimizer package on npm.
 */
export function jaxAdamUpdate(
  jax: Jax,
  state: Record<string, any>,
  grads: Record<string, Jax>,
  { lr = 1e-3, beta1: b1 = 0.9, beta2: b2 = 0.999, eps = 1e-8 } = {},
): void {
  const np = jax.numpy;
  state.t += 1;
  const bc1 = 1 - b1 ** state.t;
  const bc2 = 1 - b2 ** state.t;
  for (const key of Object.keys(state.p)) {
    const g = grads[key];
    state.m[key] = state.m[key].mul(b1).add(g.ref.mul(1 - b1));
    state.v[key] = state.v[key].mul(b2).add(g.ref.mul(g).mul(1 - b2));
    const upd = state.m[key].ref.mul(lr / bc1).div(np.sqrt(state.v[key].ref.div(bc2)).add(eps));
    state.p[key] = state.p[key].sub(upd);
  }
}
