// The JI-FNO pipeline's stages (Park et al., issue 20), browser-safe: storage, figures and progress
// go through the caller's stores and sink (main.ts gives directories, PNG/SVG files and a bar).
//   models: layered models and randomized backgrounds (host, seeded): statistics and a figure
//   eigs:   leading eigenvectors of the averaged Gauss-Newton Hessian (r = max of the ranks)
//   data:   RTM images and exact Jacobian actions along the eigenvectors, in shards (resumable)
//   train:  FNO (forward loss) and JI-FNO for each r; curves; held-out forward and Jacobian errors
//   invert: min ||R(m, m0) - dm_RTM||^2 s.t. TV(m) <= TV(m_true), Adam, with each surrogate and the physics
import * as tl from '../../src/index.js';
import { fieldSpec, lineSpec, row, type FieldOptions, type Series, type VegaLiteSpec } from '../../src/viz/index.js';
import { PRESETS, type JiConfig } from './presets.js';
import type { Sink } from '../common/sink.js';

export { PRESETS, type JiConfig };

export type { Sink };

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v, null, 1));
const now = (): number => performance.now() / 1000;
/** km/s models are centred here before they enter the network. */
const CENTRE = 3;

async function need(store: tl.ShardStore, name: string, stage: string): Promise<Uint8Array> {
  const b = await store.get(name);
  if (!b) throw new Error(`ji-fno: ${name} is missing: run the ${stage} stage first`);
  return b;
}

const params = (cfg: JiConfig): tl.JiDataParams => tl.jiDataParams(cfg.data, 'ji-fno config.data');
const trainCount = (cfg: JiConfig): number => params(cfg).samples - cfg.test;
const rMax = (cfg: JiConfig): number => Math.max(...cfg.ranks);
const pairTensors = (p: tl.JiDataParams, i: number, scale = 1): { m: tl.Tensor; m0: tl.Tensor } => {
  const pr = tl.jiPair(p, i);
  return {
    m: tl.keep(
      tl.tensor(
        pr.m.map((v) => v * scale),
        { shape: [p.nz, p.nx] },
      ),
    ),
    m0: tl.keep(
      tl.tensor(
        pr.m0.map((v) => v * scale),
        { shape: [p.nz, p.nx] },
      ),
    ),
  };
};
/** The data set's image weight as a kept tensor [nz, nx]. */
const imageWeight = (p: tl.JiDataParams): tl.Tensor => tl.keep(tl.tensor(tl.jiImageWeight(p), { shape: [p.nz, p.nx] }));
const field = (p: tl.JiDataParams, v: ArrayLike<number>, title: string, units: string, extra: Partial<FieldOptions> = {}): VegaLiteSpec =>
  fieldSpec(v, [p.nz, p.nx], { title, units, dz: p.dx * 1000, dx: p.dx * 1000, width: 150, ...extra });

export async function modelsStage(cfg: JiConfig, out: tl.ShardStore, sink: Sink): Promise<Record<string, unknown>> {
  const p = params(cfg);
  const stats = Array.from({ length: p.samples }, (_, i) => {
    const pr = tl.jiPair(p, i);
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of pr.m) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    return { sample: i, vmin: lo, vmax: hi, background: pr.mode, width: pr.width };
  });
  const show = Math.min(3, p.samples);
  const panels: VegaLiteSpec[] = [];
  for (let i = 0; i < show; i++) {
    const pr = tl.jiPair(p, i);
    const range = { vmin: 1.5, vmax: p.maxVel };
    panels.push(field(p, pr.m, `m, sample ${i}`, 'v (km/s)', range), field(p, pr.m0, `m0 (${pr.mode})`, 'v (km/s)', range));
  }
  await sink.figure('models', row(panels, `Layered models and randomized backgrounds (${p.nz} x ${p.nx} cells of ${p.dx * 1000} m)`));
  const result = { samples: p.samples, train: p.samples - cfg.test, test: cfg.test, grid: [p.nz, p.nx], dxKm: p.dx, stats };
  await out.put('models.json', json(result));
  sink.log(`models: ${p.samples} pairs, ${stats.filter((s) => s.background === 'depth').length} depth-smoothed backgrounds`);
  return result;
}

export async function eigsStage(cfg: JiConfig, out: tl.ShardStore, sink: Sink): Promise<Record<string, unknown>> {
  const p = params(cfg);
  const t0 = now();
  const survey = tl.jiSurvey(p);
  const pairs = Array.from({ length: Math.min(cfg.eigs.pairs, trainCount(cfg)) }, (_, i) => pairTensors(p, i, 1000));
  sink.progress('eigenvectors', 0, 1);
  const W = imageWeight(p);
  const eig = await tl.gaussNewtonEigs(pairs, survey, {
    weight: W,
    r: rMax(cfg),
    oversample: cfg.eigs.oversample,
    powerIterations: cfg.eigs.powerIterations,
    seed: 0,
  });
  sink.progress('eigenvectors', 1, 1);
  pairs.forEach((q) => [q.m, q.m0].forEach((t) => t.dispose()));
  tl.disposeJiSurvey(survey);
  W.dispose();
  const n = p.nz * p.nx;
  const flat = new Float32Array(eig.vectors.length * n);
  eig.vectors.forEach((v, j) => flat.set(Float32Array.from(v), j * n));
  const D = tl.tensor(flat, { shape: [eig.vectors.length, p.nz, p.nx] });
  await out.put('directions.safetensors', await tl.saveSafetensors({ directions: D }, { values: JSON.stringify(Array.from(eig.values)) }));
  D.dispose();
  const seconds = now() - t0;
  const result = {
    r: eig.vectors.length,
    pairs: pairs.length,
    values: Array.from(eig.values),
    residuals: Array.from(eig.residuals),
    products: eig.products,
    seconds,
  };
  await out.put('eigs.json', json(result));
  const show = Math.min(8, eig.vectors.length);
  await sink.figure(
    'eigenvectors',
    row(
      eig.vectors.slice(0, show).map((v, j) => field(p, v, `v${j + 1}`, 'unitless', { cmap: 'rdbu', width: 100 })),
      `Leading eigenvectors of the averaged Gauss-Newton Hessian (${pairs.length} pairs)`,
    ),
  );
  await sink.figure(
    'eigenvalues',
    lineSpec([{ name: 'lambda_j / lambda_1', x: result.values.map((_, j) => j + 1), y: result.values.map((v) => v / result.values[0]!) }], {
      title: 'Spectrum of the averaged Gauss-Newton Hessian',
      xTitle: 'index j',
      yTitle: 'relative eigenvalue',
      logY: true,
    }),
  );
  sink.log(
    `eigs: r = ${result.r} from ${pairs.length} pairs in ${seconds.toFixed(0)} s; lambda_r / lambda_1 = ${(result.values.at(-1)! / result.values[0]!).toExponential(2)}`,
  );
  return result;
}

async function loadDirections(out: tl.ShardStore): Promise<tl.Tensor> {
  const f = tl.readSafetensors(await need(out, 'directions.safetensors', 'eigs'));
  return tl.keep(f.tensors.directions!);
}

/** `producer`, if given, makes the missing shards elsewhere (scale-out): it gets the directions as host data. */
export async function dataStage(
  cfg: JiConfig,
  data: tl.ShardStore,
  out: tl.ShardStore,
  sink: Sink,
  producer?: (directions: { shape: number[]; data: Float32Array }) => tl.ShardProducer,
): Promise<Record<string, unknown>> {
  const D = await loadDirections(out);
  const produce = producer?.({ shape: [...D.shape], data: (await D.data()) as Float32Array });
  const t0 = now();
  let [made, stored, prev] = [0, 0, 0];
  sink.progress('RTM images + Jacobian actions', 0, params(cfg).samples);
  try {
    const m = await tl.generateJiDataset(data, cfg.data, D, {
      produce,
      // The bar counts the samples still to make, so a resumed run's ETA is not inflated by the stored shards.
      onShard: (q) => {
        const count = q.done - prev;
        prev = q.done;
        if (q.skipped) {
          stored += count;
          return;
        }
        made++;
        sink.progress('RTM images + Jacobian actions', q.done - stored, q.samples - stored, { shard: `${q.shard + 1}/${q.shards}` });
      },
    });
    const seconds = now() - t0;
    sink.log(
      `data: ${m.params.samples} samples, r = ${m.directions.r}; ${made} shards made, ${m.shards.length - made} already stored, ${seconds.toFixed(0)} s`,
    );
    await sink.figure('data', await dataFigure(data, m));
    // Once per data set (kept in gauss-newton.json): a rerun that made nothing does not redo it.
    const kept = made === 0 ? await out.get('gauss-newton.json') : undefined;
    const gaussNewton = kept
      ? (JSON.parse(new TextDecoder().decode(kept)) as Awaited<ReturnType<typeof gaussNewtonGap>>)
      : await gaussNewtonGap(cfg, D);
    if (!kept) await out.put('gauss-newton.json', json(gaussNewton));
    sink.log(
      `data: the Gauss-Newton form -J(m0)^T J(m0) v vs the exact -J(m0)^T J(m) v: median relative difference ${gaussNewton.median.toFixed(3)}, max ${gaussNewton.max.toFixed(3)} (${gaussNewton.samples} samples x ${gaussNewton.directions} directions)`,
    );
    return {
      samples: m.params.samples,
      r: m.directions.r,
      gaussNewton,
      shardsMade: made,
      seconds,
      secondsPerSample: made ? seconds / (made * m.params.samplesPerShard) : null,
    };
  } finally {
    D.dispose();
  }
}

/** Sample 0 of the first shard: m - m0, its image and its actions along the first three directions. */
async function dataFigure(data: tl.ShardStore, m: tl.JiManifest): Promise<VegaLiteSpec> {
  const p = m.params;
  const n = p.nz * p.nx;
  const f = tl.readSafetensors((await data.get(m.shards[0]!.name))!);
  const [mm, m0, img, act] = await Promise.all(['m', 'm0', 'image', 'actions'].map((k) => f.tensors[k]!.data()));
  Object.values(f.tensors).forEach((t) => t.dispose());
  const diff = Float32Array.from({ length: n }, (_, k) => mm![k]! - m0![k]!);
  const k = Math.min(3, m.directions.r);
  return row(
    [
      field(p, diff, 'm - m0', 'km/s', { cmap: 'rdbu' }),
      field(p, img!.subarray(0, n), 'image W R(m, m0)', 'W R', { cmap: 'rdbu' }),
      ...Array.from({ length: k }, (_, j) => field(p, act!.subarray(j * n, (j + 1) * n), `W dR/dm v${j + 1}`, 'per m/s', { cmap: 'rdbu' })),
    ],
    'Sample 0: the perturbation, its weighted RTM image and exact Jacobian actions',
  );
}

/**
 * How far the paper's Gauss-Newton form -J(m0)^T J(m0) v is from the exact action -J(m0)^T J(m) v
 * (issue 20 item 4): relative L2 differences over the first two samples and (up to) eight directions.
 */
async function gaussNewtonGap(
  cfg: JiConfig,
  D: tl.Tensor,
): Promise<{ samples: number; directions: number; median: number; max: number; all: number[] }> {
  const p = params(cfg);
  const survey = tl.jiSurvey(p);
  const k = Math.min(8, D.shape[0]!);
  const Dk = tl.keep(tl.slice(D, [[0, k]]));
  const W = imageWeight(p);
  const all: number[] = [];
  try {
    for (let i = 0; i < Math.min(2, p.samples); i++) {
      const { m, m0 } = pairTensors(p, i, 1000);
      const a = tl.rtmJacobianActions(m, m0, Dk, survey, { gaussNewton: true });
      const [exW, gnW] = [tl.mul(a.exact, W), tl.mul(a.gaussNewton!, W)];
      const [ex, gn] = await Promise.all([exW.data(), gnW.data()]);
      [exW, gnW].forEach((t) => t.dispose());
      const n = p.nz * p.nx;
      for (let j = 0; j < k; j++) {
        let [num, den] = [0, 0];
        for (let c = j * n; c < (j + 1) * n; c++) [num, den] = [num + (gn[c]! - ex[c]!) ** 2, den + ex[c]! ** 2];
        all.push(Math.sqrt(num / den));
      }
      [m, m0, a.exact, a.gaussNewton!].forEach((t) => t.dispose());
    }
  } finally {
    [Dk, W].forEach((t) => t.dispose());
    tl.disposeJiSurvey(survey);
  }
  const sorted = [...all].sort((x, y) => x - y);
  return { samples: Math.min(2, p.samples), directions: k, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)!, all };
}

/** A network's name, its r (0: the plain FNO) and its file. */
const variants = (cfg: JiConfig): { name: string; r: number; file: string }[] => [
  { name: 'FNO', r: 0, file: 'fno.safetensors' },
  ...cfg.ranks.map((r) => ({ name: `JI-FNO r=${r}`, r, file: `jifno-r${r}.safetensors` })),
];

interface Scales {
  /** Image scale: targets are image / image (RMS of the training images). */
  image: number;
}

/** Training or test data in network units: m - CENTRE (km/s), images / scale, actions per km/s / scale. */
function netData(d: tl.JiDataset, D: tl.Tensor, idx: number[], r: number, s: Scales): tl.JiFnoData {
  return tl.tidy(() => {
    const take = (t: tl.Tensor): tl.Tensor => tl.rowsOf(t, idx);
    const acts = take(d.actions!);
    const rr = Math.max(r, 1);
    return tl.keep({
      m: tl.sub(take(d.m), CENTRE),
      m0: tl.sub(take(d.m0), CENTRE),
      target: tl.div(take(d.image), s.image),
      directions: tl.slice(D, [[0, rr]]),
      actions: tl.mul(tl.slice(acts, [null, [0, rr]]), 1000 / s.image),
    });
  });
}

const makeNet = (cfg: JiConfig): tl.FNO2d => new tl.FNO2d({ inChannels: 2, outChannels: 1, ...cfg.train.model });

export async function trainStage(cfg: JiConfig, data: tl.ShardStore, out: tl.ShardStore, sink: Sink): Promise<Record<string, unknown>> {
  const d = await tl.loadJiDataset(data);
  const dirs = await loadDirections(out);
  const N = d.manifest.params.samples;
  const trainIdx = Array.from({ length: N - cfg.test }, (_, i) => i);
  const testIdx = Array.from({ length: cfg.test }, (_, i) => N - cfg.test + i);
  const imgs = (await tl.rowsOf(d.image, trainIdx).data()) as Float32Array;
  const scales: Scales = { image: Math.sqrt(imgs.reduce((a, v) => a + v * v, 0) / imgs.length) };
  const R = rMax(cfg);
  const testAll = netData(d, dirs, testIdx, R, scales);
  const results: Record<string, unknown>[] = [];
  const curves: Series[] = [];
  try {
    for (const v of variants(cfg)) {
      const t0 = now();
      const train = netData(d, dirs, trainIdx, v.r, scales);
      const net = makeNet(cfg);
      const lambda = v.r === 0 ? 0 : cfg.train.lambda;
      sink.progress(`train ${v.name}`, 0, cfg.train.epochs);
      const history = await tl.trainJiFno(net, train, {
        epochs: cfg.train.epochs,
        lr: cfg.train.lr,
        batchSize: Math.min(cfg.train.batch, trainIdx.length),
        lambda,
        seed: 0,
        directionsPerStep: Math.min(cfg.train.directionsPerStep, Math.max(v.r, 1)),
        evalEvery: cfg.train.evalEvery,
        onEpoch: (e) =>
          sink.progress(`train ${v.name}`, e.epoch, cfg.train.epochs, {
            loss: e.loss.toFixed(3),
            fwd: Number.isNaN(e.forwardError) ? '-' : e.forwardError.toFixed(3),
            jac: v.r && !Number.isNaN(e.jacobianError) ? e.jacobianError.toFixed(3) : '-',
          }),
      });
      const seconds = now() - t0;
      // Held out: the forward error, and the Jacobian error along all R directions (the same yardstick for every net).
      const errs = tl.jiFnoErrors(net, net.parameters(), testAll, Math.max(1, Math.min(cfg.train.batch, testIdx.length)));
      const [fwd, jac] = Array.from(await errs.data());
      errs.dispose();
      await out.put(v.file, await tl.saveSafetensors(net, { imageScale: String(scales.image), centre: String(CENTRE), r: String(v.r) }));
      results.push({ name: v.name, r: v.r, lambda, seconds, history, testForwardError: fwd, testJacobianError: jac });
      curves.push({ name: `${v.name}: loss`, x: history.map((h) => h.epoch), y: history.map((h) => h.loss) });
      sink.log(
        `train ${v.name}: ${seconds.toFixed(0)} s; held-out forward error ${fwd!.toFixed(3)}, Jacobian error (r = ${R}) ${jac!.toFixed(3)}`,
      );
      Object.values(train).forEach((t) => (t as tl.Tensor).dispose());
      net.dispose();
    }
  } finally {
    Object.values(testAll).forEach((t) => (t as tl.Tensor).dispose());
    [d.m, d.m0, d.image, d.actions, dirs].forEach((t) => t?.dispose());
  }
  await sink.figure(
    'training',
    lineSpec(curves, {
      title: "Training loss (relative L2 forward error + lambda x Jacobian error on the step's directions)",
      xTitle: 'epoch',
      yTitle: 'loss',
      logY: true,
    }),
  );
  const result = {
    imageScale: scales.image,
    centre: CENTRE,
    trainSamples: trainIdx.length,
    testSamples: testIdx.length,
    networks: results,
  };
  await out.put('train.json', json(result));
  return result;
}

interface Method {
  name: string;
  objective: (m: tl.Tensor) => tl.Tensor;
  dispose(): void;
  iterations: number;
  lr: number;
}

export async function invertStage(cfg: JiConfig, data: tl.ShardStore, out: tl.ShardStore, sink: Sink): Promise<Record<string, unknown>> {
  const d = await tl.loadJiDataset(data);
  const p = d.manifest.params;
  const N = p.samples;
  const survey = tl.jiSurvey(p);
  const W = imageWeight(p);
  // The wave solver needs velocities in (0, maxVel]: a surrogate's iterate can leave that range (nothing bounds it),
  // so the physics sees the model clipped to [1.5, maxVel] km/s (its gradient is zero where the clip acts).
  const physical = (m: tl.Tensor): tl.Tensor => tl.minimum(tl.maximum(m, 1.5), p.maxVel);
  const nets = await Promise.all(
    variants(cfg).map(async (v) => {
      const net = makeNet(cfg);
      const f = tl.readSafetensors(await need(out, v.file, 'train'));
      tl.loadSafetensorsInto(net, await need(out, v.file, 'train'));
      Object.values(f.tensors).forEach((t) => t.dispose());
      return { ...v, net, imageScale: Number(f.metadata.imageScale) };
    }),
  );
  const rows: Record<string, unknown>[] = [];
  const figureModels: { name: string; values: Float32Array }[] = [];
  const figureGrads: { name: string; values: Float32Array }[] = [];
  let trueValues: Float32Array | null = null;
  let startValues: Float32Array | null = null;
  const samples = Math.min(cfg.invert.samples, cfg.test);
  const total = samples * nets.length + Math.min(cfg.invert.physicsSamples, samples);
  let done = 0;
  sink.progress('inversions', 0, total);
  try {
    for (let k = 0; k < samples; k++) {
      const i = N - cfg.test + k;
      const [mTrue, m0, target] = [d.m, d.m0, d.image].map((t) => tl.keep(tl.tidy(() => tl.reshape(tl.rowsOf(t, [i]), [p.nz, p.nx]))));
      const tv = tl.totalVariation(await mTrue!.data(), p.nz, p.nx);
      const methods: Method[] = nets.map((n) => {
        const m0n = tl.keep(tl.tidy(() => tl.reshape(tl.sub(m0!, CENTRE), [1, p.nz, p.nx])));
        const tgt = tl.keep(tl.div(target!, n.imageScale));
        const params = n.net.parameters();
        return {
          name: n.name,
          iterations: cfg.invert.iterations,
          lr: cfg.invert.lr,
          objective: (m) =>
            tl.tidy(() =>
              tl.sum(
                tl.square(
                  tl.sub(
                    tl.reshape(tl.jiFnoForward(n.net, params, tl.reshape(tl.sub(m, CENTRE), [1, p.nz, p.nx]), m0n), [p.nz, p.nx]),
                    tgt,
                  ),
                ),
              ),
            ),
          dispose: () => [m0n, tgt].forEach((t) => t.dispose()),
        };
      });
      if (k < cfg.invert.physicsSamples) {
        // In m/s inside, km/s outside; the misfit scaled like the surrogates' (image / imageScale).
        const m0s = tl.keep(tl.mul(m0!, 1000));
        const s = nets[0]!.imageScale;
        const misfit = (m: tl.Tensor): tl.Tensor => tl.sum(tl.square(tl.sub(tl.mul(tl.rtmImage(m, m0s, survey), W), target!)));
        methods.push({
          name: 'physics',
          iterations: cfg.invert.physicsIterations,
          lr: cfg.invert.physicsLr,
          objective: (m) => tl.tidy(() => tl.div(misfit(tl.mul(physical(m), 1000)), s * s)),
          dispose: () => m0s.dispose(),
        });
      }
      for (const method of methods) {
        const t0 = now();
        if (k === 0) {
          // The first iteration's gradient at the start (the paper's Figure 5, second row).
          const g = tl.tidy(() => tl.grad(method.objective)(m0!));
          figureGrads.push({ name: method.name, values: (await g.data()) as Float32Array });
          g.dispose();
        }
        const inv = await tl.tvInvert(method.objective, m0!, {
          tau: tv,
          iterations: method.iterations,
          lr: method.lr,
          logEvery: Math.max(1, Math.floor(method.iterations / 20)),
        });
        const image = tl.tidy(() => tl.mul(tl.rtmImage(tl.mul(physical(inv.model), 1000), tl.mul(m0!, 1000), survey), W));
        const metrics = await tl.imageInversionMetrics(inv.model, mTrue!, image, target!);
        const secondsPerIteration = (inv.seconds.step + inv.seconds.projection) / method.iterations;
        rows.push({
          sample: i,
          method: method.name,
          ...metrics,
          iterations: method.iterations,
          secondsPerIteration,
          seconds: now() - t0,
          tau: tv,
          converged: inv.converged,
          history: inv.history,
        });
        if (k === 0) figureModels.push({ name: method.name, values: (await inv.model.data()) as Float32Array });
        image.dispose();
        inv.model.dispose();
        done++;
        sink.progress('inversions', done, total, {
          sample: String(i),
          method: method.name,
          err: metrics.modelError.toFixed(3),
          ssim: metrics.ssim.toFixed(3),
        });
      }
      if (k === 0) [trueValues, startValues] = [(await mTrue!.data()) as Float32Array, (await m0!.data()) as Float32Array];
      methods.forEach((m) => m.dispose());
      [mTrue, m0, target].forEach((t) => t!.dispose());
    }
  } finally {
    nets.forEach((n) => n.net.dispose());
    [d.m, d.m0, d.image, d.actions, W].forEach((t) => t?.dispose());
    tl.disposeJiSurvey(survey);
  }
  const names = [...new Set(rows.map((r) => r.method as string))];
  const table = names.map((name) => {
    const rs = rows.filter((r) => r.method === name);
    const avg = (k: string): number => rs.reduce((a, r) => a + (r[k] as number), 0) / rs.length;
    return {
      method: name,
      samples: rs.length,
      modelError: avg('modelError'),
      dataResidual: avg('dataResidual'),
      ssim: avg('ssim'),
      secondsPerIteration: avg('secondsPerIteration'),
      iterations: rs[0]!.iterations,
    };
  });
  const range = { vmin: 1.5, vmax: p.maxVel };
  const err = (name: string): string => {
    const r = rows.find((q) => q.method === name && q.sample === N - cfg.test);
    return r ? `: err ${(r.modelError as number).toFixed(3)}, SSIM ${(r.ssim as number).toFixed(2)}` : '';
  };
  await sink.figure(
    'inversions',
    row(
      [
        field(p, trueValues!, 'true model', 'v (km/s)', range),
        field(p, startValues!, 'start = m0', 'v (km/s)', range),
        ...figureModels.map((f) => field(p, f.values, `${f.name}${err(f.name)}`, 'v (km/s)', range)),
      ],
      `Image-domain inversion of held-out sample ${N - cfg.test}, TV(m) <= TV(m_true)`,
    ),
  );
  await sink.figure(
    'gradients',
    row(
      figureGrads.map((f) => field(p, f.values, f.name, 'df/dm', { cmap: 'rdbu' })),
      'Gradient of the misfit at the start model (first iteration)',
    ),
  );
  const result = { samples, tauRule: 'TV(m_true)', start: 'm0', table, rows };
  await out.put('invert.json', json(result));
  for (const t of table)
    sink.log(
      `invert ${t.method}: model error ${t.modelError.toFixed(3)}, data residual ${t.dataResidual.toFixed(3)}, SSIM ${t.ssim.toFixed(3)}, ${(1000 * t.secondsPerIteration).toFixed(0)} ms/iteration (${t.samples} samples)`,
    );
  return result;
}
