// Tellus public API.
import './methods.js';

export { init, destroy, flush, sync, memory, getDevice, deviceInfo, type Context, type TellusInitOptions } from './runtime.js';
export { DeviceLostError, type DeviceInfo, type InitOptions, type Runtime } from './gpu/device.js';
export { Tensor, tidy, keep, type DType, type TypedArray, type NestedArray } from './graph/tensor.js';
export type { MemoryStats } from './graph/scheduler.js';
export type { TensorLike } from './ops/emit.js';
export { tensor, empty, full, zeros, ones, zerosLike, onesLike, arange, rand, randn, seed, type CreateOptions, type RandomOptions } from './ops/creation.js';
export * from './ops/math.js';
export { where, cast, contiguous, clone } from './ops/elementwise.js';
export { sum, mean, prod, max, min, argmax, argmin } from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { reshape, flatten, permute, transpose, slice, expand, squeeze, unsqueeze, pad, concat, stack, type SliceSpec, type PadMode } from './ops/layout.js';
export { gather, scatterAdd, take } from './ops/indexing.js';
export { registerShader, launch, type Launch } from './ops/custom.js';
export { debug, type DebugOptions } from './runtime.js';
