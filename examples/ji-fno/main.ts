// Jacobian-informed FNO for image-domain inversion (Park et al.; issue 20, docs/ji-fno.md).
//   npm run example:ji-fno                    # the whole scaled-down pipeline
//   npm run example:ji-fno -- <stage>         # models | eigs | data | train | invert | all
//   node scripts/run.mjs examples/ji-fno/main.ts <stage> [--preset scaled|paper|tiny --samples n
//     --test n --epochs n --lambda x --iterations n --physics-iterations n --out dir
//     --workers n | --redis URL [--shared dir]: the data stage makes its shards as tasks on workers]
// Output in examples/ji-fno/output/ (or --out): data/ (shards + manifest, resumable), directions,
// networks, models/eigs/train/invert JSON, <stage>.run.json and the figures as PNG and SVG.
import * as tl from '../../src/index.js';
import { parseArgs, positive } from '../common/args.js';
import { connectWorkers, WORKER_FLAGS } from '../common/workers.js';
import { nodeSink } from '../common/sink-node.js';
import { DirStore } from '../fno-wave/store-node.js';
import { PRESETS, dataStage, eigsStage, invertStage, modelsStage, trainStage, type JiConfig } from './pipeline.js';

const PROGRAM = 'ji-fno';
const STAGES = ['models', 'eigs', 'data', 'train', 'invert', 'all'] as const;
const first = process.argv[2];
const stage = (first === undefined || first.startsWith('--') ? 'all' : first) as (typeof STAGES)[number];
if (!STAGES.includes(stage)) throw new Error(`${PROGRAM}: expected a stage (${STAGES.join(', ')}) as the first argument, got ${first}`);
const KNOWN = ['preset', 'samples', 'test', 'epochs', 'lambda', 'iterations', 'physics-iterations', 'out', ...WORKER_FLAGS];
const args = parseArgs(PROGRAM, process.argv.slice(first === stage ? 3 : 2), KNOWN);
const presetName = args.get('preset') ?? 'scaled';
if (!(presetName in PRESETS)) throw new Error(`${PROGRAM}: --preset: expected ${Object.keys(PRESETS).join(', ')}, got ${presetName}`);
const base = PRESETS[presetName as keyof typeof PRESETS];
const int = (k: string, fallback: number): number => {
  const v = positive(PROGRAM, args, k, fallback);
  if (!Number.isInteger(v)) throw new Error(`${PROGRAM}: --${k}: expected an integer, got ${v}`);
  return v;
};
const cfg: JiConfig = {
  ...base,
  data: { ...base.data, samples: int('samples', base.data.samples) },
  test: int('test', base.test),
  train: { ...base.train, epochs: int('epochs', base.train.epochs), lambda: positive(PROGRAM, args, 'lambda', base.train.lambda) },
  invert: {
    ...base.invert,
    iterations: int('iterations', base.invert.iterations),
    physicsIterations: int('physics-iterations', base.invert.physicsIterations),
  },
};
const OUT = args.get('out') ?? 'examples/ji-fno/output';
const out = new DirStore(OUT);
const data = new DirStore(`${OUT}/data`);
const sink = nodeSink(OUT);

await tl.init();
const info = tl.deviceInfo();
console.log(`${PROGRAM} ${stage} (preset ${presetName}) on ${info.runtime}, ${info.description}; output in ${OUT}`);
const t0 = performance.now();
const results: Record<string, unknown> = {};
const seconds: Record<string, number> = {};
const run = async (name: (typeof STAGES)[number], f: () => Promise<unknown>): Promise<void> => {
  if (stage !== name && stage !== 'all') return;
  const t = performance.now();
  results[name] = await f();
  seconds[name] = (performance.now() - t) / 1000;
};
await run('models', () => modelsStage(cfg, out, sink));
await run('eigs', () => eigsStage(cfg, out, sink));
// With --workers N or --redis URL, each shard is a task on the workers (the same bytes).
await run('data', async () => {
  const workers = await connectWorkers(PROGRAM, args);
  try {
    return await dataStage(
      cfg,
      data,
      out,
      sink,
      workers ? (d) => tl.shardTasks(workers.backend, 'ji-shard', cfg.data, { directions: d }) : undefined,
    );
  } finally {
    await workers?.close();
  }
});
await run('train', () => trainStage(cfg, data, out, sink));
await run('invert', () => invertStage(cfg, data, out, sink));
sink.stop();
const total = (performance.now() - t0) / 1000;
const { writeFileSync } = await import('node:fs');
writeFileSync(
  `${OUT}/${stage}.run.json`,
  JSON.stringify(
    { stage, preset: presetName, config: cfg, device: info.description, runtime: info.runtime, seconds: { ...seconds, total }, results },
    null,
    1,
  ),
);
console.log(
  `${PROGRAM} ${stage}: ${total.toFixed(0)} s (${Object.entries(seconds)
    .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
    .join(', ')}); wrote ${OUT}/${stage}.run.json`,
);
tl.destroy();
