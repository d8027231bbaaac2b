// The neural field of NFs-Inv (Xu & Heagy): a coordinate MLP m = f_w(gamma(x)) from cell-centre
// coordinates on [-1, 1] to a physical property. Defaults follow the authors' code: hidden widths
// 128-256-256-256-256-128, LeakyReLU(0.2), Kaiming-normal weights from a seed, zero biases, and an
// output activation scaled to the property's range (-8 sigmoid for log-conductivity, 10 tanh for
// slowness). Unlike the PINN FieldNet (../pinn/net.ts) it needs no input derivatives, so it is
// built from nn.Linear and plain differentiable ops, not jets; the Gaussian features reuse the
// PINN toolkit's seeded host generator.
//
// Every encoding is gamma(x) = [cos(x F), sin(x F)] for a fixed frequency matrix F [d, h/2]:
//   basic     F = pi I                                    (h = 2d)
//   nerf      F = [1, 2, ..., L] (pi / 2) I, blockwise    (h = 2dL): sin/cos(l/2 pi x), l = 1..L
//   gaussian  F = pi B^T, B [features, d] ~ N(0, std^2)   (h = 2 features)
// basic is the paper's [cos 2 pi x, sin 2 pi x] on [0, 1] moved to [-1, 1]: one period over the
// domain (2 pi on [-1, 1] would give x and x + 1 the same code, aliasing the two halves). nerf and
// gaussian use pi where the paper's equations 6 and 7 write 2 pi, as the authors' code does
// (docs/nf-inv.md); this is the same family with the frequencies halved.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { tensor, zeros } from '../../ops/creation.js';
import { checkTensor } from '../../ops/emit.js';
import { concat, cos, leakyRelu, matmul, mul, add, sigmoid, sin, tanh } from '../../autodiff/ops.js';
import { kaimingNormal } from '../../nn/init.js';
import { Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { Rng } from '../pinn/sampling.js';

export type Encoding =
  | { kind: 'identity' }
  | { kind: 'basic' }
  /** levels L (default 8): sin/cos(l pi x / 2), l = 1..L. */
  | { kind: 'nerf'; levels?: number }
  /** Random Fourier features: B ~ N(0, std^2) [features, d] (defaults 128 and 0.5), seed default 0. */
  | { kind: 'gaussian'; features?: number; std?: number; seed?: number };

/** out = offset + scale * activation(h). */
export interface OutputMap {
  activation: 'sigmoid' | 'tanh' | 'identity';
  scale?: number;
  offset?: number;
}

export interface NeuralFieldOptions {
  /** Coordinate dimension. Default 2 (x, z). */
  inputs?: number;
  /** Hidden widths. Default [128, 256, 256, 256, 256, 128] (the authors'). */
  hidden?: readonly number[];
  /** LeakyReLU negative slope. Default 0.2. */
  slope?: number;
  /**
   * 'log-conductivity': -8 sigmoid(h), in (-8, 0); 'slowness': 10 tanh(h), in (-10, 10); or an
   * OutputMap. Default { activation: 'identity' }.
   */
  output?: 'log-conductivity' | 'slowness' | OutputMap;
  /** Positional encoding. Default { kind: 'identity' }. */
  encoding?: Encoding;
  /** Weight seed: layer k draws with seed + k. Default 0. */
  seed?: number;
}
const OPTIONS = optionNames<NeuralFieldOptions>()('inputs', 'hidden', 'slope', 'output', 'encoding', 'seed');
const WHAT = 'NeuralField(opts)';

/** Any mesh with cell centres along each axis (TensorMesh2d has these). */
export interface CentredMesh {
  nx: number;
  nz: number;
  cellCentersX(): ArrayLike<number>;
  cellCentersZ(): ArrayLike<number>;
}

/** The frequency matrix F [d, cols] (row-major float64) of an encoding, or null for identity. */
export function encodingMatrix(enc: Encoding, d: number, what = WHAT): { F: Float64Array; cols: number } | null {
  if (enc === null || typeof enc !== 'object')
    throw argError(what, 'encoding', "an object { kind: 'identity' | 'basic' | 'nerf' | 'gaussian', ... }", enc);
  const posInt = (v: unknown, arg: string): number => {
    if (!Number.isInteger(v) || (v as number) < 1) throw argError(what, `encoding.${arg}`, 'an integer >= 1', v, RangeError);
    return v as number;
  };
  switch (enc.kind) {
    case 'identity':
      checkOptions(enc, ['kind'], `${what} encoding`);
      return null;
    case 'basic': {
      checkOptions(enc, ['kind'], `${what} encoding`);
      const F = new Float64Array(d * d);
      for (let i = 0; i < d; i++) F[i * d + i] = Math.PI;
      return { F, cols: d };
    }
    case 'nerf': {
      checkOptions(enc, ['kind', 'levels'], `${what} encoding`);
      const L = posInt(enc.levels ?? 8, 'levels');
      const cols = d * L;
      const F = new Float64Array(d * cols);
      for (let l = 1; l <= L; l++) for (let i = 0; i < d; i++) F[i * cols + (l - 1) * d + i] = (l * Math.PI) / 2;
      return { F, cols };
    }
    case 'gaussian': {
      checkOptions(enc, ['kind', 'features', 'std', 'seed'], `${what} encoding`);
      const n = posInt(enc.features ?? 128, 'features');
      const std = enc.std ?? 0.5;
      if (typeof std !== 'number' || !Number.isFinite(std) || std <= 0)
        throw argError(what, 'encoding.std', 'a finite number > 0', std, RangeError);
      const seed = enc.seed ?? 0;
      if (!Number.isInteger(seed) || seed < 0) throw argError(what, 'encoding.seed', 'an integer >= 0', seed, RangeError);
      // B [features, d] drawn row by row; F = pi B^T [d, features].
      const rng = new Rng(seed);
      const F = new Float64Array(d * n);
      for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) F[i * n + j] = Math.PI * std * rng.normal();
      return { F, cols: n };
    }
    default:
      throw argError(what, 'encoding.kind', "'identity', 'basic', 'nerf' or 'gaussian'", (enc as { kind: unknown }).kind, Error);
  }
}

function outputMap(o: NeuralFieldOptions['output']): Required<OutputMap> {
  if (o === undefined) return { activation: 'identity', scale: 1, offset: 0 };
  if (o === 'log-conductivity') return { activation: 'sigmoid', scale: -8, offset: 0 };
  if (o === 'slowness') return { activation: 'tanh', scale: 10, offset: 0 };
  if (o === null || typeof o !== 'object')
    throw argError(WHAT, 'output', "'log-conductivity', 'slowness' or { activation, scale, offset }", o, Error);
  checkOptions(o, optionNames<OutputMap>()('activation', 'scale', 'offset'), `${WHAT} output`);
  if (!['sigmoid', 'tanh', 'identity'].includes(o.activation))
    throw argError(WHAT, 'output.activation', "'sigmoid', 'tanh' or 'identity'", o.activation, Error);
  const scale = o.scale ?? 1;
  const offset = o.offset ?? 0;
  if (!Number.isFinite(scale) || scale === 0) throw argError(WHAT, 'output.scale', 'a finite non-zero number', scale, RangeError);
  if (!Number.isFinite(offset)) throw argError(WHAT, 'output.offset', 'a finite number', offset, RangeError);
  return { activation: o.activation, scale, offset };
}

export class NeuralField extends Module {
  layers: Linear[];
  readonly inputs: number;
  readonly slope: number;
  readonly output: Required<OutputMap>;
  readonly encoding: Encoding;
  /** Width of the encoded input (the first layer's fan-in). */
  readonly encodedWidth: number;
  /** Fixed data kept out of parameters(): the frequency matrix F [inputs, cols] (float64 host copy and tensor). */
  readonly fixed: { F: Float64Array | null; Ft: Tensor | null };

  constructor(opts: NeuralFieldOptions = {}) {
    super();
    checkOptions(opts, OPTIONS, WHAT);
    const inputs = opts.inputs ?? 2;
    if (!Number.isInteger(inputs) || inputs < 1) throw argError(WHAT, 'inputs', 'an integer >= 1', inputs, RangeError);
    const hidden = opts.hidden ?? [128, 256, 256, 256, 256, 128];
    if (!Array.isArray(hidden) || hidden.some((h) => !Number.isInteger(h) || h < 1))
      throw argError(WHAT, 'hidden', 'an array of integers >= 1', hidden, RangeError);
    const slope = opts.slope ?? 0.2;
    if (typeof slope !== 'number' || !Number.isFinite(slope) || slope < 0 || slope >= 1)
      throw argError(WHAT, 'slope', 'a number in [0, 1)', slope, RangeError);
    const seed = opts.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw argError(WHAT, 'seed', 'an integer >= 0', seed, RangeError);
    this.output = outputMap(opts.output);
    this.encoding = opts.encoding ?? { kind: 'identity' };
    const enc = encodingMatrix(this.encoding, inputs);
    this.encodedWidth = enc ? 2 * enc.cols : inputs;
    const sizes = [this.encodedWidth, ...hidden, 1];
    // Kaiming normal for the LeakyReLU that follows (gain sqrt(2 / (1 + slope^2)), fan-in), zero biases.
    this.layers = sizes.slice(1).map((n, k) => {
      const l = new Linear(sizes[k], n, { seed: seed + k });
      return l.loadParameters({ weight: kaimingNormal([n, sizes[k]!], { a: slope, seed: seed + k }), bias: zeros([n]) });
    });
    this.inputs = inputs;
    this.slope = slope;
    this.fixed = { F: enc?.F ?? null, Ft: enc ? tensor(Float32Array.from(enc.F), { shape: [inputs, enc.cols] }) : null };
  }

  /** gamma(X): X [N, inputs] -> [N, encodedWidth] (X itself for the identity encoding). */
  encode(X: Tensor): Tensor {
    this.checkInput(X, 'NeuralField.encode(X)');
    const F = this.fixed.Ft;
    if (!F) return X;
    return tidy(() => {
      const z = matmul(X, F);
      return concat([cos(z), sin(z)], 1);
    });
  }

  /** m = offset + scale * act(MLP(gamma(X))): X [N, inputs] -> [N, 1]. */
  forward(X: Tensor): Tensor {
    this.checkInput(X, 'NeuralField.forward(X)');
    return tidy(() => {
      let h = this.encode(X);
      const last = this.layers.length - 1;
      this.layers.forEach((l, k) => {
        h = l.forward(h);
        if (k < last) h = leakyRelu(h, this.slope);
      });
      const { activation, scale, offset } = this.output;
      const a = activation === 'sigmoid' ? sigmoid(h) : activation === 'tanh' ? tanh(h) : h;
      return offset === 0 ? (scale === 1 ? a : mul(a, scale)) : add(mul(a, scale), offset);
    });
  }

  private checkInput(X: Tensor, what: string): void {
    checkTensor(X, what, 'X');
    if (X.dtype !== 'float32' || X.rank !== 2 || X.shape[1] !== this.inputs)
      throw argError(what, 'X', `a float32 tensor [N, ${this.inputs}] of coordinates`, X, Error);
  }

  /**
   * Cell-centre coordinates (x, z) of the active cells, each axis mapped linearly so that the
   * active centres span [-1, 1] (an axis with one centre maps to 0); rows in cell order
   * (iz * nx + ix). `active` (nz * nx entries, truthy = active) defaults to every cell.
   */
  static coordinates(mesh: CentredMesh, active?: ArrayLike<boolean | number>): Tensor {
    const what = 'NeuralField.coordinates(mesh, active)';
    if (mesh === null || typeof mesh !== 'object' || typeof mesh.cellCentersX !== 'function' || typeof mesh.cellCentersZ !== 'function')
      throw argError(what, 'mesh', 'a mesh { nx, nz, cellCentersX(), cellCentersZ() }', mesh);
    const { nx, nz } = mesh;
    if (!Number.isInteger(nx) || nx < 1 || !Number.isInteger(nz) || nz < 1)
      throw argErrorText(what, 'mesh', 'integers nx, nz >= 1', `nx ${String(nx)}, nz ${String(nz)}`, RangeError);
    const cx = mesh.cellCentersX();
    const cz = mesh.cellCentersZ();
    if (cx.length !== nx || cz.length !== nz)
      throw argErrorText(what, 'mesh', `${nx} x-centres and ${nz} z-centres`, `${cx.length} and ${cz.length}`, RangeError);
    const mask = activeMask(active, nx * nz, what);
    const xs: number[] = [];
    const zs: number[] = [];
    for (let iz = 0; iz < nz; iz++)
      for (let ix = 0; ix < nx; ix++)
        if (mask[iz * nx + ix]) {
          xs.push(cx[ix]!);
          zs.push(cz[iz]!);
        }
    const unit = (v: number[]): number[] => {
      const lo = v.reduce((a, b) => Math.min(a, b), Infinity);
      const hi = v.reduce((a, b) => Math.max(a, b), -Infinity);
      return v.map((c) => (hi > lo ? (2 * (c - lo)) / (hi - lo) - 1 : 0));
    };
    const ux = unit(xs);
    const uz = unit(zs);
    const out = new Float32Array(2 * xs.length);
    for (let k = 0; k < xs.length; k++) [out[2 * k], out[2 * k + 1]] = [ux[k]!, uz[k]!];
    return tensor(out, { shape: [xs.length, 2] });
  }

  /** Disposes the parameters and the fixed frequency matrix. */
  dispose(): void {
    super.dispose();
    this.fixed.Ft?.dispose();
  }
}

/** A boolean mask of n cells from an array of booleans/0-1 numbers (undefined: all active); at least one active. */
export function activeMask(active: ArrayLike<boolean | number> | undefined, n: number, what: string, arg = 'active'): Uint8Array {
  if (active === undefined) return new Uint8Array(n).fill(1);
  if (active === null || typeof active !== 'object' || typeof active.length !== 'number')
    throw argError(what, arg, `an array of ${n} booleans (one per cell)`, active);
  if (active.length !== n) throw argErrorText(what, arg, `${n} entries (one per cell)`, `${active.length}`, RangeError);
  const mask = Uint8Array.from({ length: n }, (_, i) => (active[i] ? 1 : 0));
  if (!mask.some((v) => v === 1)) throw argErrorText(what, arg, 'at least one active cell', 'none', RangeError);
  return mask;
}
