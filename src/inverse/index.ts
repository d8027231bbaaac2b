// Inversion workflows built on networks (nn/) and physics (physics/): PINNs, unrolled schemes and
// the classical solvers they are compared with.

// Unrolled proximal gradient, its linear operators, classical baselines and metrics (docs/unrolled.md).
export {
  type LinearOperator,
  type Applications,
  type CountedOperator,
  type GaussianBlurOptions,
  countApplications,
  gaussianBlur,
  gradient2d,
  bornOperator,
} from './operators.js';
export {
  conjugateGradient,
  tikhonovCG,
  gradientDescent,
  operatorNormSquared,
  type CGOptions,
  type TikhonovOptions,
  type GradientDescentOptions,
  type OperatorNormOptions,
  type SolverResult,
} from './solvers.js';
export { ssim, relativeModelError, type SSIMOptions } from './metrics.js';
export { ProxCNN, UnrolledPG, type ProxCNNOptions, type UnrolledPGOptions } from './unrolled.js';

// FNO wave surrogate and FNO-FWI (issue 16).
export * from './fnowave/index.js';

// PINN toolkit (issue 15, docs/pinn.md).
export * from './pinn/index.js';

// Classical regularized inversion: regularization, directives, Gauss-Newton / L-BFGS (issue 17, docs/inversion.md).
export * from './inversion/index.js';

// Neural-field inversion NFs-Inv and the Jacobian SVD (issue 18, docs/nf-inv.md).
export * from './nfinv/index.js';

// JI-FNO (issue 20, docs/ji-fno.md): the TV-ball projection of the inversion's constraint.
export {
  projectTvBall,
  projectTvBallValues,
  totalVariation,
  type TvProjection,
  type TvProjectionValues,
  type TvProjectionOptions,
} from './tv.js';
// JI-FNO: informative directions of the averaged Gauss-Newton Hessian and the RTM map's Jacobian actions (issue 20, docs/ji-fno-eigs.md).
export * from './jifno/index.js';

// Generative priors (issue 21, docs/generative-priors.md): facies training sets, their statistics
// and inversion in a trained generator's latent space.
export * from './generative/index.js';
// Uncertainty quantification: heteroscedastic losses, MC dropout, deep ensembles, calibration (issue 21, docs/uncertainty.md).
export * from './uq/index.js';
// Sharded data sets: the manifest and resume logic every generator shares.
export { type ShardHooks, type ShardInfo, type ShardManifest, type ShardProducer, type ShardProgress, writeShardSet } from './shards.js';
