// NFs-Inv (Xu & Heagy) on the paper's four cases, beside the conventional inversions of
// examples/tomography (cases 1, 2) and examples/dc (cases 3, 4) on the same data (docs/nf-inv.md).
// The model is a coordinate network m = f_w(gamma(x, z)) over the active cells, trained by Adam
// (tl.nfInvert) through the physics:
//   cases 1, 2: straight-ray tomography, slowness = 10 tanh(.) in ms/m, no regularization (beta = 0);
//               encodings basic (case 1) and Gaussian, 128 features, std 0.5 (case 2);
//   cases 3, 4: 2.5D DC resistivity on the core cells (padding frozen at the background),
//               log(sigma) = -8 sigmoid(.), L1 smallness with beta = exp(-t / 800), identity encoding.
// The starting network is either the paper's Kaiming-random one ('random') or the same network
// with its last layer's weights zeroed and its bias set so that it outputs the conventional start
// everywhere ('background', the default; see docs/nf-inv.md for why). After the run, a randomized
// SVD of J = dm/dw at the final weights gives the leading singular values and left singular
// vectors. Imports only the package root and the two examples, so the app can run it too.
import * as tl from '../../src/index.js';
import { modelErrors, runCase, tomographyCase, type ModelErrors, type InversionSummary } from '../tomography/run.js';
import { coreValues, dcCase, modelError, type DcModelError } from '../dc/run.js';

export type NfCaseId = 1 | 2 | 3 | 4;

export interface NfRunOptions {
  caseId?: NfCaseId;
  /** Tomography: cells across the 64 m between the boreholes (default 32; the paper's 64); depth is twice that. */
  cells?: number;
  /** Tomography: the operator NFs-Inv inverts with: exact straight rays (default) or Gaussian-smeared rays (the authors', sigma 2 cells); the data always come from straight rays. */
  rays?: 'straight' | 'smeared';
  /** DC: core cell size in m (default 25; the paper's 5). */
  h?: number;
  /** DC: wavenumbers (default 11), electrodes (default 29), receivers per transmitter (default 24), padding cells (default 7). */
  nKy?: number;
  electrodes?: number;
  maxReceivers?: number;
  padding?: number;
  /** DC: dip of the dike (default 45). */
  dip?: number;
  /** Hidden widths (default [64, 128, 128, 64]; the paper's [128, 256, 256, 256, 256, 128]). */
  hidden?: number[];
  /** Positional encoding (default: the paper's for the case, above). */
  encoding?: tl.Encoding;
  /** 'background' (default) or 'random' (the paper's Kaiming start). */
  start?: 'background' | 'random';
  /** Adam epochs (default 500) and learning rate (default 1e-3, the paper's). */
  epochs?: number;
  lr?: number;
  /** Singular triplets of J = dm/dw after the run (default 10; 0 skips). */
  svd?: number;
  /** Also run the conventional inversions (default: true for cases 1, 2; false for 3, 4, which take minutes to hours). */
  conventional?: boolean;
  /** Weights seed (default 0); the data's noise seed is the examples' default. */
  seed?: number;
  onProgress?: (message: string) => void;
}
const OPTION_NAMES = [
  'caseId',
  'cells',
  'rays',
  'h',
  'nKy',
  'electrodes',
  'maxReceivers',
  'padding',
  'dip',
  'hidden',
  'encoding',
  'start',
  'epochs',
  'lr',
  'svd',
  'conventional',
  'seed',
  'onProgress',
];

/** Errors as in the conventional examples: relative L2 of slowness (cases 1, 2), log10 RMS and relative of ln sigma over the core (3, 4). */
export type NfErrors = ModelErrors | DcModelError;

export interface NfConventional {
  name: string;
  chi: number;
  errors: NfErrors;
  /** Over the figure's grid (slowness ms/m, or log10 sigma over the core). */
  model: Float32Array;
}

export interface NfRunResult {
  caseId: NfCaseId;
  /** Figure grid [rows, cols] and its cell size (m); the property and its units. */
  shape: [number, number];
  h: number;
  property: string;
  units: string;
  nData: number;
  parameters: number;
  encoding: tl.Encoding;
  start: 'background' | 'random';
  epochs: number;
  truth: Float32Array;
  startModel: Float32Array;
  model: Float32Array;
  chi: number;
  errors: NfErrors;
  startErrors: NfErrors;
  history: tl.NfIteration[];
  conventional: NfConventional[];
  /** Singular values and left singular vectors (over the figure grid) of J = dm/dw at the final weights. */
  svd: { values: number[]; vectors: Float32Array[] } | null;
  seconds: number;
}

/** Sets the last layer so that the field outputs `value` everywhere (weights zero, bias the inverse of the output map). */
function startAt(field: tl.NeuralField, value: number): void {
  const { activation, scale, offset } = field.output;
  const a = (value - offset) / scale;
  const h = activation === 'tanh' ? Math.atanh(a) : activation === 'sigmoid' ? Math.log(a / (1 - a)) : a;
  if (!Number.isFinite(h)) throw new Error(`runNfInv: the output map cannot reach the start value ${value}`);
  const last = field.layers[field.layers.length - 1]!;
  const w = last.parameters().weight!;
  last.loadParameters({ weight: tl.zeros(w.shape), bias: tl.full([1], h) });
}

function defaultEncoding(caseId: NfCaseId): tl.Encoding {
  if (caseId === 1) return { kind: 'basic' };
  if (caseId === 2) return { kind: 'gaussian', features: 128, std: 0.5 };
  return { kind: 'identity' };
}

export async function runNfInv(opts: NfRunOptions = {}): Promise<NfRunResult> {
  for (const k of Object.keys(opts))
    if (!OPTION_NAMES.includes(k)) throw new Error(`runNfInv: unknown option '${k}'; valid options: ${OPTION_NAMES.join(', ')}`);
  const caseId = opts.caseId ?? 1;
  if (![1, 2, 3, 4].includes(caseId)) throw new Error(`runNfInv: caseId: expected 1, 2, 3 or 4, got ${caseId}`);
  const say = opts.onProgress ?? (() => {});
  const seismic = caseId <= 2;
  const encoding = opts.encoding ?? defaultEncoding(caseId);
  const start = opts.start ?? 'background';
  const epochs = opts.epochs ?? 500;
  const t0 = performance.now();
  const owned: { dispose(): void }[] = [];
  try {
    // The problem: simulation, data, active cells, the conventional start, and a map from a model
    // over all cells to the figure grid with its error measure.
    let sim: tl.Simulation & { nData: number; nModel: number };
    let dObs: tl.Tensor;
    let uncertainty: number | tl.Tensor;
    let mesh: tl.TensorMesh2d;
    let active: Uint8Array | undefined;
    let background: number;
    let truth: Float32Array;
    let shape: [number, number];
    let h: number;
    let toGrid: (m: ArrayLike<number>) => Float32Array;
    let score: (m: ArrayLike<number>) => NfErrors;
    let smallness: tl.NfSmallness | undefined;
    const conventional: NfConventional[] = [];
    if (seismic) {
      const n = opts.cells ?? 32;
      h = 64 / n;
      const c = await tomographyCase(caseId as 1 | 2, { nx: n, nz: 2 * n, h });
      owned.push(c.sim);
      ({ sim, mesh, truth } = c);
      if (opts.rays === 'smeared') {
        sim = tl.straightRayTomography(c.mesh, c.survey, { triplets: tl.smearedRays(c.mesh, c.survey.sources, c.survey.receivers) });
        owned.push(sim as tl.StraightRayTomography);
      }
      dObs = tl.tensor(c.observed);
      owned.push(dObs);
      uncertainty = c.noise;
      background = 1;
      shape = [c.nz, c.nx];
      toGrid = (m) => Float32Array.from(m);
      score = (m) => modelErrors(m, c.truth, c.target);
      if (opts.conventional ?? true) {
        say(`case ${caseId}: conventional inversions`);
        const conv = await runCase(caseId as 1 | 2, { nx: n, nz: 2 * n, h });
        const label: Record<InversionSummary['name'], string> = {
          none: 'conventional, no regularization (CGLS to chi = 1)',
          overfit: 'conventional, CGLS past chi = 1',
          smooth: 'conventional, smoothness',
        };
        for (const inv of conv.inversions)
          if (inv.name !== 'overfit') conventional.push({ name: label[inv.name], chi: inv.chi, errors: inv.errors, model: inv.model });
      }
    } else {
      h = opts.h ?? 25;
      const survey = {
        h,
        nKy: opts.nKy,
        electrodes: opts.electrodes,
        maxReceivers: opts.maxReceivers,
        padding: opts.padding,
        dip: opts.dip,
      };
      const c = await dcCase({ caseId: caseId as 3 | 4, ...survey });
      owned.push(c);
      ({ sim, mesh, dObs, uncertainty, background } = c);
      const m = c.mesh;
      active = Uint8Array.from({ length: m.nCells }, (_, i) => {
        const [ix, iz] = [i % m.nx, Math.floor(i / m.nx)];
        return +(ix >= m.coreX[0] && ix < m.coreX[1] && iz >= m.coreZ[0] && iz < m.coreZ[1]);
      });
      truth = coreValues(m, c.truthHost);
      shape = [m.coreZ[1] - m.coreZ[0], m.coreX[1] - m.coreX[0]];
      toGrid = (v) => coreValues(m, v);
      score = (v) => modelError(m, v, c.truthHost, c.background);
      // The paper's L1 smallness toward the half-space (case 4 has no reference: its 0.001 S/m start).
      smallness = { reference: c.background, tau: 800, norm: 'l1' };
      if (opts.conventional ?? false) {
        say(`case ${caseId}: conventional inversion (Gauss-Newton)`);
        const { runDc } = await import('../dc/run.js');
        const r = await runDc({ caseId: caseId as 3 | 4, ...survey });
        conventional.push({
          name: caseId === 3 ? 'conventional, sparse norms' : 'conventional, smoothness',
          chi: r.chi,
          errors: r.modelError,
          model: r.figure.recovered,
        });
      }
    }

    const field = new tl.NeuralField({
      hidden: opts.hidden ?? [64, 128, 128, 64],
      output: seismic ? 'slowness' : 'log-conductivity',
      encoding,
      seed: opts.seed ?? 0,
    });
    owned.push(field);
    if (start === 'background') startAt(field, background);
    const X = tl.NeuralField.coordinates(mesh, active);
    owned.push(X);
    const full = (ma: Float32Array): Float32Array => {
      if (!active) return ma;
      const out = new Float32Array(active.length).fill(background);
      let k = 0;
      active.forEach((a, i) => a && (out[i] = ma[k++]!));
      return out;
    };
    const startActive = tl.tidy(() => field.forward(X).reshape([-1]));
    const startModel = full(Float32Array.from(await startActive.data()));
    startActive.dispose();
    const parameters = Object.values(field.parameters()).reduce((n, p) => n + p.size, 0);
    say(`case ${caseId}: ${sim.nData} data, ${X.shape[0]} active cells, ${parameters} weights, ${encoding.kind} encoding, ${start} start`);

    const r = await tl.nfInvert(sim, dObs, {
      field,
      coordinates: X,
      ...(active ? { active, background } : {}),
      epochs,
      lr: opts.lr ?? 1e-3,
      uncertainty,
      ...(smallness ? { smallness } : {}),
      logEvery: Math.max(1, Math.min(25, Math.floor(epochs / 20))),
      onIteration: (i) =>
        say(
          `case ${caseId}: epoch ${i.epoch} of ${epochs}, chi ${i.chi.toFixed(3)}, ${i.elapsed.toFixed(0)} s, about ${i.eta.toFixed(0)} s left`,
        ),
    });
    owned.push(r.model);
    const model = Float32Array.from(await r.model.data());

    let svd: NfRunResult['svd'] = null;
    const k = opts.svd ?? 10;
    if (k > 0) {
      say(`case ${caseId}: randomized SVD of dm/dw (${k} triplets)`);
      const fn = (p: never): tl.Tensor => tl.reshape(field.call(p, X), [-1]);
      const s = await tl.jacobianSvd(fn, field.parameters(), { k });
      svd = { values: Array.from(s.values), vectors: s.vectors.map((v) => toGrid(full(Float32Array.from(v)))) };
    }
    return {
      caseId,
      shape,
      h,
      property: seismic ? 'slowness' : 'log10 conductivity',
      units: seismic ? 's (s/km)' : 'log10 sigma (S/m)',
      nData: sim.nData,
      parameters,
      encoding,
      start,
      epochs,
      truth,
      startModel: toGrid(startModel),
      model: toGrid(model),
      chi: r.phiD / sim.nData,
      errors: score(model),
      startErrors: score(startModel),
      history: r.history,
      conventional,
      svd,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const o of owned.reverse()) o.dispose();
  }
}
