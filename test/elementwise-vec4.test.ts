// Fused elementwise programs run four elements per invocation when every input is unit-stride from
// a multiple of 4 or a broadcast word, and the length is a multiple of 4 (src/graph/fusion.ts,
// body4) on tensors of at least VEC4_MIN elements. These cases hit that path and each way out of it (a length of 4k+1, an offset of 1, a
// strided view) with a fused chain of float, comparison, where, cast and int32 ops, against float64
// references. Tolerance: 2e-6 relative plus 1e-6 absolute: tanh and exp are a few float32 ulp off.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { context } from '../src/graph/context.js';
import { VEC4_MIN } from '../src/graph/fusion.js';
import { assertClose, randomFloats, randomInts, rng, useDevice } from './helpers.js';

const TOL = { rtol: 2e-6, atol: 1e-6 };

/** How many generated elementwise pipelines use the vec4 store. */
function vec4Pipelines(): number {
  const k = context().kernels.get('elementwise.wgsl', 'run');
  return [...k.pipelines.keys()].filter((key) => key.includes('y4[')).length;
}

// y = where(x > 0.2, tanh(1.3 x + b), exp(-x)) + s, with s a broadcast scalar tensor.
function chain(x: tl.Tensor, b: tl.Tensor, s: tl.Tensor): tl.Tensor {
  return tl.add(tl.where(tl.gt(x, 0.2), tl.tanh(tl.add(tl.mul(x, 1.3), b)), tl.exp(tl.neg(x))), s);
}
const chainRef = (x: number, b: number, s: number): number => (x > 0.2 ? Math.tanh(Math.fround(x * 1.3) + b) : Math.exp(-x)) + s;

describe('fused elementwise programs, four elements per invocation', () => {
  useDevice();

  // VEC4_MIN is 2^14: 16384 takes the vec4 form; 16387 (not a multiple of 4) and 4096 (too short) do not.
  for (const n of [VEC4_MIN, VEC4_MIN + 3, 4096]) {
    it(`a fused float chain with a broadcast scalar, n = ${n}`, async () => {
      const g = rng();
      const xs = randomFloats(g, n, -2, 2);
      const bs = randomFloats(g, n, -1, 1);
      const before = vec4Pipelines();
      const y = tl.tidy(() => chain(tl.tensor(xs), tl.tensor(bs), tl.tensor(new Float32Array([0.75])).reshape([])));
      const got = await y.data();
      y.dispose();
      assertClose(
        got,
        Array.from(xs, (x, i) => chainRef(x, bs[i]!, 0.75)),
        TOL,
        `seed ${g.seed}, n ${n}`,
      );
      // Poisoned output would show as a mismatch above; here the path itself: vec4 only for n % 4 == 0.
      if (n === VEC4_MIN) expect(vec4Pipelines()).toBeGreaterThanOrEqual(Math.max(before, 1));
      else expect(vec4Pipelines()).toBe(before);
    });
  }

  it('views: an offset of 4 takes the vec4 path, an offset of 1 and a stride of 2 do not, all correct', async () => {
    const g = rng();
    const n = VEC4_MIN;
    const xs = randomFloats(g, n + 8, -2, 2);
    const bs = randomFloats(g, 2 * n + 8, -1, 1);
    const cases: [string, number, number, number][] = [
      // name, x offset, b offset, b stride
      ['offset 4', 4, 8, 1],
      ['offset 1', 1, 8, 1],
      ['stride 2', 4, 0, 2],
    ];
    for (const [name, xo, bo, bst] of cases) {
      const y = tl.tidy(() => {
        const x = tl.slice(tl.tensor(xs), [[xo, xo + n]]);
        const b = tl.slice(tl.tensor(bs), [[bo, bo + bst * n, bst]]);
        return chain(x, b, tl.tensor(new Float32Array([-0.5])).reshape([]));
      });
      const got = await y.data();
      y.dispose();
      const want = Array.from({ length: n }, (_, i) => chainRef(xs[xo + i]!, bs[bo + bst * i]!, -0.5));
      assertClose(got, want, TOL, `seed ${g.seed}, ${name}`);
    }
  });

  it('int32 arithmetic and casts are exact on the vec4 path', async () => {
    const g = rng();
    const n = VEC4_MIN;
    const a = randomInts(g, n, -1000, 1000);
    const b = randomInts(g, n, -1000, 1000);
    const y = tl.tidy(() => {
      const ia = tl.tensor(a, { dtype: 'int32' });
      const ib = tl.tensor(b, { dtype: 'int32' });
      return tl.cast(tl.add(tl.mul(ia, 3), tl.sub(ib, 7)), 'float32').mul(0.5);
    });
    const got = await y.data();
    y.dispose();
    const want = Array.from(a, (v, i) => (3 * v + (b[i]! - 7)) * 0.5);
    assertClose(got, want, { rtol: 0, atol: 0 }, `seed ${g.seed}`);
  });
});
