// A PINN problem and its trainer. The unknowns are one field network u (FieldNet) with an optional
// hard-constraint output transform, plus trainable unknowns (scalars, or further networks such as
// v(x, z)). The loss is a weighted sum of named terms: residual terms (any expression of u, its
// first and pure second derivatives, the coordinates and the unknowns at collocation points,
// driven to zero: PDE, Neumann, initial velocity) and data terms (u = values at points:
// Dirichlet, initial displacement, receivers). Each term is mean(r^2) and is reported separately.
// Weights are fixed, or adapted by learning-rate annealing (Wang, Teng & Perdikaris 2021, SIAM J.
// Sci. Comput. 43(5)): lambda_i <- (1 - a) lambda_i + a max|grad L_ref| / mean|grad L_i|.
// Training: Adam for N steps, then L-BFGS (src/nn/lbfgs.ts) with its options passed through and
// its stop reason reported; collocation points can be resampled every k steps and refined by RAR.
import { type Tensor, keep, tidy } from '../../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { grad, noGrad, valueAndGrad } from '../../autodiff/transforms.js';
import { Adam, type LearningRate } from '../../nn/optim.js';
import { lbfgs, type LbfgsOptions, type LbfgsReason } from '../../nn/lbfgs.js';
import { Module, type NamedTensors } from '../../nn/module.js';
import { Domain, PointSet, type SampleOptions } from './domain.js';
import { Jet } from './jet.js';
import { FieldNet } from './net.js';
import { abs, concat, max, mean, mul, reshape, slice, square, stack, sub, sum } from './ops.js';
import { readFloats } from './read.js';

/** A trainable scalar (a Module with one parameter, `value`, shape [1]). */
export class Scalar extends Module {
  value: Tensor;
  constructor(v: number) {
    super();
    if (!Number.isFinite(v)) throw argError('Scalar(v)', 'v', 'a finite number', v, RangeError);
    this.value = tensor([v]);
  }
  forward(): Tensor {
    return this.value;
  }
}

/** Collocation points drawn from a domain region, which the trainer may resample or refine (RAR). */
export class Collocation {
  points: PointSet;
  private draws = 0;
  private added: PointSet | null = null;
  constructor(
    readonly domain: Domain,
    readonly n: number,
    readonly region: 'interior' | 'boundary' | 'initial' = 'interior',
    readonly opts: SampleOptions = {},
  ) {
    if (!(domain instanceof Domain)) throw argError('Collocation(domain, n, region, opts)', 'domain', 'a Domain', domain);
    if (!['interior', 'boundary', 'initial'].includes(region))
      throw argError('Collocation(domain, n, region, opts)', 'region', "'interior', 'boundary' or 'initial'", region, Error);
    this.points = domain[region](n, opts);
  }
  /** New base points: a fresh seed for 'uniform', the next block of the sequence otherwise. Points added by RAR are kept. */
  resample(): void {
    this.draws++;
    const method = this.opts.method ?? 'hammersley';
    let base: PointSet;
    if (method === 'uniform') base = this.domain[this.region](this.n, { ...this.opts, seed: (this.opts.seed ?? 0) + 7919 * this.draws });
    else {
      // A quasi-random set shifted by a seeded random vector modulo the box (a Cranley-Patterson rotation).
      base = this.domain[this.region](this.n, this.opts);
      const d = this.domain.dim;
      const shift = this.domain.interior(1, { method: 'uniform', seed: 104729 * this.draws + (this.opts.seed ?? 0) }).points;
      const p = Float64Array.from(base.points);
      for (let i = 0; i < base.n; i++)
        for (let k = 0; k < d; k++) {
          const lo = this.domain.lo[k]!;
          const w = this.domain.hi[k]! - lo;
          const v = p[i * d + k]!;
          // Coordinates pinned to a face or the initial slice stay there.
          if (v === lo || v === lo + w) continue;
          p[i * d + k] = lo + ((v - lo + (shift[k]! - lo)) % w);
        }
      base = new PointSet(p, d);
    }
    this.points = this.added ? base.concat(this.added) : base;
  }
  /** Adds points (RAR); they stay through resampling. */
  add(p: PointSet): void {
    this.added = this.added ? this.added.concat(p) : p;
    this.points = this.points.concat(p);
  }
}

/** What a residual sees: coordinates, u and its derivatives, the unknowns, all per point ([N]). */
export interface ResidualContext {
  /** Coordinate along an axis (name or index). */
  x(axis: string | number): Tensor;
  /** u at the points (output 0; `out` selects another). */
  u(out?: number): Tensor;
  /** du/d(axis). */
  d(axis: string | number, out?: number): Tensor;
  /** d2u/d(axis)2. */
  dd(axis: string | number, out?: number): Tensor;
  /** A scalar unknown ([1]). */
  unknown(name: string): Tensor;
  /** An unknown network's value at the points ([N]). */
  field(name: string, out?: number): Tensor;
  /** d2(field)/d(axis)2 of an unknown network along one of its axes ([N]): for smoothness penalties. */
  fieldDd(name: string, axis: string | number, out?: number): Tensor;
  /** Number of points. */
  n: number;
}

export interface ResidualTerm {
  kind: 'residual';
  name: string;
  points: PointSet | Collocation;
  residual: (c: ResidualContext) => Tensor;
  /** Axes whose derivatives the residual reads. Default: all axes. */
  axes?: readonly (string | number)[];
  weight?: number;
}
export interface DataTerm {
  kind: 'data';
  name: string;
  /** Points with values: the term is mean((u - values)^2). */
  points: PointSet;
  /** Output of u compared. Default 0. */
  output?: number;
  weight?: number;
}
export type Term = ResidualTerm | DataTerm;

/** The hard constraint: the output u from the coordinates (as jets, raw units) and the network's jet. */
export type OutputTransform = (x: (axis: string | number) => Jet, net: Jet) => Jet;

export interface PinnOptions {
  domain: Domain;
  net: FieldNet;
  terms: readonly Term[];
  transform?: OutputTransform;
  /**
   * Trainable unknowns: a number becomes a Scalar, a FieldNet a second network of all the domain's
   * axes, { net, axes } one of some axes only (e.g. v(x) in a space-time domain: axes ['x']).
   */
  unknowns?: Record<string, number | FieldNet | { net: FieldNet; axes: readonly string[] }>;
}
const PINN_OPTIONS = optionNames<PinnOptions>()('domain', 'net', 'terms', 'transform', 'unknowns');

export interface AdamPhase {
  steps: number;
  /** Default 1e-3. */
  lr?: LearningRate;
}
export type WeightScheme = { scheme: 'fixed' } | { scheme: 'annealing'; alpha?: number; every?: number; reference?: string };
export interface ResampleOptions {
  every: number;
  /** Names of the terms whose Collocation points are redrawn. Default: all. */
  terms?: readonly string[];
}
export interface RarOptions {
  every: number;
  /** Residual term refined. Default: the first residual term. */
  term?: string;
  /** Candidate points per refinement (uniform, seeded). */
  candidates: number;
  /** Points added per refinement (the worst |r|). */
  add: number;
  seed?: number;
}
export interface TrainOptions {
  adam?: AdamPhase;
  /** L-BFGS after Adam. maxEvals defaults to maxLineSearch x maxIter here, so maxIter is what stops a run that tolerances do not. */
  lbfgs?: Omit<LbfgsOptions, 'onIteration'>;
  weights?: WeightScheme;
  resample?: ResampleOptions;
  rar?: RarOptions;
  /** Report every this many steps (Adam steps and L-BFGS iterations). Default 100. */
  logEvery?: number;
  onProgress?: (p: Progress) => void;
  /**
   * Early stopping: called after each report (every logEvery steps, after onProgress) with the
   * modules holding the current parameters, so predict() and evaluate() see them. Returning (or
   * resolving to) true ends training there: the rest of Adam and any L-BFGS are skipped.
   */
  stop?: (p: Progress) => boolean | Promise<boolean>;
}
const TRAIN_OPTIONS = optionNames<TrainOptions>()('adam', 'lbfgs', 'weights', 'resample', 'rar', 'logEvery', 'onProgress', 'stop');
const ADAM_OPTIONS = optionNames<AdamPhase>()('steps', 'lr');
const RESAMPLE_OPTIONS = optionNames<ResampleOptions>()('every', 'terms');
const RAR_OPTIONS = optionNames<RarOptions>()('every', 'term', 'candidates', 'add', 'seed');

export interface Progress {
  phase: 'adam' | 'lbfgs';
  /** Step (Adam) or iteration (L-BFGS) within the phase, from 1. */
  step: number;
  /** Steps of the phase (L-BFGS: maxIter). */
  steps: number;
  /** Weighted total. */
  loss: number;
  /** Each term's unweighted mean square. */
  terms: Record<string, number>;
  weights: Record<string, number>;
  /** Scalar unknowns' current values. */
  unknowns: Record<string, number>;
  elapsed: number;
  /** Estimated seconds left in the whole run (both phases). */
  eta: number;
}

export interface TrainResult {
  log: Progress[];
  adamSteps: number;
  lbfgs?: { iterations: number; evaluations: number; reason: LbfgsReason; converged: boolean; loss: number };
  /** Where the stop callback ended training, when it did. */
  stopped?: { phase: 'adam' | 'lbfgs'; step: number };
  seconds: number;
  weights: Record<string, number>;
  terms: Record<string, number>;
  loss: number;
}

export class Pinn {
  readonly domain: Domain;
  readonly net: FieldNet;
  readonly terms: readonly Term[];
  readonly transform?: OutputTransform;
  readonly modules: Record<string, Module>;
  /** For each unknown network, the domain axes it reads. */
  private readonly fieldAxes: Record<string, number[]> = {};
  weights: Record<string, number>;

  constructor(opts: PinnOptions) {
    const what = 'Pinn(opts)';
    checkOptions(opts, PINN_OPTIONS, what);
    if (!(opts.domain instanceof Domain)) throw argError(what, 'domain', 'a Domain', opts.domain);
    if (!(opts.net instanceof FieldNet)) throw argError(what, 'net', 'a FieldNet', opts.net);
    if (opts.net.inputs !== opts.domain.dim)
      throw argError(what, 'net', `a FieldNet with ${opts.domain.dim} inputs (the domain's dimension)`, opts.net.inputs, RangeError);
    if (!Array.isArray(opts.terms) || opts.terms.length === 0) throw argError(what, 'terms', 'a non-empty array of terms', opts.terms);
    if (opts.transform !== undefined && typeof opts.transform !== 'function')
      throw argError(what, 'transform', 'a function (x, net) => Jet', opts.transform);
    const names = new Set<string>();
    opts.terms.forEach((t, i) => {
      const at = `terms[${i}]`;
      if (t === null || typeof t !== 'object') throw argError(what, at, 'a term object', t);
      if (t.kind === 'residual') checkOptions(t, ['kind', 'name', 'points', 'residual', 'axes', 'weight'], `${what} ${at}`);
      else if (t.kind === 'data') checkOptions(t, ['kind', 'name', 'points', 'output', 'weight'], `${what} ${at}`);
      else throw argError(what, `${at}.kind`, "'residual' or 'data'", (t as { kind: unknown }).kind, Error);
      if (typeof t.name !== 'string' || t.name === '' || names.has(t.name))
        throw argError(what, `${at}.name`, 'a unique non-empty string', t.name, Error);
      names.add(t.name);
      const pts = t.points instanceof Collocation ? t.points.points : t.points;
      if (!(pts instanceof PointSet) || pts.dim !== opts.domain.dim)
        throw argError(what, `${at}.points`, `a PointSet or Collocation of dimension ${opts.domain.dim}`, t.points, Error);
      if (t.kind === 'residual') {
        if (typeof t.residual !== 'function') throw argError(what, `${at}.residual`, 'a function (ctx) => Tensor [N]', t.residual);
        (t.axes ?? []).forEach((a: string | number) => opts.domain.axis(a));
      } else {
        if (!pts.values) throw argError(what, `${at}.points`, 'a PointSet with values', t.points, Error);
        if (t.output !== undefined && (!Number.isInteger(t.output) || t.output < 0 || t.output >= opts.net.outputs))
          throw argError(what, `${at}.output`, `an integer in [0, ${opts.net.outputs})`, t.output, RangeError);
      }
      if (t.weight !== undefined && !(t.weight >= 0 && Number.isFinite(t.weight)))
        throw argError(what, `${at}.weight`, 'a finite number >= 0', t.weight, RangeError);
    });
    this.domain = opts.domain;
    this.net = opts.net;
    this.terms = opts.terms;
    if (opts.transform) this.transform = opts.transform;
    this.modules = { u: opts.net };
    for (const [k, v] of Object.entries(opts.unknowns ?? {})) {
      if (k === 'u' || k.includes('.')) throw argError(what, `unknowns['${k}']`, "a name other than 'u', without dots", k, Error);
      if (typeof v === 'number') this.modules[k] = new Scalar(v);
      else if (v instanceof FieldNet || (v !== null && typeof v === 'object' && (v as { net?: unknown }).net instanceof FieldNet)) {
        const net = v instanceof FieldNet ? v : v.net;
        if (!(v instanceof FieldNet)) checkOptions(v, ['net', 'axes'], `${what} unknowns['${k}']`);
        const axes = v instanceof FieldNet ? this.domain.names.map((_, i) => i) : v.axes.map((a) => this.domain.axis(a));
        if (net.inputs !== axes.length)
          throw argError(what, `unknowns['${k}']`, `a FieldNet with ${axes.length} inputs (its axes)`, net.inputs, RangeError);
        this.modules[k] = net;
        this.fieldAxes[k] = axes;
      } else throw argError(what, `unknowns['${k}']`, 'a number, a FieldNet or { net, axes }', v);
    }
    this.weights = Object.fromEntries(this.terms.map((t) => [t.name, t.weight ?? 1]));
  }

  /** All trainable tensors, named '<module>.<parameter>' (e.g. 'u.layers.0.weight', 'c.value'). */
  parameters(): NamedTensors {
    const out: NamedTensors = {};
    for (const [m, mod] of Object.entries(this.modules)) for (const [k, t] of mod.namedParameters()) out[`${m}.${k}`] = t;
    return out;
  }
  numParameters(): number {
    return Object.values(this.parameters()).reduce((s, t) => s + t.size, 0);
  }
  private sub(params: NamedTensors, m: string): NamedTensors {
    const out: NamedTensors = {};
    for (const [k, t] of Object.entries(params)) if (k.startsWith(`${m}.`)) out[k.slice(m.length + 1)] = t;
    return out;
  }

  /** The jet of u at X [N, dim] tracking `axes` (indices), hard constraint applied. */
  uJet(X: Tensor, axes: readonly number[], params: NamedTensors = this.parameters()): Jet {
    const n = this.net.jet(X, axes, this.sub(params, 'u'));
    if (!this.transform) return n;
    const coords = Jet.input(X, axes);
    return this.transform((a) => coords.cols(this.domain.axis(a)), n);
  }

  /** u at points (noGrad), as float64 [N x outputs]. */
  async predict(points: PointSet, output = 0): Promise<Float64Array> {
    const X = pointsTensor(points);
    const u = noGrad(() => tidy(() => reshape(slice(this.uJet(X, []).v, [null, [output, output + 1]]), [-1])));
    X.dispose();
    return readFloats(u);
  }

  /** The columns of X an unknown network reads. */
  private fieldInput(name: string, X: Tensor): Tensor {
    const axes = this.fieldAxes[name]!;
    if (axes.length === this.domain.dim && axes.every((a, i) => a === i)) return X;
    return concat(
      axes.map((a) => slice(X, [null, [a, a + 1]])),
      1,
    );
  }

  /** An unknown network's values at points of the domain (noGrad), float64. */
  async predictField(name: string, points: PointSet, output = 0): Promise<Float64Array> {
    const m = this.modules[name];
    if (!(m instanceof FieldNet)) throw argError('Pinn.predictField(name, points)', 'name', 'the name of an unknown FieldNet', name, Error);
    const X = pointsTensor(points);
    const v = noGrad(() => tidy(() => reshape(slice(m.jet(this.fieldInput(name, X), []).v, [null, [output, output + 1]]), [-1])));
    X.dispose();
    return readFloats(v);
  }

  /** A scalar unknown's value. */
  async unknown(name: string): Promise<number> {
    const m = this.modules[name];
    if (!(m instanceof Scalar)) throw argError('Pinn.unknown(name)', 'name', 'the name of a scalar unknown', name, Error);
    return (await readFloats(m.value.clone()))[0]!;
  }

  private context(X: Tensor, axes: readonly number[], params: NamedTensors): ResidualContext {
    const j = this.uJet(X, axes, params);
    const n = X.shape[0]!;
    const col = (t: Tensor, out: number): Tensor =>
      reshape(slice(t, t.rank === 2 ? [null, [out, out + 1]] : [null, null, [out, out + 1]]), t.rank === 2 ? [n] : [t.shape[0]!, -1]);
    const which = (a: string | number, what: string): number => {
      const k = axes.indexOf(this.domain.axis(a));
      if (k < 0) throw new Error(`tellus: ResidualContext.${what}('${a}'): the term does not list this axis in 'axes'`);
      return k;
    };
    const deriv = (d: Tensor | null, k: number, out: number, v = j.v): Tensor => {
      if (!d) return mul(col(v, out), 0);
      const c = slice(col(d, out), [[k, k + 1]]);
      return c.shape[1] === n ? reshape(c, [n]) : reshape(mul(c, tensor(new Float32Array(n).fill(1), { shape: [1, n] })), [n]);
    };
    const fields = new Map<string, Tensor>();
    return {
      n,
      x: (a) => reshape(slice(X, [null, [this.domain.axis(a), this.domain.axis(a) + 1]]), [n]),
      u: (out = 0) => col(j.v, out),
      d: (a, out = 0) => deriv(j.d1, which(a, 'd'), out),
      dd: (a, out = 0) => deriv(j.d2, which(a, 'dd'), out),
      unknown: (name) => {
        if (!(this.modules[name] instanceof Scalar))
          throw new Error(`tellus: ResidualContext.unknown('${name}'): no scalar unknown of that name`);
        return params[`${name}.value`]!;
      },
      field: (name, out = 0) => {
        const m = this.modules[name];
        if (!(m instanceof FieldNet)) throw new Error(`tellus: ResidualContext.field('${name}'): no unknown network of that name`);
        const key = `${name}:${out}`;
        if (!fields.has(key)) fields.set(key, col(m.jet(this.fieldInput(name, X), [], this.sub(params, name)).v, out));
        return fields.get(key)!;
      },
      fieldDd: (name, a, out = 0) => {
        const m = this.modules[name];
        if (!(m instanceof FieldNet)) throw new Error(`tellus: ResidualContext.fieldDd('${name}'): no unknown network of that name`);
        const k = this.fieldAxes[name]!.indexOf(this.domain.axis(a));
        if (k < 0) throw new Error(`tellus: ResidualContext.fieldDd('${name}', '${a}'): the network does not take this axis`);
        const fj = m.jet(this.fieldInput(name, X), [k], this.sub(params, name));
        return deriv(fj.d2, 0, out, fj.v);
      },
    };
  }

  private termPoints(t: Term): PointSet {
    return t.points instanceof Collocation ? t.points.points : t.points;
  }

  /** The residual of a residual term at points, [N] (recorded, differentiable in params). */
  residual(t: ResidualTerm, X: Tensor, params: NamedTensors = this.parameters()): Tensor {
    const axes = (t.axes ?? this.domain.names).map((a) => this.domain.axis(a));
    const r = t.residual(this.context(X, axes, params));
    if (r.rank !== 1 || r.shape[0] !== X.shape[0])
      throw new Error(`tellus: Pinn term '${t.name}': residual must return a tensor [${X.shape[0]}], got shape [${r.shape.join(', ')}]`);
    return r;
  }

  /** Each term's unweighted mean square, in term order (differentiable in params). */
  termLosses(params: NamedTensors, inputs: Map<string, { X: Tensor; y?: Tensor }>): Tensor[] {
    return this.terms.map((t) => {
      const { X, y } = inputs.get(t.name)!;
      if (t.kind === 'residual') return mean(square(this.residual(t, X, params)));
      const u = reshape(slice(this.uJet(X, [], params).v, [null, [t.output ?? 0, (t.output ?? 0) + 1]]), [-1]);
      return mean(square(sub(u, y!)));
    });
  }

  /** Uploads each term's current points (and values). The caller disposes them. */
  inputs(): Map<string, { X: Tensor; y?: Tensor }> {
    const m = new Map<string, { X: Tensor; y?: Tensor }>();
    for (const t of this.terms) {
      const p = this.termPoints(t);
      m.set(t.name, t.kind === 'data' ? { X: pointsTensor(p), y: tensor(Float32Array.from(p.values!)) } : { X: pointsTensor(p) });
    }
    return m;
  }

  /**
   * Gradient statistics per term for the annealing scheme: max |grad L_i| and mean |grad L_i| over
   * all parameters of the field network u (the unknowns excluded), unweighted.
   */
  async gradientStats(inputs = this.inputs(), own = true): Promise<{ maxAbs: number[]; meanAbs: number[] }> {
    const params = this.parameters();
    const uParams: NamedTensors = {};
    for (const [k, t] of Object.entries(params)) if (k.startsWith('u.')) uParams[k] = t;
    const count = Object.values(uParams).reduce((s, t) => s + t.size, 0);
    const stats = tidy(() => {
      const rows: Tensor[] = [];
      this.terms.forEach((_, i) => {
        const g = grad((p: NamedTensors) => this.termLosses({ ...params, ...p }, inputs)[i]!)(uParams) as NamedTensors;
        const gs = Object.values(g);
        rows.push(max(stack(gs.map((x) => max(abs(x))))), mul(sum(stack(gs.map((x) => sum(abs(x))))), 1 / count));
      });
      return stack(rows);
    });
    if (own) for (const v of inputs.values()) [v.X, v.y].forEach((x) => x?.dispose());
    const s = await readFloats(stats);
    return { maxAbs: this.terms.map((_, i) => s[2 * i]!), meanAbs: this.terms.map((_, i) => s[2 * i + 1]!) };
  }

  /** One annealing update of the weights (the reference term's weight stays as it is). */
  async annealWeights(alpha = 0.9, reference?: string): Promise<Record<string, number>> {
    const ref = this.referenceTerm(reference);
    const { maxAbs, meanAbs } = await this.gradientStats();
    const r = this.terms.findIndex((t) => t.name === ref);
    this.weights = annealedWeights(
      this.terms.map((t) => t.name),
      this.weights,
      r,
      maxAbs,
      meanAbs,
      alpha,
    );
    return this.weights;
  }

  private referenceTerm(name?: string): string {
    if (name !== undefined) {
      if (!this.terms.some((t) => t.name === name))
        throw argError('Pinn', 'reference', `a term name (${this.terms.map((t) => `'${t.name}'`).join(', ')})`, name, Error);
      return name;
    }
    const r = this.terms.find((t) => t.kind === 'residual');
    if (!r) throw new Error('tellus: Pinn: the annealing scheme needs a residual term as its reference');
    return r.name;
  }

  /** |residual| of a residual term at points (noGrad), float64. */
  async residualAbs(name: string, points: PointSet): Promise<Float64Array> {
    const t = this.terms.find((x) => x.name === name);
    if (!t || t.kind !== 'residual') throw argError('Pinn.residualAbs(name, points)', 'name', 'the name of a residual term', name, Error);
    const X = pointsTensor(points);
    const r = noGrad(() => tidy(() => abs(this.residual(t, X))));
    X.dispose();
    return readFloats(r);
  }

  /**
   * Residual-based adaptive refinement: evaluates |r| of term `name` at the candidates and adds the
   * `add` worst (largest |r|, ties to the lower index) to the term's Collocation. Returns their indices.
   */
  async refine(name: string, candidates: PointSet, add: number): Promise<number[]> {
    const t = this.terms.find((x) => x.name === name);
    if (!t || t.kind !== 'residual' || !(t.points instanceof Collocation))
      throw argError('Pinn.refine(name, candidates, add)', 'name', 'a residual term whose points are a Collocation', name, Error);
    if (!Number.isInteger(add) || add < 1 || add > candidates.n)
      throw argError('Pinn.refine(name, candidates, add)', 'add', `an integer in [1, ${candidates.n}]`, add, RangeError);
    const idx = worstIndices(await this.residualAbs(name, candidates), add);
    t.points.add(candidates.select(idx));
    return idx;
  }

  /** Current term values (noGrad), weighted total, as numbers. */
  async evaluate(): Promise<{ loss: number; terms: Record<string, number> }> {
    const inputs = this.inputs();
    const v = noGrad(() => tidy(() => stack(this.termLosses(this.parameters(), inputs))));
    for (const x of inputs.values()) [x.X, x.y].forEach((t) => t?.dispose());
    const s = await readFloats(v);
    const terms = Object.fromEntries(this.terms.map((t, i) => [t.name, s[i]!]));
    return { loss: this.terms.reduce((acc, t, i) => acc + this.weights[t.name]! * s[i]!, 0), terms };
  }

  private async scalarUnknowns(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [k, m] of Object.entries(this.modules)) if (m instanceof Scalar) out[k] = await this.unknown(k);
    return out;
  }

  /** Adam for `adam.steps`, then L-BFGS; see TrainOptions. */
  async train(opts: TrainOptions): Promise<TrainResult> {
    const what = 'Pinn.train(opts)';
    checkOptions(opts, TRAIN_OPTIONS, what);
    const adamSteps = opts.adam ? checkOptions(opts.adam, ADAM_OPTIONS, `${what} adam`).steps : 0;
    if (!Number.isInteger(adamSteps) || adamSteps < 0) throw argError(what, 'adam.steps', 'an integer >= 0', adamSteps, RangeError);
    const logEvery = opts.logEvery ?? 100;
    if (!Number.isInteger(logEvery) || logEvery < 1) throw argError(what, 'logEvery', 'an integer >= 1', logEvery, RangeError);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
      throw argError(what, 'onProgress', 'a function', opts.onProgress);
    if (opts.stop !== undefined && typeof opts.stop !== 'function') throw argError(what, 'stop', 'a function', opts.stop);
    const ws = opts.weights ?? { scheme: 'fixed' };
    if (ws.scheme === 'annealing') checkOptions(ws, ['scheme', 'alpha', 'every', 'reference'], `${what} weights`);
    else if (ws.scheme === 'fixed') checkOptions(ws, ['scheme'], `${what} weights`);
    else throw argError(what, 'weights.scheme', "'fixed' or 'annealing'", (ws as { scheme: unknown }).scheme, Error);
    const alpha = ws.scheme === 'annealing' ? (ws.alpha ?? 0.9) : 0;
    const annealEvery = ws.scheme === 'annealing' ? (ws.every ?? 10) : 0;
    if (ws.scheme === 'annealing') {
      if (!(alpha > 0 && alpha <= 1)) throw argError(what, 'weights.alpha', 'a number in (0, 1]', alpha, RangeError);
      if (!Number.isInteger(annealEvery) || annealEvery < 1)
        throw argError(what, 'weights.every', 'an integer >= 1', annealEvery, RangeError);
      this.referenceTerm(ws.reference);
    }
    const rs = opts.resample;
    if (rs) {
      checkOptions(rs, RESAMPLE_OPTIONS, `${what} resample`);
      if (!Number.isInteger(rs.every) || rs.every < 1) throw argError(what, 'resample.every', 'an integer >= 1', rs.every, RangeError);
      for (const n of rs.terms ?? [])
        if (!this.terms.some((t) => t.name === n)) throw argError(what, 'resample.terms', 'term names', n, Error);
    }
    const rar = opts.rar;
    if (rar) {
      checkOptions(rar, RAR_OPTIONS, `${what} rar`);
      if (!Number.isInteger(rar.every) || rar.every < 1) throw argError(what, 'rar.every', 'an integer >= 1', rar.every, RangeError);
      if (!Number.isInteger(rar.candidates) || rar.candidates < 1)
        throw argError(what, 'rar.candidates', 'an integer >= 1', rar.candidates, RangeError);
      if (!Number.isInteger(rar.add) || rar.add < 1 || rar.add > rar.candidates)
        throw argError(what, 'rar.add', `an integer in [1, rar.candidates = ${rar.candidates}]`, rar.add, RangeError);
      const name = rar.term ?? this.terms.find((t) => t.kind === 'residual')?.name;
      const t = this.terms.find((x) => x.name === name);
      if (!t || t.kind !== 'residual' || !(t.points instanceof Collocation))
        throw argError(what, 'rar.term', 'a residual term whose points are a Collocation', rar.term, Error);
    }
    const lopts = opts.lbfgs;
    if (lopts && (lopts as LbfgsOptions).onIteration !== undefined)
      throw argError(what, 'lbfgs.onIteration', 'absent (use onProgress)', 'a function', Error);
    const lbfgsIter = lopts ? (lopts.maxIter ?? 100) : 0;

    const t0 = performance.now();
    const log: Progress[] = [];
    let timeAdam = 0;
    const eta = (phase: 'adam' | 'lbfgs', step: number): number => {
      const el = (performance.now() - t0) / 1000;
      if (phase === 'adam') {
        const per = el / step;
        return per * (adamSteps - step) + per * 2 * lbfgsIter;
      }
      const per = (el - timeAdam) / step;
      return per * (lbfgsIter - step);
    };
    let stopped: TrainResult['stopped'];
    /** Logs a progress point; true when the stop callback ends training here. */
    const report = async (phase: 'adam' | 'lbfgs', step: number, steps: number, termVals: number[]): Promise<boolean> => {
      const terms = Object.fromEntries(this.terms.map((t, i) => [t.name, termVals[i]!]));
      const loss = this.terms.reduce((a, t, i) => a + this.weights[t.name]! * termVals[i]!, 0);
      const p: Progress = {
        phase,
        step,
        steps,
        loss,
        terms,
        weights: { ...this.weights },
        unknowns: await this.scalarUnknowns(),
        elapsed: (performance.now() - t0) / 1000,
        eta: eta(phase, step),
      };
      log.push(p);
      opts.onProgress?.(p);
      if (opts.stop && (await opts.stop(p)) === true) stopped = { phase, step };
      return stopped !== undefined;
    };
    const names = Object.keys(this.parameters());
    let inputs = this.inputs();
    const dropInputs = (): void => {
      for (const x of inputs.values()) [x.X, x.y].forEach((t) => t?.dispose());
    };
    let last: number[] = [];
    try {
      if (adamSteps > 0) {
        const adam = new Adam({ lr: opts.adam!.lr ?? 1e-3 });
        let rarSeed = rar?.seed ?? 1;
        for (let s = 1; s <= adamSteps; s++) {
          const w = this.terms.map((t) => this.weights[t.name]!);
          let stash: Tensor | null = null;
          const [loss, g] = valueAndGrad((p: NamedTensors) => {
            const ls = this.termLosses(p, inputs);
            stash = keep(stack(ls));
            return ls.reduce((acc, l, i) => (i === 0 ? mul(l, w[0]!) : acc.add(mul(l, w[i]!))), ls[0]!);
          })(this.parameters()) as [Tensor, NamedTensors];
          adam.step(this.parameters(), g);
          loss.dispose();
          for (const x of Object.values(g)) x.dispose();
          last = Array.from(await readFloats(stash!));
          if (!last.every(Number.isFinite))
            throw new Error(
              `tellus: ${what}: a loss term became non-finite at Adam step ${s} (${this.terms.map((t, i) => `${t.name} ${last[i]}`).join(', ')}); lower the learning rate`,
            );
          if ((s % logEvery === 0 || s === adamSteps) && (await report('adam', s, adamSteps, last))) break;
          if (annealEvery && s % annealEvery === 0) {
            const { maxAbs, meanAbs } = await this.gradientStats(inputs, false);
            this.weights = annealedWeights(
              this.terms.map((t) => t.name),
              this.weights,
              this.terms.findIndex((t) => t.name === this.referenceTerm(ws.scheme === 'annealing' ? ws.reference : undefined)),
              maxAbs,
              meanAbs,
              alpha,
            );
          }
          let moved = false;
          if (rs && s % rs.every === 0 && s < adamSteps) {
            for (const t of this.terms)
              if (t.points instanceof Collocation && (!rs.terms || rs.terms.includes(t.name))) t.points.resample();
            moved = true;
          }
          if (rar && s % rar.every === 0 && s < adamSteps) {
            const name = rar.term ?? this.terms.find((t) => t.kind === 'residual')!.name;
            await this.refine(name, this.domain.interior(rar.candidates, { method: 'uniform', seed: rarSeed++ }), rar.add);
            moved = true;
          }
          if (moved) {
            dropInputs();
            inputs = this.inputs();
          }
        }
      }
      timeAdam = (performance.now() - t0) / 1000;
      let lres: TrainResult['lbfgs'];
      if (lopts && !stopped) {
        const maxLs = lopts.maxLineSearch ?? 25;
        const shapes = names.map((k) => this.parameters()[k]!.shape);
        const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
        const unflatten = (x: Tensor): NamedTensors => {
          const out: NamedTensors = {};
          let o = 0;
          names.forEach((k, i) => {
            out[k] = reshape(slice(x, [[o, o + sizes[i]!]]), shapes[i]!);
            o += sizes[i]!;
          });
          return out;
        };
        const w = this.terms.map((t) => this.weights[t.name]!);
        const total = (p: NamedTensors): Tensor => {
          const ls = this.termLosses(p, inputs);
          return ls.reduce((acc, l, i) => (i === 0 ? mul(l, w[0]!) : acc.add(mul(l, w[i]!))), ls[0]!);
        };
        /** Writes a flat iterate into the modules (as copies: x belongs to L-BFGS). */
        const load = (x: Tensor): void => {
          const flatParts = tidy(() => {
            const parts = unflatten(x);
            return Object.fromEntries(names.map((k) => [k, parts[k]!.clone()]));
          });
          for (const [m, mod] of Object.entries(this.modules)) mod.loadParameters(this.sub(flatParts, m));
        };
        const x0 = tidy(() => concat(names.map((k) => reshape(this.parameters()[k]!, [-1]))));
        const r = await lbfgs(
          (x) => tidy(() => valueAndGrad((y: Tensor) => reshape(total(unflatten(y)), [1]))(x) as [Tensor, Tensor]),
          x0,
          {
            ...lopts,
            maxEvals: lopts.maxEvals ?? maxLs * lbfgsIter,
            onIteration: async (info) => {
              if (info.iteration % logEvery !== 0 && info.iteration !== lbfgsIter) return false;
              const vals = noGrad(() => tidy(() => stack(this.termLosses(unflatten(info.x), inputs))));
              last = Array.from(await readFloats(vals));
              if (opts.stop) load(info.x); // the stop callback may predict with the current iterate
              return report('lbfgs', info.iteration, lbfgsIter, last);
            },
          },
        );
        x0.dispose();
        load(r.x);
        r.x.dispose();
        lres = { iterations: r.iterations, evaluations: r.evaluations, reason: r.reason, converged: r.converged, loss: r.loss };
      }
      const fin = await this.evaluate();
      return {
        log,
        adamSteps: stopped?.phase === 'adam' ? stopped.step : adamSteps,
        ...(lres ? { lbfgs: lres } : {}),
        ...(stopped ? { stopped } : {}),
        seconds: (performance.now() - t0) / 1000,
        weights: { ...this.weights },
        terms: fin.terms,
        loss: fin.loss,
      };
    } finally {
      dropInputs();
    }
  }

  /** Disposes every module's parameters. */
  dispose(): void {
    for (const m of Object.values(this.modules)) m.dispose();
  }
}

/** Learning-rate annealing: w_i <- (1 - alpha) w_i + alpha max|g_ref| / mean|g_i| for i != ref. */
export function annealedWeights(
  names: readonly string[],
  weights: Record<string, number>,
  ref: number,
  maxAbs: readonly number[],
  meanAbs: readonly number[],
  alpha: number,
): Record<string, number> {
  const out = { ...weights };
  names.forEach((n, i) => {
    if (i === ref || !(meanAbs[i]! > 0)) return;
    out[n] = (1 - alpha) * weights[n]! + (alpha * maxAbs[ref]!) / meanAbs[i]!;
  });
  return out;
}

/** Indices of the k largest values (ties to the lower index), in decreasing order of value. */
export function worstIndices(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, k);
}

/** Points as a float32 tensor [N, dim]. */
export function pointsTensor(p: PointSet): Tensor {
  return tensor(Float32Array.from(p.points), { shape: [p.n, p.dim] });
}
