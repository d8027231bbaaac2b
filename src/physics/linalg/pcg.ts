// Preconditioned conjugate gradients for symmetric positive definite operators on the GPU, over a
// batch of right-hand sides (axis 0). Every scalar of an iteration (alpha, beta, the residual) is a
// per-right-hand-side tensor, so iterations record no read-back:
//  - pcg (async) reads the residuals back every `checkEvery` iterations and stops when all are
//    below tol, or throws with the residual it reached;
//  - solveSpd (sync) runs a fixed budget, is differentiable in b and in A's parameters (its VJP is
//    a second solve with the same operator, since A is symmetric: no unrolled CG on the tape), and
//    reports non-convergence through a status flag at the next read-back.
// A right-hand side that has converged is frozen (its step is masked to zero), so a batch runs as
// long as its slowest member without pushing the others into round-off.
import { Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { context } from '../../graph/context.js';
import { registerStatusFlag } from '../../graph/scheduler.js';
import { registerShader } from '../../gpu/kernels.js';
import { zeros } from '../../ops/creation.js';
import { checkTensor, emit, grid1d } from '../../ops/emit.js';
import { add, cast, concat, div, gt, maximum, minimum, mul, neg, sqrt, sub, sum } from '../../autodiff/ops.js';
import { customVjp, vjp } from '../../autodiff/transforms.js';
import pcgWgsl from '../../../shaders/pcg.wgsl';

registerShader('pcg.wgsl', pcgWgsl);
const PCG_STATUS_BIT = registerStatusFlag(
  'solveSpd: PCG did not reach opts.tol within opts.maxIterations (or broke down: is A symmetric positive definite?); raise maxIterations or precondition',
);

/** A Jacobi diagonal ([n] or b's shape: z = r / d) or any function r -> M^-1 r. */
export type Preconditioner = Tensor | ((r: Tensor) => Tensor);

export interface PcgOptions {
  /** Stop when ||r|| / ||b|| <= tol for every right-hand side (default 1e-6; float32 reaches ~1e-7). */
  tol?: number;
  /** Iteration cap (default 1000); reaching it unconverged throws. */
  maxIterations?: number;
  preconditioner?: Preconditioner;
  /** Starting guess (default 0). */
  x0?: Tensor;
  /** Residuals are read back every checkEvery iterations (default 25): each read-back costs ~1-11 ms. */
  checkEvery?: number;
}
const PCG_OPTIONS = optionNames<PcgOptions>()('tol', 'maxIterations', 'preconditioner', 'x0', 'checkEvery');

export interface PcgResult {
  x: Tensor;
  /** Iterations of the slowest right-hand side. */
  iterations: number;
  /** Iterations each right-hand side took to converge. */
  iterationsPerRhs: Int32Array;
  /** The true relative residual ||b - A x|| / ||b|| of each right-hand side (0 for b = 0), in float64. */
  relativeResidual: Float64Array;
}

// Guards 0/0 once a right-hand side has converged exactly (p = 0): the step is then 0, not NaN.
const TINY = 1e-30;
// Stands in for +infinity in the curvature minimum (uniforms must be finite).
const BIG = 3e38;

/** Per-right-hand-side inner products over the last axis, kept as [B, 1] (or [1]) to broadcast. */
const dotLast = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b), [a.rank - 1], true);

interface State {
  x: Tensor;
  r: Tensor;
  p: Tensor;
  rz: Tensor;
  rr: Tensor;
  /** Iterations taken while unconverged, per right-hand side. */
  count: Tensor;
  /** The smallest p^T A p met while unconverged: <= 0 means A is not positive definite. */
  curvature: Tensor;
}

interface Problem {
  A: (x: Tensor) => Tensor;
  M: (r: Tensor) => Tensor;
  b: Tensor;
  /** tol^2 ||b||^2 per right-hand side. */
  limit: Tensor;
}

function applyChecked(what: string, A: (x: Tensor) => Tensor, x: Tensor, arg: string): Tensor {
  const y: unknown = A(x);
  if (!(y instanceof Tensor) || y.shape.join() !== x.shape.join() || y.dtype !== 'float32')
    throw argErrorText(
      what,
      arg,
      `a function returning a float32 tensor of x's shape [${x.shape.join(', ')}]`,
      y instanceof Tensor ? `${y.dtype} [${y.shape.join(', ')}]` : typeof y,
      Error,
    );
  return y;
}

function preconditioner(what: string, M: Preconditioner | undefined, b: Tensor, arg: string): (r: Tensor) => Tensor {
  if (M === undefined) return (r) => r;
  if (typeof M === 'function') return (r) => applyChecked(what, M, r, arg);
  checkTensor(M, what, arg);
  const n = b.shape[b.rank - 1]!;
  if (M.dtype !== 'float32' || (M.shape.join() !== `${n}` && M.shape.join() !== b.shape.join()))
    throw argError(what, arg, `a float32 Jacobi diagonal [${n}] or [${b.shape.join(', ')}], or a function r => M^-1 r`, M, Error);
  return (r) => div(r, M);
}

function start(pb: Problem, x0: Tensor | undefined): State {
  return tidy(() => {
    const x = x0 ?? zeros(pb.b.shape);
    const r = x0 ? sub(pb.b, pb.A(x0)) : pb.b;
    const z = pb.M(r);
    const one = zeros(pb.limit.shape);
    return { x, r, p: z, rz: dotLast(r, z), rr: dotLast(r, r), count: one, curvature: add(one, BIG) };
  });
}

function step(pb: Problem, s: State): State {
  return tidy(() => {
    const active = cast(gt(s.rr, pb.limit), 'float32');
    const Ap = pb.A(s.p);
    const pAp = dotLast(s.p, Ap);
    const alpha = mul(active, div(s.rz, maximum(pAp, TINY)));
    const x = add(s.x, mul(alpha, s.p));
    const r = sub(s.r, mul(alpha, Ap));
    const z = pb.M(r);
    const rz = dotLast(r, z);
    const p = add(z, mul(div(rz, maximum(s.rz, TINY)), s.p));
    return {
      x,
      r,
      p,
      rz,
      rr: dotLast(r, r),
      count: add(s.count, active),
      curvature: minimum(s.curvature, add(pAp, mul(sub(1, active), BIG))),
    };
  });
}

/** Disposes the old state's tensors that the new one does not carry and the caller does not own. */
function release(old: State, next: State, owned: readonly Tensor[]): void {
  const keep = new Set<Tensor>([...Object.values(next), ...owned]);
  for (const t of new Set(Object.values(old))) if (!keep.has(t)) t.dispose();
}

function iterate(pb: Problem, s: State, k: number, owned: readonly Tensor[]): State {
  for (let i = 0; i < k; i++) {
    const next = step(pb, s);
    release(s, next, owned);
    s = next;
  }
  return s;
}

function numberOpt(what: string, arg: string, v: unknown, dflt: number, ok: (v: number) => boolean, expected: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !ok(v)) throw argError(what, arg, expected, v, RangeError);
  return v;
}
const tolOpt = (what: string, v: unknown): number =>
  numberOpt(what, 'opts.tol', v, 1e-6, (t) => t > 0 && t < 1, 'a relative residual in (0, 1)');
const iterOpt = (what: string, arg: string, v: unknown, dflt: number): number =>
  numberOpt(what, arg, v, dflt, (t) => Number.isInteger(t) && t >= 1, 'an integer >= 1');

function checkRhs(what: string, b: Tensor): void {
  checkTensor(b, what, 'b');
  if (b.dtype !== 'float32' || (b.rank !== 1 && b.rank !== 2) || b.shape[b.rank - 1] === 0)
    throw argError(what, 'b', 'a float32 tensor [n] or a batch [B, n] of right-hand sides', b, Error);
}

function checkX0(what: string, x0: Tensor | undefined, b: Tensor): void {
  if (x0 === undefined) return;
  checkTensor(x0, what, 'opts.x0');
  if (x0.shape.join() !== b.shape.join()) throw argError(what, 'opts.x0', `a tensor of b's shape [${b.shape.join(', ')}]`, x0, Error);
}

/**
 * Solves A x = b by preconditioned CG, A symmetric positive definite given as a function of x
 * ([n] -> [n], or [B, n] -> [B, n] for a batch of right-hand sides). Reads residuals back every
 * `checkEvery` iterations; throws when `maxIterations` pass without every right-hand side reaching
 * `tol`, or when A shows a non-positive curvature.
 */
export async function pcg(A: (x: Tensor) => Tensor, b: Tensor, opts: PcgOptions = {}): Promise<PcgResult> {
  const what = 'pcg(A, b, opts)';
  if (typeof A !== 'function') throw argError(what, 'A', 'a function x => A x', A);
  checkRhs(what, b);
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an options object', opts);
  checkOptions(opts, PCG_OPTIONS, what);
  const tol = tolOpt(what, opts.tol);
  const maxIterations = iterOpt(what, 'opts.maxIterations', opts.maxIterations, 1000);
  const checkEvery = iterOpt(what, 'opts.checkEvery', opts.checkEvery, 25);
  checkX0(what, opts.x0, b);
  const pb: Problem = {
    A: (x) => applyChecked(what, A, x, 'A'),
    M: preconditioner(what, opts.preconditioner, b, 'opts.preconditioner'),
    b,
    limit: tidy(() => mul(dotLast(b, b), tol * tol)),
  };
  const owned = [b, ...(opts.x0 ? [opts.x0] : [])];
  const batch = b.rank === 2 ? b.shape[0]! : 1;
  let s = start(pb, opts.x0);
  let done = 0;
  let host = new Float64Array(0);
  const readBack = async (): Promise<void> => {
    const packed = tidy(() =>
      concat(
        [s.rr, pb.limit, s.count, s.curvature].map((t) => t.reshape([-1])),
        0,
      ),
    );
    host = Float64Array.from(await packed.data());
    packed.dispose();
  };
  try {
    for (;;) {
      const k = Math.min(checkEvery, maxIterations - done);
      s = iterate(pb, s, k, owned);
      done += k;
      await readBack();
      const curv = host.subarray(3 * batch);
      const bad = curv.findIndex((c) => !(c > 0));
      if (bad >= 0)
        throw new Error(
          `tellus: ${what}: A is not positive definite: p^T A p = ${curv[bad]} for right-hand side ${bad} (PCG needs a symmetric positive definite operator; check A's sign and symmetry)`,
        );
      let worst = -1;
      for (let i = 0; i < batch; i++)
        if (!(host[i]! <= host[batch + i]!) && (worst < 0 || host[i]! / host[batch + i]! > host[worst]! / host[batch + worst]!)) worst = i;
      if (worst < 0) break;
      if (done >= maxIterations) {
        const rel = Math.sqrt(host[worst]! / (host[batch + worst]! / (tol * tol)));
        throw new Error(
          `tellus: ${what}: no convergence in ${maxIterations} iterations: relative residual ${rel.toExponential(2)} > tol ${tol.toExponential()} for right-hand side ${worst} of ${batch} (raise opts.maxIterations, loosen opts.tol, or pass a better opts.preconditioner)`,
        );
      }
    }
    const counts = Int32Array.from(host.subarray(2 * batch, 3 * batch));
    const residual = tidy(() => {
      const r = sub(b, A(s.x));
      return sqrt(div(dotLast(r, r), maximum(dotLast(b, b), TINY)));
    });
    const rel = Float64Array.from(await residual.data());
    residual.dispose();
    const x = s.x;
    release(s, { x } as State, owned);
    pb.limit.dispose();
    return { x, iterations: Math.max(...counts), iterationsPerRhs: counts, relativeResidual: rel };
  } catch (e) {
    release(s, {} as State, owned);
    pb.limit.dispose();
    throw e;
  }
}

export interface SolveSpdOptions {
  /** The iteration budget: exactly this many (masked) iterations run, forward and backward. */
  maxIterations: number;
  /** Relative residual at which a right-hand side freezes (default 1e-6). */
  tol?: number;
  /** A Jacobi diagonal, or a function of the residual and A's parameters. */
  preconditioner?: Tensor | ((r: Tensor, ...params: Tensor[]) => Tensor);
}
const SOLVE_OPTIONS = optionNames<SolveSpdOptions>()('maxIterations', 'tol', 'preconditioner');

/** A fixed-budget solve that flags a right-hand side still above its limit on the device. */
function solveFixed(pb: Problem, iterations: number): Tensor {
  let s = start(pb, undefined);
  s = iterate(pb, s, iterations, [pb.b]);
  const n = s.rr.size;
  const rr = s.rr.reshape([-1]);
  const limit = pb.limit.reshape([-1]);
  emit({
    file: 'pcg.wgsl',
    entry: 'check_residual',
    label: 'solveSpd.check',
    overrides: { PCG_STATUS_BIT },
    bind: { rr: rr.storageFor('solveSpd'), limit: limit.storageFor('solveSpd'), status: context().scheduler.status },
    uniforms: { n },
    grid: grid1d(n),
    bytes: 8 * n,
  });
  rr.dispose();
  limit.dispose();
  const x = s.x;
  release(s, { x } as State, [pb.b]);
  return x;
}

/**
 * x = A(params)^-1 b for A symmetric positive definite, differentiable in b and in every parameter
 * tensor: the VJP solves A lambda = g and returns [lambda, -(dA/dparams x)^T lambda], so a loss
 * through the solve never unrolls CG. Runs exactly `opts.maxIterations` iterations (no read-back);
 * a right-hand side that has not converged by then raises an error at the next read-back.
 */
export function solveSpd(
  A: (x: Tensor, ...params: Tensor[]) => Tensor,
  b: Tensor,
  params: readonly Tensor[] = [],
  opts: SolveSpdOptions,
): Tensor {
  const what = 'solveSpd(A, b, params, opts)';
  if (typeof A !== 'function') throw argError(what, 'A', 'a function (x, ...params) => A x', A);
  checkRhs(what, b);
  if (!Array.isArray(params)) throw argError(what, 'params', 'an array of tensors', params);
  params.forEach((p, i) => checkTensor(p, what, `params[${i}]`));
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an options object with maxIterations', opts);
  checkOptions(opts, SOLVE_OPTIONS, what);
  const tol = tolOpt(what, opts.tol);
  if (opts.maxIterations === undefined)
    throw argError(what, 'opts.maxIterations', 'an integer >= 1 (the iteration budget)', undefined, Error);
  const iterations = iterOpt(what, 'opts.maxIterations', opts.maxIterations, 1);
  const P = opts.preconditioner;
  const problem = (rhs: Tensor, ps: Tensor[]): Problem => ({
    A: (x) => applyChecked(what, (v) => A(v, ...ps), x, 'A'),
    M:
      typeof P === 'function'
        ? preconditioner(what, (r) => P(r, ...ps), rhs, 'opts.preconditioner')
        : preconditioner(what, P, rhs, 'opts.preconditioner'),
    b: rhs,
    limit: mul(dotLast(rhs, rhs), tol * tol),
  });
  const solve = (rhs: Tensor, ps: Tensor[]): Tensor => {
    const pb = problem(rhs, ps);
    const x = solveFixed(pb, iterations);
    pb.limit.dispose();
    return x;
  };
  const op = customVjp<{ x: Tensor; ps: Tensor[] }>(
    (_ctx, rhs, ...ps) => {
      const x = solve(rhs, ps);
      return { out: x, saved: { x, ps } };
    },
    (g, { x, ps }) => {
      const lambda = solve(g, ps);
      if (ps.length === 0) return [lambda];
      const [, pull] = vjp((...qs: Tensor[]) => A(x, ...qs), ...ps);
      const minus = neg(lambda);
      const grads = pull(minus) as (Tensor | null)[];
      minus.dispose();
      return [lambda, ...grads];
    },
    { name: 'solveSpd' },
  );
  return op(b, ...params);
}
