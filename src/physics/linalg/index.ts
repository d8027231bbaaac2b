export { pcg, solveSpd, type PcgOptions, type PcgResult, type Preconditioner, type SolveSpdOptions } from './pcg.js';
export { multigridPreconditioner, type MultigridOptions, type MultigridPreconditioner } from './multigrid.js';
