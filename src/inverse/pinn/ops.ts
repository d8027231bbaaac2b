// The tensor ops the PINN toolkit uses, in one place (differentiable versions from autodiff/).
import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../graph/tensor.js';
export {
  add,
  sub,
  mul,
  div,
  neg,
  matmul,
  tanh,
  sin,
  cos,
  exp,
  square,
  slice,
  reshape,
  concat,
  stack,
  sum,
  mean,
  abs,
  max,
  transpose,
} from '../../autodiff/ops.js';

/** A float32 constant from host numbers. */
export function tensorConst(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return tensor(Float32Array.from(values), { shape: [...shape] });
}
