// The reverse-mode tape. While a transform (grad, vjp, jvp, ...) is active, every differentiable op
// whose inputs carry tape nodes records one node on its output: the inputs, and a VJP closure over
// the tensors its rule saved. VJP rules are written with the same differentiable ops, so running a
// backward pass while an outer transform is active records it too: grad(grad(f)) needs no extra
// machinery. Saved tensors are separate handles that tidy() scopes do not own; they are released
// when the outermost transform returns.
import { keep, Tensor, tidy } from '../graph/tensor.js';
import { leaves } from '../graph/tree.js';

export interface TapeNode {
  name: string;
  /** Nodes of the inputs whose gradients the VJP returns, in order (null: not traced). Only the
   * graph is kept here; rules save() the data they need, so untouched inputs stay fusable. */
  inputs: (TapeNode | null)[];
  /** Cotangent of the output -> cotangents of the inputs (null = zero). */
  vjp: (g: Tensor) => (Tensor | null)[];
  /** Set for the leaves a transform differentiates with respect to. */
  leaf?: number;
}

interface Trace {
  retained: Tensor[];
}

let depth = 0;
let trace: Trace | null = null;
let paused = 0;
let nextLeaf = 1;
/** Each transform records even inside noGrad (checkpoint recomputes under a paused backward). */
const pausedStack: number[] = [];

export const nodeOf = (t: Tensor): TapeNode | undefined => t.tape as TapeNode | undefined;

/** Does this tensor take part in a differentiation in progress? */
export function isTraced(t: unknown): t is Tensor {
  return t instanceof Tensor && t.tape !== undefined && depth > 0 && paused === 0;
}

/** A handle to `t`'s data that lives until the outermost transform ends, whatever tidy() does. */
export function save(t: Tensor): Tensor {
  const h = keep(t.view(t.shape, t.strides, t.offset));
  h.tape = t.tape;
  trace?.retained.push(h);
  return h;
}

/**
 * Records `out = name(inputs)` if any input is traced. `rule` runs only then: it save()s the
 * tensors its VJP needs and returns the VJP (output cotangent -> input cotangents).
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly (Tensor | null)[],
  rule: () => (g: Tensor) => (Tensor | null)[],
): Tensor {
  if (!inputs.some((t) => t !== null && isTraced(t))) return out;
  const node: TapeNode = { name, inputs: inputs.map((t) => (t !== null && isTraced(t) ? nodeOf(t)! : null)), vjp: () => [] };
  // The node goes on first: a rule that saves the output must save it with its tape.
  out.tape = node;
  node.vjp = rule();
  return out;
}

/** Runs `fn` with recording off: nothing inside is differentiated. */
export function noGrad<T>(fn: () => T): T {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}

export const isRecording = (): boolean => depth > 0 && paused === 0;

/** Enters a transform; the outermost one owns every saved handle and releases them on exit. */
export function enter(): void {
  if (depth === 0) trace = { retained: [] };
  depth++;
  pausedStack.push(paused);
  paused = 0;
}

export const transformDepth = (): number => depth;

/**
 * Leaves a transform. At the outermost level, results lose their tape and the saved handles are
 * released, unless `keepTrace` (vjp's pullback outlives the call): then the caller gets them.
 */
export function exit(results: unknown, keepTrace = false): Tensor[] {
  depth--;
  paused = pausedStack.pop() ?? 0;
  if (depth > 0) return [];
  // Results outlive the transform: strip their tape so the graph can be collected.
  for (const t of leaves(results)) t.tape = undefined;
  const retained = trace!.retained;
  trace = null;
  if (keepTrace) return retained;
  for (const t of retained) t.dispose();
  return [];
}

/** A fresh traced handle of `x` that a transform differentiates with respect to. */
export function leaf(x: Tensor): Tensor {
  const h = x.view(x.shape, x.strides, x.offset);
  h.tape = { name: 'leaf', inputs: [isTraced(x) ? nodeOf(x)! : null], vjp: (g) => [g], leaf: nextLeaf++ } satisfies TapeNode;
  return h;
}

/**
 * Reverse pass: cotangents of `wrt` given cotangents of `outputs`. Nodes are visited once each in
 * reverse topological order (a diamond is not walked once per path), and only nodes on a path to
 * `wrt` run their VJP. With `record` the pass is itself recorded (an outer transform differentiates it).
 * The caller passes the add that accumulates cotangents (the tape sits below the ops it records).
 */
export function backward(
  outputs: (TapeNode | undefined)[],
  cotangents: Tensor[],
  wrt: (TapeNode | undefined)[],
  record: boolean,
  /** Sums two cotangents of one node: the differentiable add, so a recorded pass differentiates it too. */
  addCotangents: (a: Tensor, b: Tensor) => Tensor,
): (Tensor | null)[] {
  const order: TapeNode[] = [];
  const seen = new Set<TapeNode>();
  const visit = (n: TapeNode): void => {
    // Iterative DFS: unrolled time loops make graphs far deeper than the JS stack.
    const stack: [TapeNode, number][] = [[n, 0]];
    seen.add(n);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = node.inputs[i];
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        order.push(node);
        stack.pop();
      }
    }
  };
  for (const n of outputs) if (n && !seen.has(n)) visit(n);
  const targets = new Set(wrt.filter((n): n is TapeNode => n !== undefined));
  // order is post-order (inputs first): a node leads to a target if it is one or an input does.
  const relevant = new Set<TapeNode>();
  for (const n of order) {
    if (targets.has(n) || n.inputs.some((c) => c !== null && relevant.has(c))) relevant.add(n);
  }
  const run = (): (Tensor | null)[] => {
    const ct = new Map<TapeNode, Tensor>();
    const accumulate = (n: TapeNode, g: Tensor): void => {
      const prev = ct.get(n);
      ct.set(n, prev ? addCotangents(prev, g) : g);
    };
    outputs.forEach((n, k) => {
      if (n && relevant.has(n)) accumulate(n, cotangents[k]!);
    });
    const result = new Map<TapeNode, Tensor>();
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i]!;
      const g = ct.get(n);
      if (!g || !relevant.has(n)) continue;
      if (targets.has(n)) {
        result.set(n, g);
        continue;
      }
      const grads = n.vjp(g);
      n.inputs.forEach((child, k) => {
        const gi = grads[k];
        if (gi && child && relevant.has(child)) accumulate(child, gi);
      });
    }
    return wrt.map((w) => (w ? (result.get(w) ?? null) : null));
  };
  const recordNow = record;
  return tidy(() => (recordNow ? run() : noGrad(run)));
}
