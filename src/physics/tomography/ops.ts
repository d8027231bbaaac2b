// Straight-ray travel-time tomography as a linear simulation: t = G s, with G the ray-cell length
// matrix (metres, from rays.ts, float64 on the host, float32 CSR on the GPU) and s the slowness in
// s/m over the mesh's cells (flat [nz * nx], row-major). Travel times come out in seconds; an
// inversion in milliseconds scales the data and model alike (s in ms/m gives t in ms).
// The map is linear, so J = G whatever the model: Jvec(m, v) = G v and Jtvec(m, w) = G^T w
// (the cached transpose CSR, a gather, no atomics). The Simulation methods follow tl.invert's
// contract: each returns a promise of a new tensor that the caller disposes.
import { argErrorText, optionNames } from '../../graph/options.js';
import { type Tensor, tidy } from '../../graph/tensor.js';
import { ones } from '../../ops/creation.js';
import { square } from '../../autodiff/ops.js';
import { CsrMatrix, sparseMatrix, spmv } from '../../autodiff/sparse.js';
import { floatTensor, options } from '../common/validate.js';
import { type RayMesh, type RaySurvey, type RayTriplets, traceSurvey } from './rays.js';

/** A straight-ray tomography problem on one mesh and survey; the Simulation interface of tl.invert. */
export interface StraightRayTomography {
  readonly mesh: RayMesh;
  readonly survey: RaySurvey;
  /** The ray-length matrix [nData, nModel] (m), float32 on the GPU, float64 in G.host. */
  readonly G: CsrMatrix;
  /** Cells (nz * nx) and rays (sources x receivers, source-major). */
  readonly nModel: number;
  readonly nData: number;
  /** Straight source-receiver distance of each ray (m), float64. */
  readonly distance: Float64Array;
  /** Host ray tracing time (ms), for reports. */
  readonly traceMs: number;
  /** t = G s for s [nModel] or a batch [B, nModel] -> [nData] or [B, nData]; differentiable in s. */
  forward(s: Tensor): Tensor;
  /** Predicted travel times of slowness m (the same as forward). */
  dpred(m: Tensor): Promise<Tensor>;
  /** J v = G v (J does not depend on m). Like every Simulation call: a new tensor, the caller disposes it. */
  Jvec(m: Tensor, v: Tensor): Promise<Tensor>;
  /** J^T w = G^T w. */
  Jtvec(m: Tensor, w: Tensor): Promise<Tensor>;
  /**
   * diag(J^T diag(dataWeights)^2 J)_j = sum_i G_ij^2 dataWeights_i^2 (dataWeights [nData], default
   * ones): the product of the entrywise-squared G^T (float64 squares rounded once) with the
   * squared weights, on the GPU.
   */
  jtjDiagonal(m: Tensor, dataWeights?: Tensor): Promise<Tensor>;
  /** Ray coverage: total ray length in each cell, sum_i G_ij (m), float64. */
  coverage(): Float64Array;
  /** Frees the matrices. */
  dispose(): void;
}

export interface StraightRayOptions {
  /** Triplets from rayLengths (to build several problems from one tracing); default: traced here. */
  triplets?: RayTriplets;
}
const OPTIONS = optionNames<StraightRayOptions>()('triplets');

/**
 * Builds the straight-ray tomography matrix of `survey` (every source to every receiver) on
 * `mesh` (a TensorMesh2d, or any { nx, nz, hx, hz, x0, z0 }) and uploads it.
 */
export function straightRayTomography(mesh: RayMesh, survey: RaySurvey, opts: StraightRayOptions = {}): StraightRayTomography {
  const op = 'straightRayTomography';
  options(op, opts, OPTIONS);
  if (survey === null || typeof survey !== 'object')
    throw argErrorText(op, 'survey', 'an object { sources, receivers } of (x, z) pairs', String(survey), Error);
  const t0 = performance.now();
  const t = opts.triplets ?? traceSurvey(op, mesh, survey.sources, survey.receivers);
  const traceMs = performance.now() - t0;
  const rays = ((survey.sources?.length ?? 0) * (survey.receivers?.length ?? 0)) / 4;
  if (t.nCells !== mesh.nx * mesh.nz || t.nRays !== rays)
    throw argErrorText(
      op,
      'opts.triplets',
      `triplets for ${rays} rays and ${mesh.nx * mesh.nz} cells`,
      `${t.nRays} rays and ${t.nCells} cells`,
      Error,
    );
  const G = sparseMatrix(t.nRays, t.nCells, t);
  const GT = G.transpose(); // built now rather than on the first Jtvec
  const [nData, nModel] = [t.nRays, t.nCells];
  let GT2: CsrMatrix | null = null; // G^T with squared entries, for jtjDiagonal

  const check = (name: string, x: Tensor, n: number, batch = false): Tensor => {
    floatTensor(op, name, x);
    const ok = x.rank === 1 ? x.shape[0] === n : batch && x.rank === 2 && x.shape[1] === n;
    if (!ok) throw argErrorText(op, name, `a float32 tensor [${n}]${batch ? ` or [B, ${n}]` : ''}`, `shape [${x.shape.join(', ')}]`, Error);
    return x;
  };
  const forward = (s: Tensor): Tensor => spmv(G, check('s', s, nModel, true));
  return {
    mesh,
    survey,
    G,
    nModel,
    nData,
    distance: t.distance,
    traceMs,
    forward,
    dpred: async (m) => spmv(G, check('m', m, nModel)),
    Jvec: async (m, v) => (check('m', m, nModel), spmv(G, check('v', v, nModel))),
    Jtvec: async (m, w) => (check('m', m, nModel), spmv(GT, check('w', w, nData))),
    jtjDiagonal: async (m, dataWeights) => {
      check('m', m, nModel);
      if (!GT2) {
        const { rowPtr, colIdx, values } = GT.host;
        GT2 = new CsrMatrix(nModel, nData, { rowPtr, colIdx, values: values.map((g) => g * g) });
      }
      if (dataWeights === undefined) return tidy(() => spmv(GT2!, ones([nData])));
      check('dataWeights', dataWeights, nData);
      return tidy(() => spmv(GT2!, square(dataWeights)));
    },
    coverage: () => {
      const c = new Float64Array(nModel);
      const { colIdx, values } = G.host;
      for (let k = 0; k < values.length; k++) c[colIdx[k]!]! += values[k]!;
      return c;
    },
    dispose: () => (G.dispose(), GT2?.dispose()),
  };
}
