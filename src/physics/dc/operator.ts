// The 2.5D DC system on a tensor mesh, one wavenumber ky per batch block, symmetric so that PCG
// applies. Per ky, with sigma = exp(m) per cell:
//   A(m) x = G^T (w(m) * (G x)) + sigma * (ky^2 V + robin_ky) * x
// G: the difference across each interior face (constant CSR); w_f = 1 / R_f with the series
// resistance of the two half cells R_f = sum_c (h_c / 2) / (L_f sigma_c) = (H rho)_f (H constant,
// rho = exp(-m)), i.e. the harmonic average of sigma times L / (centre distance), exact across a
// layer boundary; V: cell areas. Robin on the sides and bottom (d phi / dn + alpha phi = 0, with
// alpha = ky K1(ky r) / K0(ky r) (r_hat . n) from a pseudo-source at the middle of the top
// surface) enters through the face value phi_b = phi_c / (1 + alpha h / 2) extrapolated half a
// cell, a diagonal term sigma_c L alpha / (1 + alpha h / 2); the top surface has zero flux.
// Everything is built from tl ops, so the tape differentiates A(m) x in m (J v and J^T w).
import { type CsrMatrix, sparseMatrix, spmv } from '../../autodiff/sparse.js';
import * as ops from '../../autodiff/ops.js';
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { argErrorText } from '../../graph/options.js';
import type { TensorMesh2d } from '../mesh/tensor.js';
import { faceDifferenceTriplets, faceInfo, interiorFaces, selectRows, toCsr, type FvMatrix } from '../mesh/operators.js';
import { besselK0e, besselK1e } from './bessel.js';
import type { Electrode } from './survey.js';

/**
 * Robin diagonal of one wavenumber, [nCells]: sum over each cell's left, right and bottom boundary
 * faces of L alpha / (1 + alpha h / 2) (to be multiplied by the cell's sigma).
 */
export function robinDiagonal(mesh: TensorMesh2d, ky: number): Float64Array {
  const { nx, nz, hx, hz } = mesh;
  const xn = mesh.nodesX();
  const zn = mesh.nodesZ();
  const xc = mesh.cellCentersX();
  const zc = mesh.cellCentersZ();
  const xs = (xn[0]! + xn[nx]!) / 2; // the pseudo-source, at the middle of the top surface
  const zs = zn[0]!;
  const out = new Float64Array(nx * nz);
  const add = (cell: number, fx: number, fz: number, nxv: number, nzv: number, L: number, h: number): void => {
    const r = Math.hypot(fx - xs, fz - zs);
    const cos = ((fx - xs) * nxv + (fz - zs) * nzv) / r;
    const alpha = (ky * besselK1e(ky * r) * cos) / besselK0e(ky * r);
    out[cell] = out[cell]! + (L * alpha) / (1 + (alpha * h) / 2);
  };
  for (let iz = 0; iz < nz; iz++) {
    add(iz * nx, xn[0]!, zc[iz]!, -1, 0, hz[iz]!, hx[0]!);
    add(iz * nx + nx - 1, xn[nx]!, zc[iz]!, 1, 0, hz[iz]!, hx[nx - 1]!);
  }
  for (let ix = 0; ix < nx; ix++) add((nz - 1) * nx + ix, xc[ix]!, zn[nz]!, 0, 1, hx[ix]!, hz[nz - 1]!);
  return out;
}

/** Half-cell resistances per interior face, [nInterior, nCells]: R_f = sum_c (h_c / 2) / L_f * rho_c. */
export function faceResistanceTriplets(mesh: TensorMesh2d, faces: Int32Array): FvMatrix {
  const f = faceInfo(mesh);
  const rows = new Int32Array(2 * faces.length);
  const cols = new Int32Array(2 * faces.length);
  const values = new Float64Array(2 * faces.length);
  faces.forEach((k, r) => {
    rows[2 * r] = rows[2 * r + 1] = r;
    [cols[2 * r], values[2 * r]] = [f.minus[k]!, f.halfMinus[k]! / f.length[k]!];
    [cols[2 * r + 1], values[2 * r + 1]] = [f.plus[k]!, f.halfPlus[k]! / f.length[k]!];
  });
  return { nRows: faces.length, nCols: mesh.nCells, rows, cols, values };
}

/**
 * Interpolation weights of the cell centres at an electrode: the potential there is
 * sum_k weights[k] phi[cells[k]], and a unit current there is split the same way (the adjoint),
 * which keeps the discrete problem reciprocal. Along x: linear between the two nearest centres
 * (the outermost beyond them). Along z: linear between centres, and above the first centre (a
 * surface electrode lies half a cell above it) phi = a + c z^2 through the first two centres, the
 * even extrapolation that zero flux at z = 0 implies. For a surface electrode that gives weights
 * 9/8 and -1/8 on a uniform mesh, whose second moment in z vanishes: the source acts as if it were
 * at the surface, not half a cell down (clamping to the first row erred by ~10% at two-cell
 * offsets, the even extrapolation by ~1%). An electrode between centres along x has no such fix
 * (its split has a second moment); put electrodes on cell centres (docs/dc-resistivity.md).
 */
export function electrodeWeights(op: string, name: string, mesh: TensorMesh2d, p: Electrode): { cells: number[]; weights: number[] } {
  const xn = mesh.nodesX();
  const zn = mesh.nodesZ();
  if (!(p[0] >= xn[0]! && p[0] <= xn[mesh.nx]! && p[1] >= zn[0]! && p[1] <= zn[mesh.nz]!))
    throw argErrorText(
      op,
      name,
      `an electrode inside the mesh ([${xn[0]}, ${xn[mesh.nx]}] x [${zn[0]}, ${zn[mesh.nz]}])`,
      `[${p[0]}, ${p[1]}]`,
      RangeError,
    );
  const linear = (c: Float64Array, v: number): [number, number][] => {
    if (v <= c[0]!) return [[0, 1]];
    if (v >= c[c.length - 1]!) return [[c.length - 1, 1]];
    let i = 0;
    while (c[i + 1]! < v) i++;
    const t = (v - c[i]!) / (c[i + 1]! - c[i]!);
    return [
      [i, 1 - t],
      [i + 1, t],
    ];
  };
  const cz = mesh.cellCentersZ();
  const wx = linear(mesh.cellCentersX(), p[0]);
  let wz = linear(cz, p[1]);
  if (p[1] < cz[0]! && mesh.nz > 1) {
    const t = (p[1] ** 2 - cz[0]! ** 2) / (cz[1]! ** 2 - cz[0]! ** 2);
    wz = [
      [0, 1 - t],
      [1, t],
    ];
  }
  const acc = new Map<number, number>();
  for (const [ix, a] of wx)
    for (const [iz, b] of wz) if (a * b !== 0) acc.set(iz * mesh.nx + ix, (acc.get(iz * mesh.nx + ix) ?? 0) + a * b);
  return { cells: [...acc.keys()], weights: [...acc.values()] };
}

/** The constant parts of the DC system on a mesh for a set of wavenumbers, on the device. */
export interface DcOperator {
  nCells: number;
  nKy: number;
  /** [nInterior, nCells]: G (difference) and H (half-cell resistances). */
  G: CsrMatrix;
  H: CsrMatrix;
  /** G with |entries| transposed, [nCells, nInterior]: diag(G^T w G) = |G|^T w. */
  absGt: CsrMatrix;
  /** ky^2 V + robin_ky per ky, [nKy, 1, nCells] (times sigma in A). */
  diagonal: Tensor;
  /** The same in float64, [nKy][nCells]. */
  diagonalHost: Float64Array[];
  dispose(): void;
}

export function dcOperator(mesh: TensorMesh2d, ky: ArrayLike<number>): DcOperator {
  const faces = interiorFaces(mesh);
  const g = selectRows(faceDifferenceTriplets(mesh), faces);
  const G = toCsr(g);
  const H = toCsr(faceResistanceTriplets(mesh, faces));
  const absGt = toCsr({ nRows: g.nCols, nCols: g.nRows, rows: g.cols, cols: g.rows, values: g.values.map(Math.abs) });
  const V = mesh.cellAreas();
  const diagonalHost = Array.from(ky, (k) => {
    const r = robinDiagonal(mesh, k);
    return Float64Array.from(V, (v, c) => k * k * v + r[c]!);
  });
  const flat = new Float32Array(ky.length * mesh.nCells);
  diagonalHost.forEach((d, i) => flat.set(d, i * mesh.nCells));
  const diagonal = tensor(flat, { shape: [ky.length, 1, mesh.nCells] });
  return {
    nCells: mesh.nCells,
    nKy: ky.length,
    G,
    H,
    absGt,
    diagonal,
    diagonalHost,
    dispose: () => [G, H, absGt, diagonal].forEach((t) => t.dispose()),
  };
}

/**
 * The model-dependent coefficients of A for a batch of nKy * nSrc rows: face conductances w
 * [nInterior] and the local term sigma (ky^2 V + robin_ky) expanded to every row, [batch, nCells]
 * (a plain same-shape product in the matvec: broadcasting along the middle axis of
 * [nKy, nSrc, nCells] ran ~100x slower on SwiftShader).
 */
export interface DcCoefficients {
  w: Tensor;
  d: Tensor;
}

/** w = 1 / (H exp(-m)) and d = diagonal * exp(m) per row; differentiable in m. */
export function dcCoefficients(op: DcOperator, m: Tensor, batch: number): DcCoefficients {
  const n = op.nCells;
  const d = ops.mul(op.diagonal, ops.exp(m)); // [nKy, 1, n]
  return {
    w: ops.reciprocal(spmv(op.H, ops.exp(ops.neg(m)))),
    d: ops.contiguous(ops.reshape(ops.expand(d, [op.nKy, batch / op.nKy, n]), [batch, n])),
  };
}

/** A x with given coefficients, x [nKy * nSrc, nCells] (ky slowest): every source's system at every wavenumber. */
export function applyWith(op: DcOperator, c: DcCoefficients, x: Tensor): Tensor {
  return ops.add(spmv(op.G.transpose(), ops.mul(spmv(op.G, x), c.w)), ops.mul(x, c.d));
}

/** A(m) x, differentiable in m and x (the tape gives d(A x)/dm for J v and J^T w). */
export const applyDc = (op: DcOperator, m: Tensor, x: Tensor): Tensor => applyWith(op, dcCoefficients(op, m, x.shape[0]!), x);

/** The Jacobi preconditioner diag(A), [batch, nCells]. */
export function jacobiDc(op: DcOperator, c: DcCoefficients): Tensor {
  return ops.add(c.d, spmv(op.absGt, c.w));
}

/**
 * The matrix A(m) of one wavenumber (index `k` of the operator's ky list) assembled on the host in
 * float64: G^T diag(w) G + diag(sigma (ky^2 V + robin)); for an assembled preconditioner
 * (multigrid) or a direct solve.
 */
export function dcMatrix(op: DcOperator, m: ArrayLike<number>, k: number): CsrMatrix {
  const n = op.nCells;
  const g = op.G.host;
  const h = op.H.host;
  const rho = Float64Array.from(m, (v) => Math.exp(-v));
  const [rows, cols, values]: [number[], number[], number[]] = [[], [], []];
  for (let f = 0; f < op.G.rows; f++) {
    let R = 0;
    for (let q = h.rowPtr[f]!; q < h.rowPtr[f + 1]!; q++) R += h.values[q]! * rho[h.colIdx[q]!]!;
    const w = 1 / R;
    for (let a = g.rowPtr[f]!; a < g.rowPtr[f + 1]!; a++)
      for (let b = g.rowPtr[f]!; b < g.rowPtr[f + 1]!; b++) {
        rows.push(g.colIdx[a]!);
        cols.push(g.colIdx[b]!);
        values.push(g.values[a]! * w * g.values[b]!);
      }
  }
  const d = op.diagonalHost[k]!;
  for (let c = 0; c < n; c++) {
    rows.push(c);
    cols.push(c);
    values.push(d[c]! / rho[c]!);
  }
  return sparseMatrix(n, n, { rows, cols, values });
}
