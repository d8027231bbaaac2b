// Calibration of Gaussian predictive distributions, on the host in float64 (Float32Arrays in, sums
// in float64): RMSE, the average negative log likelihood, the coverage of central intervals
// |y - mu| <= z_p sigma, and the regression expected calibration error over nominal levels p
// (Kuleshov et al. 2018, with central intervals): mean |observed coverage(p) - p|, the reliability
// diagram's distance from its diagonal.
import { argError, checkOptions, integerArg, optionNames } from '../../graph/options.js';

type Values = ArrayLike<number>;

function checkArrays(fn: string, named: Record<string, Values>): number {
  const entries = Object.entries(named);
  const n = entries[0]![1].length;
  for (const [k, a] of entries) {
    if (a === null || typeof a !== 'object' || typeof a.length !== 'number')
      throw argError(fn, k, 'an array of numbers (e.g. a Float32Array)', a);
    if (a.length !== n) throw argError(fn, k, `an array of ${n} numbers (as ${entries[0]![0]})`, a, RangeError);
  }
  if (n === 0) throw argError(fn, entries[0]![0], 'a non-empty array', entries[0]![1], RangeError);
  return n;
}

function checkVariances(fn: string, variance: Values): void {
  for (let i = 0; i < variance.length; i++)
    if (!(variance[i]! >= 0) || !Number.isFinite(variance[i]!))
      throw argError(fn, 'variance', `finite variances >= 0 (element ${i} is ${variance[i]})`, variance[i]!, RangeError);
}

/** Root mean squared error sqrt(mean((mu - y)^2)). */
export function rmse(mean: Values, target: Values): number {
  const n = checkArrays('rmse(mean, target)', { mean, target });
  let s = 0;
  for (let i = 0; i < n; i++) s += (mean[i]! - target[i]!) ** 2;
  return Math.sqrt(s / n);
}

/** Average Gaussian negative log likelihood, 1/2 log(2 pi s^2) + (y - mu)^2 / (2 s^2), variances > 0. */
export function gaussianNllHost(mean: Values, variance: Values, target: Values): number {
  const fn = 'gaussianNllHost(mean, variance, target)';
  const n = checkArrays(fn, { mean, variance, target });
  checkVariances(fn, variance);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = variance[i]!;
    if (v === 0) throw argError(fn, 'variance', `variances > 0 (element ${i} is 0: the likelihood is undefined)`, v, RangeError);
    s += 0.5 * Math.log(2 * Math.PI * v) + (target[i]! - mean[i]!) ** 2 / (2 * v);
  }
  return s / n;
}

/**
 * The standard normal quantile Phi^-1(q), 0 < q < 1: Acklam's rational approximation (relative
 * error below 1.2e-9, far below what a coverage count resolves).
 */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw argError('normalQuantile(q)', 'q', 'a number in (0, 1)', q, RangeError);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (p: number): number => {
    const t = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) /
      ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1)
    );
  };
  if (q < 0.02425) return tail(q);
  if (q > 1 - 0.02425) return -tail(1 - q);
  const r = q - 0.5;
  const s = r * r;
  return (
    ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
    (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1)
  );
}

/** The fraction of elements with |y - mu| <= z_p sigma, z_p = Phi^-1((1 + p) / 2): the central p interval's coverage. */
export function coverage(mean: Values, variance: Values, target: Values, p: number): number {
  const fn = 'coverage(mean, variance, target, p)';
  const n = checkArrays(fn, { mean, variance, target });
  checkVariances(fn, variance);
  if (!(p > 0 && p < 1)) throw argError(fn, 'p', 'a number in (0, 1)', p, RangeError);
  const z = normalQuantile((1 + p) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) if (Math.abs(target[i]! - mean[i]!) <= z * Math.sqrt(variance[i]!)) k++;
  return k / n;
}

export interface Reliability {
  /** Nominal levels p of the central intervals. */
  nominal: number[];
  /** Observed coverage at each level. */
  observed: number[];
  /** Expected calibration error: mean |observed - nominal|. */
  ece: number;
}

export interface ReliabilityOptions {
  /** Nominal levels p = k / (levels + 1), k = 1..levels (default 19: 0.05, 0.10, ..., 0.95). */
  levels?: number;
}
const RELIABILITY_OPTIONS = optionNames<ReliabilityOptions>()('levels');

/**
 * The reliability diagram of central intervals and its ECE. Each element's standardized error
 * |y - mu| / sigma is computed once and sorted; coverage(p) is the fraction at most z_p.
 */
export function reliability(mean: Values, variance: Values, target: Values, opts: ReliabilityOptions = {}): Reliability {
  const fn = 'reliability(mean, variance, target, opts)';
  const o = checkOptions(opts, RELIABILITY_OPTIONS, fn);
  const n = checkArrays(fn, { mean, variance, target });
  checkVariances(fn, variance);
  const levels = integerArg(fn, 'opts.levels', o.levels ?? 19, 1);
  // Standardized errors; 0/0 (an exact prediction with zero variance) counts as inside every interval.
  const r = Float64Array.from({ length: n }, (_, i) => {
    const e = Math.abs(target[i]! - mean[i]!);
    return e === 0 ? 0 : e / Math.sqrt(variance[i]!);
  }).sort();
  const nominal = Array.from({ length: levels }, (_, k) => (k + 1) / (levels + 1));
  const observed = nominal.map((p) => {
    const z = normalQuantile((1 + p) / 2);
    let [lo, hi] = [0, n]; // the first index with r > z
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid]! <= z) lo = mid + 1;
      else hi = mid;
    }
    return lo / n;
  });
  const ece = observed.reduce((s, c, k) => s + Math.abs(c - nominal[k]!), 0) / levels;
  return { nominal, observed, ece };
}

export interface CalibrationReport {
  rmse: number;
  nll: number;
  coverage68: number;
  coverage95: number;
  ece: number;
  reliability: Reliability;
}

/** Every metric above for one predictive distribution (mean and total variance) against the targets. */
export function calibrationReport(mean: Values, variance: Values, target: Values, opts: ReliabilityOptions = {}): CalibrationReport {
  const rel = reliability(mean, variance, target, opts);
  return {
    rmse: rmse(mean, target),
    nll: gaussianNllHost(mean, variance, target),
    coverage68: coverage(mean, variance, target, 0.6826894921370859),
    coverage95: coverage(mean, variance, target, 0.95),
    ece: rel.ece,
    reliability: rel,
  };
}
