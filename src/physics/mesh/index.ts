export { TensorMesh2d, type PaddedMeshOptions } from './tensor.js';
