// The differentiable ops that every other rule leans on: broadcasting's undo (unbroadcast), where,
// cast, copies, sum, reshape and expand. Their own rules need nothing beyond this file, so the op
// table (optable.ts) and the rest of ops.ts can build on them without an import cycle.
import type { DType } from '../gpu/kernels.js';
import { Tensor } from '../graph/tensor.js';
import type { TensorLike } from '../ops/emit.js';
import * as E from '../ops/elementwise.js';
import * as Rd from '../ops/reduce.js';
import * as L from '../ops/layout.js';
import { record, save } from './tape.js';

type T = Tensor;
export const isT = (v: unknown): v is Tensor => v instanceof Tensor;
const operandShape = (v: TensorLike): readonly number[] => (isT(v) ? v.shape : []);

/** Sums `g` down to `shape`, undoing NumPy broadcasting. */
export function unbroadcast(g: T, shape: readonly number[]): T {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes = g.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

export function where(cond: T, a: TensorLike, b: TensorLike): T {
  const out = E.where(cond, a, b);
  return record('where', out, [null, isT(a) ? a : null, isT(b) ? b : null], () => {
    const sc = save(cond);
    const [sha, shb] = [operandShape(a), operandShape(b)];
    return (g) => [null, isT(a) ? unbroadcast(where(sc, g, 0), sha) : null, isT(b) ? unbroadcast(where(sc, 0, g), shb) : null];
  });
}

export function cast(x: T, dtype: DType): T {
  const out = E.cast(x, dtype);
  if (out === x) return out;
  // Only float-to-float paths carry gradient; integer results are piecewise constant.
  return record('cast', out, [dtype === 'float32' && x.dtype === 'float32' ? x : null], () => (g) => [g]);
}

export function contiguous(x: T): T {
  const out = E.contiguous(x);
  return out === x ? out : record('contiguous', out, [x], () => (g) => [g]);
}

export function clone(x: T): T {
  return record('clone', E.clone(x), [x], () => (g) => [g]);
}

/** The same values with no gradient: a barrier for differentiation. */
export function stopGradient(x: T): T {
  const h = x.view(x.shape, x.strides, x.offset);
  h.tape = undefined;
  return h;
}
export const detach = stopGradient;

export type Axes = number | readonly number[] | undefined;
export const axesList = (x: T, axes: Axes): number[] =>
  axes === undefined ? x.shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : [...axes]).map((a) => (a < 0 ? a + x.rank : a));
export const keptShape = (x: T, axes: Axes): number[] => {
  const list = axesList(x, axes);
  return x.shape.map((d, i) => (list.includes(i) ? 1 : d));
};

export function sum(x: T, axes?: Axes, keepDims = false): T {
  const out = Rd.sum(x, axes, keepDims);
  return record('sum', out, [x], () => {
    const shape = x.shape;
    const kept = keptShape(x, axes);
    return (g) => [expand(reshape(g, kept), shape)];
  });
}

export function reshape(x: T, shape: readonly number[]): T {
  const out = L.reshape(x, shape);
  return record('reshape', out, [x], () => {
    const s = x.shape;
    return (g) => [reshape(g, s)];
  });
}
export function expand(x: T, shape: readonly number[]): T {
  const out = L.expand(x, shape);
  return record('expand', out, [x], () => {
    const s = x.shape;
    return (g) => [unbroadcast(g, s)];
  });
}
