// A 2D tensor mesh: rectangular cells whose widths vary along x and along depth z (positive down),
// as SimPEG's discretize and pyGIMLi build for tomography and DC resistivity. Geometry is host-side
// float64; models on it are flat [nz * nx] row-major (z slowest), like the acoustic grids.
//
// Faces: x-faces (normal along x, between horizontally neighbouring cells and on the left/right
// edges) come first, index iz * (nx + 1) + ix; then z-faces, index nFacesX + iz * nx + ix.
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';

const OP = 'TensorMesh2d';

function widths(what: string, arg: string, h: unknown): Float64Array {
  const ok = (Array.isArray(h) || ArrayBuffer.isView(h)) && (h as ArrayLike<number>).length > 0;
  if (!ok) throw argError(what, arg, 'a non-empty array of cell widths (m)', h);
  const out = Float64Array.from(h as ArrayLike<number>);
  const bad = out.findIndex((w) => !(w > 0) || !Number.isFinite(w));
  if (bad >= 0) throw argErrorText(what, arg, 'positive finite widths', `${out[bad]} at index ${bad}`, RangeError);
  return out;
}

function count(what: string, arg: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw argError(what, arg, `an integer >= ${min}`, v, RangeError);
  return v as number;
}

function origin2(what: string, o: unknown): [number, number] {
  if (!Array.isArray(o) || o.length !== 2 || !o.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw argError(what, 'origin', 'two finite numbers [x0, z0] (m): the top-left node', o);
  return [o[0] as number, o[1] as number];
}

/** Node positions from the first node and the widths. */
function nodes(start: number, h: Float64Array): Float64Array {
  const out = new Float64Array(h.length + 1);
  out[0] = start;
  for (let i = 0; i < h.length; i++) out[i + 1] = out[i]! + h[i]!;
  return out;
}

const centres = (n: Float64Array): Float64Array => Float64Array.from({ length: n.length - 1 }, (_, i) => (n[i]! + n[i + 1]!) / 2);

/** Padding widths h * factor^k, k = 1..n, listed from the core outwards. */
const growing = (h: number, n: number, factor: number): number[] => Array.from({ length: n }, (_, k) => h * factor ** (k + 1));

export interface PaddedMeshOptions {
  /** Core cells along x and along depth. */
  nx: number;
  nz: number;
  /** Core cell width (m), both directions. */
  h: number;
  /** Padding cells on each side (default 0). */
  padLeft?: number;
  padRight?: number;
  padBottom?: number;
  padTop?: number;
  /** Each padding cell is `factor` times wider than its inner neighbour (default 1.3). */
  factor?: number;
  /** Top-left node (m); default puts the core's top-left node at (0, 0). */
  origin?: [number, number];
}
const PADDED_OPTIONS = optionNames<PaddedMeshOptions>()('nx', 'nz', 'h', 'padLeft', 'padRight', 'padBottom', 'padTop', 'factor', 'origin');

export class TensorMesh2d {
  readonly nx: number;
  readonly nz: number;
  readonly nCells: number;
  readonly hx: Float64Array;
  readonly hz: Float64Array;
  readonly x0: number;
  readonly z0: number;
  readonly nFacesX: number;
  readonly nFacesZ: number;
  readonly nFaces: number;
  /** Index ranges [first, end) of the core (unpadded) cells; the whole mesh unless built by `padded`. */
  readonly coreX: [number, number];
  readonly coreZ: [number, number];

  constructor(
    hx: ArrayLike<number>,
    hz: ArrayLike<number>,
    origin: [number, number] = [0, 0],
    core?: { x: [number, number]; z: [number, number] },
  ) {
    const what = 'new TensorMesh2d(hx, hz, origin)';
    this.hx = widths(what, 'hx', hx);
    this.hz = widths(what, 'hz', hz);
    [this.x0, this.z0] = origin2(what, origin);
    this.nx = this.hx.length;
    this.nz = this.hz.length;
    this.nCells = this.nx * this.nz;
    this.nFacesX = (this.nx + 1) * this.nz;
    this.nFacesZ = this.nx * (this.nz + 1);
    this.nFaces = this.nFacesX + this.nFacesZ;
    this.coreX = core?.x ?? [0, this.nx];
    this.coreZ = core?.z ?? [0, this.nz];
  }

  /** nx by nz cells of width h (m). */
  static uniform(nx: number, nz: number, h: number, origin: [number, number] = [0, 0]): TensorMesh2d {
    const what = 'TensorMesh2d.uniform(nx, nz, h, origin)';
    count(what, 'nx', nx, 1);
    count(what, 'nz', nz, 1);
    if (typeof h !== 'number' || !(h > 0) || !Number.isFinite(h)) throw argError(what, 'h', 'a positive finite width (m)', h, RangeError);
    return new TensorMesh2d(new Float64Array(nx).fill(h), new Float64Array(nz).fill(h), origin);
  }

  /** A core of nx by nz cells of width h, with padding cells growing by `factor` outwards. */
  static padded(opts: PaddedMeshOptions): TensorMesh2d {
    const what = 'TensorMesh2d.padded(opts)';
    if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an options object', opts);
    checkOptions(opts, PADDED_OPTIONS, what);
    const nx = count(what, 'opts.nx', opts.nx, 1);
    const nz = count(what, 'opts.nz', opts.nz, 1);
    const h = opts.h;
    if (typeof h !== 'number' || !(h > 0) || !Number.isFinite(h))
      throw argError(what, 'opts.h', 'a positive finite width (m)', h, RangeError);
    const [l, r, b, t] = (['padLeft', 'padRight', 'padBottom', 'padTop'] as const).map((k) => count(what, `opts.${k}`, opts[k] ?? 0, 0));
    const factor = opts.factor ?? 1.3;
    if (typeof factor !== 'number' || !(factor >= 1) || !Number.isFinite(factor))
      throw argError(what, 'opts.factor', 'a finite number >= 1', factor, RangeError);
    const core = (n: number): number[] => new Array<number>(n).fill(h);
    const left = growing(h, l!, factor).reverse();
    const top = growing(h, t!, factor).reverse();
    const hx = [...left, ...core(nx), ...growing(h, r!, factor)];
    const hz = [...top, ...core(nz), ...growing(h, b!, factor)];
    const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    const origin = opts.origin === undefined ? ([0 - sum(left), 0 - sum(top)] as [number, number]) : origin2(what, opts.origin);
    return new TensorMesh2d(hx, hz, origin, { x: [l!, l! + nx], z: [t!, t! + nz] });
  }

  nodesX(): Float64Array {
    return nodes(this.x0, this.hx);
  }
  nodesZ(): Float64Array {
    return nodes(this.z0, this.hz);
  }
  cellCentersX(): Float64Array {
    return centres(this.nodesX());
  }
  cellCentersZ(): Float64Array {
    return centres(this.nodesZ());
  }
  /** Cell areas (m^2), the 2D cell "volumes", flat [nz * nx]. */
  cellAreas(): Float64Array {
    const out = new Float64Array(this.nCells);
    for (let iz = 0; iz < this.nz; iz++) for (let ix = 0; ix < this.nx; ix++) out[iz * this.nx + ix] = this.hx[ix]! * this.hz[iz]!;
    return out;
  }
  /** Face lengths (m), the 2D face "areas": x-faces have their row's hz, z-faces their column's hx. */
  faceLengths(): Float64Array {
    const out = new Float64Array(this.nFaces);
    for (let iz = 0; iz < this.nz; iz++) out.fill(this.hz[iz]!, iz * (this.nx + 1), (iz + 1) * (this.nx + 1));
    for (let iz = 0; iz <= this.nz; iz++) out.set(this.hx, this.nFacesX + iz * this.nx);
    return out;
  }
  cellIndex(ix: number, iz: number): number {
    if (!Number.isInteger(ix) || ix < 0 || ix >= this.nx)
      throw argError(`${OP}.cellIndex(ix, iz)`, 'ix', `an integer in [0, ${this.nx})`, ix, RangeError);
    if (!Number.isInteger(iz) || iz < 0 || iz >= this.nz)
      throw argError(`${OP}.cellIndex(ix, iz)`, 'iz', `an integer in [0, ${this.nz})`, iz, RangeError);
    return iz * this.nx + ix;
  }
  /** The cell holding (x, z), -1 outside the mesh. A point on a shared edge belongs to the cell after it. */
  findCell(x: number, z: number): number {
    const ix = locate(this.nodesX(), x);
    const iz = locate(this.nodesZ(), z);
    return ix < 0 || iz < 0 ? -1 : iz * this.nx + ix;
  }
  /** Total extent (m): [width, depth]. */
  get extent(): [number, number] {
    const s = (a: Float64Array): number => a.reduce((t, v) => t + v, 0);
    return [s(this.hx), s(this.hz)];
  }
}

/** Interval index i with n[i] <= v < n[i + 1] (the last node closes the last interval), -1 outside. */
function locate(n: Float64Array, v: number): number {
  if (!(v >= n[0]!) || v > n[n.length - 1]!) return -1;
  let lo = 0;
  let hi = n.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v >= n[mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}
