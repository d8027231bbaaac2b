// The differentiable public ops: each runs its raw op and records a VJP rule written with these
// same differentiable ops, so backward passes can themselves be differentiated.
import { type Tensor } from '../graph/tensor.js';
import * as Rd from '../ops/reduce.js';
import * as L from '../ops/layout.js';
import * as I from '../ops/indexing.js';
import { matmul as rawMatmul } from '../ops/matmul.js';
import { tensor, zeros } from '../ops/creation.js';
import { isRecording, record, save } from './tape.js';
import { add, div, eq, mul } from './optable.js';
import { type Axes, axesList, isT, cast, expand, keptShape, reshape, sum, unbroadcast } from './core.js';

type T = Tensor;

// ---- elementwise -------------------------------------------------------------------------------

// Unary and binary math ops come from the op table; where, cast, copies, sum, reshape and expand from core.ts.
export * from './optable.js';
export * from './core.js';

// ---- reductions --------------------------------------------------------------------------------

export function mean(x: T, axes?: Axes, keepDims = false): T {
  const out = Rd.mean(x, axes, keepDims);
  return record('mean', out, [x], () => {
    const shape = x.shape;
    const kept = keptShape(x, axes);
    const count = axesList(x, axes).reduce((s, a) => s * x.shape[a]!, 1);
    return (g) => [expand(reshape(div(g, count), kept), shape)];
  });
}

/** Gradient of prod is prod/x: exact away from zeros (an element equal to 0 gets NaN there). */
export function prod(x: T, axes?: Axes, keepDims = false): T {
  const out = Rd.prod(x, axes, keepDims);
  return record('prod', out, [x], () => {
    const [sx, so] = [save(x), save(out)];
    const kept = keptShape(x, axes);
    return (g) => [div(mul(expand(reshape(g, kept), sx.shape), expand(reshape(so, kept), sx.shape)), sx)];
  });
}

function extremum(name: 'max' | 'min', raw: (x: T, a?: Axes, k?: boolean) => T) {
  return (x: T, axes?: Axes, keepDims = false): T => {
    const out = raw(x, axes, keepDims);
    return record(name, out, [x], () => {
      const [sx, so] = [save(x), save(out)];
      const kept = keptShape(x, axes);
      const ax = axesList(x, axes);
      // Ties share the gradient equally.
      return (g) => {
        const mask = cast(eq(sx, expand(reshape(so, kept), sx.shape)), 'float32');
        const count = sum(mask, ax, true);
        return [mul(expand(reshape(g, kept), sx.shape), div(mask, count))];
      };
    });
  };
}
export const max = extremum('max', Rd.max);
export const min = extremum('min', Rd.min);
export const { argmax, argmin } = Rd;

// ---- matmul ------------------------------------------------------------------------------------

export function matmul(a: T, b: T): T {
  const out = rawMatmul(a, b);
  return record('matmul', out, [a, b], () => {
    const [sa, sb] = [save(a), save(b)];
    return (g) => {
      // Work with >= 2-D operands, as the forward did, then restore the original ranks.
      const a2 = sa.rank === 1 ? reshape(sa, [1, sa.shape[0]!]) : sa;
      const b2 = sb.rank === 1 ? reshape(sb, [sb.shape[0]!, 1]) : sb;
      const M = a2.shape[a2.rank - 2]!;
      const N = b2.shape[b2.rank - 1]!;
      const g2 = reshape(g, [...g.shape.slice(0, g.rank - (sa.rank === 1 ? 0 : 1) - (sb.rank === 1 ? 0 : 1)), M, N]);
      const ga = unbroadcast(matmul(g2, transpose(b2)), a2.shape);
      const gb = unbroadcast(matmul(transpose(a2), g2), b2.shape);
      return [reshape(ga, sa.shape), reshape(gb, sb.shape)];
    };
  });
}

// ---- layout ------------------------------------------------------------------------------------

export const flatten = (x: T): T => reshape(x, [-1]);

export function permute(x: T, axes: readonly number[]): T {
  const out = L.permute(x, axes);
  return record('permute', out, [x], () => {
    const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
    const inverse = norm.map((_, i) => norm.indexOf(i));
    return (g) => [permute(g, inverse)];
  });
}

export function transpose(x: T, axis0 = -2, axis1 = -1): T {
  const out = L.transpose(x, axis0, axis1);
  return record('transpose', out, [x], () => (g) => [transpose(g, axis0, axis1)]);
}

export function slice(x: T, spec: readonly L.SliceSpec[]): T {
  const out = L.slice(x, spec);
  return record('slice', out, [x], () => {
    const shape = x.shape;
    return (g) => [sliceScatter(g, shape, spec)];
  });
}

/** Adjoint of slice: zeros of `shape` with `g` placed where the slice reads. */
export function sliceScatter(g: T, shape: readonly number[], spec: readonly L.SliceSpec[]): T {
  const out = L.sliceScatter(g, shape, spec);
  return record('sliceScatter', out, [g], () => (w) => [slice(w, spec)]);
}

export function unsqueeze(x: T, axis: number): T {
  const out = L.unsqueeze(x, axis);
  return record('unsqueeze', out, [x], () => {
    const s = x.shape;
    return (g) => [reshape(g, s)];
  });
}

export function squeeze(x: T, axes?: readonly number[]): T {
  const out = L.squeeze(x, axes);
  return record('squeeze', out, [x], () => {
    const s = x.shape;
    return (g) => [reshape(g, s)];
  });
}

/** Source index along one axis for every padded position (edge / reflect), as in the kernel. */
function padSources(n: number, before: number, after: number, mode: L.PadMode): number[] {
  return Array.from({ length: n + before + after }, (_, o) => {
    const c = o - before;
    if (c >= 0 && c < n) return c;
    if (mode === 'edge') return Math.min(Math.max(c, 0), n - 1);
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = ((c % period) + period) % period;
    return m >= n ? period - m : m;
  });
}

export function pad(x: T, pads: readonly (readonly [number, number])[], opts: { mode?: L.PadMode; value?: number } = {}): T {
  const out = L.pad(x, pads, opts);
  return record('pad', out, [x], () => {
    const shape = x.shape;
    const full2 = [...new Array<[number, number]>(x.rank - pads.length).fill([0, 0]), ...pads];
    const mode = opts.mode ?? 'constant';
    return (g) => {
      if (mode === 'constant')
        return [
          slice(
            g,
            full2.map(([b], d) => [b, b + shape[d]!] as const),
          ),
        ];
      // Fold each padded axis back onto its sources.
      let acc = g;
      for (let d = x.rank - 1; d >= 0; d--) {
        const [b, a] = full2[d]!;
        if (b === 0 && a === 0) continue;
        acc = mode === 'edge' ? foldEdge(acc, d, shape[d]!, b, a) : foldBySources(acc, d, shape[d]!, padSources(shape[d]!, b, a, mode));
      }
      return [acc];
    };
  });
}

/**
 * Edge padding's fold along `axis`: the interior, with each band summed onto its end cell. O(size),
 * unlike a scatter; the end cells are added to and the pieces joined by one concat, so the fold
 * writes the result once (padding each band sum back to full size and adding wrote it three times:
 * 1/5 of a 256^2 FWI gradient's GPU time on SwiftShader).
 */
function foldEdge(g: T, axis: number, n: number, before: number, after: number): T {
  const along = (lo: number, hi: number): L.SliceSpec[] => g.shape.map((s, k): L.SliceSpec => (k === axis ? [lo, hi] : [0, s]));
  const bandSum = (lo: number, hi: number): T => sum(slice(g, along(lo, hi)), [axis], true);
  const withBands = (cell: T, lo: boolean, hi: boolean): T => {
    let acc = cell;
    if (lo && before > 0) acc = add(acc, bandSum(0, before));
    if (hi && after > 0) acc = add(acc, bandSum(before + n, before + n + after));
    return acc;
  };
  if (n === 1) return withBands(slice(g, along(before, before + 1)), true, true);
  const pieces = [withBands(slice(g, along(before, before + 1)), true, false)];
  if (n > 2) pieces.push(slice(g, along(before + 1, before + n - 1)));
  pieces.push(withBands(slice(g, along(before + n - 1, before + n)), false, true));
  return concat(pieces, axis);
}

/** Any fold along `axis` (reflect padding): a scatter-add of every padded position onto its source. */
function foldBySources(g: T, axis: number, n: number, sources: number[]): T {
  const index = tensorIndex(sources, g.shape, axis);
  return scatterAdd(zeros(g.shape.map((s, k) => (k === axis ? n : s))), axis, index, g);
}

/** An int32 index tensor holding `values` along `axis`, broadcast (stride 0) to `shape`. */
function tensorIndex(values: number[], shape: readonly number[], axis: number): T {
  const column = L.reshape(
    tensor(values, { dtype: 'int32' }),
    shape.map((_, k) => (k === axis ? values.length : 1)),
  );
  return L.expand(column, shape);
}

export function concat(tensors: readonly T[], axis = 0): T {
  const out = L.concat(tensors, axis);
  return record('concat', out, tensors, () => {
    const a = axis < 0 ? axis + out.rank : axis;
    const sizes = tensors.map((t) => t.shape[a]!);
    return (g) => {
      let at = 0;
      return sizes.map((n) => {
        const spec = g.shape.map((_, d) => (d === a ? ([at, at + n] as const) : null));
        at += n;
        return slice(g, spec);
      });
    };
  });
}

export function stack(tensors: readonly T[], axis = 0): T {
  const a = L.checkStack(tensors, axis);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

// ---- indexing ----------------------------------------------------------------------------------

export function gather(x: T, axis: number, index: T): T {
  const out = I.gather(x, axis, index);
  return record('gather', out, [x, null], () => {
    const si = save(index);
    const shape = x.shape;
    return (g) => [scatterAdd(zeros(shape, g.dtype), axis, si, g), null];
  });
}

export function scatterAdd(target: T, axis: number, index: T, src: T): T {
  const out = I.scatterAdd(target, axis, index, src);
  return record('scatterAdd', out, [target, null, src], () => {
    const si = save(index);
    const srcShape = src.shape;
    return (g) => {
      let gs = gather(g, axis, si);
      // src may extend past the index; those elements were never added.
      if (gs.shape.some((d, i) => d !== srcShape[i]))
        gs = pad(
          gs,
          srcShape.map((d, i) => [0, d - gs.shape[i]!] as [number, number]),
        );
      return [g, null, gs];
    };
  });
}

export function take(x: T, index: T, axis = 0): T {
  if (!isRecording() || !isT(x) || !isT(index) || index.rank !== 1) return I.take(x, index, axis);
  const a = axis < 0 ? axis + x.rank : axis;
  const column = L.reshape(
    index,
    x.shape.map((_, k) => (k === a ? index.shape[0]! : 1)),
  );
  const wide = L.expand(
    column,
    x.shape.map((d, k) => (k === a ? index.shape[0]! : d)),
  );
  const out = gather(x, a, wide);
  column.dispose();
  wide.dispose();
  return out;
}
