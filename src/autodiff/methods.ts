// Chainable methods on Tensor (x.add(y).relu().sum()), each delegating to the functional op.
import type { DType } from '../gpu/kernels.js';
import { Tensor } from '../graph/tensor.js';
import type { TensorLike } from '../ops/emit.js';
import {
  argmax,
  argmin,
  cast,
  clone,
  concat,
  contiguous,
  expand,
  flatten,
  gather,
  matmul,
  max,
  mean,
  min,
  pad,
  permute,
  prod,
  reshape,
  scatterAdd,
  slice,
  squeeze,
  sum,
  take,
  transpose,
  unsqueeze,
  where,
} from './ops.js';
import type { PadMode, SliceSpec } from '../ops/layout.js';
import * as ops from './ops.js';
import type { BinaryName, UnaryName, UnaryOps } from './optable.js';
import { registeredOps } from '../ops/elementwise.js';

type Axes = number | readonly number[];

// One method per op-table entry: x.exp(), x.leakyRelu(alpha), x.add(b), ...
type Method<F> = F extends (x: Tensor, ...rest: infer R) => Tensor ? (...rest: R) => Tensor : never;
type ElementwiseMethods = { [K in UnaryName]: Method<UnaryOps[K]> } & { [K in BinaryName]: (b: TensorLike) => Tensor };

declare module '../graph/tensor.js' {
  interface Tensor extends ElementwiseMethods {
    sum(axes?: Axes, keepDims?: boolean): Tensor;
    mean(axes?: Axes, keepDims?: boolean): Tensor;
    prod(axes?: Axes, keepDims?: boolean): Tensor;
    max(axes?: Axes, keepDims?: boolean): Tensor;
    min(axes?: Axes, keepDims?: boolean): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(): Tensor;
    permute(axes: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    readonly T: Tensor;
    slice(spec: readonly SliceSpec[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    squeeze(axes?: readonly number[]): Tensor;
    unsqueeze(axis: number): Tensor;
    pad(pads: readonly (readonly [number, number])[], opts?: { mode?: PadMode; value?: number }): Tensor;
    concat(others: readonly Tensor[], axis?: number): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor;
    take(index: Tensor, axis?: number): Tensor;
    where(a: TensorLike, b: TensorLike): Tensor;
    cast(dtype: DType): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
  }
}

const P = Tensor.prototype;
// The registry lists exactly the op table's entries (test/optable.test.ts checks every one has a method).
for (const name of registeredOps().binary.keys() as Iterable<BinaryName>) {
  const op = ops[name];
  P[name] = function (this: Tensor, b: TensorLike) {
    return op(this, b);
  };
}
for (const name of registeredOps().unary.keys() as Iterable<UnaryName>) {
  const op = ops[name];
  (P as unknown as Record<UnaryName, (this: Tensor, param?: number) => Tensor>)[name] = function (this: Tensor, param?: number) {
    return op(this, param);
  };
}
P.sum = function (axes, keepDims) {
  return sum(this, axes, keepDims);
};
P.mean = function (axes, keepDims) {
  return mean(this, axes, keepDims);
};
P.prod = function (axes, keepDims) {
  return prod(this, axes, keepDims);
};
P.max = function (axes, keepDims) {
  return max(this, axes, keepDims);
};
P.min = function (axes, keepDims) {
  return min(this, axes, keepDims);
};
P.argmax = function (axis, keepDims) {
  return argmax(this, axis, keepDims);
};
P.argmin = function (axis, keepDims) {
  return argmin(this, axis, keepDims);
};
P.matmul = function (b) {
  return matmul(this, b);
};
P.reshape = function (shape) {
  return reshape(this, shape);
};
P.flatten = function () {
  return flatten(this);
};
P.permute = function (axes) {
  return permute(this, axes);
};
P.transpose = function (a0, a1) {
  return transpose(this, a0, a1);
};
Object.defineProperty(P, 'T', {
  get(this: Tensor) {
    return transpose(this);
  },
});
P.slice = function (spec) {
  return slice(this, spec);
};
P.expand = function (shape) {
  return expand(this, shape);
};
P.squeeze = function (axes) {
  return squeeze(this, axes);
};
P.unsqueeze = function (axis) {
  return unsqueeze(this, axis);
};
P.pad = function (pads, opts) {
  return pad(this, pads, opts);
};
P.concat = function (others, axis) {
  return concat([this, ...others], axis);
};
P.gather = function (axis, index) {
  return gather(this, axis, index);
};
P.scatterAdd = function (axis, index, src) {
  return scatterAdd(this, axis, index, src);
};
P.take = function (index, axis) {
  return take(this, index, axis);
};
P.where = function (a, b) {
  return where(this, a, b);
};
P.cast = function (dtype) {
  return cast(this, dtype);
};
P.contiguous = function () {
  return contiguous(this);
};
P.clone = function () {
  return clone(this);
};
