// Classical baselines for linear inverse problems A x = b on batches (axis 0 is the sample; every
// scalar of an iteration is per sample): conjugate gradients, Tikhonov by CG on the normal
// equations, plain gradient descent, and the power iteration for ||A||^2. Iteration counts are
// fixed (no read-back in the loops); each solver reports its operator applications so methods can
// be compared at the same cost.
import { type Tensor, tidy } from '../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { randn, zeros } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { add, div, maximum, mul, sqrt, sub, sum } from '../autodiff/ops.js';
import { type Applications, type LinearOperator, countApplications, gradient2d, modelShape } from './operators.js';

/** Per-sample inner products <a_n, b_n>, shaped [N, 1, ..., 1] to broadcast against a and b. */
export function dotPerSample(a: Tensor, b: Tensor): Tensor {
  const axes = Array.from({ length: a.rank - 1 }, (_, i) => i + 1);
  return axes.length ? sum(mul(a, b), axes, true) : mul(a, b);
}

// Guards 0/0 once a sample has converged exactly (r = 0, p = 0): the step is then 0, not NaN.
const TINY = 1e-30;

const int = (v: unknown, what: string, arg: string, min: number): number => {
  if (!Number.isInteger(v) || (v as number) < min) throw argError(what, arg, `an integer >= ${min}`, v, RangeError);
  return v as number;
};
const positive = (v: unknown, what: string, arg: string, allowZero = false): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw argError(what, arg, `a finite number ${allowZero ? '>= 0' : '> 0'}`, v, RangeError);
  return v;
};

/** Disposes a loop state's tensors that are not the caller's (`owned`) and not carried on (`next`). */
function release(olds: Tensor[], next: Tensor[], owned: Set<Tensor>): void {
  for (const t of new Set(olds)) if (!owned.has(t) && !next.includes(t)) t.dispose();
}

export interface CGOptions {
  /** Number of CG iterations (each applies M once). */
  iterations: number;
  /** Starting point (default 0; then the first residual costs no application of M). */
  x0?: Tensor;
}
const CG_OPTIONS = optionNames<CGOptions>()('iterations', 'x0');

/**
 * Conjugate gradients for M x = rhs with M symmetric positive definite, per sample of the batch
 * (axis 0). Runs exactly `iterations` steps.
 */
export function conjugateGradient(M: (x: Tensor) => Tensor, rhs: Tensor, opts: CGOptions): Tensor {
  const what = 'conjugateGradient(M, rhs, opts)';
  if (typeof M !== 'function') throw argError(what, 'M', 'a function x => M x', M);
  checkTensor(rhs, what, 'rhs');
  if (rhs.dtype !== 'float32' || rhs.rank < 1) throw argError(what, 'rhs', 'a float32 tensor [N, ...]', rhs, Error);
  checkOptions(opts, CG_OPTIONS, what);
  const iterations = int(opts?.iterations, what, 'opts.iterations', 0);
  if (opts.x0 !== undefined) {
    checkTensor(opts.x0, what, 'opts.x0');
    if (opts.x0.shape.join() !== rhs.shape.join())
      throw argError(what, 'opts.x0', `a tensor of rhs's shape [${rhs.shape.join(', ')}]`, opts.x0, Error);
  }
  const owned = new Set<Tensor>([rhs, ...(opts.x0 ? [opts.x0] : [])]);
  let [x, r, p, rr] = tidy((): [Tensor, Tensor, Tensor, Tensor] => {
    const x = opts.x0 ?? zeros(rhs.shape);
    const r = opts.x0 ? sub(rhs, M(x)) : rhs;
    return [x, r, r, dotPerSample(r, r)];
  });
  for (let k = 0; k < iterations; k++) {
    const next = tidy(() => {
      const mp = M(p);
      const alpha = div(rr, maximum(dotPerSample(p, mp), TINY));
      const x1 = add(x, mul(alpha, p));
      const r1 = sub(r, mul(alpha, mp));
      const rr1 = dotPerSample(r1, r1);
      const p1 = add(r1, mul(div(rr1, maximum(rr, TINY)), p));
      return [x1, r1, p1, rr1];
    });
    release([x, r, p, rr], next, owned);
    [x, r, p, rr] = next as [Tensor, Tensor, Tensor, Tensor];
  }
  release([r, p, rr], [x], owned);
  return x;
}

export interface TikhonovOptions {
  /** Regularization weight lambda >= 0 in ||A x - b||^2 + lambda ||L x||^2. */
  lambda: number;
  /** L: 'identity' (damped least squares, default) or 'gradient' (forward differences, smoothing). */
  regularizer?: 'identity' | 'gradient';
  /** CG iterations on the normal equations (each applies A and AT once). */
  iterations: number;
}
const TIKHONOV_OPTIONS = optionNames<TikhonovOptions>()('lambda', 'regularizer', 'iterations');

export interface SolverResult {
  /** The estimate, [N, 1, H, W]. */
  x: Tensor;
  /** Operator applications used (one application maps the whole batch). */
  applications: Applications;
}

/**
 * Tikhonov-regularized least squares by CG on the normal equations
 * (A^T A + lambda L^T L) x = A^T b from x = 0: 1 + iterations applications of AT, `iterations` of A.
 * Models are [N, 1, H, W] (AT's output).
 */
export function tikhonovCG(op: LinearOperator, b: Tensor, opts: TikhonovOptions): SolverResult {
  const what = 'tikhonovCG(op, b, opts)';
  const c = countApplications(op, what);
  checkTensor(b, what, 'b');
  checkOptions(opts, TIKHONOV_OPTIONS, what);
  const lambda = positive(opts?.lambda, what, 'opts.lambda', true);
  const iterations = int(opts.iterations, what, 'opts.iterations', 0);
  const reg = opts.regularizer ?? 'identity';
  if (reg !== 'identity' && reg !== 'gradient') throw argError(what, 'opts.regularizer', "'identity' or 'gradient'", reg);
  const rhs = c.AT(b);
  const [, h, w] = modelShape(rhs, what, 'op.AT(b)', reg === 'gradient' ? 2 : 1);
  const L = reg === 'gradient' ? gradient2d(h, w) : null;
  const M = (x: Tensor): Tensor => {
    const data = c.AT(c.A(x));
    if (lambda === 0) return data;
    return add(data, mul(L ? L.AT(L.A(x)) : x, lambda));
  };
  const x = conjugateGradient(M, rhs, { iterations });
  rhs.dispose();
  return { x, applications: c.count() };
}

export interface GradientDescentOptions {
  /** Number of iterations; from x = 0 the first needs no A: `iterations` AT and `iterations - 1` A. */
  iterations: number;
  /** Step size; 1 / ||A||^2 (operatorNormSquared) is the largest that never increases the misfit. */
  step: number;
}
const GD_OPTIONS = optionNames<GradientDescentOptions>()('iterations', 'step');

/** Plain gradient descent on 0.5 ||A x - b||^2 from x = 0: x <- x - step AT(A x - b). */
export function gradientDescent(op: LinearOperator, b: Tensor, opts: GradientDescentOptions): SolverResult {
  const what = 'gradientDescent(op, b, opts)';
  const c = countApplications(op, what);
  checkTensor(b, what, 'b');
  checkOptions(opts, GD_OPTIONS, what);
  const iterations = int(opts?.iterations, what, 'opts.iterations', 1);
  const step = positive(opts.step, what, 'opts.step');
  let x = tidy(() => mul(c.AT(b), step));
  for (let k = 1; k < iterations; k++) {
    const x1 = tidy(() => sub(x, mul(c.AT(sub(c.A(x), b)), step)));
    x.dispose();
    x = x1;
  }
  return { x, applications: c.count() };
}

export interface OperatorNormOptions {
  /** Power iterations on AT A. Default 30. */
  iterations?: number;
  /** Seed of the starting vector. Default 0. */
  seed?: number;
}
const NORM_OPTIONS = optionNames<OperatorNormOptions>()('iterations', 'seed');

/**
 * ||A||^2 = the largest eigenvalue of AT A, by power iteration from a normal random vector of
 * shape `xShape` (one model, e.g. [1, 1, H, W]): a lower bound that converges from below. One
 * read-back, at the end. Returns the estimate and the applications used.
 */
export async function operatorNormSquared(
  op: LinearOperator,
  xShape: readonly number[],
  opts: OperatorNormOptions = {},
): Promise<{ value: number; applications: Applications }> {
  const what = 'operatorNormSquared(op, xShape, opts)';
  const c = countApplications(op, what);
  checkOptions(opts, NORM_OPTIONS, what);
  const iterations = int(opts.iterations ?? 30, what, 'opts.iterations', 1);
  const seed = int(opts.seed ?? 0, what, 'opts.seed', 0);
  const unit = (v: Tensor): Tensor => div(v, sqrt(sum(mul(v, v))));
  let v = tidy(() => unit(randn(xShape, { seed })));
  let lam: Tensor | null = null;
  for (let k = 0; k < iterations; k++) {
    const [v1, l1] = tidy((): [Tensor, Tensor] => {
      const w = c.AT(c.A(v));
      return [unit(w), sum(mul(v, w))]; // Rayleigh quotient of the unit vector v
    });
    v.dispose();
    lam?.dispose();
    [v, lam] = [v1, l1];
  }
  const value = await lam!.item();
  v.dispose();
  lam!.dispose();
  return { value, applications: c.count() };
}
