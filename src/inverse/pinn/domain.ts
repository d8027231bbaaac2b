// Domains for PINNs: axis-aligned boxes in 1, 2 or 3 space dimensions (Interval, Rectangle, Box),
// optionally times a time interval (TimeDomain, spaceTime), with samplers for the interior, the
// spatial boundary (faces chosen in proportion to their measure), the initial slice and the
// lateral boundary in time. Points are host arrays (float64, row-major [n, dim], axes in the
// domain's order, time last) wrapped in a PointSet, which becomes a tensor on demand.
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { Rng, SAMPLING_METHODS, type SamplingMethod, unitPoints } from './sampling.js';

export interface SampleOptions {
  /** 'uniform' (seeded), 'hammersley', 'sobol' or 'grid'. Default 'hammersley' (DeepXDE's default). */
  method?: SamplingMethod;
  /** Seed of the uniform method. Default 0. */
  seed?: number;
}
const SAMPLE_OPTIONS = optionNames<SampleOptions>()('method', 'seed');

/** n points in `dim` dimensions (row-major float64 [n, dim]) with optional target values [n]. */
export class PointSet {
  readonly n: number;
  constructor(
    readonly points: Float64Array,
    readonly dim: number,
    readonly values?: Float64Array,
  ) {
    const what = 'PointSet(points, dim, values)';
    if (!(points instanceof Float64Array)) throw argError(what, 'points', 'a Float64Array [n * dim]', points);
    if (!Number.isInteger(dim) || dim < 1 || points.length % dim !== 0)
      throw argError(what, 'dim', `an integer >= 1 dividing points.length (${points.length})`, dim, RangeError);
    this.n = points.length / dim;
    if (values !== undefined && (!(values instanceof Float64Array) || values.length !== this.n))
      throw argError(what, 'values', `a Float64Array of ${this.n} values (one per point)`, values, RangeError);
    for (let i = 0; i < points.length; i++)
      if (!Number.isFinite(points[i])) throw argError(what, `points[${i}]`, 'a finite number', points[i], RangeError);
  }
  /** From rows [[x, t], ...] and optional values. */
  static fromRows(rows: readonly (readonly number[])[], values?: readonly number[]): PointSet {
    const what = 'PointSet.fromRows(rows, values)';
    if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(rows[0]))
      throw argError(what, 'rows', 'a non-empty array of number arrays', rows);
    const dim = rows[0].length;
    const p = new Float64Array(rows.length * dim);
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== dim) throw argError(what, `rows[${i}]`, `an array of ${dim} numbers`, r, RangeError);
      r.forEach((v, k) => (p[i * dim + k] = v));
    });
    return new PointSet(p, dim, values ? Float64Array.from(values) : undefined);
  }
  /** Coordinate k of point i. */
  at(i: number, k: number): number {
    return this.points[i * this.dim + k]!;
  }
  /** The points followed by those of `other` (values kept only when both have them). */
  concat(other: PointSet): PointSet {
    if (other.dim !== this.dim)
      throw argError('PointSet.concat(other)', 'other', `a PointSet of dimension ${this.dim}`, other.dim, RangeError);
    const p = new Float64Array(this.points.length + other.points.length);
    p.set(this.points);
    p.set(other.points, this.points.length);
    let v: Float64Array | undefined;
    if (this.values && other.values) {
      v = new Float64Array(this.n + other.n);
      v.set(this.values);
      v.set(other.values, this.n);
    }
    return new PointSet(p, this.dim, v);
  }
  /** The points with the given indices. */
  select(index: readonly number[]): PointSet {
    const p = new Float64Array(index.length * this.dim);
    index.forEach((i, r) => p.set(this.points.subarray(i * this.dim, (i + 1) * this.dim), r * this.dim));
    return new PointSet(p, this.dim, this.values ? Float64Array.from(index, (i) => this.values![i]!) : undefined);
  }
  /** A copy with values f(point) (point as an array in the domain's axis order). */
  withValues(f: (x: number[]) => number): PointSet {
    const v = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) v[i] = f(Array.from(this.points.subarray(i * this.dim, (i + 1) * this.dim)));
    return new PointSet(this.points, this.dim, v);
  }
}

/** An axis-aligned box with named axes; the base of every domain here. */
export class Domain {
  readonly dim: number;
  /** Index of the time axis, or -1. */
  readonly timeAxis: number;
  constructor(
    readonly lo: readonly number[],
    readonly hi: readonly number[],
    readonly names: readonly string[],
    timeAxis = -1,
  ) {
    const what = `${this.constructor.name}(lo, hi)`;
    if (!Array.isArray(lo) || !Array.isArray(hi) || lo.length !== hi.length || lo.length < 1 || lo.length > 4)
      throw argError(what, 'lo, hi', 'two arrays of the same length (1 to 4 axes)', { lo, hi }, RangeError);
    lo.forEach((l, k) => {
      if (!Number.isFinite(l) || !Number.isFinite(hi[k]) || !(hi[k]! > l))
        throw argError(what, `hi[${k}]`, `a finite number > lo[${k}] = ${l}`, hi[k], RangeError);
    });
    if (names.length !== lo.length || new Set(names).size !== names.length)
      throw argError(what, 'names', `${lo.length} distinct axis names`, names, RangeError);
    this.dim = lo.length;
    this.timeAxis = timeAxis;
  }

  /** Axis index by name (or index). */
  axis(name: string | number): number {
    const k = typeof name === 'number' ? name : this.names.indexOf(name);
    if (!Number.isInteger(k) || k < 0 || k >= this.dim)
      throw argError(
        `${this.constructor.name}.axis(name)`,
        'name',
        `one of ${this.names.map((n) => `'${n}'`).join(', ')}`,
        name,
        RangeError,
      );
    return k;
  }
  /** The spatial axes (all but time). */
  get spaceAxes(): number[] {
    return this.names.map((_, k) => k).filter((k) => k !== this.timeAxis);
  }

  private sampler(n: number, opts: SampleOptions, what: string): (m: number, d: number) => Float64Array {
    checkOptions(opts, SAMPLE_OPTIONS, what);
    if (!Number.isInteger(n) || n < 1) throw argError(what, 'n', 'an integer >= 1', n, RangeError);
    const method = opts.method ?? 'hammersley';
    if (!SAMPLING_METHODS.includes(method)) throw argError(what, 'method', SAMPLING_METHODS.map((m) => `'${m}'`).join(', '), method, Error);
    const rng = new Rng(opts.seed ?? 0);
    return (m, d) => unitPoints(method, m, d, rng);
  }

  /** n points in the interior (the whole box, including time). */
  interior(n: number, opts: SampleOptions = {}): PointSet {
    const u = this.sampler(n, opts, `${this.constructor.name}.interior(n, opts)`)(n, this.dim);
    const pts = u.slice(0, n * this.dim);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < this.dim; k++) pts[i * this.dim + k] = this.lo[k]! + (this.hi[k]! - this.lo[k]!) * pts[i * this.dim + k]!;
    return new PointSet(pts, this.dim);
  }

  /**
   * n points on the spatial boundary (times the time interval when there is one). Faces are
   * chosen in proportion to their measure, by largest remainder, and filled from one sequence.
   */
  boundary(n: number, opts: SampleOptions = {}): PointSet {
    const what = `${this.constructor.name}.boundary(n, opts)`;
    const draw = this.sampler(n, opts, what);
    const space = this.spaceAxes;
    // Faces: (axis, side); measure = product of the other spatial extents (1 for an interval's endpoints).
    const faces: { axis: number; side: 0 | 1; measure: number }[] = [];
    for (const a of space) {
      const m = space.filter((b) => b !== a).reduce((p, b) => p * (this.hi[b]! - this.lo[b]!), 1);
      faces.push({ axis: a, side: 0, measure: m }, { axis: a, side: 1, measure: m });
    }
    const total = faces.reduce((s, f) => s + f.measure, 0);
    const counts = faces.map((f) => Math.floor((n * f.measure) / total));
    const order = faces
      .map((f, i) => i)
      .sort((i, j) => (n * faces[j]!.measure) / total - counts[j]! - ((n * faces[i]!.measure) / total - counts[i]!));
    for (let r = n - counts.reduce((s, c) => s + c, 0), i = 0; r > 0; r--, i++) counts[order[i % order.length]!]!++;
    const free = this.dim - 1; // coordinates drawn per point: the face's other axes and time
    const pts = new Float64Array(n * this.dim);
    const u = free > 0 ? draw(n, free) : new Float64Array(0);
    let row = 0;
    faces.forEach((f, fi) => {
      for (let c = 0; c < counts[fi]!; c++, row++) {
        let j = 0;
        for (let k = 0; k < this.dim; k++) {
          const v = k === f.axis ? f.side : u[row * free + j++]!;
          pts[row * this.dim + k] = this.lo[k]! + (this.hi[k]! - this.lo[k]!) * v;
        }
      }
    });
    return new PointSet(pts, this.dim);
  }

  /** n points on the initial slice t = t0 (space-time domains only). */
  initial(n: number, opts: SampleOptions = {}): PointSet {
    const what = `${this.constructor.name}.initial(n, opts)`;
    if (this.timeAxis < 0) throw new Error(`tellus: ${what}: the domain has no time axis; use spaceTime(space, time)`);
    const draw = this.sampler(n, opts, what);
    const space = this.spaceAxes;
    const u = draw(n, space.length);
    const pts = new Float64Array(n * this.dim);
    for (let i = 0; i < n; i++) {
      space.forEach((k, j) => (pts[i * this.dim + k] = this.lo[k]! + (this.hi[k]! - this.lo[k]!) * u[i * space.length + j]!));
      pts[i * this.dim + this.timeAxis] = this.lo[this.timeAxis]!;
    }
    return new PointSet(pts, this.dim);
  }

  /** A regular grid with `counts[k]` points per axis including both ends (for evaluation), row-major, last axis fastest. */
  grid(counts: readonly number[]): PointSet {
    const what = `${this.constructor.name}.grid(counts)`;
    if (!Array.isArray(counts) || counts.length !== this.dim || counts.some((c) => !Number.isInteger(c) || c < 2))
      throw argError(what, 'counts', `${this.dim} integers >= 2`, counts, RangeError);
    const m = counts.reduce((p, c) => p * c, 1);
    const pts = new Float64Array(m * this.dim);
    for (let i = 0; i < m; i++) {
      let r = i;
      for (let k = this.dim - 1; k >= 0; k--) {
        const c = counts[k]!;
        pts[i * this.dim + k] = this.lo[k]! + ((this.hi[k]! - this.lo[k]!) * (r % c)) / (c - 1);
        r = Math.floor(r / c);
      }
    }
    return new PointSet(pts, this.dim);
  }

  /** True when the point lies in the closed box. */
  contains(x: readonly number[]): boolean {
    return x.length === this.dim && x.every((v, k) => v >= this.lo[k]! && v <= this.hi[k]!);
  }
}

/** [lo, hi] on one axis (default name 'x'). */
export class Interval extends Domain {
  constructor(lo: number, hi: number, name = 'x') {
    super([lo], [hi], [name]);
  }
}

/** [x0, x1] x [z0, z1] (default names 'x', 'z'). */
export class Rectangle extends Domain {
  constructor(lo: readonly [number, number], hi: readonly [number, number], names: readonly [string, string] = ['x', 'z']) {
    super(lo, hi, names);
  }
}

/** A box in three dimensions (default names 'x', 'y', 'z'). */
export class Box extends Domain {
  constructor(
    lo: readonly [number, number, number],
    hi: readonly [number, number, number],
    names: readonly [string, string, string] = ['x', 'y', 'z'],
  ) {
    super(lo, hi, names);
  }
}

/** A time interval [t0, t1] (default name 't'). */
export class TimeDomain extends Domain {
  constructor(t0: number, t1: number, name = 't') {
    super([t0], [t1], [name], 0);
  }
}

/** The product space x time; time is the last axis. */
export function spaceTime(space: Domain, time: TimeDomain): Domain {
  const what = 'spaceTime(space, time)';
  if (!(space instanceof Domain) || space.timeAxis >= 0)
    throw argError(what, 'space', 'a spatial Domain (Interval, Rectangle, Box)', space);
  if (!(time instanceof TimeDomain)) throw argError(what, 'time', 'a TimeDomain', time);
  return new Domain([...space.lo, ...time.lo], [...space.hi, ...time.hi], [...space.names, ...time.names], space.dim);
}
