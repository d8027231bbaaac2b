// Normalization layers for [N, C, H, W] images, in differentiable ops: GroupNorm (statistics per
// sample over groups of channels) and BatchNorm2d (per channel over the batch, with running
// statistics for eval mode), both with PyTorch's definitions (biased variance inside the
// normalization, eps 1e-5; BatchNorm's running variance unbiased, momentum 0.1).
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { type Tensor, keep } from '../graph/tensor.js';
import { ones, zeros } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, mean, mul, reshape, rsqrt, square, sub } from '../autodiff/ops.js';
import { noGrad } from '../autodiff/tape.js';
import { Module } from './module.js';

function channels(what: string, x: Tensor, c: number): [number, number, number, number] {
  checkTensor(x, what, 'x');
  if (x.dtype !== 'float32' || x.rank !== 4 || x.shape[1] !== c) throw argError(what, 'x', `a float32 tensor [N, ${c}, H, W]`, x);
  return x.shape as [number, number, number, number];
}

function posInt(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw argError(what, name, 'a positive integer', v, RangeError);
  return v;
}

export interface NormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
}
const GROUP_NORM_OPTIONS = optionNames<NormOptions>()('eps');

/** GroupNorm(groups, channels): x normalized over each group of channels and all pixels, then a per-channel affine. */
export class GroupNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly eps: number;
  constructor(
    readonly groups: number,
    readonly channels: number,
    opts: NormOptions = {},
  ) {
    super();
    const fn = 'GroupNorm(groups, channels, opts)';
    checkOptions(opts, GROUP_NORM_OPTIONS, fn);
    posInt(fn, 'groups', groups);
    posInt(fn, 'channels', channels);
    if (channels % groups !== 0) throw argError(fn, 'groups', `a divisor of channels (${channels})`, groups, RangeError);
    this.eps = opts.eps ?? 1e-5;
    this.weight = ones([channels]);
    this.bias = zeros([channels]);
  }
  forward(x: Tensor): Tensor {
    const [n, c, h, w] = channels(`GroupNorm(${this.groups}, ${this.channels}).forward(x)`, x, this.channels);
    const g = reshape(x, [n, this.groups, (c / this.groups) * h * w]);
    const mu = mean(g, [2], true);
    const d = sub(g, mu);
    const y = reshape(mul(d, rsqrt(add(mean(square(d), [2], true), this.eps))), [n, c, h, w]);
    return add(mul(y, reshape(this.weight, [c, 1, 1])), reshape(this.bias, [c, 1, 1]));
  }
}

export interface BatchNormOptions extends NormOptions {
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
}
const BATCH_NORM_OPTIONS = optionNames<BatchNormOptions>()('eps', 'momentum');

/**
 * BatchNorm2d(channels): in training mode x is normalized with the batch's per-channel mean and
 * (biased) variance, and the running statistics move towards them; in eval mode the running ones
 * are used. The running statistics are buffers, not parameters (held in `stats`, which neither
 * parameters() nor the optimizers see).
 */
export class BatchNorm2d extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly stats: { mean: Tensor; var: Tensor };
  readonly eps: number;
  readonly momentum: number;
  constructor(
    readonly channels: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    const fn = 'BatchNorm2d(channels, opts)';
    checkOptions(opts, BATCH_NORM_OPTIONS, fn);
    posInt(fn, 'channels', channels);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw argError(fn, 'opts.momentum', 'a number in [0, 1]', opts.momentum, RangeError);
    this.weight = ones([channels]);
    this.bias = zeros([channels]);
    this.stats = { mean: keep(zeros([channels])), var: keep(ones([channels])) };
  }
  forward(x: Tensor): Tensor {
    const [n, c, h, w] = channels(`BatchNorm2d(${this.channels}).forward(x)`, x, this.channels);
    const col = (t: Tensor): Tensor => reshape(t, [c, 1, 1]);
    let mu: Tensor;
    let variance: Tensor;
    if (this.training) {
      mu = mean(x, [0, 2, 3]);
      variance = mean(square(sub(x, col(mu))), [0, 2, 3]);
      const count = n * h * w;
      if (count < 2)
        throw new Error(
          `tellus: BatchNorm2d(${c}).forward(x): training needs more than one value per channel, got x of shape [${x.shape.join(', ')}]`,
        );
      const m = this.momentum;
      const [oldMean, oldVar] = [this.stats.mean, this.stats.var];
      noGrad(() => {
        this.stats.mean = keep(add(mul(oldMean, 1 - m), mul(mu, m)));
        this.stats.var = keep(add(mul(oldVar, 1 - m), mul(variance, (m * count) / (count - 1))));
      });
      oldMean.dispose();
      oldVar.dispose();
    } else {
      [mu, variance] = [this.stats.mean, this.stats.var];
    }
    const y = mul(sub(x, col(mu)), col(rsqrt(add(variance, this.eps))));
    return add(mul(y, col(this.weight)), col(this.bias));
  }
}
