// Chainable methods on Tensor (x.add(y).relu().sum()), each delegating to the functional op.
import type { DType } from './gpu/kernels.js';
import { Tensor } from './graph/tensor.js';
import type { TensorLike } from './ops/emit.js';
import * as m from './autodiff/ops.js';
import {
  argmax, argmin, cast, clone, concat, contiguous, expand, flatten, gather, matmul, max, mean, min, pad, permute, prod,
  reshape, scatterAdd, slice, squeeze, sum, take, transpose, unsqueeze, where,
} from './autodiff/ops.js';
import type { PadMode, SliceSpec } from './ops/layout.js';

type Axes = number | readonly number[];

declare module './graph/tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor; sub(b: TensorLike): Tensor; mul(b: TensorLike): Tensor; div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor; minimum(b: TensorLike): Tensor; maximum(b: TensorLike): Tensor;
    eq(b: TensorLike): Tensor; ne(b: TensorLike): Tensor; lt(b: TensorLike): Tensor; le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor; ge(b: TensorLike): Tensor;
    neg(): Tensor; abs(): Tensor; exp(): Tensor; log(): Tensor; sqrt(): Tensor; rsqrt(): Tensor; sin(): Tensor;
    cos(): Tensor; tanh(): Tensor; sigmoid(): Tensor; relu(): Tensor; gelu(): Tensor; softplus(): Tensor;
    square(): Tensor; reciprocal(): Tensor; sign(): Tensor; erf(): Tensor; leakyRelu(alpha?: number): Tensor;
    sum(axes?: Axes, keepDims?: boolean): Tensor; mean(axes?: Axes, keepDims?: boolean): Tensor;
    prod(axes?: Axes, keepDims?: boolean): Tensor; max(axes?: Axes, keepDims?: boolean): Tensor;
    min(axes?: Axes, keepDims?: boolean): Tensor; argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor; flatten(): Tensor; permute(axes: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor; readonly T: Tensor;
    slice(spec: readonly SliceSpec[]): Tensor; expand(shape: readonly number[]): Tensor;
    squeeze(axes?: readonly number[]): Tensor; unsqueeze(axis: number): Tensor;
    pad(pads: readonly (readonly [number, number])[], opts?: { mode?: PadMode; value?: number }): Tensor;
    concat(others: readonly Tensor[], axis?: number): Tensor;
    gather(axis: number, index: Tensor): Tensor; scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor;
    take(index: Tensor, axis?: number): Tensor;
    where(a: TensorLike, b: TensorLike): Tensor;
    cast(dtype: DType): Tensor; contiguous(): Tensor; clone(): Tensor;
  }
}

const P = Tensor.prototype;
for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  P[name] = function (this: Tensor, b: TensorLike) {
    return m[name](this, b);
  };
}
for (const name of ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'gelu', 'softplus', 'square', 'reciprocal', 'sign', 'erf'] as const) {
  P[name] = function (this: Tensor) {
    return m[name](this);
  };
}
P.leakyRelu = function (alpha?: number) { return m.leakyRelu(this, alpha); };
P.sum = function (axes, keepDims) { return sum(this, axes, keepDims); };
P.mean = function (axes, keepDims) { return mean(this, axes, keepDims); };
P.prod = function (axes, keepDims) { return prod(this, axes, keepDims); };
P.max = function (axes, keepDims) { return max(this, axes, keepDims); };
P.min = function (axes, keepDims) { return min(this, axes, keepDims); };
P.argmax = function (axis, keepDims) { return argmax(this, axis, keepDims); };
P.argmin = function (axis, keepDims) { return argmin(this, axis, keepDims); };
P.matmul = function (b) { return matmul(this, b); };
P.reshape = function (shape) { return reshape(this, shape); };
P.flatten = function () { return flatten(this); };
P.permute = function (axes) { return permute(this, axes); };
P.transpose = function (a0, a1) { return transpose(this, a0, a1); };
Object.defineProperty(P, 'T', { get(this: Tensor) { return transpose(this); } });
P.slice = function (spec) { return slice(this, spec); };
P.expand = function (shape) { return expand(this, shape); };
P.squeeze = function (axes) { return squeeze(this, axes); };
P.unsqueeze = function (axis) { return unsqueeze(this, axis); };
P.pad = function (pads, opts) { return pad(this, pads, opts); };
P.concat = function (others, axis) { return concat([this, ...others], axis); };
P.gather = function (axis, index) { return gather(this, axis, index); };
P.scatterAdd = function (axis, index, src) { return scatterAdd(this, axis, index, src); };
P.take = function (index, axis) { return take(this, index, axis); };
P.where = function (a, b) { return where(this, a, b); };
P.cast = function (dtype) { return cast(this, dtype); };
P.contiguous = function () { return contiguous(this); };
P.clone = function () { return clone(this); };
