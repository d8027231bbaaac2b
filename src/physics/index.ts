// Differentiable physics ops: helpers shared by every op in common/, one folder per propagator
// (docs/physics.md describes how to add one).
export {
  acoustic2d,
  acoustic2dWavefield,
  acoustic2dPlan,
  born2d,
  rtm2d,
  gaussNewton2d,
  cflLimit,
  type Acoustic2dOptions,
  type Acoustic2dPlan,
  type Accuracy,
  type Wavefield,
} from './acoustic/index.js';
export { ricker } from './common/wavelets.js';
export { type Locations } from './common/locations.js';
