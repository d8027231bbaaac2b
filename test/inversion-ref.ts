// Float64 references for the inversion tests (test/regularization.test.ts, test/inversion.test.ts):
// dense difference operators and the model objective built from them on any small mesh, and a
// linear forward problem d = G m (a seeded Gaussian matrix on the GPU with its float64 copy).
import * as tl from '../src/index.js';
import type { Gen } from './helpers.js';

export const T = (v: ArrayLike<number>, shape?: number[]): tl.Tensor => tl.tensor(Float32Array.from(v), shape ? { shape } : {});
export const f32 = (v: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(v));
export const values = async (t: tl.Tensor): Promise<Float64Array> => Float64Array.from(await t.data());

export function normals(g: Gen, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next());
  return out;
}

// ---------- float64 reference of the model objective: dense operators per term ----------

export interface Mesh {
  nx: number;
  nz: number;
  hx: number[];
  hz: number[];
}

/** A dense matrix (rows x n) as row arrays. */
export type Dense = Float64Array[];

export const apply = (A: Dense, v: ArrayLike<number>): Float64Array =>
  Float64Array.from(A, (row) => row.reduce((s, a, j) => s + a * v[j]!, 0));
export const applyT = (A: Dense, y: ArrayLike<number>, n: number): Float64Array => {
  const out = new Float64Array(n);
  A.forEach((row, i) => row.forEach((a, j) => (out[j]! += a * y[i]!)));
  return out;
};

/** Smallness, x and z first differences (divided by centre distances) and the Laplacian, each with its per-row area weight. */
export function referenceTerms(mesh: Mesh, cellW: ArrayLike<number>): Record<'s' | 'x' | 'z' | 'laplacian', { A: Dense; c: Float64Array }> {
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

export interface RefOpts {
  alpha: { s: number; x: number; z: number; laplacian: number };
  ref: ArrayLike<number>;
  cellW: ArrayLike<number>;
  /** Per-term row weights (IRLS), default 1. */
  r?: Partial<Record<'s' | 'x' | 'z', Float64Array>>;
}

/** phi_m, its gradient and its Hessian (dense, n x n), float64. */
export function referenceObjective(mesh: Mesh, o: RefOpts, m: ArrayLike<number>): { phi: number; grad: Float64Array; H: Dense } {
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

// ---------- a linear forward problem d = G m: a seeded Gaussian matrix on the GPU and its float64 copy ----------

export interface Linear {
  sim: tl.Simulation;
  G: Float64Array; // row-major nData x nModel, float32-rounded
  dispose(): void;
}

export function linearSimulation(g: Gen, nData: number, nModel: number): Linear {
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

export const matvec = (G: Float64Array, rows: number, x: ArrayLike<number>): Float64Array => {
  const n = x.length;
  return Float64Array.from({ length: rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += G[i * n + j]! * x[j]!;
    return s;
  });
};

/** Largest eigenvalue of a dense symmetric PSD matrix by 2000 float64 power steps. */
export function lambdaMax(H: Dense): number {
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
export function solveDense(A: Dense, b: ArrayLike<number>): Float64Array {
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
export function dataHessian(G: Float64Array, nData: number, nModel: number, std: number): Dense {
  return Array.from({ length: nModel }, (_, p) =>
    Float64Array.from({ length: nModel }, (_, q) => {
      let s = 0;
      for (let i = 0; i < nData; i++) s += G[i * nModel + p]! * G[i * nModel + q]!;
      return (2 * s) / (std * std);
    }),
  );
}

/** A blocky model on a nx x nz mesh: background 0, one rectangle of `value`. */
export function blockModel(nx: number, nz: number, value: number, [i0, i1, j0, j1]: number[]): Float64Array {
  return Float64Array.from({ length: nx * nz }, (_, k) => {
    const [i, j] = [Math.floor(k / nx), k % nx];
    return i >= i0! && i < i1! && j >= j0! && j < j1! ? value : 0;
  });
}
