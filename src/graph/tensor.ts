// Tensor: an immutable, lazily computed strided view of a Storage. Views (reshape, transpose, slice,
// expand) share the storage; ops record nodes with the scheduler and return new tensors at once.
import type { DType } from '../gpu/kernels.js';
import { context, type Context } from './context.js';
import type { Scheduler, Storage } from './scheduler.js';
import { broadcastStrides, contiguousStrides, fmt, isContiguous, type Shape, sizeOf } from './shape.js';
import { DT_CODE, type EwOp, K } from './fusion.js';
import { leaves } from './tree.js';
import { TENSOR_BRAND } from './brand.js';
import { argError, describeTensor } from './options.js';

export type { DType };
export type TypedArray = Float32Array | Int32Array | Uint32Array;
export type NestedArray = number | boolean | NestedArray[];

export const DTYPES: readonly DType[] = ['float32', 'int32', 'uint32'];

export function arrayType(dtype: DType): Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor {
  return dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint32Array;
}

/** A dtype argument; `fn` is the call that takes it (`cast(x, dtype)`). */
export function checkDType(dtype: unknown, fn: string): DType {
  if (!DTYPES.includes(dtype as DType)) throw argError(fn, 'dtype', `one of ${DTYPES.join(', ')}`, dtype);
  return dtype as DType;
}

// Tensors the user forgot to dispose still give their memory back when garbage-collected;
// dispose() and tidy() make that deterministic.
const finalizer = new FinalizationRegistry<{ storage: Storage; scheduler: Scheduler }>(({ storage, scheduler }) => {
  storage.refs--;
  scheduler.maybeFree(storage);
});

const scopes: Tensor[][] = [];

export class Tensor {
  readonly size: number;
  /** Autodiff: the tape node that produced this tensor while a transform was tracing (see src/autodiff). */
  tape?: unknown;
  private storage_: Storage | null;
  private readonly generation: number;

  constructor(
    storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
  ) {
    const ctx = context();
    this.size = sizeOf(shape);
    this.storage_ = storage;
    this.generation = ctx.generation;
    storage.refs++;
    finalizer.register(this, { storage, scheduler: ctx.scheduler }, this);
    scopes[scopes.length - 1]?.push(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage_ === null;
  }

  get isContiguous(): boolean {
    return this.offset === 0 && isContiguous(this.shape, this.strides);
  }

  /** The storage, after checking that this tensor is still usable; `what` names the argument in errors. */
  storageFor(what: string): Storage {
    if (!this.storage_) throw new Error(`tellus: ${what}: expected a live tensor, got ${describeTensor(this)}`);
    const ctx = context();
    if (ctx.generation !== this.generation)
      throw new Error(`tellus: ${what}: this tensor belongs to an earlier device (before the last init()); recreate it`);
    return this.storage_;
  }

  /** A new tensor sharing this one's storage. */
  view(shape: Shape, strides: readonly number[], offset: number): Tensor {
    return new Tensor(this.storageFor('view'), [...shape], [...strides], offset, this.dtype);
  }

  dispose(): void {
    const s = this.storage_;
    if (!s) return;
    this.storage_ = null;
    finalizer.unregister(this);
    s.refs--;
    context().scheduler.maybeFree(s);
  }

  /** Runs pending work and copies the values back, in row-major order. */
  async data(): Promise<TypedArray> {
    this.storageFor('data()');
    const c = this.isContiguous ? this : recordElementwise(this.shape, [this], copyOp(this.dtype, 'contiguous'), this.dtype);
    const storage = c.storageFor('data()');
    const bytes = await context().scheduler.read(storage, this.size * 4);
    if (c !== this) c.dispose();
    return new (arrayType(this.dtype))(bytes);
  }

  /** Values as nested JS arrays (a number for a 0-d tensor). */
  async toArray(): Promise<NestedArray> {
    const flat = Array.from(await this.data());
    const build = (dim: number, at: number): NestedArray => {
      if (dim === this.rank) return flat[at]!;
      const step = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, at + i * step));
    };
    return build(0, 0);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`tellus: item(): expected a tensor with one element, got ${describeTensor(this)}`);
    return (await this.data())[0]!;
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.isDisposed ? ', disposed' : ''})`;
  }
}

Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: true });

/**
 * Records one elementwise op, out = op(inputs) over `shape` (inputs broadcast to it, read through
 * their strides); the scheduler fuses chains of them into single dispatches of shaders/elementwise.wgsl.
 */
export function recordElementwise(shape: readonly number[], inputs: Tensor[], op: EwOp, outDtype: DType): Tensor {
  const ctx = context();
  const y = emptyTensor(shape, outDtype, ctx);
  const out = y.storageFor(op.name);
  const ewInputs = inputs.map((t) => ({
    storage: t.storageFor(`${op.name}()`),
    offset: t.offset,
    strides: broadcastStrides(t.shape, t.strides, shape),
  }));
  const bind: Record<string, Storage> = { y: out };
  ewInputs.forEach((inp, k) => (bind[`in${k}`] = inp.storage));
  ctx.scheduler.record({
    kernel: ctx.kernels.get('elementwise.wgsl', 'run'),
    overrides: {},
    bind,
    uniforms: {},
    grid: [1, 1, 1],
    label: op.name,
    bytes: 0,
    flops: 0,
    ew: { shape: [...shape], inputs: ewInputs, op, out },
  });
  return y;
}

/** The elementwise copy (unary op 0): how views are materialized. */
export const copyOp = (dtype: DType, name: string): EwOp => ({ kind: K.UNARY, op: 0, dt: DT_CODE[dtype], dt2: 0, imm: 0, name });

/** Allocates a contiguous tensor whose storage a node is about to write. */
export function emptyTensor(shape: Shape, dtype: DType, ctx: Context = context()): Tensor {
  const storage = ctx.scheduler.allocate(sizeOf(shape) * 4, dtype, `a ${fmt(shape)} ${dtype} tensor`);
  return new Tensor(storage, [...shape], contiguousStrides(shape), 0, dtype);
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (anywhere inside arrays
 * or plain objects). Keeps loops free of leaks without manual dispose() calls.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise)
      throw new Error('tellus: tidy(fn): fn must be synchronous (tensors outlive an await); dispose explicitly in async code');
  } catch (e) {
    for (const t of scopes.pop()!) t.dispose();
    throw e;
  }
  const created = scopes.pop()!;
  const kept = new Set(leaves(result));
  for (const t of created) {
    if (!kept.has(t)) t.dispose();
    // Returned tensors belong to the enclosing scope, if any.
    else scopes[scopes.length - 1]?.push(t);
  }
  return result;
}

/** Excludes tensors from the enclosing tidy() scope so they survive it. */
export function keep<T>(value: T): T {
  const set = new Set(leaves(value));
  for (const scope of scopes) for (let i = scope.length - 1; i >= 0; i--) if (set.has(scope[i]!)) scope.splice(i, 1);
  return value;
}
