// SpectralConv2d (the FNO Fourier layer): equals a direct circular convolution for a kernel whose
// spectrum lies in the kept modes, matches a float64 reference of the whole layer (DFT, truncation,
// channel mixing, inverse) on random inputs and weights, Taylor tests w.r.t. input and weights,
// resolution invariance on band-limited inputs, initialization and bad shapes.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { assertClose, randomFloats, rng, size, useDevice } from './helpers.js';
import { maxAbs, maxErr } from './numerics.js';

const T = (v: ArrayLike<number>, shape: readonly number[]): tl.Tensor => tl.tensor(Float32Array.from(v), { shape: [...shape] });
const TAU = 2 * Math.PI;
/** e^{sign 2 pi i k n / len} with k n reduced mod len for accuracy. */
const phase = (k: number, n: number, len: number): number => (TAU * ((((k * n) % len) + len) % len)) / len;

interface Dims {
  b: number;
  i: number;
  o: number;
  h: number;
  w: number;
  m1: number;
  m2: number;
}

/** Kept rows of the spectrum in the order weights1 then weights2: 0..m1-1, H-m1..H-1. */
const keptRows = (d: Dims): number[] => [
  ...Array.from({ length: d.m1 }, (_, j) => j),
  ...Array.from({ length: d.m1 }, (_, j) => d.h - d.m1 + j),
];

/** Float64 DFT X[k1, k2] = sum_n x[n] e^{-2 pi i (k1 n1 / H + k2 n2 / W)} of one H x W plane at (k1, k2). */
function dftAt(x: ArrayLike<number>, off: number, h: number, w: number, k1: number, k2: number): [number, number] {
  let re = 0,
    im = 0;
  for (let n1 = 0; n1 < h; n1++)
    for (let n2 = 0; n2 < w; n2++) {
      const v = x[off + n1 * w + n2]!;
      const a = phase(k1, n1, h) + phase(k2, n2, w);
      re += v * Math.cos(a);
      im -= v * Math.sin(a);
    }
  return [re, im];
}

/**
 * Float64 reference of the whole layer: X = DFT(x) at the kept modes, Y[b, o] = sum_i X[b, i] W[i, o],
 * y = Hermitian inverse (1/(H W)) sum_k c_k Re(Y_k e^{+i phase}), c_k = 1 for the zero-frequency
 * column (and the Nyquist column of even W), 2 for the others: numpy's irfft2 of the zero-filled half spectrum.
 */
function refLayer(x: ArrayLike<number>, w1: ArrayLike<number>, w2: ArrayLike<number>, d: Dims): Float64Array {
  const rows = keptRows(d);
  const { b: nb, i: ni, o: no, h, w, m1, m2 } = d;
  const X = new Float64Array(nb * ni * 2 * m1 * m2 * 2);
  for (let b = 0; b < nb; b++)
    for (let i = 0; i < ni; i++)
      rows.forEach((k1, r) => {
        for (let k2 = 0; k2 < m2; k2++) {
          const [re, im] = dftAt(x, (b * ni + i) * h * w, h, w, k1, k2);
          const at = (((b * ni + i) * 2 * m1 + r) * m2 + k2) * 2;
          X[at] = re;
          X[at + 1] = im;
        }
      });
  const y = new Float64Array(nb * no * h * w);
  for (let b = 0; b < nb; b++)
    for (let o = 0; o < no; o++) {
      rows.forEach((k1, r) => {
        const [wt, rr] = r < m1 ? [w1, r] : [w2, r - m1];
        for (let k2 = 0; k2 < m2; k2++) {
          let yr = 0,
            yi = 0;
          for (let i = 0; i < ni; i++) {
            const xa = (((b * ni + i) * 2 * m1 + r) * m2 + k2) * 2;
            const wa = (((i * no + o) * m1 + rr) * m2 + k2) * 2;
            yr += X[xa]! * wt[wa]! - X[xa + 1]! * wt[wa + 1]!;
            yi += X[xa]! * wt[wa + 1]! + X[xa + 1]! * wt[wa]!;
          }
          const c = k2 === 0 || (w % 2 === 0 && k2 === w / 2) ? 1 : 2;
          for (let n1 = 0; n1 < h; n1++)
            for (let n2 = 0; n2 < w; n2++) {
              const a = phase(k1, n1, h) + phase(k2, n2, w);
              y[((b * no + o) * h + n1) * w + n2]! += (c * (yr * Math.cos(a) - yi * Math.sin(a))) / (h * w);
            }
        }
      });
    }
  return y;
}

describe('SpectralConv2d', () => {
  useDevice();

  it('equals a direct float64 circular convolution for a kernel inside the kept modes', async () => {
    const g = rng();
    // Max error relative to max |y|, float32 FFTs: a few 1e-7 measured; asserted 1e-5.
    for (const d of [
      { b: 2, i: 3, o: 2, h: 12, w: 10, m1: 3, m2: 4 },
      { b: 1, i: 2, o: 3, h: 9, w: 7, m1: 4, m2: 3 },
    ] as Dims[]) {
      const { b: nb, i: ni, o: no, h, w, m1, m2 } = d;
      // Kernel per (i, o): a few cosines and sines with |f1| < m1, 0 <= f2 < m2 (real, so its
      // spectrum lives in the kept rows of both signs and the kept columns of the half spectrum).
      const kern = new Float64Array(ni * no * h * w);
      for (let p = 0; p < ni * no; p++)
        for (let t = 0; t < 3; t++) {
          const f1 = Math.floor(g.next() * (2 * m1 - 1)) - (m1 - 1);
          const f2 = Math.floor(g.next() * m2);
          const [a, s] = [g.next() * 2 - 1, g.next() * 2 - 1];
          for (let n1 = 0; n1 < h; n1++)
            for (let n2 = 0; n2 < w; n2++) {
              const ph = phase(f1, n1, h) + phase(f2, n2, w);
              kern[p * h * w + n1 * w + n2]! += a * Math.cos(ph) + s * Math.sin(ph);
            }
        }
      // Weights = the kernel's float64 DFT at the kept modes (rows 0..m1-1 -> weights1, H-m1..H-1 -> weights2).
      const w1 = new Float64Array(ni * no * m1 * m2 * 2);
      const w2 = new Float64Array(ni * no * m1 * m2 * 2);
      keptRows(d).forEach((k1, r) => {
        for (let p = 0; p < ni * no; p++)
          for (let k2 = 0; k2 < m2; k2++) {
            const [re, im] = dftAt(kern, p * h * w, h, w, k1, k2);
            const at = ((p * m1 + (r % m1)) * m2 + k2) * 2;
            const wt = r < m1 ? w1 : w2;
            wt[at] = re;
            wt[at + 1] = im;
          }
      });
      const xv = randomFloats(g, nb * ni * h * w);
      // Direct circular convolution y[b, o, n] = sum_i sum_m x[b, i, m] k[i, o, n - m].
      const want = new Float64Array(nb * no * h * w);
      for (let b = 0; b < nb; b++)
        for (let o = 0; o < no; o++)
          for (let n1 = 0; n1 < h; n1++)
            for (let n2 = 0; n2 < w; n2++) {
              let acc = 0;
              for (let i = 0; i < ni; i++)
                for (let q1 = 0; q1 < h; q1++)
                  for (let q2 = 0; q2 < w; q2++) {
                    acc +=
                      xv[((b * ni + i) * h + q1) * w + q2]! * kern[(i * no + o) * h * w + ((n1 - q1 + h) % h) * w + ((n2 - q2 + w) % w)]!;
                  }
              want[((b * no + o) * h + n1) * w + n2] = acc;
            }
      for (const fused of [true, false]) {
        const layer = new nn.SpectralConv2d(ni, no, m1, m2, { seed: 1, fused });
        const y = layer.call({ weights1: T(w1, [ni, no, m1, m2, 2]), weights2: T(w2, [ni, no, m1, m2, 2]) }, T(xv, [nb, ni, h, w]));
        expect(y.shape).toEqual([nb, no, h, w]);
        const got = await y.data();
        const scale = maxAbs(want);
        const err = maxErr(got, want) / scale;
        console.log(
          `spectral conv (fused ${fused}) vs circular conv ${JSON.stringify(d)}: max rel err ${err.toExponential(2)} (max |y| ${scale.toFixed(2)})`,
        );
        assertClose(got, want, { rtol: 0, atol: 1e-5 * scale }, `circular conv fused ${fused} ${JSON.stringify(d)} (seed ${g.seed})`);
        layer.dispose();
      }
    }
  });

  it('matches a float64 reference of the whole layer on random inputs and weights', async () => {
    const g = rng();
    // Includes odd sizes and the edge cases 2 modes1 = H and modes2 = W/2 + 1 (the Nyquist column).
    for (const d of [
      { b: 2, i: 3, o: 4, h: 12, w: 10, m1: 3, m2: 4 },
      { b: 1, i: 2, o: 2, h: 9, w: 9, m1: 4, m2: 5 },
      { b: 2, i: 2, o: 3, h: 8, w: 8, m1: 4, m2: 5 },
    ] as Dims[]) {
      const ws = [d.i, d.o, d.m1, d.m2, 2];
      const w1 = randomFloats(g, size(ws));
      const w2 = randomFloats(g, size(ws));
      const xv = randomFloats(g, d.b * d.i * d.h * d.w);
      const want = refLayer(xv, w1, w2, d);
      const scale = maxAbs(want);
      for (const fused of [true, false]) {
        const layer = new nn.SpectralConv2d(d.i, d.o, d.m1, d.m2, { fused });
        const got = await layer.call({ weights1: T(w1, ws), weights2: T(w2, ws) }, T(xv, [d.b, d.i, d.h, d.w])).data();
        console.log(
          `spectral layer (fused ${fused}) vs float64 ${JSON.stringify(d)}: max rel err ${(maxErr(got, want) / scale).toExponential(2)}`,
        );
        assertClose(got, want, { rtol: 0, atol: 1e-5 * scale }, `whole layer fused ${fused} ${JSON.stringify(d)} (seed ${g.seed})`);
        layer.dispose();
      }
    }
  });

  for (const fused of [true, false])
    it(`Taylor tests w.r.t. input and both weights (via module.call), fused ${fused}`, async () => {
      const g = rng();
      const d = { b: 2, i: 3, o: 2, h: 10, w: 9, m1: 3, m2: 4 };
      const layer = new nn.SpectralConv2d(d.i, d.o, d.m1, d.m2, { seed: 5, fused });
      const x = T(randomFloats(g, d.b * d.i * d.h * d.w), [d.b, d.i, d.h, d.w]);
      const R = T(randomFloats(g, d.b * d.o * d.h * d.w), [d.b, d.o, d.h, d.w]);
      // Quadratic in each argument, so r1 is the h^2 term exactly and slope1 is 2.
      const loss = (y: tl.Tensor): tl.Tensor => y.square().mul(R).sum();
      // Quadratic, so large steps are exact; small ones sink into float32 round-off (Deno measured
      // r1 flattening at 2e-7 from h = 0.1 / 16 on the small weights), which nn.taylorTest's floor
      // keeps out of slope1. A least-squares fit over all steps flaked here (slope0 0.367 in CI).
      const opts = { h0: 1, steps: 6 };
      const rx = await nn.taylorTest((xx) => loss(layer.forward(xx)), x, opts);
      const rw1 = await nn.taylorTest((w) => loss(layer.call({ weights1: w }, x)), layer.weights1, opts);
      const rw2 = await nn.taylorTest((w) => loss(layer.call({ weights2: w }, x)), layer.weights2, opts);
      for (const [name, r] of [
        ['input', rx],
        ['weights1', rw1],
        ['weights2', rw2],
      ] as const) {
        console.log(`spectral Taylor (fused ${fused}) ${name}: slope0 ${r.slope0.toFixed(3)} slope1 ${r.slope1.toFixed(3)}`);
        const why = `${name} (seed ${g.seed}): ${r.message}`;
        expect(r.passed, why).toBe(true);
        // r1 is the h^2 term exactly: slope 2 up to round-off wherever it clears the floor.
        expect(Math.abs(r.slope1 - 2), why).toBeLessThan(0.2);
        // r0 = |h <g, v> + h^2 c|, first order at the smallest usable steps unless <g, v> nearly vanishes.
        if (Math.abs(r.gv) * r.hs[r.used.at(-1)!]! > 10 * r.floor.at(-1)!) expect(r.slope0, `${why}: slope0`).toBeLessThan(1.5);
      }
      // And a wrong gradient fails: the weights1 gradient with its imaginary parts negated (a
      // conjugation slip).
      const gw = tl.grad((w: tl.Tensor) => loss(layer.call({ weights1: w }, x)))(layer.weights1) as tl.Tensor;
      const conj = tl.mul(
        gw,
        T(
          Array.from({ length: gw.size }, (_, k) => (k % 2 ? -1 : 1)),
          gw.shape,
        ),
      );
      const bad = await nn.taylorTest((w) => loss(layer.call({ weights1: w }, x)), layer.weights1, { ...opts, gradient: conj });
      expect(bad.passed, `conjugated gradient (seed ${g.seed}): ${bad.message}`).toBe(false);
      expect(Math.abs(bad.slope1 - 1), bad.message).toBeLessThan(0.2);
      layer.dispose();
    });

  it('fused and composed paths agree in value, gradient and second-order gradients', async () => {
    const g = rng();
    const d = { b: 2, i: 3, o: 2, h: 8, w: 10, m1: 3, m2: 4 };
    const x = T(randomFloats(g, d.b * d.i * d.h * d.w), [d.b, d.i, d.h, d.w]);
    const R = T(randomFloats(g, d.b * d.o * d.h * d.w), [d.b, d.o, d.h, d.w]);
    const R2 = T(randomFloats(g, x.size), x.shape);
    const results: ArrayLike<number>[][] = [];
    for (const fused of [true, false]) {
      const layer = new nn.SpectralConv2d(d.i, d.o, d.m1, d.m2, { seed: 3, fused });
      const loss = (xx: tl.Tensor, w1: tl.Tensor): tl.Tensor => layer.call({ weights1: w1 }, xx).square().mul(R).sum();
      const gx = (xx: tl.Tensor, w1: tl.Tensor): tl.Tensor => tl.grad((z: tl.Tensor) => loss(z, w1))(xx) as tl.Tensor;
      // phi = <grad_x loss, R2>: its gradients need the VJPs of the VJPs.
      const phi = (xx: tl.Tensor, w1: tl.Tensor): tl.Tensor => gx(xx, w1).mul(R2).sum();
      const w1 = layer.weights1;
      results.push(
        await Promise.all([
          layer.forward(x).data(),
          gx(x, w1).data(),
          (tl.grad((w: tl.Tensor) => loss(x, w))(w1) as tl.Tensor).data(),
          (tl.grad((z: tl.Tensor) => phi(z, w1))(x) as tl.Tensor).data(),
          (tl.grad((w: tl.Tensor) => phi(x, w))(w1) as tl.Tensor).data(),
        ]),
      );
      layer.dispose();
    }
    ['value', 'grad x', 'grad weights1', 'grad_x <grad_x, R2>', 'grad_w1 <grad_x, R2>'].forEach((name, k) => {
      const [a, b] = [results[0]![k]!, results[1]![k]!];
      const scale = maxAbs(b);
      console.log(`spectral fused vs composed, ${name}: max rel err ${(maxErr(a, b) / scale).toExponential(2)}`);
      assertClose(a, b, { rtol: 0, atol: 1e-5 * scale }, `fused vs composed ${name} (seed ${g.seed})`);
    });
  });

  it('is resolution invariant: a band-limited input at H x W and 2H x 2W gives the same function', async () => {
    const g = rng();
    const d = { b: 2, i: 2, o: 3, h: 12, w: 10, m1: 3, m2: 3 };
    const layer = new nn.SpectralConv2d(d.i, d.o, d.m1, d.m2, { seed: 7 });
    // u_i(s1, s2) on the unit torus: modes below the 1x Nyquist (|f1| < H/2, f2 < W/2), some of
    // them beyond the kept modes, so the truncation is exercised at both resolutions.
    const terms = Array.from({ length: d.b * d.i * 6 }, () => ({
      f1: Math.floor(g.next() * (d.h - 1)) - (d.h / 2 - 1),
      f2: Math.floor(g.next() * (d.w / 2)),
      a: g.next() * 2 - 1,
      s: g.next() * 2 - 1,
    }));
    const sample = (h: number, w: number): tl.Tensor => {
      const v = new Float64Array(d.b * d.i * h * w);
      for (let p = 0; p < d.b * d.i; p++)
        for (const t of terms.slice(p * 6, p * 6 + 6)) {
          for (let n1 = 0; n1 < h; n1++)
            for (let n2 = 0; n2 < w; n2++) {
              const ph = phase(t.f1, n1, h) + phase(t.f2, n2, w);
              v[p * h * w + n1 * w + n2]! += t.a * Math.cos(ph) + t.s * Math.sin(ph);
            }
        }
      return T(v, [d.b, d.i, h, w]);
    };
    const y1 = await layer.forward(sample(d.h, d.w)).data();
    const y2 = tl.slice(layer.forward(sample(2 * d.h, 2 * d.w)), [null, null, [0, 2 * d.h, 2], [0, 2 * d.w, 2]]);
    expect(y2.shape).toEqual([d.b, d.o, d.h, d.w]);
    const got = await y2.data();
    const scale = maxAbs(y1);
    console.log(`spectral resolution 2x vs 1x: max rel err ${(maxErr(got, y1) / scale).toExponential(2)}`);
    assertClose(got, y1, { rtol: 0, atol: 1e-5 * scale }, `2x subsampled vs 1x (seed ${g.seed})`);
    layer.dispose();
  });

  it('initialization: 1/(in out) U[0, 1) in real and imaginary parts, seeded', async () => {
    const layer = new nn.SpectralConv2d(4, 5, 3, 2, { seed: 9 });
    expect(Object.keys(layer.parameters())).toEqual(['weights1', 'weights2']);
    expect(layer.weights1.shape).toEqual([4, 5, 3, 2, 2]);
    expect(layer.numParameters()).toBe(2 * 4 * 5 * 3 * 2 * 2);
    const v1 = await layer.weights1.data();
    const v2 = await layer.weights2.data();
    expect(Math.min(...v1, ...v2)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v1, ...v2)).toBeLessThan(1 / 20);
    const mean = [...v1, ...v2].reduce((s, t) => s + t, 0) / (2 * v1.length);
    expect(Math.abs(mean - 1 / 40)).toBeLessThan(0.15 / 40);
    expect(v1).not.toEqual(v2);
    expect(await new nn.SpectralConv2d(4, 5, 3, 2, { seed: 9 }).weights1.data()).toEqual(v1);
    layer.dispose();
  });

  it('bad shapes give clear errors', () => {
    const layer = new nn.SpectralConv2d(2, 3, 4, 3);
    expect(() => layer.forward(tl.ones([1, 3, 8, 8]))).toThrow(
      /forward\(x\): x: expected a real tensor \[batch, 2, H, W\], got a float32 tensor of shape \[1, 3, 8, 8\]/,
    );
    expect(() => layer.forward(tl.ones([2, 8, 8]))).toThrow(
      /x: expected a real tensor \[batch, 2, H, W\], got a float32 tensor of shape \[2, 8, 8\]/,
    );
    expect(() => layer.forward(tl.ones([1, 2, 7, 8]))).toThrow(/modes1 = 4 needs H >= 8/);
    expect(() => layer.forward(tl.ones([1, 2, 8, 3]))).toThrow(/modes2 = 3 exceeds the 2 columns of the half spectrum of W = 3/);
    expect(() => new nn.SpectralConv2d(2, 3, 0, 3)).toThrow(/modes1.*integer >= 1/);
    expect(() => layer.call({ weights1: tl.ones([2, 3, 4, 3]) }, tl.ones([1, 2, 8, 8]))).toThrow(
      /params\['weights1'\]: expected a tensor of shape \[2, 3, 4, 3, 2\] \(as the module's parameter\), got a float32 tensor of shape \[2, 3, 4, 3\]/,
    );
    layer.dispose();
  });
});
