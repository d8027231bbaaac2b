// Straight-ray tomography (issue 17): host ray tracing (Siddon, float64) of the paper's cross-hole
// case (64 x 128 cells of 1 m, boreholes 64 m apart, 128 sources x 128 receivers every 1 m), and
// the same tracing on the GPU (rayLengthsGpu, float32, fixed-stride rows), and the GPU products with
// its ray matrix, t = G s and G^T w. A product run does REPS products and waits for the device
// (tl.sync, every result kept so none is dropped); bytes count the CSR arrays, x and y once per
// product (the x gathers hit the cache).
import * as tl from '../src/index.js';
import type { Case } from './harness.js';

const REPS = 10;
const MESH = { nx: 64, nz: 128, h: 1 };
const SURVEY = { sourceX: 0, receiverX: 64, zFrom: 0.5, zTo: 127.5, spacing: 1 };
const RAYS = 128 * 128;

export const TOMO_CASES = {
  trace: `tomography ray tracing (host), ${RAYS} rays, 64x128`,
  traceGpu: `tomography ray tracing (GPU), ${RAYS} rays, 64x128`,
  forward: `tomography G s x${REPS}, ${RAYS} rays, 64x128`,
  adjoint: `tomography G^T w x${REPS}, ${RAYS} rays, 64x128`,
} as const;

const mesh = (): tl.TensorMesh2d => tl.TensorMesh2d.uniform(MESH.nx, MESH.nz, MESH.h);

/** The case-1 matrix's nnz (traced once, here on the host). */
let nnzCache = 0;
export function tomographyNnz(): number {
  if (!nnzCache) {
    const s = tl.crossholeSurvey(SURVEY);
    nnzCache = tl.rayLengths(mesh(), s.sources, s.receivers).values.length;
  }
  return nnzCache;
}

/** Bytes per run: values and column indices (8 B per entry), row pointers, x and y, REPS times; GPU tracing writes its slots. */
export function tomographyBytes(): Record<string, number> {
  const nnz = tomographyNnz();
  const cells = MESH.nx * MESH.nz;
  const product = (rows: number, cols: number): number => REPS * (8 * nnz + 4 * (rows + 1) + 4 * cols + 4 * rows);
  const stride = Math.max(MESH.nx + MESH.nz, 2 * MESH.nx, 2 * MESH.nz);
  return {
    [TOMO_CASES.forward]: product(RAYS, cells),
    [TOMO_CASES.adjoint]: product(cells, RAYS),
    [TOMO_CASES.traceGpu]: 8 * RAYS * stride,
  };
}

export function tellusTomographyCases(): Record<string, Case> {
  const products = async (state: Record<string, any>, adjoint: boolean): Promise<void> => {
    state.sim ??= tl.straightRayTomography(mesh(), tl.crossholeSurvey(SURVEY));
    const sim = state.sim as tl.StraightRayTomography;
    state.x ??= tl.rand([adjoint ? sim.nData : sim.nModel], { seed: 17, low: 0.5, high: 1.5 });
    const A = adjoint ? sim.G.transpose() : sim.G; // what Jtvec and Jvec multiply by
    const out: tl.Tensor[] = [];
    for (let k = 0; k < REPS; k++) out.push(tl.spmv(A, state.x));
    await tl.sync();
    for (const y of out) y.dispose();
  };
  return {
    [TOMO_CASES.trace]: async () => {
      const s = tl.crossholeSurvey(SURVEY);
      tl.rayLengths(mesh(), s.sources, s.receivers);
    },
    [TOMO_CASES.traceGpu]: async (state) => {
      state.survey ??= tl.crossholeSurvey(SURVEY);
      const r = tl.rayLengthsGpu(mesh(), state.survey.sources, state.survey.receivers);
      await tl.sync();
      r.dispose();
    },
    [TOMO_CASES.forward]: (state) => products(state, false),
    [TOMO_CASES.adjoint]: (state) => products(state, true),
  };
}
