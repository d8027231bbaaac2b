// Inversion workflows built on networks (nn/) and physics (physics/): PINNs, unrolled schemes and
// the classical solvers they are compared with.
export * from './pinn/index.js';
