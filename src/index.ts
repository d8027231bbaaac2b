// Tellus public API.
import './autodiff/methods.js';

export {
  init,
  destroy,
  flush,
  sync,
  memory,
  resetPeakMemory,
  getDevice,
  deviceInfo,
  type Context,
  type TellusInitOptions,
} from './runtime.js';
export { DeviceLostError, type DeviceInfo, type InitOptions, type Runtime } from './gpu/device.js';
export { Tensor, tidy, keep, type DType, type TypedArray, type NestedArray } from './graph/tensor.js';
export type { MemoryStats } from './graph/scheduler.js';
export type { TensorLike } from './ops/emit.js';
export {
  tensor,
  empty,
  full,
  zeros,
  ones,
  zerosLike,
  onesLike,
  arange,
  rand,
  randn,
  seed,
  type CreateOptions,
  type RandomOptions,
} from './ops/creation.js';
// Every op below is differentiable (comparisons, argmax/argmin and creation ops are constant).
export * from './autodiff/ops.js';
export * from './autodiff/complex.js';
export * from './autodiff/fft.js';
export * from './autodiff/sparse.js';
export type { SliceSpec, PadMode } from './ops/layout.js';
export {
  grad,
  valueAndGrad,
  vjp,
  jvp,
  hvp,
  jacobian,
  customVjp,
  checkpoint,
  noGrad,
  type Pullback,
  type CustomVjpOptions,
  type CustomVjpContext,
} from './autodiff/transforms.js';
export { derivatives, type Derivatives, type DerivativesOptions } from './autodiff/pointwise.js';
// Pytrees: tl.tree.flatten / unflatten / map / zip / leaves / isLeaf (leaf order: sorted keys, array index).
export * as tree from './graph/tree.js';
export type { Tree, TensorTree, TreeDef } from './graph/tree.js';
export { registerShader, launch, type Launch } from './ops/custom.js';
export { debug, type DebugOptions } from './runtime.js';
export * from './nn/index.js';
export { profile, type ProfileReport, type KernelRow, type KernelEvent } from './profile/profiler.js';
export { formatProfile, chromeTrace } from './profile/report.js';
export { calibrate, type CalibrateOptions } from './profile/calibrate.js';
export { roofline, type Roofline } from './profile/store.js';
export * from './physics/index.js';
export * from './inverse/index.js';
// Field data I/O (host-only): SEG-Y, shot gathers on a grid, .npy.
export * from './io/index.js';
export * from './scale/index.js';
