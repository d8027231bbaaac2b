// DC resistivity cases 3 and 4 of Xu & Heagy (NFs-Inv), inverted conventionally (SimPEG-style
// Gauss-Newton with beta cooling, tl.invert). A 700 m dipole-dipole line, 25 m electrode spacing,
// up to 24 receivers per transmitter (348 data), over a core of 1000 m x 225 m (the paper: 200 x 45
// cells of 5 m, 7 padding cells growing by 1.5 on the sides and bottom).
//   case 3: a 0.1 S/m dike dipping under a 0.02 S/m top layer in a 0.01 S/m half-space; the dike
//           reaches 125 m depth. Conventional settings from the paper: sparse norms p_s = 0,
//           p_x = p_z = 1, alpha_s = 0.005, alpha_x = alpha_z = 0.5, sensitivity weighting,
//           reference = start = the 0.01 S/m half-space, beta0 = 1e2 (our reading of "beta_s = 1e2").
//   case 4: the same dike in a background whose conductivity falls linearly from 0.02 to 0.001 S/m
//           with depth; no reference model: smoothness only (alpha_s = 0, p_x = p_z = 2), starting
//           from a 0.001 S/m half-space.
// Things the text does not give and we chose: the top layer's thickness (20 m), the dike's width
// (30 m, horizontal) and top (below the layer), its dip (45 degrees by default; the paper's figure
// shows three dips), the noise (5% of |d| Gaussian, uncertainty 5% |d| + a 1e-6 V floor).
// Imports only the package root, so the browser app can run it too.
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';

export interface DcRunOptions {
  /** 3 (default) or 4. */
  caseId?: 3 | 4;
  /** Core cell size (m): 5 is the paper's mesh; the default 12.5 keeps a CPU adapter's run in minutes. Electrodes sit on cell centres, so 25 / h must be an integer. */
  h?: number;
  /** Padding cells on the sides and bottom (default 7) and their growth (default 1.5). */
  padding?: number;
  factor?: number;
  /** Dip of the dike from horizontal, degrees (default 45). */
  dip?: number;
  /** Relative Gaussian noise (default 0.05). */
  noise?: number;
  /** Outer Gauss-Newton iterations (default 25). */
  maxIterations?: number;
  /** Wavenumbers of the ky quadrature (default 11). */
  nKy?: number;
  /** Electrodes (default 29, every 25 m) and receivers per transmitter (default 24). */
  electrodes?: number;
  maxReceivers?: number;
  seed?: number;
  /** The simulation's preconditioner (default 'multigrid'). */
  preconditioner?: 'jacobi' | 'multigrid';
  onIteration?: (info: { iteration: number; beta: number; phiD: number; phiM: number; chi: number; seconds: number }) => void;
}
const OPTION_NAMES = [
  'caseId',
  'h',
  'padding',
  'factor',
  'dip',
  'noise',
  'maxIterations',
  'nKy',
  'electrodes',
  'maxReceivers',
  'seed',
  'preconditioner',
  'onIteration',
];

export interface DcModelError {
  /** RMS of log10(sigma) differences over the core cells. */
  rmsLog10: number;
  /** ||m - m_true|| / ||m_true - m_background|| over the core (m = ln sigma). */
  relative: number;
}

export interface DcRunResult {
  caseId: 3 | 4;
  h: number;
  mesh: { nx: number; nz: number; cells: number; coreX: [number, number]; coreZ: [number, number] };
  nData: number;
  nKy: number;
  noise: number;
  settings: string;
  history: { iteration: number; beta: number; phiD: number; phiM: number; chi: number }[];
  stopReason: string;
  chi: number;
  modelError: DcModelError;
  /** The half-space (start) model's error, for scale. */
  startError: DcModelError;
  seconds: number;
  solves: { count: number; meanIterations: number; maxIterations: number; seconds: number };
  /** Core models as log10(sigma), [coreNz, coreNx] row-major; cell size h. */
  figure: { shape: [number, number]; h: number; truth: Float32Array; recovered: Float32Array; electrodes: number[] };
  /** Observed and predicted data (V for 1 A) and the geometric factors. */
  dObs: Float32Array;
  dPred: Float32Array;
  geometricFactors: Float64Array;
}

/** The true log(sigma) of a case on a mesh whose core starts at x = 0, z = 0. */
export function caseModel(mesh: tl.TensorMesh2d, caseId: 3 | 4, dip: number, coreDepth: number): Float32Array {
  const cx = mesh.cellCentersX();
  const cz = mesh.cellCentersZ();
  const t = Math.tan((dip * Math.PI) / 180);
  const [layer, top, bottom, width, x0] = [20, 20, 125, 30, 500];
  return Float32Array.from({ length: mesh.nCells }, (_, c) => {
    const [x, z] = [cx[c % mesh.nx]!, cz[Math.floor(c / mesh.nx)]!];
    // The dike's centre line passes x0 at its top and moves right by (z - top) / tan(dip) with depth.
    const dike = z > top && z < bottom && Math.abs(x - (x0 + (z - top) / t)) < width / 2;
    let s: number;
    if (caseId === 3) s = dike ? 0.1 : z < layer ? 0.02 : 0.01;
    else s = dike ? 0.1 : 0.02 + (0.001 - 0.02) * Math.min(1, Math.max(0, z / coreDepth));
    return Math.log(s);
  });
}

export function coreValues(mesh: tl.TensorMesh2d, m: ArrayLike<number>): Float32Array {
  const [x0, x1] = mesh.coreX;
  const [z0, z1] = mesh.coreZ;
  const out = new Float32Array((x1 - x0) * (z1 - z0));
  for (let iz = z0; iz < z1; iz++)
    for (let ix = x0; ix < x1; ix++) out[(iz - z0) * (x1 - x0) + ix - x0] = m[iz * mesh.nx + ix]! / Math.LN10;
  return out;
}

export function modelError(mesh: tl.TensorMesh2d, m: ArrayLike<number>, truth: ArrayLike<number>, background: number): DcModelError {
  const a = coreValues(mesh, m);
  const b = coreValues(mesh, truth);
  let [se, sr] = [0, 0];
  a.forEach((v, i) => {
    se += (v - b[i]!) ** 2;
    sr += (b[i]! - background / Math.LN10) ** 2;
  });
  return { rmsLog10: Math.sqrt(se / a.length), relative: Math.sqrt(se / sr) };
}

/** A case's mesh, survey, simulation, true model and noisy data (shared with examples/nf-inv). */
export interface DcCase {
  caseId: 3 | 4;
  h: number;
  mesh: tl.TensorMesh2d;
  sim: tl.DcSimulation2d;
  /** Electrode positions (m). */
  xs: number[];
  /** True log(sigma) per cell. */
  truthHost: Float32Array;
  dObsHost: Float32Array;
  dObs: tl.Tensor;
  uncertainty: tl.Tensor;
  /** log(sigma) of the starting half-space (0.01 S/m for case 3, 0.001 S/m for case 4). */
  background: number;
  /** Core depth (m). */
  coreD: number;
  dispose(): void;
}

export type DcCaseOptions = Pick<
  DcRunOptions,
  'caseId' | 'h' | 'padding' | 'factor' | 'dip' | 'noise' | 'nKy' | 'electrodes' | 'maxReceivers' | 'seed' | 'preconditioner'
> & { storeJ?: boolean };

export async function dcCase(opts: DcCaseOptions = {}): Promise<DcCase> {
  const caseId = opts.caseId ?? 3;
  const h = opts.h ?? 12.5;
  if (!Number.isInteger(25 / h)) throw new Error(`runDc: h: expected 25 / h to be an integer (electrodes on cell centres), got ${h}`);
  const noise = opts.noise ?? 0.05;
  const dip = opts.dip ?? 45;
  const nKy = opts.nKy ?? 11;
  // Core 1000 m x 225 m, its top-left node at (-h/2, 0) so that cell centres fall on multiples of h.
  const [coreW, coreD] = [1000, 225];
  const padding = opts.padding ?? 7;
  const factor = opts.factor ?? 1.5;
  const p = tl.TensorMesh2d.padded({
    nx: Math.round(coreW / h),
    nz: Math.round(coreD / h),
    h,
    padLeft: padding,
    padRight: padding,
    padBottom: padding,
    factor,
  });
  // The same cells moved left by h/2: core cell centres on multiples of h, where the electrodes sit.
  const mesh = new tl.TensorMesh2d(p.hx, p.hz, [p.x0 - h / 2, p.z0], { x: p.coreX, z: p.coreZ });
  const nE = opts.electrodes ?? 29;
  const xs = Array.from({ length: nE }, (_, i) => 150 + 25 * i);
  const survey = tl.dcSurvey('dipole-dipole', xs, { maxReceivers: opts.maxReceivers ?? 24 });
  // storeJ: J from pole fields at the 29 electrodes, one batched solve per model, so Gauss-Newton's
  // CG products are matmuls; multigrid: ~10x fewer PCG iterations than Jacobi (bench/dc.ts).
  const sim = tl.dcSimulation2d(mesh, { survey, nKy, storeJ: opts.storeJ ?? true, preconditioner: opts.preconditioner ?? 'multigrid' });
  const truthHost = caseModel(mesh, caseId, dip, coreD);
  const truth = tl.tensor(truthHost);
  const clean = (await (await sim.dpred(truth)).data()) as Float32Array;
  truth.dispose();
  const rand = mulberry32(opts.seed ?? 1);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const dObsHost = Float32Array.from(clean, (d) => d * (1 + noise * gauss()));
  const dObs = tl.tensor(dObsHost);
  const uncertainty = tl.tensor(Float32Array.from(dObsHost, (d) => noise * Math.abs(d) + 1e-6));
  const background = Math.log(caseId === 3 ? 0.01 : 0.001);
  return {
    caseId,
    h,
    mesh,
    sim,
    xs,
    truthHost,
    dObsHost,
    dObs,
    uncertainty,
    background,
    coreD,
    dispose: () => [dObs, uncertainty, sim].forEach((t) => t.dispose()),
  };
}

export async function runDc(opts: DcRunOptions = {}): Promise<DcRunResult> {
  for (const k of Object.keys(opts))
    if (!OPTION_NAMES.includes(k)) throw new Error(`runDc: unknown option '${k}'; valid options: ${OPTION_NAMES.join(', ')}`);
  const t0 = performance.now();
  const { onIteration: _i, maxIterations: _m, ...caseOpts } = opts;
  const c = await dcCase(caseOpts);
  const { caseId, h, mesh, sim, xs, truthHost, dObsHost, dObs, uncertainty, background } = c;
  const nKy = opts.nKy ?? 11;
  const noise = opts.noise ?? 0.05;
  const m0 = tl.full([mesh.nCells], background);
  const reg =
    caseId === 3
      ? tl.regularization(mesh, { alphaS: 0.005, alphaX: 0.5, alphaZ: 0.5, reference: Math.log(0.01), norms: { s: 0, x: 1, z: 1 } })
      : tl.regularization(mesh, { alphaS: 0, alphaX: 0.5, alphaZ: 0.5 });
  const settings =
    caseId === 3
      ? 'sparse: alpha_s 0.005, alpha_x = alpha_z 0.5, p_s 0, p_x = p_z 1, reference 0.01 S/m, sensitivity weighting, beta0 1e2'
      : 'L2 smoothness: alpha_s 0, alpha_x = alpha_z 0.5, p = 2, start 0.001 S/m, sensitivity weighting, beta0 estimated (ratio 10)';
  const tStart = performance.now();
  const result = await tl.invert(sim, dObs, {
    m0,
    regularization: reg,
    uncertainty,
    method: 'gauss-newton',
    maxIterations: opts.maxIterations ?? 25,
    ...(caseId === 3 ? { beta0: 1e2 } : { beta0Ratio: 10 }),
    coolingFactor: 2,
    coolingRate: 1,
    sensitivityWeighting: true,
    cgIterations: 20,
    cgCheckEvery: 5,
    onIteration: (info) => opts.onIteration?.({ ...info, seconds: (performance.now() - tStart) / 1000 }),
  });
  const mHost = Float32Array.from((await result.model.data()) as Float32Array);
  const dPred = Float32Array.from((await (await sim.dpred(result.model)).data()) as Float32Array);
  const last = result.history[result.history.length - 1]!;
  const solves = sim.solves;
  const out: DcRunResult = {
    caseId,
    h,
    mesh: { nx: mesh.nx, nz: mesh.nz, cells: mesh.nCells, coreX: mesh.coreX, coreZ: mesh.coreZ },
    nData: sim.nData,
    nKy,
    noise,
    settings,
    history: result.history.map(({ iteration, beta, phiD, phiM, chi }) => ({ iteration, beta, phiD, phiM, chi })),
    stopReason: result.stopReason,
    chi: last.chi,
    modelError: modelError(mesh, mHost, truthHost, background),
    startError: modelError(mesh, new Float32Array(mesh.nCells).fill(background), truthHost, background),
    seconds: (performance.now() - t0) / 1000,
    solves: {
      count: solves.length,
      meanIterations: solves.reduce((s, v) => s + v.iterations, 0) / solves.length,
      maxIterations: Math.max(...solves.map((s) => s.iterations)),
      seconds: solves.reduce((s, v) => s + v.seconds, 0),
    },
    figure: {
      shape: [mesh.coreZ[1] - mesh.coreZ[0], mesh.coreX[1] - mesh.coreX[0]],
      h,
      truth: coreValues(mesh, truthHost),
      recovered: coreValues(mesh, mHost),
      electrodes: xs,
    },
    dObs: dObsHost,
    dPred,
    geometricFactors: sim.geometricFactors,
  };
  [m0, result.model].forEach((t) => t.dispose());
  reg.dispose?.();
  c.dispose();
  return out;
}
