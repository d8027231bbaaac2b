// Layers: Linear, Conv2d (and the pointwise Conv1x1), activations and Dropout. Everything is built
// from differentiable public ops, so gradients with respect to inputs and weights come from the
// tape. conv2d runs a direct kernel per direction (src/autodiff/conv.ts), or im2col on request (pad,
// one strided slice per kernel tap, stack, one batched matmul); a pointwise conv is one matmul.
import { argError, argErrorText, checkOptions, describeValue, optionNames } from '../graph/options.js';
import { type Tensor, tidy } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { rand } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import {
  add,
  cast,
  gelu,
  ge,
  leakyRelu,
  matmul,
  mul,
  pad,
  relu,
  reshape,
  sigmoid,
  slice,
  stack,
  tanh,
  transpose,
} from '../autodiff/ops.js';
import { conv2dDirect } from '../autodiff/conv.js';
import { kaimingUniform } from './init.js';
import { Module } from './module.js';

type Pair = number | readonly [number, number];

function pair(v: Pair | undefined, dflt: number, min: number, fn: string, arg: string): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== 'number' && v !== undefined) throw argError(fn, arg, 'an integer or a pair of integers', v);
  if (p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < min))
    throw argErrorText(fn, arg, `an integer >= ${min} or a pair of them`, Array.isArray(v) ? JSON.stringify(v) : describeValue(v));
  return [p[0], p[1]];
}

const posInt = (v: unknown, fn: string, arg: string): number => {
  if (!Number.isInteger(v) || (v as number) < 1) throw argError(fn, arg, 'an integer >= 1', v);
  return v as number;
};

const seedAt = (seed: number | undefined, k: number): { seed?: number } => (seed === undefined ? {} : { seed: seed + k });

export interface LinearOptions {
  /** Add a learned bias. Default true. */
  bias?: boolean;
  /** Seed of the initialization (weight: seed, bias: seed + 1); default the global generator. */
  seed?: number;
}

/** y = x W^T + b over the last axis; weight [out, in], bias [out]. PyTorch's initialization: U(+-1/sqrt(in)). */
const LINEAR_OPTIONS = optionNames<LinearOptions>()('bias', 'seed');

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    const fn = 'Linear(inFeatures, outFeatures, opts)';
    checkOptions(opts, LINEAR_OPTIONS, fn);
    posInt(inFeatures, fn, 'inFeatures');
    posInt(outFeatures, fn, 'outFeatures');
    // kaiming_uniform with a = sqrt(5): bound 1/sqrt(fanIn), as torch.nn.Linear.
    this.weight = kaimingUniform([outFeatures, inFeatures], { a: Math.sqrt(5), ...seedAt(opts.seed, 0) });
    const b = 1 / Math.sqrt(inFeatures);
    this.bias = (opts.bias ?? true) ? rand([outFeatures], { low: -b, high: b, ...seedAt(opts.seed, 1) }) : null;
  }
  forward(x: Tensor): Tensor {
    // Checked here so the message names the call the user made, not the matmul inside it.
    const what = `Linear(${this.inFeatures}, ${this.outFeatures}).forward(x)`;
    checkTensor(x, what, 'x');
    if (x.dtype !== 'float32' || x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures)
      throw argError(what, 'x', `a float32 tensor of shape [..., ${this.inFeatures}]`, x);
    const y = matmul(x, transpose(this.weight));
    return this.bias ? add(y, this.bias) : y;
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /**
   * 'direct' (default): one kernel for the forward map and one for each gradient (shaders/conv.wgsl);
   * 'im2col': one strided slice per kernel tap, stack and a batched matmul, in differentiable ops.
   * Pointwise convolutions (1x1, stride 1, no padding) are one matmul either way.
   */
  method?: 'direct' | 'im2col';
}

/**
 * 2-D cross-correlation (PyTorch's conv2d) of x [N, C, H, W] with weight [O, C, kh, kw] and an
 * optional bias [O]; zero padding. Output [N, O, Ho, Wo], Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1.
 */
const CONV2D_OPTIONS = optionNames<Conv2dOptions>()('stride', 'padding', 'dilation', 'method');

export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const what = 'conv2d(x, weight, bias, opts)';
  checkOptions(opts, CONV2D_OPTIONS, what);
  checkTensor(x, what, 'x');
  checkTensor(weight, what, 'weight');
  if (x.rank !== 4) throw argError(what, 'x', 'a tensor [N, C, H, W]', x, Error);
  if (weight.rank !== 4) throw argError(what, 'weight', 'a tensor [out, in, kh, kw]', weight, Error);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, ci, kh, kw] = weight.shape as [number, number, number, number];
  if (ci !== c)
    throw new Error(`tellus: ${what}: x has ${c} channels (shape ${fmt(x.shape)}) but weight expects ${ci} (shape ${fmt(weight.shape)})`);
  if (bias !== null) {
    checkTensor(bias, what, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== o)
      throw argError(what, 'bias', `a tensor of shape [${o}] (one per output channel)`, bias, Error);
  }
  const [sh, sw] = pair(opts.stride, 1, 1, what, 'stride');
  const [ph, pw] = pair(opts.padding, 0, 0, what, 'padding');
  const [dh, dw] = pair(opts.dilation, 1, 1, what, 'dilation');
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (ho < 1 || wo < 1) {
    throw new Error(
      `tellus: ${what}: the input ${h}x${w} padded by ${ph}x${pw} is smaller than the dilated kernel ${dh * (kh - 1) + 1}x${dw * (kw - 1) + 1}`,
    );
  }
  const method = opts.method ?? 'direct';
  if (method !== 'direct' && method !== 'im2col') throw argError(what, 'opts.method', "'direct' or 'im2col'", method);
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && ph === 0 && pw === 0;
  if (method === 'direct' && !pointwise) {
    const y = conv2dDirect(x, weight, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] });
    if (!bias) return y;
    const out = tidy(() => add(y, reshape(bias, [o, 1, 1])));
    y.dispose();
    return out;
  }
  return tidy(() => {
    const xp =
      ph > 0 || pw > 0
        ? pad(x, [
            [0, 0],
            [0, 0],
            [ph, ph],
            [pw, pw],
          ])
        : x;
    const taps: Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const full = i === 0 && j === 0 && sh === 1 && sw === 1 && ho === xp.shape[2] && wo === xp.shape[3];
        taps.push(full ? xp : slice(xp, [null, null, [i * dh, i * dh + sh * (ho - 1) + 1, sh], [j * dw, j * dw + sw * (wo - 1) + 1, sw]]));
      }
    }
    // [N, C, K, Ho, Wo] -> [N, C K, Ho Wo]; the weight's [O, C, kh, kw] flattens in the same order.
    const cols = taps.length === 1 ? reshape(taps[0]!, [n, c, ho * wo]) : reshape(stack(taps, 2), [n, c * kh * kw, ho * wo]);
    const y = reshape(matmul(reshape(weight, [o, c * kh * kw]), cols), [n, o, ho, wo]);
    return bias ? add(y, reshape(bias, [o, 1, 1])) : y;
  });
}

export interface Conv2dModuleOptions extends Conv2dOptions {
  bias?: boolean;
  /** Seed of the initialization (weight: seed, bias: seed + 1). */
  seed?: number;
}

/** Conv2d(in, out, kernel, { stride, padding, dilation, bias }) on NCHW input; PyTorch's initialization. */
const CONV2D_MODULE_OPTIONS = optionNames<Conv2dModuleOptions>()('stride', 'padding', 'dilation', 'method', 'bias', 'seed');

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  private readonly conv: Conv2dOptions;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dModuleOptions = {},
  ) {
    super();
    const fn = 'Conv2d(inChannels, outChannels, kernelSize, opts)';
    checkOptions(opts, CONV2D_MODULE_OPTIONS, fn);
    posInt(inChannels, fn, 'inChannels');
    posInt(outChannels, fn, 'outChannels');
    this.kernelSize = pair(kernelSize, 1, 1, fn, 'kernelSize');
    this.conv = {
      stride: pair(opts.stride, 1, 1, fn, 'stride'),
      padding: pair(opts.padding, 0, 0, fn, 'padding'),
      dilation: pair(opts.dilation, 1, 1, fn, 'dilation'),
      ...(opts.method === undefined ? {} : { method: opts.method }),
    };
    const fanIn = inChannels * this.kernelSize[0] * this.kernelSize[1];
    this.weight = kaimingUniform([outChannels, inChannels, ...this.kernelSize], { a: Math.sqrt(5), ...seedAt(opts.seed, 0) });
    const b = 1 / Math.sqrt(fanIn);
    this.bias = (opts.bias ?? true) ? rand([outChannels], { low: -b, high: b, ...seedAt(opts.seed, 1) }) : null;
  }
  forward(x: Tensor): Tensor {
    const [kh, kw] = this.kernelSize;
    const what = `Conv2d(${this.inChannels}, ${this.outChannels}, [${kh}, ${kw}]).forward(x)`;
    checkTensor(x, what, 'x');
    if (x.dtype !== 'float32' || x.rank !== 4 || x.shape[1] !== this.inChannels)
      throw argError(what, 'x', `a float32 tensor [N, ${this.inChannels}, H, W]`, x);
    return conv2d(x, this.weight, this.bias, this.conv);
  }
}

/** Pointwise convolution: Conv2d with a 1x1 kernel (a Linear over the channel axis at every pixel). */
export class Conv1x1 extends Conv2d {
  constructor(inChannels: number, outChannels: number, opts: { bias?: boolean; seed?: number } = {}) {
    super(inChannels, outChannels, 1, opts);
  }
}

/** An activation as a module (no parameters). */
class Activation extends Module {
  constructor(private readonly fn: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}
export class ReLU extends Activation {
  constructor() {
    super(relu);
  }
}
export class GELU extends Activation {
  constructor() {
    super(gelu);
  }
}
export class Tanh extends Activation {
  constructor() {
    super(tanh);
  }
}
export class Sigmoid extends Activation {
  constructor() {
    super(sigmoid);
  }
}
export class LeakyReLU extends Activation {
  constructor(alpha = 0.01) {
    super((x) => leakyRelu(x, alpha));
  }
}

export interface DropoutOptions {
  /** Keep dropping in eval mode (Monte Carlo dropout for uncertainty estimates). Default false. */
  mcDropout?: boolean;
  /** Seed for the masks: call k uses seed + k. Default: the global generator (tl.seed). */
  seed?: number;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p) (inverted dropout), in
 * training mode, or always with { mcDropout: true }; otherwise the identity.
 */
const DROPOUT_OPTIONS = optionNames<DropoutOptions>()('mcDropout', 'seed');

export class Dropout extends Module {
  readonly mcDropout: boolean;
  private calls = 0;
  constructor(
    readonly p = 0.5,
    private readonly opts: DropoutOptions = {},
  ) {
    super();
    const fn = 'Dropout(p, opts)';
    checkOptions(opts, DROPOUT_OPTIONS, fn);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw argError(fn, 'p', 'a number in [0, 1]', p, RangeError);
    if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0))
      throw argError(fn, 'seed', 'an integer >= 0', opts.seed);
    this.mcDropout = opts.mcDropout ?? false;
  }
  /** Whether forward drops (training, or MC dropout). */
  get active(): boolean {
    return this.training || this.mcDropout;
  }
  forward(x: Tensor): Tensor {
    checkTensor(x, 'Dropout.forward(x)', 'x');
    if (!this.active || this.p === 0) return x;
    if (this.p === 1) return mul(x, 0);
    const p = this.p;
    const seed = this.opts.seed === undefined ? {} : { seed: this.opts.seed + this.calls++ };
    const mask = tidy(() => mul(cast(ge(rand(x.shape, seed), p), 'float32'), 1 / (1 - p)));
    return mul(x, mask);
  }
}
