// Heteroscedastic regression: a network predicts a mean and a log variance per element, and is
// trained by the Gaussian negative log likelihood (Nix & Weigend 1994; Kendall & Gal 2017), or by
// beta-NLL (Seitzer et al. 2022), which weights each element's NLL by its own (detached) variance
// to the power beta, so badly fitted high-variance elements do not stop the mean from learning.
import type { Tensor } from '../../graph/tensor.js';
import { tidy } from '../../graph/tensor.js';
import { fmt } from '../../graph/shape.js';
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { checkFinite, checkFloat, checkTensor } from '../../ops/emit.js';
import { add, concat, detach, exp, mean, mul, slice, softplus, sub } from '../../autodiff/ops.js';

export interface NllOptions {
  /** Add the constant 1/2 log(2 pi) per element (default true; false gives the loss minimized in practice). */
  constant?: boolean;
}
const NLL_OPTIONS = optionNames<NllOptions>()('constant');
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function triple(fn: string, mu: unknown, logVar: unknown, target: unknown): [Tensor, Tensor, Tensor] {
  const names = ['mean', 'logVar', 'target'] as const;
  const ts = [mu, logVar, target].map((t, i) => {
    const x = checkTensor(t, fn, names[i]!);
    checkFloat(x, fn, names[i]!);
    return x;
  }) as [Tensor, Tensor, Tensor];
  const s = ts[0].shape;
  for (const i of [1, 2])
    if (ts[i]!.rank !== s.length || ts[i]!.shape.some((d, k) => d !== s[k]))
      throw argError(fn, names[i]!, `a tensor of shape ${fmt(s)} (as mean; these losses do not broadcast)`, ts[i], Error);
  return ts;
}

/** Per element: 1/2 (logVar + (y - mu)^2 e^-logVar), plus 1/2 log 2 pi when asked. */
function elementNll(mu: Tensor, logVar: Tensor, y: Tensor, constant: boolean): Tensor {
  const r = sub(y, mu);
  const nll = mul(add(logVar, mul(mul(r, r), exp(mul(logVar, -1)))), 0.5);
  return constant ? add(nll, HALF_LOG_2PI) : nll;
}

/**
 * Gaussian negative log likelihood averaged over the elements:
 * mean(1/2 (logVar + (y - mu)^2 e^-logVar)) + 1/2 log 2 pi (the constant unless { constant: false }).
 */
export function gaussianNll(mu: Tensor, logVar: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  const fn = 'gaussianNll(mean, logVar, target, opts)';
  const o = checkOptions(opts, NLL_OPTIONS, fn);
  const [m, lv, y] = triple(fn, mu, logVar, target);
  return tidy(() => mean(elementNll(m, lv, y, o.constant ?? true)));
}

/**
 * beta-NLL (Seitzer et al. 2022): mean over elements of stopGradient(sigma^2)^beta times the
 * element's Gaussian NLL. beta = 0 is gaussianNll; beta = 1 gives the mean the gradient of MSE.
 * The weight is detached, so it scales the gradients without being optimized itself.
 */
export function betaNll(mu: Tensor, logVar: Tensor, target: Tensor, beta = 0.5, opts: NllOptions = {}): Tensor {
  const fn = 'betaNll(mean, logVar, target, beta, opts)';
  const o = checkOptions(opts, NLL_OPTIONS, fn);
  const [m, lv, y] = triple(fn, mu, logVar, target);
  if (checkFinite(beta, fn, 'beta') < 0 || beta > 1) throw argError(fn, 'beta', 'a number in [0, 1]', beta, RangeError);
  return tidy(() => {
    const weight = exp(mul(detach(lv), beta)); // (sigma^2)^beta = e^(beta logVar)
    return mean(mul(weight, elementNll(m, lv, y, o.constant ?? true)));
  });
}

/**
 * A log variance bounded softly to [min, max]: min + softplus(raw - min) - softplus(raw - max).
 * Close to raw in the middle of the range (slope sigmoid(raw - min) - sigmoid(raw - max)), it
 * saturates smoothly at both ends, so the gradient never switches off as a hard clamp's does.
 */
export function boundLogVar(raw: Tensor, min = -10, max = 5): Tensor {
  const fn = 'boundLogVar(raw, min, max)';
  checkFloat(checkTensor(raw, fn, 'raw'), fn, 'raw');
  checkFinite(min, fn, 'min');
  if (checkFinite(max, fn, 'max') <= min) throw argError(fn, 'max', `a number > min (${min})`, max, RangeError);
  return tidy(() => add(sub(softplus(sub(raw, min)), softplus(sub(raw, max))), min));
}

export interface MeanLogVar {
  mean: Tensor;
  logVar: Tensor;
}

export interface SplitOptions {
  /** Bounds of the log variance (boundLogVar). Defaults -10 and 5. */
  minLogVar?: number;
  maxLogVar?: number;
}
const SPLIT_OPTIONS = optionNames<SplitOptions>()('minLogVar', 'maxLogVar');

/**
 * A heteroscedastic network's output [N, 2C, ...] split along dim 1 into the mean (the first C
 * channels) and the bounded log variance (the last C): a U-Net with 2 output channels is a
 * heteroscedastic regressor of one channel.
 */
export function splitMeanLogVar(out: Tensor, opts: SplitOptions = {}): MeanLogVar {
  const fn = 'splitMeanLogVar(out, opts)';
  const o = checkOptions(opts, SPLIT_OPTIONS, fn);
  checkFloat(checkTensor(out, fn, 'out'), fn, 'out');
  if (out.rank < 2 || out.shape[1]! % 2 !== 0 || out.shape[1] === 0)
    throw argError(fn, 'out', 'a tensor [N, 2C, ...] (an even, non-zero number of channels)', out, Error);
  const c = out.shape[1]! / 2;
  return {
    mean: slice(out, [null, [0, c]]),
    logVar: tidy(() => boundLogVar(slice(out, [null, [c, 2 * c]]), o.minLogVar ?? -10, o.maxLogVar ?? 5)),
  };
}

/** The inverse of splitMeanLogVar's layout: [mean, logVar] concatenated along dim 1. */
export function joinMeanLogVar(p: MeanLogVar): Tensor {
  return concat([p.mean, p.logVar], 1);
}
