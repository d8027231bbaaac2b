// Full-waveform inversion, Tellus's flagship demo. A 64x64 velocity model at 0.16 km spacing (a
// smooth random background around 3 km/s with sharp anomalies) is recovered from 20 shots, starting
// from a homogeneous 3 km/s model, with Adam on the velocity through grad() of the waveform misfit.
// The gradient is the exact adjoint-state gradient (acoustic2d's VJP). Setup after Yang et al. 2021
// (receivers at every grid node; their adjoint FWI reaches a relative model error of 0.0289).
//   npm run demo [-- --iterations 12 --lr 50 --receivers all|surface --out examples/fwi/output]
// Observed data from a SEG-Y file instead of the synthetic ones (sources, receivers, traces, dt of
// the file; docs/field-data.md), or the synthetic ones written to one:
//   npm run demo -- --export-segy fwi.sgy      then      npm run demo -- --segy fwi.sgy
// Over workers (docs/scale-out.md): --workers 2 starts Redis and two workers here; --redis URL
// [--shared DIR] uses workers running elsewhere; --shots-per-task N (default 4) sizes the tasks.
// Figures (Vega-Lite, src/viz): models.png (true, initial, recovered), gradient.png, misfit.png, each also as SVG.
import * as tl from '../../src/index.js';
import { Presets, SingleBar } from 'cli-progress';
import { fieldSpec, lineSpec, row } from '../../src/viz/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { fwiTrueModel } from './model.js';
import { parseArgs } from '../common/args.js';
import { fwiSurvey, observedFromSegy, observedToSegy, type Observed } from './segy.js';
import { connectWorkers, WORKER_FLAGS } from '../common/workers.js';

const args = parseArgs('fwi', process.argv.slice(2), [
  'iterations',
  'receivers',
  'lr',
  'out',
  'segy',
  'export-segy',
  ...WORKER_FLAGS,
  'shots-per-task',
]);
const ITERATIONS = Number(args.get('iterations') ?? 12);
const RECEIVERS = args.get('receivers') ?? 'all';
const OUT = args.get('out') ?? 'examples/fwi/output';
if (!Number.isInteger(ITERATIONS) || ITERATIONS < 1)
  throw new Error(`--iterations: expected a positive integer, got ${args.get('iterations')}`);
if (RECEIVERS !== 'all' && RECEIVERS !== 'surface') throw new Error(`--receivers: expected all or surface, got ${RECEIVERS}`);
const SEGY = args.get('segy');
const EXPORT_SEGY = args.get('export-segy');
if (SEGY !== undefined && args.has('receivers')) throw new Error('--receivers: the receivers come from the file given with --segy');

const DX = 160; // m
const DT = 0.02; // s (CFL limit at 4.5 km/s, accuracy 4: 0.0218 s)
const FREQ = 1.0; // Hz: >= 6 cells per shortest wavelength at 2.6 km/s
const V0 = 3000;
const MAX_VEL = 4500; // bound for the CFL check and the PML while the model evolves on the GPU

// 20 sources on a ring two cells inside the edges; receivers at every node (or the top row). Or the
// file's geometry, on a grid grown beyond 64 x 64 if a position needs it.
const { readFileSync, mkdirSync, writeFileSync } = await import('node:fs');
const file = SEGY === undefined ? null : observedFromSegy(readFileSync(SEGY), { dx: DX, dt: DT, n: 64, file: SEGY });
const N = file?.n ?? 64;
const NT = file?.nt ?? 240;
const survey = fwiSurvey(N, RECEIVERS);
const sources = file?.sources ?? survey.sources;
const receivers = file?.receivers ?? sources.map(() => survey.receivers);

await tl.init();
const info = tl.deviceInfo();
console.log(
  `FWI on ${info.runtime}, ${info.description}: ${N}x${N} cells of ${DX} m, ${sources.length} shots, ${receivers[0]!.length} receivers each, ${NT} steps of ${DT * 1000} ms`,
);
if (file)
  console.log(
    `observed data from ${SEGY}${N > 64 ? ` (the geometry needs a ${N}x${N} grid)` : ''}; model errors are against the demo's true model`,
  );

const vTrueHost = fwiTrueModel(N, V0);
const vTrue = tl.tensor(vTrueHost, { shape: [N, N] });
const wavelet = tl.ricker(FREQ, NT, DT);
const opts: tl.Acoustic2dOptions = {
  dx: DX,
  dt: DT,
  accuracy: 4,
  pmlWidth: 8,
  pmlFreq: FREQ,
  maxVel: MAX_VEL,
  sourceAmplitudes: tl.expand(tl.reshape(wavelet, [1, 1, NT]), [sources.length, 1, NT]),
  sourceLocations: sources.map((s) => [s]),
  receiverLocations: receivers,
};
const plan = tl.acoustic2dPlan(vTrue, opts);
console.log(
  `padded grid ${plan.paddedShape.join('x')}, checkpoint every ${plan.checkpointEvery} steps, backward pass holds ${(plan.backwardBytes / 2 ** 20).toFixed(0)} MiB`,
);
const observed = file ? tl.tensor(file.traces, { shape: [sources.length, receivers[0]!.length, NT] }) : tl.acoustic2d(vTrue, opts);
if (EXPORT_SEGY !== undefined) {
  const obs: Observed = { sources, receivers, traces: (await observed.data()) as Float32Array, nt: NT, dt: DT };
  writeFileSync(EXPORT_SEGY, observedToSegy(obs, DX));
  console.log(`wrote the observed data to ${EXPORT_SEGY} (SEG-Y rev 1, IEEE floats); invert from it with --segy ${EXPORT_SEGY}`);
}

const v = tl.full([N, N], V0);
const LR = Number(args.get('lr') ?? 50); // m/s per step
const opt = new tl.Adam({ lr: LR });
const misfit = (m: tl.Tensor): tl.Tensor => tl.mul(tl.sum(tl.square(tl.sub(tl.acoustic2d(m, opts), observed))), 0.5);
const step = tl.valueAndGrad(misfit);
const workers = await connectWorkers('fwi', args);
const perTask = Number(args.get('shots-per-task') ?? 4);
if (!Number.isInteger(perTask) || perTask < 1)
  throw new Error(`fwi: --shots-per-task: expected a positive integer, got ${args.get('shots-per-task')}`);
const remote =
  workers &&
  (await tl.ShotMisfit.create(
    workers.backend,
    { shape: [N, N], dx: DX, dt: DT, nt: NT, freq: FREQ, sources, receivers, accuracy: 4, pmlWidth: 8, maxVel: MAX_VEL },
    (await observed.data()) as Float32Array,
    perTask,
    'fwi-demo',
  ));
// The misfit and gradient at v: here, or summed over shot-batch tasks on the workers.
const misfitAndGradient = async (it: number): Promise<[tl.Tensor, tl.Tensor]> => {
  if (!remote) return step(v) as [tl.Tensor, tl.Tensor];
  const r = await remote.evaluate((await v.data()) as Float32Array, `i${it}`, (done, total) => {
    if (bar) bar.update(it - 1, { shots: `${done}/${total}` });
    else if (done === total) console.log(`iter ${it}: ${total} shots done on the workers`);
  });
  return [tl.tensor([r.misfit]), tl.tensor(r.gradient, { shape: [N, N] })];
};
const trueNorm = Math.sqrt(vTrueHost.reduce((a, b) => a + b * b, 0));
const modelError = async (m: tl.Tensor): Promise<number> =>
  Math.sqrt(await tl.tidy(() => tl.sum(tl.square(tl.sub(m, vTrue)))).item()) / trueNorm;

const initialError = await modelError(v);
console.log(`initial relative L2 model error ${initialError.toFixed(4)}`);
const curve: number[] = [];
const errors: number[] = [];
// One read-back per iteration: the misfit and the squared model error travel together. A redrawn
// bar in a terminal; a line per iteration elsewhere (CI, a log file).
const bar = process.stdout.isTTY
  ? new SingleBar(
      {
        format: 'iter {value}/{total} [{bar}] shots {shots}  misfit {misfit}  model error {err}  {spi} s/iter  ETA {eta_formatted}',
        barsize: 20,
        etaBuffer: 5,
      },
      Presets.shades_classic,
    )
  : null;
bar?.start(ITERATIONS, 0, { shots: '-', misfit: '-', err: initialError.toFixed(4), spi: '-' });
const tStart = performance.now();
let firstGradient: Float32Array | null = null;
for (let it = 1; it <= ITERATIONS; it++) {
  const [loss, grad] = await misfitAndGradient(it);
  // The gradient of the starting model, for the figure: one extra read-back, once.
  if (it === 1) firstGradient = (await grad.data()) as Float32Array;
  opt.step(v, grad);
  const both = tl.tidy(() => tl.stack([tl.reshape(loss, []), tl.sum(tl.square(tl.sub(v, vTrue)))]));
  const [value, err2] = Array.from(await both.data()) as [number, number];
  for (const t of [loss, grad, both]) t.dispose();
  curve.push(value);
  errors.push(Math.sqrt(err2) / trueNorm);
  const spi = (performance.now() - tStart) / 1000 / it;
  const fields = {
    shots: `${sources.length}/${sources.length}`,
    misfit: value.toExponential(3),
    err: errors[it - 1]!.toFixed(4),
    spi: spi.toFixed(2),
  };
  if (bar) bar.update(it, fields);
  else {
    const eta = Math.round(spi * (ITERATIONS - it));
    console.log(
      `iter ${it}/${ITERATIONS}  misfit ${fields.misfit}  model error ${fields.err}  ${fields.spi} s/iter  ETA ${Math.floor(eta / 60)}m${eta % 60}s`,
    );
  }
}
bar?.stop();
await workers?.close();
const totalS = (performance.now() - tStart) / 1000;
const finalError = await modelError(v);
console.log(
  `final relative L2 model error ${finalError.toFixed(4)} after ${ITERATIONS} iterations in ${totalS.toFixed(0)} s (${(totalS / ITERATIONS).toFixed(2)} s/iter; initial ${initialError.toFixed(4)}; Yang et al. report 0.0289 for adjoint FWI)`,
);

mkdirSync(OUT, { recursive: true });
const [lo, hi] = [2600, 3500];
const model = (values: ArrayLike<number>, title: string) =>
  fieldSpec(values, [N, N], { title, units: 'v (m/s)', dz: DX, dx: DX, vmin: lo, vmax: hi, width: 260 });
await saveFigure(
  row(
    [
      model(vTrueHost, 'True model'),
      model(new Float32Array(N * N).fill(V0), 'Initial model'),
      model(await v.data(), `Recovered, ${ITERATIONS} iterations`),
    ],
    `FWI: relative L2 model error ${initialError.toFixed(4)} -> ${finalError.toFixed(4)}`,
  ),
  `${OUT}/models`,
);
await saveFigure(
  fieldSpec(firstGradient!, [N, N], {
    title: 'Misfit gradient at the initial model',
    units: 'dJ/dv (per m/s)',
    dz: DX,
    dx: DX,
    cmap: 'rdbu',
  }),
  `${OUT}/gradient`,
);
const iters = curve.map((_, i) => i + 1);
await saveFigure(
  row([
    lineSpec([{ name: 'misfit', x: iters, y: curve }], {
      title: 'Waveform misfit',
      xTitle: 'iteration',
      yTitle: '0.5 ||d - d_obs||^2',
      logY: true,
    }),
    lineSpec([{ name: 'model error', x: [0, ...iters], y: [initialError, ...errors] }], {
      title: 'Relative L2 model error',
      xTitle: 'iteration',
      yTitle: '||v - v_true|| / ||v_true||',
    }),
  ]),
  `${OUT}/misfit`,
);
const result = {
  device: info.description,
  runtime: info.runtime,
  iterations: ITERATIONS,
  backend: remote ? `bullmq, ${args.get('workers') ?? 'remote'} workers, ${args.get('shots-per-task') ?? 4} shots per task` : 'in-process',
  lr: LR,
  seconds: totalS,
  initialError,
  finalError,
  misfit: curve,
  modelError: errors,
};
writeFileSync(`${OUT}/result.json`, JSON.stringify(result, null, 1));
console.log(`wrote ${OUT}/models, gradient and misfit (.png and .svg) and result.json`);
tl.destroy();
