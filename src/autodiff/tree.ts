// Kept for callers that import the pytree helpers from here; the walker is src/graph/tree.ts.
import type { Tensor } from '../graph/tensor.js';
import { map } from '../graph/tree.js';

export { leaves, type Tree } from '../graph/tree.js';

/** Rebuilds `tree` with each Tensor leaf replaced by `f(leaf, index)` (leaf order: sorted keys, array index). */
export function mapLeaves<T>(tree: T, f: (t: Tensor, i: number) => Tensor | null): T {
  return map(tree, (t, _path, i) => f(t, i)) as T;
}
