// Pytrees: a Tensor, or plain objects and arrays nesting them (other leaves pass through untouched).
import { Tensor } from '../graph/tensor.js';

export type Tree = Tensor | readonly Tree[] | { readonly [k: string]: Tree } | number | boolean | string | null | undefined;

export function leaves(tree: unknown): Tensor[] {
  const out: Tensor[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(walk);
  };
  walk(tree);
  return out;
}

/** Rebuilds `tree` with each Tensor leaf replaced by `f(leaf, index)` in leaves() order. */
export function mapLeaves<T>(tree: T, f: (t: Tensor, i: number) => Tensor | null): T {
  let i = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) return f(v, i++);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(tree) as T;
}
