// Pooling and bilinear upsampling (src/nn/pool.ts) against float64 references written here, and
// their gradients by Taylor tests. Tolerances: max pooling is exact (a selection); the average of
// k^2 float32 values and the two-matmul upsampling are within 1e-6 of the largest value (a few ulp).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';
import { expectScaled } from './numerics.js';

type Shape = [number, number, number, number];
const at = (s: Shape, n: number, c: number, y: number, x: number) => ((n * s[1] + c) * s[2] + y) * s[3] + x;

/** Non-overlapping k x k windows, floor mode, as PyTorch's avg_pool2d / max_pool2d. */
function poolRef(v: Float32Array, s: Shape, k: number, op: 'avg' | 'max'): Float64Array {
  const [ho, wo] = [Math.floor(s[2] / k), Math.floor(s[3] / k)];
  const out = new Float64Array(s[0] * s[1] * ho * wo);
  let i = 0;
  for (let n = 0; n < s[0]; n++)
    for (let c = 0; c < s[1]; c++)
      for (let y = 0; y < ho; y++)
        for (let x = 0; x < wo; x++) {
          let acc = op === 'max' ? -Infinity : 0;
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const u = v[at(s, n, c, y * k + dy, x * k + dx)]!;
              acc = op === 'max' ? Math.max(acc, u) : acc + u / (k * k);
            }
          out[i++] = acc;
        }
  return out;
}

/** Bilinear upsampling by `scale`, align_corners = false, pixel by pixel. */
function upsampleRef(v: Float32Array, s: Shape, scale: number): Float64Array {
  const [H, W] = [s[2], s[3]];
  const out = new Float64Array(s[0] * s[1] * H * scale * W * scale);
  const src = (i: number, n: number): [number, number, number] => {
    const p = Math.min(Math.max((i + 0.5) / scale - 0.5, 0), n - 1);
    const i0 = Math.floor(p);
    return [i0, Math.min(i0 + 1, n - 1), p - i0];
  };
  let i = 0;
  for (let n = 0; n < s[0]; n++)
    for (let c = 0; c < s[1]; c++)
      for (let y = 0; y < H * scale; y++)
        for (let x = 0; x < W * scale; x++) {
          const [y0, y1, fy] = src(y, H);
          const [x0, x1, fx] = src(x, W);
          const g = (yy: number, xx: number) => v[at(s, n, c, yy, xx)]!;
          out[i++] = (1 - fy) * ((1 - fx) * g(y0, x0) + fx * g(y0, x1)) + fy * ((1 - fx) * g(y1, x0) + fx * g(y1, x1));
        }
  return out;
}

describe('pooling and upsampling', () => {
  useDevice();
  const s: Shape = [2, 3, 7, 9];

  for (const k of [2, 3]) {
    it(`avgPool2d and maxPool2d with k = ${k} (7 x 9: the remainder is dropped) match float64`, async () => {
      const g = rng();
      const v = randomFloats(
        g,
        s.reduce((a, b) => a * b),
        -2,
        2,
      );
      const x = tl.tensor(v, { shape: s });
      const [avg, mx] = [tl.avgPool2d(x, k), tl.maxPool2d(x, k)];
      expect(avg.shape).toEqual([2, 3, Math.floor(7 / k), Math.floor(9 / k)]);
      expectScaled(await avg.data(), poolRef(v, s, k, 'avg'), 1e-6, `seed ${g.seed}: avgPool2d k ${k}`);
      expect(Array.from(await mx.data())).toEqual(Array.from(poolRef(v, s, k, 'max')));
      for (const t of [x, avg, mx]) t.dispose();
    });
  }

  for (const scale of [2, 3]) {
    it(`upsampleBilinear2d by ${scale} matches float64 (align_corners = false)`, async () => {
      const g = rng();
      const v = randomFloats(
        g,
        s.reduce((a, b) => a * b),
        -2,
        2,
      );
      const x = tl.tensor(v, { shape: s });
      const y = tl.upsampleBilinear2d(x, { scale });
      expect(y.shape).toEqual([2, 3, 7 * scale, 9 * scale]);
      expectScaled(await y.data(), upsampleRef(v, s, scale), 1e-6, `seed ${g.seed}: upsample x${scale}`);
      for (const t of [x, y]) t.dispose();
    });
  }

  const fns: [string, (x: tl.Tensor) => tl.Tensor][] = [
    ['avgPool2d', (x) => tl.avgPool2d(x, 2)],
    ['maxPool2d', (x) => tl.maxPool2d(x, 3)],
    ['upsampleBilinear2d', (x) => tl.upsampleBilinear2d(x, { scale: 2 })],
  ];
  for (const [name, op] of fns) {
    it(`${name}: Taylor test of sum(sin(op(x)) * c) (slope 2)`, async () => {
      const g = rng();
      const x = tl.tensor(
        randomFloats(
          g,
          s.reduce((a, b) => a * b),
          -2,
          2,
        ),
        { shape: s },
      );
      const shape = op(x).shape;
      const c = tl.tensor(
        randomFloats(
          g,
          shape.reduce((a, b) => a * b),
          -1,
          1,
        ),
        { shape },
      );
      const f = (m: tl.Tensor): tl.Tensor => tl.sum(tl.mul(tl.sin(op(m)), c));
      const gradient = tl.grad(f)(x) as tl.Tensor;
      const res = await tl.taylorTest(f, x, { gradient, seed: g.seed });
      expect(res.passed, `seed ${g.seed}: ${name}: ${res.message}`).toBe(true);
      for (const t of [x, c, gradient]) t.dispose();
    });
  }

  it('rejects bad input', () => {
    const x = tl.ones([1, 1, 4, 4]);
    expect(() => tl.avgPool2d(tl.ones([4, 4]), 2)).toThrow(/avgPool2d\(x, kernelSize\): x: expected a tensor \[N, C, H, W\]/);
    expect(() => tl.maxPool2d(x, 0)).toThrow(/kernelSize: expected a positive integer, got 0/);
    expect(() => tl.maxPool2d(x, 5)).toThrow(/kernelSize 5 is larger than the image \(4 x 4\)/);
    expect(() => tl.upsampleBilinear2d(x, { scale: 1.5 })).toThrow(/opts\.scale: expected a positive integer, got 1\.5/);
    expect(() => tl.upsampleBilinear2d(x, { factor: 2 } as never)).toThrow(/unknown option 'factor'/);
    x.dispose();
  });
});
