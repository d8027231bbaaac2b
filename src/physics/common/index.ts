// Helpers every physics op reuses (after Deepwave's common.py): small functions that validate an
// argument and name the calling op in their errors, plus the pieces of a wave solver that do not
// depend on its equation (locations, CFL, PML, wavelets, checkpoint planning).
export { boolean, fail, finiteValues, floatTensor, maxVelocity, nonNegInt, nonNegative, options, positive, warnOnce } from './validate.js';
export { distinctPerShot, locations, type CellList, type Locations } from './locations.js';
export { cflLimit, checkCfl, velocityBounds, warnResolution, type VelocityBounds } from './cfl.js';
export { pmlFreq, pmlProfile, pmlSigma0, pmlWidths, type Widths } from './pml.js';
export { highestFrequency, ricker, rickerValues } from './wavelets.js';
export { backwardBytes, checkpointInterval, type CheckpointOptions } from './checkpoint.js';
