// JI-FNO training (issue 20 item 5, docs/ji-fno-train.md): an FNO2d on (m, m0) -> R(m, m0) trained
// on the forward loss plus lambda times the error of its Jacobian in m (m0 fixed) along r shared
// directions V against the RTM map's exact actions dR/dm V (rtmJacobianActions). The network's
// directional derivatives come from tl.jvp, batched over directions by folding r into the batch
// axis (one [B r, 2, H, W] pass); inside valueAndGrad that jvp keeps its graph, so the weight
// gradient of the Jacobian term is reverse over (reverse over reverse).
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import { Tensor, tidy } from '../../graph/tensor.js';
import { tensor, zeros } from '../../ops/creation.js';
import { add, concat, detach, div, expand, mean, mul, reshape, sqrt, square, stack, sub, sum, take } from '../../autodiff/ops.js';
import { jvp, valueAndGrad } from '../../autodiff/transforms.js';
import { FNO2d } from '../../nn/fno.js';
import { type NamedTensors } from '../../nn/module.js';
import { Adam } from '../../nn/optim.js';
import { mulberry32 } from '../../graph/random.js';

/** One batch: models [B, H, W], shared directions [r, H, W], actions dR/dm v_j per sample [B, r, H, W]. */
export interface JiFnoBatch {
  m: Tensor;
  m0: Tensor;
  /** R(m, m0), [B, H, W]. */
  target: Tensor;
  /** Needed when lambda > 0 (and for the Jacobian error). */
  directions?: Tensor;
  actions?: Tensor;
}

/**
 * 'rel-l2': mean over samples of ||pred - target|| / ||target||, and over (sample, direction) of
 * ||J_nn v - J v|| / ||J v|| (scale-free: lambda does not depend on the units of R or on the
 * eigenvalue spread, every direction counts equally; assumes no action is exactly zero).
 * 'mse': the paper's squared norms as means (mean squared error of each term).
 */
export type JiLossKind = 'rel-l2' | 'mse';

export interface JiFnoLossOptions {
  /** Weight of the Jacobian term; 0 is the plain FNO loss. Default 1. */
  lambda?: number;
  /** Default 'rel-l2'. */
  kind?: JiLossKind;
}
const LOSS_OPTIONS = optionNames<JiFnoLossOptions>()('lambda', 'kind');

const live = (t: unknown): t is Tensor => t instanceof Tensor && !t.isDisposed && t.dtype === 'float32';

function checkLossOptions(what: string, opts: JiFnoLossOptions): { lambda: number; kind: JiLossKind } {
  checkOptions(opts, LOSS_OPTIONS, what);
  const lambda = opts.lambda ?? 1;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0)
    throw argError(what, 'opts.lambda', 'a finite number >= 0', lambda);
  const kind = opts.kind ?? 'rel-l2';
  if (kind !== 'rel-l2' && kind !== 'mse') throw argError(what, 'opts.kind', "'rel-l2' or 'mse'", kind);
  return { lambda, kind };
}

/** Checks a batch's shapes; returns [B, H, W] and r (0 when the batch has no directions). */
function checkBatch(what: string, arg: string, batch: JiFnoBatch, needJacobian: boolean): { b: number; h: number; w: number; r: number } {
  if (batch === null || typeof batch !== 'object') throw argError(what, arg, 'an object { m, m0, target, directions?, actions? }', batch);
  const m = batch.m;
  if (!live(m) || m.rank !== 3) throw argError(what, `${arg}.m`, 'a live float32 tensor [B, H, W]', m, Error);
  const [b, h, w] = m.shape as [number, number, number];
  for (const k of ['m0', 'target'] as const)
    if (!live(batch[k]) || fmt(batch[k].shape) !== fmt(m.shape))
      throw argError(what, `${arg}.${k}`, `a live float32 tensor ${fmt(m.shape)} (as ${arg}.m)`, batch[k], Error);
  const { directions: D, actions: A } = batch;
  if (D === undefined && A === undefined) {
    if (needJacobian) throw argErrorText(what, `${arg}.directions`, 'directions and actions (lambda > 0)', 'undefined', Error);
    return { b, h, w, r: 0 };
  }
  if (!live(D) || D.rank !== 3 || D.shape[1] !== h || D.shape[2] !== w || D.shape[0] === 0)
    throw argError(what, `${arg}.directions`, `a live float32 tensor [r, ${h}, ${w}] with r >= 1`, D, Error);
  const r = D.shape[0]!;
  if (!live(A) || fmt(A.shape) !== fmt([b, r, h, w]))
    throw argError(what, `${arg}.actions`, `a live float32 tensor ${fmt([b, r, h, w])} (dR/dm along each direction)`, A, Error);
  return { b, h, w, r };
}

function checkNet(what: string, net: unknown): FNO2d {
  if (!(net instanceof FNO2d) || net.inChannels !== 2 || net.outChannels !== 1)
    throw argError(what, 'net', 'an FNO2d with inChannels 2 (m, m0) and outChannels 1', net);
  return net;
}

/** The network's input [B, 2, H, W]: channels m and m0. */
export function jiFnoInputs(m: Tensor, m0: Tensor): Tensor {
  const [b, h, w] = m.shape as [number, number, number];
  return concat([reshape(m, [b, 1, h, w]), reshape(m0, [b, 1, h, w])], 1);
}

/** The network's prediction [B, H, W] with weights `params`. */
export function jiFnoForward(net: FNO2d, params: NamedTensors, m: Tensor, m0: Tensor): Tensor {
  const [b, h, w] = m.shape as [number, number, number];
  return tidy(() => reshape(net.call(params, jiFnoInputs(m, m0)), [b, h, w]));
}

/**
 * d/dm R_nn(m, m0) along each row of `directions` [r, H, W], m0 fixed: [B, r, H, W]. The r
 * directions ride the batch axis (sample i, direction j at row i r + j), so one jvp covers all.
 */
export function networkJvp(net: FNO2d, params: NamedTensors, m: Tensor, m0: Tensor, directions: Tensor): Tensor {
  const what = 'networkJvp(net, params, m, m0, directions)';
  checkNet(what, net);
  if (!live(m) || m.rank !== 3) throw argError(what, 'm', 'a live float32 tensor [B, H, W]', m, Error);
  const [b, h, w] = m.shape as [number, number, number];
  if (!live(m0) || fmt(m0.shape) !== fmt(m.shape)) throw argError(what, 'm0', `a live float32 tensor ${fmt(m.shape)} (as m)`, m0, Error);
  if (!live(directions) || directions.rank !== 3 || directions.shape[1] !== h || directions.shape[2] !== w || directions.shape[0] === 0)
    throw argError(what, 'directions', `a live float32 tensor [r, ${h}, ${w}] with r >= 1`, directions, Error);
  const r = directions.shape[0]!;
  return tidy(() => {
    const tile = (x: Tensor): Tensor => reshape(expand(reshape(x, [b, 1, h, w]), [b, r, h, w]), [b * r, 1, h, w]);
    const mt = tile(m);
    const m0t = tile(m0);
    const vt = reshape(expand(reshape(directions, [1, r, h, w]), [b, r, h, w]), [b * r, 1, h, w]);
    const [, t] = jvp((x: Tensor) => net.call(params, concat([x, m0t], 1)), [mt], [vt]);
    return reshape(t, [b, r, h, w]);
  });
}

/** Mean over rows of [rows, n] of ||a - b|| / ||b||. */
const relRows = (a: Tensor, b: Tensor, rows: number): Tensor => {
  const n = a.size / rows;
  const sq = (x: Tensor): Tensor => sum(square(reshape(x, [rows, n])), 1);
  return mean(sqrt(div(sq(sub(a, b)), sq(b))));
};

export interface JiFnoTerms {
  /** The forward term (a scalar). */
  forward: Tensor;
  /** The Jacobian term (a scalar), or null when the batch has no directions. */
  jacobian: Tensor | null;
}

/** The two terms of the loss, each of kind `kind` (differentiable in params). */
export function jiFnoTerms(net: FNO2d, params: NamedTensors, batch: JiFnoBatch, opts: { kind?: JiLossKind } = {}): JiFnoTerms {
  const what = 'jiFnoTerms(net, params, batch, opts)';
  checkNet(what, net);
  const { kind } = checkLossOptions(what, opts);
  const { b, r } = checkBatch(what, 'batch', batch, false);
  return tidy(() => {
    const err = (p: Tensor, t: Tensor, rows: number): Tensor => (kind === 'mse' ? mean(square(sub(p, t))) : relRows(p, t, rows));
    const forward = err(jiFnoForward(net, params, batch.m, batch.m0), batch.target, b);
    const jacobian = r === 0 ? null : err(networkJvp(net, params, batch.m, batch.m0, batch.directions!), batch.actions!, b * r);
    return { forward, jacobian };
  });
}

/**
 * forward + lambda jacobian (a scalar, differentiable in params): with kind 'mse', the paper's
 * ||R_nn - R||² + lambda ||J_nn V - J V||² with each squared norm divided by its element count.
 * lambda = 0 skips the JVP (directions and actions may be absent).
 */
export function jiFnoLoss(net: FNO2d, params: NamedTensors, batch: JiFnoBatch, opts: JiFnoLossOptions = {}): Tensor {
  const what = 'jiFnoLoss(net, params, batch, opts)';
  checkNet(what, net);
  const { lambda, kind } = checkLossOptions(what, opts);
  checkBatch(what, 'batch', batch, lambda > 0);
  const b = lambda > 0 ? batch : { m: batch.m, m0: batch.m0, target: batch.target };
  return tidy(() => {
    const { forward, jacobian } = jiFnoTerms(net, params, b, { kind });
    return jacobian ? add(forward, mul(jacobian, lambda)) : forward;
  });
}

/** What jiFnoStep needs of an optimizer (Adam, AdamW, SGD). */
export interface ParamOptimizer {
  step(params: NamedTensors, grads: NamedTensors): void;
}

/**
 * One optimizer step on the JI loss; returns the loss [] (not read back). `opt` must be the
 * optimizer of `params`.
 */
export function jiFnoStep(net: FNO2d, params: NamedTensors, opt: ParamOptimizer, batch: JiFnoBatch, opts: JiFnoLossOptions = {}): Tensor {
  if (typeof (opt as ParamOptimizer | null)?.step !== 'function')
    throw argError('jiFnoStep(net, params, opt, batch, opts)', 'opt', 'an optimizer (Adam, AdamW, SGD)', opt);
  const [loss, grads] = valueAndGrad((q: NamedTensors) => jiFnoLoss(net, q, batch, opts))(params) as [Tensor, NamedTensors];
  opt.step(params, grads);
  Object.values(grads).forEach((g) => g.dispose());
  return loss;
}

/** A training or evaluation set: N samples and the r directions they share. */
export interface JiFnoData {
  m: Tensor;
  m0: Tensor;
  target: Tensor;
  directions: Tensor;
  actions: Tensor;
}

/** Rows `idx` of the data as a batch, with all directions or those numbered in `dirs`. */
function batchOf(d: JiFnoData, idx: readonly number[], dirs: number[] | null = null): JiFnoBatch {
  return tidy(() => {
    const i = tensor(Int32Array.from(idx), { shape: [idx.length], dtype: 'int32' });
    const actions = take(d.actions, i);
    if (!dirs) return { m: take(d.m, i), m0: take(d.m0, i), target: take(d.target, i), directions: d.directions, actions };
    const j = tensor(Int32Array.from(dirs), { shape: [dirs.length], dtype: 'int32' });
    return {
      m: take(d.m, i),
      m0: take(d.m0, i),
      target: take(d.target, i),
      directions: take(d.directions, j),
      actions: take(actions, j, 1),
    };
  });
}

/** k distinct indices of [0, r), drawn with `rand` (a partial Fisher-Yates shuffle), ascending. */
function subset(rand: () => number, r: number, k: number): number[] {
  const a = Array.from({ length: r }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (r - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k).sort((x, y) => x - y);
}

/**
 * Relative errors [2] (not read back): mean over samples of the forward relative L2 error, and
 * over (sample, direction) of the Jacobian's, evaluated in batches of `batchSize`.
 */
export function jiFnoErrors(net: FNO2d, params: NamedTensors, data: JiFnoData, batchSize = 8): Tensor {
  const what = 'jiFnoErrors(net, params, data, batchSize)';
  checkNet(what, net);
  const { b: n } = checkBatch(what, 'data', data, true);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw argError(what, 'batchSize', 'an integer >= 1', batchSize);
  return tidy(() => {
    let acc: Tensor | null = null;
    for (let s = 0; s < n; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, n - s) }, (_, k) => s + k);
      const { forward, jacobian } = jiFnoTerms(net, params, batchOf(data, idx), { kind: 'rel-l2' });
      const part = mul(stack([forward, jacobian!]), idx.length / n);
      acc = acc ? add(acc, part) : part;
    }
    return detach(acc!);
  });
}

export interface JiFnoEpoch {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /**
   * After the epoch, on the training data and all r directions: relative L2 of the prediction, and
   * of J_nn v_j against dR/dm v_j (NaN on epochs `evalEvery` skips; the last is always evaluated).
   */
  forwardError: number;
  jacobianError: number;
}

export interface TrainJiFnoOptions extends JiFnoLossOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  /** Seed of the epochs' shuffles (and of the direction subsets). Default 0. */
  seed?: number;
  /**
   * Directions per step: each step supervises a fresh random subset of this many of the r
   * directions (an unbiased estimate of the mean Jacobian term; a step then costs like r =
   * directionsPerStep). Default r (all, every step).
   */
  directionsPerStep?: number;
  /** Evaluate the training errors every this many epochs (they cost a JVP over all samples and directions). Default 1. */
  evalEvery?: number;
  onEpoch?: (e: JiFnoEpoch) => void;
}
const TRAIN_OPTIONS = optionNames<TrainJiFnoOptions>()(
  'epochs',
  'lr',
  'batchSize',
  'seed',
  'directionsPerStep',
  'evalEvery',
  'onEpoch',
  'lambda',
  'kind',
);

/**
 * Trains net's own parameters in place with Adam (a fixed lr) on shuffled batches (a short last
 * batch is dropped); reads back once per epoch. Returns the per-epoch history.
 */
export async function trainJiFno(net: FNO2d, data: JiFnoData, opts: TrainJiFnoOptions): Promise<JiFnoEpoch[]> {
  const what = 'trainJiFno(net, data, opts)';
  checkNet(what, net);
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an object { epochs, lr, batchSize, ... }', opts);
  checkOptions(opts, TRAIN_OPTIONS, what);
  const { lambda, kind } = checkLossOptions(what, {
    ...(opts.lambda === undefined ? {} : { lambda: opts.lambda }),
    ...(opts.kind === undefined ? {} : { kind: opts.kind }),
  });
  const { b: n } = checkBatch(what, 'data', data, true);
  const int = (k: 'epochs' | 'batchSize' | 'directionsPerStep' | 'evalEvery', lo: number, hi = Infinity, dflt?: number): number => {
    const v = opts[k] ?? dflt;
    if (v === undefined || !Number.isInteger(v) || v < lo || v > hi)
      throw argError(what, `opts.${k}`, hi === Infinity ? `an integer >= ${lo}` : `an integer in [${lo}, ${hi}]`, v);
    return v;
  };
  const epochs = int('epochs', 1);
  const batchSize = int('batchSize', 1, n);
  const r = data.directions.shape[0]!;
  const perStep = int('directionsPerStep', 1, r, r);
  const evalEvery = int('evalEvery', 1, Infinity, 1);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw argError(what, 'opts.seed', 'an integer', seed);
  if (opts.onEpoch !== undefined && typeof opts.onEpoch !== 'function') throw argError(what, 'opts.onEpoch', 'a function', opts.onEpoch);
  const opt = new Adam({ lr: opts.lr });
  const params = net.parameters();
  const rand = mulberry32(seed);
  const steps = Math.floor(n / batchSize);
  const history: JiFnoEpoch[] = [];
  try {
    for (let e = 0; e < epochs; e++) {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let total = zeros([]);
      for (let s = 0; s < steps; s++) {
        const batch = batchOf(data, order.slice(s * batchSize, (s + 1) * batchSize), perStep < r ? subset(rand, r, perStep) : null);
        const loss = jiFnoStep(net, params, opt, batch, { lambda, kind });
        const next = tidy(() => add(total, reshape(loss, [])));
        [total, loss, batch.m, batch.m0, batch.target, batch.actions!].forEach((t) => t.dispose());
        if (batch.directions !== data.directions) batch.directions!.dispose();
        total = next;
      }
      const evaluate = (e + 1) % evalEvery === 0 || e === epochs - 1;
      const errs = evaluate ? jiFnoErrors(net, params, data, batchSize) : null;
      const [sum0, [fe, je]] = await Promise.all([total.item(), errs ? errs.data() : [NaN, NaN]]);
      total.dispose();
      errs?.dispose();
      const rec: JiFnoEpoch = { epoch: e + 1, loss: sum0 / steps, forwardError: fe!, jacobianError: je! };
      history.push(rec);
      opts.onEpoch?.(rec);
    }
  } finally {
    opt.dispose();
  }
  return history;
}
