// The RTM map of JI-FNO (issue 20) and its Jacobian actions, from the engine's exact discrete Born
// and adjoint operators:
//   R(m, m0) = J(m0)^T (F(m0) - F(m))          (F = acoustic2d in velocity, J its Jacobian)
//   dR/dm v  = -J(m0)^T J(m) v                  (Born at m, then the adjoint at m0: exact)
//   GN form  = -J(m0)^T J(m0) v                 (the paper's dR ~ -J^T J dm)
// Directions are batched the way the engine allows: the background wavefield at the migration
// model is propagated once (keeping checkpoints) and every direction's Born data is pulled back
// through it, so r directions cost r Born runs, r adjoint runs and one forward (rtm2d per direction
// would add r - 1 forwards). born2d takes one dv for all shots, so directions cannot ride the shot
// axis itself; that would need a per-shot dv in the Born kernels.
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

/**
 * J(at)^T d_j for j < count, where d_j = data(j) is made on demand: one forward pass at `at` keeps
 * its checkpoints, then each d_j is pulled back and released before the next is made (r = 64
 * directions never hold 64 data sets). Returns the images stacked, [count, nz, nx].
 */
export function migrateEach(at: Tensor, count: number, data: (j: number) => Tensor, opts: Acoustic2dOptions): Tensor {
  const [out, pull] = vjp((v: Tensor) => acoustic2d(v, opts), at);
  const imgs: Tensor[] = [];
  try {
    for (let j = 0; j < count; j++) imgs.push(tidy(() => pull(data(j))[0]!));
    return tidy(() => stack(imgs));
  } finally {
    imgs.forEach((t) => t.dispose());
    (out as Tensor).dispose();
    pull.dispose();
  }
}

/** J(at)^T J(b) D_j for each row of D [r, nz, nx], stacked [r, nz, nx] (b = at: the Gauss-Newton product). */
export const normalEach = (at: Tensor, b: Tensor, D: Tensor, opts: Acoustic2dOptions): Tensor =>
  migrateEach(at, D.shape[0]!, (j) => born2d(b, row(D, j), opts), opts);

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
  const r = D.shape[0]!;
  // Born at m for the exact action, at m0 for the Gauss-Newton form; one migration pass at m0 serves both.
  const imgs = migrateEach(m0, gn ? 2 * r : r, (j) => born2d(j < r ? m : m0, row(D, j % r), opts), opts);
  const result = tidy(() => {
    const exact = neg(slice(imgs, [[0, r]]));
    return gn ? { exact, gaussNewton: neg(slice(imgs, [[r, 2 * r]])) } : { exact };
  });
  imgs.dispose();
  return result;
}
