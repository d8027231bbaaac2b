// SimPEG's directives, with its defaults (simpeg/directives/*.py, SimPEG 0.2x): the beta estimate
// by power iteration (BetaEstimate_ByEig), sensitivity weights (UpdateSensitivityWeights), beta
// cooling (BetaSchedule), the target misfit (TargetMisfit) and the IRLS schedule for sparse norms
// (UpdateIRLS). invert() runs them; each is usable on its own.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText } from '../../graph/options.js';
import { rand } from '../../ops/creation.js';
import { div, max, maximum, mul, sqrt, sum, square } from '../../autodiff/ops.js';
import type { Regularization } from './regularization.js';
import { type DataMisfit, simCall } from './simulation.js';

export const DEFAULTS = {
  /** BetaEstimate_ByEig: beta0_ratio = 1. */
  beta0Ratio: 1,
  /** BetaEstimate_ByEig: n_pw_iter = 4. */
  beta0Iterations: 4,
  /** BetaSchedule: coolingFactor = 8. */
  coolingFactor: 8,
  /** BetaSchedule: coolingRate = 3. */
  coolingRate: 3,
  /** UpdateIRLS's own l2-phase schedule (it replaces BetaSchedule): cooling_factor = 2, cooling_rate = 1. */
  irlsCooling: { factor: 2, rate: 1 },
  /** TargetMisfit: chifact = 1. */
  chiFactor: 1,
  /** InversionDirective-free default of SimPEG's inversions (Minimize.maxIter = 20; pyGIMLi's maxIter is 20 too). */
  maxIterations: 20,
  /** Inexact GN: SimPEG's InexactGaussNewton stops CG at tolCG = 0.1 relative residual (maxIterCG 5); we allow 10 (fixed count, no read-back). */
  cgIterations: 10,
  cgTolerance: 0.1,
  /** Minimize: maxIterLS = 10 halvings, LSreduction (Armijo c1) = 1e-4. */
  lineSearchIterations: 10,
  armijo: 1e-4,
  /** UpdateSensitivityWeights: threshold_value = 1e-12 ('amplitude': relative to the max), 'maximum' normalization, every_iteration = False. */
  sensitivityThreshold: 1e-12,
  /** UpdateIRLS: max_irls_iterations 20, irls_cooling_factor 1.2, f_min_change 1e-2, misfit_tolerance 0.1, percentile 100. */
  irls: { maxIterations: 20, epsilonCooling: 1.2, minPhiMChange: 1e-2, misfitTolerance: 0.1, percentile: 100 },
} as const;

/** lambda_max of a symmetric positive semi-definite map by `iterations` power steps and a final Rayleigh quotient (SimPEG's eigenvalue_by_power_iteration). */
export async function powerIteration(apply: (v: Tensor) => Promise<Tensor>, n: number, iterations: number, seed: number): Promise<number> {
  const unit = (v: Tensor): Tensor => tidy(() => div(v, maximum(sqrt(sum(square(v))), 1e-30)));
  // Uniform [0, 1) start, as SimPEG's eigenvalue_by_power_iteration (rng.random).
  let v = tidy(() => unit(rand([n], { seed })));
  for (let k = 0; k < iterations; k++) {
    const w = await apply(v);
    v.dispose();
    v = unit(w);
    w.dispose();
  }
  const w = await apply(v);
  const rq = tidy(() => sum(mul(v, w)));
  const value = await rq.item();
  for (const t of [v, w, rq]) t.dispose();
  return value;
}

/** The Gauss-Newton Hessian of phi_d applied to v: 2 J^T W^T W J v. */
export async function dataHessianVector(misfit: DataMisfit, m: Tensor, v: Tensor): Promise<Tensor> {
  const { sim, nData } = misfit;
  const jv = await simCall(sim.Jvec(m, v), nData, 'sim.Jvec(m, v)', 'sim.nData');
  const w2jv = tidy(() => mul(mul(jv, misfit.weights), misfit.weights));
  jv.dispose();
  const out = await simCall(sim.Jtvec(m, w2jv), sim.nModel, 'sim.Jtvec(m, w)', 'sim.nModel');
  w2jv.dispose();
  const h = tidy(() => mul(out, 2));
  out.dispose();
  return h;
}

/**
 * beta0 = ratio x lambda_max(phi_d'') / lambda_max(phi_m'') at m (BetaEstimate_ByEig), each by
 * `iterations` power steps from the same seeded random vector. Returns the three numbers.
 */
export async function estimateBeta(
  misfit: DataMisfit,
  reg: Regularization,
  m: Tensor,
  opts: { ratio: number; iterations: number; seed: number },
): Promise<{ beta: number; lambdaData: number; lambdaModel: number }> {
  const n = misfit.sim.nModel;
  const lambdaData = await powerIteration((v) => dataHessianVector(misfit, m, v), n, opts.iterations, opts.seed);
  const lambdaModel = await powerIteration(async (v) => reg.hessianVector(m, v), n, opts.iterations, opts.seed);
  if (!(lambdaModel > 0) || !Number.isFinite(lambdaData))
    throw argError(
      'invert(sim, dObs, opts)',
      'opts.regularization',
      'a model objective with a positive largest curvature (for the beta estimate); give opts.beta0',
      lambdaModel,
      RangeError,
    );
  return { beta: (opts.ratio * lambdaData) / lambdaModel, lambdaData, lambdaModel };
}

/**
 * diag(J^T W^T W J) at m, [nModel], or null without sim.jtjDiagonal. A jtjDiagonal declared with
 * two parameters gets the data weights w = 1/std (SimPEG's getJtJdiag(m, W)); one declared with
 * only m returns diag(J^T J), which is scaled by 1/std^2 when std is one number and is an error
 * otherwise (the per-datum weights cannot be applied afterwards).
 */
export async function dataJtJDiagonal(misfit: DataMisfit, m: Tensor): Promise<Tensor | null> {
  const { sim } = misfit;
  if (typeof sim.jtjDiagonal !== 'function') return null;
  if (sim.jtjDiagonal.length >= 2) return simCall(sim.jtjDiagonal(m, misfit.weights), sim.nModel, 'sim.jtjDiagonal(m, w)', 'sim.nModel');
  if (misfit.uniformStd === null)
    throw argErrorText(
      'invert(sim, dObs, opts)',
      'sim.jtjDiagonal',
      'a function (m, dataWeights) => diag(J^T diag(w)^2 J), since opts.uncertainty varies per datum',
      'a function of one argument',
    );
  const d = await simCall(sim.jtjDiagonal(m), sim.nModel, 'sim.jtjDiagonal(m)', 'sim.nModel');
  const scaled = tidy(() => div(d, misfit.uniformStd! ** 2));
  d.dispose();
  return scaled;
}

/**
 * Sensitivity weights w_j = sqrt(diag(J^T W^T W J)_j) / area_j, floored at threshold x max and
 * normalized by the maximum (UpdateSensitivityWeights: 'amplitude' threshold, 'maximum'
 * normalization), from that diagonal and the cell areas. A new tensor [nModel].
 */
export function sensitivityWeights(jtjDiag: Tensor, areas: Tensor, threshold: number): Tensor {
  return tidy(() => {
    const s = div(sqrt(maximum(jtjDiag, 0)), areas);
    const top = maximum(max(s), 1e-30);
    return div(maximum(s, mul(top, threshold)), top);
  });
}
