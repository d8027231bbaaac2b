// The 2D constant-density acoustic propagator: options and grid (grid.ts), stencil weights
// (stencil.ts), time loops on the GPU (propagate.ts, shaders/acoustic.wgsl) and the ops (ops.ts).
export {
  acoustic2d,
  acoustic2dWavefield,
  acoustic2dPlan,
  born2d,
  rtm2d,
  rtm2dShots,
  gaussNewton2d,
  type Acoustic2dPlan,
  type Wavefield,
} from './ops.js';
export { type Acoustic2dOptions } from './grid.js';
export { cflLimit, type Accuracy } from './stencil.js';
