// Sparse matrices in CSR form on the GPU, built on the host from triplets (finite-volume operators,
// ray-length matrices), and their product with batches of dense vectors. The transpose is a second
// CSR built on the host once and cached, so A^T y is a gather like A x (no float atomics, fixed
// summation order, reproducible).
import { type Tensor, keep } from '../graph/tensor.js';
import { argError, argErrorText } from '../graph/options.js';
import { fmt, isContiguous } from '../graph/shape.js';
import { registerShader } from '../gpu/kernels.js';
import sparseWgsl from '../../shaders/sparse.wgsl';
import { tensor } from './creation.js';
import { checkFloat, checkTensor, emit, grid1d, output } from './emit.js';
import { contiguous } from './elementwise.js';

registerShader('sparse.wgsl', sparseWgsl);

export interface Triplets {
  rows: ArrayLike<number>;
  cols: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** A CSR matrix: host arrays (float64 values) and their GPU copies (int32 indices, float32 values). */
export class CsrMatrix {
  readonly nnz: number;
  readonly rowPtr: Tensor;
  readonly colIdx: Tensor;
  readonly values: Tensor;
  private transposed: CsrMatrix | null = null;

  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly host: { readonly rowPtr: Int32Array; readonly colIdx: Int32Array; readonly values: Float64Array },
  ) {
    this.nnz = host.colIdx.length;
    // A matrix lives until dispose(), even when first built (or transposed) inside a tidy.
    this.rowPtr = keep(tensor(host.rowPtr, { dtype: 'int32' }));
    // Zero-length storage is not bindable: an empty matrix keeps one unused entry.
    this.colIdx = keep(tensor(this.nnz ? host.colIdx : new Int32Array(1), { dtype: 'int32' }));
    this.values = keep(tensor(this.nnz ? Float32Array.from(host.values) : new Float32Array(1)));
  }

  /** A^T, built on the host on first use and kept (disposed with A). */
  transpose(): CsrMatrix {
    if (this.isDisposed) throw new Error('tellus: CsrMatrix.transpose(): the matrix is disposed');
    this.transposed ??= transposeHost(this);
    return this.transposed;
  }

  /** The diagonal as float64 (zeros where a row has no diagonal entry). */
  diagonal(): Float64Array {
    const n = Math.min(this.rows, this.cols);
    const d = new Float64Array(n);
    const { rowPtr, colIdx, values } = this.host;
    for (let r = 0; r < n; r++) for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) if (colIdx[k] === r) d[r] = d[r]! + values[k]!;
    return d;
  }

  /** The dense matrix, row-major float64 (for tests and small problems). */
  toDense(): Float64Array {
    const out = new Float64Array(this.rows * this.cols);
    const { rowPtr, colIdx, values } = this.host;
    for (let r = 0; r < this.rows; r++) for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) out[r * this.cols + colIdx[k]!]! += values[k]!;
    return out;
  }

  get isDisposed(): boolean {
    return this.values.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.rowPtr.dispose();
    this.colIdx.dispose();
    this.values.dispose();
    this.transposed?.dispose();
    this.transposed = null;
  }
}

const dim = (what: string, arg: string, v: unknown): number => {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 2 ** 31 - 1)
    throw argError(what, arg, 'a positive integer', v, RangeError);
  return v as number;
};

/** CSR from (row, col, value) triplets; duplicates are summed in float64, entries sorted by column. */
export function sparseMatrix(rows: number, cols: number, triplets: Triplets): CsrMatrix {
  const what = 'sparseMatrix(rows, cols, triplets)';
  dim(what, 'rows', rows);
  dim(what, 'cols', cols);
  const t = triplets as Partial<Triplets> | null;
  const arr = (v: unknown): v is ArrayLike<number> => Array.isArray(v) || ArrayBuffer.isView(v);
  if (t === null || typeof t !== 'object' || !arr(t.rows) || !arr(t.cols) || !arr(t.values))
    throw argError(what, 'triplets', 'an object { rows, cols, values } of three equal-length arrays', triplets);
  const n = t.values.length;
  if (t.rows.length !== n || t.cols.length !== n)
    throw argErrorText(
      what,
      'triplets',
      'rows, cols and values of equal length',
      `lengths ${t.rows.length}, ${t.cols.length}, ${n}`,
      Error,
    );
  const check = (arrName: 'rows' | 'cols', limit: number): void => {
    const a = t[arrName]!;
    for (let k = 0; k < n; k++) {
      const v = a[k]!;
      if (!Number.isInteger(v) || v < 0 || v >= limit)
        throw argErrorText(what, `triplets.${arrName}`, `integers in [0, ${limit})`, `${v} at entry ${k}`, RangeError);
    }
  };
  check('rows', rows);
  check('cols', cols);
  for (let k = 0; k < n; k++) {
    const v = t.values[k]!;
    if (!Number.isFinite(v)) throw argErrorText(what, 'triplets.values', 'finite numbers', `${v} at entry ${k}`, RangeError);
  }
  return fromTriplets(rows, cols, t.rows, t.cols, t.values);
}

function fromTriplets(rows: number, cols: number, ri: ArrayLike<number>, ci: ArrayLike<number>, vi: ArrayLike<number>): CsrMatrix {
  const n = vi.length;
  // Counting sort by row, then sort each row by column and merge duplicates.
  const start = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) start[ri[k]! + 1]!++;
  for (let r = 0; r < rows; r++) start[r + 1]! += start[r]!;
  const fill = start.slice(0, rows);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[fill[ri[k]!]!++] = k;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const entries = Array.from(order.subarray(start[r], start[r + 1])).sort((a, b) => ci[a]! - ci[b]! || a - b);
    for (const k of entries) {
      const c = ci[k]!;
      if (colIdx.length > rowPtr[r]! && colIdx[colIdx.length - 1] === c) values[values.length - 1]! += vi[k]!;
      else (colIdx.push(c), values.push(vi[k]!));
    }
    rowPtr[r + 1] = colIdx.length;
  }
  return new CsrMatrix(rows, cols, { rowPtr, colIdx: Int32Array.from(colIdx), values: Float64Array.from(values) });
}

function transposeHost(a: CsrMatrix): CsrMatrix {
  const { rowPtr, colIdx, values } = a.host;
  const ri = new Int32Array(a.nnz);
  for (let r = 0; r < a.rows; r++) ri.fill(r, rowPtr[r], rowPtr[r + 1]);
  return fromTriplets(a.cols, a.rows, colIdx, ri, values);
}

export function checkCsr(a: unknown, what: string, arg: string): CsrMatrix {
  if (!(a instanceof CsrMatrix)) throw argError(what, arg, 'a CsrMatrix (from sparseMatrix)', a);
  if (a.isDisposed) throw argErrorText(what, arg, 'a live CsrMatrix', 'a disposed one', Error);
  return a;
}

/** y = A x for x [cols] or a batch [B, cols]; y is [rows] or [B, rows]. Plain op (no tape). */
export function spmvRaw(aIn: CsrMatrix, xIn: Tensor, what = 'spmv(A, x)'): Tensor {
  const a = checkCsr(aIn, what, 'A');
  const x0 = checkTensor(xIn, what, 'x');
  checkFloat(x0, what, 'x');
  if ((x0.rank !== 1 && x0.rank !== 2) || x0.shape[x0.rank - 1] !== a.cols)
    throw argErrorText(what, 'x', `a float32 tensor [${a.cols}] or [B, ${a.cols}] (A is ${a.rows}x${a.cols})`, fmt(x0.shape), Error);
  const batch = x0.rank === 2 ? x0.shape[0]! : 1;
  const x = isContiguous(x0.shape, x0.strides) ? x0 : contiguous(x0);
  const y = output(x0.rank === 2 ? [batch, a.rows] : [a.rows], 'float32');
  const n = batch * a.rows;
  // Dispatched even when the batch is empty (the kernel checks n), so y always has a buffer to read.
  emit({
    file: 'sparse.wgsl',
    entry: 'spmv',
    label: 'spmv',
    bind: {
      row_ptr: a.rowPtr.storageFor(`${what}: A`),
      col_idx: a.colIdx.storageFor(`${what}: A`),
      vals: a.values.storageFor(`${what}: A`),
      x: x.storageFor(`${what}: x`),
      y: y.storageFor(what),
    },
    uniforms: { rows: a.rows, cols: a.cols, batch, offset_x: x.offset },
    grid: grid1d(n),
    bytes: batch * (8 * a.nnz + 4 * a.rows) + 4 * (a.rows + 1),
    flops: 2 * batch * a.nnz,
  });
  if (x !== x0) x.dispose();
  return y;
}
