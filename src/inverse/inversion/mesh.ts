// The 2-D tensor mesh the regularization needs: cell widths only. Models are flat [nz * nx],
// row-major with depth (z) slowest, so index = iz * nx + ix.
import { argError } from '../../graph/options.js';

/** Any mesh with cell widths along x (nx of them) and z (nz of them). */
export interface TensorMesh2D {
  nx: number;
  nz: number;
  hx: ArrayLike<number>;
  hz: ArrayLike<number>;
}

/** The mesh's geometry as float64 host arrays. */
export interface MeshGeometry {
  nx: number;
  nz: number;
  hx: Float64Array;
  hz: Float64Array;
  /** Cell areas, [nz * nx]. */
  area: Float64Array;
  /** Distances between neighbouring cell centres: (h_j + h_{j+1}) / 2, nx - 1 and nz - 1 of them. */
  dxc: Float64Array;
  dzc: Float64Array;
}

export function meshGeometry(mesh: TensorMesh2D, what: string, arg = 'mesh'): MeshGeometry {
  if (mesh === null || typeof mesh !== 'object') throw argError(what, arg, 'an object { nx, nz, hx, hz }', mesh);
  const { nx, nz } = mesh;
  for (const [k, v] of [
    ['nx', nx],
    ['nz', nz],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw argError(what, `${arg}.${k}`, 'an integer >= 1', v, RangeError);
  const widths = (h: ArrayLike<number> | undefined, n: number, k: string): Float64Array => {
    if (h === null || typeof h !== 'object' || typeof h.length !== 'number' || h.length !== n)
      throw argError(what, `${arg}.${k}`, `an array of ${n} cell widths (${k === 'hx' ? 'nx' : 'nz'} = ${n})`, h, RangeError);
    const out = Float64Array.from(h);
    const bad = out.findIndex((v) => !(Number.isFinite(v) && v > 0));
    if (bad >= 0) throw argError(what, `${arg}.${k}[${bad}]`, 'a finite width > 0', out[bad], RangeError);
    return out;
  };
  const hx = widths(mesh.hx, nx, 'hx');
  const hz = widths(mesh.hz, nz, 'hz');
  const area = new Float64Array(nx * nz);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nx; j++) area[i * nx + j] = hz[i]! * hx[j]!;
  const centres = (h: Float64Array): Float64Array => Float64Array.from({ length: h.length - 1 }, (_, j) => (h[j]! + h[j + 1]!) / 2);
  return { nx, nz, hx, hz, area, dxc: centres(hx), dzc: centres(hz) };
}
