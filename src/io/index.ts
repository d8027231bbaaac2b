// Field data I/O on the host: SEG-Y (revisions 1 and 2), shot gathers on a grid, NumPy .npy.
// No GPU and no tensors: bytes in, typed arrays out, in Node, Deno and the browser alike.
export {
  readSegy,
  writeSegy,
  segyScale,
  traceGeometry,
  defaultTextHeader,
  type SegyFile,
  type SegyInput,
  type SegyTrace,
  type SegyTraceHeader,
  type SegyBinaryHeader,
  type SegyFormat,
  type Endianness,
  type ReadSegyOptions,
  type WriteSegyOptions,
  type TraceGeometry,
} from './segy.js';
export { fromIbmFloat, toIbmFloat, IBM_MAX, type TextEncoding } from './codec.js';
export {
  segyToShots,
  shotsToSegy,
  type ShotGathers,
  type SegyToShotsOptions,
  type ShotsToSegyOptions,
  type GridOrigin,
} from './shotgather.js';
export { readNpy, writeNpy, type NpyArray, type NpyData, type NpyDtype } from './npy.js';
