// Function transforms over the tape: grad, valueAndGrad, vjp, jvp, hvp, jacobian, plus customVjp
// and checkpoint. Arguments and results may be pytrees of tensors (src/graph/tree.ts: leaf order is
// sorted object keys and array index, non-tensor leaves pass through).
import { Tensor, tidy, keep } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError, argErrorText, checkOptions, describeTensor, optionNames } from '../graph/options.js';
import { ones, tensor, zerosLike } from '../ops/creation.js';
import { backward, enter, exit, isTraced, leaf, noGrad, nodeOf, record, save, transformDepth, type TapeNode } from './tape.js';
import { flatten, map as mapTree, unflatten, type TreeDef } from '../graph/tree.js';
import { add, mul, reshape, stack, sum } from './ops.js';

type Fn = (...args: never[]) => unknown;

/** A transform given a non-function would fail later with a bare "f is not a function": say so now. */
function checkFn(f: unknown, what: string, arg = 'f'): void {
  if (typeof f !== 'function') throw argError(what, arg, 'a function', f);
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** A Tensor argument of a transform, optionally of a given shape (so the message names the transform, not an inner op). */
function checkTensorArg(v: unknown, what: string, arg: string, shape?: readonly number[]): Tensor {
  const ok = v instanceof Tensor && !v.isDisposed && v.dtype === 'float32' && (!shape || fmt(v.shape) === fmt(shape));
  if (!ok) throw argError(what, arg, shape ? `a float32 tensor of shape ${fmt(shape)}` : 'a float32 tensor', v);
  return v;
}

/** An array of tensors (jvp's primals and tangents). */
function checkTensorArray(v: unknown, what: string, arg: string): Tensor[] {
  if (!Array.isArray(v)) throw argError(what, arg, 'an array of tensors', v);
  v.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw argError(what, `${arg}[${i}]`, 'a Tensor', t);
  });
  return v as Tensor[];
}

const argnumList = (argnums: number | readonly number[], n: number, what: string): number[] => {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list)
    if (!Number.isInteger(a) || a < 0 || a >= n)
      throw argError(what, 'argnums', `indices of the ${n} arguments f was given (integers in [0, ${n - 1}])`, a, RangeError);
  return list;
};

function scalarOutput(out: unknown, what: string): Tensor {
  if (!(out instanceof Tensor) || out.size !== 1 || out.dtype !== 'float32')
    throw argError(what, "f's result", 'a float32 tensor with one element', out);
  return out;
}

/** Zeros for inputs the output does not depend on. */
const orZeros = (g: Tensor | null, like: Tensor): Tensor => g ?? zerosLike(like);

function valueAndGradOf(f: Fn, argnums: number | readonly number[], args: unknown[], what: string): [Tensor, unknown] {
  const nums = argnumList(argnums, args.length, what);
  enter();
  let result: [Tensor, unknown] | undefined;
  try {
    result = tidy(() => {
      // One traced copy per argument, shared when argnums repeats it.
      const traced = [...args];
      const byArg = new Map<number, { treedef: TreeDef; leaves: Tensor[] }>();
      for (const i of nums) {
        if (byArg.has(i)) continue;
        const { treedef, leaves, paths } = flatten(args[i], { root: `args[${i}]`, what });
        leaves.forEach((x, k) => {
          if (x.dtype !== 'float32')
            throw argErrorText(
              what,
              paths[k]!,
              'a float32 tensor to differentiate',
              `${describeTensor(x)}; pass integer tensors (indices, labels) in an argument that argnums does not select`,
            );
        });
        byArg.set(i, { treedef, leaves: leaves.map((x) => leaf(x)) });
        traced[i] = unflatten(treedef, byArg.get(i)!.leaves);
      }
      const flats = nums.map((i) => byArg.get(i)!);
      const out = scalarOutput((f as (...a: unknown[]) => unknown)(...traced), what);
      const flat = backward(
        [nodeOf(out)],
        [ones(out.shape)],
        flats.flatMap((fl) => fl.leaves.map(nodeOf)),
        transformDepth() > 1,
        add,
      );
      let k = 0;
      const trees = flats.map((fl) =>
        unflatten(
          fl.treedef,
          fl.leaves.map((x) => orZeros(flat[k++] ?? null, x)),
        ),
      );
      return [out, typeof argnums === 'number' ? trees[0] : trees] as [Tensor, unknown];
    });
  } finally {
    exit(result);
  }
  return result;
}

/**
 * grad(f)(...args): the gradient of scalar f with respect to args[argnums] (pytrees allowed). An
 * integer tensor among them is an error, as in JAX: a gradient of zeros would read as "this
 * parameter does not matter" (test/grad-transforms.test.ts pins this).
 */
export function grad<F extends Fn>(f: F, argnums: number | readonly number[] = 0): (...args: Parameters<F>) => any {
  checkFn(f, 'grad(f)');
  return (...args) => {
    const [value, grads] = valueAndGradOf(f, argnums, args, 'grad(f)');
    value.dispose();
    return grads;
  };
}

export function valueAndGrad<F extends Fn>(f: F, argnums: number | readonly number[] = 0): (...args: Parameters<F>) => [Tensor, any] {
  checkFn(f, 'valueAndGrad(f)');
  return (...args) => valueAndGradOf(f, argnums, args, 'valueAndGrad(f)');
}

export interface Pullback {
  /** Cotangents of the primals given a cotangent of the output (same structure as f's result). */
  (cotangent: unknown): Tensor[];
  /** Releases the tensors the pullback keeps for the backward pass. */
  dispose(): void;
}

/** vjp(f, ...primals) -> [out, pullback]; call pullback.dispose() when done with it. */
export function vjp(f: Fn, ...primals: Tensor[]): [any, Pullback] {
  checkFn(f, 'vjp(f, ...primals)');
  primals.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw argError('vjp(f, ...primals)', `primals[${i}]`, 'a Tensor', p);
  });
  enter();
  let out: unknown;
  let kept: Tensor[] = [];
  let xs: TapeNode[] = [];
  let outNodes: (TapeNode | undefined)[] = [];
  let outDef: TreeDef | undefined;
  let outLeaves: { shape: readonly number[]; dtype: string; path: string }[] = [];
  try {
    out = tidy(() => {
      const traced = primals.map(leaf);
      xs = traced.map((t) => nodeOf(t)!);
      const o = (f as (...a: Tensor[]) => unknown)(...traced);
      const flat = flatten(o);
      outNodes = flat.leaves.map(nodeOf);
      outDef = flat.treedef;
      outLeaves = flat.leaves.map((t, k) => ({ shape: t.shape, dtype: t.dtype, path: flat.paths[k]! }));
      return o;
    });
  } finally {
    kept = exit(out, true);
  }
  const pullback = ((cotangent: unknown) => {
    // Pairs by leaf order (sorted keys), so the cotangent's key insertion order does not matter.
    const { leaves: cts, treedef } = flatten(cotangent);
    if (cts.length !== outNodes.length) {
      const at = outDef!.difference(treedef, ['out', 'cotangent']);
      const got = `${cts.length}${at ? `; first difference at ${at}` : ''}`;
      throw argErrorText('vjp pullback', 'cotangent', `${outNodes.length} tensors (f's output structure)`, got, Error);
    }
    // A cotangent read with the wrong shape would give a plausible but wrong gradient: check each.
    cts.forEach((ct, k) => {
      const want = outLeaves[k]!;
      const where = outLeaves.length > 1 || want.path !== 'tree' ? ` for ${want.path.replace(/^tree/, 'out')}` : '';
      if (ct.isDisposed) throw argError('vjp pullback', `cotangent${where}`, 'a live tensor', ct, Error);
      if (ct.dtype !== 'float32' || fmt(ct.shape) !== fmt(want.shape))
        throw argError('vjp pullback', `cotangent${where}`, `a float32 tensor of f's output shape ${fmt(want.shape)}`, ct, Error);
    });
    const grads = backward(outNodes, cts, xs, transformDepth() > 0, add);
    return grads.map((g, i) => orZeros(g, primals[i]!));
  }) as Pullback;
  pullback.dispose = () => {
    for (const t of kept) t.dispose();
    kept = [];
  };
  return [out, pullback];
}

/**
 * Forward mode: [f(primals), J·tangents]. Built from two reverse passes: u -> J^T u is linear, and
 * its own VJP applied to the tangents is J·tangents.
 */
export function jvp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): [Tensor, Tensor] {
  const what = 'jvp(f, primals, tangents)';
  checkFn(f, what);
  checkTensorArray(primals, what, 'primals');
  checkTensorArray(tangents, what, 'tangents');
  if (primals.length !== tangents.length) throw argError(what, 'tangents', `${primals.length} tensors (one per primal)`, tangents, Error);
  tangents.forEach((t, i) => {
    const p = primals[i]!;
    if (t.dtype !== 'float32' || fmt(t.shape) !== fmt(p.shape))
      throw argError(what, `tangents[${i}]`, `a float32 tensor of shape ${fmt(p.shape)} (as primals[${i}])`, t, Error);
  });
  enter();
  let result: [Tensor, Tensor] | undefined;
  try {
    result = tidy(() => {
      const traced = primals.map(leaf);
      const out = f(...traced);
      if (!(out instanceof Tensor)) throw argError(what, "f's result", 'a Tensor', out);
      const u = leaf(zerosLike(out));
      const gs = backward([nodeOf(out)], [u], traced.map(nodeOf), true, add);
      const used = gs.flatMap((g, i) => (g ? [[g, tangents[i]!] as const] : []));
      const [t] = backward(
        used.map(([g]) => nodeOf(g)),
        used.map(([, v]) => v),
        [nodeOf(u)],
        transformDepth() > 1,
        add,
      );
      return [out, orZeros(t ?? null, out)] as [Tensor, Tensor];
    });
  } finally {
    exit(result);
  }
  return result;
}

/** Hessian-vector product of scalar f at x along v (reverse over reverse). */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  checkFn(f, 'hvp(f, x, v)');
  checkTensorArg(x, 'hvp(f, x, v)', 'x');
  checkTensorArg(v, 'hvp(f, x, v)', 'v', x.shape);
  // The inner gradient is named after hvp, so a non-scalar f is reported against the call the user made.
  const g = (y: Tensor): Tensor => {
    const [value, gy] = valueAndGradOf(f, 0, [y], 'hvp(f, x, v)');
    value.dispose();
    return gy as Tensor;
  };
  return grad((y: Tensor) => sum(mul(g(y), v)))(x) as Tensor;
}

/** Dense Jacobian [...out.shape, ...x.shape] by one reverse pass per output element: for small outputs. */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  checkFn(f, 'jacobian(f, x)');
  checkTensorArg(x, 'jacobian(f, x)', 'x');
  const [out, pull] = vjp(f, x);
  try {
    if (!(out instanceof Tensor)) throw argError('jacobian(f, x)', "f's result", 'a Tensor', out);
    const o = out;
    const rows = tidy(() => {
      const list: Tensor[] = [];
      for (let k = 0; k < o.size; k++) {
        const e = new Float32Array(o.size);
        e[k] = 1;
        list.push(keep(pull(reshape(tensor(e), o.shape))[0]!));
      }
      return list;
    });
    const j = reshape(stack(rows), [...o.shape, ...x.shape]);
    for (const r of rows) r.dispose();
    return j;
  } finally {
    pull.dispose();
  }
}

export interface CustomVjpContext {
  /**
   * Whether a transform is differentiating with respect to an input (some input is traced and
   * recording is on). When false, `saved` is discarded: a solver can skip keeping checkpoints.
   */
  readonly needsBackward: boolean;
}

export interface CustomVjpOptions<S = any> {
  /** Names the op on the tape and in error messages. */
  name?: string;
  /**
   * Forward-mode rule: J·tangents from the saved state. Needed to differentiate through the
   * backward (jvp, hvp, grad of grad) when `backward` uses kernels the tape cannot see.
   */
  jvp?: (tangents: (Tensor | null)[], saved: S) => Tensor;
}

const CUSTOM_VJP_OPTIONS = optionNames<CustomVjpOptions>()('name', 'jvp');

/**
 * A differentiable op with a hand-written backward. `forward(ctx, ...xs)` runs with recording off
 * and returns the output and `saved`: a pytree (plain objects and arrays) whose Tensor leaves are
 * kept for the backward pass and whose other leaves (numbers, strings, config objects) pass through.
 * `backward(g, saved)` gets that tree back, with each tensor a handle that lives as long as the tape,
 * and returns one cotangent (or null for zero) per input, of the input's shape. Tensors that forward
 * creates and neither returns as `out` nor saves are disposed when it returns. This is how physics
 * solvers plug in adjoint-state gradients.
 */
export function customVjp<S = any>(
  forward: (ctx: CustomVjpContext, ...xs: Tensor[]) => { out: Tensor; saved?: S },
  backwardFn: (g: Tensor, saved: S) => (Tensor | null)[],
  opts: CustomVjpOptions<S> = {},
): (...xs: Tensor[]) => Tensor {
  checkFn(forward, 'customVjp(forward, backward, opts)', 'forward');
  checkFn(backwardFn, 'customVjp(forward, backward, opts)', 'backward');
  checkOptions(opts, CUSTOM_VJP_OPTIONS, 'customVjp(forward, backward, opts)');
  const name = opts.name ?? 'customVjp';
  return (...xs) => {
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw argError(name, `input ${i}`, 'a Tensor', x);
    });
    const needsBackward = xs.some(isTraced);
    // tidy: the forward's own handles go when it returns; the tape keeps save()d ones.
    return tidy(() => {
      const res = noGrad(() => forward({ needsBackward }, ...xs));
      if (res === null || typeof res !== 'object' || !(res.out instanceof Tensor)) {
        throw new TypeError(
          `tellus: ${name}: forward must return { out: Tensor, saved? }, got ${res === null ? 'null' : typeof res === 'object' ? `{ out: ${typeof res.out} }` : typeof res}`,
        );
      }
      const { out } = res;
      return record(name, out, xs, () => {
        const kept = mapTree(res.saved, (t) => save(t)) as S;
        return (g) => {
          const grads = checkCotangents(backwardFn(g, kept), xs, name);
          if (!isTraced(g)) return grads;
          // The backward is linear in g; differentiating it needs the forward-mode rule.
          return grads.map((gi, i) => {
            if (!gi || isTraced(gi)) return gi;
            const rule = opts.jvp;
            if (!rule)
              throw new Error(
                `tellus: ${name}: differentiating through its backward (jvp, hvp or a second derivative) needs a jvp rule in customVjp's options, because backward is not built from differentiable ops`,
              );
            return record(`${name}.backward`, gi, [g], () => (w) => {
              const t = rule(
                xs.map((_, k) => (k === i ? w : null)),
                kept,
              );
              if (!(t instanceof Tensor) || fmt(t.shape) !== fmt(out.shape)) {
                throw new Error(
                  `tellus: ${name}: the jvp rule returned ${kindOf(t)}, expected a tensor of the output's shape ${fmt(out.shape)}`,
                );
              }
              return [t];
            });
          });
        };
      });
    });
  };
}

/** A tensor as describeValue says it, a non-tensor by its type only ("a number"), as backward-result messages say it. */
const kindOf = (v: unknown): string => (v instanceof Tensor ? describeTensor(v) : v === null ? 'null' : article(typeof v));

/** A backward's results, checked against the inputs: one per input, null or a live float32 tensor of its shape. */
function checkCotangents(grads: unknown, xs: readonly Tensor[], name: string): (Tensor | null)[] {
  if (!Array.isArray(grads))
    throw new TypeError(`tellus: ${name}: backward must return an array of ${xs.length} cotangents (Tensor or null), got ${kindOf(grads)}`);
  if (grads.length !== xs.length) throw new Error(`tellus: ${name}: backward returned ${grads.length} cotangents for ${xs.length} inputs`);
  grads.forEach((gi, k) => {
    if (gi === null) return;
    const x = xs[k]!;
    const at = `tellus: ${name}: backward returned`;
    if (!(gi instanceof Tensor))
      throw new TypeError(`${at} ${kindOf(gi)} for input ${k}, expected a Tensor of shape ${fmt(x.shape)} or null`);
    if (gi.isDisposed) throw new Error(`${at} a disposed tensor for input ${k}`);
    if (gi.dtype !== 'float32') throw new TypeError(`${at} ${describeTensor(gi)} for input ${k}, expected float32`);
    if (fmt(gi.shape) !== fmt(x.shape))
      throw new Error(`${at} a cotangent for input ${k}, expected shape ${fmt(x.shape)}, got ${fmt(gi.shape)}`);
  });
  return grads as (Tensor | null)[];
}

/** Runs `fn` without keeping its intermediates; the backward pass recomputes them. */
export function checkpoint(fn: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor {
  checkFn(fn, 'checkpoint(fn)', 'fn');
  return (...xs) => {
    const out = noGrad(() => tidy(() => fn(...xs)));
    return record('checkpoint', out, xs, () => {
      const kept = xs.map(save);
      return (g) => {
        const [, pull] = vjp(fn, ...kept);
        try {
          return pull(g);
        } finally {
          pull.dispose();
        }
      };
    });
  };
}

/** Runs `fn` with recording off: nothing it computes is differentiated. */
function noGradChecked<T>(fn: () => T): T {
  checkFn(fn, 'noGrad(fn)', 'fn');
  return noGrad(fn);
}

export { noGradChecked as noGrad };
