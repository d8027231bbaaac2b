// Statistics that judge generated geological models against their training set (issue 21): the
// sand proportion, the experimental semivariogram and the connectivity function along x and z, on
// host batches [N, nz, nx] (or [N, 1, nz, nx], the networks' layout), accumulated in float64.
// Definitions (Deutsch & Journel, GSLIB; Renard & Allard 2013 for connectivity), along one axis,
// N(h) the pairs (u, u + h) inside the grid, the indicator I(u) = 1 where f(u) >= threshold:
//   gamma(h) = 1 / (2 N(h)) sum (f(u) - f(u + h))^2          (on I instead of f given a threshold)
//   tau(h) = P(I(u) = 1, I(u + h) = 1, u and u + h in one 4-connected sand body)
// Each curve is indexed by the lag: index 0 is lag 0 (gamma 0, tau the proportion). Every sample
// has the same N(h), so the average over samples equals the average over all pairs of the batch.
import { argError, argErrorText, checkOptions, integerArg, optionNames } from '../../graph/options.js';

/** A host batch of models: values row-major with shape [N, nz, nx] or [N, 1, nz, nx]. FaciesDataset is one. */
export interface ModelBatch {
  values: ArrayLike<number>;
  shape: readonly number[];
}

export type StatAxis = 'x' | 'z';

interface Dims {
  n: number;
  nz: number;
  nx: number;
}

function dims(models: ModelBatch, fn: string): Dims {
  const shape = models?.shape;
  const ok =
    Array.isArray(shape) &&
    (shape.length === 3 || (shape.length === 4 && shape[1] === 1)) &&
    shape.every((d) => Number.isInteger(d) && d >= 1);
  if (!ok) throw argError(fn, 'models.shape', '[N, nz, nx] or [N, 1, nz, nx] (positive integers)', shape, RangeError);
  const [n, nz, nx] = [shape[0]!, shape.at(-2)!, shape.at(-1)!];
  const len = (models.values as ArrayLike<number> | undefined)?.length;
  if (len !== n * nz * nx) throw argErrorText(fn, 'models.values', `${n * nz * nx} values (the shape's)`, String(len), RangeError);
  return { n, nz, nx };
}

function checkThreshold(fn: string, t: unknown): number {
  if (typeof t !== 'number' || !Number.isFinite(t)) throw argError(fn, 'threshold', 'a finite number', t, RangeError);
  return t;
}

/** Steps along the axis: the lag in cells becomes an index offset `stride * h`, over `lines` lines of `len` cells. */
function walk(d: Dims, axis: unknown, fn: string): { len: number; stride: number; lines: number; step: number } {
  if (axis === 'x') return { len: d.nx, stride: 1, lines: d.nz, step: d.nx };
  if (axis === 'z') return { len: d.nz, stride: d.nx, lines: d.nx, step: 1 };
  throw argError(fn, 'opts.axis', "'x' or 'z'", axis, RangeError);
}

function checkLag(fn: string, maxLag: unknown, len: number): number {
  const lag = integerArg(fn, 'opts.maxLag', maxLag ?? Math.floor(len / 2), 1);
  if (lag >= len) throw argError(fn, 'opts.maxLag', `less than the axis length (${len})`, lag, RangeError);
  return lag;
}

/** Sand fraction per sample (f >= threshold): the mean over samples and their standard deviation (population, 1 / N). */
export function faciesProportion(models: ModelBatch, threshold = 0.5): { mean: number; std: number } {
  const fn = 'faciesProportion(models, threshold)';
  const d = dims(models, fn);
  const t = checkThreshold(fn, threshold);
  const cells = d.nz * d.nx;
  const p = new Float64Array(d.n);
  for (let s = 0; s < d.n; s++) {
    let c = 0;
    for (let k = s * cells; k < (s + 1) * cells; k++) if (models.values[k]! >= t) c++;
    p[s] = c / cells;
  }
  const mean = p.reduce((a, b) => a + b, 0) / d.n;
  return { mean, std: Math.sqrt(p.reduce((a, b) => a + (b - mean) ** 2, 0) / d.n) };
}

export interface VariogramOptions {
  axis: StatAxis;
  /** Largest lag (cells). Default half the axis length. */
  maxLag?: number;
  /** Indicator variogram of f >= threshold; raw values when absent. */
  threshold?: number;
}
const VARIOGRAM_OPTIONS = optionNames<VariogramOptions>()('axis', 'maxLag', 'threshold');

/** gamma(h) for h = 0..maxLag (index = lag), averaged over the batch. */
export function variogram(models: ModelBatch, opts: VariogramOptions): Float64Array {
  const fn = 'variogram(models, opts)';
  opts = checkOptions(opts, VARIOGRAM_OPTIONS, fn);
  const d = dims(models, fn);
  const w = walk(d, opts.axis, fn);
  const maxLag = checkLag(fn, opts.maxLag, w.len);
  const t = opts.threshold === undefined ? undefined : checkThreshold(fn, opts.threshold);
  const cells = d.nz * d.nx;
  const f = new Float64Array(cells);
  const sums = new Float64Array(maxLag + 1);
  for (let s = 0; s < d.n; s++) {
    for (let k = 0; k < cells; k++) {
      const v = models.values[s * cells + k]!;
      f[k] = t === undefined ? v : v >= t ? 1 : 0;
    }
    for (let line = 0; line < w.lines; line++) {
      const base = line * w.step;
      for (let h = 1; h <= maxLag; h++) {
        let acc = 0;
        for (let a = 0; a + h < w.len; a++) {
          const diff = f[base + a * w.stride]! - f[base + (a + h) * w.stride]!;
          acc += diff * diff;
        }
        sums[h]! += acc;
      }
    }
  }
  for (let h = 1; h <= maxLag; h++) sums[h]! /= 2 * d.n * w.lines * (w.len - h);
  return sums;
}

/** 4-connected components of the cells where `sand` is 1 (union-find): each sand cell's root, -1 for shale. */
export function sandComponents(sand: Uint8Array, nz: number, nx: number): Int32Array {
  const parent = new Int32Array(nz * nx).fill(-1);
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!; // path halving
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number): void => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      const k = i * nx + j;
      if (!sand[k]) continue;
      parent[k] = k;
      if (j > 0 && sand[k - 1]) union(k, k - 1);
      if (i > 0 && sand[k - nx]) union(k, k - nx);
    }
  for (let k = 0; k < nz * nx; k++) if (parent[k]! >= 0) parent[k] = find(k);
  return parent;
}

export interface ConnectivityOptions {
  axis: StatAxis;
  /** Largest lag (cells). Default half the axis length. */
  maxLag?: number;
  /** Sand where f >= threshold. Default 0.5. */
  threshold?: number;
}
const CONNECTIVITY_OPTIONS = optionNames<ConnectivityOptions>()('axis', 'maxLag', 'threshold');

/** tau(h) for h = 0..maxLag (index = lag): the probability that a pair at lag h lies in one sand body. */
export function connectivity(models: ModelBatch, opts: ConnectivityOptions): Float64Array {
  const fn = 'connectivity(models, opts)';
  opts = checkOptions(opts, CONNECTIVITY_OPTIONS, fn);
  const d = dims(models, fn);
  const w = walk(d, opts.axis, fn);
  const maxLag = checkLag(fn, opts.maxLag, w.len);
  const t = checkThreshold(fn, opts.threshold ?? 0.5);
  const cells = d.nz * d.nx;
  const sand = new Uint8Array(cells);
  const counts = new Float64Array(maxLag + 1);
  for (let s = 0; s < d.n; s++) {
    for (let k = 0; k < cells; k++) sand[k] = models.values[s * cells + k]! >= t ? 1 : 0;
    const label = sandComponents(sand, d.nz, d.nx);
    for (let line = 0; line < w.lines; line++) {
      const base = line * w.step;
      for (let h = 0; h <= maxLag; h++) {
        let c = 0;
        for (let a = 0; a + h < w.len; a++) {
          const l = label[base + a * w.stride]!;
          if (l >= 0 && l === label[base + (a + h) * w.stride]) c++;
        }
        counts[h]! += c;
      }
    }
  }
  for (let h = 0; h <= maxLag; h++) counts[h]! /= d.n * w.lines * (w.len - h);
  return counts;
}

export interface CompareStatisticsOptions {
  /** Largest lag of the curves (cells). Default half the shorter axis. */
  maxLag?: number;
  /** Sand where f >= threshold, for the proportion and connectivity. Default 0.5. */
  threshold?: number;
  /** The variogram's threshold: absent (the default) compares raw values, so soft generated models differ from binary ones. */
  variogramThreshold?: number;
}
const COMPARE_OPTIONS = optionNames<CompareStatisticsOptions>()('maxLag', 'threshold', 'variogramThreshold');

export interface StatisticsComparison {
  maxLag: number;
  threshold: number;
  proportion: { generated: number; training: number; difference: number };
  /** RMS over lags 1..maxLag of the difference of the curves (generated - training), per axis. */
  variogramRms: { x: number; z: number };
  connectivityRms: { x: number; z: number };
}

const rms = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let h = 1; h < a.length; h++) s += (a[h]! - b[h]!) ** 2;
  return Math.sqrt(s / (a.length - 1));
};

/** Generated vs training statistics in one JSON-able object, for the examples' reports. */
export function compareStatistics(generated: ModelBatch, training: ModelBatch, opts: CompareStatisticsOptions = {}): StatisticsComparison {
  const fn = 'compareStatistics(generated, training, opts)';
  checkOptions(opts, COMPARE_OPTIONS, fn);
  const [g, r] = [dims(generated, fn), dims(training, fn)];
  if (g.nz !== r.nz || g.nx !== r.nx)
    throw argErrorText(fn, 'generated', `models of the training grid ${r.nz} x ${r.nx}`, `${g.nz} x ${g.nx}`, RangeError);
  const maxLag = checkLag(fn, opts.maxLag ?? Math.floor(Math.min(g.nz, g.nx) / 2), Math.min(g.nz, g.nx));
  const threshold = checkThreshold(fn, opts.threshold ?? 0.5);
  const [pg, pr] = [faciesProportion(generated, threshold).mean, faciesProportion(training, threshold).mean];
  const curves = (axis: StatAxis) => {
    const vo = { axis, maxLag, ...(opts.variogramThreshold === undefined ? {} : { threshold: opts.variogramThreshold }) };
    const co = { axis, maxLag, threshold };
    return {
      v: rms(variogram(generated, vo), variogram(training, vo)),
      c: rms(connectivity(generated, co), connectivity(training, co)),
    };
  };
  const [x, z] = [curves('x'), curves('z')];
  return {
    maxLag,
    threshold,
    proportion: { generated: pg, training: pr, difference: pg - pr },
    variogramRms: { x: x.v, z: z.v },
    connectivityRms: { x: x.c, z: z.c },
  };
}
