// The model objective phi_m of a regularized inversion on a 2-D tensor mesh, SimPEG-style
// (simpeg.regularization.WeightedLeastSquares / Sparse): a sum of terms
//   phi_k(m) = alpha_k sum_i c_i r_i f_i(m)^2
// with f the smallness m - mref (per cell, c = cell area x cell weight) or the first differences
// along x and z divided by the distance between cell centres (per internal face, c = the area
// weights averaged onto the face, i.e. the dual cell's area), or the cell-centred Laplacian with
// zero-flux boundaries. r = 1 for p = 2; for sparse norms r are the IRLS weights
// (f^2 + eps^2)^(p/2 - 1), frozen between updates, so phi_m is a quadratic form whose Hessian is
// exact. Smoothed total variation replaces the x/z terms by sum_i c_i (sqrt(aX gx^2 + aZ gz^2 +
// eps^2) - eps); its Hessian-vector product is the lagged-diffusivity one (TV's curvature
// frozen), which is positive semi-definite. Everything is written with differentiable tl ops, so
// tl.grad of value() works; gradient() and hessianVector() are the closed forms.
import { type Tensor, tidy, keep } from '../../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { checkTensor, checkFloat } from '../../ops/emit.js';
import { add, div, max, maximum, mul, pad, pow, reshape, slice, sqrt, square, sub, sum, abs } from '../../autodiff/ops.js';
import { type TensorMesh2D, type MeshGeometry, meshGeometry } from './mesh.js';
import { GridDifferences } from './grid.js';

export interface SparseNorms {
  /** p of the smallness term, in [0, 2]. Default 2. */
  s?: number;
  /** p of the x first differences. Default 2. */
  x?: number;
  /** p of the z first differences. Default 2. */
  z?: number;
}
const NORM_NAMES = optionNames<SparseNorms>()('s', 'x', 'z');

export interface TVOptions {
  /** Smoothing of |grad m| (same units as m per metre); > 0. */
  epsilon: number;
}
const TV_NAMES = optionNames<TVOptions>()('epsilon');

export interface RegularizationOptions {
  /** Weight of the smallness term. Default 1 (SimPEG alpha_s). */
  alphaS?: number;
  /** Weight of the x first differences (or of x in TV). Default 1 (SimPEG alpha_x). */
  alphaX?: number;
  /** Weight of the z first differences (or of z in TV). Default 1 (SimPEG alpha_y in 2-D). */
  alphaZ?: number;
  /** Weight of the Laplacian term. Default 0. */
  alphaLaplacian?: number;
  /** Reference model of the smallness: a tensor [nz * nx] or one number. Default 0 (SimPEG's). */
  reference?: Tensor | number;
  /** Positive per-cell weights [nz * nx] (e.g. sensitivity weights); multiply every term. */
  weights?: Tensor;
  /** Sparse norms realized by IRLS (driven by invert's irls directive). Default all 2. */
  norms?: SparseNorms;
  /** Smoothed total variation in place of the x/z first differences. */
  tv?: TVOptions;
}
const REG_OPTIONS = optionNames<RegularizationOptions>()(
  'alphaS',
  'alphaX',
  'alphaZ',
  'alphaLaplacian',
  'reference',
  'weights',
  'norms',
  'tv',
);

export type TermName = 's' | 'x' | 'z' | 'laplacian';

interface Term {
  name: TermName;
  alpha: number;
  p: number;
  /** alpha x area weights (x cell weights), shaped like f. */
  coef: Tensor | null;
  /** IRLS weights (null: 1). */
  irls: Tensor | null;
  /** coef x irls, kept so the CG loop's Hessian products do not recompute it (null: coef alone). */
  w: Tensor | null;
  /** IRLS threshold epsilon (null until IRLS starts). */
  eps: number | null;
  f: (m: Tensor) => Tensor;
  ft: (y: Tensor) => Tensor;
}

const finite = (v: unknown, what: string, arg: string, lo: number, hi = Infinity): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    throw argError(what, arg, hi === Infinity ? `a finite number >= ${lo}` : `a number in [${lo}, ${hi}]`, v, RangeError);
  return v;
};

/** Checks a model-shaped argument: a float32 tensor with n elements. Returns it flat. */
export function checkModel(m: unknown, n: number, what: string, arg: string): Tensor {
  const t = checkTensor(m, what, arg);
  checkFloat(t, what, arg);
  if (t.size !== n) throw argError(what, arg, `a float32 tensor with ${n} elements (the model size)`, t, RangeError);
  return t;
}

/**
 * A SimPEG-style model objective on a 2-D tensor mesh; see regularization(). It owns its constant
 * tensors: call dispose() when done.
 */
export class Regularization {
  readonly nModel: number;
  readonly geometry: MeshGeometry;
  readonly tvEpsilon: number | null;
  private readonly terms: Term[] = [];
  private readonly grid: GridDifferences;
  private reference: Tensor | number;
  private readonly ownsReference: boolean;
  private cellWeights: Tensor | null = null;
  /** TV's per-cell weights (area x cell weights) and its x / z factors. */
  private tvCoef: Tensor | null = null;
  private readonly tvAlpha: [number, number];
  private disposed = false;

  constructor(mesh: TensorMesh2D, opts: RegularizationOptions = {}) {
    const what = 'regularization(mesh, opts)';
    const g = (this.geometry = meshGeometry(mesh, what));
    opts = checkOptions(opts, REG_OPTIONS, what);
    const { nx, nz } = g;
    this.nModel = nx * nz;
    const alphaS = finite(opts.alphaS ?? 1, what, 'opts.alphaS', 0);
    const alphaX = finite(opts.alphaX ?? 1, what, 'opts.alphaX', 0);
    const alphaZ = finite(opts.alphaZ ?? 1, what, 'opts.alphaZ', 0);
    const alphaL = finite(opts.alphaLaplacian ?? 0, what, 'opts.alphaLaplacian', 0);
    const norms = checkOptions(opts.norms, NORM_NAMES, `${what}: opts.norms`);
    const p = (k: keyof SparseNorms): number => finite(norms[k] ?? 2, what, `opts.norms.${k}`, 0, 2);
    const [ps, px, pz] = [p('s'), p('x'), p('z')];
    if (opts.tv !== undefined) {
      checkOptions(opts.tv, TV_NAMES, `${what}: opts.tv`);
      if (opts.tv === null || typeof opts.tv !== 'object') throw argError(what, 'opts.tv', 'an object { epsilon }', opts.tv);
      this.tvEpsilon = finite(opts.tv.epsilon, what, 'opts.tv.epsilon', Number.MIN_VALUE);
      if (px !== 2 || pz !== 2)
        throw argError(what, 'opts.norms', 'no sparse x/z norms together with opts.tv (TV replaces the x/z terms)', opts.norms, Error);
    } else this.tvEpsilon = null;
    this.tvAlpha = [alphaX, alphaZ];

    if (opts.reference === undefined) this.reference = 0;
    else if (typeof opts.reference === 'number') this.reference = finite(opts.reference, what, 'opts.reference', -Infinity);
    else this.reference = checkModel(opts.reference, this.nModel, what, 'opts.reference');
    // Our own flat view, so the caller may dispose theirs.
    this.ownsReference = typeof this.reference !== 'number';
    if (typeof this.reference !== 'number') this.reference = keep(reshape(this.reference, [nz, nx]));

    const ops = (this.grid = new GridDifferences(g));
    const cells = (m: Tensor): Tensor => reshape(m, [nz, nx]);
    const term = (name: TermName, alpha: number, pp: number, f: Term['f'], ft: Term['ft']): void => {
      if (alpha > 0) this.terms.push({ name, alpha, p: pp, coef: null, irls: null, w: null, eps: null, f, ft });
    };
    term(
      's',
      alphaS,
      ps,
      (m) => sub(cells(m), this.reference),
      (y) => y,
    );
    if (this.tvEpsilon === null) {
      if (ops.invDx)
        term(
          'x',
          alphaX,
          px,
          (m) => ops.gradX(cells(m)),
          (y) => ops.gradXT(y),
        );
      if (ops.invDz)
        term(
          'z',
          alphaZ,
          pz,
          (m) => ops.gradZ(cells(m)),
          (y) => ops.gradZT(y),
        );
    }
    term(
      'laplacian',
      alphaL,
      2,
      (m) => ops.laplacian(cells(m)),
      (y) => ops.laplacianT(y),
    );
    this.setWeights(opts.weights ?? null);
  }

  private check(m: unknown, what: string, arg = 'm'): Tensor {
    if (this.disposed) throw new Error(`tellus: ${what}: this regularization was disposed`);
    return checkModel(m, this.nModel, what, arg);
  }

  /** The current per-cell weights, flat [nModel] (a new handle), or null. */
  get weights(): Tensor | null {
    return this.cellWeights ? reshape(this.cellWeights, [this.nModel]) : null;
  }

  /** Per-cell weights (e.g. sensitivity weights) multiplying every term; null for none. Recomputes the term coefficients. */
  setWeights(weights: Tensor | null): void {
    const { nx, nz } = this.geometry;
    const w = weights === null ? null : keep(reshape(this.check(weights, 'setWeights(weights)', 'weights'), [nz, nx]));
    this.cellWeights?.dispose();
    this.cellWeights = w;
    const cells = w ? mul(this.grid.area, w) : this.grid.area;
    for (const t of this.terms) {
      t.coef?.dispose();
      t.coef = keep(
        tidy(() => {
          if (t.name === 'x') return mul(add(slice(cells, [null, [0, nx - 1]]), slice(cells, [null, [1, nx]])), t.alpha / 2);
          if (t.name === 'z') return mul(add(slice(cells, [[0, nz - 1]]), slice(cells, [[1, nz]])), t.alpha / 2);
          return mul(cells, t.alpha);
        }),
      );
      this.combine(t);
    }
    this.tvCoef?.dispose();
    this.tvCoef = this.tvEpsilon === null ? null : keep(mul(cells, 1));
    if (cells !== this.grid.area) cells.dispose();
  }

  private combine(t: Term): void {
    t.w?.dispose();
    t.w = t.irls ? keep(mul(t.coef!, t.irls)) : null;
  }

  /** Per-cell TV pieces: the padded x and z gradients at each cell and u = sqrt(aX gx^2 + aZ gz^2 + eps^2). */
  private tvParts(mg: Tensor): { gx: Tensor | null; gz: Tensor | null; u: Tensor } {
    const [ax, az] = this.tvAlpha;
    const eps = this.tvEpsilon!;
    const gx =
      this.grid.invDx && ax > 0
        ? pad(this.grid.gradX(mg), [
            [0, 0],
            [0, 1],
          ])
        : null;
    const gz =
      this.grid.invDz && az > 0
        ? pad(this.grid.gradZ(mg), [
            [0, 1],
            [0, 0],
          ])
        : null;
    let s: Tensor | number = eps * eps;
    if (gx) s = add(mul(square(gx), ax), s);
    if (gz) s = add(mul(square(gz), az), s);
    return { gx, gz, u: typeof s === 'number' ? mul(this.grid.area, 0).add(Math.sqrt(s)) : sqrt(s) };
  }

  /** TV's adjoint pieces: G_x'^T (c aX gx / u) + G_z'^T (c aZ gz / u) for a per-cell c / u. */
  private tvAdjoint(gx: Tensor | null, gz: Tensor | null, cu: Tensor): Tensor {
    const { nx, nz } = this.geometry;
    const [ax, az] = this.tvAlpha;
    let out: Tensor = mul(cu, 0);
    if (gx) out = add(out, this.grid.gradXT(slice(mul(mul(cu, gx), ax), [null, [0, nx - 1]])));
    if (gz) out = add(out, this.grid.gradZT(slice(mul(mul(cu, gz), az), [[0, nz - 1]])));
    return out;
  }

  /** phi_m(m), a scalar tensor; differentiable (IRLS weights are constants). */
  value(m: Tensor): Tensor {
    const mm = this.check(m, 'value(m)');
    return tidy(() => {
      let total: Tensor = sum(mul(mm, 0));
      for (const t of this.terms) {
        const w = t.w ?? t.coef!;
        total = add(total, sum(mul(w, square(t.f(mm)))));
      }
      if (this.tvCoef) {
        const { u } = this.tvParts(reshape(mm, [this.geometry.nz, this.geometry.nx]));
        total = add(total, sum(mul(this.tvCoef, sub(u, this.tvEpsilon!))));
      }
      return total;
    });
  }

  /** The terms present (alpha > 0), in the order phi_m sums them. */
  get termNames(): TermName[] {
    return this.terms.map((t) => t.name);
  }

  /** d phi_m / dm, flat [nModel]. */
  gradient(m: Tensor): Tensor {
    const mm = this.check(m, 'gradient(m)');
    return tidy(() => {
      let g: Tensor = mul(reshape(mm, [this.geometry.nz, this.geometry.nx]), 0);
      for (const t of this.terms) {
        const w = t.w ?? t.coef!;
        g = add(g, t.ft(mul(w, t.f(mm))));
      }
      g = mul(g, 2);
      if (this.tvCoef) {
        const { gx, gz, u } = this.tvParts(reshape(mm, [this.geometry.nz, this.geometry.nx]));
        g = add(g, this.tvAdjoint(gx, gz, div(this.tvCoef, u)));
      }
      return reshape(g, [this.nModel]);
    });
  }

  /**
   * The Hessian of phi_m applied to v, flat [nModel]: exact for the quadratic terms (IRLS weights
   * frozen), lagged diffusivity for TV (u frozen at m). m is only read for TV.
   */
  hessianVector(m: Tensor, v: Tensor): Tensor {
    const mm = this.check(m, 'hessianVector(m, v)');
    const vv = this.check(v, 'hessianVector(m, v)', 'v');
    return tidy(() => {
      let h: Tensor = mul(reshape(vv, [this.geometry.nz, this.geometry.nx]), 0);
      for (const t of this.terms) {
        const w = t.w ?? t.coef!;
        const fv = t.name === 's' ? reshape(vv, [this.geometry.nz, this.geometry.nx]) : t.f(vv);
        h = add(h, t.ft(mul(w, fv)));
      }
      h = mul(h, 2);
      if (this.tvCoef) {
        const { nz, nx } = this.geometry;
        const { u } = this.tvParts(reshape(mm, [nz, nx]));
        const { gx, gz } = this.tvParts(reshape(vv, [nz, nx]));
        h = add(h, this.tvAdjoint(gx, gz, div(this.tvCoef, u)));
      }
      return reshape(h, [this.nModel]);
    });
  }

  /**
   * diag of hessianVector's operator at m, flat [nModel] (the regularization's part of a Jacobi
   * preconditioner): for a term sum c (F v)^2 it is 2 sum_i c_i F_ij^2.
   */
  hessianDiagonal(m: Tensor): Tensor {
    const mm = this.check(m, 'hessianDiagonal(m)');
    const { nx, nz } = this.geometry;
    return tidy(() => {
      const ops = this.grid;
      let d: Tensor = mul(ops.area, 0);
      for (const t of this.terms) {
        const w = t.w ?? t.coef!;
        if (t.name === 's') d = add(d, w);
        else if (t.name === 'x') d = add(d, ops.spreadX(w));
        else if (t.name === 'z') d = add(d, ops.spreadZ(w));
        else d = add(d, ops.laplacianDiagonal(w));
      }
      d = mul(d, 2);
      if (this.tvCoef) {
        const { u } = this.tvParts(reshape(mm, [nz, nx]));
        const k = div(this.tvCoef, u);
        const [ax, az] = this.tvAlpha;
        if (ops.invDx && ax > 0) d = add(d, ops.spreadX(mul(slice(k, [null, [0, nx - 1]]), ax)));
        if (ops.invDz && az > 0) d = add(d, ops.spreadZ(mul(slice(k, [[0, nz - 1]]), az)));
      }
      return reshape(d, [this.nModel]);
    });
  }

  /** Cell areas, flat [nModel] (a new handle). */
  areas(): Tensor {
    return reshape(this.grid.area, [this.nModel]);
  }

  /** True when some term has p < 2 (IRLS has work to do). */
  get sparse(): boolean {
    return this.terms.some((t) => t.p !== 2);
  }

  /** The IRLS thresholds of the sparse terms (null before IRLS starts). */
  get irlsEpsilon(): Partial<Record<TermName, number | null>> {
    return Object.fromEntries(this.terms.filter((t) => t.p !== 2).map((t) => [t.name, t.eps]));
  }

  /**
   * Starts IRLS: each sparse term's epsilon is the `percentile` of |f(m)| (100: the maximum, SimPEG's
   * default), then its weights are computed. One read-back.
   */
  async startIrls(m: Tensor, percentile = 100): Promise<void> {
    const mm = this.check(m, 'startIrls(m, percentile)');
    finite(percentile, 'startIrls(m, percentile)', 'percentile', Number.MIN_VALUE, 100);
    for (const t of this.terms.filter((t) => t.p !== 2)) {
      const f = tidy(() => reshape(abs(t.f(mm)), [-1]));
      const v = Array.from(await f.data()).sort((a, b) => a - b);
      f.dispose();
      // Linear interpolation between order statistics (numpy's default percentile).
      const pos = ((v.length - 1) * percentile) / 100;
      const lo = Math.floor(pos);
      const e = v[lo]! + (v[Math.min(lo + 1, v.length - 1)]! - v[lo]!) * (pos - lo);
      // A zero |f| everywhere would give eps = 0 and r = 1/0: keep eps positive.
      t.eps = e > 0 ? e : 1e-8;
    }
    this.updateIrls(mm);
  }

  /** Divides every sparse term's epsilon by `factor` (SimPEG's irls cooling, 1.2). */
  coolIrlsEpsilon(factor: number): void {
    finite(factor, 'coolIrlsEpsilon(factor)', 'factor', 1);
    for (const t of this.terms) if (t.eps !== null) t.eps /= factor;
  }

  /**
   * Recomputes the IRLS weights at m (Lawson: r = s / (f^2 + eps^2)^(1 - p/2)), with SimPEG's
   * scale s = max|f| / r_max that keeps the largest penalty gradient equal to the l2 one, so beta
   * does not jump when the norm changes. No read-back.
   */
  updateIrls(m: Tensor): void {
    const mm = this.check(m, 'updateIrls(m)');
    for (const t of this.terms) {
      if (t.p === 2 || t.eps === null) continue;
      const eps = t.eps;
      const next = keep(
        tidy(() => {
          const f = t.f(mm);
          const fmax = maximum(max(abs(f)), 1e-30);
          // Where the lp penalty's gradient f r peaks: at |f| = eps / sqrt(1 - p) for p < 1, else at max|f|.
          const q = 1 - t.p / 2;
          const peak = t.p < 1 ? eps / Math.sqrt(1 - t.p) : 0;
          const lpAtMax = t.p < 1 ? peak / (peak * peak + eps * eps) ** q : div(fmax, pow(add(square(fmax), eps * eps), q));
          const scale = div(fmax, lpAtMax);
          return div(scale, pow(add(square(f), eps * eps), q));
        }),
      );
      t.irls?.dispose();
      t.irls = next;
      this.combine(t);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.terms) for (const x of [t.coef, t.irls, t.w]) x?.dispose();
    this.grid.dispose();
    for (const x of [this.cellWeights, this.tvCoef]) x?.dispose();
    if (this.ownsReference && typeof this.reference !== 'number') this.reference.dispose();
  }
}

/**
 * The model objective phi_m on a 2-D tensor mesh `{ nx, nz, hx, hz }` (models flat [nz * nx], z
 * slowest): alphaS ||W_s (m - mref)||^2 + alphaX ||W_x G_x m||^2 + alphaZ ||W_z G_z m||^2
 * (+ alphaLaplacian ||W L m||^2), with sparse norms by IRLS or smoothed TV; see Regularization.
 */
export function regularization(mesh: TensorMesh2D, opts: RegularizationOptions = {}): Regularization {
  return new Regularization(mesh, opts);
}
