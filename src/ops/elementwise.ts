// Elementwise ops: unary math, binary arithmetic and comparisons with NumPy broadcasting, where, cast.
// Inputs may be any strided view: kernels read through strides, so views never need a copy first.
import type { DType } from '../gpu/kernels.js';
import type { Tensor } from '../graph/tensor.js';
import { checkDType } from '../graph/tensor.js';
import { broadcastShapes, broadcastStrides, collapse, fmt } from '../graph/shape.js';
import { bitsOf, checkFinite, checkTensor, DT_CODE, emit, grid1d, output, slots, type TensorLike } from './emit.js';
import { full } from './creation.js';

const UNARY = {
  neg: 1, abs: 2, exp: 3, log: 4, sqrt: 5, rsqrt: 6, sin: 7, cos: 8, tanh: 9, sigmoid: 10,
  relu: 11, leakyRelu: 12, gelu: 13, softplus: 14, square: 15, reciprocal: 16, sign: 17,
} as const;
export type UnaryOp = keyof typeof UNARY;

/** Ops that also make sense on integers (the rest need float32). */
const INT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'relu', 'square', 'sign']);

/** Per-element cost in flops, declared for the profiler's roofline. */
const UNARY_FLOPS: Partial<Record<UnaryOp, number>> = { gelu: 20, softplus: 6, sigmoid: 4, tanh: 6, exp: 4, log: 4, sin: 4, cos: 4 };

function unaryKernel(entry: 'unary' | 'cast_words', x: Tensor, op: number, outDtype: DType, alpha: number, label: string, flops = 1): Tensor {
  const y = output(x.shape, outDtype);
  const n = y.size;
  const c = collapse(x.shape, [x.strides]);
  emit({
    file: 'unary.wgsl', entry, label,
    overrides: { OP: op, DT: DT_CODE[x.dtype], DT_OUT: DT_CODE[outDtype], CONTIGUOUS: c.shape.length <= 1 && (c.strides[0]?.[0] ?? 1) === 1 ? 1 : 0 },
    bind: { x: x.storageFor(label), y: y.storageFor(label) },
    uniforms: { n, rank: c.shape.length, offset: x.offset, alpha, shape: slots(c.shape), strides: slots(c.strides[0]!) },
    grid: grid1d(n), bytes: 8 * n, flops: flops * n,
  });
  return y;
}

export function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  checkTensor(x, `${op}(x)`);
  if (x.dtype !== 'float32' && !INT_UNARY.has(op)) throw new TypeError(`tellus: ${op}(x): expected a float32 tensor, got ${x.dtype}`);
  return unaryKernel('unary', x, UNARY[op], x.dtype, alpha, op, UNARY_FLOPS[op] ?? 1);
}

/** A copy of `x` in row-major contiguous layout (the tensor itself if it already is). */
export function contiguous(x: Tensor): Tensor {
  checkTensor(x, 'contiguous(x)');
  if (x.isContiguous) return x;
  return unaryKernel('unary', x, 0, x.dtype, 0, 'contiguous');
}

/** A contiguous copy, even if `x` is already contiguous. */
export function clone(x: Tensor): Tensor {
  checkTensor(x, 'clone(x)');
  return unaryKernel('unary', x, 0, x.dtype, 0, 'clone');
}

/** NumPy-style astype: float to int truncates toward zero; negative floats to uint32 give 0. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, 'cast(x)');
  checkDType(dtype, 'cast(x, dtype)');
  if (x.dtype === dtype) return x;
  return unaryKernel('cast_words', x, 0, dtype, 0, `cast(${dtype})`);
}

const BINARY = { add: 0, sub: 1, mul: 2, div: 3, pow: 4, minimum: 5, maximum: 6, eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12 } as const;
export type BinaryOp = keyof typeof BINARY;
const COMMUTATIVE = new Set<BinaryOp>(['add', 'mul', 'minimum', 'maximum', 'eq', 'ne']);
const COMPARISON = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** NumPy-like promotion: any float32 gives float32; int32 with uint32 gives int32. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** The dtype a tensor of `dtype` combined with the JS number `v` computes in. */
function scalarDtype(dtype: DType, v: number): DType {
  if (dtype === 'float32' || !Number.isInteger(v)) return 'float32';
  return dtype === 'uint32' && v < 0 ? 'int32' : dtype;
}

export function binary(op: BinaryOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  const what = `${op}(a, b)`;
  if (typeof aIn === 'number' && typeof bIn === 'number') throw new TypeError(`tellus: ${what}: expected at least one Tensor, got two numbers`);
  if (typeof aIn === 'number') {
    const b = checkTensor(bIn, `${op}(a, b): b`);
    if (COMMUTATIVE.has(op)) return binary(op, b, aIn);
    checkFinite(aIn, `${op}(a, b): a`);
    return binary(op, full([], aIn, scalarDtype(b.dtype, aIn)), b);
  }
  let a = checkTensor(aIn, `${op}(a, b): a`);
  if (typeof bIn === 'number') {
    checkFinite(bIn, `${op}(a, b): b`);
    const dtype = scalarDtype(a.dtype, bIn);
    a = cast(a, dtype);
    return binaryKernel(op, a, null, bitsOf(bIn, dtype));
  }
  let b = checkTensor(bIn, `${op}(a, b): b`);
  const dtype = promote(a.dtype, b.dtype);
  a = cast(a, dtype);
  b = cast(b, dtype);
  return binaryKernel(op, a, b, 0);
}

function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor | null, scalarBits: number): Tensor {
  const shape = b ? broadcastShapes([a.shape, b.shape], `${op}(a, b)`) : [...a.shape];
  const outDtype: DType = COMPARISON.has(op) ? 'uint32' : a.dtype;
  const y = output(shape, outDtype);
  const n = y.size;
  const sa = broadcastStrides(a.shape, a.strides, shape);
  const sb = b ? broadcastStrides(b.shape, b.strides, shape) : sa.map(() => 0);
  const c = collapse(shape, [sa, sb]);
  const contiguous = c.shape.length <= 1 && (c.strides[0]![0] ?? 1) === 1 && (!b || (c.strides[1]![0] ?? 1) === 1);
  emit({
    file: 'binary.wgsl', entry: 'binary', label: op,
    overrides: { OP: BINARY[op], DT: DT_CODE[a.dtype], CONTIGUOUS: contiguous ? 1 : 0, B_SCALAR: b ? 0 : 1 },
    bind: { a: a.storageFor(`${op}(a, b): a`), b: (b ?? a).storageFor(`${op}(a, b): b`), y: y.storageFor(op) },
    uniforms: {
      n, rank: c.shape.length, offset_a: a.offset, offset_b: b?.offset ?? 0, scalar_bits: scalarBits,
      shape: slots(c.shape), strides_a: slots(c.strides[0]!), strides_b: slots(c.strides[1]!),
    },
    grid: grid1d(n), bytes: (b ? 12 : 8) * n, flops: n,
  });
  return y;
}

/** Elementwise select: `cond` nonzero takes `a`, else `b`; all three broadcast together. */
export function where(condIn: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  const cond = checkTensor(condIn, 'where(cond, a, b): cond');
  const ref = typeof aIn === 'number' ? (typeof bIn === 'number' ? null : bIn) : aIn;
  const dtypeOf = (v: TensorLike): DType =>
    typeof v === 'number' ? scalarDtype(ref?.dtype ?? 'int32', v) : checkTensor(v, 'where(cond, a, b)').dtype;
  const dtype = promote(dtypeOf(aIn), dtypeOf(bIn));
  const lift = (v: TensorLike, name: string): Tensor => (typeof v === 'number' ? full([], checkFinite(v, `where(cond, a, b): ${name}`), dtype) : cast(v, dtype));
  const a = lift(aIn, 'a');
  const b = lift(bIn, 'b');
  const shape = broadcastShapes([cond.shape, a.shape, b.shape], 'where(cond, a, b)');
  const y = output(shape, dtype);
  const n = y.size;
  const c = collapse(shape, [cond, a, b].map((t) => broadcastStrides(t.shape, t.strides, shape)));
  emit({
    file: 'binary.wgsl', entry: 'where_select', label: 'where',
    overrides: { COND_FLOAT: cond.dtype === 'float32' ? 1 : 0 },
    bind: { cond: cond.storageFor('where: cond'), on_true: a.storageFor('where: a'), on_false: b.storageFor('where: b'), out: y.storageFor('where') },
    uniforms: {
      n, rank: c.shape.length, offset_c: cond.offset, offset_a: a.offset, offset_b: b.offset,
      shape: slots(c.shape), strides_c: slots(c.strides[0]!), strides_a: slots(c.strides[1]!), strides_b: slots(c.strides[2]!),
    },
    grid: grid1d(n), bytes: 16 * n,
  });
  return y;
}

export function checkSameShape(a: Tensor, b: Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`tellus: ${what}: expected equal shapes, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
}
