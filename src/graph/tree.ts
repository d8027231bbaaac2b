// Pytrees: the one walker behind the transforms (grad, vjp, ...), tidy()/keep(), the tape and the
// optimizers.
//
// A tree is a Tensor (a leaf), an array, or a plain object (prototype Object.prototype or null)
// nesting trees. Anything else (numbers, strings, booleans, null, undefined, functions, typed
// arrays, class instances other than Tensor) is a static part of the structure: flatten() records
// it in the treedef and unflatten() puts the same value back, so grad(f)(params) returns
// `{ w: dw, label: 'layer' }` for `{ w, label: 'layer' }`. Callers that need a tensor at every leaf
// (the optimizers) pass `tensorsOnly` and get an error naming the path instead.
//
// Leaf order, everywhere: depth first, arrays by index, object keys sorted (Array#sort on
// Object.keys: UTF-16 code units, so '10' sorts before '2'), as JAX does. Two trees built with
// different key insertion orders therefore flatten to leaves that pair one by one, and map() and
// unflatten() build objects with their keys in sorted order.
//
// Paths name a node from the root: `params.layers[0].w`, with `['layers.0.weight']` for keys that
// are not identifiers.
import type { Tensor } from './tensor.js';
import { isTensor } from './brand.js';
import { argError } from './options.js';

/** A pytree as the transforms accept it: tensors nested in arrays and plain objects, plus static values. */
export type Tree = Tensor | readonly Tree[] | { readonly [k: string]: Tree } | number | boolean | string | null | undefined;
/** A pytree with a tensor at every leaf, as the optimizers take it. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

type DefNode =
  | { kind: 'leaf' }
  | { kind: 'static'; value: unknown }
  | { kind: 'array'; children: DefNode[] }
  | { kind: 'object'; keys: string[]; children: DefNode[] };

/** The structure of a tree without its tensors: flatten() makes one, unflatten() fills it. */
export class TreeDef {
  /** @internal */
  constructor(
    readonly node: DefNode,
    readonly numLeaves: number,
  ) {}

  /** Where `other` first differs from this structure, in leaf order (e.g. `a.w (missing from b)`); null if they match. */
  difference(other: TreeDef, names: readonly [string, string] = ['a', 'b']): string | null {
    return firstDifference(this.node, other.node, '', names[0], names[1]);
  }
}

export interface FlattenOptions {
  /** Name of the root in paths and errors. Default 'tree'. */
  root?: string;
  /** Function named in errors. Default 'tree.flatten(tree)'. */
  what?: string;
  /** Throw on static (non-tensor) leaves instead of keeping them in the treedef. */
  tensorsOnly?: boolean;
}

export interface Flat {
  /** The tensors in leaf order. */
  leaves: Tensor[];
  /** The path of each leaf, starting with the root name. */
  paths: string[];
  treedef: TreeDef;
}

/** Is `v` a leaf (a Tensor)? Everything else is a node or a static value. */
export const isLeaf = isTensor;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const keyPath = (path: string, k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}['${k}']`);

/**
 * The walker. `paths` null skips building path strings (tidy() and the tape only need the
 * tensors); the cycle check uses the stack of open nodes, so shared subtrees are fine.
 */
function walk(tree: unknown, root: string, what: string, tensorsOnly: boolean, leaves: Tensor[], paths: string[] | null): DefNode {
  const open = new Set<unknown>();
  const visit = (v: unknown, path: string): DefNode => {
    if (isLeaf(v)) {
      leaves.push(v);
      paths?.push(path);
      return { kind: 'leaf' };
    }
    const array = Array.isArray(v);
    if (!array && !isPlainObject(v)) {
      if (tensorsOnly) throw argError(what, path, 'a Tensor or nested plain objects/arrays of Tensors', v);
      return { kind: 'static', value: v };
    }
    if (open.has(v)) throw new Error(`tellus: ${what}: the tree contains itself at ${path}`);
    open.add(v);
    let node: DefNode;
    if (array) {
      const a = v as unknown[];
      const children: DefNode[] = [];
      for (let i = 0; i < a.length; i++) children.push(visit(a[i], paths ? `${path}[${i}]` : ''));
      node = { kind: 'array', children };
    } else {
      const o = v;
      const keys = Object.keys(o).sort();
      node = { kind: 'object', keys, children: keys.map((k) => visit(o[k], paths ? keyPath(path, k) : '')) };
    }
    open.delete(v);
    return node;
  };
  return visit(tree, root);
}

/** The tensors of `tree` in leaf order, their paths, and its structure. */
export function flatten(tree: unknown, opts: FlattenOptions = {}): Flat {
  const root = opts.root ?? 'tree';
  const leaves: Tensor[] = [];
  const paths: string[] = [];
  const node = walk(tree, root, opts.what ?? `tree.flatten(${root})`, opts.tensorsOnly ?? false, leaves, paths);
  return { leaves, paths, treedef: new TreeDef(node, leaves.length) };
}

/** The tensors of `tree` in leaf order. */
export function leaves(tree: unknown): Tensor[] {
  const out: Tensor[] = [];
  walk(tree, 'tree', 'tree.leaves(tree)', false, out, null);
  return out;
}

/** Rebuilds a tree of `treedef`'s structure with `values` at its leaves, in leaf order. */
export function unflatten(treedef: TreeDef, values: readonly unknown[]): any {
  const what = 'tree.unflatten(treedef, leaves)';
  if (!(treedef instanceof TreeDef)) throw argError(what, 'treedef', 'a TreeDef from tree.flatten()', treedef);
  if (!Array.isArray(values)) throw argError(what, 'leaves', 'an array', values);
  if (values.length !== treedef.numLeaves)
    throw new Error(`tellus: ${what}: the treedef has ${treedef.numLeaves} leaves, got ${values.length} values`);
  let i = 0;
  const build = (n: DefNode): unknown => {
    switch (n.kind) {
      case 'leaf':
        return values[i++];
      case 'static':
        return n.value;
      case 'array':
        return n.children.map(build);
      case 'object': {
        const out: Record<string, unknown> = {};
        n.keys.forEach((k, j) => (out[k] = build(n.children[j]!)));
        return out;
      }
    }
  };
  return build(treedef.node);
}

/** A tree of the same structure with `fn(leaf, path, index)` at each leaf (index in leaf order; static values kept). */
export function map<T>(tree: T, fn: (leaf: Tensor, path: string, index: number) => Tensor): T;
export function map(tree: unknown, fn: (leaf: Tensor, path: string, index: number) => unknown): unknown;
export function map(tree: unknown, fn: (leaf: Tensor, path: string, index: number) => unknown): unknown {
  if (typeof fn !== 'function') throw argError('tree.map(tree, fn)', 'fn', 'a function', fn);
  const { leaves, paths, treedef } = flatten(tree, { what: 'tree.map(tree, fn)' });
  return unflatten(
    treedef,
    leaves.map((t, i) => fn(t, paths[i]!, i)),
  );
}

export interface ZipOptions {
  /** Names of the two trees in paths and errors. Default ['a', 'b']. */
  names?: readonly [string, string];
  /** Throw on static leaves (see FlattenOptions). */
  tensorsOnly?: boolean;
}

/**
 * Flattens two trees that must have the same structure (e.g. parameters and their gradients) and
 * pairs their tensors; `paths` are relative to the roots (`.layers[0].w`). Static values must sit
 * at the same places in both, but their values are not compared. The error names the first
 * place, in leaf order, where the structures differ.
 */
export function zip(a: unknown, b: unknown, what = 'tree.zip(a, b)', opts: ZipOptions = {}): { a: Tensor[]; b: Tensor[]; paths: string[] } {
  const [nameA, nameB] = opts.names ?? ['a', 'b'];
  const fa = flatten(a, { root: nameA, what, tensorsOnly: opts.tensorsOnly });
  const fb = flatten(b, { root: nameB, what, tensorsOnly: opts.tensorsOnly });
  const diff = fa.treedef.difference(fb.treedef, [nameA, nameB]);
  if (diff !== null) {
    throw new Error(
      `tellus: ${what}: ${nameA} and ${nameB} must have the same structure: ${nameA} has ${fa.leaves.length} tensors, ${nameB} has ${fb.leaves.length}, first difference at ${diff}`,
    );
  }
  return { a: fa.leaves, b: fb.leaves, paths: fa.paths.map((p) => p.slice(nameA.length)) };
}

const KIND = { leaf: 'a Tensor', static: 'a static value', array: 'an array', object: 'an object' } as const;

/** Where and how two structures first differ, in leaf order; null when they match. */
function firstDifference(x: DefNode, y: DefNode, path: string, nameA: string, nameB: string): string | null {
  if (x.kind !== y.kind) return `${nameA}${path}: ${KIND[x.kind]} in ${nameA}, ${KIND[y.kind]} in ${nameB}`;
  if (x.kind === 'array' && y.kind === 'array') {
    const n = Math.min(x.children.length, y.children.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(x.children[i]!, y.children[i]!, `${path}[${i}]`, nameA, nameB);
      if (d !== null) return d;
    }
    if (x.children.length === y.children.length) return null;
    const [longer, shorter] = x.children.length > n ? [nameA, nameB] : [nameB, nameA];
    return `${longer}${path}[${n}] (missing from ${shorter}: ${nameA}${path} has ${x.children.length} items, ${nameB}${path} has ${y.children.length})`;
  }
  if (x.kind === 'object' && y.kind === 'object') {
    const keys = [...new Set([...x.keys, ...y.keys])].sort();
    for (const k of keys) {
      const i = x.keys.indexOf(k);
      const j = y.keys.indexOf(k);
      const at = keyPath(path, k);
      if (j < 0) return `${nameA}${at} (missing from ${nameB})`;
      if (i < 0) return `${nameB}${at} (missing from ${nameA})`;
      const d = firstDifference(x.children[i]!, y.children[j]!, at, nameA, nameB);
      if (d !== null) return d;
    }
  }
  return null;
}
