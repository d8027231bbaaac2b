// Views (no copy): reshape of contiguous data, transpose/permute, slice, expand, squeeze/unsqueeze.
// Copies: pad (zero/constant, edge, reflect) and concat/stack.
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  collapse,
  contiguousStrides,
  fmt,
  normalizeAxis,
  type Shape,
  sizeOf,
} from '../graph/shape.js';
import { bitsOf, checkFinite, checkInt, checkTensor, emit, grid1d, output, slots } from './emit.js';
import { contiguous } from './elementwise.js';
import { full } from './creation.js';
import { assignInto } from './assign.js';

export function reshape(xIn: Tensor, shapeIn: readonly number[]): Tensor {
  const fn = 'reshape(x, shape)';
  const x = checkTensor(xIn, fn, 'x');
  if (!Array.isArray(shapeIn)) throw argError(fn, 'shape', 'an array of non-negative integers (one may be -1)', shapeIn);
  const inferred = shapeIn.filter((d) => d === -1).length;
  if (inferred > 1) throw argErrorText(fn, 'shape', 'at most one -1', fmt(shapeIn), Error);
  const known = sizeOf(shapeIn.filter((d) => d !== -1));
  if (inferred === 1 && known > 0 && x.size % known !== 0) {
    throw new Error(`tellus: reshape(x, shape): cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shapeIn)}`);
  }
  const shape = shapeIn.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  checkShape(shape, fn, 'shape');
  if (sizeOf(shape) !== x.size)
    throw new Error(`tellus: reshape(x, shape): cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shapeIn)}`);
  const src = x.isContiguous || collapse(x.shape, [x.strides]).shape.length <= 1 ? x : contiguous(x);
  const c = collapse(src.shape, [src.strides]);
  const unit = c.shape.length === 1 ? c.strides[0]![0]! : 1;
  const strides = contiguousStrides(shape).map((s) => s * unit);
  const y = src.view(shape, strides, src.offset);
  if (src !== x) src.dispose();
  return y;
}

export function flatten(x: Tensor): Tensor {
  return reshape(x, [-1]);
}

/** An axes argument must be an array (its entries are checked by normalizeAxis). */
function checkAxesArray(axes: unknown, fn: string): readonly number[] {
  if (!Array.isArray(axes)) throw argError(fn, 'axes', 'an array of axes', axes);
  return axes as readonly number[];
}

export function permute(xIn: Tensor, axes: readonly number[]): Tensor {
  const fn = 'permute(x, axes)';
  const x = checkTensor(xIn, fn, 'x');
  checkAxesArray(axes, fn);
  const norm = axes.map((a, i) => normalizeAxis(a, x.rank, fn, `axes[${i}]`));
  if (norm.length !== x.rank || new Set(norm).size !== x.rank)
    throw argErrorText(fn, 'axes', `a permutation of ${x.rank} axes`, fmt(axes), Error);
  return x.view(
    norm.map((a) => x.shape[a]!),
    norm.map((a) => x.strides[a]!),
    x.offset,
  );
}

/** Swaps two axes (the last two by default, so a matrix transposes). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const fn = 'transpose(x, axis0, axis1)';
  checkTensor(x, fn, 'x');
  if (x.rank < 2) return x.view(x.shape, x.strides, x.offset);
  const a = normalizeAxis(axis0, x.rank, fn, 'axis0');
  const b = normalizeAxis(axis1, x.rank, fn, 'axis1');
  const order = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, order);
}

/** One entry per leading axis: a number picks an index (dropping the axis), null keeps all, [start, end, step] is a Python slice. */
export type SliceSpec = number | null | readonly [(number | null)?, (number | null)?, (number | null)?];

export function slice(xIn: Tensor, spec: readonly SliceSpec[]): Tensor {
  const fn = 'slice(x, spec)';
  const x = checkTensor(xIn, fn, 'x');
  if (spec.length > x.rank) throw argError(fn, 'spec', `at most ${x.rank} entries (one per axis of x)`, spec, Error);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  x.shape.forEach((n, d) => {
    const s = spec[d] ?? null;
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n)
        throw argError(fn, `spec[${d}]`, `an index in [${-n}, ${n - 1}] (axis ${d} has size ${n})`, s, RangeError);
      offset += (s < 0 ? s + n : s) * x.strides[d]!;
      return;
    }
    const [startIn, endIn, stepIn] = s ?? [];
    const step = stepIn ?? 1;
    // null means "default", like Python's None.
    if (!Number.isInteger(step) || step === 0) throw argError(fn, `spec[${d}][2]`, 'a non-zero integer step', step, RangeError);
    const clampIdx = (v: number | null | undefined, k: number, dflt: number, lo: number, hi: number): number => {
      if (v === undefined || v === null) return dflt;
      checkInt(v, fn, `spec[${d}][${k}]`);
      return Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    };
    const start = step > 0 ? clampIdx(startIn, 0, 0, 0, n) : clampIdx(startIn, 0, n - 1, -1, n - 1);
    const end = step > 0 ? clampIdx(endIn, 1, n, 0, n) : clampIdx(endIn, 1, -1, -1, n - 1);
    const len = Math.max(0, Math.ceil((end - start) / step));
    shape.push(len);
    strides.push(x.strides[d]! * step);
    if (len > 0) offset += start * x.strides[d]!;
  });
  return x.view(shape, strides, offset);
}

/** Broadcasts to `shape` without copying (stride 0 along expanded axes). */
export function expand(xIn: Tensor, shape: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'expand(x, shape)', 'x');
  checkShape(shape, 'expand(x, shape)', 'shape');
  const target = broadcastShapes([x.shape, shape], 'expand(x, shape)');
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i])) {
    throw new Error(`tellus: expand(x, shape): cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  return x.view(target, broadcastStrides(x.shape, x.strides, target), x.offset);
}

export function unsqueeze(xIn: Tensor, axis: number): Tensor {
  const x = checkTensor(xIn, 'unsqueeze(x, axis)', 'x');
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze(x, axis)', 'axis');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(a, 0, 1);
  strides.splice(a, 0, a < x.rank ? x.strides[a]! * x.shape[a]! : 1);
  return x.view(shape, strides, x.offset);
}

/** Drops the given size-1 axes (all of them by default). */
export function squeeze(xIn: Tensor, axes?: readonly number[]): Tensor {
  const fn = 'squeeze(x, axes)';
  const x = checkTensor(xIn, fn, 'x');
  if (axes !== undefined) checkAxesArray(axes, fn);
  const sizeOne = (a: number, i: number): number => {
    const k = normalizeAxis(a, x.rank, fn, `axes[${i}]`);
    if (x.shape[k] !== 1) throw argErrorText(fn, `axes[${i}]`, 'an axis of size 1', `axis ${a}, of size ${x.shape[k]}`, Error);
    return k;
  };
  const drop = new Set(axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map(sizeOne));
  const keepDims = x.shape.map((_, i) => i).filter((i) => !drop.has(i));
  return x.view(
    keepDims.map((i) => x.shape[i]!),
    keepDims.map((i) => x.strides[i]!),
    x.offset,
  );
}

export type PadMode = 'constant' | 'edge' | 'reflect';
const PAD_MODES: Record<PadMode, number> = { constant: 0, edge: 1, reflect: 2 };

/** NumPy-style pad: `pads` gives [before, after] per axis (missing leading axes are not padded). */
export interface PadOptions {
  mode?: PadMode;
  value?: number;
}
const PAD_OPTIONS = optionNames<PadOptions>()('mode', 'value');

export function pad(xIn: Tensor, pads: readonly (readonly [number, number])[], opts: PadOptions = {}): Tensor {
  const fn = 'pad(x, pads, opts)';
  checkOptions(opts, PAD_OPTIONS, fn);
  const x = checkTensor(xIn, fn, 'x');
  const mode = opts.mode ?? 'constant';
  if (!(mode in PAD_MODES)) throw argError(fn, 'mode', "'constant', 'edge' or 'reflect'", mode);
  const value = checkFinite(opts.value ?? 0, fn, 'value');
  if (x.dtype !== 'float32' && !Number.isInteger(value)) throw argError(fn, 'value', `an integer for ${x.dtype}`, value);
  if (pads.length > x.rank) throw argError(fn, 'pads', `at most ${x.rank} pairs (one per axis of x)`, pads, Error);
  const skipped = x.rank - pads.length;
  const full = [...new Array<[number, number]>(skipped).fill([0, 0]), ...pads];
  full.forEach(([b, a], d) => {
    checkInt(b, fn, `pads[${d - skipped}][0]`, 0);
    checkInt(a, fn, `pads[${d - skipped}][1]`, 0);
    if (mode !== 'constant' && x.shape[d] === 0 && a + b > 0)
      throw new Error(`tellus: pad(x, pads): mode '${mode}' cannot pad axis ${d} of size 0`);
  });
  const shape = x.shape.map((n, d) => n + full[d]![0] + full[d]![1]);
  const y = output(shape, x.dtype);
  const n = y.size;
  const vec4 = x.rank === 2 && shape[1]! % 4 === 0 && n > 0;
  emit({
    file: 'layout.wgsl',
    entry: vec4 ? 'pad4' : 'pad',
    label: `pad(${mode})`,
    bind: { x: x.storageFor(`${fn}: x`), [vec4 ? 'dst4' : 'y']: y.storageFor('pad') },
    overrides: { PAD_MODE: PAD_MODES[mode], RANK2: x.rank === 2 ? 1 : 0 },
    uniforms: {
      n,
      rank: x.rank,
      offset: x.offset,
      fill_bits: bitsOf(value, x.dtype),
      out_shape: slots(shape),
      in_shape: slots(x.shape),
      in_strides: slots(x.strides),
      before: slots(full.map((p) => p[0])),
    },
    grid: grid1d(vec4 ? n / 4 : n),
    bytes: 8 * n,
  });
  return y;
}

/** The adjoint of slice: a zero tensor of `shape` with `g` written where slice(·, spec) reads. */
export function sliceScatter(gIn: Tensor, shape: readonly number[], spec: readonly SliceSpec[]): Tensor {
  const g = checkTensor(gIn, 'sliceScatter(g, shape, spec)', 'g');
  const y = full(shape, 0, g.dtype);
  const window = slice(y, spec);
  if (window.shape.length !== g.rank || window.shape.some((d, i) => d !== g.shape[i])) {
    throw new Error(`tellus: sliceScatter(g, shape, spec): g has shape ${fmt(g.shape)}, the slice selects ${fmt(window.shape)}`);
  }
  assignInto(g, window, 'sliceScatter');
  window.dispose();
  return y;
}

export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const fn = 'concat(tensors, axis)';
  if (!Array.isArray(tensors) || tensors.length === 0) throw argError(fn, 'tensors', 'a non-empty array of tensors', tensors);
  tensors.forEach((t, i) => checkTensor(t, fn, `tensors[${i}]`));
  const first = tensors[0]!;
  if (first.rank === 0) throw argError(fn, 'tensors[0]', 'a tensor of rank >= 1 (stack joins 0-d tensors)', first, Error);
  const a = normalizeAxis(axis, first.rank, fn, 'axis');
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype) throw argError(fn, `tensors[${i}]`, `a ${first.dtype} tensor (as tensors[0])`, t);
    if (t.rank !== first.rank || t.shape.some((d: number, k: number) => k !== a && d !== first.shape[k]))
      throw argError(fn, `tensors[${i}]`, `a tensor of shape ${fmt(first.shape)} (as tensors[0]) except along axis ${a}`, t, Error);
  });
  const shape = [...first.shape];
  shape[a] = tensors.reduce((s, t) => s + t.shape[a]!, 0);
  // An empty result comes from an (empty) fill, so it still has a buffer for data() to read.
  if (sizeOf(shape) === 0) return full(shape, 0, first.dtype);
  const y = output(shape, first.dtype);
  let at = 0;
  for (const t of tensors) {
    const part = y.view(t.shape, y.strides, at * y.strides[a]!);
    assignInto(t, part, 'concat');
    part.dispose();
    at += t.shape[a]!;
  }
  return y;
}

/** Validates stack's arguments; returns the normalized new axis. */
export function checkStack(tensors: readonly Tensor[], axis: number): number {
  const fn = 'stack(tensors, axis)';
  if (!Array.isArray(tensors) || tensors.length === 0) throw argError(fn, 'tensors', 'a non-empty array of tensors', tensors);
  tensors.forEach((t, i) => {
    checkTensor(t, fn, `tensors[${i}]`);
    if (t.shape.length !== tensors[0]!.shape.length || t.shape.some((d: number, k: number) => d !== tensors[0]!.shape[k]))
      throw argError(fn, `tensors[${i}]`, `a tensor of shape ${fmt(tensors[0]!.shape)} (as tensors[0])`, t, Error);
  });
  return normalizeAxis(axis, tensors[0]!.rank + 1, fn, 'axis');
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const a = checkStack(tensors, axis);
  const parts = tensors.map((t) => unsqueeze(t, a));
  const y = concat(parts, a);
  for (const p of parts) p.dispose();
  return y;
}

export type { Shape };
