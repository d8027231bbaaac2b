// Helpers every op uses to turn tensors into kernel dispatches.
import type { DType, UniformValues } from '../gpu/kernels.js';
import { context } from '../graph/context.js';
import { emptyTensor, Tensor } from '../graph/tensor.js';
import type { BufferCopy, Storage } from '../graph/scheduler.js';
import { MAX_RANK, type Shape } from '../graph/shape.js';
import { argError, argErrorText, describeValue } from '../graph/options.js';

export { DT_CODE } from '../graph/fusion.js';

export interface Dispatch {
  file: string;
  entry: string;
  overrides?: Record<string, number>;
  bind: Record<string, Storage>;
  uniforms: UniformValues;
  grid: [number, number, number];
  label: string;
  bytes?: number;
  flops?: number;
  /** Zero the written storage with clearBuffer instead of dispatching (see Node.clear). */
  clear?: boolean;
  /** Copy with copyBufferToBuffer instead of dispatching (see Node.copy). */
  copy?: BufferCopy;
}

export function emit(d: Dispatch): void {
  const ctx = context();
  ctx.scheduler.record({
    kernel: ctx.kernels.get(d.file, d.entry),
    overrides: d.overrides ?? {},
    bind: d.bind,
    uniforms: d.uniforms,
    grid: d.grid,
    label: d.label,
    bytes: d.bytes ?? 0,
    flops: d.flops ?? 0,
    ...(d.clear ? { clear: true } : {}),
    ...(d.copy ? { copy: d.copy } : {}),
  });
}

/** Workgroups for `n` invocations of a 1D kernel (64 wide), folded into y past the per-dimension limit. */
export function grid1d(n: number, width = 64): [number, number, number] {
  return context().scheduler.grid1d(n, width);
}

/** Pads a per-dim list to the MAX_RANK slots the shaders' uniform arrays hold. */
export function slots(v: readonly number[]): number[] {
  if (v.length > MAX_RANK) throw new RangeError(`tellus: at most ${MAX_RANK} dims are supported, got ${v.length}`);
  return [...v, ...new Array<number>(MAX_RANK - v.length).fill(0)];
}

export function output(shape: Shape, dtype: DType): Tensor {
  return emptyTensor(shape, dtype);
}

export type TensorLike = Tensor | number;

// Argument checks: `fn` is the call as the user wrote it (`matmul(a, b)`), `arg` the argument
// checked (`a`); the message is argError's `tellus: <fn>: <arg>: expected ..., got ...`.

export function checkTensor(x: unknown, fn: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) throw argErrorText(fn, arg, 'a Tensor', `${describeValue(x)} (wrap data with tensor(...))`);
  x.storageFor(`${fn}: ${arg}`);
  return x;
}

export function checkFloat(x: Tensor, fn: string, arg: string): void {
  if (x.dtype !== 'float32') throw argError(fn, arg, 'a float32 tensor', x);
}

export function checkFinite(v: unknown, fn: string, arg: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argError(fn, arg, 'a finite number', v);
  return v;
}

export function checkInt(v: unknown, fn: string, arg: string, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw argError(fn, arg, `an integer${min > -Infinity ? ` >= ${min}` : ''}`, v);
  return v;
}

/** Bit pattern of `v` stored as `dtype`, for uniforms that carry raw words. */
export function bitsOf(v: number, dtype: DType): number {
  const b = new ArrayBuffer(4);
  const view = new DataView(b);
  if (dtype === 'float32') view.setFloat32(0, v, true);
  else if (dtype === 'int32') view.setInt32(0, v, true);
  else view.setUint32(0, v >>> 0, true);
  return view.getUint32(0, true);
}
