// gather / scatterAdd along an axis (PyTorch semantics) and take (NumPy semantics, built on gather
// with a broadcast index view). Index values are checked on the device: an out-of-range index sets
// a status flag that the next read-back turns into a RangeError.
import type { Tensor } from '../graph/tensor.js';
import { context } from '../graph/context.js';
import { fmt, normalizeAxis } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkTensor, DT_CODE, emit, grid1d, output, slots } from './emit.js';
import { expand, reshape } from './layout.js';
import gatherWgsl from '../../shaders/gather.wgsl';
import { registerShader } from '../gpu/kernels.js';
import { registerStatusFlag } from '../graph/scheduler.js';

registerShader('gather.wgsl', gatherWgsl);
const GATHER_STATUS_BIT = registerStatusFlag('gather: an index is out of range for the gathered axis');
const SCATTER_STATUS_BIT = registerStatusFlag('scatterAdd: an index is out of range for the target axis');

function checkIndex(index: Tensor, fn: string): void {
  if (index.dtype !== 'int32') throw argError(fn, 'index', 'an int32 tensor', index);
}

/** x (or target) must have an axis to index. */
function checkRank1(t: Tensor, fn: string, arg: string): void {
  if (t.rank === 0) throw argError(fn, arg, 'a tensor of rank >= 1', t, Error);
}

/** out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis`; out has index's shape. */
export function gather(xIn: Tensor, axis: number, indexIn: Tensor): Tensor {
  const fn = 'gather(x, axis, index)';
  const x = checkTensor(xIn, fn, 'x');
  const index = checkTensor(indexIn, fn, 'index');
  checkIndex(index, fn);
  checkRank1(x, fn, 'x');
  const a = normalizeAxis(axis, x.rank, fn, 'axis');
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d > x.shape[i]!)) {
    throw new Error(
      `tellus: gather(x, axis, index): index must have x's rank and fit inside x off the axis; got x ${fmt(x.shape)}, index ${fmt(index.shape)}, axis ${a}`,
    );
  }
  const y = output(index.shape, x.dtype);
  // Dispatched even when empty (the kernel checks n), so y always has a buffer to read.
  const n = y.size;
  emit({
    file: 'gather.wgsl',
    entry: 'gather',
    label: 'gather',
    overrides: { GATHER_STATUS_BIT },
    bind: {
      x: x.storageFor('gather: x'),
      index: index.storageFor('gather: index'),
      y: y.storageFor('gather'),
      status: context().scheduler.status,
    },
    uniforms: {
      n,
      rank: x.rank,
      axis: a,
      axis_len: x.shape[a]!,
      offset_x: x.offset,
      offset_i: index.offset,
      offset_s: 0,
      pad: 0,
      shape: slots(index.shape),
      strides_x: slots(x.strides),
      strides_i: slots(index.strides),
      strides_s: slots([]),
      index_shape: slots([]),
    },
    grid: grid1d(n),
    bytes: 12 * n,
  });
  return y;
}

/** Returns target + the sum of src[..., i, ...] into position index[..., i, ...] along `axis`. */
export function scatterAdd(targetIn: Tensor, axis: number, indexIn: Tensor, srcIn: Tensor): Tensor {
  const what = 'scatterAdd(target, axis, index, src)';
  const target = checkTensor(targetIn, what, 'target');
  const index = checkTensor(indexIn, what, 'index');
  const src = checkTensor(srcIn, what, 'src');
  checkIndex(index, what);
  if (src.dtype !== target.dtype) throw argError(what, 'src', `a ${target.dtype} tensor (as target)`, src);
  checkRank1(target, what, 'target');
  const a = normalizeAxis(axis, target.rank, what, 'axis');
  const fits =
    index.rank === target.rank &&
    src.rank === target.rank &&
    index.shape.every((d, i) => d <= src.shape[i]! && (i === a || d <= target.shape[i]!));
  if (!fits) {
    throw new Error(
      `tellus: ${what}: index must have target's rank, fit inside src, and inside target off the axis; got target ${fmt(target.shape)}, index ${fmt(index.shape)}, src ${fmt(src.shape)}, axis ${a}`,
    );
  }
  const y = output(target.shape, target.dtype);
  const n = y.size;
  emit({
    file: 'gather.wgsl',
    entry: 'scatter_add',
    label: 'scatterAdd',
    overrides: { DT: DT_CODE[target.dtype], SCATTER_STATUS_BIT },
    bind: {
      target_: target.storageFor(`${what}: target`),
      sindex: index.storageFor(`${what}: index`),
      source: src.storageFor(`${what}: src`),
      out: y.storageFor(what),
      sstatus: context().scheduler.status,
    },
    uniforms: {
      n,
      rank: target.rank,
      axis: a,
      axis_len: index.shape[a]!,
      offset_x: target.offset,
      offset_i: index.offset,
      offset_s: src.offset,
      pad: 0,
      shape: slots(target.shape),
      strides_x: slots(target.strides),
      strides_i: slots(index.strides),
      strides_s: slots(src.strides),
      index_shape: slots(index.shape),
    },
    grid: grid1d(n),
    bytes: 8 * n + 8 * n * index.shape[a]!,
  });
  return y;
}

/** NumPy take along an axis with a 1-D int32 index: out has x's shape with that axis replaced by the index's length. */
export function take(xIn: Tensor, indexIn: Tensor, axis = 0): Tensor {
  const fn = 'take(x, index, axis)';
  const x = checkTensor(xIn, fn, 'x');
  const index = checkTensor(indexIn, fn, 'index');
  checkIndex(index, fn);
  if (index.rank !== 1) throw argError(fn, 'index', 'a 1-D tensor', index, Error);
  checkRank1(x, fn, 'x');
  const a = normalizeAxis(axis, x.rank, fn, 'axis');
  const shape = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  const column = reshape(
    index,
    x.shape.map((_, i) => (i === a ? index.shape[0]! : 1)),
  );
  const wide = expand(column, shape);
  const y = gather(x, a, wide);
  column.dispose();
  wide.dispose();
  return y;
}
