// The FNO-wave pipeline's stages (Yang et al. 2021), browser-safe: only the package root and the
// figure specs are imported; storage, figures and progress go through the caller's store and sink
// (main.ts gives directories, PNG/SVG files and a progress bar in Node).
//   generate: von Karman models + random sources -> acoustic2d snapshots, in shards (resumable)
//   train:    FNO2d (velocity, source bump, coordinates) -> N snapshots; Adam; checkpoints; curves
//   evaluate: validation relative L2 per sample, 2x finer grid without retraining, a 5% square anomaly
//   invert:   FNO-FWI (the FNO as forward map, gradients from the tape) beside adjoint FWI (acoustic2d)
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import { fwiTrueModel } from '../fwi/model.js';
import { modelWithStations, waveformSpec } from './figures.js';
import { PRESETS, type FnoWaveConfig } from './presets.js';
import type { Sink } from '../common/sink.js';

export { PRESETS, type FnoWaveConfig };

export type { Sink };

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v, null, 1));
const now = (): number => performance.now() / 1000;

export async function generateStage(
  data: tl.ShardStore,
  cfg: FnoWaveConfig,
  sink: Sink,
  produce?: tl.ShardProducer,
): Promise<tl.WaveManifest> {
  const t0 = now();
  let made = 0;
  const m = await tl.generateWaveDataset(data, cfg.data, {
    produce,
    onShard: (p) => {
      if (!p.skipped) made++;
      sink.progress('simulations', p.done, p.samples, { shard: `${p.shard + 1}/${p.shards}${p.skipped ? ' (stored)' : ''}` });
    },
  });
  const p = m.params;
  sink.log(
    `dataset: ${p.samples} simulations ${p.nz}x${p.nx} at ${p.dx} km, ${p.nt} steps of ${p.dt} s, ${p.nt / p.snapshotEvery} snapshots; ${made} shards made, ${m.shards.length - made} already stored, ${(now() - t0).toFixed(0)} s`,
  );
  return m;
}

/** A trained surrogate: the model and everything needed to use it again. */
export interface Surrogate {
  model: tl.FNO2d;
  scales: tl.WaveScales;
  params: tl.WaveDataParams;
  snapshots: number;
}

function batchTensors(d: tl.WaveDataset, idx: readonly number[], uScale: number): { v: tl.Tensor; u: tl.Tensor; src: [number, number][] } {
  const p = d.manifest.params;
  const cells = p.nz * p.nx;
  const N = p.nt / p.snapshotEvery;
  const v = new Float32Array(idx.length * cells);
  const u = new Float32Array(idx.length * N * cells);
  idx.forEach((i, b) => {
    v.set(d.velocity[i]!, b * cells);
    const s = d.snapshots[i]!;
    for (let k = 0; k < s.length; k++) u[b * N * cells + k] = s[k]! / uScale;
  });
  return {
    v: tl.tensor(v, { shape: [idx.length, p.nz, p.nx] }),
    u: tl.tensor(u, { shape: [idx.length, N, p.nz, p.nx] }),
    src: idx.map((i) => d.sources[i]!),
  };
}

/** Relative L2 of the surrogate per sample over `idx` (one read-back per batch). */
export async function validate(s: Surrogate, d: tl.WaveDataset, idx: readonly number[], batch: number): Promise<number[]> {
  const out: number[] = [];
  for (let b = 0; b < idx.length; b += batch) {
    const chunk = idx.slice(b, b + batch);
    const errs = tl.tidy(() => {
      const { v, u, src } = batchTensors(d, chunk, s.scales.uScale);
      return tl.noGrad(() => tl.relativeL2PerSample(tl.waveForward(s.model, v, src, s.params.dx, s.scales), u));
    });
    out.push(...(await errs.data()));
    errs.dispose();
  }
  return out;
}

const mean = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

function saveSurrogate(s: Surrogate, cfg: FnoWaveConfig, extra: Record<string, string>): Promise<Uint8Array> {
  return tl.saveSafetensors(s.model, {
    model: JSON.stringify(cfg.model),
    scales: JSON.stringify(s.scales),
    data: JSON.stringify(s.params),
    ...extra,
  });
}

/** Loads fno.safetensors (or another checkpoint) from `out`. */
export async function loadSurrogate(out: tl.ShardStore, name = 'fno.safetensors'): Promise<Surrogate> {
  const bytes = await out.get(name);
  if (!bytes) throw new Error(`no ${name} in the output (run the train stage first)`);
  const { metadata } = tl.readSafetensors(bytes);
  const params = JSON.parse(metadata.data!) as tl.WaveDataParams;
  const snapshots = params.nt / params.snapshotEvery;
  const model = tl.loadSafetensorsInto(tl.waveFNO(snapshots, JSON.parse(metadata.model!) as tl.WaveFNOOptions), bytes);
  return { model, scales: JSON.parse(metadata.scales!) as tl.WaveScales, params, snapshots };
}

export interface TrainResult {
  trainSamples: number;
  valSamples: number;
  epochs: number;
  steps: number;
  seconds: number;
  trainLoss: number[];
  valRelL2: number[];
  uScale: number;
}

export async function trainStage(data: tl.ShardStore, out: tl.ShardStore, cfg: FnoWaveConfig, sink: Sink): Promise<TrainResult> {
  const d = await tl.loadWaveDataset(data);
  const p = d.manifest.params;
  const nTrain = p.samples - cfg.val;
  if (nTrain < cfg.batch) throw new Error(`train: ${nTrain} training samples, fewer than a batch (${cfg.batch})`);
  const trainIdx = Array.from({ length: nTrain }, (_, i) => i);
  const valIdx = Array.from({ length: cfg.val }, (_, i) => nTrain + i);
  // The output unit: the RMS of the training wavefields (float64 on the host).
  let ss = 0;
  let n = 0;
  for (const i of trainIdx) for (const x of d.snapshots[i]!) ((ss += x * x), n++);
  const scales: tl.WaveScales = { vMean: p.mean, vStd: p.std, uScale: Math.sqrt(ss / n), sourceWidth: cfg.sourceWidth ?? p.dx };
  const snapshots = p.nt / p.snapshotEvery;
  const s: Surrogate = { model: tl.waveFNO(snapshots, cfg.model), scales, params: p, snapshots };
  const perEpoch = Math.floor(nTrain / cfg.batch);
  const steps = cfg.epochs * perEpoch;
  const opt = new tl.Adam({ lr: tl.cosineDecay(cfg.lr, steps, cfg.lr / 100) });
  const params = s.model.parameters();
  const step = tl.valueAndGrad((q: tl.NamedTensors, x: tl.Tensor, y: tl.Tensor) => tl.waveLoss(cfg.loss, s.model.call(q, x), y));
  sink.log(
    `FNO2d: ${s.model.numParameters()} parameters (${cfg.model.layers ?? 4} Fourier layers, width ${cfg.model.width ?? 32}, modes ${cfg.model.modes ?? 12}, ${cfg.model.activation ?? 'relu'}); ${nTrain} train / ${cfg.val} validation samples; ${cfg.epochs} epochs x ${perEpoch} steps of batch ${cfg.batch}; loss ${cfg.loss}`,
  );
  const rand = mulberry32(p.seed + 1); // the epochs' shuffles
  const curve: number[] = [];
  const valCurve: number[] = [];
  const t0 = now();
  for (let e = 0; e < cfg.epochs; e++) {
    const order = trainIdx.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // The epoch's loss stays on the GPU until the epoch ends: no read-back per step.
    let sum = tl.zeros([]);
    for (let b = 0; b < perEpoch; b++) {
      const { v, u, src } = batchTensors(d, order.slice(b * cfg.batch, (b + 1) * cfg.batch), scales.uScale);
      const x = tl.waveInputs(v, src, p.dx, scales);
      const [loss, grads] = step(params, x, u) as [tl.Tensor, tl.NamedTensors];
      opt.step(params, grads);
      const next = tl.add(sum, tl.reshape(loss, []));
      for (const t of [sum, loss, v, u, x, ...Object.values(grads)]) t.dispose();
      sum = next;
      sink.progress('training steps', e * perEpoch + b + 1, steps, { epoch: `${e + 1}/${cfg.epochs}` });
    }
    curve.push((await sum.item()) / perEpoch);
    sum.dispose();
    valCurve.push(mean(await validate(s, d, valIdx, cfg.batch)));
    await out.put('checkpoint.safetensors', await saveSurrogate(s, cfg, { epoch: String(e + 1) }));
    sink.log(
      `epoch ${e + 1}: train ${cfg.loss} ${curve[e]!.toFixed(4)}, validation rel L2 ${valCurve[e]!.toFixed(4)} (${(now() - t0).toFixed(0)} s)`,
    );
  }
  const seconds = now() - t0;
  await out.put('fno.safetensors', await saveSurrogate(s, cfg, { epoch: String(cfg.epochs) }));
  const epochs = curve.map((_, i) => i + 1);
  await sink.figure(
    'training',
    lineSpec(
      [
        { name: `train (${cfg.loss})`, x: epochs, y: curve },
        { name: 'validation (rel L2)', x: epochs, y: valCurve },
      ],
      { title: `FNO wave surrogate: ${nTrain} training simulations`, xTitle: 'epoch', yTitle: 'loss', logY: true },
    ),
  );
  const result: TrainResult = {
    trainSamples: nTrain,
    valSamples: cfg.val,
    epochs: cfg.epochs,
    steps,
    seconds,
    trainLoss: curve,
    valRelL2: valCurve,
    uScale: scales.uScale,
  };
  await out.put('train.json', json(result));
  s.model.dispose();
  return result;
}

/** The dataset geometry refined `f` times on the same box (same physical times, sources and receivers). */
export function refine(p: tl.WaveDataParams, f: number, seed: number): tl.WaveDataParams {
  return {
    ...p,
    nz: p.nz * f,
    nx: p.nx * f,
    dx: p.dx / f,
    dt: p.dt / f,
    nt: p.nt * f,
    snapshotEvery: p.snapshotEvery * f,
    pmlWidth: p.pmlWidth * f,
    sourceMargin: p.sourceMargin * f,
    receivers: p.receivers.map(([z, x]) => [z * f, x * f]),
    seed,
  };
}

/** Simulation and surrogate on one model; acoustic2d's point source scales with the cell area (docs/fno-wave.md). */
async function compare(s: Surrogate, p: tl.WaveDataParams, v: tl.Tensor, src: [number, number]) {
  const area = (s.params.dx / p.dx) ** 2;
  const [sim, traces] = tl.simulateWave(p, v, src, area);
  const pred = tl.noGrad(() => tl.waveForward(s.model, v, [src], p.dx, s.scales));
  const simN = tl.div(sim, s.scales.uScale);
  const err = tl.relativeL2PerSample(pred, simN);
  const [e, pv, tv, vv] = await Promise.all([err.data(), pred.data(), traces.data(), v.data()]);
  for (const t of [sim, traces, pred, simN, err]) t.dispose();
  return { relL2: e[0]!, pred: pv as Float32Array, traces: Float32Array.from(tv, (x) => x / s.scales.uScale), v: vv as Float32Array };
}

/** Figure-2-style panel: the model with source and receivers, and the waveforms at the receivers. */
function waveformPanel(
  s: Surrogate,
  p: tl.WaveDataParams,
  c: { relL2: number; pred: Float32Array; traces: Float32Array; v: Float32Array },
  src: [number, number],
  title: string,
): VegaLiteSpec {
  const N = s.snapshots;
  const cells = p.nz * p.nx;
  const tSim = Array.from({ length: p.nt }, (_, i) => i * p.dt);
  const tFno = Array.from({ length: N }, (_, k) => (k + 1) * p.snapshotEvery * p.dt);
  const sim = p.receivers.map((_, r) => c.traces.subarray(r * p.nt, (r + 1) * p.nt));
  const fno = p.receivers.map(([z, x]) => Array.from({ length: N }, (_, k) => c.pred[k * cells + z * p.nx + x]!));
  return row(
    [
      modelWithStations(c.v, [p.nz, p.nx], p.dx, `${title}: model`, [src], p.receivers),
      waveformSpec(`${title}: rel L2 ${c.relL2.toFixed(3)}`, { t: tSim, traces: sim }, { t: tFno, traces: fno }),
    ],
    undefined,
  );
}

export interface EvaluateResult {
  validation: { perSample: number[]; mean: number };
  refined: { factor: number; grid: string; perSample: number[]; mean: number };
  square: { relL2: number; grid: string };
}

export async function evaluateStage(data: tl.ShardStore, out: tl.ShardStore, cfg: FnoWaveConfig, sink: Sink): Promise<EvaluateResult> {
  const d = await tl.loadWaveDataset(data);
  const s = await loadSurrogate(out);
  const p = s.params;
  const nTrain = p.samples - cfg.val;
  const valIdx = Array.from({ length: cfg.val }, (_, i) => nTrain + i);
  const perSample = await validate(s, d, valIdx, cfg.batch);
  sink.log(
    `validation relative L2: mean ${mean(perSample).toFixed(4)} over ${cfg.val} samples (Yang et al. 0.273 with 4,800 training samples)`,
  );
  // Figure 2: two validation samples, the stored traces against the FNO at the receivers.
  const panels: VegaLiteSpec[] = [];
  for (const i of valIdx.slice(0, 2)) {
    const v = tl.tensor(d.velocity[i]!, { shape: [p.nz, p.nx] });
    const c = await compare(s, p, v, d.sources[i]!);
    v.dispose();
    panels.push(waveformPanel(s, p, c, d.sources[i]!, `validation ${i}`));
  }
  await sink.figure('waveforms', { vconcat: panels, resolve: { scale: { color: 'independent' } } });

  // Twice finer grid of the same box, new models (another seed), no retraining.
  const f = 2;
  const pf = refine(p, f, p.seed + 1_000_003);
  const refined: number[] = [];
  let refinedPanel: VegaLiteSpec | null = null;
  for (let k = 0; k < cfg.evalRefined; k++) {
    const v = tl.sampleModel(pf, k);
    const src = tl.sampleSource(pf, k);
    const c = await compare(s, pf, v, src);
    v.dispose();
    refined.push(c.relL2);
    if (k === 0) refinedPanel = waveformPanel(s, pf, c, src, `${pf.nz}x${pf.nx} (trained at ${p.nz}x${p.nx})`);
    sink.progress(`${pf.nz}x${pf.nx} models`, k + 1, cfg.evalRefined);
  }
  sink.log(`at ${pf.nz}x${pf.nx} without retraining: relative L2 ${mean(refined).toFixed(4)} over ${refined.length} models`);

  // A homogeneous mean-velocity background with a +5% square (a quarter of the box wide) in the middle.
  const sq = new Float32Array(p.nz * p.nx).fill(p.mean);
  const [h0, h1, w0, w1] = [Math.round((3 * p.nz) / 8), Math.round((5 * p.nz) / 8), Math.round((3 * p.nx) / 8), Math.round((5 * p.nx) / 8)];
  for (let z = h0; z < h1; z++) for (let x = w0; x < w1; x++) sq[z * p.nx + x] = p.mean * 1.05;
  const vs = tl.tensor(sq, { shape: [p.nz, p.nx] });
  const srcSq: [number, number] = [Math.round(p.nz / 5), Math.round(p.nx / 4)];
  const cs = await compare(s, p, vs, srcSq);
  vs.dispose();
  sink.log(`square anomaly (+5% in ${p.mean} km/s): relative L2 ${cs.relL2.toFixed(4)}`);
  await sink.figure('generalization', {
    vconcat: [waveformPanel(s, p, cs, srcSq, 'square anomaly'), ...(refinedPanel ? [refinedPanel] : [])],
    resolve: { scale: { color: 'independent' } },
  });
  const result: EvaluateResult = {
    validation: { perSample, mean: mean(perSample) },
    refined: { factor: f, grid: `${pf.nz}x${pf.nx}`, perSample: refined, mean: mean(refined) },
    square: { relL2: cs.relL2, grid: `${p.nz}x${p.nx}` },
  };
  await out.put('evaluate.json', json(result));
  s.model.dispose();
  return result;
}

/** Sources on a ring inside the edges, `perSide` per side (the FWI demo's 20 at 64 x 64). */
export function ringSources(n: number, perSide: number): [number, number][] {
  const edge = Math.max(1, Math.round((2 * n) / 64));
  const margin = Math.max(1, Math.round((4 * n) / 64));
  const out: [number, number][] = [];
  for (let k = 0; k < perSide; k++) {
    const q = margin + Math.round((k * (n - 1 - 2 * margin)) / Math.max(1, perSide - 1));
    out.push([edge, q], [n - 1 - edge, q], [q, edge], [q, n - 1 - edge]);
  }
  return out;
}

/** The FWI demo's true model (km/s), box-averaged from 64 x 64 to n x n (n dividing 64). */
export function trueModel(n: number, p: tl.WaveDataParams): Float32Array {
  const full = fwiTrueModel(64, p.mean * 1000);
  if (64 % n !== 0) throw new Error(`invert: the demo model needs a grid dividing 64, got ${n}`);
  const f = 64 / n;
  const out = new Float32Array(n * n);
  for (let z = 0; z < 64; z++)
    for (let x = 0; x < 64; x++) {
      const k = Math.floor(z / f) * n + Math.floor(x / f);
      out[k] = out[k]! + full[z * 64 + x]! / (1000 * f * f);
    }
  return out;
}

export interface InvertResult {
  grid: string;
  sources: number;
  trueModel: string;
  initialError: number;
  fno: { iterations: number; lr: number; secondsPerIteration: number; modelError: number[]; finalError: number };
  adjoint: { iterations: number; lr: number; secondsPerIteration: number; modelError: number[]; finalError: number };
  /** Adjoint seconds per iteration over FNO seconds per iteration. */
  speedup: number;
}

export async function invertStage(out: tl.ShardStore, cfg: FnoWaveConfig, sink: Sink): Promise<InvertResult> {
  const s = await loadSurrogate(out);
  const p = s.params;
  const n = p.nz;
  const shape: [number, number] = [n, n];
  const vTrueHost = trueModel(n, p);
  const vTrue = tl.tensor(vTrueHost, { shape });
  const srcs = ringSources(n, cfg.fwi.sources / 4);
  const errorOf = (v: tl.Tensor): tl.Tensor => tl.relativeError(v, vTrue);
  const initial = tl.full(shape, p.mean);
  const initialError = await errorOf(initial).item();
  sink.log(
    `FWI on ${n}x${n} at ${p.dx} km, ${srcs.length} sources, receivers at every node; true model: the FWI demo's; initial error ${initialError.toFixed(4)}`,
  );

  // Adjoint FWI through acoustic2d: traces at every node and every step (metres, m/s).
  const amps = tl.expand(tl.reshape(tl.ricker(p.freq, p.nt, p.dt), [1, 1, p.nt]), [srcs.length, 1, p.nt]);
  const all: [number, number][] = [];
  for (let z = 0; z < n; z++) for (let x = 0; x < n; x++) all.push([z, x]);
  const opts: tl.Acoustic2dOptions = {
    ...tl.waveSimOptions(p, [0, 0], amps),
    sourceLocations: srcs.map((c) => [c]),
    receiverLocations: srcs.map(() => all),
  };
  delete opts.snapshotEvery;
  const run = async (
    label: string,
    iterations: number,
    lr: number,
    v: tl.Tensor,
    loss: (m: tl.Tensor) => tl.Tensor,
    toKms: (m: tl.Tensor) => tl.Tensor,
  ): Promise<{ errors: number[]; spi: number; final: Float32Array }> => {
    const opt = new tl.Adam({ lr });
    const step = tl.valueAndGrad(loss);
    const errors: number[] = [];
    const t0 = now();
    for (let it = 1; it <= iterations; it++) {
      const [l, g] = step(v) as [tl.Tensor, tl.Tensor];
      opt.step(v, g);
      // One read-back per iteration (the model error), as in examples/fwi.
      const e = tl.tidy(() => errorOf(toKms(v)));
      errors.push(await e.item());
      for (const t of [l, g, e]) t.dispose();
      sink.progress(`${label} iterations`, it, iterations, { error: errors.at(-1)!.toFixed(4) });
    }
    const spi = (now() - t0) / iterations;
    const final = (await tl.tidy(() => toKms(v)).data()) as Float32Array;
    return { errors, spi, final };
  };

  const vAdj = tl.full(shape, p.mean * 1000);
  const observed = tl.acoustic2d(tl.mul(vTrue, 1000), opts);
  const adj = await run(
    'adjoint FWI',
    cfg.fwi.adjointIterations,
    cfg.fwi.adjointLr * 1000,
    vAdj,
    (m) => tl.sum(tl.square(tl.sub(tl.acoustic2d(m, opts), observed))),
    (m) => tl.div(m, 1000),
  );
  sink.log(
    `adjoint FWI: error ${adj.errors.at(-1)!.toFixed(4)} after ${cfg.fwi.adjointIterations} iterations, ${adj.spi.toFixed(2)} s/iteration`,
  );

  // FNO-FWI: observations are acoustic2d's wavefields at the FNO's N times on every node, in its unit.
  const wf = tl.acoustic2dWavefield(tl.mul(vTrue, 1000), {
    ...opts,
    snapshotEvery: p.snapshotEvery,
    receiverLocations: srcs.map(() => [[0, 0]]),
  });
  const obsN = tl.div(wf.snapshots!, s.scales.uScale);
  const vFno = tl.full(shape, p.mean);
  const fno = await run(
    'FNO-FWI',
    cfg.fwi.iterations,
    cfg.fwi.lr,
    vFno,
    (m) => tl.waveMisfit(tl.waveForward(s.model, m, srcs, p.dx, s.scales), obsN),
    (m) => tl.mul(m, 1),
  );
  sink.log(`FNO-FWI: error ${fno.errors.at(-1)!.toFixed(4)} after ${cfg.fwi.iterations} iterations, ${fno.spi.toFixed(2)} s/iteration`);

  const range: [number, number] = [Math.min(...vTrueHost), Math.max(...vTrueHost)];
  await sink.figure(
    'fwi-models',
    row(
      [
        modelWithStations(vTrueHost, shape, p.dx, 'true model', srcs, [], range),
        fieldSpec(fno.final, shape, {
          title: `FNO-FWI, error ${fno.errors.at(-1)!.toFixed(4)}`,
          units: 'v (km/s)',
          dz: p.dx * 1000,
          dx: p.dx * 1000,
          vmin: range[0],
          vmax: range[1],
          width: 220,
        }),
        fieldSpec(adj.final, shape, {
          title: `adjoint FWI, error ${adj.errors.at(-1)!.toFixed(4)}`,
          units: 'v (km/s)',
          dz: p.dx * 1000,
          dx: p.dx * 1000,
          vmin: range[0],
          vmax: range[1],
          width: 220,
        }),
      ],
      `FWI with ${srcs.length} sources, receivers at every node, from ${p.mean} km/s`,
    ),
  );
  const its = (k: number) => Array.from({ length: k + 1 }, (_, i) => i);
  await sink.figure(
    'fwi-error',
    lineSpec(
      [
        { name: 'FNO-FWI', x: its(cfg.fwi.iterations), y: [initialError, ...fno.errors] },
        { name: 'adjoint FWI', x: its(cfg.fwi.adjointIterations), y: [initialError, ...adj.errors] },
      ],
      { title: 'Relative L2 model error', xTitle: 'iteration', yTitle: '||v - v_true|| / ||v_true||' },
    ),
  );
  const result: InvertResult = {
    grid: `${n}x${n}`,
    sources: srcs.length,
    trueModel: 'examples/fwi demo model (box-averaged to the grid)',
    initialError,
    fno: {
      iterations: cfg.fwi.iterations,
      lr: cfg.fwi.lr,
      secondsPerIteration: fno.spi,
      modelError: fno.errors,
      finalError: fno.errors.at(-1)!,
    },
    adjoint: {
      iterations: cfg.fwi.adjointIterations,
      lr: cfg.fwi.adjointLr,
      secondsPerIteration: adj.spi,
      modelError: adj.errors,
      finalError: adj.errors.at(-1)!,
    },
    speedup: adj.spi / fno.spi,
  };
  await out.put('invert.json', json(result));
  for (const t of [vTrue, initial, amps, vAdj, observed, wf.receivers, wf.wavefield, wf.snapshots!, obsN, vFno]) t.dispose();
  s.model.dispose();
  return result;
}
