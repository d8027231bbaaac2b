// Straight rays through a 2D tensor mesh: exact ray-cell intersection lengths (chords) in float64
// by Siddon's parametric method, returned as host triplets (ray, cell, length), and the cross-hole
// survey geometry. Coordinates: x horizontal, z depth (positive down), both in metres; cells are
// numbered row-major over [nz, nx] (z slowest), as every model array of the mesh.
//
// Siddon: a ray p(a) = A + a (B - A), a in [0, 1], crosses the interior grid lines x = X[i] and
// z = Z[j] at parameters that are merged into one ascending list; each piece between consecutive
// parameters lies in one cell (found from its midpoint) and has length (a1 - a0) |B - A|.
// Degenerate cases, decided deterministically:
//   - a piece shorter than `tol` (a ray through a grid node, where the x and z crossings coincide up
//     to rounding) is dropped: it carries at most tol of length;
//   - a ray with |dx| <= tol (vertical) or |dz| <= tol (horizontal) runs along a grid line when its
//     constant coordinate is within tol of one: on an interior line its length is split half/half
//     between the two cells that share the edge; on the mesh's outer boundary all of it goes to
//     the one cell inside;
//   - endpoints must lie in the closed mesh box; a point outside by at most tol is moved onto the
//     boundary, one further out is an error (the ray would leave the model);
//   - a ray of zero length (source on a receiver) has an empty row: its time is 0.
// tol = 1e-9 of the mesh's larger extent.
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { positive } from '../common/validate.js';

/** What the ray tracer reads from a 2D tensor mesh (TensorMesh2d has these fields). */
export interface RayMesh {
  nx: number;
  nz: number;
  /** Cell widths along x (nx) and z (nz), metres. */
  hx: ArrayLike<number>;
  hz: ArrayLike<number>;
  /** Position of the top-left node. */
  x0: number;
  z0: number;
}

/** Sources and receivers as flat (x, z) pairs in metres, z = depth. Every source is recorded by every receiver. */
export interface RaySurvey {
  sources: Float64Array;
  receivers: Float64Array;
}

/** Ray-cell lengths as COO triplets (ray i = source * nReceivers + receiver, cell j, length in m). */
export interface RayTriplets {
  nRays: number;
  nCells: number;
  nSources: number;
  nReceivers: number;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  /** Straight source-receiver distance of each ray (= its row sum), metres. */
  distance: Float64Array;
}

export interface CrossholeOptions {
  /** x of the source borehole and of the receiver borehole (m). */
  sourceX: number;
  receiverX: number;
  /** Depth of the first and last sensor (m); the same depths in both boreholes. */
  zFrom: number;
  zTo: number;
  /** Sensor spacing along each borehole (m). */
  spacing: number;
}
const CROSSHOLE_OPTIONS = optionNames<CrossholeOptions>()('sourceX', 'receiverX', 'zFrom', 'zTo', 'spacing');

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(op, name, 'a finite number', v, Error);
  return v;
}

/**
 * Two vertical boreholes: sources at (sourceX, z) and receivers at (receiverX, z) for
 * z = zFrom, zFrom + spacing, ..., up to zTo (included when it falls on the spacing).
 */
export function crossholeSurvey(opts: CrossholeOptions): RaySurvey {
  const op = 'crossholeSurvey';
  if (opts === null || typeof opts !== 'object') throw argError(op, 'options', 'an object', opts, Error);
  const o = checkOptions(opts, CROSSHOLE_OPTIONS, op);
  const sx = finite(op, 'opts.sourceX', o.sourceX);
  const rx = finite(op, 'opts.receiverX', o.receiverX);
  const z0 = finite(op, 'opts.zFrom', o.zFrom);
  const z1 = finite(op, 'opts.zTo', o.zTo);
  const h = positive(op, 'opts.spacing', o.spacing);
  if (z1 < z0) throw argErrorText(op, 'opts.zTo', `a depth >= zFrom (${z0})`, String(z1), Error);
  // Count the sensors in float64 with a little slack, so zTo = zFrom + k * spacing is included despite rounding.
  const n = Math.floor((z1 - z0) / h + 1e-9) + 1;
  const column = (x: number): Float64Array => {
    const p = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) [p[2 * k], p[2 * k + 1]] = [x, z0 + k * h];
    return p;
  };
  return { sources: column(sx), receivers: column(rx) };
}

/** The mesh's node coordinates, after checking it. */
export function meshNodes(op: string, mesh: RayMesh): { X: Float64Array; Z: Float64Array; tol: number } {
  if (mesh === null || typeof mesh !== 'object') throw argError(op, 'mesh', 'a 2D tensor mesh', mesh, Error);
  const nodes = (n: unknown, h: ArrayLike<number> | undefined, origin: unknown, axis: 'x' | 'z'): Float64Array => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw argError(op, `mesh.n${axis}`, 'a positive integer', n, Error);
    if (!h || h.length !== n) throw argErrorText(op, `mesh.h${axis}`, `${n} cell widths`, h ? `${h.length}` : String(h), Error);
    const X = new Float64Array(n + 1);
    X[0] = finite(op, `mesh.${axis}0`, origin);
    for (let i = 0; i < n; i++) {
      const w = h[i]!;
      if (!(w > 0) || !Number.isFinite(w)) throw argErrorText(op, `mesh.h${axis}`, 'positive finite widths', `${w} at [${i}]`, Error);
      X[i + 1] = X[i]! + w;
    }
    return X;
  };
  const X = nodes(mesh.nx, mesh.hx, mesh.x0, 'x');
  const Z = nodes(mesh.nz, mesh.hz, mesh.z0, 'z');
  return { X, Z, tol: 1e-9 * Math.max(X[mesh.nx]! - X[0]!, Z[mesh.nz]! - Z[0]!) };
}

/** Flat (x, z) pairs inside the mesh box (within tol, then clamped onto it). */
export function points(op: string, name: string, p: unknown, X: Float64Array, Z: Float64Array, tol: number): Float64Array {
  if (!(p instanceof Float64Array || p instanceof Float32Array || Array.isArray(p)))
    throw argError(op, name, 'a Float64Array (or array) of (x, z) pairs', p, Error);
  const v = p as ArrayLike<number>;
  if (v.length === 0 || v.length % 2 !== 0)
    throw argErrorText(op, name, 'a non-empty even number of values (x, z pairs)', `${v.length} values`, Error);
  const out = new Float64Array(v.length);
  const [xl, xh, zl, zh] = [X[0]!, X[X.length - 1]!, Z[0]!, Z[Z.length - 1]!];
  for (let k = 0; k < v.length; k += 2) {
    const [x, z] = [v[k]!, v[k + 1]!];
    if (!Number.isFinite(x) || !Number.isFinite(z) || x < xl - tol || x > xh + tol || z < zl - tol || z > zh + tol)
      throw argErrorText(
        op,
        `${name}[${k / 2}]`,
        `a point (x, z) inside the mesh [${xl}, ${xh}] x [${zl}, ${zh}] m`,
        `(${x}, ${z})`,
        Error,
      );
    out[k] = Math.min(Math.max(x, xl), xh);
    out[k + 1] = Math.min(Math.max(z, zl), zh);
  }
  return out;
}

/** Largest i in [0, X.length - 2] with X[i] <= x: the cell along one axis that holds x. */
function cellOf(X: Float64Array, x: number): number {
  let [lo, hi] = [0, X.length - 2];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (X[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** First index i >= 1 with X[i] > x (n when none): where the interior lines beyond x start. */
function firstAbove(X: Float64Array, x: number): number {
  let [lo, hi] = [1, X.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (X[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Writes into `out` (from index 0, ascending) the parameters a in (0, 1) where a + a*d crosses the
 * interior lines X[1..n-1]; returns how many.
 */
function crossings(X: Float64Array, a: number, d: number, out: Float64Array): number {
  const n = X.length - 1;
  const [lo, hi] = d > 0 ? [a, a + d] : [a + d, a];
  let k = 0;
  for (let i = firstAbove(X, lo); i < n && X[i]! < hi; i++) out[k++] = (X[i]! - a) / d;
  if (d < 0) out.subarray(0, k).reverse();
  return k;
}

/** Reused scratch for one ray, sized for the mesh. */
export interface RayScratch {
  ax: Float64Array;
  az: Float64Array;
  a: Float64Array;
}
export const rayScratch = (nx: number, nz: number): RayScratch => ({
  ax: new Float64Array(nx + 1),
  az: new Float64Array(nz + 1),
  a: new Float64Array(nx + nz + 4),
});

/**
 * Traces the segment (xa, za) -> (xb, zb) through the mesh with nodes X, Z, calling
 * emit(cell, length) for each piece in order along the ray (a cell may repeat only for a ray split
 * along an edge). Endpoints must already lie in the mesh box.
 */
export function traceRay(
  X: Float64Array,
  Z: Float64Array,
  tol: number,
  s: RayScratch,
  xa: number,
  za: number,
  xb: number,
  zb: number,
  emit: (cell: number, length: number) => void,
): void {
  const nx = X.length - 1;
  let [dx, dz] = [xb - xa, zb - za];
  const L = Math.hypot(dx, dz);
  if (L <= tol) return;
  // Along an axis: the ray's constant coordinate picks one cell, or two halves on an interior line.
  const along = (N: Float64Array, c: number): [number, number][] => {
    const n = N.length - 1;
    const i = cellOf(N, c);
    if (Math.abs(c - N[i]!) <= tol)
      return i === 0
        ? [[0, 1]]
        : [
            [i - 1, 0.5],
            [i, 0.5],
          ];
    if (Math.abs(c - N[i + 1]!) <= tol)
      return i + 1 === n
        ? [[n - 1, 1]]
        : [
            [i, 0.5],
            [i + 1, 0.5],
          ];
    return [[i, 1]];
  };
  let split: [number, number][] | null = null;
  let vertical = false;
  if (Math.abs(dx) <= tol) {
    split = along(X, (xa + xb) / 2);
    vertical = true;
    dx = 0;
  } else if (Math.abs(dz) <= tol) {
    split = along(Z, (za + zb) / 2);
    dz = 0;
  }
  // Merge the x and z crossings (each ascending) between 0 and 1.
  const kx = dx === 0 ? 0 : crossings(X, xa, dx, s.ax);
  const kz = dz === 0 ? 0 : crossings(Z, za, dz, s.az);
  const a = s.a;
  let m = 0;
  a[m++] = 0;
  for (let i = 0, j = 0; i < kx || j < kz;) a[m++] = j >= kz || (i < kx && s.ax[i]! <= s.az[j]!) ? s.ax[i++]! : s.az[j++]!;
  a[m++] = 1;
  // Cell indices of the pieces' midpoints: a binary search for the first, then a walk (the
  // coordinates are monotone along the ray, so each index moves a step or two per piece).
  let [ix, iz] = [cellOf(X, xa + 0.5 * a[1]! * dx), cellOf(Z, za + 0.5 * a[1]! * dz)];
  for (let k = 0; k + 1 < m; k++) {
    const len = (a[k + 1]! - a[k]!) * L;
    if (len <= tol) continue;
    const am = 0.5 * (a[k]! + a[k + 1]!);
    ix = walk(X, ix, xa + am * dx);
    iz = walk(Z, iz, za + am * dz);
    if (!split) emit(iz * nx + ix, len);
    // Along a line, only the moving coordinate locates the piece; the split gives the other index.
    else if (vertical) for (const [jx, w] of split) emit(iz * nx + jx, w * len);
    else for (const [jz, w] of split) emit(jz * nx + ix, w * len);
  }
}

/** cellOf(N, v) for v near cell i. */
function walk(N: Float64Array, i: number, v: number): number {
  const n = N.length - 1;
  while (i < n - 1 && N[i + 1]! <= v) i++;
  while (i > 0 && N[i]! > v) i--;
  return i;
}

/** Growable COO storage. */
class Triplets {
  rows = new Int32Array(1024);
  cols = new Int32Array(1024);
  values = new Float64Array(1024);
  n = 0;
  push(i: number, j: number, v: number): void {
    if (this.n === this.rows.length) {
      const grow = <T extends Int32Array | Float64Array>(x: T): T => {
        const y = new (x.constructor as new (n: number) => T)(2 * x.length);
        y.set(x);
        return y;
      };
      [this.rows, this.cols, this.values] = [grow(this.rows), grow(this.cols), grow(this.values)];
    }
    this.rows[this.n] = i;
    this.cols[this.n] = j;
    this.values[this.n++] = v;
  }
}

/**
 * Exact intersection lengths of every source-receiver ray with every mesh cell (float64, on the
 * host): the straight-ray tomography matrix G (t = G s, s the slowness) as triplets. Ray
 * i = source * nReceivers + receiver.
 */
export function rayLengths(mesh: RayMesh, sources: Float64Array, receivers: Float64Array): RayTriplets {
  return traceSurvey('rayLengths', mesh, sources, receivers);
}

/** rayLengths for the op `op` (named in its errors). */
export function traceSurvey(op: string, mesh: RayMesh, sources: Float64Array, receivers: Float64Array): RayTriplets {
  const { X, Z, tol } = meshNodes(op, mesh);
  const src = points(op, 'sources', sources, X, Z, tol);
  const rec = points(op, 'receivers', receivers, X, Z, tol);
  const [ns, nr] = [src.length / 2, rec.length / 2];
  const t = new Triplets();
  const distance = new Float64Array(ns * nr);
  const scratch = rayScratch(mesh.nx, mesh.nz);
  let ray = 0;
  const emit = (cell: number, len: number): void => t.push(ray, cell, len);
  for (let i = 0; i < ns; i++)
    for (let j = 0; j < nr; j++, ray++) {
      const [xa, za, xb, zb] = [src[2 * i]!, src[2 * i + 1]!, rec[2 * j]!, rec[2 * j + 1]!];
      distance[ray] = Math.hypot(xb - xa, zb - za);
      traceRay(X, Z, tol, scratch, xa, za, xb, zb, emit);
    }
  return {
    nRays: ns * nr,
    nCells: mesh.nx * mesh.nz,
    nSources: ns,
    nReceivers: nr,
    rows: t.rows.slice(0, t.n),
    cols: t.cols.slice(0, t.n),
    values: t.values.slice(0, t.n),
    distance,
  };
}
