// CSR matrices (tl.sparseMatrix, tl.spmv) against dense float64 products written here, the cached
// transpose by a dot test, the VJP against the transpose, and the 2D tensor mesh's geometry.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, type Gen, useDevice } from './helpers.js';
import { relL2 } from './numerics.js';

useDevice();

/** Random triplets with repeated (row, col) pairs and one empty row. */
function randomTriplets(g: Gen, rows: number, cols: number, n: number): { rows: number[]; cols: number[]; values: number[] } {
  const t = { rows: [] as number[], cols: [] as number[], values: [] as number[] };
  for (let k = 0; k < n; k++) {
    const r = Math.floor(g.next() * rows);
    if (r === 1) continue; // row 1 stays empty
    t.rows.push(r);
    t.cols.push(Math.floor(g.next() * cols));
    t.values.push(g.next() * 2 - 1);
  }
  // A duplicate of the first entry, summed on construction.
  t.rows.push(t.rows[0]!);
  t.cols.push(t.cols[0]!);
  t.values.push(0.5);
  return t;
}

/** Dense y = A x from the triplets themselves (independent of the CSR build), float64. */
function denseProduct(
  t: { rows: number[]; cols: number[]; values: number[] },
  rows: number,
  cols: number,
  x: Float32Array,
  batch: number,
): Float64Array {
  const y = new Float64Array(batch * rows);
  for (let b = 0; b < batch; b++)
    for (let k = 0; k < t.values.length; k++) y[b * rows + t.rows[k]!]! += t.values[k]! * x[b * cols + t.cols[k]!]!;
  return y;
}

const randomVector = (g: Gen, n: number): Float32Array => Float32Array.from({ length: n }, () => g.next() * 2 - 1);

describe('sparse', () => {
  it('spmv matches a dense float64 product for one vector and a batch', async () => {
    const g = rng();
    const [rows, cols] = [37, 23];
    const t = randomTriplets(g, rows, cols, 150);
    const A = tl.sparseMatrix(rows, cols, t);
    expect(A.nnz).toBeLessThanOrEqual(t.values.length - 1);
    for (const batch of [0, 1, 3]) {
      const xs = randomVector(g, Math.max(batch, 1) * cols);
      const x = batch === 0 ? tl.tensor(xs) : tl.tensor(xs, { shape: [batch, cols] });
      const y = tl.spmv(A, x);
      expect(y.shape).toEqual(batch === 0 ? [rows] : [batch, rows]);
      const want = denseProduct(t, rows, cols, xs, Math.max(batch, 1));
      // float32 products of ~4 terms of size 1: a few ulps.
      expect(relL2(await y.data(), want)).toBeLessThan(1e-6);
      expect(Array.from((await y.data()).subarray(1, 2))).toEqual([0]); // the empty row
      x.dispose();
      y.dispose();
    }
    A.dispose();
  });

  it('reads a strided (transposed) batch', async () => {
    const g = rng();
    const t = randomTriplets(g, 9, 6, 30);
    const A = tl.sparseMatrix(9, 6, t);
    const xs = randomVector(g, 6 * 4);
    const xT = tl.tensor(xs, { shape: [6, 4] }).transpose(); // [4, 6], not contiguous
    const host = new Float32Array(24);
    for (let b = 0; b < 4; b++) for (let c = 0; c < 6; c++) host[b * 6 + c] = xs[c * 4 + b]!;
    expect(relL2(await tl.spmv(A, xT).data(), denseProduct(t, 9, 6, host, 4))).toBeLessThan(1e-6);
    A.dispose();
  });

  it('an empty batch gives an empty result', async () => {
    const A = tl.sparseMatrix(3, 2, { rows: [0], cols: [1], values: [2] });
    const y = tl.spmv(A, tl.zeros([0, 2]));
    expect(y.shape).toEqual([0, 3]);
    expect((await y.data()).length).toBe(0);
    A.dispose();
  });

  it('the transpose passes a dot test and the VJP is the transposed product', async () => {
    const g = rng();
    const t = randomTriplets(g, 31, 17, 120);
    const A = tl.sparseMatrix(31, 17, t);
    const x = tl.tensor(randomVector(g, 2 * 17), { shape: [2, 17] });
    const w = tl.tensor(randomVector(g, 2 * 31), { shape: [2, 31] });
    const [Ax, ATw] = [await tl.spmv(A, x).data(), await tl.spmv(A.transpose(), w).data()];
    const [xh, wh] = [await x.data(), await w.data()];
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < Ax.length; i++) lhs += wh[i]! * Ax[i]!;
    for (let i = 0; i < ATw.length; i++) rhs += ATw[i]! * xh[i]!;
    // float32 entries summed in float64: agreement to a few float32 ulps of the terms.
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * (Math.abs(lhs) + 1));
    expect(A.transpose().toDense()).toEqual(
      Float64Array.from({ length: 17 * 31 }, (_, k) => A.toDense()[(k % 31) * 17 + Math.floor(k / 31)]!),
    );
    const [, pull] = tl.vjp((v) => tl.spmv(A, v), x);
    const [gx] = pull(w);
    expect(Array.from(await gx!.data())).toEqual(Array.from(ATw));
    // Second order: the VJP is itself differentiable (a Taylor check of x -> <w, A x>^2).
    const f = (v: tl.Tensor): tl.Tensor => tl.spmv(A, v).mul(w).sum().square();
    const r = await tl.taylorTest(f, x);
    expect(r.passed, r.message).toBe(true);
    A.dispose();
  });

  it('diagonal and toDense agree with the triplets', () => {
    const A = tl.sparseMatrix(3, 3, { rows: [0, 0, 1, 2, 2, 2], cols: [0, 2, 1, 0, 2, 2], values: [1, 5, 2, 7, 3, 4] });
    expect(Array.from(A.diagonal())).toEqual([1, 2, 7]);
    expect(Array.from(A.toDense())).toEqual([1, 0, 5, 0, 2, 0, 7, 0, 7]);
    expect(Array.from(A.host.rowPtr)).toEqual([0, 2, 3, 5]);
    A.dispose();
  });

  it('rejects bad input with the argument named', () => {
    expect(() => tl.sparseMatrix(0, 2, { rows: [], cols: [], values: [] })).toThrow(/sparseMatrix.*rows: expected a positive integer/);
    expect(() => tl.sparseMatrix(2, 2, { rows: [0, 2], cols: [0, 0], values: [1, 1] })).toThrow(
      /triplets\.rows: expected integers in \[0, 2\), got 2 at entry 1/,
    );
    expect(() => tl.sparseMatrix(2, 2, { rows: [0], cols: [0], values: [NaN] })).toThrow(/triplets\.values: expected finite numbers/);
    expect(() => tl.sparseMatrix(2, 2, { rows: [0], cols: [0, 1], values: [1] })).toThrow(/equal length/);
    const A = tl.sparseMatrix(2, 3, { rows: [0], cols: [2], values: [1] });
    expect(() => tl.spmv(A, tl.zeros([2]))).toThrow(/spmv\(A, x\): x: expected a float32 tensor \[3\] or \[B, 3\]/);
    expect(() => tl.spmv({} as tl.CsrMatrix, tl.zeros([3]))).toThrow(/A: expected a CsrMatrix/);
    A.dispose();
    expect(() => tl.spmv(A, tl.zeros([3]))).toThrow(/disposed/);
  });
});

describe('TensorMesh2d', () => {
  it('padded mesh: widths grow by the factor, the core starts at (0, 0)', () => {
    const m = tl.TensorMesh2d.padded({ nx: 4, nz: 3, h: 2, padLeft: 2, padRight: 1, padBottom: 2, factor: 1.5 });
    expect(Array.from(m.hx)).toEqual([4.5, 3, 2, 2, 2, 2, 3]);
    expect(Array.from(m.hz)).toEqual([2, 2, 2, 3, 4.5]);
    expect([m.x0, m.z0]).toEqual([-7.5, 0]);
    expect(m.coreX).toEqual([2, 6]);
    expect(m.coreZ).toEqual([0, 3]);
    expect(m.nodesX()[2]).toBe(0);
    expect(Array.from(m.cellCentersZ())).toEqual([1, 3, 5, 7.5, 11.25]);
    expect(m.extent).toEqual([18.5, 13.5]);
  });

  it('areas, face lengths, face counts and cell lookup', () => {
    const m = new tl.TensorMesh2d([1, 2, 3], [4, 5], [10, 0]);
    expect([m.nCells, m.nFacesX, m.nFacesZ, m.nFaces]).toEqual([6, 8, 9, 17]);
    expect(Array.from(m.cellAreas())).toEqual([4, 8, 12, 5, 10, 15]);
    expect(Array.from(m.faceLengths())).toEqual([4, 4, 4, 4, 5, 5, 5, 5, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(m.findCell(10, 0)).toBe(0);
    expect(m.findCell(11, 4)).toBe(m.cellIndex(1, 1)); // on a shared edge: the cell after it
    expect(m.findCell(16, 9)).toBe(5); // the far corner closes the last cell
    expect(m.findCell(9.99, 1)).toBe(-1);
  });

  it('rejects bad input', () => {
    expect(() => new tl.TensorMesh2d([1, -1], [1])).toThrow(/hx: expected positive finite widths, got -1 at index 1/);
    expect(() => tl.TensorMesh2d.uniform(0, 2, 1)).toThrow(/nx: expected an integer >= 1/);
    expect(() => tl.TensorMesh2d.padded({ nx: 2, nz: 2, h: 1, pad: 3 } as never)).toThrow(/pad.*padTop|padLeft|padRight|padBottom/);
    expect(() => tl.TensorMesh2d.padded({ nx: 2, nz: 2, h: 1, factor: 0.5 })).toThrow(/factor: expected a finite number >= 1/);
    expect(() => tl.TensorMesh2d.uniform(2, 2, 1).cellIndex(2, 0)).toThrow(/ix: expected an integer in \[0, 2\)/);
  });
});
