export { TensorMesh2d, type PaddedMeshOptions } from './tensor.js';
export {
  fvOperators,
  divergenceTriplets,
  cellGradientTriplets,
  faceDifferenceTriplets,
  cellToFaceAverageTriplets,
  faceToCellAverageTriplets,
  interiorFaces,
  faceInfo,
  fvApply,
  type FvMatrix,
  type FvOperators,
  type FaceInfo,
  type MeshGeometry,
} from './operators.js';
