// Small dense linear algebra on the host in float64 for the randomized SVD (nfinv/svd.ts) and
// eigensolver (jifno/eigs.ts): vectors are Float64Arrays of one length, a "matrix" is a list of
// its columns.
import { Rng } from './pinn/sampling.js';

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** b -= c a. */
const axpy = (b: Float64Array, c: number, a: Float64Array): void => {
  for (let i = 0; i < a.length; i++) b[i] = b[i]! - c * a[i]!;
};

/**
 * Thin QR by classical Gram-Schmidt applied twice (CGS2: orthogonal to ~machine precision, as
 * Householder, for any conditioning short of rank loss). Returns Q (columns, orthonormal) and R
 * (upper triangular, row-major l x l). A column that vanishes (rank deficiency) is replaced by a
 * seeded random direction orthogonal to the others, with a zero in R.
 */
export function qr(cols: readonly Float64Array[], seed = 0): { Q: Float64Array[]; R: Float64Array } {
  const l = cols.length;
  const R = new Float64Array(l * l);
  const Q: Float64Array[] = [];
  const rng = new Rng(seed);
  for (let j = 0; j < l; j++) {
    const v = Float64Array.from(cols[j]!);
    const norm0 = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++)
      for (let i = 0; i < j; i++) {
        const c = dot(Q[i]!, v);
        R[i * l + j] = R[i * l + j]! + c;
        axpy(v, c, Q[i]!);
      }
    let norm = Math.sqrt(dot(v, v));
    if (!(norm > 1e-12 * norm0) || norm0 === 0) {
      for (let i = 0; i < v.length; i++) v[i] = rng.normal();
      for (let pass = 0; pass < 2; pass++) for (let i = 0; i < j; i++) axpy(v, dot(Q[i]!, v), Q[i]!);
      norm = Math.sqrt(dot(v, v));
      R[j * l + j] = 0;
    } else R[j * l + j] = norm;
    for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
    Q.push(v);
  }
  return { Q, R };
}

/**
 * SVD of a small square matrix A (row-major n x n) by one-sided Jacobi (Hestenes): rotate column
 * pairs of A until all are orthogonal; then A V = U S. Works on A directly (not A^T A), so small
 * singular values keep their relative accuracy. Returns singular values descending, U's columns.
 */
export function smallSvd(A: Float64Array, n: number): { s: Float64Array; U: Float64Array[] } {
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => A[i * n + j]!));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const [a, b] = [cols[p]!, cols[q]!];
        const alpha = dot(a, a);
        const beta = dot(b, b);
        const gamma = dot(a, b);
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < n; i++) {
          const [x, y] = [a[i]!, b[i]!];
          a[i] = c * x - s * y;
          b[i] = s * x + c * y;
        }
      }
    if (off <= 1e-15) break;
  }
  const norms = cols.map((c) => Math.sqrt(dot(c, c)));
  const order = norms.map((_, i) => i).sort((i, j) => norms[j]! - norms[i]!);
  return {
    s: Float64Array.from(order, (i) => norms[i]!),
    U: order.map((i) => cols[i]!.map((v) => (norms[i]! > 0 ? v / norms[i]! : 0))),
  };
}
