// Finite-volume operators on a non-uniform tensor mesh (src/physics/mesh/operators.ts): the host
// triplets against matrices hand-built here a different way (Kronecker products of 1D operators,
// as discretize builds them), exactness on linear fields, div(grad) of a quadratic, summation by
// parts (the discrete divergence is minus the adjoint of the gradient), and the GPU CSR copies
// against the float64 host products.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';

/** Dense row-major float64 [r, c] from triplets. */
function dense(t: tl.FvMatrix): Float64Array {
  const out = new Float64Array(t.nRows * t.nCols);
  t.values.forEach((v, k) => (out[t.rows[k]! * t.nCols + t.cols[k]!]! += v));
  return out;
}

/** kron(A [ar, ac], B [br, bc]) dense. */
function kron(A: number[][], B: number[][]): number[][] {
  return A.flatMap((ra) => B.map((rb) => ra.flatMap((a) => rb.map((b) => a * b))));
}
const eye = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
/** 1D divergence [n, n+1]: (f[i+1] - f[i]) / h[i]. */
const div1 = (h: Float64Array): number[][] =>
  Array.from(h, (hi, i) => Array.from({ length: h.length + 1 }, (_, j) => (j === i + 1 ? 1 / hi : j === i ? -1 / hi : 0)));
/** 1D gradient [n+1, n] on interior nodes: (u[i] - u[i-1]) / (centre distance); boundary rows 0. */
const grad1 = (h: Float64Array): number[][] =>
  Array.from({ length: h.length + 1 }, (_, i) =>
    Array.from({ length: h.length }, (_, j) => {
      if (i === 0 || i === h.length) return 0;
      const d = (h[i - 1]! + h[i]!) / 2;
      return j === i ? 1 / d : j === i - 1 ? -1 / d : 0;
    }),
  );
const hcat = (A: number[][], B: number[][]): number[][] => A.map((r, i) => [...r, ...B[i]!]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function nonUniformMesh(): tl.TensorMesh2d {
  const g = rng();
  const hx = Array.from({ length: 7 }, () => 1 + 2 * g.next());
  const hz = Array.from({ length: 5 }, () => 0.5 + 2 * g.next());
  return new tl.TensorMesh2d(hx, hz, [-3, 0]);
}

describe('finite-volume operators', () => {
  useDevice();

  it('divergence and cell gradient equal the Kronecker-product matrices (float64, to 1e-12)', () => {
    const mesh = nonUniformMesh();
    const { nx, nz, hx, hz } = mesh;
    // x-faces (iz slow, ix fast) then z-faces: D = [kron(I_z, Dx) | kron(Dz, I_x)].
    const D = hcat(kron(eye(nz), div1(hx)), kron(div1(hz), eye(nx)));
    expect(maxAbsDiff(dense(tl.divergenceTriplets(mesh)), D.flat())).toBeLessThan(1e-12);
    const Gx = kron(eye(nz), grad1(hx));
    const Gz = kron(grad1(hz), eye(nx));
    expect(maxAbsDiff(dense(tl.cellGradientTriplets(mesh)), [...Gx, ...Gz].flat())).toBeLessThan(1e-12);
  });

  it('divergence of a linear field is exact, and so is the gradient of a linear potential', () => {
    const mesh = nonUniformMesh();
    const f = tl.faceInfo(mesh);
    const xn = mesh.nodesX();
    const zn = mesh.nodesZ();
    const xc = mesh.cellCentersX();
    const zc = mesh.cellCentersZ();
    const [a, b, c, d] = [0.7, -1.3, 2.1, 0.4];
    // F = (a x + b, c z + d): x-faces carry F_x at their position, z-faces F_z.
    const F = new Float64Array(f.nFaces);
    for (let iz = 0; iz < mesh.nz; iz++) for (let ix = 0; ix <= mesh.nx; ix++) F[iz * (mesh.nx + 1) + ix] = a * xn[ix]! + b;
    for (let iz = 0; iz <= mesh.nz; iz++) for (let ix = 0; ix < mesh.nx; ix++) F[f.nFacesX + iz * mesh.nx + ix] = c * zn[iz]! + d;
    const div = tl.fvApply(tl.divergenceTriplets(mesh), F);
    expect(maxAbsDiff(div, new Float64Array(mesh.nCells).fill(a + c))).toBeLessThan(1e-12);
    // phi = p x + q z: the gradient on interior faces is (p, q) exactly; boundary rows are zero.
    const [p, q] = [1.5, -0.25];
    const phi = Float64Array.from({ length: mesh.nCells }, (_, k) => p * xc[k % mesh.nx]! + q * zc[Math.floor(k / mesh.nx)]!);
    const g = tl.fvApply(tl.cellGradientTriplets(mesh), phi);
    g.forEach((v, k) => {
      const interior = f.minus[k]! >= 0 && f.plus[k]! >= 0;
      expect(Math.abs(v - (interior ? (k < f.nFacesX ? p : q) : 0))).toBeLessThan(1e-12);
    });
    // Cell-to-face average of a linear field is exact on interior faces.
    const avg = tl.fvApply(tl.cellToFaceAverageTriplets(mesh), phi);
    avg.forEach((v, k) => {
      if (f.minus[k]! < 0 || f.plus[k]! < 0) return;
      const [x, z] =
        k < f.nFacesX
          ? [xn[k % (mesh.nx + 1)]!, zc[Math.floor(k / (mesh.nx + 1))]!]
          : [xc[(k - f.nFacesX) % mesh.nx]!, zn[Math.floor((k - f.nFacesX) / mesh.nx)]!];
      expect(Math.abs(v - (p * x + q * z))).toBeLessThan(1e-12);
    });
    // Face-to-cell average maps a constant to itself.
    const one = tl.fvApply(tl.faceToCellAverageTriplets(mesh), new Float64Array(f.nFaces).fill(1));
    expect(maxAbsDiff(one, new Float64Array(mesh.nCells).fill(1))).toBeLessThan(1e-15);
  });

  it('div(grad) of a quadratic: exact on a uniform mesh, the known (r - 1)^2 error on a geometrically graded one', () => {
    // phi = x^2 + 3 z^2 has Laplacian 8. Interior cells only (the boundary rows impose zero flux).
    const lap = (mesh: tl.TensorMesh2d): Float64Array => {
      const xc = mesh.cellCentersX();
      const zc = mesh.cellCentersZ();
      const phi = Float64Array.from({ length: mesh.nCells }, (_, k) => xc[k % mesh.nx]! ** 2 + 3 * zc[Math.floor(k / mesh.nx)]! ** 2);
      const l = tl.fvApply(tl.divergenceTriplets(mesh), tl.fvApply(tl.cellGradientTriplets(mesh), phi));
      const out: number[] = [];
      for (let iz = 1; iz < mesh.nz - 1; iz++) for (let ix = 1; ix < mesh.nx - 1; ix++) out.push(l[iz * mesh.nx + ix]! - 8);
      return Float64Array.from(out);
    };
    for (const e of lap(tl.TensorMesh2d.uniform(9, 6, 2.5))) expect(Math.abs(e)).toBeLessThan(1e-10);
    // Widths r^i along both axes: the scheme maps x^2 to (x_{i+1} - x_{i-1}) / h_i (centres) =
    // 1 + (1/r + r) / 2 = 2 + (r - 1)^2 / (2 r), so x^2 + 3 z^2 errs by 4 (r - 1)^2 / (2 r) =
    // 2 (r - 1)^2 / r in every interior cell.
    for (const r of [1.1, 1.2, 1.5]) {
      const mesh = new tl.TensorMesh2d(
        Array.from({ length: 12 }, (_, i) => r ** i),
        Array.from({ length: 8 }, (_, i) => r ** i),
      );
      const want = (2 * (r - 1) ** 2) / r;
      for (const e of lap(mesh)) expect(Math.abs(e - want)).toBeLessThan(1e-8 * (1 + want));
    }
  });

  it('summation by parts: sum_c A_c (D F)_c phi_c = -sum_f L_f d_f F_f (G phi)_f for F zero on the boundary', () => {
    const mesh = nonUniformMesh();
    const f = tl.faceInfo(mesh);
    const g = rng();
    const F = Float64Array.from({ length: f.nFaces }, (_, k) => (f.minus[k]! >= 0 && f.plus[k]! >= 0 ? 2 * g.next() - 1 : 0));
    const phi = Float64Array.from({ length: mesh.nCells }, () => 2 * g.next() - 1);
    const DF = tl.fvApply(tl.divergenceTriplets(mesh), F);
    const Gp = tl.fvApply(tl.cellGradientTriplets(mesh), phi);
    const area = mesh.cellAreas();
    const lhs = DF.reduce((s, v, c) => s + area[c]! * v * phi[c]!, 0);
    const rhs = -Gp.reduce((s, v, k) => s + f.length[k]! * (f.halfMinus[k]! + f.halfPlus[k]!) * F[k]! * v, 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * (Math.abs(lhs) + 1));
  });

  it('GPU CSR operators match the float64 host products (float32, 2e-6 of the row scale) and pass dot tests', async () => {
    const mesh = nonUniformMesh();
    const ops = tl.fvOperators(mesh);
    const g = rng();
    const cases: [tl.CsrMatrix, tl.FvMatrix][] = [
      [ops.divergence, tl.divergenceTriplets(mesh)],
      [ops.cellGradient, tl.cellGradientTriplets(mesh)],
      [ops.cellToFace, tl.cellToFaceAverageTriplets(mesh)],
      [ops.faceToCell, tl.faceToCellAverageTriplets(mesh)],
    ];
    for (const [A, T] of cases) {
      const x = Float32Array.from({ length: 3 * T.nCols }, () => 2 * g.next() - 1);
      const y = tl.spmv(A, tl.tensor(x, { shape: [3, T.nCols] }));
      const got = (await y.data()) as Float32Array;
      y.dispose();
      for (let b = 0; b < 3; b++) {
        const want = tl.fvApply(T, x.subarray(b * T.nCols, (b + 1) * T.nCols));
        // Each row sums |a_ij x_j| <= sum |a_ij|: the float32 error is a few eps of that.
        const rowScale = tl.fvApply({ ...T, values: T.values.map(Math.abs) }, new Float64Array(T.nCols).fill(1));
        want.forEach((v, i) => expect(Math.abs(got[b * T.nRows + i]! - v)).toBeLessThanOrEqual(2e-6 * rowScale[i]! + 1e-30));
      }
      const r = await tl.dotTest(
        (u) => tl.spmv(A, u),
        (v) => tl.spmv(A.transpose(), v),
        [T.nCols],
        [T.nRows],
      );
      expect(r.passed, r.message).toBe(true);
    }
    ops.dispose();
  });

  it('rejects what is not a mesh', () => {
    expect(() => tl.fvOperators({ nx: 2, nz: 2, hx: [1, 1] } as never)).toThrow(/fvOperators: mesh: expected a TensorMesh2d/);
  });
});
