// spmv as a differentiable op: linear in x, so its VJP is the product with the transpose (itself
// differentiable, which gives derivatives of any order). The matrix is a constant.
import type { Tensor } from '../graph/tensor.js';
import { type CsrMatrix, spmvRaw } from '../ops/sparse.js';
import { record } from './tape.js';

export { CsrMatrix, sparseMatrix, type Triplets } from '../ops/sparse.js';

/** y = A x for x [cols] or a batch [B, cols] -> [rows] or [B, rows]; differentiable in x. */
export function spmv(a: CsrMatrix, x: Tensor): Tensor {
  return record('spmv', spmvRaw(a, x), [x], () => (g) => [spmv(a.transpose(), g)]);
}
