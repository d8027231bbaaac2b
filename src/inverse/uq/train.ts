// Training loops for the uncertainty methods: one network by MSE (a mean; with Dropout layers it is
// the MC-dropout network), by the Gaussian NLL or beta-NLL (heteroscedastic: [mean, log variance]
// channels), and an ensemble of such networks, each with its own seed and a bootstrap resample of
// the training set. Adam with a cosine decay; the epoch's losses add up on the GPU and are read
// back once per epoch.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, checkOptions, integerArg, optionNames, positiveArg } from '../../graph/options.js';
import { mulberry32 } from '../../graph/random.js';
import { checkTensor } from '../../ops/emit.js';
import { tensor, zeros } from '../../ops/creation.js';
import { add, slice, take } from '../../autodiff/ops.js';
import { valueAndGrad } from '../../autodiff/transforms.js';
import { mse } from '../../nn/losses.js';
import { Module, type NamedTensors } from '../../nn/module.js';
import { Adam, cosineDecay } from '../../nn/optim.js';
import { betaNll, gaussianNll, splitMeanLogVar, type SplitOptions } from './losses.js';

export type UqLoss = 'mse' | 'nll' | 'beta-nll';

export interface UqTrainOptions extends SplitOptions {
  /** 'mse' (the network predicts a mean), 'nll' or 'beta-nll' ([mean, log variance] channels). Default 'mse'. */
  loss?: UqLoss;
  /** beta of 'beta-nll' (default 0.5). */
  beta?: number;
  epochs?: number;
  batch?: number;
  /** Peak learning rate of Adam, decayed by a cosine to lr / 30 (default 3e-3). */
  lr?: number;
  /** Seeds the shuffles and the bootstrap draw (default 0). */
  seed?: number;
  /** Train on a bootstrap resample (n draws with replacement) of the training set. Default false. */
  bootstrap?: boolean;
  onEpoch?: (epoch: number, loss: number) => void;
}
const TRAIN_KEYS = ['loss', 'beta', 'epochs', 'batch', 'lr', 'seed', 'bootstrap', 'onEpoch', 'minLogVar', 'maxLogVar'] as const;
const TRAIN_OPTIONS = optionNames<UqTrainOptions>()(...TRAIN_KEYS);

export interface UqTrainResult {
  /** Mean training loss per epoch (NLL with its constant for 'nll'). */
  losses: number[];
  steps: number;
  seconds: number;
}

/** The loss of a network output against the targets, as UqTrainOptions.loss names it. */
export function uqLoss(out: Tensor, y: Tensor, opts: Pick<UqTrainOptions, 'loss' | 'beta' | 'minLogVar' | 'maxLogVar'> = {}): Tensor {
  const loss = opts.loss ?? 'mse';
  if (loss === 'mse') return mse(out, y);
  const p = splitMeanLogVar(out, { minLogVar: opts.minLogVar, maxLogVar: opts.maxLogVar });
  return tidy(() => (loss === 'nll' ? gaussianNll(p.mean, p.logVar, y) : betaNll(p.mean, p.logVar, y, opts.beta ?? 0.5)));
}

function checkData(fn: string, x: unknown, y: unknown): [Tensor, Tensor] {
  const [tx, ty] = [checkTensor(x, fn, 'x'), checkTensor(y, fn, 'y')];
  if (tx.rank < 1 || tx.shape[0] === 0) throw argError(fn, 'x', 'a tensor with a non-empty batch dimension (dim 0)', tx, Error);
  if (ty.rank < 1 || ty.shape[0] !== tx.shape[0])
    throw argError(fn, 'y', `a tensor with ${tx.shape[0]} samples along dim 0 (as x)`, ty, Error);
  return [tx, ty];
}

function checkTrain(fn: string, opts: UqTrainOptions): UqTrainOptions {
  const o = checkOptions(opts, TRAIN_OPTIONS, fn);
  if (o.loss !== undefined && !['mse', 'nll', 'beta-nll'].includes(o.loss))
    throw argError(fn, 'opts.loss', "'mse', 'nll' or 'beta-nll'", o.loss);
  if (o.beta !== undefined && !(typeof o.beta === 'number' && o.beta >= 0 && o.beta <= 1))
    throw argError(fn, 'opts.beta', 'a number in [0, 1]', o.beta, RangeError);
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw argError(fn, 'opts.onEpoch', 'a function', o.onEpoch);
  return o;
}

/**
 * Trains `model` (in training mode) on x -> y: each epoch a fresh permutation of the samples (a
 * bootstrap resample when asked, drawn once), mini-batches of `batch` (the last one smaller), Adam.
 * Leaves the model in eval mode.
 */
export async function trainRegressor(model: Module, x: Tensor, y: Tensor, opts: UqTrainOptions = {}): Promise<UqTrainResult> {
  const fn = 'trainRegressor(model, x, y, opts)';
  if (!(model instanceof Module)) throw argError(fn, 'model', 'a Module', model);
  const o = checkTrain(fn, opts);
  const [tx, ty] = checkData(fn, x, y);
  const n = tx.shape[0]!;
  const epochs = integerArg(fn, 'opts.epochs', o.epochs ?? 10, 1);
  const batch = Math.min(n, integerArg(fn, 'opts.batch', o.batch ?? 16, 1));
  const lr = positiveArg(fn, 'opts.lr', o.lr ?? 3e-3);
  const rnd = mulberry32(integerArg(fn, 'opts.seed', o.seed ?? 0, 0) * 2654435761 + 12345);
  const pool = o.bootstrap ? Int32Array.from({ length: n }, () => Math.floor(rnd() * n)) : Int32Array.from({ length: n }, (_, i) => i);
  const perBatch = Math.ceil(n / batch);
  const steps = epochs * perBatch;
  const opt = new Adam({ lr: cosineDecay(lr, steps, lr / 30) });
  const params = model.parameters();
  const lossOpts = { loss: o.loss, beta: o.beta, minLogVar: o.minLogVar, maxLogVar: o.maxLogVar };
  const step = valueAndGrad((p: NamedTensors, xb: Tensor, yb: Tensor) => uqLoss(model.call(p, xb), yb, lossOpts));
  model.train();
  const losses: number[] = [];
  const t0 = performance.now();
  try {
    for (let e = 0; e < epochs; e++) {
      const order = Int32Array.from(pool);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const idx = tensor(order, { shape: [n] });
      const [xe, ye] = [take(tx, idx, 0), take(ty, idx, 0)];
      idx.dispose();
      let sum = zeros([]);
      for (let b = 0; b < n; b += batch) {
        const [xb, yb] = [slice(xe, [[b, Math.min(n, b + batch)]]), slice(ye, [[b, Math.min(n, b + batch)]])];
        const [loss, grads] = step(params, xb, yb) as [Tensor, NamedTensors];
        opt.step(params, grads);
        // Weighted by the batch's share, so a short last batch counts as much as its samples.
        const next = tidy(() => add(sum, loss.mul(xb.shape[0]! / n)));
        for (const t of [sum, loss, xb, yb, ...Object.values(grads)]) t.dispose();
        sum = next;
      }
      for (const t of [xe, ye]) t.dispose();
      losses.push(await sum.item());
      sum.dispose();
      o.onEpoch?.(e + 1, losses[e]!);
    }
  } finally {
    opt.dispose();
    model.eval();
  }
  return { losses, steps, seconds: (performance.now() - t0) / 1000 };
}

export interface EnsembleOptions extends UqTrainOptions {
  /** Members (default 5). */
  members?: number;
  onMember?: (member: number, result: UqTrainResult) => void;
}
const ENSEMBLE_OPTIONS = optionNames<EnsembleOptions>()('members', 'onMember', ...TRAIN_KEYS);

/** Member k's training options: its own seed (seed + k) and, by default, its own bootstrap resample. */
export function memberOptions(train: UqTrainOptions, seed: number, k: number): UqTrainOptions {
  return { ...train, seed: seed + k, bootstrap: train.bootstrap ?? true };
}

/**
 * A deep ensemble: `members` networks from make(k) (give each its own initialization seed), each
 * trained by trainRegressor with seed opts.seed + k and, unless { bootstrap: false }, its own
 * bootstrap resample. With loss 'nll' or 'beta-nll' the members are heteroscedastic.
 */
export async function trainEnsemble(
  make: (member: number) => Module,
  x: Tensor,
  y: Tensor,
  opts: EnsembleOptions = {},
): Promise<{ members: Module[]; results: UqTrainResult[] }> {
  const fn = 'trainEnsemble(make, x, y, opts)';
  const o = checkOptions(opts, ENSEMBLE_OPTIONS, fn);
  if (typeof make !== 'function') throw argError(fn, 'make', 'a function (member index) => Module', make);
  const count = integerArg(fn, 'opts.members', o.members ?? 5, 1);
  const { members: _, onMember, ...train } = o;
  checkTrain(fn, train);
  checkData(fn, x, y);
  const models: Module[] = [];
  const results: UqTrainResult[] = [];
  const seed = integerArg(fn, 'opts.seed', o.seed ?? 0, 0);
  for (let k = 0; k < count; k++) {
    const m = make(k);
    if (!(m instanceof Module)) throw argError(fn, 'make', `a function returning a Module (member ${k} is not)`, m);
    models.push(m);
    results.push(await trainRegressor(m, x, y, memberOptions(train, seed, k)));
    onMember?.(k, results[k]!);
  }
  return { members: models, results };
}
