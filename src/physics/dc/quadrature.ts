// The ky quadrature of 2.5D DC resistivity, fitted as SimPEG does. The space-domain potential is
// phi(x, y = 0, z) = (1/pi) int_0^inf phi~(x, ky, z) dky, and for a point source phi~ ~ K0(ky r),
// whose integral over ky is pi / (2 r). So points k_i and weights g_i with
// sum_i g_i r K0(k_i r) ~ 1 over the distances r of the mesh give phi ~ sum_i (g_i / 2) phi~(k_i).
// For given points the g_i are a linear least-squares fit (Householder QR in float64); the points
// (as log10 k) are optimized by Levenberg-Marquardt on that variable-projection residual, starting
// from log10 k spread evenly over [-log10 rMax, -log10 rMin] as SimPEG's initial guess does.
import { argError } from '../../graph/options.js';
import { besselK0 } from './bessel.js';

export interface KyQuadrature {
  /** Wavenumbers ky (1/m), ascending. */
  points: Float64Array;
  /** Weights w_i = g_i / 2: phi = sum_i w_i phi~(k_i). */
  weights: Float64Array;
  /** The fitting range of distances (m) and the 100 log-spaced distances used. */
  rMin: number;
  rMax: number;
  /** max_r |sum_i g_i r K0(k_i r) - 1| over the fitting distances. */
  maxError: number;
  /** RMS of the same over the fitting distances. */
  rmsError: number;
}

export interface KyQuadratureOptions {
  /** Smallest and largest distance (m) to fit. SimPEG: smallest cell / 4 and 4 x the mesh extent. */
  rMin: number;
  rMax: number;
  /** Number of wavenumbers, at least 3. Default 11. */
  n?: number;
  /** Number of log-spaced fitting distances. Default 100. */
  nr?: number;
}

function design(r: Float64Array, logk: Float64Array): Float64Array[] {
  // Column-major: A[j][i] = r_i K0(k_j r_i).
  return Array.from(logk, (lk) => {
    const k = 10 ** lk;
    return Float64Array.from(r, (ri) => {
      const x = k * ri;
      return x > 700 ? 0 : ri * besselK0(x); // K0 underflows beyond ~700
    });
  });
}

/** Least squares min ||A g - b|| by Householder QR (A given by columns); returns g. */
export function leastSquares(cols: Float64Array[], b: Float64Array): Float64Array {
  const n = cols.length;
  const m = b.length;
  const a = cols.map((c) => Float64Array.from(c));
  const y = Float64Array.from(b);
  const rdiag = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const cj = a[j]!;
    let norm = 0;
    for (let i = j; i < m; i++) norm += cj[i]! * cj[i]!;
    norm = Math.sqrt(norm);
    const alpha = cj[j]! > 0 ? -norm : norm;
    rdiag[j] = alpha;
    if (norm === 0) continue;
    // v = x - alpha e1, stored in cj[j..]
    cj[j] = cj[j]! - alpha;
    let vv = 0;
    for (let i = j; i < m; i++) vv += cj[i]! * cj[i]!;
    if (vv === 0) continue;
    const apply = (w: Float64Array): void => {
      let d = 0;
      for (let i = j; i < m; i++) d += cj[i]! * w[i]!;
      const f = (2 * d) / vv;
      for (let i = j; i < m; i++) w[i] = w[i]! - f * cj[i]!;
    };
    for (let k = j + 1; k < n; k++) apply(a[k]!);
    apply(y);
  }
  const g = new Float64Array(n);
  for (let j = n - 1; j >= 0; j--) {
    let s = y[j]!;
    for (let k = j + 1; k < n; k++) s -= a[k]![j]! * g[k]!;
    g[j] = rdiag[j] === 0 ? 0 : s / rdiag[j]!;
  }
  return g;
}

function residual(r: Float64Array, logk: Float64Array): { res: Float64Array; g: Float64Array } {
  const cols = design(r, logk);
  const ones = new Float64Array(r.length).fill(1);
  const g = leastSquares(cols, ones);
  const res = new Float64Array(r.length).fill(1);
  cols.forEach((c, j) => c.forEach((v, i) => (res[i] = res[i]! - g[j]! * v)));
  return { res, g };
}

const norm2 = (v: Float64Array): number => v.reduce((s, x) => s + x * x, 0);

/** Solves the n x n SPD-ish system M x = b by Gaussian elimination with partial pivoting. */
function solveSmall(M: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const a = M.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(a[i]![c]!) > Math.abs(a[p]![c]!)) p = i;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let i = c + 1; i < n; i++) {
      const f = a[i]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[i]![k] = a[i]![k]! - f * a[c]![k]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i]![n]!;
    for (let k = i + 1; k < n; k++) s -= a[i]![k]! * x[k]!;
    x[i] = s / a[i]![i]!;
  }
  return x;
}

/** Fits n wavenumbers and weights so that sum_i g_i r K0(k_i r) ~ 1 for r in [rMin, rMax] (float64, host). */
export function kyQuadrature(opts: KyQuadratureOptions): KyQuadrature {
  const fn = 'kyQuadrature';
  const { rMin, rMax, n = 11, nr = 100 } = opts;
  if (!(rMin > 0) || !Number.isFinite(rMin)) throw argError(fn, 'opts.rMin', 'a positive finite number', rMin, RangeError);
  if (!(rMax > rMin) || !Number.isFinite(rMax)) throw argError(fn, 'opts.rMax', `a finite number > rMin (${rMin})`, rMax, RangeError);
  if (!Number.isInteger(n) || n < 3 || n > 40) throw argError(fn, 'opts.n', 'an integer in [3, 40]', n, RangeError);
  if (!Number.isInteger(nr) || nr < 2 * n) throw argError(fn, 'opts.nr', `an integer >= 2 n (${2 * n})`, nr, RangeError);
  const [l0, l1] = [Math.log10(rMin), Math.log10(rMax)];
  const r = Float64Array.from({ length: nr }, (_, i) => 10 ** (l0 + ((l1 - l0) * i) / (nr - 1)));
  let logk = Float64Array.from({ length: n }, (_, j) => -l1 + ((l1 - l0) * j) / (n - 1));
  let cur = residual(r, logk);
  let f = norm2(cur.res);
  let lambda = 1e-3;
  const step = 1e-6;
  for (let iter = 0; iter < 300 && lambda < 1e12; iter++) {
    // Forward-difference Jacobian of the residual in log10 k (the g_i are re-fitted: variable projection).
    const J = Array.from(logk, (_, j) => {
      const p = Float64Array.from(logk);
      p[j] = p[j]! + step;
      const rp = residual(r, p).res;
      return Float64Array.from(rp, (v, i) => (v - cur.res[i]!) / step);
    });
    const JtJ = J.map((a) => J.map((b) => a.reduce((s, v, i) => s + v * b[i]!, 0)));
    const Jtr = Float64Array.from(J, (a) => a.reduce((s, v, i) => s + v * cur.res[i]!, 0));
    let accepted = false;
    while (!accepted && lambda < 1e12) {
      const M = JtJ.map((row, i) => Float64Array.from(row, (v, k) => (i === k ? v * (1 + lambda) + 1e-300 : v)));
      const d = solveSmall(M, Jtr);
      // Wavenumbers far outside [1 / rMax, 1 / rMin] / 1000 cannot help the fit; keeping them
      // there keeps K0's argument away from 0 and from underflow.
      const trial = Float64Array.from(logk, (v, j) => Math.min(-l0 + 3, Math.max(-l1 - 3, v - d[j]!)));
      const next = residual(r, trial);
      const fn2 = norm2(next.res);
      if (Number.isFinite(fn2) && fn2 < f) {
        const gain = (f - fn2) / f;
        [logk, cur, f] = [trial, next, fn2];
        lambda = Math.max(lambda / 3, 1e-12);
        accepted = true;
        if (gain < 1e-10) lambda = 1e12; // converged
      } else lambda *= 4;
    }
  }
  const order = Array.from(logk, (_, j) => j).sort((a, b) => logk[a]! - logk[b]!);
  const points = Float64Array.from(order, (j) => 10 ** logk[j]!);
  const weights = Float64Array.from(order, (j) => cur.g[j]! / 2);
  let maxError = 0;
  for (const v of cur.res) maxError = Math.max(maxError, Math.abs(v));
  return { points, weights, rMin, rMax, maxError, rmsError: Math.sqrt(f / nr) };
}
