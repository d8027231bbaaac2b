// The RTM map of JI-FNO (issue 20) and its Jacobian actions, from the engine's exact discrete Born
// and adjoint operators:
//   R(m, m0) = J(m0)^T (F(m0) - F(m))          (F = acoustic2d in velocity, J its Jacobian)
//   dR/dm v  = -J(m0)^T J(m) v                  (Born at m, then the adjoint at m0: exact)
//   GN form  = -J(m0)^T J(m0) v                 (the paper's dR ~ -J^T J dm)
// Directions ride the shot axis: the survey is repeated once per direction, born2d takes one
// perturbation per shot (direction j on copy j), and rtm2dShots returns each shot's image, summed
// over each copy's shots. One Born pass and one migration pass serve a whole chunk of directions,
// instead of one pair of passes per direction (the per-step dispatch cost is what dominates small grids).
import { Tensor, tidy } from '../../graph/tensor.js';
import { hostValues, tensor } from '../../ops/creation.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import { concat, expand, neg, reshape, slice, sub, sum } from '../../autodiff/ops.js';
import { vjp } from '../../autodiff/transforms.js';
import { acoustic2d, acoustic2dPlan, born2d, rtm2dShots, type Acoustic2dOptions } from '../../physics/acoustic/index.js';

/** A live float32 velocity model [nz, nx] (argument `arg` of `what`). */
export function modelTensor(what: string, arg: string, t: unknown): Tensor {
  const ok = (t as Tensor | null)?.dtype === 'float32' && !(t as Tensor).isDisposed && (t as Tensor).shape.length === 2;
  if (!ok) throw argError(what, arg, 'a live float32 velocity model [nz, nx]', t, Error);
  return t as Tensor;
}

/** The survey repeated k times along the shot axis (copies outer, shots inner); the caller disposes the new tensors. */
function tiledSurvey(opts: Acoustic2dOptions, k: number): Acoustic2dOptions {
  // Locations must stay host-known (the engine plans its grid from them): tile on the host when they are.
  const tile = (t: unknown): unknown => {
    if (Array.isArray(t)) return Array.from({ length: k }, () => t).flat();
    if (!(t instanceof Tensor)) return t;
    const host = hostValues(t);
    if (!host) return concat(Array.from({ length: k }, () => t));
    const out = new (host.constructor as Int32ArrayConstructor | Float32ArrayConstructor)(k * host.length);
    for (let j = 0; j < k; j++) out.set(host, j * host.length);
    return tensor(out, { shape: [k * t.shape[0]!, ...t.shape.slice(1)], dtype: t.dtype });
  };
  return {
    ...opts,
    sourceAmplitudes: tile(opts.sourceAmplitudes),
    sourceLocations: tile(opts.sourceLocations),
    receiverLocations: tile(opts.receiverLocations),
  } as Acoustic2dOptions;
}

/** Shots in the survey (the leading axis of its sources or receivers). */
const shotCount = (opts: Acoustic2dOptions): number => {
  for (const t of [opts.sourceAmplitudes, opts.sourceLocations, opts.receiverLocations] as unknown[]) {
    if (t instanceof Tensor) return t.shape[0]!;
    if (Array.isArray(t)) return t.length;
  }
  return 1;
};

/** Directions per pass: copies of the survey whose wavefield (one field: shots x padded cells) stays within 32 MiB. */
function perPass(at: Tensor, opts: Acoustic2dOptions, r: number): number {
  const plan = acoustic2dPlan(at, opts);
  const shots = shotCount(opts);
  const field = 4 * shots * plan.paddedShape[0] * plan.paddedShape[1];
  return Math.max(1, Math.min(r, Math.floor(2 ** 25 / field)));
}

/**
 * J(at)^T J(b) D_j for each row of D [r, nz, nx], stacked [r, nz, nx] (b = at: the Gauss-Newton
 * product), with the directions batched along the shot axis in chunks that bound the memory.
 */
export function normalEach(at: Tensor, b: Tensor, D: Tensor, opts: Acoustic2dOptions): Tensor {
  const r = D.shape[0]!;
  const [nz, nx] = D.shape.slice(1) as [number, number];
  const shots = shotCount(opts);
  const k = perPass(at, opts, r);
  const chunks: Tensor[] = [];
  try {
    for (let j0 = 0; j0 < r; j0 += k) {
      const n = Math.min(k, r - j0);
      chunks.push(
        tidy(() => {
          const survey = tiledSurvey(opts, n);
          // Shot s of copy j carries direction j0 + j.
          const dv = reshape(expand(reshape(slice(D, [[j0, j0 + n]]), [n, 1, nz, nx]), [n, shots, nz, nx]), [n * shots, nz, nx]);
          const data = born2d(b, dv, survey);
          return sum(reshape(rtm2dShots(at, data, survey), [n, shots, nz, nx]), [1]);
        }),
      );
    }
    return chunks.length === 1 ? chunks.pop()! : tidy(() => concat(chunks));
  } finally {
    chunks.forEach((t) => t.dispose());
  }
}

/** The RTM image R(m, m0) = J(m0)^T (F(m0) - F(m)): the residual migrated in the background m0. */
export function rtmImage(m: Tensor, m0: Tensor, opts: Acoustic2dOptions): Tensor {
  const what = 'rtmImage(m, m0, opts)';
  modelTensor(what, 'm', m);
  modelTensor(what, 'm0', m0);
  if (m.shape.join() !== m0.shape.join()) throw argErrorText(what, 'm', `the shape of m0 ${fmt(m0.shape)}`, fmt(m.shape), Error);
  const [out, pull] = vjp((v: Tensor) => acoustic2d(v, opts), m0);
  try {
    return tidy(() => pull(sub(out as Tensor, acoustic2d(m, opts)))[0]!);
  } finally {
    (out as Tensor).dispose();
    pull.dispose();
  }
}

export interface RtmJacobianActionOptions {
  /** Also return the Gauss-Newton form -J(m0)^T J(m0) v. Default false. */
  gaussNewton?: boolean;
}
const ACTION_OPTIONS = optionNames<RtmJacobianActionOptions>()('gaussNewton');

export interface RtmJacobianActions {
  /** dR/dm v_j = -J(m0)^T J(m) v_j, [r, nz, nx]. */
  exact: Tensor;
  /** -J(m0)^T J(m0) v_j, [r, nz, nx] (when asked for). */
  gaussNewton?: Tensor;
}

/**
 * The Jacobian of R(m, m0) in m along each direction (rows of `directions` [r, nz, nx]): exact
 * (Born at m, adjoint at m0) and, optionally, the Gauss-Newton form (Born at m0).
 */
export function rtmJacobianActions(
  m: Tensor,
  m0: Tensor,
  directions: Tensor,
  opts: Acoustic2dOptions,
  actionOpts: RtmJacobianActionOptions = {},
): RtmJacobianActions {
  const what = 'rtmJacobianActions(m, m0, directions, opts, actionOpts)';
  modelTensor(what, 'm', m);
  modelTensor(what, 'm0', m0);
  checkOptions(actionOpts, ACTION_OPTIONS, what);
  const shape = m0.shape;
  if (m.shape.join() !== shape.join()) throw argErrorText(what, 'm', `the shape of m0 ${fmt(shape)}`, fmt(m.shape), Error);
  const D = directions as Tensor | null;
  if (D?.dtype !== 'float32' || D.isDisposed || D.shape.length !== 3 || D.shape.slice(1).join() !== shape.join())
    throw argError(what, 'directions', `a live float32 tensor [r, ${shape.join(', ')}]`, directions, Error);
  const gn = actionOpts.gaussNewton ?? false;
  if (typeof gn !== 'boolean') throw argError(what, 'actionOpts.gaussNewton', 'a boolean', gn);
  const exact = tidy(() => neg(normalEach(m0, m, D, opts)));
  return gn ? { exact, gaussNewton: tidy(() => neg(normalEach(m0, m0, D, opts))) } : { exact };
}
