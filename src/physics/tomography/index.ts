// Straight-ray cross-hole travel-time tomography (docs/tomography.md).
export { crossholeSurvey, rayLengths, type CrossholeOptions, type RayMesh, type RaySurvey, type RayTriplets } from './rays.js';
export { straightRayTomography, type StraightRayOptions, type StraightRayTomography } from './ops.js';
export { rayLengthsGpu, type GpuRayLengths } from './gpu.js';
