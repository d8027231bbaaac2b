// The RTM map of JI-FNO (issue 20) and its Jacobian actions, from the engine's exact discrete Born
// and adjoint operators:
//   R(m, m0) = J(m0)^T (F(m0) - F(m))          (F = acoustic2d in velocity, J its Jacobian)
//   dR/dm v  = -J(m0)^T J(m) v                  (Born at m, then the adjoint at m0: exact)
//   GN form  = -J(m0)^T J(m0) v                 (the paper's dR ~ -J^T J dm)
// Directions are batched the way the engine allows: the background wavefield at the migration
// model is propagated once (keeping checkpoints) and every direction's data is pulled back through
// it, so r directions cost r Born runs and r adjoint runs plus one forward, not 2r forwards more.
// (born2d takes one dv for all shots, so directions cannot ride the shot axis themselves.)
import { type Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import { neg, reshape, slice, stack, sub } from '../../autodiff/ops.js';
import { vjp } from '../../autodiff/transforms.js';
import { acoustic2d, born2d, type Acoustic2dOptions } from '../../physics/acoustic/index.js';

/** A live float32 velocity model [nz, nx] (argument `arg` of `what`). */
export function modelTensor(what: string, arg: string, t: unknown): Tensor {
  const ok = (t as Tensor | null)?.dtype === 'float32' && !(t as Tensor).isDisposed && (t as Tensor).shape.length === 2;
  if (!ok) throw argError(what, arg, 'a live float32 velocity model [nz, nx]', t, Error);
  return t as Tensor;
}

/** Row j of `D` [r, nz, nx] as an [nz, nx] model perturbation. */
const row = (D: Tensor, j: number): Tensor => reshape(slice(D, [[j, j + 1]]), D.shape.slice(1));

/** J(at)^T d for each d in `data`: one forward pass at `at` with checkpoints, one adjoint pass per d. */
export function migrateEach(at: Tensor, data: readonly Tensor[], opts: Acoustic2dOptions): Tensor[] {
  const [out, pull] = vjp((v: Tensor) => acoustic2d(v, opts), at);
  try {
    return data.map((d) => tidy(() => pull(d)[0]!));
  } finally {
    (out as Tensor).dispose();
    pull.dispose();
  }
}

/** Born data J(at) D_j for each row of D [r, nz, nx]. */
export function bornEach(at: Tensor, D: Tensor, opts: Acoustic2dOptions): Tensor[] {
  return Array.from({ length: D.shape[0]! }, (_, j) => tidy(() => born2d(at, row(D, j), opts)));
}

/** J(at)^T J(b) D_j for each row of D, stacked [r, nz, nx] (b = at: the Gauss-Newton product). */
export function normalEach(at: Tensor, b: Tensor, D: Tensor, opts: Acoustic2dOptions): Tensor {
  const data = bornEach(b, D, opts);
  const imgs = migrateEach(at, data, opts);
  data.forEach((d) => d.dispose());
  const out = tidy(() => stack(imgs));
  imgs.forEach((t) => t.dispose());
  return out;
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
 * (Born at m, adjoint at m0) and, optionally, the Gauss-Newton form (Born at m0). Both share the
 * one background propagation at m0 the adjoint needs.
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
  const data = [...bornEach(m, D, opts), ...(gn ? bornEach(m0, D, opts) : [])];
  const imgs = migrateEach(m0, data, opts);
  data.forEach((d) => d.dispose());
  const r = D.shape[0]!;
  const result = tidy(() => {
    const exact = neg(stack(imgs.slice(0, r)));
    return gn ? { exact, gaussNewton: neg(stack(imgs.slice(r))) } : { exact };
  });
  imgs.forEach((t) => t.dispose());
  return result;
}
