// Neural-field inversion (NFs-Inv, Xu & Heagy; issue 18, docs/nf-inv.md): the coordinate network
// with positional encodings, the inversion driver, Gaussian-smeared rays and the Jacobian SVD.
export { NeuralField, type NeuralFieldOptions, type Encoding, type OutputMap, type CentredMesh } from './field.js';
export { nfInvert, type NfInvertOptions, type NfInvertResult, type NfIteration, type NfSmallness } from './invert.js';
export { smearedRays, type SmearedRayOptions, type SmearedRayTriplets } from './rays.js';
export { jacobianSvd, type JacobianSvdOptions, type JacobianSvdResult } from './svd.js';
