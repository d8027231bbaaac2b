// Reductions over all or chosen axes: sum, mean, prod, max, min, argmax, argmin.
// Many outputs: one thread each. Few outputs with long reductions: one 256-wide workgroup each, and
// for very long ones a first pass of partial results per chunk, so every core has work.
import type { DType } from '../gpu/kernels.js';
import { registerShader } from '../gpu/kernels.js';
import type { Tensor } from '../graph/tensor.js';
import { collapse, fmt, normalizeAxis } from '../graph/shape.js';
import { checkTensor, DT_CODE, emit, grid1d, output, slots } from './emit.js';
import { context } from '../graph/context.js';
import { argError, argErrorText, describeValue } from '../graph/options.js';
import { cast, clone } from './elementwise.js';
import { full } from './creation.js';
import { reshape } from './layout.js';
import { gather } from './indexing.js';
import reduceWgsl from '../../shaders/reduce.wgsl';

registerShader('reduce.wgsl', reduceWgsl);

const OPS = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4, prod: 5 } as const;
type ReduceOp = keyof typeof OPS;

function normalizeAxes(x: Tensor, axes: number | readonly number[] | undefined, what: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    // sum(x, { axis: 0 }): axes and keepDims are positional.
    const hint = axes !== null && typeof axes === 'object' ? ` (axes are positional: ${what.split('(')[0]}(x, 0, true))` : '';
    throw argErrorText(what, 'axes', 'an axis or an array of axes', `${describeValue(axes)}${hint}`);
  }
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const norm = list.map((a, i) => normalizeAxis(a, x.rank, what, typeof axes === 'number' ? 'axes' : `axes[${i}]`));
  if (new Set(norm).size !== norm.length) throw argErrorText(what, 'axes', 'distinct axes', fmt(list), Error);
  // A 0-d tensor accepts axis 0 (as in PyTorch) but has no axis to reduce.
  if (x.rank === 0) return [];
  return norm.sort((a, b) => a - b);
}

interface Plan {
  outShape: number[];
  kept: { shape: number[]; strides: number[] };
  red: { shape: number[]; strides: number[] };
  nOut: number;
  R: number;
}

function plan(x: Tensor, axes: number[], keepDims: boolean): Plan {
  const isRed = (i: number): boolean => axes.includes(i);
  const keptIdx = x.shape.map((_, i) => i).filter((i) => !isRed(i));
  const kept = collapse(
    keptIdx.map((i) => x.shape[i]!),
    [keptIdx.map((i) => x.strides[i]!)],
  );
  const red = collapse(
    axes.map((i) => x.shape[i]!),
    [axes.map((i) => x.strides[i]!)],
  );
  const outShape = keepDims ? x.shape.map((d, i) => (isRed(i) ? 1 : d)) : keptIdx.map((i) => x.shape[i]!);
  return {
    outShape,
    kept: { shape: kept.shape, strides: kept.strides[0]! },
    red: { shape: red.shape, strides: red.strides[0]! },
    nOut: keptIdx.reduce((s, i) => s * x.shape[i]!, 1),
    R: axes.reduce((s, i) => s * x.shape[i]!, 1),
  };
}

function dispatchReduce(op: ReduceOp, x: Tensor, p: Plan, chunks: number, scale: number, outDtype: DType, shape: number[]): Tensor {
  const y = output(shape, outDtype);
  const nOut = p.nOut * chunks;
  const chunk = Math.ceil(p.R / chunks);
  // Workgroup-wide tree reductions suit GPUs; CPU adapters run barriers as fiber switches (a 256-wide
  // group measured 70x slower than one thread per output), so there every output gets one thread.
  const strategy = context().scheduler.reductions;
  const perThread = strategy === 'thread' || (strategy === 'auto' && (context().info.isSoftware || nOut >= 1024 || chunk <= 32));
  // Float sums over a unit-stride run of whole vec4s read a vec4 at a time (reduce_thread_sum4).
  const outStride = p.kept.shape.length === 0 ? 0 : p.kept.strides[0]!;
  const vec4 =
    perThread &&
    op === 'sum' &&
    x.dtype === 'float32' &&
    p.red.shape.length === 1 &&
    p.red.strides[0] === 1 &&
    p.kept.shape.length <= 1 &&
    [x.offset, outStride, chunk, p.R].every((v) => v % 4 === 0);
  emit({
    file: 'reduce.wgsl',
    entry: vec4 ? 'reduce_thread_sum4' : perThread ? 'reduce_thread' : 'reduce_group',
    label: op,
    overrides: { OP: OPS[op], DT: DT_CODE[x.dtype] },
    bind: { [vec4 ? 'x4' : 'x']: x.storageFor(op), y: y.storageFor(op) },
    uniforms: {
      n_out: nOut,
      rank_out: p.kept.shape.length,
      rank_red: p.red.shape.length,
      red_size: p.R,
      offset: x.offset,
      chunk,
      n_chunks: chunks,
      scale,
      shape_out: slots(p.kept.shape),
      strides_out: slots(p.kept.strides),
      shape_red: slots(p.red.shape),
      strides_red: slots(p.red.strides),
    },
    grid: perThread ? grid1d(nOut) : grid1d(nOut, 1),
    bytes: 4 * (p.nOut * p.R + nOut),
    flops: p.nOut * p.R,
  });
  return y;
}

/** keepDims is positional and must be a boolean: 'yes' or 0 would otherwise pass by truthiness. */
function checkKeepDims(keepDims: unknown, fn: string): boolean {
  if (typeof keepDims !== 'boolean') throw argError(fn, 'keepDims', 'a boolean', keepDims);
  return keepDims;
}

function reduce(op: ReduceOp, xIn: Tensor, axesIn: number | readonly number[] | undefined, keepDims: boolean, mean = false): Tensor {
  const what = `${mean ? 'mean' : op}(x, axes, keepDims)`;
  let x = checkTensor(xIn, what, 'x');
  checkKeepDims(keepDims, what);
  const axes = normalizeAxes(x, axesIn, what);
  let p = plan(x, axes, keepDims);
  if (p.R === 0 && op !== 'sum' && op !== 'prod') {
    throw new Error(`tellus: ${what}: cannot reduce an empty axis (shape ${fmt(x.shape)}) with ${op}, which has no identity`);
  }
  // The mean of nothing is 0/0, as in NumPy and PyTorch.
  if (mean && p.R === 0) return full(p.outShape, NaN);
  if (mean && x.dtype !== 'float32') {
    x = cast(x, 'float32');
    // The cast is a contiguous copy: plan again with its strides, not the view's.
    p = plan(x, axes, keepDims);
  }
  const arg = op === 'argmax' || op === 'argmin';
  // Reducing axes of size 1 (a sum over one shot, say) is a copy: one thread per output with its
  // index decoding ran ~10x slower than a copy on SwiftShader (3.6 against 0.36 ms for 90k floats).
  if (p.R === 1 && !arg) {
    const c = clone(x);
    const y = reshape(c, p.outShape);
    c.dispose();
    if (x !== xIn) x.dispose();
    return y;
  }
  const outDtype: DType = arg ? 'int32' : x.dtype;
  const scale = mean ? 1 / Math.max(p.R, 1) : 1;
  // A two-pass split only pays when few outputs each reduce a long run. On CPU adapters every
  // output is one thread, so split sooner to give all cores work.
  const threads = context().scheduler.reductions === 'thread' || (context().scheduler.reductions === 'auto' && context().info.isSoftware);
  const [minR, perChunk] = threads ? [2048, 1024] : [16384, 4096];
  // With one thread per output, long loops are also split: llvmpipe cut a single invocation's
  // 40,000-step loop short (a wrong argmax in Deno), and short loops keep every core busy.
  const split = threads ? p.R > minR : p.nOut < 64 && p.R > minR;
  const chunks = split ? Math.max(1, Math.min(Math.ceil(p.R / perChunk), threads ? Math.floor(2 ** 20 / p.nOut) : 256)) : 1;
  if (chunks === 1) {
    const y = dispatchReduce(op, x, p, 1, scale, outDtype, p.outShape);
    if (x !== xIn) x.dispose();
    return y;
  }
  if (arg) {
    // Per chunk: the extreme value and its (global) index; then the first chunk holding the overall
    // extreme (NaN first, as the kernel orders them) picks its index. Ties keep the first index.
    const valueOp = op === 'argmax' ? 'max' : 'min';
    const idx = dispatchReduce(op, x, p, chunks, 1, 'int32', [p.nOut, chunks]);
    const vals = dispatchReduce(valueOp, x, p, chunks, 1, x.dtype, [p.nOut, chunks]);
    const best = dispatchReduce(op, vals, plan(vals, [1], true), 1, 1, 'int32', [p.nOut, 1]);
    const picked = gather(idx, 1, best);
    const y = reshape(picked, p.outShape);
    for (const t of [idx, vals, best, picked]) t.dispose();
    if (x !== xIn) x.dispose();
    return y;
  }
  const partial = dispatchReduce(op, x, p, chunks, 1, outDtype, [p.nOut, chunks]);
  if (x !== xIn) x.dispose();
  const y = dispatchReduce(op, partial, plan(partial, [1], false), 1, scale, outDtype, p.outShape);
  partial.dispose();
  return y;
}

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('sum', x, axes, keepDims);
export const prod = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('prod', x, axes, keepDims);
export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('max', x, axes, keepDims);
export const min = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('min', x, axes, keepDims);
export const mean = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('sum', x, axes, keepDims, true);

/** Index of the first largest element along `axis` (over the flattened tensor when omitted), as int32. */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argReduce('argmax', x, axis, keepDims);
}

export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argReduce('argmin', x, axis, keepDims);
}

function argReduce(op: 'argmax' | 'argmin', xIn: Tensor, axis: number | undefined, keepDims: boolean): Tensor {
  const fn = `${op}(x, axis, keepDims)`;
  const x = checkTensor(xIn, fn, 'x');
  checkKeepDims(keepDims, fn);
  if (axis !== undefined) {
    if (typeof axis !== 'number') {
      const hint = axis !== null && typeof axis === 'object' && !Array.isArray(axis) ? ` (the axis is positional: ${op}(x, 0, true))` : '';
      throw argErrorText(fn, 'axis', 'an integer', `${describeValue(axis)}${hint}`);
    }
    normalizeAxis(axis, x.rank, fn, 'axis');
    return reduce(op, x, [axis], keepDims);
  }
  const flat = reshape(x, [-1]);
  const y = reduce(op, flat, [0], false);
  flat.dispose();
  if (!keepDims) return y;
  const r = reshape(
    y,
    x.shape.map(() => 1),
  );
  y.dispose();
  return r;
}
