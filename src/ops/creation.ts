// Creating tensors: from JS data (uploaded at once), or on the device (fill, arange, Philox random).
import { context } from '../graph/context.js';
import { arrayType, checkDType, type DType, type NestedArray, Tensor, type TypedArray } from '../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { checkShape, contiguousStrides, fmt, type Shape, sizeOf } from '../graph/shape.js';
import { bitsOf, checkFinite, checkInt, checkTensor, DT_CODE, emit, grid1d, output } from './emit.js';
import creationWgsl from '../../shaders/creation.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('creation.wgsl', creationWgsl);

export interface CreateOptions {
  dtype?: DType;
  shape?: readonly number[];
}

function inferShape(data: NestedArray, fn: string): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  const check = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw argError(fn, `data${path}`, 'a number or a boolean', v);
      return;
    }
    // Nested arrays are rectangular: every array at a depth has the length of the first one there.
    if (!Array.isArray(v) || v.length !== shape[dim])
      throw argError(fn, `data${path}`, `an array of length ${shape[dim]} (as data${'[0]'.repeat(dim)})`, v);
    v.forEach((x, i) => check(x, dim + 1, `${path}[${i}]`));
  };
  check(data, 0, '');
  return shape;
}

// Host copies of tensors made from data (up to HOST_LIMIT elements), so ops whose checks depend on
// values (acoustic2d's velocity bounds and source cells) can validate them before anything runs.
// The copy lives on the storage and is dropped when a kernel writes the storage in place.
const HOST_LIMIT = 1 << 22;

/** The values of `t` in row-major order if it views, unchanged, data given to tensor(data). */
export function hostValues(t: Tensor): TypedArray | null {
  const h = t.storageFor('hostValues').host;
  return h && t.isContiguous && t.size === h.length ? h : null;
}

/** The integers each integer dtype holds. */
const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1] } as const;

/** Null if `dtype` holds `v`, else what it would take (non-integer, NaN, out of range: never wrapped). */
function intProblem(v: number, dtype: 'int32' | 'uint32'): string | null {
  const [lo, hi] = INT_RANGE[dtype];
  return Number.isInteger(v) && v >= lo && v <= hi ? null : `an integer in [${lo}, ${hi}] for ${dtype}`;
}

/** Rejects the first element of `flat` that `dtype` cannot hold, naming it by its index in the data as given. */
function checkIntData(flat: ArrayLike<number>, dtype: 'int32' | 'uint32', shape: readonly number[], fn: string): void {
  for (let i = 0; i < flat.length; i++) {
    const problem = intProblem(flat[i]!, dtype);
    if (problem === null) continue;
    let rest = i;
    const idx = shape.map((_, k) => {
      const inner = sizeOf(shape.slice(k + 1));
      const q = Math.floor(rest / inner);
      rest -= q * inner;
      return `[${q}]`;
    });
    throw argError(fn, `data${idx.join('')}`, problem, flat[i], RangeError);
  }
}

/** A tensor from a typed array, a nested array or a number; float32 unless the data or options say otherwise. */
export function tensor(data: TypedArray | Float64Array | NestedArray | ArrayLike<number>, opts: CreateOptions = {}): Tensor {
  const fn = 'tensor(data, opts)';
  checkOptions(opts, CREATE_OPTIONS, fn);
  let flat: ArrayLike<number>;
  let shape: number[];
  let dtype: DType | undefined = opts.dtype === undefined ? undefined : checkDType(opts.dtype, fn);
  if (ArrayBuffer.isView(data)) {
    if (data instanceof Int32Array) dtype ??= 'int32';
    else if (data instanceof Uint32Array) dtype ??= 'uint32';
    else if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw argError(fn, 'data', 'a Float32Array, Float64Array, Int32Array or Uint32Array', data);
    }
    flat = data;
    shape = [flat.length];
  } else if (typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data)) {
    shape = inferShape(data, fn);
    flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]).map(Number);
  } else {
    throw argError(fn, 'data', 'a typed array, a nested array or a number', data);
  }
  dtype ??= 'float32';
  // Stored as given only when the array already is the dtype; any other source is checked, not wrapped.
  if (dtype !== 'float32' && !(flat instanceof arrayType(dtype))) checkIntData(flat, dtype, shape, fn);
  if (opts.shape !== undefined) {
    const s = checkShape(opts.shape, fn, 'shape');
    if (sizeOf(s) !== flat.length)
      throw argErrorText(fn, 'shape', `a shape of ${flat.length} elements (as data)`, `${fmt(s)}, which holds ${sizeOf(s)}`, Error);
    shape = s;
  }
  checkShape(shape, fn, 'data');
  const typed = flat instanceof arrayType(dtype) ? flat : arrayType(dtype).from(flat);
  const storage = context().scheduler.upload(typed, dtype, `${fn}: data`);
  const t = new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
  // Copied: the caller may reuse its array after tensor() returns.
  if (typed.length <= HOST_LIMIT) storage.host = typed === flat ? typed.slice() : typed;
  return t;
}

/** An output of `shape`, checked against the device's largest buffer under the user's call's name. */
function created(shape: number[], dtype: DType, what: string): Tensor {
  context().scheduler.checkBytes(sizeOf(shape) * 4, what);
  return output(shape, dtype);
}

export const full = (shape: Shape, value: number | boolean, dtype: DType = 'float32'): Tensor =>
  fill(shape, value, dtype, 'full(shape, value, dtype)');

/** `fn` is the call as the user wrote it: `full(shape, value, dtype)`, `zeros(shape, dtype)`, `zerosLike(x)`. */
function fill(shape: Shape, value: number | boolean, dtype: DType, fn: string): Tensor {
  const s = checkShape(shape, fn, 'shape');
  checkDType(dtype, fn);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw argError(fn, 'value', 'a number or a boolean', value);
  const v = Number(value);
  const problem = dtype === 'float32' ? null : intProblem(v, dtype);
  if (problem !== null) throw argError(fn, 'value', problem, v, RangeError);
  const y = created(s, dtype, `${fn}: shape`);
  const n = y.size;
  const bits = bitsOf(v, dtype);
  emit({
    file: 'creation.wgsl',
    entry: 'fill',
    label: bits === 0 ? 'zeros (clearBuffer)' : 'full',
    bind: { y4: y.storageFor('full') },
    uniforms: { n, value_bits: bits, start: 0, step: 0, start_i: 0, step_i: 0, seed_lo: 0, seed_hi: 0, counter_hi: 0 },
    grid: grid1d(Math.ceil(n / 4)), // four words per invocation (creation.wgsl fill)
    bytes: 4 * n,
    // All-zero words (0, 0.0, false; not -0.0): a memset by the encoder, not a kernel.
    clear: bits === 0,
  });
  return y;
}

/** A tensor with unspecified contents, for kernels (see launch) that write every element. */
export const empty = (shape: Shape, dtype: DType = 'float32'): Tensor =>
  created(checkShape(shape, 'empty(shape, dtype)', 'shape'), checkDType(dtype, 'empty(shape, dtype)'), 'empty(shape, dtype): shape');
export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => fill(shape, 0, dtype, 'zeros(shape, dtype)');
export const ones = (shape: Shape, dtype: DType = 'float32'): Tensor => fill(shape, 1, dtype, 'ones(shape, dtype)');
export const zerosLike = (x: Tensor): Tensor => fill(checkTensor(x, 'zerosLike(x)', 'x').shape, 0, x.dtype, 'zerosLike(x)');
export const onesLike = (x: Tensor): Tensor => fill(checkTensor(x, 'onesLike(x)', 'x').shape, 1, x.dtype, 'onesLike(x)');

/** Like numpy.arange: arange(stop), arange(start, stop), arange(start, stop, step). */
export function arange(a: number, b?: number, step = 1, dtype: DType = 'float32'): Tensor {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  const fn = 'arange(start, stop, step, dtype)';
  checkFinite(start, fn, 'start');
  checkFinite(stop, fn, 'stop');
  checkFinite(step, fn, 'step');
  if (step === 0) throw argError(fn, 'step', 'a non-zero number', step, RangeError);
  checkDType(dtype, fn);
  if (dtype !== 'float32')
    for (const [v, w] of [
      [start, 'start'],
      [step, 'step'],
    ] as const)
      if (!Number.isInteger(v)) throw argError(fn, w, `an integer for ${dtype}`, v);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  // The values run monotonically from start to last: both must fit, or the kernel would wrap them.
  const last = start + (n - 1) * step;
  if (dtype !== 'float32' && n > 0) {
    const problem = intProblem(start, dtype);
    if (problem !== null) throw argError(fn, 'start', problem, start, RangeError);
    if (intProblem(last, dtype) !== null) {
      const [lo, hi] = INT_RANGE[dtype];
      throw argErrorText(fn, 'stop', `a range within [${lo}, ${hi}] for ${dtype}`, `values from ${start} to ${last}`, RangeError);
    }
  }
  const y = created([n], dtype, fn);
  emit({
    file: 'creation.wgsl',
    entry: 'arange',
    label: 'arange',
    overrides: { DT: DT_CODE[dtype] },
    bind: { y: y.storageFor('arange') },
    uniforms: {
      n,
      value_bits: 0,
      start,
      step,
      start_i: dtype === 'float32' ? 0 : start,
      step_i: dtype === 'float32' ? 0 : step,
      seed_lo: 0,
      seed_hi: 0,
      counter_hi: 0,
    },
    grid: grid1d(n),
    bytes: 4 * n,
  });
  return y;
}

const rng = { seed: 0, counter: 0 };

/** Seeds the global generator; each later rand/randn call draws the next Philox stream. */
export function seed(value: number): void {
  checkInt(value, 'seed(value)', 'value', 0);
  rng.seed = value;
  rng.counter = 0;
}

export interface RandomOptions {
  /** Uses this seed (stream 0) instead of the global generator. */
  seed?: number;
}
export type RandOptions = RandomOptions & { low?: number; high?: number };
export type RandnOptions = RandomOptions & { mean?: number; std?: number };
const CREATE_OPTIONS = optionNames<CreateOptions>()('dtype', 'shape');
const RAND_OPTIONS = optionNames<RandOptions>()('seed', 'low', 'high');
const RANDN_OPTIONS = optionNames<RandnOptions>()('seed', 'mean', 'std');

function random(shape: Shape, normal: boolean, a: number, b: number, opts: RandomOptions, what: string): Tensor {
  const fn = `${what}(shape, opts)`;
  const s = checkShape(shape, fn, 'shape');
  let seedValue = rng.seed;
  let counter = rng.counter;
  if (opts.seed !== undefined) {
    seedValue = checkInt(opts.seed, fn, 'seed', 0);
    counter = 0;
  } else rng.counter++;
  const y = created(s, 'float32', `${fn}: shape`);
  const n = y.size;
  emit({
    file: 'creation.wgsl',
    entry: 'random',
    label: what,
    overrides: { NORMAL: normal ? 1 : 0 },
    bind: { y: y.storageFor(what) },
    uniforms: {
      n,
      value_bits: 0,
      start: a,
      step: b,
      start_i: 0,
      step_i: 0,
      seed_lo: seedValue >>> 0,
      seed_hi: Math.floor(seedValue / 2 ** 32) >>> 0,
      counter_hi: counter,
    },
    grid: grid1d(Math.ceil(n / 4)),
    bytes: 4 * n,
    flops: 40 * n,
  });
  return y;
}

/** Uniform samples in [low, high). */
export function rand(shape: Shape, opts: RandOptions = {}): Tensor {
  const fn = 'rand(shape, opts)';
  checkOptions(opts, RAND_OPTIONS, fn);
  const low = checkFinite(opts.low ?? 0, fn, 'low');
  const high = checkFinite(opts.high ?? 1, fn, 'high');
  if (high < low) throw argError(fn, 'high', `a number >= low (${low})`, high, RangeError);
  return random(shape, false, low, high - low, opts, 'rand');
}

/** Normal samples with the given mean and standard deviation (Box-Muller on Philox uniforms). */
export function randn(shape: Shape, opts: RandnOptions = {}): Tensor {
  const fn = 'randn(shape, opts)';
  checkOptions(opts, RANDN_OPTIONS, fn);
  const mean = checkFinite(opts.mean ?? 0, fn, 'mean');
  const std = checkFinite(opts.std ?? 1, fn, 'std');
  if (std < 0) throw argError(fn, 'std', 'a finite number >= 0', std, RangeError);
  return random(shape, true, mean, std, opts, 'randn');
}
