// Views (no copy): reshape of contiguous data, transpose/permute, slice, expand, squeeze/unsqueeze.
// Copies: pad (zero/constant, edge, reflect) and concat/stack.
import { checkOptions, describeValue, optionNames } from '../graph/options.js';
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
import layoutWgsl from '../../shaders/layout.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('layout.wgsl', layoutWgsl);

export function reshape(xIn: Tensor, shapeIn: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'reshape(x)');
  if (!Array.isArray(shapeIn)) {
    throw new TypeError(
      `tellus: reshape(x, shape): expected an array of non-negative integers (one may be -1), got ${describeValue(shapeIn)}`,
    );
  }
  const inferred = shapeIn.filter((d) => d === -1).length;
  if (inferred > 1) throw new Error(`tellus: reshape(x, shape): at most one -1 allowed, got ${fmt(shapeIn)}`);
  const known = sizeOf(shapeIn.filter((d) => d !== -1));
  if (inferred === 1 && known > 0 && x.size % known !== 0) {
    throw new Error(`tellus: reshape(x, shape): cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shapeIn)}`);
  }
  const shape = shapeIn.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  checkShape(shape, 'reshape(x, shape)');
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
function checkAxesArray(axes: unknown, what: string): readonly number[] {
  if (!Array.isArray(axes)) throw new TypeError(`tellus: ${what}: expected an array of axes, got ${describeValue(axes)}`);
  return axes as readonly number[];
}

export function permute(xIn: Tensor, axes: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'permute(x)');
  checkAxesArray(axes, 'permute(x, axes)');
  const norm = axes.map((a) => normalizeAxis(a, x.rank, 'permute(x, axes)'));
  if (norm.length !== x.rank || new Set(norm).size !== x.rank) {
    throw new Error(`tellus: permute(x, axes): expected a permutation of ${x.rank} axes, got ${fmt(axes)}`);
  }
  return x.view(
    norm.map((a) => x.shape[a]!),
    norm.map((a) => x.strides[a]!),
    x.offset,
  );
}

/** Swaps two axes (the last two by default, so a matrix transposes). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor(x, 'transpose(x)');
  if (x.rank < 2) return x.view(x.shape, x.strides, x.offset);
  const a = normalizeAxis(axis0, x.rank, 'transpose(x, axis0)');
  const b = normalizeAxis(axis1, x.rank, 'transpose(x, axis1)');
  const order = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, order);
}

/** One entry per leading axis: a number picks an index (dropping the axis), null keeps all, [start, end, step] is a Python slice. */
export type SliceSpec = number | null | readonly [(number | null)?, (number | null)?, (number | null)?];

export function slice(xIn: Tensor, spec: readonly SliceSpec[]): Tensor {
  const x = checkTensor(xIn, 'slice(x)');
  if (spec.length > x.rank) throw new Error(`tellus: slice(x, spec): ${spec.length} entries for a tensor of rank ${x.rank}`);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  x.shape.forEach((n, d) => {
    const s = spec[d] ?? null;
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n)
        throw new RangeError(`tellus: slice(x, spec): index ${s} is out of range for axis ${d} of size ${n}`);
      offset += (s < 0 ? s + n : s) * x.strides[d]!;
      return;
    }
    const [startIn, endIn, stepIn] = s ?? [];
    const step = stepIn ?? 1;
    // null means "default", like Python's None.
    if (!Number.isInteger(step) || step === 0)
      throw new RangeError(`tellus: slice(x, spec): step for axis ${d} must be a non-zero integer, got ${step}`);
    const clampIdx = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
      if (v === undefined || v === null) return dflt;
      checkInt(v, `slice(x, spec): bound for axis ${d}`);
      return Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    };
    const start = step > 0 ? clampIdx(startIn, 0, 0, n) : clampIdx(startIn, n - 1, -1, n - 1);
    const end = step > 0 ? clampIdx(endIn, n, 0, n) : clampIdx(endIn, -1, -1, n - 1);
    const len = Math.max(0, Math.ceil((end - start) / step));
    shape.push(len);
    strides.push(x.strides[d]! * step);
    if (len > 0) offset += start * x.strides[d]!;
  });
  return x.view(shape, strides, offset);
}

/** Broadcasts to `shape` without copying (stride 0 along expanded axes). */
export function expand(xIn: Tensor, shape: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'expand(x)');
  checkShape(shape, 'expand(x, shape)');
  const target = broadcastShapes([x.shape, shape], 'expand(x, shape)');
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i])) {
    throw new Error(`tellus: expand(x, shape): cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  return x.view(target, broadcastStrides(x.shape, x.strides, target), x.offset);
}

export function unsqueeze(xIn: Tensor, axis: number): Tensor {
  const x = checkTensor(xIn, 'unsqueeze(x)');
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze(x, axis)');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(a, 0, 1);
  strides.splice(a, 0, a < x.rank ? x.strides[a]! * x.shape[a]! : 1);
  return x.view(shape, strides, x.offset);
}

/** Drops the given size-1 axes (all of them by default). */
export function squeeze(xIn: Tensor, axes?: readonly number[]): Tensor {
  const x = checkTensor(xIn, 'squeeze(x)');
  if (axes !== undefined) checkAxesArray(axes, 'squeeze(x, axes)');
  const drop = new Set(
    axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => normalizeAxis(a, x.rank, 'squeeze(x, axes)')),
  );
  for (const a of drop) if (x.shape[a] !== 1) throw new Error(`tellus: squeeze(x, axes): axis ${a} has size ${x.shape[a]}, expected 1`);
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
  checkOptions(opts, PAD_OPTIONS, 'pad(x, pads, opts)');
  const x = checkTensor(xIn, 'pad(x)');
  const mode = opts.mode ?? 'constant';
  if (!(mode in PAD_MODES))
    throw new TypeError(`tellus: pad(x, pads, { mode }): expected 'constant', 'edge' or 'reflect', got ${String(mode)}`);
  const value = checkFinite(opts.value ?? 0, 'pad(x, pads, { value })');
  if (x.dtype !== 'float32' && !Number.isInteger(value))
    throw new TypeError(`tellus: pad(x, pads, { value }): expected an integer for ${x.dtype}, got ${value}`);
  if (pads.length > x.rank) throw new Error(`tellus: pad(x, pads): ${pads.length} pairs for a tensor of rank ${x.rank}`);
  const full = [...new Array<[number, number]>(x.rank - pads.length).fill([0, 0]), ...pads];
  full.forEach(([b, a], d) => {
    checkInt(b, `pad(x, pads): before-pad of axis ${d}`, 0);
    checkInt(a, `pad(x, pads): after-pad of axis ${d}`, 0);
    if (mode !== 'constant' && x.shape[d] === 0 && a + b > 0)
      throw new Error(`tellus: pad(x, pads): mode '${mode}' cannot pad axis ${d} of size 0`);
  });
  const shape = x.shape.map((n, d) => n + full[d]![0] + full[d]![1]);
  const y = output(shape, x.dtype);
  const n = y.size;
  emit({
    file: 'layout.wgsl',
    entry: 'pad',
    label: `pad(${mode})`,
    bind: { x: x.storageFor('pad(x)'), y: y.storageFor('pad') },
    uniforms: {
      n,
      rank: x.rank,
      offset: x.offset,
      mode: PAD_MODES[mode],
      fill_bits: bitsOf(value, x.dtype),
      out_shape: slots(shape),
      in_shape: slots(x.shape),
      in_strides: slots(x.strides),
      before: slots(full.map((p) => p[0])),
    },
    grid: grid1d(n),
    bytes: 8 * n,
  });
  return y;
}

/** Copies `src` into the view `dst` of a storage that other nodes may also write (concat). */
function assignInto(src: Tensor, dst: Tensor, label: string): void {
  const c = collapse(src.shape, [src.strides, dst.strides]);
  const n = src.size;
  if (n === 0) return;
  emit({
    file: 'layout.wgsl',
    entry: 'assign',
    label,
    bind: { src: src.storageFor(label), dst: dst.storageFor(label) },
    uniforms: {
      n,
      rank: c.shape.length,
      offset_src: src.offset,
      offset_dst: dst.offset,
      shape: slots(c.shape),
      strides_src: slots(c.strides[0]!),
      strides_dst: slots(c.strides[1]!),
    },
    grid: grid1d(n),
    bytes: 8 * n,
  });
}

/** The adjoint of slice: a zero tensor of `shape` with `g` written where slice(·, spec) reads. */
export function sliceScatter(gIn: Tensor, shape: readonly number[], spec: readonly SliceSpec[]): Tensor {
  const g = checkTensor(gIn, 'sliceScatter(g)');
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
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new TypeError('tellus: concat(tensors): expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor(t, `concat(tensors): tensors[${i}]`));
  const first = tensors[0]!;
  if (first.rank === 0) throw new Error('tellus: concat(tensors): tensors[0] is 0-d; concat needs rank >= 1 (stack joins 0-d tensors)');
  const a = normalizeAxis(axis, first.rank, 'concat(tensors, axis)');
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype)
      throw new TypeError(`tellus: concat(tensors): tensors[${i}] is ${t.dtype}, expected ${first.dtype} like tensors[0]`);
    if (t.rank !== first.rank || t.shape.some((d: number, k: number) => k !== a && d !== first.shape[k])) {
      throw new Error(
        `tellus: concat(tensors, ${axis}): tensors[${i}] has shape ${fmt(t.shape)}, expected ${fmt(first.shape)} except along axis ${a}`,
      );
    }
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
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('tellus: stack(tensors): expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    checkTensor(t, `stack(tensors): tensors[${i}]`);
    if (t.shape.length !== tensors[0]!.shape.length || t.shape.some((d: number, k: number) => d !== tensors[0]!.shape[k])) {
      throw new Error(
        `tellus: stack(tensors): tensors[${i}] has shape ${fmt(t.shape)}, expected ${fmt(tensors[0]!.shape)} like tensors[0]`,
      );
    }
  });
  return normalizeAxis(axis, tensors[0]!.rank + 1, 'stack(tensors, axis)');
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const a = checkStack(tensors, axis);
  const parts = tensors.map((t) => unsqueeze(t, a));
  const y = concat(parts, a);
  for (const p of parts) p.dispose();
  return y;
}

export type { Shape };
