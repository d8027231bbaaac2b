// Predictive distributions from several forward passes: a deep ensemble (Lakshminarayanan et al.
// 2017) or Monte Carlo dropout (Gal & Ghahramani 2016). Each pass k gives a mean mu_k and, for a
// heteroscedastic network, a variance s_k^2; the mixture's variance splits by the law of total
// variance into aleatoric E_k[s_k^2] (noise the data carry) and epistemic Var_k[mu_k] (the
// networks' disagreement), total = aleatoric + epistemic.
import { type Tensor, keep, tidy } from '../../graph/tensor.js';
import { fmt } from '../../graph/shape.js';
import { argError, checkOptions, integerArg, optionNames } from '../../graph/options.js';
import { checkTensor } from '../../ops/emit.js';
import { seed as seedGlobal, zerosLike } from '../../ops/creation.js';
import { add, concat, div, exp, maximum, slice, square, sub } from '../../autodiff/ops.js';
import { noGrad } from '../../autodiff/transforms.js';
import { Dropout } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { splitMeanLogVar, type SplitOptions } from './losses.js';

export interface Predictive {
  mean: Tensor;
  /** Mean of the passes' variances (a constant noiseVariance for homoscedastic networks). */
  aleatoric: Tensor;
  /** Variance of the passes' means (over the passes, 1/K). */
  epistemic: Tensor;
  total: Tensor;
}

export interface PredictOptions extends SplitOptions {
  /** The networks output [N, 2C, ...]: mean and log variance (splitMeanLogVar). Default false. */
  heteroscedastic?: boolean;
  /** For networks that predict a mean only: a constant aleatoric variance (e.g. a validation MSE). Default 0. */
  noiseVariance?: number;
  /** Forward at most this many samples at once (dim 0 of x). Default all. */
  batch?: number;
}
const PREDICT_OPTIONS = optionNames<PredictOptions>()('heteroscedastic', 'noiseVariance', 'batch', 'minLogVar', 'maxLogVar');

export interface McDropoutOptions extends PredictOptions {
  /** Stochastic forward passes (default 50). */
  passes?: number;
  /** Seeds the global generator first (tl.seed), so Dropout layers without their own seed repeat their masks. */
  seed?: number;
}
const MC_OPTIONS = optionNames<McDropoutOptions>()('passes', 'seed', 'heteroscedastic', 'noiseVariance', 'batch', 'minLogVar', 'maxLogVar');

/** The checked options as one pass's forward: x -> { mean, variance } (variance null when homoscedastic with no noise). */
function passOf(fn: string, o: PredictOptions, x: Tensor): (m: Module) => { mean: Tensor; variance: Tensor | null } {
  const noise = o.noiseVariance ?? 0;
  if (typeof noise !== 'number' || !(noise >= 0) || !Number.isFinite(noise))
    throw argError(fn, 'opts.noiseVariance', 'a finite number >= 0', o.noiseVariance, RangeError);
  if (o.heteroscedastic && o.noiseVariance !== undefined)
    throw argError(fn, 'opts.noiseVariance', 'undefined when heteroscedastic (the networks predict their own variance)', noise);
  const n = x.shape[0]!;
  const batch = o.batch === undefined ? n : integerArg(fn, 'opts.batch', o.batch, 1);
  const split = { minLogVar: o.minLogVar, maxLogVar: o.maxLogVar };
  return (m) => {
    const parts: Tensor[] = [];
    for (let b = 0; b < n; b += batch) parts.push(m.forward(slice(x, [[b, Math.min(n, b + batch)]])));
    const out = parts.length === 1 ? parts[0]! : concat(parts, 0);
    if (!o.heteroscedastic) return { mean: out, variance: noise > 0 ? add(zerosLike(out), noise) : null };
    const p = splitMeanLogVar(out, split);
    return { mean: p.mean, variance: exp(p.logVar) };
  };
}

function checkInput(fn: string, x: unknown): Tensor {
  const t = checkTensor(x, fn, 'x');
  if (t.rank < 1 || t.shape[0] === 0) throw argError(fn, 'x', 'a tensor with a batch dimension (dim 0, non-empty)', t, Error);
  return t;
}

function sameShapes(fn: string, name: string, ts: readonly Tensor[], shape: readonly number[]): void {
  ts.forEach((t, k) => {
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw argError(fn, `${name}[${k}]`, `a tensor of shape ${fmt(shape)} (as ${name}[0])`, t, Error);
  });
}

/**
 * The law of total variance for an equally weighted mixture of K Gaussians (means mu_k, variances
 * s_k^2, or none): mean = E[mu_k], aleatoric = E[s_k^2], epistemic = E[(mu_k - mean)^2], total = sum.
 */
export function combinePredictions(means: readonly Tensor[], variances: readonly Tensor[] | null = null): Predictive {
  const fn = 'combinePredictions(means, variances)';
  if (!Array.isArray(means) || means.length === 0) throw argError(fn, 'means', 'a non-empty array of tensors', means);
  means.forEach((t, k) => checkTensor(t, fn, `means[${k}]`));
  const shape = means[0]!.shape;
  sameShapes(fn, 'means', means, shape);
  if (variances !== null) {
    if (!Array.isArray(variances) || variances.length !== means.length)
      throw argError(fn, 'variances', `null or an array of ${means.length} tensors (one per mean)`, variances);
    variances.forEach((t, k) => checkTensor(t, fn, `variances[${k}]`));
    sameShapes(fn, 'variances', variances, shape);
  }
  const k = means.length;
  return tidy(() => {
    const mean = div(
      means.reduce((s, m) => add(s, m)),
      k,
    );
    const epistemic = div(
      means.map((m) => square(sub(m, mean))).reduce((s, d) => add(s, d)),
      k,
    );
    const aleatoric = variances
      ? div(
          variances.reduce((s, v) => add(s, v)),
          k,
        )
      : zerosLike(mean);
    return { mean, aleatoric, epistemic, total: add(aleatoric, epistemic) };
  });
}

/**
 * A deep ensemble's predictive distribution at x: each member's forward (in its current mode;
 * call eval() first), combined by the law of total variance (combinePredictions).
 */
export function ensemblePredict(members: readonly Module[], x: Tensor, opts: PredictOptions = {}): Predictive {
  const fn = 'ensemblePredict(members, x, opts)';
  const o = checkOptions(opts, PREDICT_OPTIONS, fn);
  if (!Array.isArray(members) || members.length === 0) throw argError(fn, 'members', 'a non-empty array of Modules', members);
  members.forEach((m, k) => {
    if (!(m instanceof Module)) throw argError(fn, `members[${k}]`, 'a Module', m);
  });
  const pass = passOf(fn, o, checkInput(fn, x));
  return tidy(() =>
    noGrad(() => {
      const outs = members.map(pass);
      const vs = outs.map((p) => p.variance);
      return combinePredictions(
        outs.map((p) => p.mean),
        vs.every((v) => v !== null) ? vs : null,
      );
    }),
  );
}

/**
 * Monte Carlo dropout: `passes` forward passes of one model whose Dropout layers stay active
 * (built with { mcDropout: true }, or the model in training mode), combined as an ensemble. A
 * model with no active Dropout would give K identical passes and a zero epistemic variance, which
 * reads as certainty: that is an error here, not a silent answer.
 */
export function mcDropoutPredict(model: Module, x: Tensor, opts: McDropoutOptions = {}): Predictive {
  const fn = 'mcDropoutPredict(model, x, opts)';
  const o = checkOptions(opts, MC_OPTIONS, fn);
  if (!(model instanceof Module)) throw argError(fn, 'model', 'a Module', model);
  const drops = model.namedModules().filter(([, m]) => m instanceof Dropout && m.p > 0) as [string, Dropout][];
  if (drops.length === 0)
    throw new Error(
      `tellus: ${fn}: the model has no Dropout with p > 0; build it with one (e.g. new UNet(c, k, { dropout: 0.1, mcDropout: true }))`,
    );
  if (!drops.some(([, d]) => d.active))
    throw new Error(
      `tellus: ${fn}: the model's Dropout layers (${drops.map(([k]) => `'${k}'`).join(', ')}) are inactive in eval mode: ` +
        'build them with { mcDropout: true }, or call model.train() (which also switches BatchNorm to batch statistics)',
    );
  const passes = integerArg(fn, 'opts.passes', o.passes ?? 50, 2);
  if (o.seed !== undefined) seedGlobal(integerArg(fn, 'opts.seed', o.seed, 0));
  const pass = passOf(fn, o, checkInput(fn, x));
  return noGrad(() => {
    // Running sums of d = mu_k - mu_1 (shifted, so the variance does not cancel catastrophically
    // in float32) and of the variances; one pass's tensors live at a time.
    const first = keep(tidy(() => pass(model)));
    let [sum, sumSq] = [zerosLike(first.mean), zerosLike(first.mean)];
    let sumVar = first.variance;
    for (let k = 1; k < passes; k++) {
      const next = tidy(() => {
        const p = pass(model);
        const d = sub(p.mean, first.mean);
        return { sum: add(sum, d), sumSq: add(sumSq, square(d)), sumVar: sumVar && p.variance ? add(sumVar, p.variance) : null };
      });
      for (const t of [sum, sumSq, ...(k > 1 && sumVar ? [sumVar] : [])]) t.dispose();
      [sum, sumSq, sumVar] = [next.sum, next.sumSq, next.sumVar];
    }
    const out = tidy(() => {
      const md = div(sum, passes);
      const epistemic = maximum(sub(div(sumSq, passes), square(md)), 0); // >= 0 despite rounding
      const aleatoric = sumVar ? div(sumVar, passes) : zerosLike(md);
      return { mean: add(first.mean, md), aleatoric, epistemic, total: add(aleatoric, epistemic) };
    });
    for (const t of [
      sum,
      sumSq,
      first.mean,
      ...(sumVar ? [sumVar] : []),
      ...(first.variance && first.variance !== sumVar ? [first.variance] : []),
    ])
      t.dispose();
    return out;
  });
}
