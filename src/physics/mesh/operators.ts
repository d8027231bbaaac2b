// Finite-volume operators on a 2D tensor mesh (cell-centred unknowns, normal components on faces),
// as float64 triplets built on the host; `fvOperators` uploads them as CSR matrices for tl.spmv.
// Face numbering follows TensorMesh2d: x-faces (normal along x) first, index iz * (nx + 1) + ix;
// then z-faces, nFacesX + iz * nx + ix. z is depth (positive down), so a z-face's "+" side is the
// cell below it. In 2D a face's "area" is its length and a cell's "volume" its area.
import { type CsrMatrix, sparseMatrix } from '../../autodiff/sparse.js';
import { argError } from '../../graph/options.js';

/** What the operators read of a mesh (TensorMesh2d has all of it). */
export interface MeshGeometry {
  readonly nx: number;
  readonly nz: number;
  readonly hx: Float64Array;
  readonly hz: Float64Array;
}

/**
 * A sparse matrix as float64 triplets (duplicates summed when assembled): `rows`, `cols`, `values`
 * are what tl.sparseMatrix(nRows, nCols, t) takes.
 */
export interface FvMatrix {
  nRows: number;
  nCols: number;
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
}

export interface FaceInfo {
  nFacesX: number;
  nFacesZ: number;
  nFaces: number;
  /** Per face: the cell on its "-" side (left / above) and on its "+" side (right / below), -1 outside the mesh. */
  minus: Int32Array;
  plus: Int32Array;
  /** Per face: its length (m), and the half-widths of its two cells along its normal (0 outside). */
  length: Float64Array;
  halfMinus: Float64Array;
  halfPlus: Float64Array;
}

/** Which cells each face separates, and the lengths that the operators need. */
export function faceInfo(mesh: MeshGeometry): FaceInfo {
  const { nx, nz, hx, hz } = mesh;
  const nFacesX = (nx + 1) * nz;
  const nFacesZ = nx * (nz + 1);
  const nFaces = nFacesX + nFacesZ;
  const minus = new Int32Array(nFaces).fill(-1);
  const plus = new Int32Array(nFaces).fill(-1);
  const length = new Float64Array(nFaces);
  const halfMinus = new Float64Array(nFaces);
  const halfPlus = new Float64Array(nFaces);
  for (let iz = 0; iz < nz; iz++)
    for (let ix = 0; ix <= nx; ix++) {
      const f = iz * (nx + 1) + ix;
      length[f] = hz[iz]!;
      if (ix > 0) [minus[f], halfMinus[f]] = [iz * nx + ix - 1, hx[ix - 1]! / 2];
      if (ix < nx) [plus[f], halfPlus[f]] = [iz * nx + ix, hx[ix]! / 2];
    }
  for (let iz = 0; iz <= nz; iz++)
    for (let ix = 0; ix < nx; ix++) {
      const f = nFacesX + iz * nx + ix;
      length[f] = hx[ix]!;
      if (iz > 0) [minus[f], halfMinus[f]] = [(iz - 1) * nx + ix, hz[iz - 1]! / 2];
      if (iz < nz) [plus[f], halfPlus[f]] = [iz * nx + ix, hz[iz]! / 2];
    }
  return { nFacesX, nFacesZ, nFaces, minus, plus, length, halfMinus, halfPlus };
}

/** Indices of the faces between two cells (x-faces first, ascending). */
export function interiorFaces(mesh: MeshGeometry): Int32Array {
  const f = faceInfo(mesh);
  const out: number[] = [];
  for (let k = 0; k < f.nFaces; k++) if (f.minus[k]! >= 0 && f.plus[k]! >= 0) out.push(k);
  return Int32Array.from(out);
}

function build(nRows: number, nCols: number, entries: [number, number, number][]): FvMatrix {
  return {
    nRows,
    nCols,
    rows: Int32Array.from(entries, (e) => e[0]),
    cols: Int32Array.from(entries, (e) => e[1]),
    values: Float64Array.from(entries, (e) => e[2]),
  };
}

const cellAreas = (mesh: MeshGeometry): Float64Array =>
  Float64Array.from({ length: mesh.nx * mesh.nz }, (_, c) => mesh.hx[c % mesh.nx]! * mesh.hz[Math.floor(c / mesh.nx)]!);

/**
 * Divergence [nCells, nFaces]: (D F)_c = (1 / area_c) sum over c's faces of (outward sign) L_f F_f,
 * F_f the flux density along the face's positive axis (+x, or +z = down). Exact for linear fields.
 */
export function divergenceTriplets(mesh: MeshGeometry): FvMatrix {
  const f = faceInfo(mesh);
  const area = cellAreas(mesh);
  const e: [number, number, number][] = [];
  for (let k = 0; k < f.nFaces; k++) {
    // The face is the "+" side of its minus cell (outward normal along +axis) and the "-" side of its plus cell.
    if (f.minus[k]! >= 0) e.push([f.minus[k]!, k, f.length[k]! / area[f.minus[k]!]!]);
    if (f.plus[k]! >= 0) e.push([f.plus[k]!, k, -f.length[k]! / area[f.plus[k]!]!]);
  }
  return build(mesh.nx * mesh.nz, f.nFaces, e);
}

/**
 * Face difference [nFaces, nCells]: (phi_plus - phi_minus) on interior faces, empty rows on the
 * boundary. The DC operator's G; `cellGradient` divides it by the centre distance.
 */
export function faceDifferenceTriplets(mesh: MeshGeometry): FvMatrix {
  const f = faceInfo(mesh);
  const e: [number, number, number][] = [];
  for (let k = 0; k < f.nFaces; k++)
    if (f.minus[k]! >= 0 && f.plus[k]! >= 0) {
      e.push([k, f.minus[k]!, -1]);
      e.push([k, f.plus[k]!, 1]);
    }
  return build(f.nFaces, mesh.nx * mesh.nz, e);
}

/**
 * Cell gradient [nFaces, nCells]: (phi_plus - phi_minus) / (centre distance) on interior faces;
 * boundary rows are zero (zero normal derivative). Exact for linear phi; on a non-uniform mesh it
 * is the derivative at the midpoint between the centres, not at the face.
 */
export function cellGradientTriplets(mesh: MeshGeometry): FvMatrix {
  const f = faceInfo(mesh);
  const e: [number, number, number][] = [];
  for (let k = 0; k < f.nFaces; k++)
    if (f.minus[k]! >= 0 && f.plus[k]! >= 0) {
      const d = f.halfMinus[k]! + f.halfPlus[k]!;
      e.push([k, f.minus[k]!, -1 / d]);
      e.push([k, f.plus[k]!, 1 / d]);
    }
  return build(f.nFaces, mesh.nx * mesh.nz, e);
}

/**
 * Cell-to-face average [nFaces, nCells]: linear interpolation between the two centres to the face
 * (exact for linear fields); a boundary face takes its one cell's value.
 */
export function cellToFaceAverageTriplets(mesh: MeshGeometry): FvMatrix {
  const f = faceInfo(mesh);
  const e: [number, number, number][] = [];
  for (let k = 0; k < f.nFaces; k++) {
    const [a, b] = [f.minus[k]!, f.plus[k]!];
    if (a >= 0 && b >= 0) {
      const d = f.halfMinus[k]! + f.halfPlus[k]!;
      e.push([k, a, f.halfPlus[k]! / d]);
      e.push([k, b, f.halfMinus[k]! / d]);
    } else e.push([k, a >= 0 ? a : b, 1]);
  }
  return build(f.nFaces, mesh.nx * mesh.nz, e);
}

/**
 * Face-to-cell average [nCells, nFaces]: each cell's x-faces averaged with weights 1/2 into the x
 * component and likewise z, the two components then averaged (SimPEG's aveF2CC), so a constant
 * field on all faces maps to itself. `component` 'x' or 'z' keeps that component alone (weights 1/2).
 */
export function faceToCellAverageTriplets(mesh: MeshGeometry, component: 'both' | 'x' | 'z' = 'both'): FvMatrix {
  const f = faceInfo(mesh);
  const w = component === 'both' ? 0.25 : 0.5;
  const e: [number, number, number][] = [];
  for (let k = 0; k < f.nFaces; k++) {
    const isX = k < f.nFacesX;
    if ((component === 'x' && !isX) || (component === 'z' && isX)) continue;
    if (f.minus[k]! >= 0) e.push([f.minus[k]!, k, w]);
    if (f.plus[k]! >= 0) e.push([f.plus[k]!, k, w]);
  }
  return build(mesh.nx * mesh.nz, f.nFaces, e);
}

/** Keeps the rows `rows` of a triplet matrix, renumbered 0..rows.length-1 in that order. */
export function selectRows(t: FvMatrix, rows: Int32Array): FvMatrix {
  const map = new Int32Array(t.nRows).fill(-1);
  rows.forEach((r, k) => (map[r] = k));
  const e: [number, number, number][] = [];
  for (let k = 0; k < t.values.length; k++) if (map[t.rows[k]!]! >= 0) e.push([map[t.rows[k]!]!, t.cols[k]!, t.values[k]!]);
  return build(rows.length, t.nCols, e);
}

/** y = T x in float64 (x of length T.cols): the host reference the tests and the DC set-up use. */
export function fvApply(t: FvMatrix, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(t.nRows);
  for (let k = 0; k < t.values.length; k++) y[t.rows[k]!] = y[t.rows[k]!]! + t.values[k]! * x[t.cols[k]!]!;
  return y;
}

/** Uploads a triplet matrix as a CSR matrix for tl.spmv. */
export function toCsr(t: FvMatrix): CsrMatrix {
  return sparseMatrix(t.nRows, t.nCols, t);
}

/** The finite-volume operators of a mesh as GPU CSR matrices (dispose() releases all four). */
export interface FvOperators {
  /** [nCells, nFaces] */
  divergence: CsrMatrix;
  /** [nFaces, nCells], zero rows on the boundary */
  cellGradient: CsrMatrix;
  /** [nFaces, nCells] */
  cellToFace: CsrMatrix;
  /** [nCells, nFaces] */
  faceToCell: CsrMatrix;
  dispose(): void;
}

/** Divergence, cell gradient and the two averages of `mesh`, uploaded for tl.spmv. */
export function fvOperators(mesh: MeshGeometry): FvOperators {
  checkMesh('fvOperators', mesh);
  const ops = {
    divergence: toCsr(divergenceTriplets(mesh)),
    cellGradient: toCsr(cellGradientTriplets(mesh)),
    cellToFace: toCsr(cellToFaceAverageTriplets(mesh)),
    faceToCell: toCsr(faceToCellAverageTriplets(mesh)),
  };
  return { ...ops, dispose: () => Object.values(ops).forEach((m) => m.dispose()) };
}

/** A mesh-like object: positive integer nx, nz and widths arrays of those lengths. */
export function checkMesh(op: string, mesh: unknown): MeshGeometry {
  const m = mesh as MeshGeometry;
  const ok =
    m !== null &&
    typeof m === 'object' &&
    Number.isInteger(m.nx) &&
    Number.isInteger(m.nz) &&
    m.nx > 0 &&
    m.nz > 0 &&
    m.hx instanceof Float64Array &&
    m.hz instanceof Float64Array &&
    m.hx.length === m.nx &&
    m.hz.length === m.nz;
  if (!ok) throw argError(op, 'mesh', 'a TensorMesh2d', mesh);
  return m;
}
