// PCG (tl.pcg, async with early stop) and the differentiable fixed-budget solve (tl.solveSpd) on a
// variable-coefficient 2D Laplacian: solutions against a float64 Gaussian elimination written here,
// the VJP in b and in the coefficients against float64 finite differences of that host solve.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, type Gen, useDevice } from './helpers.js';
import { relL2, solveDense } from './numerics.js';

useDevice();

/** Face-difference matrix G (faces x cells) of an nx x nz grid with Dirichlet edges (boundary faces see one cell). */
function differences(nx: number, nz: number): { rows: number[]; cols: number[]; values: number[]; faces: number } {
  const t = { rows: [] as number[], cols: [] as number[], values: [] as number[], faces: 0 };
  const face = (a: number, b: number | null): void => {
    t.rows.push(t.faces, ...(b === null ? [] : [t.faces]));
    t.cols.push(a, ...(b === null ? [] : [b]));
    t.values.push(1, ...(b === null ? [] : [-1]));
    t.faces++;
  };
  for (let z = 0; z < nz; z++)
    for (let x = 0; x <= nx; x++) face(z * nx + Math.min(x, nx - 1), x === 0 || x === nx ? null : z * nx + x - 1);
  for (let z = 0; z <= nz; z++)
    for (let x = 0; x < nx; x++) face(Math.min(z, nz - 1) * nx + x, z === 0 || z === nz ? null : (z - 1) * nx + x);
  return t;
}

/** Dense float64 A = G^T diag(c) G + diag(d). */
function dense(G: tl.CsrMatrix, c: ArrayLike<number>, d: ArrayLike<number>): Float64Array {
  const n = G.cols;
  const g = G.toDense();
  const A = new Float64Array(n * n);
  for (let f = 0; f < G.rows; f++)
    for (let i = 0; i < n; i++) {
      const gi = g[f * n + i]!;
      if (gi === 0) continue;
      for (let j = 0; j < n; j++) A[i * n + j]! += gi * c[f]! * g[f * n + j]!;
    }
  for (let i = 0; i < n; i++) A[i * n + i]! += d[i]!;
  return A;
}

const positives = (g: Gen, n: number, lo: number, hi: number): Float32Array =>
  Float32Array.from({ length: n }, () => lo * (hi / lo) ** g.next());
const uniform = (g: Gen, n: number): Float32Array => Float32Array.from({ length: n }, () => g.next() * 2 - 1);

function problem(nx = 9, nz = 7) {
  const g = rng();
  const t = differences(nx, nz);
  const G = tl.sparseMatrix(t.faces, nx * nz, t);
  // Coefficients over two decades and a small mass term: a conditioning like a conductivity model's.
  const c = positives(g, t.faces, 0.1, 10);
  const d = positives(g, nx * nz, 1e-3, 1e-2);
  const A = (x: tl.Tensor, cc: tl.Tensor, dd: tl.Tensor): tl.Tensor => tl.spmv(G.transpose(), tl.spmv(G, x).mul(cc)).add(x.mul(dd));
  // The Jacobi diagonal: diag(G^T C G) = (G o G)^T c, plus d.
  const diag = new Float64Array(nx * nz).map((_, i) => d[i]!);
  const gd = G.toDense();
  for (let f = 0; f < t.faces; f++) for (let i = 0; i < nx * nz; i++) diag[i]! += gd[f * nx * nz + i]! ** 2 * c[f]!;
  return { g, G, c, d, A, n: nx * nz, diag, dense: dense(G, c, d) };
}

describe('pcg', () => {
  it('solves a batch of right-hand sides to the tolerance, Jacobi cutting the iterations', async () => {
    const { g, G, c, d, A, n, diag, dense: Ad } = problem();
    const bs = uniform(g, 3 * n);
    const [b, cc, dd] = [tl.tensor(bs, { shape: [3, n] }), tl.tensor(c), tl.tensor(d)];
    const op = (x: tl.Tensor): tl.Tensor => A(x, cc, dd);
    const plain = await tl.pcg(op, b, { tol: 1e-6 });
    const jacobi = await tl.pcg(op, b, { tol: 1e-6, preconditioner: tl.tensor(Float32Array.from(diag)) });
    for (const r of [plain, jacobi]) {
      const x = await r.x.data();
      for (let k = 0; k < 3; k++) {
        const want = solveDense(Ad, bs.subarray(k * n, (k + 1) * n));
        // Residual 1e-6 times a condition number ~1e3-1e4: the error is bounded near 1e-3; measured ~1e-5.
        expect(relL2(x.subarray(k * n, (k + 1) * n), want)).toBeLessThan(2e-4);
      }
      // The true residual of float32 iterates stays within a few times the recursive one.
      for (const v of r.relativeResidual) expect(v).toBeLessThan(1e-5);
      expect(r.iterationsPerRhs.length).toBe(3);
      expect(r.iterations).toBe(Math.max(...r.iterationsPerRhs));
    }
    expect(jacobi.iterations).toBeLessThan(plain.iterations);
    G.dispose();
  });

  it('a 1-D right-hand side, x0, a zero right-hand side and a function preconditioner', async () => {
    const { g, G, c, d, A, n, diag, dense: Ad } = problem(5, 4);
    const bs = uniform(g, n);
    const [cc, dd] = [tl.tensor(c), tl.tensor(d)];
    const op = (x: tl.Tensor): tl.Tensor => A(x, cc, dd);
    const want = solveDense(Ad, bs);
    const M = tl.tensor(Float32Array.from(diag));
    const r = await tl.pcg(op, tl.tensor(bs), { x0: tl.tensor(Float32Array.from(want)), preconditioner: (v) => v.div(M) });
    expect(r.iterations).toBeLessThanOrEqual(1); // x0 is already the solution to float32 rounding
    expect(relL2(await r.x.data(), want)).toBeLessThan(1e-5);
    const z = await tl.pcg(op, tl.zeros([2, n]));
    expect(Array.from(z.relativeResidual)).toEqual([0, 0]);
    expect(Math.max(...(await z.x.data()).map(Math.abs))).toBe(0);
    G.dispose();
  });

  it('says when it does not converge or A is not positive definite, and leaves b intact', async () => {
    const { g, G, c, d, A, n } = problem();
    const b = tl.tensor(uniform(g, n));
    const [cc, dd] = [tl.tensor(c), tl.tensor(d)];
    await expect(tl.pcg((x) => A(x, cc, dd), b, { maxIterations: 3, checkEvery: 2 })).rejects.toThrow(
      /pcg\(A, b, opts\): no convergence in 3 iterations: relative residual \S+ > tol 1e-6 for right-hand side 0 of 1/,
    );
    await expect(tl.pcg((x) => A(x, cc, dd).neg(), b)).rejects.toThrow(/A is not positive definite: p\^T A p = -/);
    expect((await b.data()).length).toBe(n);
    G.dispose();
  });

  it('rejects bad input', async () => {
    const b = tl.ones([4]);
    await expect(tl.pcg((x) => x, b, { tolerance: 1e-3 } as never)).rejects.toThrow(/unknown option 'tolerance'; valid options: tol,/);
    await expect(tl.pcg((x) => x, b, { tol: 2 })).rejects.toThrow(/opts\.tol: expected a relative residual in \(0, 1\), got 2/);
    await expect(tl.pcg((x) => x.sum(), b)).rejects.toThrow(
      /pcg\(A, b, opts\): A: expected a function returning a float32 tensor of x's shape \[4\], got float32 \[\]/,
    );
    await expect(tl.pcg((x) => x, tl.ones([2, 2, 2]))).rejects.toThrow(/b: expected a float32 tensor \[n\] or a batch \[B, n\]/);
    await expect(tl.pcg((x) => x, b, { preconditioner: tl.ones([3]) })).rejects.toThrow(
      /opts\.preconditioner: expected a float32 Jacobi diagonal \[4\]/,
    );
    expect(() => tl.solveSpd((x) => x, b, [], {} as never)).toThrow(/solveSpd.*opts\.maxIterations: expected an integer >= 1/);
  });
});

describe('solveSpd', () => {
  it('matches the host solve; its gradients in b and in the coefficients match float64 finite differences', async () => {
    const { g, G, c, d, A, n, dense: Ad } = problem(6, 5);
    const [bs, ws] = [uniform(g, n), uniform(g, n)];
    const [b, w, cc, dd] = [tl.tensor(bs), tl.tensor(ws), tl.tensor(c), tl.tensor(d)];
    const loss = (bb: tl.Tensor, c1: tl.Tensor, d1: tl.Tensor): tl.Tensor =>
      tl.solveSpd(A, bb, [c1, d1], { maxIterations: 100 }).mul(w).sum();
    const x = tl.solveSpd(A, b, [cc, dd], { maxIterations: 100 });
    expect(relL2(await x.data(), solveDense(Ad, bs))).toBeLessThan(2e-4);
    const [gb, gc, gd] = tl.grad(loss, [0, 1, 2])(b, cc, dd) as tl.Tensor[];
    // L = w^T A^-1 b in float64: dL/db = A^-1 w; dL/dc and dL/dd by central differences of the host solve.
    const hostLoss = (c1: ArrayLike<number>, d1: ArrayLike<number>): number =>
      solveDense(dense(G, c1, d1), bs).reduce((s, v, i) => s + v * ws[i]!, 0);
    expect(relL2(await gb!.data(), solveDense(Ad, ws))).toBeLessThan(2e-4);
    const fd = (v: Float32Array, other: Float32Array, first: boolean): Float64Array =>
      Float64Array.from(v, (vi, i) => {
        const h = 1e-4 * vi;
        const up = Float64Array.from(v);
        const dn = Float64Array.from(v);
        up[i] = vi + h;
        dn[i] = vi - h;
        return ((first ? hostLoss(up, other) : hostLoss(other, up)) - (first ? hostLoss(dn, other) : hostLoss(other, dn))) / (2 * h);
      });
    // Central differences in float64 are accurate to ~1e-8; the float32 solves to ~1e-5.
    expect(relL2(await gc!.data(), fd(c, d, true))).toBeLessThan(1e-3);
    expect(relL2(await gd!.data(), fd(d, c, false))).toBeLessThan(1e-3);
    G.dispose();
  });

  it('a budget too small for the tolerance is an error at the next read-back', async () => {
    const { g, G, c, d, A, n } = problem();
    const x = tl.solveSpd(A, tl.tensor(uniform(g, n)), [tl.tensor(c), tl.tensor(d)], { maxIterations: 2 });
    await expect(x.data()).rejects.toThrow(/solveSpd: PCG did not reach opts\.tol within opts\.maxIterations/);
    G.dispose();
  });
});

/** Assembled CSR of G^T diag(c) G + diag(d) from G's triplets (host float64). */
function assembled(t: ReturnType<typeof differences>, n: number, c: ArrayLike<number>, d: ArrayLike<number>): tl.CsrMatrix {
  const byFace: [number, number][][] = Array.from({ length: t.faces }, () => []);
  t.rows.forEach((f, k) => byFace[f]!.push([t.cols[k]!, t.values[k]!]));
  const tr = { rows: [] as number[], cols: [] as number[], values: [] as number[] };
  byFace.forEach((entries, f) => {
    for (const [i, gi] of entries) for (const [j, gj] of entries) (tr.rows.push(i), tr.cols.push(j), tr.values.push(gi * c[f]! * gj));
  });
  for (let i = 0; i < n; i++) (tr.rows.push(i), tr.cols.push(i), tr.values.push(d[i]!));
  return tl.sparseMatrix(n, n, tr);
}

describe('multigridPreconditioner', () => {
  it('is symmetric, and PCG with it takes far fewer iterations than Jacobi to the same solution', async () => {
    const [nx, nz] = [24, 20];
    const g = rng();
    const t = differences(nx, nz);
    const n = nx * nz;
    const c = positives(g, t.faces, 0.1, 10);
    const d = positives(g, n, 1e-4, 1e-3);
    const A = assembled(t, n, c, d);
    const mg = tl.multigridPreconditioner(A, { shape: [nz, nx], coarsest: 30 });
    expect(mg.sizes).toEqual([480, 120, 30]);
    expect(mg.complexity).toBeLessThan(2);
    // <u, M v> = <M u, v>: PCG needs a symmetric preconditioner. float32 V-cycle: agreement to ~1e-6.
    const [u, v] = [tl.tensor(uniform(g, n)), tl.tensor(uniform(g, n))];
    const [Mu, Mv] = [await mg.apply(u).data(), await mg.apply(v).data()];
    const [uh, vh] = [await u.data(), await v.data()];
    let [l, r] = [0, 0];
    for (let i = 0; i < n; i++) ((l += uh[i]! * Mv[i]!), (r += Mu[i]! * vh[i]!));
    expect(Math.abs(l - r)).toBeLessThan(1e-5 * Math.abs(l));
    const bs = uniform(g, 2 * n);
    const b = tl.tensor(bs, { shape: [2, n] });
    const op = (x: tl.Tensor): tl.Tensor => tl.spmv(A, x);
    const jacobi = await tl.pcg(op, b, { preconditioner: tl.tensor(Float32Array.from(A.diagonal())), maxIterations: 2000 });
    const multigrid = await tl.pcg(op, b, { preconditioner: mg.apply, checkEvery: 5 });
    const Ad = A.toDense();
    for (const res of [jacobi, multigrid]) {
      const x = await res.x.data();
      // Relative residual 1e-6, condition number ~1e5: errors measured ~1e-4.
      for (let k = 0; k < 2; k++)
        expect(relL2(x.subarray(k * n, (k + 1) * n), solveDense(Ad, bs.subarray(k * n, (k + 1) * n)))).toBeLessThan(2e-3);
    }
    expect(multigrid.iterations * 4).toBeLessThan(jacobi.iterations);
    mg.dispose();
    A.dispose();
  });

  it('rejects a shape that does not match A', () => {
    const A = tl.sparseMatrix(6, 6, { rows: [0, 1, 2, 3, 4, 5], cols: [0, 1, 2, 3, 4, 5], values: [1, 1, 1, 1, 1, 1] });
    expect(() => tl.multigridPreconditioner(A, { shape: [2, 2] })).toThrow(/opts\.shape: expected \[nz, nx\] with nz \* nx = 6/);
    expect(() => tl.multigridPreconditioner(A, { shape: [2, 3], levels: 2 } as never)).toThrow(/unknown option 'levels'/);
    A.dispose();
  });
});
