// Regularized inversion min phi_d(m) + beta phi_m(m) with SimPEG's directive set: sensitivity
// weights, beta estimate, beta cooling, target misfit, IRLS for sparse norms. The outer loop reads
// back a few scalars per iteration (phi_d, phi_m, a CG residual); the inner solves do not.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { zeros } from '../../ops/creation.js';
import { add, mul, reshape } from '../../autodiff/ops.js';
import { type Regularization, regularization as makeRegularization, checkModel } from './regularization.js';
import { type Simulation, DataMisfit, checkSimulation } from './simulation.js';
import { DEFAULTS, dataJtJDiagonal, estimateBeta, sensitivityWeights } from './directives.js';
import { History } from '../../nn/twoloop.js';
import { type Point, type Problem, disposePoint, evaluate, gaussNewtonStep, lbfgsSteps, project } from './steps.js';

export interface IrlsOptions {
  /** IRLS iterations after the l2 phase reached the target. Default 20. */
  maxIterations?: number;
  /** Epsilon is divided by this each IRLS iteration. Default 1.2. */
  epsilonCooling?: number;
  /** Stop when phi_m changes by less than this fraction (with phi_d on target). Default 0.01. */
  minPhiMChange?: number;
  /** phi_d counts as on target within this fraction; outside it beta is rescaled. Default 0.1. */
  misfitTolerance?: number;
  /** Starting epsilon: this percentile of |f_m| per term. Default 100 (the maximum). */
  percentile?: number;
}
const IRLS_OPTIONS = optionNames<IrlsOptions>()('maxIterations', 'epsilonCooling', 'minPhiMChange', 'misfitTolerance', 'percentile');

export interface LbfgsInvertOptions {
  /** L-BFGS steps per outer iteration (the memory is kept while beta and phi_m stay the same). Default 10. */
  iterations?: number;
  /** Correction pairs kept. Default 10. */
  history?: number;
}
const LBFGS_OPTIONS = optionNames<LbfgsInvertOptions>()('iterations', 'history');

export interface IterationInfo {
  /** 0 for the starting model, then 1, 2, ... */
  iteration: number;
  /** The beta of this iteration's step (for iteration 0, the estimate). */
  beta: number;
  phiD: number;
  phiM: number;
  /** phi_d + beta phi_m. */
  phi: number;
  /** phi_d / nData: 1 when the data are fit to their standard deviations. */
  chi: number;
  /** Accepted line-search step (GN: 1 is the full GN step). */
  step: number;
  /** GN: the CG relative residual |r| / |b| at the end of its iterations. */
  cgResidual?: number;
  /** L-BFGS: steps taken in this outer iteration. */
  lbfgsSteps?: number;
  /** True once the IRLS phase has started. */
  irls: boolean;
  /** IRLS epsilons per sparse term (after IRLS starts). */
  epsilon?: Partial<Record<string, number | null>>;
}

export type StopReason = 'targetMisfit' | 'irlsConverged' | 'irlsMaxIterations' | 'maxIterations' | 'lineSearch';

export interface InvertResult {
  /** The final model [nModel] (the caller owns it). */
  model: Tensor;
  /** Iteration 0 (the start) and every outer iteration. */
  history: IterationInfo[];
  stopReason: StopReason;
  /** The stop reason in words. */
  message: string;
  beta: number;
}

export interface InvertOptions {
  /** Starting model [nModel]. Default zeros. */
  m0?: Tensor;
  /** The model objective. Default: smallness ||m||^2 only. invert uses it (sets weights, IRLS state) but does not dispose it. */
  regularization?: Regularization;
  /** Data standard deviations: a number or a tensor [nData]. Default 1. */
  uncertainty?: Tensor | number;
  /** 'gauss-newton' (default) or 'lbfgs'. */
  method?: 'gauss-newton' | 'lbfgs';
  /** Outer iterations. Default 20. */
  maxIterations?: number;
  /** Fixed starting beta (skips the estimate). */
  beta0?: number;
  /** beta0 = ratio x lambda_max(phi_d'') / lambda_max(phi_m''). Default 1. */
  beta0Ratio?: number;
  /** Power iterations of the estimate. Default 4. */
  beta0Iterations?: number;
  /** Seed of the power iteration's start vector. Default 0. */
  seed?: number;
  /**
   * beta /= coolingFactor every coolingRate iterations until the target (the l2 phase). Defaults 8
   * and 3 (BetaSchedule); with sparse norms and IRLS on, 2 and 1 (UpdateIRLS runs its own schedule).
   */
  coolingFactor?: number;
  coolingRate?: number;
  /** Target phi_d = chiFactor x nData. Default 1. */
  chiFactor?: number;
  /**
   * Weight the regularization by normalized sensitivities (needs sim.jtjDiagonal): true computes
   * them once at the start (SimPEG's every_iteration = False); { everyIteration: true } after every
   * iteration too. Default false.
   */
  sensitivityWeighting?: boolean | { everyIteration?: boolean };
  /** IRLS for sparse norms: options, or false to keep p = 2. Default on when the regularization has sparse norms. */
  irls?: IrlsOptions | boolean;
  /** GN: CG iterations per step (fixed count). Default 10. */
  cgIterations?: number;
  /** GN: relative residual at which CG stops updating. Default 0.1. */
  cgTolerance?: number;
  /**
   * GN: read CG's residual back every this many steps and stop once it is below the tolerance.
   * Default 0 (never: a fixed count, no read-back). For simulations whose J v costs far more than a
   * read-back (~11 ms), e.g. PDE solves, 2-5 saves the products that masked steps would spend.
   */
  cgCheckEvery?: number;
  /** Halvings of the backtracking line search. Default 10. */
  lineSearchIterations?: number;
  /** Bounds (projection): numbers or tensors [nModel]. */
  lower?: Tensor | number;
  upper?: Tensor | number;
  /** method 'lbfgs': steps per outer iteration and memory. */
  lbfgs?: LbfgsInvertOptions;
  /** Called after iteration 0 and every outer iteration (awaited). `model` is valid during the call only. */
  onIteration?: (info: IterationInfo & { model: Tensor }) => void | Promise<void>;
}
const INVERT_OPTIONS = optionNames<InvertOptions>()(
  'm0',
  'regularization',
  'uncertainty',
  'method',
  'maxIterations',
  'beta0',
  'beta0Ratio',
  'beta0Iterations',
  'seed',
  'coolingFactor',
  'coolingRate',
  'chiFactor',
  'sensitivityWeighting',
  'irls',
  'cgIterations',
  'cgTolerance',
  'cgCheckEvery',
  'lineSearchIterations',
  'lower',
  'upper',
  'lbfgs',
  'onIteration',
);

const WHAT = 'invert(sim, dObs, opts)';

function num(v: unknown, dflt: number, arg: string, lo: number, opts: { int?: boolean; open?: boolean } = {}): number {
  const x = v ?? dflt;
  const ok = typeof x === 'number' && Number.isFinite(x) && (opts.open ? x > lo : x >= lo) && (!opts.int || Number.isInteger(x));
  if (!ok) throw argError(WHAT, arg, `${opts.int ? 'an integer' : 'a finite number'} ${opts.open ? '>' : '>='} ${lo}`, x, RangeError);
  return x;
}

function bound(v: unknown, n: number, arg: string): Tensor | number | null {
  if (v === undefined) return null;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw argError(WHAT, arg, 'a number or a tensor [nModel]', v, RangeError);
    return v;
  }
  return checkModel(v, n, WHAT, arg);
}

/**
 * Minimizes phi_d(m) + beta phi_m(m) for a Simulation, cooling beta until phi_d reaches
 * chiFactor x nData (then, with sparse norms, running the IRLS schedule). See docs/inversion.md.
 */
export async function invert(sim: Simulation, dObs: Tensor, opts: InvertOptions = {}): Promise<InvertResult> {
  const { nModel, nData } = checkSimulation(sim);
  opts = checkOptions(opts, INVERT_OPTIONS, WHAT);
  const method = opts.method ?? 'gauss-newton';
  if (method !== 'gauss-newton' && method !== 'lbfgs') throw argError(WHAT, 'opts.method', "'gauss-newton' or 'lbfgs'", method);
  const maxIterations = num(opts.maxIterations, DEFAULTS.maxIterations, 'opts.maxIterations', 0, { int: true });
  const beta0Ratio = num(opts.beta0Ratio, DEFAULTS.beta0Ratio, 'opts.beta0Ratio', 0, { open: true });
  const beta0Iterations = num(opts.beta0Iterations, DEFAULTS.beta0Iterations, 'opts.beta0Iterations', 1, { int: true });
  const seed = num(opts.seed, 0, 'opts.seed', 0, { int: true });

  const chiFactor = num(opts.chiFactor, DEFAULTS.chiFactor, 'opts.chiFactor', 0, { open: true });
  const cgIterations = num(opts.cgIterations, DEFAULTS.cgIterations, 'opts.cgIterations', 1, { int: true });
  const cgTolerance = num(opts.cgTolerance, DEFAULTS.cgTolerance, 'opts.cgTolerance', 0);
  const cgCheckEvery = num(opts.cgCheckEvery, 0, 'opts.cgCheckEvery', 0, { int: true });
  const lineSearchIterations = num(opts.lineSearchIterations, DEFAULTS.lineSearchIterations, 'opts.lineSearchIterations', 1, { int: true });
  const beta0 = opts.beta0 === undefined ? null : num(opts.beta0, 0, 'opts.beta0', 0);
  const sw = opts.sensitivityWeighting;
  if (sw !== undefined && typeof sw !== 'boolean' && (sw === null || typeof sw !== 'object'))
    throw argError(WHAT, 'opts.sensitivityWeighting', 'a boolean or { everyIteration }', sw);
  const swOpts = typeof sw === 'object' ? checkOptions(sw, ['everyIteration'], `${WHAT}: opts.sensitivityWeighting`) : {};
  if (swOpts.everyIteration !== undefined && typeof swOpts.everyIteration !== 'boolean')
    throw argError(WHAT, 'opts.sensitivityWeighting.everyIteration', 'a boolean', swOpts.everyIteration);
  const sensitivity = sw === undefined || sw === false ? null : { everyIteration: swOpts.everyIteration ?? false };
  if (opts.onIteration !== undefined && typeof opts.onIteration !== 'function')
    throw argError(WHAT, 'opts.onIteration', 'a function', opts.onIteration);
  const lb = checkOptions(opts.lbfgs, LBFGS_OPTIONS, `${WHAT}: opts.lbfgs`);
  const lbfgs = {
    iterations: num(lb.iterations, 10, 'opts.lbfgs.iterations', 1, { int: true }),
    history: num(lb.history, 10, 'opts.lbfgs.history', 1, { int: true }),
  };
  const irlsIn = opts.irls === undefined || opts.irls === true ? {} : opts.irls;
  if (irlsIn !== false && (irlsIn === null || typeof irlsIn !== 'object'))
    throw argError(WHAT, 'opts.irls', 'an object of IRLS options or a boolean', opts.irls);
  const irlsOpts = irlsIn === false ? null : checkOptions(irlsIn, IRLS_OPTIONS, `${WHAT}: opts.irls`);
  const D = DEFAULTS.irls;
  const irls = irlsOpts && {
    maxIterations: num(irlsOpts.maxIterations, D.maxIterations, 'opts.irls.maxIterations', 1, { int: true }),
    epsilonCooling: num(irlsOpts.epsilonCooling, D.epsilonCooling, 'opts.irls.epsilonCooling', 1),
    minPhiMChange: num(irlsOpts.minPhiMChange, D.minPhiMChange, 'opts.irls.minPhiMChange', 0),
    misfitTolerance: num(irlsOpts.misfitTolerance, D.misfitTolerance, 'opts.irls.misfitTolerance', 0),
    percentile: num(irlsOpts.percentile, D.percentile, 'opts.irls.percentile', 0, { open: true }),
  };
  if (irls && irls.percentile > 100) throw argError(WHAT, 'opts.irls.percentile', 'a number in (0, 100]', irls.percentile, RangeError);

  const ownReg = opts.regularization === undefined;
  const reg =
    opts.regularization ?? makeRegularization({ nx: nModel, nz: 1, hx: new Float64Array(nModel).fill(1), hz: [1] }, { alphaX: 0 });
  if (!ownReg && !(reg && typeof reg === 'object' && typeof reg.hessianVector === 'function'))
    throw argError(WHAT, 'opts.regularization', 'a Regularization (from regularization(mesh, opts))', reg);
  if (reg.nModel !== nModel)
    throw argErrorText(
      WHAT,
      'opts.regularization',
      `a regularization on ${nModel} cells (sim.nModel)`,
      `one on ${reg.nModel} cells`,
      RangeError,
    );
  const sparse = irls !== null && reg.sparse;
  const coolingFactor = num(opts.coolingFactor, sparse ? DEFAULTS.irlsCooling.factor : DEFAULTS.coolingFactor, 'opts.coolingFactor', 1);
  const coolingRate = num(opts.coolingRate, sparse ? DEFAULTS.irlsCooling.rate : DEFAULTS.coolingRate, 'opts.coolingRate', 1, {
    int: true,
  });
  const m0 = opts.m0 === undefined ? null : checkModel(opts.m0, nModel, WHAT, 'opts.m0');
  const lower = bound(opts.lower, nModel, 'opts.lower');
  const upper = bound(opts.upper, nModel, 'opts.upper');

  const misfit = await DataMisfit.create(sim, dObs, opts.uncertainty);
  const P: Problem = { misfit, reg, beta: 0, lower, upper, lineSearchIterations, armijo: DEFAULTS.armijo, dataDiagonal: null };
  const target = chiFactor * nData;
  const history: IterationInfo[] = [];
  let x: Point | null = null;
  const disposers: (() => void)[] = [];

  // The data part of the Jacobi preconditioner and the sensitivity weights, both from diag(J^T W^T W J).
  const refreshDiagonal = async (m: Tensor): Promise<void> => {
    const diag = await dataJtJDiagonal(misfit, m);
    if (!diag) return;
    if (sensitivity) {
      const areas = reg.areas();
      const w = sensitivityWeights(diag, areas, DEFAULTS.sensitivityThreshold);
      reg.setWeights(w);
      for (const t of [w, areas]) t.dispose();
    }
    P.dataDiagonal?.dispose();
    P.dataDiagonal = tidy(() => mul(diag, 2));
    diag.dispose();
  };

  try {
    const start = tidy(() => project(P, m0 ? reshape(m0, [nModel]) : zeros([nModel])));
    if (sensitivity && typeof sim.jtjDiagonal !== 'function')
      throw argError(WHAT, 'sim.jtjDiagonal', 'a function (sensitivityWeighting needs diag(J^T W^T W J))', sim.jtjDiagonal);
    await refreshDiagonal(start).catch((e: unknown) => {
      start.dispose();
      throw e;
    });
    x = await evaluate(P, start).catch((e: unknown) => {
      start.dispose();
      throw e;
    });
    if (!Number.isFinite(x.phiD) || !Number.isFinite(x.phiM))
      throw argErrorText(
        WHAT,
        Number.isFinite(x.phiD) ? 'opts.regularization' : 'sim.dpred(m0)',
        'a finite data misfit and model objective at the starting model',
        `phi_d = ${x.phiD}, phi_m = ${x.phiM}`,
        RangeError,
      );
    P.beta = beta0 ?? (await estimateBeta(misfit, reg, x.m, { ratio: beta0Ratio, iterations: beta0Iterations, seed })).beta;

    let irlsOn = false;
    let irlsIteration = 0;
    let previousPhiM: number | null = null;
    const report = async (info: Omit<IterationInfo, 'phi' | 'chi' | 'irls' | 'epsilon'>): Promise<void> => {
      const full: IterationInfo = {
        ...info,
        phi: info.phiD + info.beta * info.phiM,
        chi: info.phiD / nData,
        irls: irlsOn,
        ...(irlsOn ? { epsilon: reg.irlsEpsilon } : {}),
      };
      history.push(full);
      await opts.onIteration?.({ ...full, model: x!.m });
    };
    await report({ iteration: 0, beta: P.beta, phiD: x.phiD, phiM: x.phiM, step: 0 });

    let stopReason: StopReason = 'maxIterations';
    if (x.phiD <= target && !sparse) stopReason = 'targetMisfit';
    const hist = method === 'lbfgs' ? new History(lbfgs.history, nModel) : null;
    let histBeta = NaN;
    disposers.push(() => hist?.dispose());
    let failures = 0;
    let it = 0;
    // No decrease at this beta: phi is at its minimum for this beta (to float32 round-off). In the
    // l2 phase, above the target, cool beta at once and go on; a second failure in a row stops.
    const noStep = async (): Promise<boolean> => {
      failures++;
      if (failures >= 2 || irlsOn || x!.phiD <= target || coolingFactor === 1) {
        stopReason = 'lineSearch';
        return true;
      }
      await report({ iteration: it, beta: P.beta, phiD: x!.phiD, phiM: x!.phiM, step: 0 });
      P.beta /= coolingFactor;
      return false;
    };
    for (it = 1; it <= maxIterations && stopReason === 'maxIterations'; it++) {
      const betaUsed = P.beta;
      let res: { point: Point; step: number; cgResidual?: number; steps?: number } | null;
      if (method === 'gauss-newton') {
        res = await gaussNewtonStep(P, x, { iterations: cgIterations, tolerance: cgTolerance, checkEvery: cgCheckEvery });
      } else {
        // The pairs hold gradient differences of phi at one beta and one phi_m: start afresh when either changed.
        if (histBeta !== P.beta) hist!.reset();
        histBeta = P.beta;
        res = await lbfgsSteps(P, x, hist!, lbfgs.iterations);
      }
      if (!res) {
        if (await noStep()) break;
        continue;
      }
      failures = 0;
      disposePoint(x);
      x = res.point;
      const info: Omit<IterationInfo, 'phi' | 'chi' | 'irls' | 'epsilon'> = {
        iteration: it,
        beta: betaUsed,
        phiD: x.phiD,
        phiM: x.phiM,
        step: res.step,
      };
      if (method === 'gauss-newton') info.cgResidual = res.cgResidual;
      else info.lbfgsSteps = res.steps;
      await report(info);

      // End-of-iteration directives, in SimPEG's order: IRLS (or cooling), target, weights.
      let objectiveChanged = false;
      if (irlsOn && irls) {
        irlsIteration++;
        const onTarget = Math.abs(1 - x.phiD / target) <= irls.misfitTolerance;
        const change = previousPhiM === null ? Infinity : Math.abs(x.phiM - previousPhiM) / Math.max(previousPhiM, 1e-30);
        previousPhiM = x.phiM;
        if (onTarget && change < irls.minPhiMChange) stopReason = 'irlsConverged';
        else if (irlsIteration >= irls.maxIterations) stopReason = 'irlsMaxIterations';
        else {
          reg.coolIrlsEpsilon(irls.epsilonCooling);
          reg.updateIrls(x.m);
          if (!onTarget) {
            // UpdateIRLS.adjust_beta: move beta towards the target, damped.
            const ratio = target / x.phiD;
            P.beta *= ratio > 1 ? (2 + ratio) / 2 : (0.75 + ratio) / 2;
          }
          objectiveChanged = true;
        }
      } else if (x.phiD <= target) {
        if (sparse && irls) {
          irlsOn = true;
          await reg.startIrls(x.m, irls.percentile);
          objectiveChanged = true;
        } else stopReason = 'targetMisfit';
      } else if (it % coolingRate === 0) P.beta /= coolingFactor;
      if (stopReason === 'maxIterations' && sensitivity?.everyIteration && it < maxIterations) {
        await refreshDiagonal(x.m);
        objectiveChanged = true;
      }
      if (objectiveChanged) {
        histBeta = NaN;
        // The weights changed phi_m at the current model: re-read it for the next line search.
        const v = tidy(() => reg.value(x!.m));
        x.phiM = await v.item();
        v.dispose();
      }
    }
    const model = tidy(() => add(x!.m, 0));
    return { model, history, stopReason, message: explain(stopReason, history, target), beta: P.beta };
  } finally {
    for (const f of disposers) f();
    if (x) disposePoint(x);
    P.dataDiagonal?.dispose();
    misfit.dispose();
    if (ownReg) reg.dispose();
  }
}

function explain(reason: StopReason, history: IterationInfo[], target: number): string {
  const last = history[history.length - 1]!;
  const at = `phi_d = ${last.phiD.toPrecision(4)} (target ${target.toPrecision(4)}) after ${last.iteration} iterations`;
  switch (reason) {
    case 'targetMisfit':
      return `target misfit reached: ${at}`;
    case 'irlsConverged':
      return `IRLS converged (phi_m changed by less than the tolerance with phi_d on target): ${at}`;
    case 'irlsMaxIterations':
      return `IRLS stopped at its iteration limit: ${at}`;
    case 'maxIterations':
      return `iteration limit reached before the target misfit: ${at}`;
    case 'lineSearch':
      return `the line search found no decrease of phi_d + beta phi_m (a minimum at this beta, or a wrong Jacobian): ${at}`;
  }
}
