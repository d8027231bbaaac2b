// Unrolled proximal gradient (a learned iterative scheme): K iterations of
//   z = x - alpha_k A^T (A x - b),   x = prox_k(z)
// with prox_k a small residual CNN (one per iteration, or one shared) and alpha_k > 0 learned, for
// any linear operator given as (A, AT). Trained end to end through A and AT by the tape; each
// iteration can be a tl.checkpoint segment, so the backward pass keeps one model per iteration
// instead of every activation of every prox network.
import { type Tensor, tidy } from '../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { zeros } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, gelu, mul, relu, slice, softplus, sub } from '../autodiff/ops.js';
import { checkpoint } from '../autodiff/transforms.js';
import { Conv2d, Module, type NamedTensors } from '../nn/index.js';
import { type Applications, type LinearOperator, checkOperator } from './operators.js';

export interface ProxCNNOptions {
  /** Hidden channels. Default 16. */
  channels?: number;
  /** Convolutions (>= 2): 1 -> channels -> ... -> channels -> 1, ReLU between. Default 3. */
  layers?: number;
  /** Odd kernel size ('same' zero padding). Default 3. */
  kernelSize?: number;
  /** Scale of the last convolution's initial weights and bias, so prox starts near the identity. Default 0.1. */
  initScale?: number;
  /** Nonlinearity between the convolutions. Default 'relu'; 'gelu' is smooth (no kinks for Taylor tests). */
  activation?: 'relu' | 'gelu';
  /** Seed of the initialization (layer i uses seed + 2 i). Default: the global generator. */
  seed?: number;
}
const PROX_OPTIONS = optionNames<ProxCNNOptions>()('channels', 'layers', 'kernelSize', 'initScale', 'activation', 'seed');

const intAtLeast = (v: unknown, min: number, what: string, arg: string): number => {
  if (!Number.isInteger(v) || (v as number) < min) throw argError(what, arg, `an integer >= ${min}`, v, RangeError);
  return v as number;
};

/** A residual CNN on [N, 1, H, W]: x + f(x), f a stack of 'same' convolutions with ReLU between. */
export class ProxCNN extends Module {
  convs: Conv2d[];
  private readonly act: (x: Tensor) => Tensor;
  constructor(opts: ProxCNNOptions = {}) {
    super();
    const what = 'ProxCNN(opts)';
    checkOptions(opts, PROX_OPTIONS, what);
    const c = intAtLeast(opts.channels ?? 16, 1, what, 'opts.channels');
    const layers = intAtLeast(opts.layers ?? 3, 2, what, 'opts.layers');
    const k = intAtLeast(opts.kernelSize ?? 3, 1, what, 'opts.kernelSize');
    if (k % 2 === 0) throw argError(what, 'opts.kernelSize', 'an odd integer', k, RangeError);
    const scale = opts.initScale ?? 0.1;
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0)
      throw argError(what, 'opts.initScale', 'a finite number >= 0', scale, RangeError);
    if (opts.seed !== undefined) intAtLeast(opts.seed, 0, what, 'opts.seed');
    const act = opts.activation ?? 'relu';
    if (act !== 'relu' && act !== 'gelu') throw argError(what, 'opts.activation', "'relu' or 'gelu'", act);
    this.act = act === 'relu' ? relu : gelu;
    this.convs = Array.from({ length: layers }, (_, i) => {
      const seed = opts.seed === undefined ? {} : { seed: opts.seed + 2 * i };
      return new Conv2d(i === 0 ? 1 : c, i === layers - 1 ? 1 : c, k, { padding: (k - 1) / 2, ...seed });
    });
    const last = this.convs[layers - 1]!;
    const w = mul(last.weight, scale);
    const b = mul(last.bias!, scale);
    last.weight.dispose();
    last.bias!.dispose();
    last.weight = w;
    last.bias = b;
  }
  forward(x: Tensor): Tensor {
    checkTensor(x, 'ProxCNN.forward(x)', 'x');
    if (x.dtype !== 'float32' || x.rank !== 4 || x.shape[1] !== 1)
      throw argError('ProxCNN.forward(x)', 'x', 'a float32 tensor [N, 1, H, W]', x);
    return tidy(() => {
      let h = x;
      this.convs.forEach((conv, i) => {
        h = conv.forward(h);
        if (i < this.convs.length - 1) h = this.act(h);
      });
      return add(x, h);
    });
  }
}

export interface UnrolledPGOptions extends Omit<ProxCNNOptions, 'seed'> {
  /** Number of unrolled iterations K. */
  iterations: number;
  /** Initial step alpha_k for every k; 1 / ||A||^2 (operatorNormSquared) is the classical choice. */
  step: number;
  /** One prox network for all iterations (true) or one per iteration (false, default). */
  shared?: boolean;
  /** Run each iteration as a tl.checkpoint segment: recomputed in the backward pass. Default false. */
  checkpoint?: boolean;
  /** Seed of the prox networks' initialization (network k uses seed + 100 k). Default: the global generator. */
  seed?: number;
}
const UNROLLED_OPTIONS = optionNames<UnrolledPGOptions>()(
  'iterations',
  'step',
  'shared',
  'checkpoint',
  'channels',
  'layers',
  'kernelSize',
  'initScale',
  'activation',
  'seed',
);

/**
 * The unrolled scheme as a Module: forward(b) (or forward(b, x0)) runs the K iterations and returns
 * x_K [N, 1, H, W]. Parameters: `rho` [K] (alpha_k = step * softplus(rho_k) / ln 2, so alpha_k > 0
 * and equals `step` at rho = 0) and the prox networks `prox.k.*`. From x0 = 0 the first iteration
 * needs no A: a forward pass applies AT K times and A K - 1 times.
 */
export class UnrolledPG extends Module {
  rho: Tensor;
  prox: ProxCNN[];
  readonly iterations: number;
  readonly step: number;
  readonly shared: boolean;
  readonly useCheckpoint: boolean;
  private readonly op: LinearOperator;
  constructor(op: LinearOperator, opts: UnrolledPGOptions) {
    super();
    const what = 'UnrolledPG(op, opts)';
    this.op = checkOperator(op, what);
    checkOptions(opts, UNROLLED_OPTIONS, what);
    if (opts === undefined) throw argError(what, 'opts', 'an object with iterations and step', opts);
    this.iterations = intAtLeast(opts.iterations, 1, what, 'opts.iterations');
    const step = opts.step;
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0)
      throw argError(what, 'opts.step', 'a finite number > 0', step, RangeError);
    this.step = step;
    this.shared = opts.shared ?? false;
    this.useCheckpoint = opts.checkpoint ?? false;
    for (const k of ['shared', 'checkpoint'] as const)
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw argError(what, `opts.${k}`, 'a boolean', opts[k]);
    if (opts.seed !== undefined) intAtLeast(opts.seed, 0, what, 'opts.seed');
    const { channels, layers, kernelSize, initScale, activation } = opts;
    const proxOpts = Object.fromEntries(
      Object.entries({ channels, layers, kernelSize, initScale, activation }).filter(([, v]) => v !== undefined),
    );
    this.prox = Array.from(
      { length: this.shared ? 1 : this.iterations },
      (_, k) => new ProxCNN({ ...proxOpts, ...(opts.seed === undefined ? {} : { seed: opts.seed + 100 * k }) }),
    );
    this.rho = zeros([this.iterations]);
  }

  /** The steps alpha_k, [K] (differentiable in rho). */
  alphas(rho: Tensor = this.rho): Tensor {
    return mul(softplus(rho), this.step / Math.LN2);
  }

  /** Applications of A and AT in one forward pass (x0 = 0 saves one A); checkpointing repeats them in the backward pass. */
  applications(fromZero = true): Applications {
    const k = this.iterations;
    const a = fromZero ? k - 1 : k;
    return { A: a, AT: k, total: a + k };
  }

  forward(b: Tensor, x0?: Tensor): Tensor {
    checkTensor(b, 'UnrolledPG.forward(b, x0)', 'b');
    if (x0 !== undefined) checkTensor(x0, 'UnrolledPG.forward(b, x0)', 'x0');
    const { A, AT } = this.op;
    const names = this.prox.map((p) => p.namedParameters());
    // One iteration as a function of tensors only (what checkpoint needs): x (absent when x0 = 0), b, rho, prox_k's parameters.
    const iterate = (k: number, fromZero: boolean) => {
      const j = this.shared ? 0 : k;
      return (...xs: Tensor[]): Tensor => {
        const [x, rest] = fromZero ? [null, xs] : [xs[0]!, xs.slice(1)];
        const [bb, rho, ...pt] = rest as [Tensor, Tensor, ...Tensor[]];
        const params: NamedTensors = {};
        names[j]!.forEach(([name], i) => (params[name] = pt[i]!));
        const alpha = this.alphas(slice(rho, [[k, k + 1]]));
        const z = x === null ? mul(AT(bb), alpha) : sub(x, mul(AT(sub(A(x), bb)), alpha));
        return this.prox[j]!.call(params, z);
      };
    };
    let x: Tensor | undefined = x0;
    for (let k = 0; k < this.iterations; k++) {
      const fromZero = x === undefined;
      const fn = iterate(k, fromZero);
      const run = this.useCheckpoint ? checkpoint(fn) : fn;
      const pt = names[this.shared ? 0 : k]!.map(([, t]) => t);
      const next: Tensor = run(...(fromZero ? [] : [x!]), b, this.rho, ...pt);
      if (x !== undefined && x !== x0) x.dispose();
      x = next;
    }
    return x!;
  }
}
