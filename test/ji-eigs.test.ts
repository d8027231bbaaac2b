// JI-FNO's informative directions and Jacobian actions (src/inverse/jifno, docs/ji-fno-eigs.md):
// the randomized eigensolver against a dense float64 Jacobi eigendecomposition; gaussNewtonEigs
// against the averaged H = (1/P) sum J^T J formed in float64 from born2d columns; the Jacobian
// actions of the RTM map against central finite differences of rtmImage.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, twoShotSurvey, useDevice, type Gen } from './helpers.js';
import { jacobiEigh } from './numerics.js';

useDevice();

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0)) / norm(b);
const f64 = async (t: tl.Tensor): Promise<Float64Array> => {
  const out = Float64Array.from(await t.data());
  t.dispose();
  return out;
};

/** Symmetric n x n PSD matrix Q diag(lam) Q^T with a seeded random orthogonal Q (Gram-Schmidt twice), rounded to float32. */
function psdMatrix(g: Gen, lam: number[]): Float64Array {
  const n = lam.length;
  const Q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, () => g.next() - 0.5);
    for (let pass = 0; pass < 2; pass++) for (const q of Q) v.forEach((x, i, a) => (a[i] = x - dot(q, v) * q[i]!));
    const s = norm(v);
    Q.push(v.map((x) => x / s));
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q[k]![i]! * lam[k]! * Q[k]![j]!;
      A[i * n + j] = A[j * n + i] = Math.fround(s);
    }
  return A;
}

describe('randomizedEigh', () => {
  it('matches a dense float64 Jacobi eigendecomposition of a decaying-spectrum PSD matrix to 1e-4', async () => {
    const g = rng(41);
    const n = 60;
    const lam = Array.from({ length: n }, (_, i) => 0.7 ** i);
    const A = psdMatrix(g, lam);
    const dense = jacobiEigh(A, n);
    const At = tl.tensor(Float32Array.from(A), { shape: [n, n] });
    const k = 8;
    const res = await tl.randomizedEigh((X) => tl.matmul(X, At), n, { k, oversample: 8, powerIterations: 2, seed: 5 });
    At.dispose();
    expect(res.products).toEqual({ blocks: 4, columns: 64 });
    // Float32 products (~1e-7 |A| relative) move each eigenvalue by ~1e-7 lambda_1 (Weyl): ~2e-6 of
    // lambda_8 = 0.082. Rayleigh-Ritz on orth(A^(q+1) Omega) with l = 16, q = 2 leaves about
    // (lambda_17 / lambda_8)^(2(q+1)) = 0.7^54 = 4e-9 of lambda_8, below that.
    const rel = res.values.map((v, i) => Math.abs(v - dense.values[i]!) / dense.values[i]!);
    console.log(`randomizedEigh vs Jacobi: max rel eigenvalue error ${Math.max(...rel).toExponential(2)}`);
    expect(Math.max(...rel)).toBeLessThan(1e-4);
    res.vectors.forEach((v, i) => {
      // Gap ratio 0.7: the vectors are as accurate as the products allow, up to sign; the sign rule is the largest entry positive.
      const ref = dense.vectors[i]!;
      expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-10);
      expect(1 - Math.abs(dot(v, ref))).toBeLessThan(1e-6);
      const big = v.reduce((b, x, j) => (Math.abs(x) > Math.abs(v[b]!) ? j : b), 0);
      expect(v[big]!).toBeGreaterThan(0);
      expect(res.residuals[i]!).toBeLessThan(1e-5);
    });
  });

  it('rejects bad input', async () => {
    const mv = (X: tl.Tensor): tl.Tensor => X.mul(2);
    await expect(tl.randomizedEigh(mv, 4, { k: 5 })).rejects.toThrow(
      /randomizedEigh\(matvec, n, opts\): opts.k: expected at most the operator's size 4, got 5/,
    );
    await expect(tl.randomizedEigh(mv, 4, { powerIteration: 1 } as never)).rejects.toThrow(/did you mean 'powerIterations'/);
    await expect(tl.randomizedEigh((X) => X.sum(), 4, { k: 2 })).rejects.toThrow(/matvec's result: expected a tensor of shape \[4, 4\]/);
  });
});

// A tiny survey: 8 x 10 cells of 10 m, 2 shots near the top, 10 receivers on row 0, 32 steps of
// 2 ms (Courant 0.5 at 2500 m/s), PML 4. Models are host tensors, so the CFL check sees their values.
const NZ = 8;
const NX = 10;
const NT = 32;

const survey = (): tl.Acoustic2dOptions => twoShotSurvey(NX, NT, 25, 0.03, 2500);
const disposeSurvey = (o: tl.Acoustic2dOptions): void =>
  [o.sourceAmplitudes, o.sourceLocations, o.receiverLocations].forEach((t) => (t as tl.Tensor).dispose());

/** A background (gradient plus smooth seeded wiggles) and a true model (the background plus a faster layer from row `top`). */
function modelPair(g: Gen, top: number, jump: number): { m: Float64Array; m0: Float64Array } {
  const [a, b, c] = [g.next(), g.next(), g.next()];
  const m0 = Float64Array.from({ length: NZ * NX }, (_, i) => {
    const [z, x] = [Math.floor(i / NX), i % NX];
    return Math.fround(1900 + 25 * z + 40 * Math.sin(0.5 * x + 6 * a) * Math.cos(0.4 * z + 6 * b) + 20 * c);
  });
  const m = m0.map((v, i) => Math.fround(v + (Math.floor(i / NX) >= top ? jump : 0)));
  return { m, m0 };
}
const model = (h: Float64Array): tl.Tensor => tl.tensor(Float32Array.from(h), { shape: [NZ, NX] });

/** Dense J of acoustic2d at v (rows: data samples, one column per cell) from born2d columns, read back once. */
async function denseJacobian(v: tl.Tensor, opts: tl.Acoustic2dOptions): Promise<{ J: Float64Array; rows: number }> {
  const n = NZ * NX;
  const cols = tl.tidy(() =>
    tl.stack(
      Array.from({ length: n }, (_, c) => {
        const e = new Float32Array(n);
        e[c] = 1;
        return tl.reshape(tl.born2d(v, tl.tensor(e, { shape: [NZ, NX] }), opts), [-1]);
      }),
    ),
  );
  return { J: await f64(cols), rows: cols.shape[1]! };
}

describe('gaussNewtonEigs', () => {
  it('matches the dense averaged H = (1/P) sum J^T J from born2d columns (float64) in the leading eigenpairs', async () => {
    const g = rng(7);
    const opts = survey();
    const hosts = [modelPair(g, 4, 200), modelPair(g, 6, -150)];
    const pairs = hosts.map((p) => ({ m: model(p.m), m0: model(p.m0) }));
    const n = NZ * NX;
    const H = new Float64Array(n * n);
    const t0 = performance.now();
    for (const p of pairs) {
      const { J, rows } = await denseJacobian(p.m0, opts); // J^T stored row-major [n, rows]
      for (let i = 0; i < n; i++)
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < rows; d++) s += J[i * rows + d]! * J[j * rows + d]!;
          H[i * n + j] = H[i * n + j]! + s / pairs.length;
          if (j < i) H[j * n + i] = H[i * n + j]!;
        }
    }
    const t1 = performance.now();
    const dense = jacobiEigh(H, n);
    const r = 3;
    const res = await tl.gaussNewtonEigs(pairs, opts, { r, oversample: 8, powerIterations: 3, seed: 2 });
    const t2 = performance.now();
    console.log(
      `gaussNewtonEigs: dense ${dense.values
        .slice(0, 20)
        .map((v) => v.toPrecision(4))
        .join(
          ', ',
        )}; got ${Array.from(res.values, (v) => v.toPrecision(6)).join(', ')}; dense J ${((t1 - t0) / 1000).toFixed(1)} s, eigs ${((t2 - t1) / 1000).toFixed(1)} s`,
    );
    const rel = res.values.map((v, i) => Math.abs(v - dense.values[i]!) / dense.values[i]!);
    console.log(`gaussNewtonEigs: max rel eigenvalue error ${Math.max(...rel).toExponential(2)}`);
    res.vectors.forEach((v, i) => console.log(`  v${i}: 1 - |<v, v_ref>| = ${(1 - Math.abs(dot(v, dense.vectors[i]!))).toExponential(2)}`));
    // Weyl: float32 products move each eigenvalue by ~1e-6 lambda_1 (measured 1.3e-6 with more
    // iterations). Rayleigh-Ritz on orth(H^(q+1) Omega), l = 11, q = 3: about
    // (lambda_12 / lambda_3)^(2(q+1)) = 0.18^8 = 1e-6 relative (q = 2 measured 4.1e-5 for 0.18^6 = 3.4e-5).
    expect(Math.max(...rel)).toBeLessThan(1e-4);
    res.vectors.forEach((v, i) => {
      // The eigenvectors' error goes as (float32 noise) / gap: 1e-3 allows gaps of ~1e-3 lambda_1.
      expect(1 - Math.abs(dot(v, dense.vectors[i]!))).toBeLessThan(1e-3);
      expect(res.residuals[i]!).toBeLessThan(1e-3);
    });
    // The paper's Gauss-Newton form of dR/dm against the exact action, along these informative directions.
    const D = tl.tensor(Float32Array.from(res.vectors.flatMap((v) => Array.from(v))), { shape: [r, NZ, NX] });
    for (const [k, p] of pairs.entries()) {
      const act = tl.rtmJacobianActions(p.m, p.m0, D, opts, { gaussNewton: true });
      const [exact, gn] = [await f64(act.exact), await f64(act.gaussNewton!)];
      const diffs = res.vectors.map((_, j) => relDiff(gn.subarray(j * n, (j + 1) * n), exact.subarray(j * n, (j + 1) * n)));
      console.log(`pair ${k}: |GN - exact| / |exact| along v1..v${r}: ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
    }
    D.dispose();
    // With a model-space weight W (a top mute and a depth ramp, as the JI-FNO example's images):
    // the eigenpairs of W H W, formed here from the same dense H.
    const w = Float64Array.from({ length: n }, (_, i) =>
      Math.fround(Math.min(1, Math.floor(i / NX) / 3) * ((Math.floor(i / NX) + 0.5) / NZ)),
    );
    const WHW = H.map((h, k) => h * w[Math.floor(k / n)]! * w[k % n]!);
    const denseW = jacobiEigh(WHW, n);
    const Wt = tl.tensor(Float32Array.from(w), { shape: [NZ, NX] });
    const resW = await tl.gaussNewtonEigs(pairs, opts, { r: 2, oversample: 8, powerIterations: 3, seed: 2, weight: Wt });
    const relW = Array.from(resW.values, (v, i) => Math.abs(v - denseW.values[i]!) / denseW.values[i]!);
    console.log(
      `weighted: dense ${denseW.values
        .slice(0, 3)
        .map((v) => v.toPrecision(4))
        .join(', ')}; got ${Array.from(resW.values, (v) => v.toPrecision(6)).join(', ')}`,
    );
    expect(Math.max(...relW)).toBeLessThan(1e-4);
    resW.vectors.forEach((v, i) => expect(1 - Math.abs(dot(v, denseW.vectors[i]!))).toBeLessThan(1e-3));
    await expect(tl.gaussNewtonEigs(pairs, opts, { r: 1, weight: tl.zeros([NZ, NX + 1]) })).rejects.toThrow(
      `tellus: gaussNewtonEigs(pairs, acousticOpts, opts): opts.weight: expected a live float32 tensor [${NZ}, ${NX}] (the models' shape), got`,
    );
    Wt.dispose();
    pairs.forEach((p) => [p.m, p.m0].forEach((t) => t.dispose()));
    disposeSurvey(opts);
    // 160 born2d solves for the dense J: 25-40 s alone, ~100 s on a loaded 2-core machine.
  }, 300_000);
});

describe('gaussNewtonEigs jacobianAt', () => {
  it("takes J at each pair's m with jacobianAt 'm': the same as the swapped pairs at m0", async () => {
    const opts = survey();
    const h = modelPair(rng(9), 4, 200);
    const [m, m0] = [model(h.m), model(h.m0)];
    const o = { r: 1, oversample: 0, powerIterations: 0, seed: 4 };
    const atM = await tl.gaussNewtonEigs([{ m, m0 }], opts, { ...o, jacobianAt: 'm' });
    const swapped = await tl.gaussNewtonEigs([{ m: m0, m0: m }], opts, o);
    const atM0 = await tl.gaussNewtonEigs([{ m, m0 }], opts, o);
    console.log(`jacobianAt: lambda at m ${atM.values[0]}, at m0 ${atM0.values[0]}`);
    expect(atM.values[0]).toBe(swapped.values[0]);
    // The layer changes H: the option must not be ignored.
    expect(Math.abs(atM.values[0]! - atM0.values[0]!) / atM0.values[0]!).toBeGreaterThan(1e-3);
    [m, m0].forEach((t) => t.dispose());
    disposeSurvey(opts);
  });
});

describe('rtmJacobianActions', () => {
  const n = NZ * NX;
  const bump = (zc: number, xc: number, w: number): Float64Array =>
    Float64Array.from({ length: n }, (_, i) =>
      Math.fround(Math.exp(-((Math.floor(i / NX) - zc) ** 2 + ((i % NX) - xc) ** 2) / (2 * w * w))),
    );
  const dirs = [bump(5, 3, 1.5), bump(3, 7, 1)];

  it('matches central finite differences of rtmImage; reports how far the Gauss-Newton form is', async () => {
    const g = rng(3);
    const opts = survey();
    const samples = [modelPair(g, 4, 200), modelPair(g, 6, -150)];
    const D = tl.tensor(Float32Array.from(dirs.flatMap((d) => Array.from(d))), { shape: [2, NZ, NX] });
    for (const [k, h] of samples.entries()) {
      const [m, m0] = [model(h.m), model(h.m0)];
      const t0 = performance.now();
      const act = tl.rtmJacobianActions(m, m0, D, opts, { gaussNewton: true });
      const [exact, gn] = [await f64(act.exact), await f64(act.gaussNewton!)];
      const secs = (performance.now() - t0) / 1000;
      for (let j = 0; j < dirs.length; j++) {
        const ex = exact.subarray(j * n, (j + 1) * n);
        const gnDiff = relDiff(gn.subarray(j * n, (j + 1) * n), ex);
        let line = `sample ${k}, direction ${j}: |GN - exact| / |exact| = ${gnDiff.toExponential(2)}`;
        if (k === 0) {
          // eps = 16 m/s on bumps of peak 1 (0.8% of v). Measured on this sample: the error falls
          // as 1/eps below (float32 cancellation: 7e-3 and 1.4e-3 at eps = 1) and grows as eps^2
          // above (5.4e-4, 2.1e-3, 8.6e-3 at 32, 64, 128), so at 16 both parts are ~1e-4 to 4e-4.
          const eps = 16;
          const R = async (sgn: number): Promise<Float64Array> => {
            const mp = model(h.m.map((v, i) => Math.fround(v + sgn * eps * dirs[j]![i]!)));
            const r = await f64(tl.rtmImage(mp, m0, opts));
            mp.dispose();
            return r;
          };
          const [rp, rm] = [await R(1), await R(-1)];
          const fdErr = relDiff(
            rp.map((v, i) => (v - rm[i]!) / (2 * eps)),
            ex,
          );
          line += `; |FD - exact| / |exact| = ${fdErr.toExponential(2)}`;
          expect(fdErr).toBeLessThan(2e-3);
          // The exact action is not the Gauss-Newton one here (m differs from m0 by a layer).
          expect(gnDiff).toBeGreaterThan(20 * fdErr);
        }
        console.log(`${line} (actions ${secs.toFixed(2)} s)`);
      }
      [m, m0].forEach((t) => t.dispose());
    }
    D.dispose();
    disposeSurvey(opts);
  });

  it('rejects bad input', async () => {
    const opts = survey();
    const h = modelPair(rng(1), 4, 100);
    const [m, m0] = [model(h.m), model(h.m0)];
    const D = tl.zeros([2, NZ, NX + 1]);
    expect(() => tl.rtmJacobianActions(m, m0, D, opts)).toThrow(
      /rtmJacobianActions\(m, m0, directions, opts, actionOpts\): directions: expected a live float32 tensor \[r, 8, 10\]/,
    );
    expect(() => tl.rtmJacobianActions(m, m0, D, opts, { gaussnewton: true } as never)).toThrow(/did you mean 'gaussNewton'/);
    await expect(tl.gaussNewtonEigs([], opts)).rejects.toThrow(
      /gaussNewtonEigs\(pairs, acousticOpts, opts\): pairs: expected a non-empty array/,
    );
    await expect(tl.gaussNewtonEigs([{ m, m0 }], opts, { r: 81 })).rejects.toThrow(
      /opts.r: expected at most the operator's size 80, got 81/,
    );
    await expect(tl.gaussNewtonEigs([{ m, m0 }], opts, { jacobianAt: 'mid' } as never)).rejects.toThrow(
      /opts.jacobianAt: expected 'm0' or 'm'/,
    );
    [m, m0, D].forEach((t) => t.dispose());
    disposeSurvey(opts);
  });
});
