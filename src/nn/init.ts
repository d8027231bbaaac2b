// Weight initialization from the seeded generator (tl.seed / { seed }): Kaiming (He) and Xavier
// (Glorot), uniform and normal, with PyTorch's fan and gain conventions: for a weight of shape
// [out, in, ...kernel], fanIn = in * prod(kernel) and fanOut = out * prod(kernel).
import { argError, argErrorText, checkOptions, describeValue, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { rand, randn } from '../ops/creation.js';

export type Nonlinearity = 'linear' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); `param` is leakyRelu's slope. */
export function calculateGain(nonlinearity: Nonlinearity, param = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
      return Math.sqrt(2 / (1 + param * param));
    case 'selu':
      return 3 / 4;
    default:
      throw argError(
        'calculateGain(nonlinearity, param)',
        'nonlinearity',
        "one of 'linear', 'conv', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'selu'",
        nonlinearity,
        Error,
      );
  }
}

/** [fanIn, fanOut] of a weight of shape [out, in, ...kernel]. */
export function fans(shape: readonly number[], fn = 'fans(shape)'): [number, number] {
  if (!Array.isArray(shape) || shape.length < 2 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    const got = Array.isArray(shape) ? fmt(shape) : describeValue(shape);
    throw argErrorText(fn, 'shape', 'a shape of rank >= 2 with positive sizes ([out, in, ...kernel])', got, Error);
  }
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1]! * receptive, shape[0]! * receptive];
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (0 for ReLU). Default 0. */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or of the backward pass ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** Default 'leakyRelu' (with slope a), as in PyTorch. */
  nonlinearity?: Nonlinearity;
  /** Seed of the draw; default the global generator. */
  seed?: number;
}

function kaimingStd(shape: readonly number[], o: KaimingOptions, what: string): number {
  const [fanIn, fanOut] = fans(shape, what);
  const mode = o.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw argError(what, 'mode', "'fanIn' or 'fanOut'", mode, Error);
  const gain = calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  return gain / Math.sqrt(mode === 'fanIn' ? fanIn : fanOut);
}

const KAIMING_OPTIONS = optionNames<KaimingOptions>()('a', 'mode', 'nonlinearity', 'seed');
const XAVIER_OPTIONS = optionNames<XavierOptions>()('gain', 'seed');

const seedOf = (o: { seed?: number }): { seed?: number } => (o.seed === undefined ? {} : { seed: o.seed });

/** U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform(shape: readonly number[], opts: KaimingOptions = {}): Tensor {
  checkOptions(opts, KAIMING_OPTIONS, 'kaimingUniform(shape, opts)');
  const b = Math.sqrt(3) * kaimingStd(shape, opts, 'kaimingUniform(shape, opts)');
  return rand(shape, { low: -b, high: b, ...seedOf(opts) });
}

/** N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal(shape: readonly number[], opts: KaimingOptions = {}): Tensor {
  checkOptions(opts, KAIMING_OPTIONS, 'kaimingNormal(shape, opts)');
  return randn(shape, { std: kaimingStd(shape, opts, 'kaimingNormal(shape, opts)'), ...seedOf(opts) });
}

export interface XavierOptions {
  /** Default 1. */
  gain?: number;
  seed?: number;
}

/** U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: readonly number[], opts: XavierOptions = {}): Tensor {
  checkOptions(opts, XAVIER_OPTIONS, 'xavierUniform(shape, opts)');
  const [fanIn, fanOut] = fans(shape, 'xavierUniform(shape, opts)');
  const b = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return rand(shape, { low: -b, high: b, ...seedOf(opts) });
}

/** N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(shape: readonly number[], opts: XavierOptions = {}): Tensor {
  checkOptions(opts, XAVIER_OPTIONS, 'xavierNormal(shape, opts)');
  const [fanIn, fanOut] = fans(shape, 'xavierNormal(shape, opts)');
  return randn(shape, { std: (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), ...seedOf(opts) });
}
