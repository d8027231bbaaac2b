// Training utilities: optimizers and schedules, losses, L-BFGS, gradient checks, pytree helpers.
// Chainable Tensor methods are used throughout, so they are installed even when only this module is imported.
import '../methods.js';
export { treeLeaves, treeMap, treeFlatten, treeZip, type TensorTree } from './tree.js';
export { SGD, Adam, AdamW, stepDecay, exponentialDecay, cosineDecay, type SGDOptions, type AdamOptions, type LearningRate, type Schedule, type StateDict } from './optim.js';
export { mse, l1, huber, relativeL2, weightedMisfit } from './losses.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type LbfgsReason } from './lbfgs.js';
export { taylorTest, dotTest, type TaylorOptions, type TaylorResult, type DotTestResult } from './check.js';
