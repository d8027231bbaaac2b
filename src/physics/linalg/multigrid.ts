// A smoothed-aggregation multigrid V-cycle as a PCG preconditioner for operators on a structured
// [nz, nx] grid of cells (tensor-mesh finite volumes). The hierarchy is built on the host in
// float64 from the assembled matrix: aggregates of 2x2 cells, the tentative prolongation P0 (one
// per aggregate) smoothed by a damped-Jacobi step, P = (I - w D^-1 A) P0, Galerkin coarse operators
// A_c = P^T A P, down to a coarsest level solved by a dense inverse. Applying it records damped
// Jacobi smoothing (one sweep before and one after, so the cycle is symmetric, as PCG needs) and
// sparse products on the GPU: ~10 dispatches a level, no read-back.
//
// Jacobi PCG needs O(sqrt(condition number)) iterations, which grows with the mesh side; a V-cycle
// keeps the count nearly flat (test/pcg.test.ts and bench/ measure both).
import { type Tensor, keep } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { checkCsr, type CsrMatrix, sparseMatrix } from '../../ops/sparse.js';
import { add, matmul, mul, reshape, sub } from '../../autodiff/ops.js';
import { spmv } from '../../autodiff/sparse.js';

interface HostCsr {
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float64Array;
}

/** Rows given as column -> value maps, to CSR (columns sorted). */
function fromRows(rows: Map<number, number>[], cols: number): HostCsr {
  const rowPtr = new Int32Array(rows.length + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  rows.forEach((row, r) => {
    for (const c of [...row.keys()].sort((a, b) => a - b)) {
      colIdx.push(c);
      values.push(row.get(c)!);
    }
    rowPtr[r + 1] = colIdx.length;
  });
  return { rows: rows.length, cols, rowPtr, colIdx: Int32Array.from(colIdx), values: Float64Array.from(values) };
}

function diagonalOf(a: HostCsr): Float64Array {
  const d = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) if (a.colIdx[k] === r) d[r] = d[r]! + a.values[k]!;
  return d;
}

/** a * b, both host CSR. */
function product(a: HostCsr, b: HostCsr): HostCsr {
  const rows: Map<number, number>[] = [];
  for (let r = 0; r < a.rows; r++) {
    const acc = new Map<number, number>();
    for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) {
      const j = a.colIdx[k]!;
      const v = a.values[k]!;
      for (let q = b.rowPtr[j]!; q < b.rowPtr[j + 1]!; q++) acc.set(b.colIdx[q]!, (acc.get(b.colIdx[q]!) ?? 0) + v * b.values[q]!);
    }
    rows.push(acc);
  }
  return fromRows(rows, b.cols);
}

function transposed(a: HostCsr): HostCsr {
  const rows = Array.from({ length: a.cols }, () => new Map<number, number>());
  for (let r = 0; r < a.rows; r++) for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) rows[a.colIdx[k]!]!.set(r, a.values[k]!);
  return fromRows(rows, a.rows);
}

/** Gershgorin bound on the spectral radius of D^-1 A. */
function jacobiRadius(a: HostCsr, d: Float64Array): number {
  let rho = 0;
  for (let r = 0; r < a.rows; r++) {
    let s = 0;
    for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) s += Math.abs(a.values[k]!);
    rho = Math.max(rho, s / d[r]!);
  }
  return rho;
}

/** Dense inverse by Gauss-Jordan with partial pivoting, float64 (coarsest level, n <= a few hundred). */
function denseInverse(a: HostCsr): Float64Array {
  const n = a.rows;
  const m = new Float64Array(n * 2 * n);
  for (let r = 0; r < n; r++) {
    for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) m[r * 2 * n + a.colIdx[k]!] = a.values[k]!;
    m[r * 2 * n + n + r] = 1;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * 2 * n + c]!) > Math.abs(m[p * 2 * n + c]!)) p = r;
    if (!(Math.abs(m[p * 2 * n + c]!) > 0))
      throw new Error('tellus: multigridPreconditioner: the coarsest operator is singular (is A positive definite?)');
    for (let j = 0; j < 2 * n; j++) [m[c * 2 * n + j], m[p * 2 * n + j]] = [m[p * 2 * n + j]!, m[c * 2 * n + j]!];
    const pivot = m[c * 2 * n + c]!;
    for (let j = 0; j < 2 * n; j++) m[c * 2 * n + j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * 2 * n + c]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r * 2 * n + j]! -= f * m[c * 2 * n + j]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let r = 0; r < n; r++) inv.set(m.subarray(r * 2 * n + n, (r + 1) * 2 * n), r * n);
  return inv;
}

const upload = (a: HostCsr): CsrMatrix => {
  const ri = new Int32Array(a.colIdx.length);
  for (let r = 0; r < a.rows; r++) ri.fill(r, a.rowPtr[r], a.rowPtr[r + 1]);
  return sparseMatrix(a.rows, a.cols, { rows: ri, cols: a.colIdx, values: a.values });
};

interface Level {
  A: CsrMatrix;
  /** omega / diag(A), float32 [n]. */
  smooth: Tensor;
  /** Prolongation to this level from the next coarser one, and its transpose. */
  P: CsrMatrix;
  R: CsrMatrix;
}

export interface MultigridOptions {
  /** The grid of unknowns, [nz, nx] (row-major, x fastest): aggregates are 2x2 blocks of it. */
  shape: [number, number];
  /** Stop coarsening at this many unknowns or fewer (default 200); solved by a dense inverse. */
  coarsest?: number;
}
const MG_OPTIONS = optionNames<MultigridOptions>()('shape', 'coarsest');

export interface MultigridPreconditioner {
  /** z = M^-1 r for r [n] or [B, n]: one V-cycle. Pass as PCG's `preconditioner`. */
  apply: (r: Tensor) => Tensor;
  /** Unknowns per level, finest first. */
  sizes: number[];
  /** Stored entries of all levels' operators over the finest one's (the operator complexity). */
  complexity: number;
  dispose(): void;
}

/**
 * Builds a smoothed-aggregation V-cycle for A (symmetric positive definite, assembled as a CSR
 * matrix on an [nz, nx] grid of unknowns), as a preconditioner for tl.pcg / tl.solveSpd.
 */
export function multigridPreconditioner(Ain: CsrMatrix, opts: MultigridOptions): MultigridPreconditioner {
  const what = 'multigridPreconditioner(A, opts)';
  const A0 = checkCsr(Ain, what, 'A');
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an options object { shape: [nz, nx] }', opts);
  checkOptions(opts, MG_OPTIONS, what);
  const s = opts.shape as unknown;
  if (
    !Array.isArray(s) ||
    s.length !== 2 ||
    !s.every((v) => Number.isInteger(v) && v > 0) ||
    s[0] * s[1] !== A0.rows ||
    A0.rows !== A0.cols
  )
    throw argErrorText(
      what,
      'opts.shape',
      `[nz, nx] with nz * nx = ${A0.rows} (A must be square)`,
      JSON.stringify(s) + ` for A ${A0.rows}x${A0.cols}`,
      Error,
    );
  const coarsest = opts.coarsest ?? 200;
  if (!Number.isInteger(coarsest) || coarsest < 1) throw argError(what, 'opts.coarsest', 'an integer >= 1', coarsest, RangeError);

  const levels: Level[] = [];
  let [nz, nx] = s as [number, number];
  let a: HostCsr = { rows: A0.rows, cols: A0.cols, ...A0.host };
  let gpuA = A0;
  while (a.rows > coarsest && (nz > 1 || nx > 1)) {
    const d = diagonalOf(a);
    const bad = d.findIndex((v) => !(v > 0));
    if (bad >= 0) throw argErrorText(what, 'A', 'a positive diagonal (A symmetric positive definite)', `${d[bad]} at row ${bad}`, Error);
    const [cz, cx] = [Math.ceil(nz / 2), Math.ceil(nx / 2)];
    // Tentative prolongation: each cell belongs to its 2x2 aggregate.
    const agg = (i: number): number => Math.floor(Math.floor(i / nx) / 2) * cx + Math.floor((i % nx) / 2);
    const omega = 4 / (3 * jacobiRadius(a, d));
    // P = (I - omega D^-1 A) P0, row by row.
    const pRows: Map<number, number>[] = [];
    for (let r = 0; r < a.rows; r++) {
      const row = new Map<number, number>([[agg(r), 1]]);
      for (let k = a.rowPtr[r]!; k < a.rowPtr[r + 1]!; k++) {
        const c = agg(a.colIdx[k]!);
        row.set(c, (row.get(c) ?? 0) - (omega * a.values[k]!) / d[r]!);
      }
      pRows.push(row);
    }
    const P = fromRows(pRows, cz * cx);
    const R = transposed(P);
    const coarse = product(R, product(a, P));
    levels.push({ A: gpuA, smooth: keep(tensor(Float32Array.from(d, (v) => omega / v))), P: upload(P), R: upload(R) });
    a = coarse;
    gpuA = upload(a);
    [nz, nx] = [cz, cx];
  }
  const inverse = keep(tensor(Float32Array.from(denseInverse(a)), { shape: [a.rows, a.rows] }));
  const sizes = [...levels.map((l) => l.A.rows), a.rows];
  const nnz = [...levels.map((l) => l.A.nnz), gpuA.nnz];
  const complexity = nnz.reduce((t, v) => t + v, 0) / nnz[0]!;

  const cycle = (k: number, r: Tensor): Tensor => {
    if (k === levels.length) return matmul(r, inverse); // the inverse is symmetric
    const { A, smooth, P, R } = levels[k]!;
    const x1 = mul(r, smooth);
    const res = sub(r, spmv(A, x1));
    const x2 = add(x1, spmv(P, cycle(k + 1, spmv(R, res))));
    return add(x2, mul(sub(r, spmv(A, x2)), smooth));
  };
  return {
    apply: (r) => {
      if (r.rank === 1) return reshape(cycle(0, reshape(r, [1, -1])), [-1]);
      return cycle(0, r);
    },
    sizes,
    complexity,
    dispose: () => {
      for (const l of levels) {
        if (l.A !== A0) l.A.dispose();
        l.smooth.dispose();
        l.P.dispose();
        l.R.dispose();
      }
      if (gpuA !== A0) gpuA.dispose();
      inverse.dispose();
    },
  };
}
