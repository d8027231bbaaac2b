// Neural-network modules. A Module finds its parameters and submodules the way PyTorch's
// __setattr__ does, but by looking: every own enumerable property holding a Tensor is a parameter,
// one holding a Module (or an array of Modules) is a child. Names are dotted paths in property
// insertion order (`layers.0.weight`). parameters() returns a plain object keyed by those names,
// which is a pytree for tl.grad and the optimizers; module.call(params, ...x) runs forward with
// those tensors substituted, so grad((p) => loss(model.call(p, x)))(model.parameters()) works.
import { Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';

const isModuleArray = (v: unknown): v is Module[] => Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module);

export type NamedTensors = Record<string, Tensor>;

export interface LoadOptions {
  /** Require the names to match exactly (no missing, no unexpected). Default true. */
  strict?: boolean;
}

export abstract class Module {
  /** Training mode (dropout active). Set with train() / eval(). */
  training = true;

  /** The forward computation; subclasses read their parameters from their own properties. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** Direct parameters [property, tensor] and children [property, module], in insertion order. */
  private own(): { params: [string, Tensor][]; children: [string, Module][] } {
    const params: [string, Tensor][] = [];
    const children: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Tensor) params.push([k, v]);
      else if (v instanceof Module) children.push([k, v]);
      else if (isModuleArray(v)) v.forEach((m, i) => children.push([`${k}.${i}`, m]));
    }
    return { params, children };
  }

  /** [dotted name, tensor] for every parameter, depth first in insertion order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const { params, children } = this.own();
    const out: [string, Tensor][] = params.map(([k, t]) => [prefix + k, t]);
    for (const [k, m] of children) out.push(...m.namedParameters(`${prefix}${k}.`));
    return out;
  }

  /** [dotted name, module] for every submodule (this one first, under ''). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [k, m] of this.own().children) out.push(...m.namedModules(`${prefix}${k}.`));
    return out;
  }

  /** Parameters as a plain object keyed by dotted name: a pytree for grad and the optimizers. */
  parameters(): NamedTensors {
    const out: NamedTensors = {};
    for (const [k, t] of this.namedParameters()) out[k] = t;
    return out;
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.namedParameters().reduce((s, [, t]) => s + t.size, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Runs forward(...inputs). */
  apply(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  /**
   * forward(...inputs) with the parameters named in `params` (dotted names, as parameters()
   * returns) substituted for the module's own; the module is restored afterwards. Names not
   * given keep the module's tensors; unknown names and shape changes throw.
   */
  call(params: NamedTensors, ...inputs: Tensor[]): Tensor {
    const what = `${this.constructor.name}.call(params, ...inputs)`;
    if (params === null || typeof params !== 'object')
      throw argError(what, 'params', 'an object of tensors keyed by parameter name', params);
    const slots = this.slots();
    const swaps: [Module, string, Tensor][] = [];
    for (const [name, t] of Object.entries(params)) {
      const slot = slots.get(name);
      if (!slot) throw new Error(`tellus: ${what}: unknown parameter '${name}'; the module has ${listNames([...slots.keys()])}`);
      if (!(t instanceof Tensor)) throw argError(what, `params['${name}']`, 'a Tensor', t);
      const [m, k] = slot;
      const cur = (m as unknown as Record<string, Tensor>)[k]!;
      checkShape(t, cur.shape, what, `params['${name}']`);
      swaps.push([m, k, cur]);
      (m as unknown as Record<string, Tensor>)[k] = t;
    }
    try {
      return this.forward(...inputs);
    } finally {
      for (const [m, k, cur] of swaps.reverse()) (m as unknown as Record<string, Tensor>)[k] = cur;
    }
  }

  /** Dotted name -> [owning module, property]. */
  private slots(): Map<string, [Module, string]> {
    const map = new Map<string, [Module, string]>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k] of m.own().params) map.set(prefix ? `${prefix}.${k}` : k, [m, k]);
    }
    return map;
  }

  /**
   * Replaces the parameters with the given tensors (e.g. from loadSafetensors), checking names and
   * shapes first, so nothing changes when anything is wrong. The old tensors are disposed and the
   * module takes ownership of the new ones; create optimizers after loading.
   */
  loadParameters(named: NamedTensors, opts: LoadOptions = {}): this {
    const what = `${this.constructor.name}.loadParameters(named)`;
    const slots = this.slots();
    const strict = opts.strict ?? true;
    const unknown = Object.keys(named).filter((k) => !slots.has(k));
    const missing = [...slots.keys()].filter((k) => !(k in named));
    if (unknown.length > 0 && strict)
      throw new Error(`tellus: ${what}: unexpected parameter(s) ${listNames(unknown)}; the module has ${listNames([...slots.keys()])}`);
    if (missing.length > 0 && strict) throw new Error(`tellus: ${what}: missing parameter(s) ${listNames(missing)}`);
    const todo: [Module, string, Tensor][] = [];
    for (const [name, [m, k]] of slots) {
      const t = named[name];
      if (t === undefined) continue;
      if (!(t instanceof Tensor)) throw argError(what, `named['${name}']`, 'a Tensor', t);
      const cur = (m as unknown as Record<string, Tensor>)[k]!;
      checkShape(t, cur.shape, what, `named['${name}']`);
      if (t.dtype !== cur.dtype) throw argError(what, `named['${name}']`, `a ${cur.dtype} tensor (as the module's parameter)`, t);
      todo.push([m, k, t]);
    }
    for (const [m, k, t] of todo) {
      const rec = m as unknown as Record<string, Tensor>;
      if (rec[k] !== t) rec[k]!.dispose();
      rec[k] = t;
    }
    return this;
  }

  /** Disposes every parameter. */
  dispose(): void {
    for (const [, t] of this.namedParameters()) t.dispose();
  }
}

function listNames(names: string[]): string {
  if (names.length === 0) return 'no parameters';
  const shown = names
    .slice(0, 8)
    .map((n) => `'${n}'`)
    .join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

function checkShape(t: Tensor, shape: readonly number[], fn: string, arg: string): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw argError(fn, arg, `a tensor of shape ${fmt(shape)} (as the module's parameter)`, t, Error);
}

/** A functional view of a module: (params, ...inputs) => module.call(params, ...inputs). */
export function functional(module: Module): (params: NamedTensors, ...inputs: Tensor[]) => Tensor {
  if (!(module instanceof Module)) throw argError('functional(module)', 'module', 'a Module', module);
  return (params, ...inputs) => module.call(params, ...inputs);
}

/** Modules applied in order; parameters are named `0.weight`, `1.bias`, ... */
export class Sequential extends Module {
  constructor(...layers: Module[]) {
    super();
    // Children as own properties '0', '1', ... so names read `0.weight`, as in PyTorch.
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw argError('Sequential(...layers)', `layers[${i}]`, 'a Module', m);
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }
  /** The layers in order. */
  get layers(): Module[] {
    const out: Module[] = [];
    for (let i = 0; (this as unknown as Record<string, Module>)[String(i)] instanceof Module; i++)
      out.push((this as unknown as Record<string, Module>)[String(i)]!);
    return out;
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
