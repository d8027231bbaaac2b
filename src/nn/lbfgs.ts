// L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.: Alg. 7.4 two-loop recursion, Alg.
// 3.5/3.6 strong-Wolfe line search with cubic interpolation). Vectors stay on the GPU: the two-loop
// recursion runs in kernels that reduce its dot products on the device (./twoloop.ts), so a
// direction needs no read-back. Each function evaluation costs exactly one read-back, of the five
// scalars the line search needs, computed by one probe kernel pair: loss, g.d, |g|_inf, and on an
// iteration's first trial also g0.d and |d|_inf at the current point. s.y comes from those scalars:
// s.y = alpha (g_new.d - g.d), so accepting a step needs no read-back either.
import type { Tensor } from '../graph/tensor.js';
import { clone, contiguous, max, stack, sum } from '../autodiff/ops.js';
import { checkFloat, checkTensor } from '../ops/emit.js';
import { tidy } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { History } from './twoloop.js';
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';

export interface LbfgsOptions {
  /** Correction pairs kept (m). Default 10. */
  history?: number;
  /** Iterations (accepted steps). Default 100. */
  maxIter?: number;
  /** Function evaluations in all. Default 2 maxIter + 20. */
  maxEvals?: number;
  /** Evaluations per line search. Default 25. */
  maxLineSearch?: number;
  /** Stop when |grad|_inf <= tolGrad. Default 1e-5. */
  tolGrad?: number;
  /** Stop when a step changes no coordinate by more than tolStep. Default 1e-9. */
  tolStep?: number;
  /** Stop when |f_new - f| < tolLoss max(|f|, |f_new|). Default 1e-9: in float32 (resolution 6e-8) that means f did not change at all; 0 disables. */
  tolLoss?: number;
  /** Relative round-off allowed in f by the approximate-Wolfe test (Hager & Zhang 2005). Default 1e-5, ~100 float32 ulps. */
  epsLoss?: number;
  /** Sufficient-decrease (Armijo) constant. Default 1e-4. */
  c1?: number;
  /** Curvature constant (strong Wolfe). Default 0.9. */
  c2?: number;
  /**
   * Called after each accepted iteration with its number, loss, |grad|_inf, evaluations so far and
   * the iterate (read-only, valid during the call); may return a promise, which is awaited.
   * Returning (or resolving to) true ends the run there with reason 'callback'.
   */
  onIteration?: (info: LbfgsIteration) => void | boolean | Promise<void | boolean>;
}

export interface LbfgsIteration {
  iteration: number;
  loss: number;
  gradNorm: number;
  evaluations: number;
  x: Tensor;
}

const LBFGS_OPTIONS = optionNames<LbfgsOptions>()(
  'history',
  'maxIter',
  'maxEvals',
  'maxLineSearch',
  'tolGrad',
  'tolStep',
  'tolLoss',
  'epsLoss',
  'c1',
  'c2',
  'onIteration',
);

export type LbfgsReason = 'gradient' | 'loss' | 'step' | 'maxIter' | 'maxEvals' | 'lineSearch' | 'callback';

export interface LbfgsResult {
  /** The final iterate (the caller owns it). */
  x: Tensor;
  loss: number;
  /** |grad|_inf at x. */
  gradNorm: number;
  iterations: number;
  evaluations: number;
  /** True when a gradient, loss-change or step tolerance stopped the run. */
  converged: boolean;
  reason: LbfgsReason;
  /** Loss at the start and after each iteration. */
  history: number[];
}

/** A point on the line x + a d: scalars read back, and the tensors (absent for the start point, which the caller owns). */
interface Point {
  a: number;
  f: number;
  gd: number;
  gmax: number;
  x?: Tensor;
  g?: Tensor;
}

const drop = (p: Point): void => {
  p.x?.dispose();
  p.g?.dispose();
};
const maxAbs = (a: Tensor): Tensor => tidy(() => max(a.abs()));

async function readScalars(ts: Tensor[]): Promise<number[]> {
  const packed = tidy(() => stack(ts.map((t) => (t.rank === 0 ? t : t.reshape([])))));
  const v = Array.from(await packed.data());
  packed.dispose();
  ts.forEach((t) => t.dispose());
  return v;
}

/** Minimizer of the cubic through (a1, f1, g1), (a2, f2, g2) (N&W eq. 3.59), clamped to [lo, hi]; midpoint when undefined. */
function cubic(p1: Point, p2: Point, lo: number, hi: number): number {
  const d1 = p1.gd + p2.gd - (3 * (p1.f - p2.f)) / (p1.a - p2.a);
  const disc = d1 * d1 - p1.gd * p2.gd;
  const d2 = Math.sign(p2.a - p1.a) * Math.sqrt(disc);
  const a = p2.a - ((p2.a - p1.a) * (p2.gd + d2 - d1)) / (p2.gd - p1.gd + 2 * d2);
  return Number.isFinite(a) ? Math.min(Math.max(a, lo), hi) : (lo + hi) / 2;
}

/**
 * Minimizes f from x0. `fg(x)` returns [loss (one element), gradient (x's shape)] as new tensors,
 * recorded synchronously; lbfgs disposes them when done and never disposes or changes x0.
 *
 * Non-finite values: a NaN or Inf loss at a line-search trial point counts as "too far" and the
 * search backtracks (as SciPy's does), so an objective may be Inf outside its domain. But a
 * non-finite loss or gradient at x0, a NaN/Inf gradient at a finite loss, or a line search whose
 * every trial was non-finite is a bug in the objective, and lbfgs rejects with an error naming the
 * iteration (rather than resolving with a reason, which would be easy to miss); x0 is unchanged.
 */
export async function lbfgs(fg: (x: Tensor) => [Tensor, Tensor], x0: Tensor, opts: LbfgsOptions = {}): Promise<LbfgsResult> {
  const what = 'lbfgs(fg, x0, opts)';
  if (typeof fg !== 'function') throw argError(what, 'fg', 'a function x => [loss, grad]', fg);
  checkTensor(x0, what, 'x0');
  checkFloat(x0, what, 'x0');
  if (x0.size === 0) throw argError(what, 'x0', 'a non-empty tensor', x0, Error);
  opts = checkOptions(opts, LBFGS_OPTIONS, what);
  const int = (v: number | undefined, dflt: number, name: string, min: number): number => {
    const n = v ?? dflt;
    if (!Number.isInteger(n) || n < min) throw argError(what, name, `an integer >= ${min}`, n);
    return n;
  };
  const real = (v: number | undefined, dflt: number, name: string, lo: number, hi = Infinity): number => {
    const n = v ?? dflt;
    if (typeof n !== 'number' || !(n >= lo && n <= hi)) throw argError(what, name, `a number in [${lo}, ${hi}]`, n);
    return n;
  };
  const m = int(opts.history, 10, 'history', 1);
  const maxIter = int(opts.maxIter, 100, 'maxIter', 1);
  const maxEvals = int(opts.maxEvals, 2 * maxIter + 20, 'maxEvals', 1);
  const maxLs = int(opts.maxLineSearch, 25, 'maxLineSearch', 1);
  const tolGrad = real(opts.tolGrad, 1e-5, 'tolGrad', 0);
  const tolStep = real(opts.tolStep, 1e-9, 'tolStep', 0);
  const tolLoss = real(opts.tolLoss, 1e-9, 'tolLoss', 0);
  const epsLoss = real(opts.epsLoss, 1e-5, 'epsLoss', 0);
  const c1 = real(opts.c1, 1e-4, 'c1', 0, 1);
  const c2 = real(opts.c2, 0.9, 'c2', c1, 1);
  const onIteration = opts.onIteration;
  if (onIteration !== undefined && typeof onIteration !== 'function') throw argError(what, 'onIteration', 'a function', onIteration);

  let evaluations = 0;
  const evalAt = (x: Tensor): [Tensor, Tensor] => {
    evaluations++;
    const out = fg(x);
    if (!Array.isArray(out) || out.length !== 2) throw argError(what, 'fg(x)', 'an array [loss, grad]', out);
    const [loss, g0] = out;
    checkTensor(loss, what, 'fg(x)[0] (the loss)');
    checkTensor(g0, what, 'fg(x)[1] (the gradient)');
    if (loss.size !== 1 || loss.dtype !== 'float32')
      throw argError(what, 'fg(x)[0] (the loss)', 'a float32 tensor with one element', loss, Error);
    if (g0.dtype !== 'float32' || g0.rank !== x.rank || g0.shape.some((d, i) => d !== x.shape[i]))
      throw argError(what, 'fg(x)[1] (the gradient)', `a float32 tensor of x's shape ${fmt(x.shape)}`, g0, Error);
    // The kernels read the gradient as a flat array, and we dispose it later: it must be contiguous and not x itself.
    const g = g0 === x ? clone(g0) : contiguous(g0);
    if (g !== g0 && g0 !== x) g0.dispose();
    return [loss, g];
  };

  let x = clone(x0);
  const first = evalAt(x);
  let g = first[1];
  const [f0, gmax0, gsum0] = await readScalars([first[0], maxAbs(g), tidy(() => sum(g.abs()))]);
  // |g|_1 is a sum, so it carries any NaN or Inf in g (a max reduction may drop a NaN).
  if (!Number.isFinite(f0) || !Number.isFinite(gsum0)) {
    x.dispose();
    g.dispose();
    throw argErrorText(
      what,
      'fg(x0)',
      'a finite loss and gradient at the starting point (iteration 0)',
      `loss ${f0}${Number.isFinite(gsum0) ? '' : ' and a gradient holding NaN or Inf'}; a non-finite loss is a bug in the objective`,
      RangeError,
    );
  }
  let f = f0!;
  let gmax = gmax0!;
  const history = [f];
  const hist = new History(m, x.size);
  let iterations = 0;
  let reason: LbfgsReason | null = gmax <= tolGrad ? 'gradient' : null;
  // First step as in PyTorch: at most 1, and at most 1 / |g|_1 so a large gradient does not overshoot.
  const alpha1 = Math.min(1, 1 / gsum0!);

  try {
    while (reason === null) {
      if (iterations >= maxIter) {
        reason = 'maxIter';
        break;
      }
      if (evaluations >= maxEvals) {
        reason = 'maxEvals';
        break;
      }
      // Two-loop recursion (N&W Alg. 7.4) with H0 = gamma I, gamma = s.y / y.y of the newest pair.
      const steepest = hist.length === 0;
      const d = hist.direction(g);

      // Line search along d. The first trial's read-back also brings g.d and |d|_inf.
      const budget = Math.min(maxLs, maxEvals - evaluations);
      let used = 0;
      let nonFinite = 0;
      // Every trial point of this search, so an error can free them all (dispose is idempotent).
      const trials: Point[] = [];
      let dphi0 = NaN;
      let dmax = NaN;
      const base: Point = { a: 0, f, gd: NaN, gmax };
      const trial = async (a: number): Promise<Point> => {
        used++;
        const xa = tidy(() => x.add(d.mul(a)));
        const [la, ga] = evalAt(xa);
        const probe = hist.probe(la, ga, d, used === 1 ? g : null);
        la.dispose();
        const [fa, gd, gm, g0d, dm] = Array.from(await probe.data());
        probe.dispose();
        if (used === 1) [dphi0, dmax, base.gd] = [g0d!, dm!, g0d!];
        const p: Point = { a, f: fa!, gd: gd!, gmax: gm!, x: xa, g: ga };
        trials.push(p);
        if (!Number.isFinite(p.f)) nonFinite++;
        // g.d is a sum over all of g (NaN * 0 is NaN), so it carries any NaN or Inf in the gradient.
        else if (!Number.isFinite(p.gd)) {
          trials.forEach(drop);
          d.dispose();
          throw argErrorText(
            what,
            'fg(x)',
            'a finite gradient',
            `one holding NaN or Inf at a finite loss ${p.f} (iteration ${iterations + 1}, evaluation ${evaluations}); ` +
              'a non-finite gradient is a bug in the objective',
            RangeError,
          );
        }
        return p;
      };
      // Sufficient decrease: Armijo, or Hager & Zhang's approximate-Wolfe test for when float32
      // round-off in f hides a real decrease: f within epsLoss |f| and a slope <= (1 - 2 c1) |g.d|,
      // which on a quadratic is Armijo computed from slopes, accurate where f differences are not.
      const decrease = (p: Point): boolean =>
        p.f <= f + c1 * p.a * dphi0 || (p.f <= f + epsLoss * Math.abs(f) && p.gd <= (2 * c1 - 1) * dphi0);
      const wolfe = (p: Point): boolean => decrease(p) && Math.abs(p.gd) <= -c2 * dphi0;
      // Alg. 3.6: lo satisfies sufficient decrease with the lowest f so far; returns the accepted point.
      const zoom = async (lo: Point, hi: Point): Promise<Point> => {
        while (used < budget && Math.abs(hi.a - lo.a) * dmax > tolStep) {
          const [a, b] = [Math.min(lo.a, hi.a), Math.max(lo.a, hi.a)];
          const cur = await trial(cubic(lo, hi, a + 0.1 * (b - a), b - 0.1 * (b - a)));
          if (wolfe(cur)) {
            drop(lo);
            drop(hi);
            return cur;
          }
          if (!decrease(cur) || cur.f >= lo.f) {
            drop(hi);
            hi = cur;
            continue;
          }
          if (cur.gd * (hi.a - lo.a) >= 0) {
            drop(hi);
            hi = lo;
          } else drop(lo);
          lo = cur;
        }
        drop(hi);
        return lo;
      };
      // Alg. 3.5: grow the step until it brackets a strong-Wolfe point, then zoom.
      let accepted: Point | null = null;
      let prev = base;
      let a = steepest && iterations === 0 ? alpha1 : 1;
      for (;;) {
        const cur = await trial(a);
        if (used === 1 && !(dphi0 < 0)) {
          drop(cur);
          break; // not a descent direction (float32 round-off in the history): restart below
        }
        if (wolfe(cur)) {
          drop(prev);
          accepted = cur;
          break;
        }
        if (!Number.isFinite(cur.f) || !decrease(cur) || (used > 1 && cur.f >= prev.f)) {
          accepted = await zoom(prev, cur);
          break;
        }
        if (cur.gd >= 0) {
          accepted = await zoom(cur, prev);
          break;
        }
        if (used >= budget) {
          drop(prev);
          accepted = cur;
          break;
        }
        const next = cubic(prev, cur, a + 0.01 * (a - prev.a), 10 * a);
        drop(prev);
        prev = cur;
        a = next;
      }
      if (!accepted || accepted.a === 0) {
        d.dispose();
        if (used > 0 && nonFinite === used) {
          throw argErrorText(
            what,
            'fg(x)',
            'a finite loss',
            `NaN or Inf at every one of the ${used} trial points of iteration ${iterations + 1} ` +
              `(the loss was ${f} at the last finite iterate); a non-finite loss is a bug in the objective`,
            RangeError,
          );
        }
        // No decrease along a quasi-Newton direction: forget the history and try steepest descent.
        if (!steepest) {
          hist.reset();
          continue;
        }
        reason = evaluations >= maxEvals ? 'maxEvals' : 'lineSearch';
        break;
      }

      // Accept: update the history with s = a d, y = g_new - g, s.y = a (g_new.d - g.d). A strong-Wolfe
      // point has s.y >= (1 - c2) a |g.d|; a point taken when the search ran out of evaluations may
      // not, and a pair without clear positive curvature would spoil H, so it is skipped. (Relative,
      // unlike PyTorch's s.y > 1e-10, so tiny losses near a minimum keep their curvature pairs.)
      const sy = accepted.a * (accepted.gd - dphi0);
      const gOld = g;
      if (sy > 1e-4 * accepted.a * Math.abs(dphi0)) hist.push(accepted.a, d, accepted.g!, gOld, sy);
      d.dispose();
      gOld.dispose();
      x.dispose();
      x = accepted.x!;
      g = accepted.g!;
      const fOld = f;
      [f, gmax] = [accepted.f, accepted.gmax];
      iterations++;
      history.push(f);
      if (onIteration && (await onIteration({ iteration: iterations, loss: f, gradNorm: gmax, evaluations, x })) === true)
        reason = 'callback';
      else if (gmax <= tolGrad) reason = 'gradient';
      else if (Math.abs(f - fOld) < tolLoss * Math.max(Math.abs(f), Math.abs(fOld))) reason = 'loss';
      else if (accepted.a * dmax <= tolStep) reason = 'step';
    }
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    hist.dispose();
    g.dispose();
  }
  return {
    x,
    loss: f,
    gradNorm: gmax,
    iterations,
    evaluations,
    converged: reason === 'gradient' || reason === 'loss' || reason === 'step',
    reason,
    history,
  };
}
