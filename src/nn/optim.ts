// First-order optimizers: SGD (momentum, Nesterov, weight decay), Adam (L2 in the gradient) and
// AdamW (decoupled decay). Each step is ONE kernel per parameter tensor (shaders/optim.wgsl) that
// rewrites the parameter and its state in place, PyTorch-style: no new buffers per step, so a
// training loop's memory stays flat. Ops recorded before step() see the old values and ops recorded
// after see the new ones, because the scheduler runs nodes in recorded order.
import { keep, type Tensor } from '../graph/tensor.js';
import type { Storage } from '../graph/scheduler.js';
import { fmt } from '../graph/shape.js';
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { context } from '../graph/context.js';
import { registerStatusFlag } from '../graph/scheduler.js';
import { checkFloat, checkInt, checkTensor, emit, grid1d } from '../ops/emit.js';
import { clone, contiguous } from '../autodiff/ops.js';
import { empty } from '../ops/creation.js';
import { flatten, zip, type TensorTree } from '../graph/tree.js';
import optimWgsl from '../../shaders/optim.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('optim.wgsl', optimWgsl);

// A NaN or Inf gradient element is a bug upstream (a loss that overflowed, a bad input): the kernel
// leaves that element of the parameter and its state unchanged and sets the optimizer's status bit,
// which the next read-back reports. No read-back inside the training loop is needed for the check.
const nonFiniteMessage = (name: string): string =>
  `${name}.step: a gradient holds NaN or Inf; the parameter elements where it does were left unchanged (look for a loss that overflowed or a NaN input)`;
const STATUS_BITS: Record<string, number> = {
  SGD: registerStatusFlag(nonFiniteMessage('SGD')),
  Adam: registerStatusFlag(nonFiniteMessage('Adam')),
  AdamW: registerStatusFlag(nonFiniteMessage('AdamW')),
};

/** A learning rate as a function of the number of steps already taken (0 for the first step). */
export type Schedule = (step: number) => number;
export type LearningRate = number | Schedule;

/** lr0 * gamma^floor(step / stepSize). */
export function stepDecay(lr0: number, stepSize: number, gamma: number): Schedule {
  const fn = 'stepDecay(lr0, stepSize, gamma)';
  num(lr0, fn, 'lr0', 0);
  checkInt(stepSize, fn, 'stepSize', 1);
  num(gamma, fn, 'gamma', 0);
  return (step) => lr0 * gamma ** Math.floor(step / stepSize);
}

/** lr0 * gamma^step. */
export function exponentialDecay(lr0: number, gamma: number): Schedule {
  num(lr0, 'exponentialDecay(lr0, gamma)', 'lr0', 0);
  num(gamma, 'exponentialDecay(lr0, gamma)', 'gamma', 0);
  return (step) => lr0 * gamma ** step;
}

/** Half a cosine from lr0 down to lrMin over totalSteps, then lrMin. */
export function cosineDecay(lr0: number, totalSteps: number, lrMin = 0): Schedule {
  const fn = 'cosineDecay(lr0, totalSteps, lrMin)';
  num(lr0, fn, 'lr0', 0);
  checkInt(totalSteps, fn, 'totalSteps', 1);
  num(lrMin, fn, 'lrMin', 0);
  return (step) => lrMin + 0.5 * (lr0 - lrMin) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps));
}

/** A finite number >= min (> min when `open`), and < below when given. */
function num(v: unknown, fn: string, arg: string, min: number, below?: number, open = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (open ? v <= min : v < min) || (below !== undefined && v >= below)) {
    const range = below === undefined ? `${open ? '>' : '>='} ${min}` : `in [${min}, ${below})`;
    throw argError(fn, arg, `a finite number ${range}`, v);
  }
  return v;
}

/** A plain snapshot of an optimizer: the step count and copies of its state tensors (in tree leaf order). */
export type StateDict = { stepCount: number } & Record<string, number | Tensor[]>;

/** Shared bookkeeping: tree walking, validation, learning rates, state slots, save/restore. */
abstract class Optimizer {
  /** Steps taken so far. */
  stepCount = 0;
  /** Per state slot (e.g. 'm', 'v'), one tensor per parameter leaf, in tree leaf order (sorted keys). */
  protected state: Record<string, Tensor[]> = {};
  private readonly lrSpec: LearningRate;

  constructor(
    protected readonly name: string,
    lr: unknown,
    protected readonly slots: readonly string[],
  ) {
    if (typeof lr === 'function') this.lrSpec = lr as Schedule;
    else if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0)
      throw argError(`${name}(opts)`, 'lr', 'a finite number > 0 or a schedule step => lr', lr);
    else this.lrSpec = lr;
    for (const s of slots) this.state[s] = [];
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    const v = typeof this.lrSpec === 'number' ? this.lrSpec : this.lrSpec(this.stepCount);
    return num(v, `${this.name}(opts)`, `lr(${this.stepCount}) (the schedule)`, 0);
  }

  /** Updates every tensor of `params` in place from the gradients `grads` (same tree structure). */
  step(params: TensorTree, grads: TensorTree): void {
    const what = `${this.name}.step(params, grads)`;
    const { a: ps, b: gs, paths } = zip(params, grads, what, { names: ['params', 'grads'], tensorsOnly: true });
    const held = this.slots.length > 0 ? this.state[this.slots[0]!]!.length : 0;
    if (held > 0 && held !== ps.length) {
      throw new Error(
        `tellus: ${what}: the optimizer holds state for ${held} parameter tensors, params has ${ps.length}; use one optimizer per parameter set`,
      );
    }
    const seen = new Set<unknown>();
    ps.forEach((p, i) => {
      const at = paths[i]!;
      checkTensor(p, what, `params${at}`);
      checkTensor(gs[i], what, `grads${at}`);
      const g = gs[i]!;
      checkFloat(p, what, `params${at}`);
      checkFloat(g, what, `grads${at}`);
      if (!p.isContiguous)
        throw argErrorText(
          what,
          `params${at}`,
          'a contiguous tensor (it is updated in place)',
          `a view of shape ${fmt(p.shape)}; use contiguous(x) to make a parameter`,
          Error,
        );
      if (g.shape.length !== p.shape.length || g.shape.some((d, k) => d !== p.shape[k]))
        throw argError(what, `grads${at}`, `a tensor of shape ${fmt(p.shape)} (as params${at})`, g, Error);
      const s = p.storageFor(what);
      if (seen.has(s))
        throw new Error(`tellus: ${what}: params${at} shares its storage with an earlier parameter; each would be updated twice`);
      if (g.storageFor(what) === s) throw new Error(`tellus: ${what}: grads${at} is the same buffer as params${at}`);
      seen.add(s);
      for (const slot of this.slots) {
        const t = this.state[slot]![i];
        if (t && (t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k]))) {
          throw new Error(
            `tellus: ${what}: state '${slot}' for params${at} has shape ${fmt(t.shape)}, expected ${fmt(p.shape)} (a state dict from other parameters?)`,
          );
        }
      }
    });
    const lr = this.lr;
    ps.forEach((p, i) => {
      // A fresh state tensor is not read by the kernel on its first step (`first`), so empty() suffices.
      // Kept: a step taken inside tidy() must not free the state the next step reads.
      const first = this.slots.length > 0 && !this.state[this.slots[0]!]![i];
      const st = this.slots.map((slot) => (this.state[slot]![i] ??= keep(empty(p.shape))));
      if (p.size === 0) return;
      const g0 = gs[i]!;
      const g = contiguous(g0);
      this.update(p, g, st, first, lr);
      if (g !== g0) g.dispose();
    });
    this.stepCount++;
  }

  protected abstract update(p: Tensor, g: Tensor, state: Tensor[], first: boolean, lr: number): void;

  protected dispatch(
    entry: string,
    p: Tensor,
    g: Tensor,
    state: Tensor[],
    first: boolean,
    uniforms: Record<string, number>,
    flops: number,
  ): void {
    const bind: Record<string, Storage> = {
      param: p.storageFor(entry),
      grad: g.storageFor(entry),
      status: context().scheduler.status,
    };
    ['m', 'v'].forEach((name, k) => {
      if (state[k]) bind[name] = state[k].storageFor(entry);
    });
    emit({
      file: 'optim.wgsl',
      entry,
      label: `${this.name}.step`,
      overrides: { OPTIM_STATUS_BIT: STATUS_BITS[this.name]! },
      bind,
      uniforms: { n: p.size, ...uniforms },
      grid: grid1d(p.size),
      bytes: 4 * p.size * (3 + 2 * state.length),
      flops: flops * p.size,
    });
  }

  /** Copies of the state (the caller owns and disposes them), so later steps cannot change a saved snapshot. */
  stateDict(): StateDict {
    const d: StateDict = { stepCount: this.stepCount };
    for (const s of this.slots) d[s] = this.state[s]!.map((t) => clone(t));
    return d;
  }

  /** Restores a stateDict() snapshot; the tensors are copied, so `d` stays the caller's. */
  loadStateDict(d: StateDict): void {
    const what = `${this.name}.loadStateDict(d)`;
    if (d === null || typeof d !== 'object') throw argError(what, 'd', 'an object from stateDict()', d);
    checkInt(d.stepCount, what, 'd.stepCount', 0);
    const lists = this.slots.map((s) => {
      const list = d[s];
      if (!Array.isArray(list)) throw argError(what, `d.${s}`, 'an array of tensors', list);
      return flatten(list, { root: s, what, tensorsOnly: true }).leaves;
    });
    lists.forEach((l, k) => {
      if (l.length !== lists[0]!.length)
        throw new Error(`tellus: ${what}: '${this.slots[k]}' holds ${l.length} tensors, '${this.slots[0]}' holds ${lists[0]!.length}`);
      l.forEach((t, i) => {
        checkFloat(t, what, `d.${this.slots[k]}[${i}]`);
      });
    });
    if (this.slots.length > 0 && d.stepCount > 0 && lists[0]!.length === 0) {
      throw new Error(`tellus: ${what}: stepCount is ${d.stepCount} but the state holds no tensors`);
    }
    this.disposeState();
    this.slots.forEach((s, k) => (this.state[s] = lists[k]!.map((t) => keep(clone(t)))));
    this.stepCount = d.stepCount;
  }

  private disposeState(): void {
    for (const s of this.slots) {
      for (const t of this.state[s]!) t.dispose();
      this.state[s] = [];
    }
  }

  /** Frees the optimizer's state tensors; the next step starts from fresh state. */
  dispose(): void {
    this.disposeState();
    this.stepCount = 0;
  }
}

export interface SGDOptions {
  lr: LearningRate;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

const SGD_OPTIONS = optionNames<SGDOptions>()('lr', 'momentum', 'dampening', 'nesterov', 'weightDecay');

/** PyTorch's SGD: momentum buffer b = mu b + (1 - dampening)(g + wd p) (b = g + wd p on the first step). */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(opts: SGDOptions) {
    const o = checkOptions(opts as Partial<SGDOptions>, SGD_OPTIONS, 'SGD(opts)');
    const momentum = num(o.momentum ?? 0, 'SGD(opts)', 'momentum', 0);
    super('SGD', o.lr, momentum > 0 ? ['momentumBuffer'] : []);
    this.momentum = momentum;
    this.dampening = num(o.dampening ?? 0, 'SGD(opts)', 'dampening', 0);
    if (this.dampening > 1) throw argError('SGD(opts)', 'dampening', 'a number in [0, 1]', this.dampening);
    this.weightDecay = num(o.weightDecay ?? 0, 'SGD(opts)', 'weightDecay', 0);
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') throw argError('SGD(opts)', 'nesterov', 'a boolean', o.nesterov);
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (momentum === 0 || this.dampening !== 0)) {
      throw new Error(
        `tellus: SGD({ nesterov: true }): Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${this.dampening}`,
      );
    }
  }

  protected update(p: Tensor, g: Tensor, state: Tensor[], first: boolean, lr: number): void {
    const u = {
      first: first ? 1 : 0,
      nesterov: this.nesterov ? 1 : 0,
      lr,
      momentum: this.momentum,
      one_minus_dampening: 1 - this.dampening,
      weight_decay: this.weightDecay,
    };
    this.dispatch(this.momentum > 0 ? 'sgd_momentum' : 'sgd', p, g, state, first, u, this.momentum > 0 ? 6 : 3);
  }
}

export interface AdamOptions {
  lr: LearningRate;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

const ADAM_OPTIONS = optionNames<AdamOptions>()('lr', 'beta1', 'beta2', 'eps', 'weightDecay');

/** Adam and AdamW share the kernel; they differ in where weight decay enters. */
abstract class AdamBase extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(
    opts: AdamOptions,
    name: string,
    defaultDecay: number,
    private readonly decoupled: boolean,
  ) {
    const o = checkOptions(opts as Partial<AdamOptions>, ADAM_OPTIONS, `${name}(opts)`);
    super(name, o.lr, ['m', 'v']);
    this.beta1 = num(o.beta1 ?? 0.9, `${name}(opts)`, 'beta1', 0, 1);
    this.beta2 = num(o.beta2 ?? 0.999, `${name}(opts)`, 'beta2', 0, 1);
    this.eps = num(o.eps ?? 1e-8, `${name}(opts)`, 'eps', 0, undefined, true);
    this.weightDecay = num(o.weightDecay ?? defaultDecay, `${name}(opts)`, 'weightDecay', 0);
  }

  protected update(p: Tensor, g: Tensor, state: Tensor[], first: boolean, lr: number): void {
    // Bias corrections in float64: in float32, 1 - 0.999^t keeps few correct digits for small t.
    const t = this.stepCount + 1;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    this.dispatch(
      'adam',
      p,
      g,
      state,
      first,
      {
        first: first ? 1 : 0,
        beta1: this.beta1,
        beta2: this.beta2,
        one_minus_beta1: 1 - this.beta1,
        one_minus_beta2: 1 - this.beta2,
        eps: this.eps,
        l2: this.decoupled ? 0 : this.weightDecay,
        decay: this.decoupled ? lr * this.weightDecay : 0,
        step_size: lr / bc1,
        inv_sqrt_bc2: 1 / Math.sqrt(bc2),
      },
      12,
    );
  }
}

/** Adam (Kingma & Ba) as in PyTorch; weightDecay adds wd p to the gradient (L2). */
export class Adam extends AdamBase {
  constructor(opts: AdamOptions) {
    super(opts, 'Adam', 0, false);
  }
}

/** AdamW (Loshchilov & Hutter): p -= lr wd p, decoupled from the adaptive step; default wd 0.01. */
export class AdamW extends AdamBase {
  constructor(opts: AdamOptions) {
    super(opts, 'AdamW', 0.01, true);
  }
}
