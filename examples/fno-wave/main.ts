// FNO wave surrogate trained on our own acoustic2d simulations, and FNO-FWI (Yang et al. 2021).
//   npm run fno-wave              # the whole scaled-down pipeline (generate, train, evaluate, invert)
//   npm run fno-wave:generate     # or one stage: generate | train | evaluate | invert
//   node scripts/run.mjs examples/fno-wave/main.ts <stage|all> [--preset small|paper|tiny]
//     [--samples n --val n --epochs n --batch n --lr x --loss rel-l2|mse --width n --modes n
//      --fwi-iterations n --fwi-lr x --adjoint-iterations n --adjoint-lr x --out dir]
// Output in examples/fno-wave/output/ (or --out): data/ (shards + manifest, resumable), fno.safetensors,
// checkpoint.safetensors, train.json, evaluate.json, invert.json and the figures as PNG and SVG.
import * as tl from '../../src/index.js';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { saveFigure } from '../../src/viz/render-node.js';
import { PRESETS, evaluateStage, generateStage, invertStage, trainStage, type FnoWaveConfig, type Sink } from './pipeline.js';
import { DirStore } from './store-node.js';

const STAGES = ['generate', 'train', 'evaluate', 'invert', 'all'] as const;
const stage = process.argv[2] as (typeof STAGES)[number];
if (!STAGES.includes(stage))
  throw new Error(`fno-wave: expected a stage (${STAGES.join(', ')}) as the first argument, got ${process.argv[2]}`);
const args = new Map<string, string>();
for (let i = 3; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
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
];
for (const k of args.keys()) if (!KNOWN.includes(k)) throw new Error(`fno-wave: unknown option --${k} (known: ${KNOWN.join(', ')})`);
const presetName = args.get('preset') ?? 'small';
if (!(presetName in PRESETS)) throw new Error(`fno-wave: --preset: expected ${Object.keys(PRESETS).join(', ')}, got ${presetName}`);
const base = PRESETS[presetName as keyof typeof PRESETS];
const num = (k: string, fallback: number): number => {
  const v = args.has(k) ? Number(args.get(k)) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`fno-wave: --${k}: expected a positive number, got ${args.get(k)}`);
  return v;
};
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

// A redrawn bar with ETA in a terminal; a line per 10% elsewhere (CI, logs).
const bars = process.stdout.isTTY
  ? new MultiBar(
      { format: '{label} [{bar}] {value}/{total} {fields} ETA {eta_formatted}', barsize: 24, etaBuffer: 8 },
      Presets.shades_classic,
    )
  : null;
let bar: { label: string; b: SingleBar | null; t0: number; lastTenth: number } | null = null;
const sink: Sink = {
  log: (m) => (bars ? bars.log(`${m}\n`) : console.log(m)),
  progress(label, done, total, fields = {}) {
    const text = Object.entries(fields)
      .map(([k, v]) => `${k} ${v}`)
      .join('  ');
    if (!bar || bar.label !== label) {
      bar?.b?.stop();
      bar = { label, b: bars ? bars.create(total, 0, { label, fields: text }) : null, t0: performance.now(), lastTenth: -1 };
    }
    if (bar.b) bar.b.update(done, { label, fields: text });
    else if (Math.floor((10 * done) / total) > bar.lastTenth || done === total) {
      bar.lastTenth = Math.floor((10 * done) / total);
      const s = (performance.now() - bar.t0) / 1000;
      const eta = Math.round((s / done) * (total - done));
      console.log(`${label} ${done}/${total} ${text} (${s.toFixed(0)} s, ETA ${Math.floor(eta / 60)}m${eta % 60}s)`);
    }
  },
  figure: async (name, spec) => {
    await saveFigure(spec, `${OUT}/${name}`);
    sink.log(`wrote ${OUT}/${name}.png and .svg`);
  },
};

await tl.init();
const info = tl.deviceInfo();
console.log(`fno-wave ${stage} (preset ${presetName}) on ${info.runtime}, ${info.description}; output in ${OUT}`);
const t0 = performance.now();
const results: Record<string, unknown> = {};
if (stage === 'generate' || stage === 'all') results.generate = (await generateStage(data, cfg, sink)).params;
if (stage === 'train' || stage === 'all') results.train = await trainStage(data, out, cfg, sink);
if (stage === 'evaluate' || stage === 'all') results.evaluate = await evaluateStage(data, out, cfg, sink);
if (stage === 'invert' || stage === 'all') results.invert = await invertStage(out, cfg, sink);
bars?.stop();
const seconds = (performance.now() - t0) / 1000;
const { writeFileSync } = await import('node:fs');
writeFileSync(
  `${OUT}/${stage}.run.json`,
  JSON.stringify({ stage, preset: presetName, config: cfg, device: info.description, runtime: info.runtime, seconds, results }, null, 1),
);
console.log(`fno-wave ${stage}: ${seconds.toFixed(0)} s; wrote ${OUT}/${stage}.run.json`);
tl.destroy();
