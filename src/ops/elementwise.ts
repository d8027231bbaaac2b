// Elementwise ops: unary math, binary arithmetic and comparisons with NumPy broadcasting, where, cast.
// Inputs may be any strided view: kernels read through strides, so views never need a copy first.
// Unary and binary math ops are not listed here: the op table (src/autodiff/optable.ts) registers
// each one with its WGSL expression, and gets back the raw op it wraps with its VJP rule. This
// module assigns the op codes and generates elementwise.wgsl's op constants and switch cases from
// the registered table, so one table entry is the whole op.
import type { DType } from '../gpu/kernels.js';
import type { Tensor } from '../graph/tensor.js';
import { checkDType, copyOp, recordElementwise } from '../graph/tensor.js';
import { broadcastShapes } from '../graph/shape.js';
import { type EwOp, K } from '../graph/fusion.js';
import { argError, argErrorText } from '../graph/options.js';
import { bitsOf, checkFinite, checkTensor, DT_CODE, output, type TensorLike } from './emit.js';
import { full } from './creation.js';
import { assignInto } from './assign.js';
import { generateShader } from '../gpu/kernels.js';

/** How a unary op computes: WGSL expressions in `x` of each dtype it accepts. */
export interface UnaryKernel {
  /** float32: an f32 expression in `x: f32` (and `alpha: f32`, the op's parameter if it has one). */
  f32: string;
  /** int32: an i32 expression in `x: i32`; the op accepts int32 tensors exactly when this is given. */
  i32?: string;
  /** uint32: likewise, a u32 expression in `x: u32`. */
  u32?: string;
  /** WGSL functions the expressions call, beyond the hand-written helpers in elementwise.wgsl. */
  helper?: string;
  /** A scalar parameter passed to the kernel as `alpha` (leakyRelu's slope), with its default. */
  param?: { name: string; default: number };
}

/** How a binary op computes: expressions in `a`, `b` of each dtype (all three are accepted), or a comparison. */
export type BinaryKernel =
  { f32: string; i32: string; u32: string; commutative?: boolean } | { compare: '==' | '!=' | '<' | '<=' | '>' | '>=' };

export type RawUnary = (x: Tensor, param?: number) => Tensor;
export type RawBinary = (a: TensorLike, b: TensorLike) => Tensor;

type UnaryDef = UnaryKernel & { name: string; code: number };
type BinaryDef = BinaryKernel & { name: string; code: number };
const unaryDefs = new Map<string, UnaryDef>();
const binaryDefs = new Map<string, BinaryDef>();
/** Set once the shader source is generated: a later op would be missing from the compiled kernel. */
let sealed = false;

function claim(name: string, what: string): void {
  if (sealed)
    throw new Error(
      `tellus: ${what}: op '${name}' registered after the elementwise shader was built (init() must come after every op is defined)`,
    );
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw argError(what, 'name', 'a camelCase op name', name, Error);
  if (unaryDefs.has(name) || binaryDefs.has(name)) throw new Error(`tellus: ${what}: op '${name}' is already registered`);
}

/** Adds a unary op to the elementwise kernel and returns its raw (non-recording) op. Code 0 is the copy. */
export function registerUnary(name: string, kernel: UnaryKernel): RawUnary {
  claim(name, 'registerUnary(name, kernel)');
  unaryDefs.set(name, { ...kernel, name, code: unaryDefs.size + 1 });
  return (x, param) => unary(name, x, param);
}

/** Adds a binary op to the elementwise kernel and returns its raw (non-recording) op. */
export function registerBinary(name: string, kernel: BinaryKernel): RawBinary {
  claim(name, 'registerBinary(name, kernel)');
  binaryDefs.set(name, { ...kernel, name, code: binaryDefs.size });
  return (a, b) => binary(name, a, b);
}

/** The registered ops and their codes, as the generated WGSL uses them (tests compare the two). */
export const registeredOps = (): { unary: ReadonlyMap<string, Readonly<UnaryDef>>; binary: ReadonlyMap<string, Readonly<BinaryDef>> } => ({
  unary: unaryDefs,
  binary: binaryDefs,
});

/** WGSL constant name of an op: leakyRelu -> OP_LEAKY_RELU. */
export const opConstant = (name: string): string => `OP_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

const switchOn = (
  defs: Iterable<UnaryDef | BinaryDef>,
  expr: (d: UnaryDef | BinaryDef) => string | undefined,
  fallback: string,
): string => {
  const cases = [...defs].flatMap((d) => {
    const e = expr(d);
    return e === undefined ? [] : [`    case ${opConstant(d.name)}: { return ${e}; }`];
  });
  return `  switch op {\n${[...cases, `    default: { return ${fallback}; }`].join('\n')}\n  }`;
};

/** The generated part of elementwise.wgsl: op constants, the table's helpers, and `unary` / `binary`. */
function opTableWgsl(): string {
  sealed = true;
  const u = [...unaryDefs.values()];
  const b = [...binaryDefs.values()];
  const bin =
    (dt: 'f32' | 'i32' | 'u32') =>
    (d: UnaryDef | BinaryDef): string => {
      const k = d as BinaryDef;
      if (!('compare' in k)) return `bitcast<u32>(${k[dt]})`;
      // a != b compiles to an ordered compare on some backends (false for NaN): negate == instead.
      return k.compare === '!=' ? 'select(1u, 0u, a == b)' : `select(0u, 1u, a ${k.compare} b)`;
    };
  return [
    [...u, ...b].map((d) => `const ${opConstant(d.name)} = ${d.code}u;`).join('\n'),
    ...new Set(u.flatMap((d) => (d.helper ? [d.helper.trim()] : []))),
    `fn unary_f32(op: u32, x: f32, alpha: f32) -> f32 {\n${switchOn(u, (d) => (d as UnaryDef).f32, 'x')}\n}`,
    `fn unary_i32(op: u32, x: i32) -> i32 {\n${switchOn(u, (d) => (d as UnaryDef).i32, 'x')}\n}`,
    `fn unary_u32(op: u32, x: u32) -> u32 {\n${switchOn(u, (d) => (d as UnaryDef).u32, 'x')}\n}`,
    `fn unary(op: u32, dt: u32, w: u32, alpha: f32) -> u32 {
  if (dt == 0u) { return bitcast<u32>(unary_f32(op, bitcast<f32>(w), alpha)); }
  if (dt == 1u) { return bitcast<u32>(unary_i32(op, bitcast<i32>(w))); }
  return unary_u32(op, w);
}`,
    `fn binary_f32(op: u32, a: f32, b: f32) -> u32 {\n${switchOn(b, bin('f32'), '0u')}\n}`,
    `fn binary_i32(op: u32, a: i32, b: i32) -> u32 {\n${switchOn(b, bin('i32'), '0u')}\n}`,
    `fn binary_u32(op: u32, a: u32, b: u32) -> u32 {\n${switchOn(b, bin('u32'), '0u')}\n}`,
    `fn binary(op: u32, dt: u32, wa: u32, wb: u32) -> u32 {
  if (dt == 0u) { return binary_f32(op, bitcast<f32>(wa), bitcast<f32>(wb)); }
  if (dt == 1u) { return binary_i32(op, bitcast<i32>(wa), bitcast<i32>(wb)); }
  return binary_u32(op, wa, wb);
}`,
  ].join('\n\n');
}

const OP_TABLE_MARK = '// <op-table>';
generateShader('elementwise.wgsl', (template) => {
  if (!template.includes(OP_TABLE_MARK))
    throw new Error(`tellus: elementwise.wgsl has no ${OP_TABLE_MARK} line to generate the op table into`);
  return template.replace(OP_TABLE_MARK, `${OP_TABLE_MARK} (generated)\n${opTableWgsl()}\n// </op-table>`);
});

const record = recordElementwise;

const ewOp = (kind: number, op: number, dtype: DType, name: string, imm = 0, dt2 = 0): EwOp => ({
  kind,
  op,
  dt: DT_CODE[dtype],
  dt2,
  imm,
  name,
});

const dtypesOf = (d: UnaryDef): DType[] => ['float32', ...(d.i32 ? ['int32' as const] : []), ...(d.u32 ? ['uint32' as const] : [])];

/** Runs registered unary op `name`; `param` is its parameter (see UnaryKernel.param). */
export function unary(name: string, x: Tensor, param?: number): Tensor {
  const def = unaryDefs.get(name);
  if (!def) throw new Error(`tellus: unary op '${name}' is not registered`);
  const fn = def.param ? `${name}(x, ${def.param.name})` : `${name}(x)`;
  checkTensor(x, fn, 'x');
  const dtypes = dtypesOf(def);
  if (!dtypes.includes(x.dtype)) throw argError(fn, 'x', `a ${dtypes.join(' or ')} tensor`, x);
  const alpha = def.param ? checkFinite(param ?? def.param.default, fn, def.param.name) : 0;
  return record(x.shape, [x], ewOp(K.UNARY, def.code, x.dtype, name, bitsOf(alpha, 'float32')), x.dtype);
}

/** A copy of `x` in row-major contiguous layout (the tensor itself if it already is). */
export function contiguous(x: Tensor): Tensor {
  checkTensor(x, 'contiguous(x)', 'x');
  if (x.isContiguous) return x;
  return record(x.shape, [x], copyOp(x.dtype, 'contiguous'), x.dtype);
}

/** A contiguous copy, even if `x` is already contiguous. */
export function clone(x: Tensor): Tensor {
  checkTensor(x, 'clone(x)', 'x');
  // A contiguous tensor is one buffer-to-buffer copy (a memcpy on CPU adapters: ~30x a copy kernel
  // on SwiftShader). It does not fuse; a clone rarely feeds a chain.
  if (x.isContiguous && x.size > 0) {
    const y = output(x.shape, x.dtype);
    assignInto(x, y, 'clone');
    return y;
  }
  return record(x.shape, [x], copyOp(x.dtype, 'clone'), x.dtype);
}

/** NumPy-style astype: float to int truncates toward zero; negative floats to uint32 give 0. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, 'cast(x, dtype)', 'x');
  checkDType(dtype, 'cast(x, dtype)');
  if (x.dtype === dtype) return x;
  return record(x.shape, [x], ewOp(K.CAST, 0, x.dtype, `cast(${dtype})`, 0, DT_CODE[dtype]), dtype);
}

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

/** Runs registered binary op `op` with NumPy broadcasting and dtype promotion; numbers act as scalars. */
export function binary(op: string, aIn: TensorLike, bIn: TensorLike): Tensor {
  const def = binaryDefs.get(op);
  if (!def) throw new Error(`tellus: binary op '${op}' is not registered`);
  const what = `${op}(a, b)`;
  if (typeof aIn === 'number' && typeof bIn === 'number') throw argErrorText(what, 'a, b', 'at least one Tensor', 'two numbers');
  if (typeof aIn === 'number') {
    const b = checkTensor(bIn, what, 'b');
    if ('compare' in def ? def.compare === '==' || def.compare === '!=' : def.commutative) return binary(op, b, aIn);
    checkFinite(aIn, what, 'a');
    return binary(op, full([], aIn, scalarDtype(b.dtype, aIn)), b);
  }
  let a = checkTensor(aIn, what, 'a');
  if (typeof bIn === 'number') {
    checkFinite(bIn, what, 'b');
    const dtype = scalarDtype(a.dtype, bIn);
    a = cast(a, dtype);
    return binaryKernel(def, a, null, bitsOf(bIn, dtype));
  }
  let b = checkTensor(bIn, what, 'b');
  const dtype = promote(a.dtype, b.dtype);
  a = cast(a, dtype);
  b = cast(b, dtype);
  return binaryKernel(def, a, b, 0);
}

function binaryKernel(def: BinaryDef, a: Tensor, b: Tensor | null, scalarBits: number): Tensor {
  const op = def.name;
  const shape = b ? broadcastShapes([a.shape, b.shape], `${op}(a, b)`) : [...a.shape];
  const outDtype: DType = 'compare' in def ? 'uint32' : a.dtype;
  const code = b ? ewOp(K.BINARY, def.code, a.dtype, op) : ewOp(K.BINARY_SCALAR, def.code, a.dtype, op, scalarBits);
  return record(shape, b ? [a, b] : [a], code, outDtype);
}

/** Elementwise select: `cond` nonzero takes `a`, else `b`; all three broadcast together. */
export function where(condIn: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  const fn = 'where(cond, a, b)';
  const cond = checkTensor(condIn, fn, 'cond');
  const ref = typeof aIn === 'number' ? (typeof bIn === 'number' ? null : bIn) : aIn;
  const dtypeOf = (v: TensorLike, name: string): DType =>
    typeof v === 'number' ? scalarDtype(ref?.dtype ?? 'int32', v) : checkTensor(v, fn, name).dtype;
  const dtype = promote(dtypeOf(aIn, 'a'), dtypeOf(bIn, 'b'));
  const lift = (v: TensorLike, name: string): Tensor =>
    typeof v === 'number' ? full([], checkFinite(v, fn, name), dtype) : cast(v, dtype);
  const a = lift(aIn, 'a');
  const b = lift(bIn, 'b');
  const shape = broadcastShapes([cond.shape, a.shape, b.shape], 'where(cond, a, b)');
  return record(shape, [cond, a, b], ewOp(K.WHERE, 0, dtype, 'where', 0, cond.dtype === 'float32' ? 1 : 0), dtype);
}
