// Straight-ray lengths traced on the GPU (shaders/tomography.wgsl): the same scheme and edge
// conventions as the host tracer (rays.ts), in float32, one invocation per ray writing a row of
// `stride` (cell, length) slots. The host tracer stays the reference and what straightRayTomography
// uses by default; this one is for surveys that change often (re-tracing on the device) and is
// checked against it. Building the CSR still needs the rows on the host (`triplets()`).
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { emit, grid1d, output } from '../../ops/emit.js';
import { registerShader } from '../../gpu/kernels.js';
import tomographyWgsl from '../../../shaders/tomography.wgsl';
import { type RayMesh, type RayTriplets, meshNodes, points } from './rays.js';

registerShader('tomography.wgsl', tomographyWgsl);

export interface GpuRayLengths {
  nRays: number;
  nCells: number;
  nSources: number;
  nReceivers: number;
  /** Slots per ray: max(nx + nz, 2 nx, 2 nz), enough for any ray (nx + nz - 1 cells, or 2 per cell along a line). */
  stride: number;
  /** Cell of each slot, -1 when unused: int32 [nRays, stride]. */
  cols: Tensor;
  /** Length in the slot's cell (m), 0 when unused: float32 [nRays, stride]. */
  lengths: Tensor;
  /** Reads the rows back as triplets (float32 lengths widened), e.g. for straightRayTomography's `triplets`. */
  triplets(): Promise<RayTriplets>;
  dispose(): void;
}

/** rayLengths on the GPU: every source to every receiver, ray i = source * nReceivers + receiver. */
export function rayLengthsGpu(mesh: RayMesh, sources: Float64Array, receivers: Float64Array): GpuRayLengths {
  const op = 'rayLengthsGpu';
  const { X, Z } = meshNodes(op, mesh);
  const [nx, nz] = [mesh.nx, mesh.nz];
  // float32 coordinates: "on a line" within a few ulps of the largest coordinate.
  const scale = Math.max(Math.abs(X[0]!), Math.abs(X[nx]!), Math.abs(Z[0]!), Math.abs(Z[nz]!));
  const tol = 1e-6 * scale;
  const src = points(op, 'sources', sources, X, Z, tol);
  const rec = points(op, 'receivers', receivers, X, Z, tol);
  const [ns, nr] = [src.length / 2, rec.length / 2];
  const nRays = ns * nr;
  const stride = Math.max(nx + nz, 2 * nx, 2 * nz);
  const inputs = [X, Z, src, rec].map((a) => tensor(Float32Array.from(a)));
  const [nodesX, nodesZ, srcT, recT] = inputs as [Tensor, Tensor, Tensor, Tensor];
  const cols = output([nRays, stride], 'int32');
  const lengths = output([nRays, stride], 'float32');
  emit({
    file: 'tomography.wgsl',
    entry: 'ray_lengths',
    label: 'rayLengthsGpu',
    bind: {
      nodes_x: nodesX.storageFor(op),
      nodes_z: nodesZ.storageFor(op),
      src: srcT.storageFor(op),
      rec: recT.storageFor(op),
      cols: cols.storageFor(op),
      lens: lengths.storageFor(op),
    },
    uniforms: { n_rays: nRays, n_rec: nr, nx, nz, stride, tol },
    grid: grid1d(nRays),
    bytes: 8 * nRays * stride,
  });
  for (const t of inputs) t.dispose();
  return {
    nRays,
    nCells: nx * nz,
    nSources: ns,
    nReceivers: nr,
    stride,
    cols,
    lengths,
    async triplets() {
      const [c, v] = await Promise.all([cols.data(), lengths.data()]);
      let n = 0;
      for (let k = 0; k < c.length; k++) if (c[k]! >= 0) n++;
      const t = { rows: new Int32Array(n), cols: new Int32Array(n), values: new Float64Array(n) };
      for (let k = 0, j = 0; k < c.length; k++)
        if (c[k]! >= 0) [t.rows[j], t.cols[j], t.values[j++]] = [Math.floor(k / stride), c[k]!, v[k]!];
      const distance = new Float64Array(nRays);
      for (let i = 0; i < ns; i++)
        for (let j = 0; j < nr; j++) distance[i * nr + j] = Math.hypot(rec[2 * j]! - src[2 * i]!, rec[2 * j + 1]! - src[2 * i + 1]!);
      return { nRays, nCells: nx * nz, nSources: ns, nReceivers: nr, ...t, distance };
    },
    dispose() {
      cols.dispose();
      lengths.dispose();
    },
  };
}
