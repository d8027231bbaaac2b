// The network of a PINN: inputs mapped from the domain box to [-1, 1], optional Fourier features
// (one or several scales: gamma(y) = [cos(2 pi y B_s), sin(2 pi y B_s)] with B_s ~ N(0, sigma_s^2),
// drawn on the host from a seeded stream, fixed, not trained), then an MLP (Glorot-normal weights,
// zero biases, tanh or sin). Everything is written over Jets (./jet.ts), so the same code gives
// the plain forward pass (a jet tracking no axis) and the derivatives a residual needs.
import type { Tensor } from '../../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { zeros } from '../../ops/creation.js';
import { xavierNormal } from '../../nn/init.js';
import { Module, type NamedTensors } from '../../nn/module.js';
import { Jet } from './jet.js';
import { Rng } from './sampling.js';
import { tensorConst, transpose } from './ops.js';

export interface FourierOptions {
  /** Features per scale (each gives a cos and a sin column). */
  features: number;
  /** Standard deviations of B, one per scale (several scales: multiscale features). In cycles per unit of the normalized input. */
  scales: readonly number[];
  /** Seed of B. Default 0. */
  seed?: number;
  /** Also pass the normalized input itself to the MLP. Default true. */
  keepInput?: boolean;
}
const FOURIER_OPTIONS = optionNames<FourierOptions>()('features', 'scales', 'seed', 'keepInput');

export interface FieldNetOptions {
  /** Input dimension (the domain's). */
  inputs: number;
  /** Hidden widths, e.g. [32, 32, 32]. */
  hidden: readonly number[];
  /** Outputs. Default 1. */
  outputs?: number;
  /** 'tanh' (default) or 'sin'. */
  activation?: 'tanh' | 'sin';
  /** Box mapped onto [-1, 1]^d (typically the domain's lo and hi). Default [-1, 1]^d (no change). */
  lo?: readonly number[];
  hi?: readonly number[];
  fourier?: FourierOptions;
  /** Weight seed: layer k uses seed + k. Default: the global generator. */
  seed?: number;
}
const NET_OPTIONS = optionNames<FieldNetOptions>()('inputs', 'hidden', 'outputs', 'activation', 'lo', 'hi', 'fourier', 'seed');

/** One dense layer: y = x W + b, W [in, out] (the layout the jets multiply by). */
export class Dense extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(inFeatures: number, outFeatures: number, seed?: number) {
    super();
    // Glorot normal on [out, in] fans, stored transposed as [in, out].
    const w = xavierNormal([outFeatures, inFeatures], seed === undefined ? {} : { seed });
    this.weight = transpose(w).contiguous();
    w.dispose();
    this.bias = zeros([outFeatures]);
  }
  forward(x: Tensor): Tensor {
    return Jet.constant(x).linear(this.weight, this.bias).v;
  }
}

export class FieldNet extends Module {
  layers: Dense[];
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: 'tanh' | 'sin';
  /** Fixed (untrained) data: input shift/scale and Fourier matrices, kept out of parameters(). */
  readonly fixed: { shift: number[]; scale: number[]; B: Float64Array[]; Bt: Tensor[]; features: number; keepInput: boolean };

  constructor(opts: FieldNetOptions) {
    super();
    const what = 'FieldNet(opts)';
    checkOptions(opts, NET_OPTIONS, what);
    const { inputs, hidden } = opts;
    if (!Number.isInteger(inputs) || inputs < 1) throw argError(what, 'inputs', 'an integer >= 1', inputs, RangeError);
    if (!Array.isArray(hidden) || hidden.length < 1 || hidden.some((h) => !Number.isInteger(h) || h < 1))
      throw argError(what, 'hidden', 'a non-empty array of integers >= 1', hidden, RangeError);
    const outputs = opts.outputs ?? 1;
    if (!Number.isInteger(outputs) || outputs < 1) throw argError(what, 'outputs', 'an integer >= 1', outputs, RangeError);
    const act = opts.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'sin') throw argError(what, 'activation', "'tanh' or 'sin'", act, Error);
    const lo = opts.lo ?? Array<number>(inputs).fill(-1);
    const hi = opts.hi ?? Array<number>(inputs).fill(1);
    if (!Array.isArray(lo) || !Array.isArray(hi) || lo.length !== inputs || hi.length !== inputs || lo.some((l, k) => !(hi[k]! > l)))
      throw argError(what, 'lo, hi', `two arrays of ${inputs} numbers with hi > lo`, { lo, hi }, RangeError);
    const shift = lo.map((l, k) => (l + hi[k]!) / 2);
    const scale = lo.map((l, k) => 2 / (hi[k]! - l));
    const B: Float64Array[] = [];
    let features = 0;
    let keepInput = true;
    if (opts.fourier !== undefined) {
      const f = opts.fourier;
      checkOptions(f, FOURIER_OPTIONS, `${what} fourier`);
      if (!Number.isInteger(f.features) || f.features < 1)
        throw argError(what, 'fourier.features', 'an integer >= 1', f.features, RangeError);
      if (!Array.isArray(f.scales) || f.scales.length < 1 || f.scales.some((s) => !(s > 0) || !Number.isFinite(s)))
        throw argError(what, 'fourier.scales', 'a non-empty array of positive numbers', f.scales, RangeError);
      const rng = new Rng(f.seed ?? 0);
      for (const s of f.scales) B.push(Float64Array.from({ length: inputs * f.features }, () => s * rng.normal()));
      features = f.features;
      keepInput = f.keepInput ?? true;
    }
    const width0 = B.length ? 2 * features * B.length + (keepInput ? inputs : 0) : inputs;
    const sizes = [width0, ...hidden, outputs];
    this.layers = sizes.slice(1).map((n, k) => new Dense(sizes[k], n, opts.seed === undefined ? undefined : opts.seed + k));
    this.inputs = inputs;
    this.outputs = outputs;
    this.activation = act;
    const Bt = B.map((b) => tensorConst(b, [inputs, features]));
    this.fixed = { shift, scale, B, Bt, features, keepInput };
  }

  /** The network over a jet of the raw coordinates X [N, inputs] tracking `axes`; params (own names) replace the module's tensors. */
  jet(X: Tensor, axes: readonly number[], params?: NamedTensors): Jet {
    if (X.rank !== 2 || X.shape[1] !== this.inputs)
      throw argError('FieldNet.jet(X, axes)', 'X', `a float32 tensor [N, ${this.inputs}]`, X, Error);
    const own = params ? null : this.parameters();
    const p = (name: string): Tensor => {
      const t = params?.[name] ?? own?.[name] ?? this.parameters()[name];
      if (!t) throw new Error(`tellus: FieldNet.jet(X, axes, params): no parameter '${name}'`);
      return t;
    };
    let h = Jet.input(X, axes, this.fixed.shift, this.fixed.scale);
    if (this.fixed.Bt.length) {
      const parts: Jet[] = [];
      for (const B of this.fixed.Bt) {
        const z = h.linear(B, null).mul(2 * Math.PI);
        parts.push(z.cos(), z.sin());
      }
      if (this.fixed.keepInput) parts.push(h);
      h = Jet.concat(parts);
    }
    const last = this.layers.length - 1;
    this.layers.forEach((_, k) => {
      h = h.linear(p(`layers.${k}.weight`), p(`layers.${k}.bias`));
      if (k < last) h = this.activation === 'tanh' ? h.tanh() : h.sin();
    });
    return h;
  }

  /** Values at X [N, inputs] -> [N, outputs]. */
  forward(X: Tensor): Tensor {
    return this.jet(X, []).v;
  }

  /** Disposes the parameters and the fixed Fourier matrices. */
  dispose(): void {
    super.dispose();
    this.fixed.Bt.forEach((t) => t.dispose());
  }
}
