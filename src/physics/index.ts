// Differentiable physics ops: helpers shared by every op in common/, one folder per propagator
// (docs/physics.md describes how to add one).
export * from './acoustic/index.js';
export { ricker } from './common/wavelets.js';
export { type Locations } from './common/locations.js';
export { vonKarman, vonKarmanFilter, vonKarmanCorrelation, type VonKarmanOptions } from './models/vonkarman.js';
export {
  layeredModel,
  layeredModelValues,
  backgroundModel,
  backgroundModelValues,
  faultTrace,
  type LayeredModel,
  type LayeredModelValues,
  type LayeredModelOptions,
  type BackgroundModel,
  type BackgroundModelOptions,
  type Fault,
} from './models/layered.js';
export {
  channelModelValues,
  faciesVelocity,
  type ChannelModelOptions,
  type ChannelModelValues,
  type FaciesVelocityOptions,
} from './models/facies.js';
export * from './mesh/index.js';
export * from './linalg/index.js';
export * from './dc/index.js';
export * from './tomography/index.js';
