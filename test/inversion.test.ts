// Classical regularized inversion (src/inverse/inversion): the model objective against dense
// float64 matrices built here on a non-uniform mesh (value, gradient, Hessian-vector product,
// Hessian diagonal, IRLS weights, TV), Taylor / finite-difference checks, the beta estimate against
// a float64 eigenvalue ratio, and inversions of a small linear problem (a seeded dense Gaussian
// matrix, applied with tl.matmul): target misfit, the Tikhonov closed form, IRLS and TV against l2,
// L-BFGS against GN, flat memory, bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice, type Gen } from './helpers.js';
import { relL2 } from './numerics.js';

useDevice();

const T = (v: ArrayLike<number>, shape?: number[]): tl.Tensor => tl.tensor(Float32Array.from(v), shape ? { shape } : {});
const f32 = (v: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(v));
const values = async (t: tl.Tensor): Promise<Float64Array> => Float64Array.from(await t.data());

function normals(g: Gen, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next());
  return out;
}

// ---------- float64 reference of the model objective: dense operators per term ----------

interface Mesh {
  nx: number;
  nz: number;
  hx: number[];
  hz: number[];
}

/** A dense matrix (rows x n) as row arrays. */
type Dense = Float64Array[];

const apply = (A: Dense, v: ArrayLike<number>): Float64Array => Float64Array.from(A, (row) => row.reduce((s, a, j) => s + a * v[j]!, 0));
const applyT = (A: Dense, y: ArrayLike<number>, n: number): Float64Array => {
  const out = new Float64Array(n);
  A.forEach((row, i) => row.forEach((a, j) => (out[j]! += a * y[i]!)));
  return out;
};

/** Smallness, x and z first differences (divided by centre distances) and the Laplacian, each with its per-row area weight. */
function referenceTerms(mesh: Mesh, cellW: ArrayLike<number>): Record<'s' | 'x' | 'z' | 'laplacian', { A: Dense; c: Float64Array }> {
  const { nx, nz, hx, hz } = mesh;
  const n = nx * nz;
  const idx = (i: number, j: number): number => i * nx + j;
  const area = (i: number, j: number): number => hx[j]! * hz[i]! * cellW[idx(i, j)]!;
  const s = { A: [] as Dense, c: [] as number[] };
  const x = { A: [] as Dense, c: [] as number[] };
  const z = { A: [] as Dense, c: [] as number[] };
  const lap = { A: [] as Dense, c: [] as number[] };
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      const e = new Float64Array(n);
      e[idx(i, j)] = 1;
      s.A.push(e);
      s.c.push(area(i, j));
      if (j + 1 < nx) {
        const row = new Float64Array(n);
        const d = (hx[j]! + hx[j + 1]!) / 2;
        row[idx(i, j + 1)] = 1 / d;
        row[idx(i, j)] = -1 / d;
        x.A.push(row);
        x.c.push((area(i, j) + area(i, j + 1)) / 2);
      }
      if (i + 1 < nz) {
        const row = new Float64Array(n);
        const d = (hz[i]! + hz[i + 1]!) / 2;
        row[idx(i + 1, j)] = 1 / d;
        row[idx(i, j)] = -1 / d;
        z.A.push(row);
        z.c.push((area(i, j) + area(i + 1, j)) / 2);
      }
      // Finite-volume Laplacian: sum over the cell's faces of (gradient across the face) / width, zero flux outside.
      const row = new Float64Array(n);
      const flux = (ii: number, jj: number, dist: number, width: number): void => {
        row[idx(ii, jj)]! += 1 / dist / width;
        row[idx(i, j)]! -= 1 / dist / width;
      };
      if (j > 0) flux(i, j - 1, (hx[j - 1]! + hx[j]!) / 2, hx[j]!);
      if (j + 1 < nx) flux(i, j + 1, (hx[j]! + hx[j + 1]!) / 2, hx[j]!);
      if (i > 0) flux(i - 1, j, (hz[i - 1]! + hz[i]!) / 2, hz[i]!);
      if (i + 1 < nz) flux(i + 1, j, (hz[i]! + hz[i + 1]!) / 2, hz[i]!);
      lap.A.push(row);
      lap.c.push(area(i, j));
    }
  const pack = (t: { A: Dense; c: number[] }): { A: Dense; c: Float64Array } => ({ A: t.A, c: Float64Array.from(t.c) });
  return { s: pack(s), x: pack(x), z: pack(z), laplacian: pack(lap) };
}

interface RefOpts {
  alpha: { s: number; x: number; z: number; laplacian: number };
  ref: ArrayLike<number>;
  cellW: ArrayLike<number>;
  /** Per-term row weights (IRLS), default 1. */
  r?: Partial<Record<'s' | 'x' | 'z', Float64Array>>;
}

/** phi_m, its gradient and its Hessian (dense, n x n), float64. */
function referenceObjective(mesh: Mesh, o: RefOpts, m: ArrayLike<number>): { phi: number; grad: Float64Array; H: Dense } {
  const n = mesh.nx * mesh.nz;
  const terms = referenceTerms(mesh, o.cellW);
  let phi = 0;
  const grad = new Float64Array(n);
  const H: Dense = Array.from({ length: n }, () => new Float64Array(n));
  for (const k of ['s', 'x', 'z', 'laplacian'] as const) {
    const a = o.alpha[k];
    if (a === 0) continue;
    const { A, c } = terms[k];
    const mm = k === 's' ? Float64Array.from(m, (v, i) => v - o.ref[i]!) : Float64Array.from(m);
    const f = apply(A, mm);
    const w = Float64Array.from(c, (ci, i) => a * ci * (k !== 'laplacian' ? (o.r?.[k]?.[i] ?? 1) : 1));
    f.forEach((fi, i) => (phi += w[i]! * fi * fi));
    applyT(
      A,
      f.map((fi, i) => 2 * w[i]! * fi),
      n,
    ).forEach((v, j) => (grad[j]! += v));
    A.forEach((row, i) => {
      for (let p = 0; p < n; p++) {
        if (row[p] === 0) continue;
        for (let q = 0; q < n; q++) if (row[q] !== 0) H[p]![q]! += 2 * w[i]! * row[p]! * row[q]!;
      }
    });
  }
  return { phi, grad, H };
}

// A non-uniform mesh (widths vary by 4x) so that centre distances, face lengths and areas all differ.
const MESH: Mesh = { nx: 6, nz: 5, hx: [1, 1.5, 2, 1, 0.5, 1.25], hz: [0.5, 1, 1, 2, 1.5] };
const N = MESH.nx * MESH.nz;

describe('regularization', () => {
  it('value, gradient, Hessian-vector product and diagonal match dense float64 operators on a non-uniform mesh', async () => {
    const g = rng();
    const m = f32(normals(g, N));
    const ref = f32(normals(g, N));
    const cellW = f32(Array.from({ length: N }, () => 0.2 + g.next()));
    const v = f32(normals(g, N));
    const alpha = { s: 0.3, x: 1.7, z: 0.8, laplacian: 0.25 };
    const reg = tl.regularization(MESH, {
      alphaS: alpha.s,
      alphaX: alpha.x,
      alphaZ: alpha.z,
      alphaLaplacian: alpha.laplacian,
      reference: T(ref),
      weights: T(cellW),
    });
    const want = referenceObjective(MESH, { alpha, ref, cellW }, m);
    const [mt, vt] = [T(m), T(v)];
    const phi = reg.value(mt);
    const grad = reg.gradient(mt);
    const hv = reg.hessianVector(mt, vt);
    const diag = reg.hessianDiagonal(mt);
    const autoGrad = tl.grad((x: tl.Tensor) => reg.value(x))(mt) as tl.Tensor;
    // float32 sums of ~30-100 products of O(1) terms: ~1e-6 relative; 1e-5 leaves a margin.
    expect(Math.abs((await phi.item()) - want.phi) / want.phi).toBeLessThan(1e-5);
    expect(relL2(await values(grad), want.grad)).toBeLessThan(1e-5);
    expect(relL2(await values(autoGrad), want.grad)).toBeLessThan(1e-5);
    expect(relL2(await values(hv), apply(want.H, v))).toBeLessThan(1e-5);
    expect(
      relL2(
        await values(diag),
        Float64Array.from(want.H, (row, i) => row[i]!),
      ),
    ).toBeLessThan(1e-5);
    for (const t of [phi, grad, hv, diag, autoGrad, mt, vt]) t.dispose();
    reg.dispose();
  });

  it('one term at a time: each alone matches its hand-built difference matrix', async () => {
    const g = rng();
    const m = f32(normals(g, N));
    const mt = T(m);
    const cellW = new Float64Array(N).fill(1);
    for (const k of ['s', 'x', 'z', 'laplacian'] as const) {
      const alpha = { s: 0, x: 0, z: 0, laplacian: 0, [k]: 1 };
      const reg = tl.regularization(MESH, { alphaS: alpha.s, alphaX: alpha.x, alphaZ: alpha.z, alphaLaplacian: alpha.laplacian });
      const want = referenceObjective(MESH, { alpha, ref: new Float64Array(N), cellW }, m);
      const grad = reg.gradient(mt);
      expect(relL2(await values(grad), want.grad), k).toBeLessThan(1e-5);
      grad.dispose();
      reg.dispose();
    }
    mt.dispose();
  });

  it('Hessian-vector product equals a central difference of the gradient (IRLS weights frozen)', async () => {
    const g = rng();
    const reg = tl.regularization(MESH, { norms: { s: 0, x: 1, z: 1.5 }, reference: 0.1 });
    const m = T(normals(g, N));
    await reg.startIrls(m);
    const m1 = T(normals(g, N)); // evaluate elsewhere: the IRLS weights stay those of m
    const v = T(normals(g, N));
    const h = 0.5; // the gradient is linear in m with frozen weights, so any h works; round-off ~1e-6 of |g|/h
    const fd = tl.tidy(() => tl.div(tl.sub(reg.gradient(tl.add(m1, tl.mul(v, h))), reg.gradient(tl.sub(m1, tl.mul(v, h)))), 2 * h));
    const hv = reg.hessianVector(m1, v);
    expect(relL2(await values(hv), await values(fd))).toBeLessThan(1e-4);
    for (const t of [m, m1, v, fd, hv]) t.dispose();
    reg.dispose();
  });

  it('IRLS weights are the scaled Lawson weights of the float64 reference', async () => {
    const g = rng();
    const p = { s: 0, x: 1 };
    const reg = tl.regularization(MESH, { alphaZ: 0, norms: p });
    const m = f32(normals(g, N));
    const mt = T(m);
    await reg.startIrls(mt, 100);
    const eps = reg.irlsEpsilon;
    const terms = referenceTerms(MESH, new Float64Array(N).fill(1));
    const r: RefOpts['r'] = {};
    for (const k of ['s', 'x'] as const) {
      const f = apply(terms[k].A, m);
      const e = eps[k]!;
      // eps starts at the 100th percentile of |f|.
      expect(Math.abs(e - Math.max(...f.map(Math.abs))) / e).toBeLessThan(1e-6);
      const q = 1 - p[k] / 2;
      const fmax = Math.max(...f.map(Math.abs));
      const peak = p[k] < 1 ? e / Math.sqrt(1 - p[k]) : fmax;
      const scale = fmax / (peak / (peak * peak + e * e) ** q);
      r[k] = f.map((fi) => scale / (fi * fi + e * e) ** q);
    }
    const want = referenceObjective(
      MESH,
      { alpha: { s: 1, x: 1, z: 0, laplacian: 0 }, ref: new Float64Array(N), cellW: new Float64Array(N).fill(1), r },
      m,
    );
    const phi = reg.value(mt);
    const grad = reg.gradient(mt);
    // pow in float32 (~1e-6 relative per weight) over 30-50 terms.
    expect(Math.abs((await phi.item()) - want.phi) / want.phi).toBeLessThan(1e-5);
    expect(relL2(await values(grad), want.grad)).toBeLessThan(1e-5);
    for (const t of [phi, grad, mt]) t.dispose();
    reg.dispose();
  });

  it('smoothed TV: value and gradient vs float64, Taylor test, lagged-diffusivity Hessian', async () => {
    const g = rng();
    const eps = 0.3;
    const reg = tl.regularization(MESH, { alphaS: 0, alphaX: 1.5, alphaZ: 0.5, tv: { epsilon: eps } });
    const m = f32(normals(g, N));
    const v = f32(normals(g, N));
    const { nx, nz, hx, hz } = MESH;
    // Per cell: forward differences (0 at the last column / row), u = sqrt(aX gx^2 + aZ gz^2 + eps^2).
    const gx = (x: ArrayLike<number>, i: number, j: number): number =>
      j + 1 < nx ? (x[i * nx + j + 1]! - x[i * nx + j]!) / ((hx[j]! + hx[j + 1]!) / 2) : 0;
    const gz = (x: ArrayLike<number>, i: number, j: number): number =>
      i + 1 < nz ? (x[(i + 1) * nx + j]! - x[i * nx + j]!) / ((hz[i]! + hz[i + 1]!) / 2) : 0;
    const tvRef = (x: ArrayLike<number>): number => {
      let s = 0;
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) s += hx[j]! * hz[i]! * (Math.sqrt(1.5 * gx(x, i, j) ** 2 + 0.5 * gz(x, i, j) ** 2 + eps * eps) - eps);
      return s;
    };
    // Lagged diffusivity: v^T H v = sum area (aX gx(v)^2 + aZ gz(v)^2) / u(m).
    const vHv = (() => {
      let s = 0;
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          const u = Math.sqrt(1.5 * gx(m, i, j) ** 2 + 0.5 * gz(m, i, j) ** 2 + eps * eps);
          s += (hx[j]! * hz[i]! * (1.5 * gx(v, i, j) ** 2 + 0.5 * gz(v, i, j) ** 2)) / u;
        }
      return s;
    })();
    const [mt, vt] = [T(m), T(v)];
    const phi = reg.value(mt);
    expect(Math.abs((await phi.item()) - tvRef(m)) / tvRef(m)).toBeLessThan(1e-5);
    // Central differences of the float64 reference along v, against <gradient, v>.
    const gradT = reg.gradient(mt);
    const grad = await values(gradT);
    const h = 1e-5;
    const fd = (tvRef(m.map((x, i) => x + h * v[i]!)) - tvRef(m.map((x, i) => x - h * v[i]!))) / (2 * h);
    expect(Math.abs(grad.reduce((s, gi, i) => s + gi * v[i]!, 0) - fd) / Math.abs(fd)).toBeLessThan(1e-4);
    const taylor = await tl.taylorTest((x) => reg.value(x), mt, { gradient: gradT });
    expect(taylor.passed, taylor.message).toBe(true);
    const hvT = reg.hessianVector(mt, vt);
    const hv = await values(hvT);
    expect(Math.abs(hv.reduce((s, hi, i) => s + hi * v[i]!, 0) - vHv) / vHv).toBeLessThan(1e-5);
    for (const t of [phi, mt, vt, gradT, hvT]) t.dispose();
    reg.dispose();
  });
});

// ---------- a linear forward problem d = G m: a seeded Gaussian matrix on the GPU and its float64 copy ----------

interface Linear {
  sim: tl.Simulation;
  G: Float64Array; // row-major nData x nModel, float32-rounded
  dispose(): void;
}

function linearSimulation(g: Gen, nData: number, nModel: number): Linear {
  const G = f32(normals(g, nData * nModel).map((x) => x / Math.sqrt(nModel)));
  const Gt = T(G, [nData, nModel]);
  const GtSq = tl.square(Gt);
  const sim: tl.Simulation = {
    nModel,
    nData,
    dpred: async (m) => tl.tidy(() => tl.reshape(tl.matmul(Gt, tl.reshape(m, [nModel, 1])), [nData])),
    Jvec: async (_m, v) => tl.tidy(() => tl.reshape(tl.matmul(Gt, tl.reshape(v, [nModel, 1])), [nData])),
    Jtvec: async (_m, w) => tl.tidy(() => tl.reshape(tl.matmul(tl.reshape(w, [1, nData]), Gt), [nModel])),
    jtjDiagonal: async (_m, w) => tl.tidy(() => tl.reshape(tl.matmul(tl.reshape(tl.square(w!), [1, nData]), GtSq), [nModel])),
  };
  return { sim, G, dispose: () => [Gt, GtSq].forEach((t) => t.dispose()) };
}

const matvec = (G: Float64Array, rows: number, x: ArrayLike<number>): Float64Array => {
  const n = x.length;
  return Float64Array.from({ length: rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += G[i * n + j]! * x[j]!;
    return s;
  });
};

/** Largest eigenvalue of a dense symmetric PSD matrix by 2000 float64 power steps. */
function lambdaMax(H: Dense): number {
  let v = Float64Array.from(H, (_, i) => 1 + 0.01 * i);
  let lam = 0;
  for (let k = 0; k < 2000; k++) {
    const w = apply(H, v);
    lam = w.reduce((s, wi, i) => s + wi * v[i]!, 0) / v.reduce((s, x) => s + x * x, 0);
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    v = w.map((x) => x / norm);
  }
  return lam;
}

/** Gaussian elimination with partial pivoting, float64. */
function solveDense(A: Dense, b: ArrayLike<number>): Float64Array {
  const n = b.length;
  const a = A.map((r) => Float64Array.from(r));
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    [x[c], x[p]] = [x[p]!, x[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < n; k++) a[r]![k]! -= f * a[c]![k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let k = c + 1; k < n; k++) x[c]! -= a[c]![k]! * x[k]!;
    x[c]! /= a[c]![c]!;
  }
  return x;
}

/** 2 G^T W^2 G for a scalar std, dense. */
function dataHessian(G: Float64Array, nData: number, nModel: number, std: number): Dense {
  return Array.from({ length: nModel }, (_, p) =>
    Float64Array.from({ length: nModel }, (_, q) => {
      let s = 0;
      for (let i = 0; i < nData; i++) s += G[i * nModel + p]! * G[i * nModel + q]!;
      return (2 * s) / (std * std);
    }),
  );
}

/** A blocky model on a nx x nz mesh: background 0, one rectangle of `value`. */
function blockModel(nx: number, nz: number, value: number, [i0, i1, j0, j1]: number[]): Float64Array {
  return Float64Array.from({ length: nx * nz }, (_, k) => {
    const [i, j] = [Math.floor(k / nx), k % nx];
    return i >= i0! && i < i1! && j >= j0! && j < j1! ? value : 0;
  });
}

describe('invert', () => {
  const mesh = { nx: 10, nz: 8, hx: new Array(10).fill(1), hz: new Array(8).fill(1) };
  const n = 80;

  it('beta0 = ratio x lambda_d / lambda_m by 4 power steps, as a float64 power iteration from the same start vector', async () => {
    const g = rng();
    const nData = 30;
    const lin = linearSimulation(g, nData, n);
    const reg = tl.regularization(mesh, { alphaS: 0.01 });
    const d = T(new Float64Array(nData));
    const std = 0.5;
    // invert's start vector: tl.rand([nModel], { seed }), uniform as in SimPEG (seed 0 by default).
    const startT = tl.rand([n], { seed: 0 });
    const start = await values(startT);
    startT.dispose();
    const power = (H: Dense, steps: number): number => {
      let v = start.map((x) => x / Math.hypot(...start));
      for (let k = 0; k < steps; k++) {
        const w = apply(H, v);
        const norm = Math.hypot(...w);
        v = w.map((x) => x / norm);
      }
      return apply(H, v).reduce((s, wi, i) => s + wi * v[i]!, 0);
    };
    const Hd = dataHessian(lin.G, nData, n, std);
    const Hm = referenceObjective(
      mesh,
      { alpha: { s: 0.01, x: 1, z: 1, laplacian: 0 }, ref: new Float64Array(n), cellW: new Float64Array(n).fill(1) },
      new Float64Array(n),
    ).H;
    const res = await tl.invert(lin.sim, d, { regularization: reg, uncertainty: std, maxIterations: 0, beta0Ratio: 3 });
    // Four float32 steps of a well-scaled map: ~1e-6 relative per Rayleigh quotient; 1e-4 leaves margin.
    expect(Math.abs(res.beta / ((3 * power(Hd, 4)) / power(Hm, 4)) - 1)).toBeLessThan(1e-4);
    // The estimate is a ratio of two lower bounds: measured 1.0009 x the converged ratio here; ask for a factor 2.
    const converged = lambdaMax(Hd) / lambdaMax(Hm);
    expect(res.beta / (3 * converged)).toBeGreaterThan(1 / 2);
    expect(res.beta / (3 * converged)).toBeLessThan(2);
    for (const t of [d, res.model]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('GN with exact CG matches the Tikhonov closed form (G^T W^2 G + beta R) m = G^T W^2 d + beta R_s mref', async () => {
    const g = rng();
    const nData = 30;
    const lin = linearSimulation(g, nData, n);
    const mref = f32(normals(g, n).map((x) => 0.1 * x));
    const alpha = { s: 0.05, x: 1, z: 0.5, laplacian: 0 };
    const mrefT = T(mref);
    const reg = tl.regularization(mesh, { alphaS: alpha.s, alphaX: alpha.x, alphaZ: alpha.z, reference: mrefT });
    mrefT.dispose(); // the regularization keeps its own handle
    const dObs = f32(normals(g, nData));
    const std = 0.2;
    const beta = 0.7;
    const dObsT = T(dObs);
    const res = await tl.invert(lin.sim, dObsT, {
      regularization: reg,
      uncertainty: std,
      beta0: beta,
      coolingFactor: 1,
      maxIterations: 1,
      cgIterations: 60,
      cgTolerance: 0,
      chiFactor: 1e-6,
    });
    // Normal equations: (Hd + beta Hm) m = 2 G^T W^2 d + beta (Hm mref restricted to smallness) = -(gradient at 0).
    const hm = referenceObjective(mesh, { alpha, ref: mref, cellW: new Float64Array(n).fill(1) }, new Float64Array(n));
    const Hd = dataHessian(lin.G, nData, n, std);
    const A = Hd.map((row, p) => row.map((h, q) => h + beta * hm.H[p]![q]!));
    const gtd = new Float64Array(n);
    for (let i = 0; i < nData; i++) for (let j = 0; j < n; j++) gtd[j]! += (2 * lin.G[i * n + j]! * dObs[i]!) / (std * std);
    const want = solveDense(
      A,
      gtd.map((v, j) => v - beta * hm.grad[j]!),
    );
    // 60 Jacobi-preconditioned float32 CG steps: measured 4e-6 (default seed); 1e-4 leaves margin for round-off growth.
    expect(relL2(await values(res.model), want)).toBeLessThan(1e-4);
    for (const t of [dObsT, res.model]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  /** A noisy linear problem on the 10 x 8 mesh: 40 Gaussian data of a true model, noise std `std`. */
  function problem(g: Gen, mTrue: Float64Array, std: number): { lin: Linear; dObs: tl.Tensor } {
    const lin = linearSimulation(g, 40, n);
    const noise = normals(g, 40);
    const dObs = T(matvec(lin.G, 40, mTrue).map((v, i) => v + std * noise[i]!));
    return { lin, dObs };
  }
  const error = async (m: tl.Tensor, mTrue: Float64Array): Promise<number> => relL2(await values(m), mTrue);

  it('GN-CG with the default directives reaches chi <= 1, lowers the model error, and keeps memory flat', async () => {
    const g = rng();
    const mTrue = blockModel(10, 8, 1, [2, 6, 3, 7]);
    const std = 0.02;
    const { lin, dObs } = problem(g, mTrue, std);
    const reg = tl.regularization(mesh, { alphaS: 0.01 });
    const live: number[] = [];
    await tl.sync();
    const before = tl.memory().bytesLive;
    const res = await tl.invert(lin.sim, dObs, {
      regularization: reg,
      uncertainty: std,
      onIteration: () => void live.push(tl.memory().bytesLive),
    });
    const last = res.history[res.history.length - 1]!;
    expect(res.stopReason, res.message).toBe('targetMisfit');
    expect(last.chi).toBeLessThanOrEqual(1);
    // The starting model 0 has error 1; a smooth l2 model of a block from 40 of 80 numbers: ~0.5.
    expect(await error(res.model, mTrue)).toBeLessThan(0.8);
    // Beta cooled by 8 every 3 iterations.
    expect(res.history.map((h) => h.beta)).toEqual(
      res.history.map((_, i) => res.history[0]!.beta / 8 ** Math.floor(Math.max(i - 1, 0) / 3)),
    );
    // Every iteration holds the same tensors (model, residual, constants), and invert leaves only its
    // result. (<=, not =: the garbage collector may free an earlier test's dropped tensors meanwhile.)
    expect(Math.max(...live)).toBe(live[0]);
    res.model.dispose();
    await tl.sync(); // the result's copy was still pending and held its inputs
    expect(tl.memory().bytesLive).toBeLessThanOrEqual(before);
    dObs.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('IRLS with p = 0 (smallness) and p = 1 (x, z) recovers a sparse blocky model better than p = 2', async () => {
    const g = rng();
    const mTrue = blockModel(10, 8, 1, [2, 4, 2, 4]).map((v, k) => v + blockModel(10, 8, -0.7, [5, 7, 6, 8])[k]!);
    const std = 0.02;
    const { lin, dObs } = problem(g, mTrue, std);
    const run = async (norms?: tl.SparseNorms, extra: tl.InvertOptions = {}): Promise<[number, tl.InvertResult]> => {
      const reg = tl.regularization(mesh, { alphaS: 0.1, norms });
      const res = await tl.invert(lin.sim, dObs, { regularization: reg, uncertainty: std, maxIterations: 15, cgIterations: 10, ...extra });
      const e = await error(res.model, mTrue);
      res.model.dispose();
      reg.dispose();
      return [e, res];
    };
    // l2: beta cooled 8x per iteration (a linear problem needs one GN step per beta); sparse: UpdateIRLS's defaults (2x per iteration, then IRLS).
    const [e2, l2] = await run(undefined, { coolingRate: 1 });
    const [ep, lp] = await run({ s: 0, x: 1, z: 1 });
    expect(l2.stopReason).toBe('targetMisfit');
    const l2Phase = lp.history.filter((h) => !h.irls);
    expect(l2Phase.map((h) => h.beta)).toEqual(l2Phase.map((_, i) => l2Phase[0]!.beta / 2 ** Math.max(i - 1, 0)));
    // The IRLS phase ran after the l2 phase reached the target, and kept phi_d near it (beta adjusted).
    const irls = lp.history.filter((h) => h.irls);
    expect(irls.length).toBeGreaterThan(3);
    expect(irls[irls.length - 1]!.chi).toBeGreaterThan(0.5);
    expect(irls[irls.length - 1]!.chi).toBeLessThan(2);
    // Measured 0.73 (l2) against 0.45 (sparse) with the default seed; ask for a clear 15% gain.
    expect(ep).toBeLessThan(0.85 * e2);
    dObs.dispose();
    lin.dispose();
  });

  it('smoothed TV recovers a step better than l2 smoothness', async () => {
    const g = rng();
    const mTrue = blockModel(10, 8, 1, [0, 8, 5, 10]);
    const std = 0.02;
    const { lin, dObs } = problem(g, mTrue, std);
    const run = async (tv?: tl.TVOptions): Promise<[number, tl.InvertResult]> => {
      const reg = tl.regularization(mesh, { alphaS: 0.01, tv });
      const res = await tl.invert(lin.sim, dObs, { regularization: reg, uncertainty: std, cgIterations: 10 });
      const e = await error(res.model, mTrue);
      res.model.dispose();
      reg.dispose();
      return [e, res];
    };
    const [e2, l2] = await run();
    const [etv, tv] = await run({ epsilon: 0.05 });
    for (const r of [l2, tv]) expect(r.stopReason).toBe('targetMisfit');
    // Measured 0.20 (l2) against 0.063 (TV) with the default seed.
    expect(etv).toBeLessThan(0.7 * e2);
    dObs.dispose();
    lin.dispose();
  });

  it('L-BFGS reaches the objective value GN reaches at a fixed beta', async () => {
    const g = rng();
    const std = 0.1;
    const { lin, dObs } = problem(g, blockModel(10, 8, 1, [2, 6, 3, 7]), std);
    const reg = tl.regularization(mesh, { alphaS: 0.1 });
    // A fixed beta, no cooling, an unreachable target: both minimize one quadratic.
    const common = { regularization: reg, uncertainty: std, beta0: 1, coolingFactor: 1, chiFactor: 1e-6, maxIterations: 3 };
    const phi = (r: tl.InvertResult): number => r.history[r.history.length - 1]!.phi;
    const gn = await tl.invert(lin.sim, dObs, { ...common, cgIterations: 60, cgTolerance: 0 });
    const lb = await tl.invert(lin.sim, dObs, { ...common, method: 'lbfgs', lbfgs: { iterations: 20, history: 10 } });
    // 60 L-BFGS steps on this quadratic: phi agrees to 6e-7 and the models to 6e-4 (default seed); 1e-4 and 1e-2 leave margin.
    expect(Math.abs(phi(lb) / phi(gn) - 1)).toBeLessThan(1e-4);
    expect(relL2(await values(lb.model), await values(gn.model))).toBeLessThan(1e-2);
    for (const t of [dObs, gn.model, lb.model]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('bounds hold by projection, and cgCheckEvery stops CG early at its tolerance', async () => {
    const g = rng();
    const std = 0.05;
    const { lin, dObs } = problem(g, blockModel(10, 8, 1, [2, 6, 3, 7]), std);
    const reg = tl.regularization(mesh, { alphaS: 0.01 });
    let jvecs = 0;
    const counted: tl.Simulation = { ...lin.sim, Jvec: (m, v) => (jvecs++, lin.sim.Jvec(m, v)) };
    const common = { regularization: reg, uncertainty: std, beta0: 0.1, maxIterations: 1, cgIterations: 40 };
    const free = await tl.invert(counted, dObs, common);
    const freeJvecs = jvecs;
    jvecs = 0;
    const bounded = await tl.invert(counted, dObs, { ...common, lower: 0, upper: 0.75, cgCheckEvery: 4 });
    const [mf, mb] = [await values(free.model), await values(bounded.model)];
    // Unbounded, the smooth model undershoots 0 and overshoots 0.75 somewhere (0.75 is exact in float32); bounded, it does not.
    expect(Math.min(...mf)).toBeLessThan(0);
    expect(Math.max(...mf)).toBeGreaterThan(0.75);
    expect(Math.min(...mb)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...mb)).toBeLessThanOrEqual(0.75);
    // 40 fixed steps against an early exit once |r| <= 0.1 |b| (checked every 4).
    expect(freeJvecs).toBe(40);
    expect(jvecs % 4).toBe(0);
    expect(jvecs).toBeLessThan(40);
    expect(bounded.history[1]!.cgResidual).toBeLessThanOrEqual(0.1);
    for (const t of [dObs, free.model, bounded.model]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('without regularization (all alphas 0, beta0 0, no jtjDiagonal) GN fits the data; a NaN start is an error', async () => {
    const g = rng();
    const std = 0.05;
    const { lin, dObs } = problem(g, blockModel(10, 8, 1, [2, 6, 3, 7]), std);
    const sim = { ...lin.sim, jtjDiagonal: undefined };
    const reg = tl.regularization(mesh, { alphaS: 0, alphaX: 0, alphaZ: 0 });
    const res = await tl.invert(sim, dObs, { regularization: reg, uncertainty: std, beta0: 0, maxIterations: 3 });
    // 40 data, 80 unknowns: an unregularized GN step fits them to the target at once.
    expect(res.stopReason, res.message).toBe('targetMisfit');
    expect(res.history[res.history.length - 1]!.chi).toBeLessThanOrEqual(1);
    const nan = { ...lin.sim, dpred: async () => tl.full([40], NaN) };
    await expect(tl.invert(nan, dObs, { regularization: reg, beta0: 0 })).rejects.toThrow(
      /invert\(sim, dObs, opts\): sim.dpred\(m0\): expected a finite data misfit and model objective at the starting model, got phi_d = NaN/,
    );
    for (const t of [dObs, res.model]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('sensitivity weights are sqrt(diag(J^T W^T W J)) / area, floored and normalized by the maximum', async () => {
    const g = rng();
    const nData = 20;
    const lin = linearSimulation(g, nData, n);
    const std = T(Array.from({ length: nData }, () => 0.5 + g.next()));
    const stdH = await values(std);
    const reg = tl.regularization({ ...mesh, hx: [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1] });
    const zero = T(new Float64Array(nData));
    const res = await tl.invert(lin.sim, zero, { regularization: reg, uncertainty: std, sensitivityWeighting: true, maxIterations: 0 });
    const w = Float64Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let i = 0; i < nData; i++) s += (lin.G[i * n + j]! / stdH[i]!) ** 2;
      return Math.sqrt(s) / [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1][j % 10]!;
    });
    const top = Math.max(...w);
    const weights = reg.weights!;
    // float32 sums of 20 squares and a square root: ~1e-6.
    expect(
      relL2(
        await values(weights),
        w.map((x) => Math.max(x, 1e-12 * top) / top),
      ),
    ).toBeLessThan(1e-5);
    // A jtjDiagonal of m alone (diag(J^T J)) serves a uniform std, and is refused for a per-datum one.
    const oneArg = {
      ...lin.sim,
      jtjDiagonal: async (_m: tl.Tensor) => tl.tidy(() => tl.reshape(tl.sum(tl.square(T(lin.G, [nData, n])), 0), [n])),
    };
    const uniform = await tl.invert(oneArg, zero, { regularization: reg, uncertainty: 0.5, sensitivityWeighting: true, maxIterations: 0 });
    const w1 = reg.weights!;
    const u = Float64Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let i = 0; i < nData; i++) s += lin.G[i * n + j]! ** 2;
      return Math.sqrt(s) / [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1][j % 10]!;
    });
    expect(
      relL2(
        await values(w1),
        u.map((x) => x / Math.max(...u)),
      ),
    ).toBeLessThan(1e-5);
    await expect(tl.invert(oneArg, zero, { regularization: reg, uncertainty: std, sensitivityWeighting: true })).rejects.toThrow(
      /sim.jtjDiagonal: expected a function \(m, dataWeights\) => diag\(J\^T diag\(w\)\^2 J\), since opts.uncertainty varies per datum, got a function of one argument/,
    );
    for (const t of [std, zero, weights, res.model, uniform.model, w1]) t.dispose();
    reg.dispose();
    lin.dispose();
  });

  it('bad input: unknown options with suggestions, wrong shapes and values, each naming the function and argument', async () => {
    const g = rng();
    const lin = linearSimulation(g, 6, n);
    const d = T(new Float64Array(6));
    const reg = tl.regularization(mesh);
    const rejects = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
      await expect(p).rejects.toThrow(re);
    };
    await rejects(
      tl.invert(lin.sim, d, { maxIteration: 3 } as never),
      /invert\(sim, dObs, opts\): unknown option 'maxIteration' \(did you mean 'maxIterations'\?\)/,
    );
    await rejects(
      tl.invert(lin.sim, d, { irls: { percentil: 90 } } as never),
      /unknown option 'percentil' \(did you mean 'percentile'\?\)/,
    );
    const d7 = T(new Float64Array(7));
    await rejects(
      tl.invert(lin.sim, d7),
      /invert\(sim, dObs, opts\): dObs: expected a float32 tensor with sim.nData = 6 elements, got a float32 tensor of shape \[7\]/,
    );
    const m0 = T(new Float64Array(5));
    await rejects(
      tl.invert(lin.sim, d, { m0 }),
      /opts.m0: expected a float32 tensor with 80 elements \(the model size\), got a float32 tensor of shape \[5\]/,
    );
    const small = tl.regularization({ nx: 2, nz: 2, hx: [1, 1], hz: [1, 1] });
    await rejects(
      tl.invert(lin.sim, d, { regularization: small }),
      /opts.regularization: expected a regularization on 80 cells \(sim.nModel\), got one on 4 cells/,
    );
    await rejects(tl.invert(lin.sim, d, { uncertainty: -1 }), /opts.uncertainty: expected a finite std > 0/);
    const std0 = T([1, 1, 0, 1, 1, 1]);
    await rejects(
      tl.invert(lin.sim, d, { uncertainty: std0 }),
      /opts.uncertainty: expected standard deviations that are all > 0, got a smallest entry of 0/,
    );
    await rejects(tl.invert(lin.sim, d, { method: 'newton' as never }), /opts.method: expected 'gauss-newton' or 'lbfgs', got "newton"/);
    await rejects(tl.invert(lin.sim, d, { coolingRate: 0 }), /opts.coolingRate: expected an integer >= 1, got 0/);
    await rejects(tl.invert({ ...lin.sim, Jtvec: undefined } as never, d), /sim.Jtvec: expected a function/);
    await rejects(
      tl.invert({ ...lin.sim, jtjDiagonal: undefined }, d, { sensitivityWeighting: true }),
      /sim.jtjDiagonal: expected a function \(sensitivityWeighting needs/,
    );
    const wrong = { ...lin.sim, dpred: async () => tl.zeros([5]) };
    await rejects(
      tl.invert(wrong, d),
      /sim.dpred\(m\) \(its result\): expected a float32 tensor with sim.nData = 6 elements, got a float32 tensor of shape \[5\]/,
    );
    expect(() => tl.regularization({ nx: 3, nz: 2, hx: [1, 1], hz: [1, 1] })).toThrow(
      /regularization\(mesh, opts\): mesh.hx: expected an array of 3 cell widths/,
    );
    expect(() => tl.regularization({ nx: 2, nz: 2, hx: [1, -1], hz: [1, 1] })).toThrow(/mesh.hx\[1\]: expected a finite width > 0, got -1/);
    expect(() => tl.regularization(mesh, { alphaSS: 1 } as never)).toThrow(/unknown option 'alphaSS' \(did you mean 'alphaS'\?\)/);
    expect(() => tl.regularization(mesh, { norms: { s: 3 } })).toThrow(/opts.norms.s: expected a number in \[0, 2\], got 3/);
    expect(() => tl.regularization(mesh, { norms: { x: 1 }, tv: { epsilon: 0.1 } })).toThrow(
      /opts.norms: expected no sparse x\/z norms together with opts.tv/,
    );
    expect(() => reg.value(d)).toThrow(/value\(m\): m: expected a float32 tensor with 80 elements/);
    for (const t of [d, d7, m0, std0]) t.dispose();
    for (const r of [reg, small]) r.dispose();
    lin.dispose();
  });
});
