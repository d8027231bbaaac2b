// The mark Tensor.prototype carries (set by tensor.ts), so the modules tensor.ts itself imports
// (tree.ts for pytrees, options.ts for messages) recognize tensors without importing the class.
import type { Tensor } from './tensor.js';

export const TENSOR_BRAND: unique symbol = Symbol.for('tellus.Tensor');

/** Is `v` a Tensor? */
export const isTensor = (v: unknown): v is Tensor =>
  typeof v === 'object' && v !== null && (v as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND] === true;
