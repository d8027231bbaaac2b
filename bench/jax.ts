// The @jax-js/jax side of the benchmarks, on WebGPU. jax-js arrays follow move semantics: every
// op consumes its arguments, so reused arrays are passed as `.ref`.
import type { Case } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
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
    'matmul 512x512': async (state) => {
      state.a ??= jax.random.uniform(jax.random.key(0), [512, 512]);
      state.b ??= jax.random.uniform(jax.random.key(1), [512, 512]);
      const c = np.matmul(state.a.ref, state.b.ref);
      await c.data();
    },
  };
}
