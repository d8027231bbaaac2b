// Unrolled proximal gradient (src/inverse): the operators' adjoints by dot tests (blur, gradient,
// Born/RTM), CG and Tikhonov-CG against float64 dense solves, gradient descent and the power
// iteration against float64 references, SSIM against a float64 implementation of Wang et al.
// (2004), Taylor tests of the prox network and of the whole unrolled scheme (blur and Born),
// checkpointing (same gradient, lower peak memory), positivity of the learned steps, bad options.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice, type Gen } from './helpers.js';
import { relL2, solveDense } from './numerics.js';

const T = (v: ArrayLike<number>, shape: readonly number[]): tl.Tensor => tl.tensor(Float32Array.from(v), { shape: [...shape] });

/** The 1-D Gaussian weights, float64 (independent of the library's). */
function gauss(sigma: number, r: number): number[] {
  const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** Dense float64 matrix (row-major, n x n) of the zero-padded 'same' blur on h x w images. */
function blurMatrix(h: number, w: number, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const g = gauss(sigma, r);
  const n = h * w;
  const m = new Float64Array(n * n);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let a = -r; a <= r; a++)
        for (let b = -r; b <= r; b++) {
          const [ii, jj] = [i + a, j + b];
          if (ii >= 0 && ii < h && jj >= 0 && jj < w) m[(i * w + j) * n + ii * w + jj] = g[a + r]! * g[b + r]!;
        }
  return m;
}

/** Dense float64 L^T L of forward differences on h x w (the Neumann Laplacian, sign flipped). */
function gradNormalMatrix(h: number, w: number): Float64Array {
  const n = h * w;
  const m = new Float64Array(n * n);
  const edge = (p: number, q: number): void => {
    m[p * n + p]! += 1;
    m[q * n + q]! += 1;
    m[p * n + q]! -= 1;
    m[q * n + p]! -= 1;
  };
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      if (i + 1 < h) edge(i * w + j, (i + 1) * w + j);
      if (j + 1 < w) edge(i * w + j, i * w + j + 1);
    }
  return m;
}

const matvec = (m: Float64Array, x: ArrayLike<number>): Float64Array => {
  const n = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) y[i]! += m[i * n + j]! * x[j]!;
  return y;
};
const transposeMat = (m: Float64Array, n: number): Float64Array => {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = m[i * n + j]!;
  return t;
};
const matmulMat = (a: Float64Array, b: Float64Array, n: number): Float64Array => {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return c;
};

/** Float64 SSIM of one h x w image pair (Wang et al. 2004: Gaussian window, 'valid' positions, population statistics). */
function ssim64(x: ArrayLike<number>, y: ArrayLike<number>, h: number, w: number, L: number, win = 11, sigma = 1.5): number {
  const g = gauss(sigma, (win - 1) / 2);
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  let total = 0;
  for (let p = 0; p + win <= h; p++)
    for (let q = 0; q + win <= w; q++) {
      let [mx, my, sxx, syy, sxy] = [0, 0, 0, 0, 0];
      for (let a = 0; a < win; a++)
        for (let b = 0; b < win; b++) {
          const wt = g[a]! * g[b]!;
          const [u, v] = [x[(p + a) * w + q + b]!, y[(p + a) * w + q + b]!];
          mx += wt * u;
          my += wt * v;
        }
      for (let a = 0; a < win; a++)
        for (let b = 0; b < win; b++) {
          const wt = g[a]! * g[b]!;
          const [u, v] = [x[(p + a) * w + q + b]! - mx, y[(p + a) * w + q + b]! - my];
          sxx += wt * u * u;
          syy += wt * v * v;
          sxy += wt * u * v;
        }
      total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
    }
  return total / ((h - win + 1) * (w - win + 1));
}

/** A blocky model batch [n, 1, h, w]: a few random rectangles of random amplitude on zero. */
function blocky(g: Gen, n: number, h: number, w: number): Float32Array {
  const v = new Float32Array(n * h * w);
  for (let s = 0; s < n; s++)
    for (let k = 0; k < 4; k++) {
      const [i0, j0] = [Math.floor(g.next() * h), Math.floor(g.next() * w)];
      const [i1, j1] = [i0 + 2 + Math.floor(g.next() * (h / 2)), j0 + 2 + Math.floor(g.next() * (w / 2))];
      const amp = g.next() * 2 - 1;
      for (let i = i0; i < Math.min(i1, h); i++) for (let j = j0; j < Math.min(j1, w); j++) v[(s * h + i) * w + j]! += amp;
    }
  return v;
}

/** All of a module's parameters as one vector, and the named tensors back from one. */
function flatParams(m: tl.Module): { vec: tl.Tensor; unflat: (v: tl.Tensor) => tl.NamedTensors } {
  const named = m.namedParameters();
  const vec = tl.concat(named.map(([, t]) => tl.reshape(t, [-1])));
  const unflat = (v: tl.Tensor): tl.NamedTensors => {
    const out: tl.NamedTensors = {};
    let o = 0;
    for (const [k, t] of named) {
      out[k] = tl.reshape(tl.slice(v, [[o, o + t.size]]), t.shape);
      o += t.size;
    }
    return out;
  };
  return { vec, unflat };
}

describe('operators', () => {
  useDevice();

  it('gaussianBlur matches the float64 dense blur, and AT is its adjoint (dot test)', async () => {
    const g = rng();
    const [h, w, sigma] = [9, 13, 1.3];
    const xs = randomFloats(g, 2 * h * w);
    const op = tl.gaussianBlur({ sigma });
    const got = await op.A(T(xs, [2, 1, h, w])).data();
    const m = blurMatrix(h, w, sigma);
    const want = [...matvec(m, xs.subarray(0, h * w)), ...matvec(m, xs.subarray(h * w))];
    // 7x7 weights summed in float32: round-off ~1e-7 of the values.
    expect(relL2(got, want), `seed ${g.seed}`).toBeLessThan(1e-6);
    const r = await tl.dotTest(op.A, op.AT, [2, 1, h, w], [2, 1, h, w], { seed: g.seed, tol: 1e-6 });
    expect(r.passed, r.message).toBe(true);
    // Anisotropic: sigmaX differs, still self-adjoint in the dot-product sense.
    const an = tl.gaussianBlur({ sigma: 0.8, sigmaX: 2 });
    const r2 = await tl.dotTest(an.A, an.AT, [1, 1, h, w], [1, 1, h, w], { seed: g.seed + 1, tol: 1e-6 });
    expect(r2.passed, r2.message).toBe(true);
  });

  it('gradient2d: L^T L equals the float64 Neumann Laplacian; dot test', async () => {
    const g = rng();
    const [h, w] = [5, 7];
    const L = tl.gradient2d(h, w);
    const xs = randomFloats(g, h * w);
    const got = await L.AT(L.A(T(xs, [1, 1, h, w]))).data();
    expect(relL2(got, matvec(gradNormalMatrix(h, w), xs)), `seed ${g.seed}`).toBeLessThan(1e-6);
    const r = await tl.dotTest(L.A, L.AT, [3, 1, h, w], [3, (h - 1) * w + h * (w - 1)], { seed: g.seed, tol: 1e-6 });
    expect(r.passed, r.message).toBe(true);
  });

  it('bornOperator: born2d and rtm2d are an adjoint pair on a batch (dot test)', async () => {
    const g = rng();
    const [nz, nx, nt, dt] = [14, 16, 60, 0.0015];
    const v0 = T(
      Array.from({ length: nz * nx }, (_, i) => 1500 + 20 * Math.floor(i / nx)),
      [nz, nx],
    );
    const opts = {
      dx: 5,
      dt,
      pmlWidth: 4,
      sourceAmplitudes: tl.reshape(tl.ricker(15, nt, dt, 1 / 15), [1, 1, nt]), // coarse (born2d warns of 4.5 cells per wavelength): dispersion does not affect adjointness
      sourceLocations: [[[1, 8]]],
      receiverLocations: [Array.from({ length: 8 }, (_, j) => [1, 2 * j])],
    };
    const op = tl.bornOperator(v0, opts);
    // Hundreds of float32 time steps: the acoustic adjoint holds to ~1e-6 (docs/acoustic.md).
    const r = await tl.dotTest(op.A, op.AT, [2, 1, nz, nx], [2, 1, 8, nt], { seed: g.seed, tol: 1e-4 });
    expect(r.passed, r.message).toBe(true);
  });
});

describe('classical solvers', () => {
  useDevice();

  it('conjugateGradient solves a small SPD system as a float64 solve does', async () => {
    const g = rng();
    const n = 12;
    const B = Float64Array.from(randomFloats(g, n * n));
    const S = matmulMat(transposeMat(B, n), B, n).map((v, i) => v / n + (i % (n + 1) === 0 ? 0.5 : 0));
    const rhs = randomFloats(g, 2 * n);
    const St = T(S, [n, n]);
    const x = tl.conjugateGradient((v) => tl.matmul(St, v), T(rhs, [2, n, 1]), { iterations: 40 });
    const got = await x.data();
    const want = [...solveDense(S, rhs.subarray(0, n)), ...solveDense(S, rhs.subarray(n))];
    // cond(S) ~ 10-30 here; float32 CG after 40 (> n) steps sits at round-off times cond.
    expect(relL2(got, want), `seed ${g.seed}`).toBeLessThan(1e-4);
    // From a starting point too.
    const x2 = tl.conjugateGradient((v) => tl.matmul(St, v), T(rhs, [2, n, 1]), {
      iterations: 40,
      x0: T(randomFloats(g, 2 * n), [2, n, 1]),
    });
    expect(relL2(await x2.data(), want), `seed ${g.seed}, x0`).toBeLessThan(1e-4);
  });

  it('tikhonovCG matches the float64 solution of the normal equations (identity and gradient L), counting applications', async () => {
    const g = rng();
    const [h, w, sigma] = [8, 9, 1];
    const n = h * w;
    const op = tl.gaussianBlur({ sigma });
    const A = blurMatrix(h, w, sigma);
    const AtA = matmulMat(transposeMat(A, n), A, n);
    const b = randomFloats(g, n);
    const Atb = matvec(transposeMat(A, n), b);
    for (const [reg, lambda, iterations] of [
      ['identity', 0.05, 40],
      ['gradient', 0.5, 60],
    ] as const) {
      const { x, applications } = tl.tikhonovCG(op, T(b, [1, 1, h, w]), { lambda, regularizer: reg, iterations });
      const R = reg === 'identity' ? Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)) : gradNormalMatrix(h, w);
      const want = solveDense(
        AtA.map((v, i) => v + lambda * R[i]!),
        Atb,
      );
      // cond <= ~1 / lambda (plus the gradient's small eigenvalues): converged well past 1e-4.
      expect(relL2(await x.data(), want), `seed ${g.seed}, ${reg}`).toBeLessThan(1e-4);
      expect(applications).toEqual({ A: iterations, AT: iterations + 1, total: 2 * iterations + 1 });
    }
  });

  it('gradientDescent repeats the float64 iteration; operatorNormSquared finds max |d|^2', async () => {
    const g = rng();
    const [h, w, sigma, iters, step] = [8, 8, 1.5, 6, 0.9];
    const n = h * w;
    const A = blurMatrix(h, w, sigma);
    const At = transposeMat(A, n);
    const b = randomFloats(g, n);
    let x = new Float64Array(n);
    for (let k = 0; k < iters; k++) {
      const r = matvec(A, x).map((v, i) => v - b[i]!);
      const gr = matvec(At, r);
      x = x.map((v, i) => v - step * gr[i]!);
    }
    const res = tl.gradientDescent(tl.gaussianBlur({ sigma }), T(b, [1, 1, h, w]), { iterations: iters, step });
    expect(relL2(await res.x.data(), x), `seed ${g.seed}`).toBeLessThan(1e-5);
    expect(res.applications).toEqual({ A: iters - 1, AT: iters, total: 2 * iters - 1 });
    // A diagonal operator: ||A||^2 = max d^2 = 4, next 2.25, so 40 power steps converge to (2.25/4)^40 ~ 1e-10.
    const d = Float32Array.from({ length: 20 }, (_, i) => (i === 7 ? 2 : 1.5 * g.next()));
    d[3] = -1.5;
    const dt = T(d, [1, 1, 4, 5]);
    const diag = { A: (v: tl.Tensor) => tl.mul(v, dt), AT: (v: tl.Tensor) => tl.mul(v, dt) };
    const { value, applications } = await tl.operatorNormSquared(diag, [1, 1, 4, 5], { iterations: 40, seed: g.seed });
    expect(Math.abs(value - 4) / 4, `seed ${g.seed}`).toBeLessThan(1e-5);
    expect(applications.total).toBe(80);
  });
});

describe('metrics', () => {
  useDevice();

  it('ssim matches a float64 implementation of Wang et al. (2004); ssim(x, x) = 1', async () => {
    const g = rng();
    const [h, w] = [16, 21];
    const x = randomFloats(g, 2 * h * w, 0, 1);
    const y = x.map((v) => v + 0.8 * (g.next() - 0.5));
    for (const range of [1, 4]) {
      const got = await tl.ssim(T(x, [2, 1, h, w]), T(y, [2, 1, h, w]), { dataRange: range }).data();
      const want = [0, 1].map((s) => ssim64(x.subarray(s * h * w), y.subarray(s * h * w), h, w, range));
      // Local variances are E[x^2] - E[x]^2 in float32: cancellation of values ~0.3 against ~0.1, ~1e-6 relative.
      for (let s = 0; s < 2; s++) expect(Math.abs(got[s]! - want[s]!), `seed ${g.seed}, range ${range}, image ${s}`).toBeLessThan(2e-5);
      expect(want[0]!).toBeLessThan(0.9); // the noise is visible: the comparison is not of 1 with 1
    }
    const self = await tl.ssim(T(x, [2, h, w]), T(x, [2, h, w]), { dataRange: 1 }).data();
    for (const v of self) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
  });

  it('relativeModelError is ||x - t|| / ||t|| per sample', async () => {
    const g = rng();
    const [a, b] = [randomFloats(g, 2 * 30), randomFloats(g, 2 * 30)];
    const got = await tl.relativeModelError(T(a, [2, 1, 5, 6]), T(b, [2, 1, 5, 6])).data();
    for (let s = 0; s < 2; s++) {
      let [num, den] = [0, 0];
      for (let i = s * 30; i < (s + 1) * 30; i++) [num, den] = [num + (a[i]! - b[i]!) ** 2, den + b[i]! ** 2];
      expect(Math.abs(got[s]! - Math.sqrt(num / den))).toBeLessThan(1e-6);
    }
  });
});

describe('unrolled proximal gradient', () => {
  useDevice();

  it('ProxCNN: Taylor test of a loss in its parameters and in its input', async () => {
    const g = rng();
    const prox = new tl.ProxCNN({ channels: 4, layers: 3, seed: g.seed % 1000, initScale: 1, activation: 'gelu' });
    const z = T(randomFloats(g, 2 * 8 * 8), [2, 1, 8, 8]);
    const wt = T(randomFloats(g, 2 * 8 * 8), [2, 1, 8, 8]);
    const { vec, unflat } = flatParams(prox);
    const f = (p: tl.Tensor): tl.Tensor => tl.sum(tl.mul(tl.square(prox.call(unflat(p), z)), wt));
    // GELU, not the default ReLU: perturbing across a ReLU kink makes r1 first order there (measured: slope1 1.07 on the input).
    const r = await tl.taylorTest(f, vec, { seed: g.seed });
    expect(r.passed, `params (seed ${g.seed}): ${r.message}`).toBe(true);
    const r2 = await tl.taylorTest((x) => tl.sum(tl.mul(tl.square(prox.forward(x)), wt)), z, { seed: g.seed + 1 });
    expect(r2.passed, `input (seed ${g.seed}): ${r2.message}`).toBe(true);
  });

  it('UnrolledPG: Taylor test of the whole scheme (blur) in every parameter, steps included; checkpointing gives the same gradient', async () => {
    const g = rng();
    const [h, w] = [10, 12];
    const op = tl.gaussianBlur({ sigma: 1 });
    const xt = T(blocky(g, 2, h, w), [2, 1, h, w]);
    const b = tl.add(op.A(xt), T(randomFloats(g, 2 * h * w, -0.01, 0.01), [2, 1, h, w]));
    const seed = g.seed % 1000;
    const model = new tl.UnrolledPG(op, { iterations: 3, step: 1, channels: 4, seed, initScale: 0.5, activation: 'gelu' });
    const rho = tl.tensor([0.3, -0.2, 0.1]); // away from 0 so <g, v> along rho is not special
    model.loadParameters({ rho }, { strict: false });
    const { vec, unflat } = flatParams(model);
    const loss = (m: tl.UnrolledPG) => (p: tl.Tensor) => tl.mean(tl.square(tl.sub(m.call(unflat(p), b), xt)));
    const r = await tl.taylorTest(loss(model), vec, { seed: g.seed });
    expect(r.passed, `seed ${g.seed}: ${r.message}`).toBe(true);
    // The checkpointed twin (same seed, same rho) differentiates to the same gradient.
    const ck = new tl.UnrolledPG(op, { iterations: 3, step: 1, channels: 4, seed, initScale: 0.5, activation: 'gelu', checkpoint: true });
    ck.loadParameters({ rho: tl.clone(rho) }, { strict: false });
    const ga = await (tl.grad(loss(model))(vec) as tl.Tensor).data();
    const gb = await (tl.grad(loss(ck))(flatParams(ck).vec) as tl.Tensor).data();
    // Same arithmetic recomputed: equal to float32 round-off.
    expect(relL2(gb, ga)).toBeLessThan(1e-6);
    expect(model.applications()).toEqual({ A: 2, AT: 3, total: 5 });
    const shared = new tl.UnrolledPG(op, { iterations: 4, step: 1, shared: true });
    expect(Object.keys(shared.parameters()).filter((k) => k.startsWith('prox.1'))).toEqual([]);
  });

  it('UnrolledPG through Born: Taylor test in the parameters (A = born2d, AT = rtm2d inside the tape)', async () => {
    const g = rng();
    const [nz, nx, nt, dt] = [12, 12, 60, 0.0015];
    const v0 = T(
      Array.from({ length: nz * nx }, () => 1500),
      [nz, nx],
    );
    const op = tl.bornOperator(v0, {
      dx: 5,
      dt,
      pmlWidth: 4,
      sourceAmplitudes: tl.reshape(tl.ricker(15, nt, dt, 1 / 15), [1, 1, nt]), // coarse (born2d warns of 4.5 cells per wavelength): dispersion does not affect adjointness
      sourceLocations: [[[1, 6]]],
      receiverLocations: [Array.from({ length: 6 }, (_, j) => [1, 2 * j])],
    });
    const xt = T(blocky(g, 1, nz, nx), [1, 1, nz, nx]);
    const b = op.A(xt);
    const { value } = await tl.operatorNormSquared(op, [1, 1, nz, nx], { iterations: 8, seed: 1 });
    const model = new tl.UnrolledPG(op, {
      iterations: 2,
      step: 1 / value,
      channels: 2,
      seed: g.seed % 1000,
      initScale: 0.5,
      activation: 'gelu',
    });
    const { vec, unflat } = flatParams(model);
    const f = (p: tl.Tensor): tl.Tensor => tl.mean(tl.square(tl.sub(model.call(unflat(p), b), xt)));
    // Two Born/RTM pairs of 60 steps: f carries ~1e-6 relative round-off, above the default floor's 8 eps.
    const f0 = await f(vec).item();
    const r = await tl.taylorTest(f, vec, { seed: g.seed, steps: 5, fNoise: 2e-6 * f0 });
    expect(r.passed, `seed ${g.seed}: ${r.message}`).toBe(true);
  });

  it('checkpointing each iteration lowers the peak memory of a gradient', async () => {
    const g = rng();
    const [n, h, w, K] = [2, 20, 20, 6];
    const models = blocky(g, n, h, w);
    const peakOf = async (checkpoint: boolean): Promise<[Float32Array, number]> => {
      // A fresh device each time: the peak counts pooled bytes too, so buffers left idle by an
      // earlier run (this file's or the other measurement's) would otherwise count in both.
      tl.destroy();
      await tl.init();
      const op = tl.gaussianBlur({ sigma: 1 });
      const xt = T(models, [n, 1, h, w]);
      const b = op.A(xt);
      const m = new tl.UnrolledPG(op, { iterations: K, step: 1, channels: 8, seed: 3, checkpoint });
      const p = m.parameters();
      await tl.sync();
      tl.resetPeakMemory();
      const gr = tl.grad((q: tl.NamedTensors) => tl.mean(tl.square(tl.sub(m.call(q, b), xt))))(p) as tl.NamedTensors;
      const d = (await gr['prox.0.convs.0.weight']!.data()) as Float32Array;
      return [d, tl.memory().peakBytes];
    };
    const [gPlain, peakPlain] = await peakOf(false);
    const [gCkpt, peakCkpt] = await peakOf(true);
    tl.debug({ poisonOutputs: true });
    console.log(`UnrolledPG K=${K}, ${n}x${h}x${w}, 8 channels: peak ${peakPlain} B plain, ${peakCkpt} B checkpointed`);
    // The same arithmetic, recomputed: equal to round-off.
    expect(relL2(gCkpt, gPlain)).toBeLessThan(1e-6);
    // Plain keeps every iteration's activations (im2col columns of 3 convolutions) until its backward; checkpointed, one iteration's plus K models.
    expect(peakCkpt).toBeLessThan(0.6 * peakPlain);
  });

  it('the learned steps stay positive when training pushes them down', async () => {
    const g = rng();
    const [h, w] = [8, 8];
    const op = tl.gaussianBlur({ sigma: 1 });
    const b = T(randomFloats(g, h * w), [1, 1, h, w]);
    const model = new tl.UnrolledPG(op, { iterations: 3, step: 0.5, channels: 2, seed: 1, initScale: 0 });
    const params = model.parameters();
    const opt = new tl.Adam({ lr: 2 });
    // ||x_K||^2 falls as the steps shrink: Adam with a large rate drives rho far below 0.
    const step = tl.valueAndGrad((p: tl.NamedTensors) => tl.sum(tl.square(model.call(p, b))));
    for (let k = 0; k < 15; k++) {
      const [l, gr] = step(params) as [tl.Tensor, tl.NamedTensors];
      opt.step(params, gr);
      l.dispose();
      tl.tree.leaves(gr).forEach((t) => t.dispose());
    }
    const rho = await params['rho']!.data();
    const alphas = await model.alphas(params['rho']).data();
    expect(Math.min(...rho), 'training drove rho negative').toBeLessThan(-3);
    for (let k = 0; k < 3; k++) {
      expect(alphas[k]!).toBeGreaterThan(0);
      const want = (0.5 * Math.log1p(Math.exp(rho[k]!))) / Math.LN2;
      expect(Math.abs(alphas[k]! - want) / want).toBeLessThan(1e-5);
    }
  });

  it('rejects bad options with messages that name the call and the option', () => {
    const op = tl.gaussianBlur();
    expect(() => new tl.UnrolledPG(op, { iterations: 3, step: 1, checkpiont: true } as never)).toThrow(
      /UnrolledPG\(op, opts\).*'checkpiont'.*did you mean 'checkpoint'/,
    );
    expect(() => new tl.UnrolledPG(op, { iterations: 0, step: 1 })).toThrow(/opts.iterations: expected an integer >= 1, got 0/);
    expect(() => new tl.UnrolledPG(op, { iterations: 2, step: -1 })).toThrow(/opts.step: expected a finite number > 0, got -1/);
    expect(() => new tl.UnrolledPG({ A: op.A } as never, { iterations: 2, step: 1 })).toThrow(/op: expected an object \{ A, AT \}/);
    expect(() => new tl.ProxCNN({ kernelSize: 4 })).toThrow(/ProxCNN\(opts\): opts.kernelSize: expected an odd integer, got 4/);
    expect(() => tl.gaussianBlur({ sigma: 0 })).toThrow(/gaussianBlur\(opts\): opts.sigma: expected a finite number > 0, got 0/);
    const x = tl.zeros([1, 1, 12, 12]);
    expect(() => tl.ssim(x, x, {} as never)).toThrow(/ssim\(x, y, opts\): opts.dataRange: expected a finite number > 0, got undefined/);
    expect(() => tl.ssim(x, x, { dataRange: 1, windowsize: 7 } as never)).toThrow(/did you mean 'windowSize'/);
    expect(() => tl.ssim(tl.zeros([1, 8, 8]), tl.zeros([1, 8, 8]), { dataRange: 1 })).toThrow(/H, W >= 11/);
    expect(() => tl.tikhonovCG(op, x, { lambda: 1, iterations: 3, regularizer: 'tv' as never })).toThrow(
      /opts.regularizer: expected 'identity' or 'gradient', got "tv"/,
    );
    expect(() => tl.tikhonovCG(op, x, { lambda: -1, iterations: 3 })).toThrow(/opts.lambda: expected a finite number >= 0, got -1/);
    expect(() => tl.gradientDescent(op, x, { iterations: 3, step: 1, lr: 1 } as never)).toThrow(/unknown option 'lr'/);
    expect(() => tl.conjugateGradient((v) => v, x, { iterations: 2, x0: tl.zeros([2]) })).toThrow(
      /opts.x0: expected a tensor of rhs's shape/,
    );
    expect(() => op.A(tl.zeros([12, 12]))).toThrow(/gaussianBlur\(\).A\(x\): x: expected a float32 tensor \[N, 1, H, W\]/);
    expect(() => tl.gradient2d(1, 4)).toThrow(/gradient2d\(h, w\): h: expected an integer >= 2, got 1/);
  });
});
