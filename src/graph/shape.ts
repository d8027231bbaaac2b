// Shape and stride arithmetic shared by every op. Strides are in elements and may be 0 (broadcast)
// or negative (reversed slices).

import { argError, argErrorText, describeValue } from './options.js';

export const MAX_RANK = 8;

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i]!;
  }
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** NumPy broadcasting of any number of shapes; `what` names the operands in the error. */
export function broadcastShapes(shapes: Shape[], what: string): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e !== 1) {
        if (d !== 1 && d !== e) {
          throw new Error(
            `tellus: ${what}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (axis ${i - rank}: ${d} vs ${e})`,
          );
        }
        d = e;
      }
    }
    out.push(d);
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the broadcast shape `target`. */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const lead = target.length - shape.length;
  return target.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]!));
}

/**
 * Merges adjacent dims that every view walks contiguously relative to each other, so a contiguous
 * tensor becomes rank 1 and kernels spend fewer divisions per element. Size-1 dims are dropped.
 */
export function collapse(shape: Shape, strideSets: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strideSets.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      outShape[last]! *= d;
      strideSets.forEach((s, k) => (outStrides[k]![last] = s[i]!));
    } else {
      outShape.push(d);
      strideSets.forEach((s, k) => outStrides[k]!.push(s[i]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** `axis` as an index in [0, rank); `fn` and `arg` name it in the error (`sum(x, axes)`, `axes[1]`). */
export function normalizeAxis(axis: number, rank: number, fn: string, arg: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1))
    throw argError(fn, arg, `an integer in [${-rank}, ${Math.max(rank, 1) - 1}]`, axis, RangeError);
  return axis < 0 ? axis + rank : axis;
}

/** A shape as messages show it: `[2, -1]`, with non-numbers described (`["3"]`, `[2, undefined]`). */
function describeShape(v: unknown): string {
  if (!Array.isArray(v)) return describeValue(v);
  const items = (v as unknown[]).slice(0, 9).map((d) => (typeof d === 'number' ? String(d) : describeValue(d)));
  return `[${items.join(', ')}${v.length > 9 ? ', …' : ''}]`;
}

/** Checks a shape argument (a copy is returned, so callers may keep it), e.g. `zeros(shape, dtype)`'s `shape`. */
export function checkShape(shape: unknown, fn: string, arg: string): number[] {
  if (!Array.isArray(shape) || (shape as unknown[]).some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    throw argErrorText(fn, arg, 'an array of non-negative integers', describeShape(shape));
  if (shape.length > MAX_RANK) throw argErrorText(fn, arg, `at most ${MAX_RANK} dims`, String(shape.length), RangeError);
  return [...(shape as number[])];
}
