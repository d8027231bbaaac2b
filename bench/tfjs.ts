// The TensorFlow.js side of the benchmarks: @tensorflow/tfjs-core with @tensorflow/tfjs-backend-webgpu,
// the same case names as bench/tellus.ts and bench/jax.ts.
import type * as tfCore from '@tensorflow/tfjs-core';
import type { Case } from './harness.js';

type Tf = typeof tfCore;
type Tensor = tfCore.Tensor;

/**
 * Loads tfjs-core, its gradient registrations and the WebGPU backend, and selects that backend.
 * The backend takes its adapter from `navigator.gpu` (in Node, the Dawn instance bench/run.ts
 * installs, the one Tellus and jax-js use too) and opens its own device on it.
 */
export async function loadTfjs(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs-core');
  // Without these, tf.grad and the optimizers fail with "gradient function not found".
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new Error('tfjs-backend-webgpu did not register (navigator.gpu missing)');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its WebGPU backend');
  await tf.ready();
  // By default tfjs runs ops on inputs under 1,000 elements on the CPU; the benchmarks measure GPU work.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return tf;
}

export function tfjsCases(tf: Tf): Record<string, Case> {
  /** Reads `y` back, then frees it. */
  const read = async (y: Tensor): Promise<ArrayLike<number>> => {
    const v = await y.data();
    y.dispose();
    return v;
  };
  return {
    'elementwise x1000 (1024 floats)': async () => {
      const y = tf.tidy(() => {
        let x: Tensor = tf.ones([1024]);
        for (let i = 0; i < 1000; i++) x = i % 2 === 0 ? tf.add(x, 1) : tf.mul(x, 0.5);
        return x;
      });
      await read(y);
    },
    'grad of sum(tanh(x @ W)), 512x512': async (state) => {
      state.x ??= tf.randomUniform([512, 512], 0, 1, 'float32', 2);
      state.W ??= tf.randomUniform([512, 512], -0.05, 0.05, 'float32', 3);
      state.f ??= tf.grad((w: Tensor) => tf.sum(tf.tanh(tf.matMul(state.x, w))));
      await read(tf.tidy(() => state.f(state.W)));
    },
    'Adam step, MLP 32-128-128-1, batch 256': async (state) => {
      // The same network as the Tellus case; tfjs's own Adam (tf.train.adam) does the update.
      if (!state.params) {
        const sizes = [32, 128, 128, 1];
        state.x = tf.randomUniform([256, 32], -1, 1, 'float32', 4);
        state.y = tf.randomUniform([256, 1], 0, 1, 'float32', 5);
        state.params = sizes.slice(1).map((n, k) => {
          const lim = Math.sqrt(6 / (sizes[k]! + n));
          return { W: tf.variable(tf.randomUniform([sizes[k]!, n], -lim, lim, 'float32', 10 + k)), b: tf.variable(tf.zeros([n])) };
        });
        state.opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      }
      const params = state.params as { W: Tensor; b: Tensor }[];
      const loss = state.opt.minimize(() => {
        const out = params.reduce((h: Tensor, L, k) => {
          const z = tf.add(tf.matMul(h, L.W), L.b);
          return k === params.length - 1 ? z : tf.tanh(z);
        }, state.x);
        return tf.mean(tf.square(tf.sub(out, state.y)));
      }, true) as Tensor;
      await read(loss);
    },
    'sum of 4M floats': async (state) => {
      state.x ??= tf.randomUniform([4 * 2 ** 20], 0, 1, 'float32', 6);
      state.result = await read(tf.sum(state.x));
    },
    'row sums of 1024x1024': async (state) => {
      state.x ??= tf.randomUniform([1024, 1024], 0, 1, 'float32', 7);
      state.result = await read(tf.sum(state.x, 1));
    },
    'copy 16 MiB': async (state) => {
      // tf.clone only adds a reference to the same buffer; x * 1 moves the bytes through one kernel.
      state.x ??= tf.randomUniform([4 * 2 ** 20], 0, 1, 'float32', 8);
      state.result = await read(tf.mul(state.x, 1));
    },
    'fused (a - b)^2 / 2, 4M floats': async (state) => {
      state.a ??= tf.randomUniform([4 * 2 ** 20], 0, 1, 'float32', 10);
      state.b ??= tf.randomUniform([4 * 2 ** 20], 0, 1, 'float32', 11);
      state.result = await read(tf.tidy(() => tf.mul(tf.squaredDifference(state.a, state.b), 0.5)));
    },
    'dispatch + read-back of one tiny op': async (state) => {
      state.x ??= tf.randomUniform([4], 0, 1, 'float32', 9);
      await read(tf.add(state.x, 1));
    },
    'matmul 256x256': async (state) => {
      state.a ??= tf.randomUniform([256, 256], 0, 1, 'float32', 0);
      state.b ??= tf.randomUniform([256, 256], 0, 1, 'float32', 1);
      state.result = await read(tf.matMul(state.a, state.b));
    },
    'matmul 512x512': async (state) => {
      state.a ??= tf.randomUniform([512, 512], 0, 1, 'float32', 0);
      state.b ??= tf.randomUniform([512, 512], 0, 1, 'float32', 1);
      state.result = await read(tf.matMul(state.a, state.b));
    },
  };
}
