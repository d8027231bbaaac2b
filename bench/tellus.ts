// The Tellus side of the benchmarks.
import * as tl from '../src/index.js';
import type { Case } from './harness.js';

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
    'matmul 512x512': async (state) => {
      state.a ??= tl.rand([512, 512], { seed: 0 });
      state.b ??= tl.rand([512, 512], { seed: 1 });
      const c = tl.matmul(state.a, state.b);
      await c.data();
      c.dispose();
    },
  };
}
