// FNO wave surrogate trained on our own acoustic2d simulations, and FNO-FWI (Yang et al. 2021).
//   npm run fno-wave              # the whole scaled-down pipeline (generate, train, evaluate, invert)
//   npm run fno-wave:generate     # or one stage: generate | train | evaluate | invert
//   node scripts/run.mjs examples/fno-wave/main.ts <stage|all> [--preset small|paper|tiny]
//     [--samples n --val n --epochs n --batch n --lr x --loss rel-l2|mse --width n --modes n
//      --fwi-iterations n --fwi-lr x --adjoint-iterations n --adjoint-lr x --out dir]
//     [--workers n | --redis URL [--shared dir]]: generate makes its shards as tasks on workers (docs/scale-out.md)
// Output in examples/fno-wave/output/ (or --out): data/ (shards + manifest, resumable), fno.safetensors,
// checkpoint.safetensors, train.json, evaluate.json, invert.json and the figures as PNG and SVG.
import * as tl from '../../src/index.js';
import { nodeSink } from '../common/sink-node.js';
import { parseArgs, positive } from '../common/args.js';
import { connectWorkers, WORKER_FLAGS } from '../common/workers.js';
import { PRESETS, evaluateStage, generateStage, invertStage, trainStage, type FnoWaveConfig } from './pipeline.js';
import { DirStore } from './store-node.js';

const STAGES = ['generate', 'train', 'evaluate', 'invert', 'all'] as const;
const stage = process.argv[2] as (typeof STAGES)[number];
if (!STAGES.includes(stage))
  throw new Error(`fno-wave: expected a stage (${STAGES.join(', ')}) as the first argument, got ${process.argv[2]}`);
const KNOWN = [
  'preset',
  'samples',
  'val',
  'epochs',
  'batch',
  'lr',
  'loss',
  'width',
  'modes',
  'fwi-iterations',
  'fwi-lr',
  'adjoint-iterations',
  'adjoint-lr',
  'out',
  ...WORKER_FLAGS,
];
const args = parseArgs('fno-wave', process.argv.slice(3), KNOWN);
const presetName = args.get('preset') ?? 'small';
if (!(presetName in PRESETS)) throw new Error(`fno-wave: --preset: expected ${Object.keys(PRESETS).join(', ')}, got ${presetName}`);
const base = PRESETS[presetName as keyof typeof PRESETS];
const num = (k: string, fallback: number): number => positive('fno-wave', args, k, fallback);
const cfg: FnoWaveConfig = {
  ...base,
  data: { ...base.data, samples: num('samples', base.data.samples) },
  val: num('val', base.val),
  epochs: num('epochs', base.epochs),
  batch: num('batch', base.batch),
  lr: num('lr', base.lr),
  loss: (args.get('loss') ?? base.loss) as tl.WaveLoss,
  model: { ...base.model, width: num('width', base.model.width ?? 32), modes: num('modes', base.model.modes ?? 12) },
  fwi: {
    ...base.fwi,
    iterations: num('fwi-iterations', base.fwi.iterations),
    lr: num('fwi-lr', base.fwi.lr),
    adjointIterations: num('adjoint-iterations', base.fwi.adjointIterations),
    adjointLr: num('adjoint-lr', base.fwi.adjointLr),
  },
};
const OUT = args.get('out') ?? 'examples/fno-wave/output';
const out = new DirStore(OUT);
const data = new DirStore(`${OUT}/data`);

const sink = nodeSink(OUT);

await tl.init();
const info = tl.deviceInfo();
console.log(`fno-wave ${stage} (preset ${presetName}) on ${info.runtime}, ${info.description}; output in ${OUT}`);
const t0 = performance.now();
const results: Record<string, unknown> = {};
if (stage === 'generate' || stage === 'all') {
  // With --workers N or --redis URL, each shard is a task on the workers (the same bytes).
  const workers = await connectWorkers('fno-wave', args);
  const produce = workers ? tl.shardTasks(workers.backend, 'wave-shard', cfg.data) : undefined;
  results.generate = (await generateStage(data, cfg, sink, produce)).params;
  await workers?.close();
}
if (stage === 'train' || stage === 'all') results.train = await trainStage(data, out, cfg, sink);
if (stage === 'evaluate' || stage === 'all') results.evaluate = await evaluateStage(data, out, cfg, sink);
if (stage === 'invert' || stage === 'all') results.invert = await invertStage(out, cfg, sink);
sink.stop();
const seconds = (performance.now() - t0) / 1000;
const { writeFileSync } = await import('node:fs');
writeFileSync(
  `${OUT}/${stage}.run.json`,
  JSON.stringify({ stage, preset: presetName, config: cfg, device: info.description, runtime: info.runtime, seconds, results }, null, 1),
);
console.log(`fno-wave ${stage}: ${seconds.toFixed(0)} s; wrote ${OUT}/${stage}.run.json`);
tl.destroy();
