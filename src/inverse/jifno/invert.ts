// The inversion of JI-FNO (issue 20 items 6 and 7; Park et al., sec. 3.3 and 4.2):
//   min_m f(m)   s.t.  ||D m||_1 <= tau,     f(m) = ||R(m, m0) - dm_RTM||^2
// with R a surrogate R_nn or the physics (rtmImage), by Adam steps each followed by the Euclidean
// projection onto the TV ball (projectTvBall's dual FISTA, warm-started with the previous dual).
// The projection runs on the host, so every iteration reads the model back: that read-back is also
// where the GPU work of the step is waited for, and the two parts are timed separately. A penalty
// form f(m) + w ||D m||_1 (differentiable TV, no projection, no per-iteration read-back) is the
// separate option `penalty`.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { abs, add, clone, concat, mul, reshape, slice, square, sub, sum } from '../../autodiff/ops.js';
import { valueAndGrad } from '../../autodiff/transforms.js';
import { Adam, type LearningRate } from '../../nn/optim.js';
import type { Acoustic2dOptions } from '../../physics/acoustic/index.js';
import { projectTvBallValues, shrinkIntoBall, totalVariation } from '../tv.js';
import { ssim } from '../metrics.js';
import { modelTensor, rtmImage } from './actions.js';

/** Anisotropic TV ||D m||_1 of m [nz, nx] as a differentiable scalar (the same D as projectTvBall). */
export function tvNorm(m: Tensor): Tensor {
  modelTensor('tvNorm(m)', 'm', m);
  const [nz, nx] = m.shape as [number, number];
  return tidy(() => {
    const dz = nz > 1 ? sum(abs(sub(slice(m, [[1, nz]]), slice(m, [[0, nz - 1]])))) : null;
    const dx = nx > 1 ? sum(abs(sub(slice(m, [null, [1, nx]]), slice(m, [null, [0, nx - 1]])))) : null;
    return dz && dx ? add(dz, dx) : (dz ?? dx ?? mul(sum(m), 0));
  });
}

/** m -> ||rtmImage(m, m0) - dRtm||^2, the physics objective (differentiable through acoustic2d). */
export function rtmMisfit(m0: Tensor, dRtm: Tensor, acousticOpts: Acoustic2dOptions): (m: Tensor) => Tensor {
  const what = 'rtmMisfit(m0, dRtm, acousticOpts)';
  modelTensor(what, 'm0', m0);
  modelTensor(what, 'dRtm', dRtm);
  if (dRtm.shape.join() !== m0.shape.join()) throw argError(what, 'dRtm', `an image of m0's shape [${m0.shape.join(', ')}]`, dRtm, Error);
  if (acousticOpts === null || typeof acousticOpts !== 'object') throw argError(what, 'acousticOpts', "acoustic2d's options", acousticOpts);
  return (m) => tidy(() => sum(square(sub(rtmImage(m, m0, acousticOpts), dRtm))));
}

export interface TvInvertProjectionOptions {
  /** projectTvBall's relative accuracy. Default 1e-4. */
  tol?: number;
  /** projectTvBall's iteration cap per projection. Default 5000. */
  maxIterations?: number;
}
const PROJECTION_OPTIONS = optionNames<TvInvertProjectionOptions>()('tol', 'maxIterations');

export interface TvIteration {
  /** 1-based. */
  iteration: number;
  /** f at the iterate the step started from (plus w TV in the penalty form). */
  objective: number;
  /** ||D m||_1 after the step (after the projection in the constrained form). */
  tv: number;
  /** Dual iterations of this step's projection (0: the step stayed feasible, or the penalty form). */
  projectionIterations: number;
  /** Whether this step's projection reached its tolerance (true in the penalty form). */
  projectionConverged: boolean;
}

export interface TvInvertOptions {
  /** The TV radius: ||D m||_1 <= tau. Required unless `penalty` is given (then it must be absent). */
  tau?: number;
  /** Adam steps. Default 1200 (the paper's). */
  iterations?: number;
  /** Adam's learning rate or schedule (the paper does not state one). Required. */
  lr: LearningRate;
  /** The TV projection's accuracy and cap. */
  projection?: TvInvertProjectionOptions;
  /** The penalty form f(m) + weight ||D m||_1 instead of the constraint. */
  penalty?: { weight: number };
  /** Record history every logEvery steps (and the first and last). Default 1. */
  logEvery?: number;
  /** Called at every recorded step with the model after it (valid only during the call). */
  onIteration?: (info: TvIteration & { model: Tensor }) => void | Promise<void>;
}
const INVERT_OPTIONS = optionNames<TvInvertOptions>()('tau', 'iterations', 'lr', 'projection', 'penalty', 'logEvery', 'onIteration');

export interface TvInversion {
  /** The final model, float32 [nz, nx] (the caller owns it). */
  model: Tensor;
  /** f (plus w TV in the penalty form) at the final model. */
  objective: number;
  /** ||D model||_1. */
  tv: number;
  history: TvIteration[];
  /** Every projection (the start's included) reached its tolerance. */
  converged: boolean;
  /** Dual iterations over all projections. */
  projectionIterations: number;
  /**
   * Wall seconds: `step` = recording objective, gradient and Adam step plus waiting for the GPU
   * (the read-back); `projection` = the host projection and the upload of its result.
   */
  seconds: { step: number; projection: number };
}

const posInt = (what: string, arg: string, v: unknown, dflt: number): number => {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || (n as number) < 1) throw argError(what, arg, 'an integer >= 1', v, RangeError);
  return n as number;
};
const posNum = (what: string, arg: string, v: unknown, min0 = false): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || (min0 ? v < 0 : v <= 0))
    throw argError(what, arg, `a finite number ${min0 ? '>=' : '>'} 0`, v, RangeError);
  return v;
};

/**
 * Minimizes objective(m) from mStart by Adam, under ||D m||_1 <= tau (each step projected; the
 * start is projected too, so every iterate is feasible) or with the penalty weight ||D m||_1.
 * `objective` maps a float32 model [nz, nx] to a scalar tensor and must be differentiable.
 */
export async function tvInvert(objective: (m: Tensor) => Tensor, mStart: Tensor, opts: TvInvertOptions): Promise<TvInversion> {
  const what = 'tvInvert(objective, mStart, opts)';
  if (typeof objective !== 'function') throw argError(what, 'objective', 'a function m => scalar tensor', objective);
  modelTensor(what, 'mStart', mStart);
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an options object with lr and tau (or penalty)', opts);
  checkOptions(opts, INVERT_OPTIONS, what);
  const iterations = posInt(what, 'opts.iterations', opts.iterations, 1200);
  const logEvery = posInt(what, 'opts.logEvery', opts.logEvery, 1);
  if (typeof opts.lr !== 'function') posNum(what, 'opts.lr', opts.lr);
  if (opts.onIteration !== undefined && typeof opts.onIteration !== 'function')
    throw argError(what, 'opts.onIteration', 'a function', opts.onIteration);
  let weight = 0;
  let tau = Infinity;
  if (opts.penalty !== undefined) {
    if (opts.tau !== undefined)
      throw argError(what, 'opts.tau', 'absent when opts.penalty is given (one form or the other)', opts.tau, Error);
    if (opts.projection !== undefined)
      throw argError(what, 'opts.projection', 'absent when opts.penalty is given (nothing is projected)', opts.projection, Error);
    checkOptions(opts.penalty, optionNames<{ weight: number }>()('weight'), `${what}: opts.penalty`);
    weight = posNum(what, 'opts.penalty.weight', opts.penalty?.weight);
  } else tau = posNum(what, 'opts.tau', opts.tau, true);
  const proj = checkOptions(opts.projection ?? {}, PROJECTION_OPTIONS, `${what}: opts.projection`);
  const tol = posNum(what, 'opts.projection.tol', proj.tol ?? 1e-4);
  const maxIterations = posInt(what, 'opts.projection.maxIterations', proj.maxIterations, 5000);
  const penalized = opts.penalty !== undefined;
  const [nz, nx] = mStart.shape as [number, number];

  const loss = penalized ? (m: Tensor): Tensor => add(objective(m), mul(tvNorm(m), weight)) : objective;
  const valueGrad = valueAndGrad(loss);
  const seconds = { step: 0, projection: 0 };
  let dual: Float64Array | undefined;
  let converged = true;
  let projectionIterations = 0;
  // Projects m (whose values were read back as `data`) in place of m: returns the model to go on with.
  const project = (m: Tensor, data: ArrayLike<number>): { m: Tensor; tv: number; iterations: number; converged: boolean } => {
    const t0 = performance.now();
    const res = projectTvBallValues(data, nz, nx, tau, { tol, maxIterations, ...(dual ? { dual } : {}) });
    dual = res.dual;
    converged &&= res.converged;
    projectionIterations += res.iterations;
    let out = m;
    let tv = res.tv;
    if (res.iterations > 0 || res.distance > 0) {
      // Rounding to float32 may leave the TV a hair above tau: shrink toward the mean until it is not.
      let mean = 0;
      for (const v of res.values) mean += v / res.values.length;
      const f32 = shrinkIntoBall(res.values, mean, tau, nz, nx, Float32Array);
      tv = totalVariation(f32, nz, nx);
      out = tensor(f32, { shape: [nz, nx] });
      m.dispose();
    }
    seconds.projection += (performance.now() - t0) / 1000;
    return { m: out, tv, iterations: res.iterations, converged: res.converged };
  };

  let m = clone(mStart);
  const adam = new Adam({ lr: opts.lr });
  const history: TvIteration[] = [];
  try {
    if (!penalized) m = project(m, await m.data()).m;
    for (let k = 1; k <= iterations; k++) {
      const t0 = performance.now();
      const [value, g] = valueGrad(m) as [Tensor, Tensor];
      let objectiveValue = NaN;
      let data: ArrayLike<number> | undefined;
      let tvValue = NaN;
      try {
        adam.step(m, g);
        const log = k === 1 || k === iterations || k % logEvery === 0;
        // One read-back per step: the model (for the projection) and, when logging, f and TV with it.
        if (log || !penalized) {
          const packed = tidy(() =>
            concat([reshape(value, [1]), penalized ? reshape(tvNorm(m), [1]) : tensor([0]), ...(penalized ? [] : [reshape(m, [-1])])]),
          );
          const all = await packed.data();
          packed.dispose();
          objectiveValue = all[0]!;
          tvValue = all[1]!;
          if (!penalized) data = all.slice(2); // a copy: packed.data() may share a pooled buffer
          if (!Number.isFinite(objectiveValue))
            throw new Error(`tellus: ${what}: the objective became ${objectiveValue} at step ${k}; lower opts.lr or check the objective`);
        }
      } finally {
        value.dispose();
        g.dispose();
      }
      seconds.step += (performance.now() - t0) / 1000;
      let info: TvIteration = { iteration: k, objective: objectiveValue, tv: tvValue, projectionIterations: 0, projectionConverged: true };
      if (!penalized) {
        const p = project(m, data!);
        m = p.m;
        info = { ...info, tv: p.tv, projectionIterations: p.iterations, projectionConverged: p.converged };
      }
      if (k === 1 || k === iterations || k % logEvery === 0) {
        history.push(info);
        await opts.onIteration?.({ ...info, model: m });
      }
    }
    const final = tidy(() => concat([reshape(loss(m), [1]), reshape(tvNorm(m), [1])]));
    const [fv, tv] = await final.data();
    final.dispose();
    return { model: m, objective: fv!, tv: tv!, history, converged, projectionIterations, seconds };
  } catch (e) {
    m.dispose();
    throw e;
  } finally {
    adam.dispose();
  }
}

export interface ImageInversionMetrics {
  /** ||m - mTrue|| / ||mTrue||. */
  modelError: number;
  /** ||image - target|| / ||target||: the paper's data residual, in the RTM-image domain. */
  dataResidual: number;
  /** Mean SSIM of m against mTrue (Wang et al. 2004: Gaussian 11 x 11, sigma 1.5, K1 0.01, K2 0.03, range of mTrue). */
  ssim: number;
}

/**
 * The paper's three metrics (Table 1) for one recovered model m [nz, nx] (nz, nx >= 11 for the
 * SSIM window): `image` is R(m, m0) at the recovered model, `targetImage` the observed dm_RTM.
 */
export async function imageInversionMetrics(m: Tensor, mTrue: Tensor, image: Tensor, targetImage: Tensor): Promise<ImageInversionMetrics> {
  const what = 'imageInversionMetrics(m, mTrue, image, targetImage)';
  const args = { m, mTrue, image, targetImage };
  for (const [k, v] of Object.entries(args)) modelTensor(what, k, v);
  for (const [k, v] of Object.entries(args))
    if (v.shape.join() !== m.shape.join()) throw argError(what, k, `a tensor of m's shape [${m.shape.join(', ')}]`, v, Error);
  if (m.shape[0]! < 11 || m.shape[1]! < 11) throw argError(what, 'm', 'a model [nz, nx] with nz, nx >= 11 (the SSIM window)', m, Error);
  const [xt, yt] = await Promise.all([mTrue.data(), targetImage.data()]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of xt) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!(hi > lo)) throw argError(what, 'mTrue', 'a model that is not constant (its range is the SSIM data range)', mTrue, Error);
  const [x, y] = await Promise.all([m.data(), image.data()]);
  const rel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) [num, den] = [num + (a[i]! - b[i]!) ** 2, den + b[i]! ** 2];
    return Math.sqrt(num / den);
  };
  const s = ssim(m, mTrue, { dataRange: hi - lo });
  const value = await s.item();
  s.dispose();
  return { modelError: rel(x, xt), dataResidual: rel(y, yt), ssim: value };
}
