// Differentiable physics ops.
export { acoustic2d, acoustic2dWavefield, acoustic2dPlan, born2d, rtm2d, gaussNewton2d, ricker, cflLimit, type Acoustic2dOptions, type Acoustic2dPlan, type Accuracy, type Locations, type Wavefield } from './acoustic.js';
