// PINN toolkit: domains and samplers, Taylor-mode jets, field networks with Fourier features,
// the problem/trainer with fixed or annealed weights, resampling and RAR. See docs/pinn.md.
export {
  Rng,
  hammersley,
  sobol,
  radicalInverse,
  uniform as uniformPoints,
  grid as gridPoints,
  unitPoints,
  SOBOL_MAX_DIM,
  type SamplingMethod,
} from './sampling.js';
export { Domain, Interval, Rectangle, Box, TimeDomain, spaceTime, PointSet, type SampleOptions } from './domain.js';
export { Jet } from './jet.js';
export { FieldNet, Dense, type FieldNetOptions, type FourierOptions } from './net.js';
export {
  Pinn,
  Scalar,
  Collocation,
  annealedWeights,
  worstIndices,
  pointsTensor,
  type PinnOptions,
  type Term,
  type ResidualTerm,
  type DataTerm,
  type ResidualContext,
  type OutputTransform,
  type TrainOptions,
  type TrainResult,
  type Progress,
  type AdamPhase,
  type WeightScheme,
  type ResampleOptions,
  type RarOptions,
} from './pinn.js';
