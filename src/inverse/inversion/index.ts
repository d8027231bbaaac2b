// Classical regularized inversion (issue 17, docs/inversion.md): SimPEG-style model objectives on
// 2-D tensor meshes, its directive set and inexact Gauss-Newton / L-BFGS.
export { type TensorMesh2D } from './mesh.js';
export {
  Regularization,
  regularization,
  type RegularizationOptions,
  type SparseNorms,
  type TVOptions,
  type TermName,
} from './regularization.js';
export { type Simulation } from './simulation.js';
export { DEFAULTS as inversionDefaults } from './directives.js';
export {
  invert,
  type InvertOptions,
  type InvertResult,
  type IterationInfo,
  type IrlsOptions,
  type LbfgsInvertOptions,
  type StopReason,
} from './invert.js';
