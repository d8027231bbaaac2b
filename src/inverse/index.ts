// Inversion workflows built on networks (nn/) and physics (physics/): PINNs, unrolled schemes and
// the classical solvers they are compared with.
// FNO wave surrogate and FNO-FWI (issue 16).
export * from './fnowave/index.js';
