// Euclidean projection onto the anisotropic total-variation ball { m : ||D m||_1 <= tau } (the
// JI-FNO paper's inversion constraint, issue 20), D the forward differences inside the grid
// (m[i+1, j] - m[i, j] and m[i, j+1] - m[i, j], no boundary terms). On the host in float64: the
// problem is small next to the surrogate's forward pass, and float64 makes the optimality
// certificate below trustworthy at tight tolerances.
//
// Method: FISTA with gradient restart on the Fenchel dual
//   min_q 1/2 ||D^T q - x||^2 + tau ||q||_inf,   primal m = x - D^T q,
// whose prox is a clip at the threshold of an l1-ball projection (Michelot 1986; Condat 2016).
// Every checkEvery iterations the primal m is made exactly feasible by scaling it toward its mean
// (D^T q sums to zero, so the mean is x's; TV scales linearly), and the duality gap of that
// feasible point bounds its distance to the true projection: ||m - P(x)|| <= sqrt(2 gap)
// (the objective 1/2 ||m - x||^2 is 1-strongly convex). Converged when that bound is at most
// tol * ||m - x||.
import type { Tensor } from '../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { tensor } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';

export interface TvProjectionOptions {
  /**
   * Relative accuracy: stop when the certified distance to the exact projection is <= tol * ||m - x||.
   * Default 1e-4. Below ~1e-6 it may not be certifiable: the bound is the square root of a float64
   * duality gap between terms of size tau ||q||_inf >= ||m - x||^2, so rounding alone leaves
   * ~1e-7 of the distance, more when x lies just outside the ball.
   */
  tol?: number;
  /** Iteration cap of the dual FISTA. Default 5000. */
  maxIterations?: number;
  /** Iterations between certificate checks. Default 10. */
  checkEvery?: number;
  /** A dual iterate to start from (a previous result's `dual`), e.g. across an inversion's iterations. */
  dual?: Float64Array;
}
const TV_OPTIONS = optionNames<TvProjectionOptions>()('tol', 'maxIterations', 'checkEvery', 'dual');

export interface TvProjectionValues {
  /** The projection, float64 row-major [nz, nx]: ||D values||_1 <= tau up to float64 rounding. */
  values: Float64Array;
  /** Whether the certificate reached tol (true also when x was already feasible). */
  converged: boolean;
  /** Dual iterations run (0 when x was feasible). */
  iterations: number;
  /** Certified bound on the distance from `values` to the exact projection (0 when x was feasible). */
  errorBound: number;
  /** ||values - x||. */
  distance: number;
  /** ||D values||_1. */
  tv: number;
  /**
   * The dual iterate q that certifies `values` ([(nz - 1) nx vertical, then nz (nx - 1) horizontal
   * differences]), for warm starts.
   */
  dual: Float64Array;
}

/** Anisotropic TV ||D m||_1 of m [nz, nx] row-major, forward differences inside the grid. */
export function totalVariation(m: ArrayLike<number>, nz: number, nx: number): number {
  let s = 0;
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      const v = m[i * nx + j]!;
      if (i + 1 < nz) s += Math.abs(m[(i + 1) * nx + j]! - v);
      if (j + 1 < nx) s += Math.abs(m[i * nx + j + 1]! - v);
    }
  return s;
}

/** out = D m: vertical differences first ([(nz - 1) * nx]), then horizontal ([nz * (nx - 1)]). */
function diff(m: Float64Array, nz: number, nx: number, out: Float64Array): void {
  const nv = (nz - 1) * nx;
  for (let i = 0; i + 1 < nz; i++) for (let j = 0; j < nx; j++) out[i * nx + j] = m[(i + 1) * nx + j]! - m[i * nx + j]!;
  for (let i = 0; i < nz; i++) for (let j = 0; j + 1 < nx; j++) out[nv + i * (nx - 1) + j] = m[i * nx + j + 1]! - m[i * nx + j]!;
}

/** out = D^T q. */
function diffT(q: Float64Array, nz: number, nx: number, out: Float64Array): void {
  out.fill(0);
  const nv = (nz - 1) * nx;
  for (let i = 0; i + 1 < nz; i++)
    for (let j = 0; j < nx; j++) {
      const p = q[i * nx + j]!;
      const a = i * nx + j;
      out[a + nx] = out[a + nx]! + p;
      out[a] = out[a]! - p;
    }
  for (let i = 0; i < nz; i++)
    for (let j = 0; j + 1 < nx; j++) {
      const p = q[nv + i * (nx - 1) + j]!;
      const a = i * nx + j;
      out[a + 1] = out[a + 1]! + p;
      out[a] = out[a]! - p;
    }
}

/**
 * v <- prox of r ||.||_inf at v = v - P_{||.||_1 <= r}(v): a clip of v at +-theta, theta the
 * soft threshold of the l1-ball projection (0 when ||v||_1 <= r, so v becomes 0). theta by
 * Michelot's fixed point: theta = (sum of the |v_e| > theta - r) / their count rises to the exact
 * value in a few O(n) passes (a sort took ~10 ms at 256 x 256).
 */
function proxLinf(v: Float64Array, r: number): void {
  let sum = 0;
  for (let e = 0; e < v.length; e++) sum += Math.abs(v[e]!);
  if (sum <= r) {
    v.fill(0);
    return;
  }
  let count = v.length;
  let theta = (sum - r) / count;
  for (;;) {
    let s = 0;
    let c = 0;
    for (let e = 0; e < v.length; e++) {
      const a = Math.abs(v[e]!);
      if (a > theta) {
        s += a;
        c++;
      }
    }
    if (c === count) break;
    sum = s;
    count = c;
    theta = (sum - r) / count;
  }
  for (let e = 0; e < v.length; e++) v[e] = Math.max(-theta, Math.min(theta, v[e]!));
}

/**
 * mean + s (m - mean) stored in `Out`, s the largest found with TV <= tau after rounding: TV is
 * linear in s, but rounding each value can add ~1 ulp per cell, so s is shrunk by a margin of
 * the measured excess until the stored values are feasible (a few tries; the last one, s = 0,
 * is the mean itself). Exported for tvInvert, which rounds projectTvBallValues' result itself.
 */
export function shrinkIntoBall<T extends Float64Array | Float32Array>(
  m: Float64Array,
  mean: number,
  tau: number,
  nz: number,
  nx: number,
  Out: { from(a: ArrayLike<number>, f: (v: number) => number): T },
): T {
  const tvm = totalVariation(m, nz, nx);
  let s = Math.min(1, tau / tvm);
  for (let tries = 0; ; tries++) {
    const out = Out.from(m, (v) => mean + s * (v - mean));
    const tv = totalVariation(out, nz, nx);
    if (tv <= tau || s === 0) return out;
    // The margin grows 4x a try: float32 output needs ~2^-23 relative, which 2^-40 reaches at try 9
    // (stopping at 8 tries returned the mean, TV 0, for float32 values a few ulps past tau).
    s = tries < 20 ? s * (tau / tv) * (1 - 2 ** -40 * 4 ** tries) : 0;
  }
}

function checkArgs(FN: string, nz: number, nx: number, tau: number, opts: TvProjectionOptions) {
  checkOptions(opts, TV_OPTIONS, FN);
  if (typeof tau !== 'number' || !Number.isFinite(tau) || tau < 0) throw argError(FN, 'tau', 'a finite number >= 0', tau, RangeError);
  const tol = opts.tol ?? 1e-4;
  if (typeof tol !== 'number' || !(tol > 0) || !Number.isFinite(tol))
    throw argError(FN, 'opts.tol', 'a finite number > 0', opts.tol, RangeError);
  const maxIterations = opts.maxIterations ?? 5000;
  if (!Number.isInteger(maxIterations) || maxIterations < 1)
    throw argError(FN, 'opts.maxIterations', 'an integer >= 1', opts.maxIterations, RangeError);
  const checkEvery = opts.checkEvery ?? 10;
  if (!Number.isInteger(checkEvery) || checkEvery < 1)
    throw argError(FN, 'opts.checkEvery', 'an integer >= 1', opts.checkEvery, RangeError);
  const ne = (nz - 1) * nx + nz * (nx - 1);
  if (opts.dual !== undefined && (!(opts.dual instanceof Float64Array) || opts.dual.length !== ne))
    throw argError(FN, 'opts.dual', `a Float64Array of length ${ne} (a previous result's dual)`, opts.dual, RangeError);
  return { tol, maxIterations, checkEvery };
}

/** projectTvBall on host data: x row-major [nz, nx]. */
export function projectTvBallValues(
  x: ArrayLike<number>,
  nz: number,
  nx: number,
  tau: number,
  opts: TvProjectionOptions = {},
): TvProjectionValues {
  const FN = 'projectTvBall(x, tau, opts)';
  for (const [arg, k] of [
    ['nz', nz],
    ['nx', nx],
  ] as const)
    if (!Number.isInteger(k) || k < 1) throw argError(FN, arg, 'an integer >= 1', k, RangeError);
  if (x === null || typeof x !== 'object' || x.length !== nz * nx)
    throw argError(FN, 'x', `an array of nz * nx = ${nz * nx} numbers`, x, RangeError);
  const { tol, maxIterations, checkEvery } = checkArgs(FN, nz, nx, tau, opts);
  const n = nz * nx;
  const ne = (nz - 1) * nx + nz * (nx - 1);
  const x64 = Float64Array.from({ length: n }, (_, i) => x[i]!);
  const bad = x64.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw argErrorText(FN, 'x', 'finite values', `${x64[bad]} at index ${bad}`, RangeError);
  const tv0 = totalVariation(x64, nz, nx);
  if (tv0 <= tau) return { values: x64, converged: true, iterations: 0, errorBound: 0, distance: 0, tv: tv0, dual: new Float64Array(ne) };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x64[i]! / n;
  if (tau === 0) {
    // The ball is the constants; the projection is the mean, exactly.
    const values = new Float64Array(n).fill(mean);
    let d2 = 0;
    for (let i = 0; i < n; i++) d2 += (x64[i]! - mean) ** 2;
    const distance = Math.sqrt(d2);
    return { values, converged: true, iterations: 0, errorBound: 0, distance, tv: 0, dual: new Float64Array(ne) };
  }

  const L = 8; // ||D||^2 <= 4 + 4 for 2D forward differences
  const q = opts.dual ? Float64Array.from(opts.dual) : new Float64Array(ne);
  const qPrev = Float64Array.from(q);
  const y = new Float64Array(ne);
  const v = new Float64Array(ne);
  const dtq = new Float64Array(n);
  const m = new Float64Array(n);
  let t = 1;
  let best = { values: x64, errorBound: Infinity, distance: 0, tv: tv0, dual: q };
  let iterations = 0;

  // The feasible point from q and its certified distance to the projection.
  const certify = () => {
    diffT(q, nz, nx, dtq);
    for (let i = 0; i < n; i++) m[i] = x64[i]! - dtq[i]!;
    const tvm = totalVariation(m, nz, nx);
    const values = tvm > tau ? shrinkIntoBall(m, mean, tau, nz, nx, Float64Array) : Float64Array.from(m);
    let d2 = 0;
    let xDtq = 0;
    let dtq2 = 0;
    let qInf = 0;
    for (let i = 0; i < n; i++) {
      d2 += (values[i]! - x64[i]!) ** 2;
      xDtq += (x64[i]! - mean) * dtq[i]!; // D^T q sums to zero; centring keeps the terms ~ ||m - x||
      dtq2 += dtq[i]! ** 2;
    }
    for (let e = 0; e < ne; e++) qInf = Math.max(qInf, Math.abs(q[e]!));
    const dualValue = xDtq - dtq2 / 2 - tau * qInf; // <= 1/2 ||P(x) - x||^2 for every q
    // The gap is a difference of float64 sums: count their rounding ((8 + sqrt(terms)) ulps of the
    // largest, a typical rather than worst-case error) in the bound, so that a gap that rounds to
    // zero does not certify more than float64 can tell.
    const roundoff = (8 + Math.sqrt(n + ne)) * Number.EPSILON * Math.max(d2 / 2, Math.abs(xDtq), dtq2 / 2, tau * qInf);
    const errorBound = Math.sqrt(2 * (Math.max(0, d2 / 2 - dualValue) + roundoff));
    // Keep the best certified point with the dual that certifies it.
    if (errorBound < best.errorBound)
      best = { values, errorBound, distance: Math.sqrt(d2), tv: totalVariation(values, nz, nx), dual: Float64Array.from(q) };
    return best.errorBound <= tol * best.distance;
  };

  let converged = certify();
  while (!converged && iterations < maxIterations) {
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let e = 0; e < ne; e++) y[e] = q[e]! + beta * (q[e]! - qPrev[e]!);
    // Gradient step on 1/2 ||D^T y - x||^2: its gradient is -D (x - D^T y).
    diffT(y, nz, nx, dtq);
    for (let i = 0; i < n; i++) m[i] = x64[i]! - dtq[i]!;
    diff(m, nz, nx, v);
    for (let e = 0; e < ne; e++) v[e] = y[e]! + v[e]! / L;
    proxLinf(v, tau / L);
    // Restart the momentum when it points against the step (O'Donoghue & Candes 2015).
    let dot = 0;
    for (let e = 0; e < ne; e++) dot += (y[e]! - v[e]!) * (v[e]! - q[e]!);
    qPrev.set(q);
    q.set(v);
    t = dot > 0 ? 1 : tNext;
    iterations++;
    if (iterations % checkEvery === 0 || iterations === maxIterations) converged = certify();
  }
  return { ...best, converged, iterations };
}

export interface TvProjection extends Omit<TvProjectionValues, 'values'> {
  /** The projection, float32 [nz, nx]; x itself when x was already feasible. */
  m: Tensor;
  /** ||D m||_1 of the float32 values returned (rounding to float32 can move it past tau by ~1e-7 relative per cell). */
  tv: number;
}

/**
 * Euclidean projection of x [nz, nx] onto { m : ||D m||_1 <= tau } (anisotropic TV, forward
 * differences inside the grid), to a certified relative accuracy opts.tol (see the file comment).
 * Reads x back and solves on the host in float64. Returns x itself when it is already feasible.
 */
export async function projectTvBall(x: Tensor, tau: number, opts: TvProjectionOptions = {}): Promise<TvProjection> {
  const FN = 'projectTvBall(x, tau, opts)';
  checkTensor(x, FN, 'x');
  if (x.rank !== 2 || x.dtype !== 'float32') throw argError(FN, 'x', 'a float32 tensor [nz, nx]', x, RangeError);
  const [nz, nx] = x.shape as [number, number];
  checkArgs(FN, nz, nx, tau, opts);
  const data = await x.data();
  const res = projectTvBallValues(data, nz, nx, tau, opts);
  const { values, ...rest } = res;
  if (res.iterations === 0 && res.distance === 0) return { ...rest, m: x, tv: totalVariation(data, nz, nx) };
  // Rounding to float32 can push the TV past tau (by ~1e-7 relative per cell); shrink toward the
  // mean until the float32 values themselves are feasible, so projecting them again returns them.
  let mean = 0;
  for (const v of values) mean += v / values.length;
  const f32 = shrinkIntoBall(values, mean, tau, nz, nx, Float32Array);
  const tv = totalVariation(f32, nz, nx);
  return { ...rest, m: tensor(f32, { shape: [nz, nx] }), tv };
}
