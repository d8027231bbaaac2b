// Training utilities: optimizers and schedules, losses, L-BFGS, gradient checks, modules.
// Chainable Tensor methods are used throughout, so they are installed even when only this module is imported.
import '../autodiff/methods.js';
export {
  SGD,
  Adam,
  AdamW,
  stepDecay,
  exponentialDecay,
  cosineDecay,
  type SGDOptions,
  type AdamOptions,
  type LearningRate,
  type Schedule,
  type StateDict,
} from './optim.js';
export { mse, l1, huber, relativeL2, weightedMisfit } from './losses.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type LbfgsReason, type LbfgsIteration } from './lbfgs.js';
export { taylorTest, dotTest, type TaylorOptions, type TaylorResult, type DotTestOptions, type DotTestResult } from './check.js';
export { Module, Sequential, functional, type NamedTensors, type LoadOptions } from './module.js';
export {
  Linear,
  Conv2d,
  Conv1x1,
  conv2d,
  ReLU,
  GELU,
  Tanh,
  Sigmoid,
  LeakyReLU,
  Dropout,
  type LinearOptions,
  type Conv2dOptions,
  type Conv2dModuleOptions,
  type DropoutOptions,
} from './layers.js';
export {
  kaimingUniform,
  kaimingNormal,
  xavierUniform,
  xavierNormal,
  calculateGain,
  fans,
  type KaimingOptions,
  type XavierOptions,
  type Nonlinearity,
} from './init.js';
export {
  saveSafetensors,
  loadSafetensors,
  readSafetensors,
  loadSafetensorsInto,
  encodeSafetensors,
  decodeSafetensors,
  type SafetensorsFile,
  type HostTensor,
} from './safetensors.js';
export { SpectralConv2d, type SpectralConv2dOptions } from './spectral.js';
export { FNO2d, type FNO2dOptions, type FNOActivation } from './fno.js';
export {
  avgPool2d,
  maxPool2d,
  upsampleBilinear2d,
  bilinearMatrix,
  AvgPool2d,
  MaxPool2d,
  UpsampleBilinear2d,
  type UpsampleOptions,
} from './pool.js';
export { GroupNorm, BatchNorm2d, type NormOptions, type BatchNormOptions } from './norm.js';
export { UNet, ConvTranspose2d, convTranspose2d, type UNetOptions } from './unet.js';
export {
  ConvEncoder,
  ConvDecoder,
  VAE,
  gaussianKl,
  reparameterize,
  bceWithLogits,
  vaeLoss,
  gradientPenalty,
  criticLoss,
  type ConvNetOptions,
  type VAEOptions,
  type ElboOptions,
  type ElboTerms,
} from './generative.js';
