// The examples' seeded host generator: the library's mulberry32 (src/graph/random.ts), the same
// sequence in every runtime, for model generation and shuffles that must replay exactly.
export { mulberry32 } from '../../src/graph/random.js';
