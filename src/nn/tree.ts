// Pytrees of tensors: a Tensor, or plain objects / arrays nesting Tensors. Optimizers walk
// parameters and gradients in one canonical order (arrays by index, object keys sorted, as JAX
// does) so two trees built with different key insertion orders still pair leaf by leaf.
import { Tensor } from '../graph/tensor.js';

export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`;
  return typeof v;
}

/** Leaves with their paths (`root.layers[0].w`), depth first; throws on anything but Tensors, arrays and plain objects. */
export function treeFlatten(tree: unknown, root = 'tree', what = root): { leaves: Tensor[]; paths: string[] } {
  const leaves: Tensor[] = [];
  const paths: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v instanceof Tensor) {
      leaves.push(v);
      paths.push(path);
    } else if (Array.isArray(v)) v.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (isPlainObject(v)) for (const k of Object.keys(v).sort()) walk(v[k], `${path}.${k}`);
    else throw new TypeError(`tellus: ${what}: expected a Tensor or nested plain objects/arrays of Tensors, got ${describe(v)} at ${path}`);
  };
  walk(tree, root);
  return { leaves, paths };
}

/** The tensors of a tree in canonical order. */
export function treeLeaves(tree: TensorTree): Tensor[] {
  return treeFlatten(tree).leaves;
}

/** A tree of the same structure with `fn(leaf, path, index)` at each leaf (index in treeLeaves order). */
export function treeMap<R>(tree: TensorTree, fn: (leaf: Tensor, path: string, index: number) => R): unknown {
  let index = 0;
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Tensor) return fn(v, path, index++);
    if (Array.isArray(v)) return v.map((c, i) => walk(c, `${path}[${i}]`));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = walk(v[k], `${path}.${k}`);
      return out;
    }
    throw new TypeError(`tellus: treeMap(tree): expected a Tensor or nested plain objects/arrays of Tensors, got ${describe(v)} at ${path}`);
  };
  return walk(tree, 'tree');
}

/**
 * Flattens two trees that must have the same structure, e.g. parameters and their gradients;
 * the error names the first path where they differ.
 */
export function treeZip(a: unknown, b: unknown, what: string, nameA: string, nameB: string): { a: Tensor[]; b: Tensor[]; paths: string[] } {
  const fa = treeFlatten(a, nameA, what);
  const fb = treeFlatten(b, nameB, what);
  const strip = (p: string, root: string): string => p.slice(root.length);
  const n = Math.max(fa.paths.length, fb.paths.length);
  for (let i = 0; i < n; i++) {
    const pa = fa.paths[i] === undefined ? undefined : strip(fa.paths[i]!, nameA);
    const pb = fb.paths[i] === undefined ? undefined : strip(fb.paths[i]!, nameB);
    if (pa !== pb) {
      const where = pa === undefined ? `${nameB}${pb}` : `${nameA}${pa}`;
      throw new Error(`tellus: ${what}: ${nameA} and ${nameB} must have the same structure: ${nameA} has ${fa.leaves.length} tensors, ${nameB} has ${fb.leaves.length}, first difference at ${where}`);
    }
  }
  return { a: fa.leaves, b: fb.leaves, paths: fa.paths.map((p) => strip(p, nameA)) };
}
