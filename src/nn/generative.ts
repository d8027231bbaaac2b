// Generative priors for images (issue 21, docs/generative-priors.md): a convolutional encoder and
// decoder, the VAE built from them (Kingma & Welling 2014) with its closed-form KL term and the
// reparameterization, and WGAN-GP's critic losses (Gulrajani et al. 2017): the gradient penalty
// differentiates the critic's input gradient, so its parameter gradient is a double backward
// through every conv and activation (conv2d's VJPs are themselves differentiable, autodiff/conv.ts).
// Images are [N, C, size, size]; size is a multiple of 2^depth.
import { argError, checkOptions, integerArg, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { checkTensor } from '../ops/emit.js';
import { grad } from '../autodiff/transforms.js';
import { add, exp, leakyRelu, mean, mul, reshape, sigmoid, slice, softplus, sqrt, square, sub, sum } from '../autodiff/ops.js';
import { Conv2d, Linear } from './layers.js';
import { Module, type NamedTensors } from './module.js';
import { upsampleBilinear2d } from './pool.js';

export interface ConvNetOptions {
  /** Image side (cells); a multiple of 2^depth. Default 64. */
  size?: number;
  /** Image channels. Default 1. */
  channels?: number;
  /** Channels after the first stride-2 conv; doubled at each further level. Default 16. */
  width?: number;
  /** Stride-2 levels. Default 3 (64 -> 8). */
  depth?: number;
  /** LeakyReLU slope. Default 0.2. */
  slope?: number;
  /** Initialization seed (each layer uses seed + 2k). Default: the global generator. */
  seed?: number;
}

const NET_OPTIONS = ['size', 'channels', 'width', 'depth', 'slope', 'seed'] as const;

interface NetShape {
  size: number;
  channels: number;
  width: number;
  depth: number;
  slope: number;
  seed: number | undefined;
  /** Channels and side at the bottleneck. */
  bottom: number;
  side: number;
}

function netShape(opts: ConvNetOptions, fn: string): NetShape {
  const size = integerArg(fn, 'opts.size', opts.size ?? 64, 2);
  const channels = integerArg(fn, 'opts.channels', opts.channels ?? 1, 1);
  const width = integerArg(fn, 'opts.width', opts.width ?? 16, 1);
  const depth = integerArg(fn, 'opts.depth', opts.depth ?? 3, 1);
  const slope = opts.slope ?? 0.2;
  if (typeof slope !== 'number' || !(slope >= 0 && slope < 1)) throw argError(fn, 'opts.slope', 'a number in [0, 1)', slope, RangeError);
  if (size % 2 ** depth !== 0) throw argError(fn, 'opts.size', `a multiple of 2^depth = ${2 ** depth}`, size, RangeError);
  if (opts.seed !== undefined) integerArg(fn, 'opts.seed', opts.seed, 0);
  return { size, channels, width, depth, slope, seed: opts.seed, bottom: width * 2 ** (depth - 1), side: size / 2 ** depth };
}

const seedAt = (seed: number | undefined, k: number): { seed?: number } => (seed === undefined ? {} : { seed: seed + 2 * k });

/**
 * Image -> features: `depth` convs 4x4, stride 2, padding 1 (halving the side, channels width,
 * 2 width, ...), each followed by LeakyReLU, then a Linear from the flattened bottleneck to
 * `features` outputs. The WGAN critic (features 1) and the VAE's encoder (2 x latent).
 */
export class ConvEncoder extends Module {
  readonly convs: Conv2d[] = [];
  head: Linear;
  private readonly net: NetShape;
  constructor(
    readonly features: number,
    opts: ConvNetOptions = {},
  ) {
    super();
    const fn = 'ConvEncoder(features, opts)';
    checkOptions(opts, optionNames<ConvNetOptions>()(...NET_OPTIONS), fn);
    integerArg(fn, 'features', features, 1);
    const s = (this.net = netShape(opts, fn));
    for (let k = 0, c = s.channels; k < s.depth; k++) {
      const o = s.width * 2 ** k;
      this.convs.push(new Conv2d(c, o, 4, { stride: 2, padding: 1, ...seedAt(s.seed, k) }));
      c = o;
    }
    this.head = new Linear(s.bottom * s.side * s.side, features, seedAt(s.seed, s.depth));
  }
  forward(x: Tensor): Tensor {
    const s = this.net;
    const what = 'ConvEncoder.forward(x)';
    checkTensor(x, what, 'x');
    if (x.rank !== 4 || x.shape[1] !== s.channels || x.shape[2] !== s.size || x.shape[3] !== s.size)
      throw argError(what, 'x', `a tensor [N, ${s.channels}, ${s.size}, ${s.size}]`, x, Error);
    const h = this.convs.reduce((a, c) => leakyRelu(c.forward(a), s.slope), x);
    return this.head.forward(reshape(h, [x.shape[0]!, -1]));
  }
}

/**
 * Latent [N, latent] -> image logits [N, channels, size, size]: a Linear to the bottleneck
 * (channels width 2^(depth-1), side size / 2^depth) and LeakyReLU, then per level a bilinear 2x
 * upsampling and a 3x3 conv halving the channels (LeakyReLU), and a last 3x3 conv to `channels`.
 * Upsampling then convolving avoids the checkerboard of strided transposed convs.
 */
export class ConvDecoder extends Module {
  stem: Linear;
  readonly convs: Conv2d[] = [];
  private readonly net: NetShape;
  constructor(
    readonly latent: number,
    opts: ConvNetOptions = {},
  ) {
    super();
    const fn = 'ConvDecoder(latent, opts)';
    checkOptions(opts, optionNames<ConvNetOptions>()(...NET_OPTIONS), fn);
    integerArg(fn, 'latent', latent, 1);
    const s = (this.net = netShape(opts, fn));
    this.stem = new Linear(latent, s.bottom * s.side * s.side, seedAt(s.seed, 0));
    for (let k = s.depth - 1; k >= 0; k--) {
      const c = s.width * 2 ** k;
      const o = k === 0 ? s.width : c / 2;
      this.convs.push(new Conv2d(c, o, 3, { padding: 1, ...seedAt(s.seed, s.depth - k) }));
    }
    this.convs.push(new Conv2d(s.width, s.channels, 3, { padding: 1, ...seedAt(s.seed, s.depth + 1) }));
  }
  forward(z: Tensor): Tensor {
    const s = this.net;
    const what = 'ConvDecoder.forward(z)';
    checkTensor(z, what, 'z');
    if (z.rank !== 2 || z.shape[1] !== this.latent) throw argError(what, 'z', `a tensor [N, ${this.latent}]`, z, Error);
    let h = reshape(leakyRelu(this.stem.forward(z), s.slope), [z.shape[0]!, s.bottom, s.side, s.side]);
    for (let k = 0; k < s.depth; k++) h = leakyRelu(this.convs[k]!.forward(upsampleBilinear2d(h)), s.slope);
    return this.convs[s.depth]!.forward(h);
  }
}

export interface VAEOptions extends ConvNetOptions {
  /** Latent dimension. Default 16. */
  latent?: number;
}

/** A convolutional VAE: encoder -> (mu, log sigma^2), z = mu + sigma eps, decoder -> logits. */
export class VAE extends Module {
  encoder: ConvEncoder;
  decoder: ConvDecoder;
  readonly latent: number;
  constructor(opts: VAEOptions = {}) {
    super();
    const fn = 'VAE(opts)';
    checkOptions(opts, optionNames<VAEOptions>()(...NET_OPTIONS, 'latent'), fn);
    const { latent: l, seed, ...net } = opts;
    netShape(opts, fn);
    this.latent = integerArg(fn, 'opts.latent', l ?? 16, 1);
    this.encoder = new ConvEncoder(2 * this.latent, { ...net, ...(seed === undefined ? {} : { seed }) });
    this.decoder = new ConvDecoder(this.latent, { ...net, ...(seed === undefined ? {} : { seed: seed + 1000 }) });
  }
  /** x -> [mu, logVar], each [N, latent]. */
  encode(x: Tensor): [Tensor, Tensor] {
    const h = this.encoder.forward(x);
    const l = this.latent;
    return [slice(h, [null, [0, l]]), slice(h, [null, [l, 2 * l]])];
  }
  /** z -> image in (0, 1) (the sigmoid of the decoder's logits). */
  decode(z: Tensor): Tensor {
    return sigmoid(this.decoder.forward(z));
  }
  /** The reconstruction at the posterior mean (no sampling). */
  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x)[0]);
  }
}

/** KL(N(mu, diag e^logVar) || N(0, I)) per sample: -1/2 Σ_j (1 + logVar - mu² - e^logVar), shape [N]. */
export function gaussianKl(mu: Tensor, logVar: Tensor): Tensor {
  const what = 'gaussianKl(mu, logVar)';
  checkTensor(mu, what, 'mu');
  checkTensor(logVar, what, 'logVar');
  if (mu.rank !== 2) throw argError(what, 'mu', 'a tensor [N, latent]', mu, Error);
  if (logVar.rank !== 2 || logVar.shape[0] !== mu.shape[0] || logVar.shape[1] !== mu.shape[1])
    throw argError(what, 'logVar', `a tensor of mu's shape [${mu.shape.join(', ')}]`, logVar, Error);
  return mul(sum(sub(add(square(mu), exp(logVar)), add(logVar, 1)), [1]), 0.5);
}

/** z = mu + e^(logVar / 2) eps: a sample of N(mu, e^logVar) differentiable in mu and logVar. */
export function reparameterize(mu: Tensor, logVar: Tensor, eps: Tensor): Tensor {
  const what = 'reparameterize(mu, logVar, eps)';
  for (const [k, t] of [
    ['logVar', logVar],
    ['eps', eps],
  ] as const) {
    checkTensor(t, what, k);
    if (t.rank !== mu.rank || t.shape.some((d, i) => d !== mu.shape[i]))
      throw argError(what, k, `a tensor of mu's shape [${mu.shape.join(', ')}]`, t, Error);
  }
  return add(mu, mul(exp(mul(logVar, 0.5)), eps));
}

/** Bernoulli negative log-likelihood of targets in [0, 1] under logits, summed per sample: [N]. */
export function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  const what = 'bceWithLogits(logits, target)';
  checkTensor(logits, what, 'logits');
  checkTensor(target, what, 'target');
  if (target.rank !== logits.rank || target.shape.some((d, i) => d !== logits.shape[i]))
    throw argError(what, 'target', `a tensor of the logits' shape [${logits.shape.join(', ')}]`, target, Error);
  // -[y log s(l) + (1 - y) log(1 - s(l))] = softplus(l) - y l, stable for any l.
  const axes = logits.shape.map((_, i) => i).slice(1);
  return sum(sub(softplus(logits), mul(target, logits)), axes);
}

export interface ElboOptions {
  /** Weight of the KL term (beta-VAE; Higgins et al. 2017). Default 1. */
  beta?: number;
  /** Reconstruction likelihood: 'bernoulli' (binary images; default) or 'gaussian' (unit variance: 1/2 ||x - x'||²). */
  likelihood?: 'bernoulli' | 'gaussian';
}

export interface ElboTerms {
  /** Mean over the batch of reconstruction + beta KL (the negative ELBO when beta = 1). */
  loss: Tensor;
  recon: Tensor;
  kl: Tensor;
}

const ELBO_OPTIONS = optionNames<ElboOptions>()('beta', 'likelihood');

/**
 * The negative ELBO of `vae` with parameters `params` (vae.parameters() names; missing names keep
 * the module's own) on a batch x, with the reparameterization noise eps [N, latent] given, so the
 * loss is a deterministic function that grad and the Taylor test can differentiate.
 */
export function vaeLoss(vae: VAE, params: NamedTensors, x: Tensor, eps: Tensor, opts: ElboOptions = {}): ElboTerms {
  const what = 'vaeLoss(vae, params, x, eps, opts)';
  checkOptions(opts, ELBO_OPTIONS, what);
  if (!(vae instanceof VAE)) throw argError(what, 'vae', 'a VAE', vae);
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta))
    throw argError(what, 'opts.beta', 'a finite number >= 0', beta, RangeError);
  const likelihood = opts.likelihood ?? 'bernoulli';
  if (likelihood !== 'bernoulli' && likelihood !== 'gaussian')
    throw argError(what, 'opts.likelihood', "'bernoulli' or 'gaussian'", likelihood);
  const sub_ = (prefix: string): NamedTensors =>
    Object.fromEntries(
      Object.entries(params)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, t]) => [k.slice(prefix.length), t]),
    );
  const h = vae.encoder.call(sub_('encoder.'), x);
  const l = vae.latent;
  const [mu, logVar] = [slice(h, [null, [0, l]]), slice(h, [null, [l, 2 * l]])];
  const logits = vae.decoder.call(sub_('decoder.'), reparameterize(mu, logVar, eps));
  const axes = x.shape.map((_, i) => i).slice(1);
  const recon = mean(likelihood === 'bernoulli' ? bceWithLogits(logits, x) : mul(sum(square(sub(sigmoid(logits), x)), axes), 0.5));
  const kl = mean(gaussianKl(mu, logVar));
  return { loss: add(recon, mul(kl, beta)), recon, kl };
}

/**
 * WGAN-GP's gradient penalty: mean_i (||∇_x D(x̂_i)||₂ - 1)² at x̂_i = t_i real_i + (1 - t_i) fake_i,
 * with t [N] (uniform in [0, 1], given so the penalty is deterministic). `critic(x)` returns [N, 1]
 * or [N]; the penalty is differentiable in whatever the critic closes over (its parameters).
 */
export function gradientPenalty(critic: (x: Tensor) => Tensor, real: Tensor, fake: Tensor, t: Tensor): Tensor {
  const what = 'gradientPenalty(critic, real, fake, t)';
  if (typeof critic !== 'function') throw argError(what, 'critic', 'a function x => scores', critic);
  checkTensor(real, what, 'real');
  checkTensor(fake, what, 'fake');
  checkTensor(t, what, 't');
  if (fake.rank !== real.rank || fake.shape.some((d, i) => d !== real.shape[i]))
    throw argError(what, 'fake', `a tensor of real's shape [${real.shape.join(', ')}]`, fake, Error);
  if (t.rank !== 1 || t.shape[0] !== real.shape[0]) throw argError(what, 't', `a tensor [${real.shape[0]}]`, t, Error);
  const tb = reshape(t, [real.shape[0]!, ...real.shape.slice(1).map(() => 1)]);
  const xHat = add(fake, mul(tb, sub(real, fake)));
  // Σ_i D(x̂_i): each sample's input gradient is its own, as the critic has no cross-sample layers.
  const gx = grad((x: Tensor) => sum(critic(x)))(xHat) as Tensor;
  const axes = real.shape.map((_, i) => i).slice(1);
  // The 1e-12 keeps the norm's derivative finite at a zero gradient.
  const norm = sqrt(add(sum(square(gx), axes), 1e-12));
  return mean(square(sub(norm, 1)));
}

/** The WGAN-GP critic loss mean D(fake) - mean D(real) + lambda GP (Gulrajani et al.: lambda 10). */
export function criticLoss(critic: (x: Tensor) => Tensor, real: Tensor, fake: Tensor, t: Tensor, lambda = 10): Tensor {
  if (typeof lambda !== 'number' || !(lambda >= 0))
    throw argError('criticLoss(critic, real, fake, t, lambda)', 'lambda', 'a number >= 0', lambda, RangeError);
  const w = sub(mean(critic(fake)), mean(critic(real)));
  return lambda === 0 ? w : add(w, mul(gradientPenalty(critic, real, fake, t), lambda));
}
