// VAE prior for channel facies, then latent-space vs pixel-space inversion (examples/vae-prior/run.ts).
//   npm run example:vae-prior -- [--n 32 --train 1000 --held-out 3 --epochs 10 --batch 16 --latent 16
//     --width 8 --beta 1 --lr 1e-3 --restarts 4 --iterations 150 --fwi-iterations 40 --seed 0
//     --data examples/output/facies-channels-<n> --out examples/vae-prior/output]
// Writes results.json, vae.safetensors and the figures (training, reconstructions, samples,
// statistics, inversion-tomography, inversion-fwi; .png and .svg) into --out. The training set is
// generated once into --data (shards and a manifest) and reused.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../../src/index.js';
import { fieldSpec, lineSpec, row } from '../../src/viz/index.js';
import { parseArgs, positive } from '../common/args.js';
import { nodeSink } from '../common/sink-node.js';
import { DirStore } from '../fno-wave/store-node.js';
import { inversionTable, priorFigures } from '../generative/report.js';
import { runVaePrior } from './run.js';

const P = 'vae-prior';
const KNOWN = [
  'n',
  'train',
  'held-out',
  'epochs',
  'batch',
  'latent',
  'width',
  'beta',
  'lr',
  'restarts',
  'iterations',
  'fwi-iterations',
  'seed',
  'data',
  'out',
];
const args = parseArgs(P, process.argv.slice(2), KNOWN);
const num = (k: string, d: number): number => positive(P, args, k, d);
const n = num('n', 32);
const OUT = args.get('out') ?? 'examples/vae-prior/output';
mkdirSync(OUT, { recursive: true });
const sink = nodeSink(OUT);
const info = await tl.init();
sink.log(`VAE prior on ${info.runtime}, ${info.description}`);
const t0 = performance.now();
const r = await runVaePrior({
  n,
  train: num('train', 1000),
  heldOut: num('held-out', 3),
  epochs: num('epochs', 10),
  batch: num('batch', 16),
  latent: num('latent', 16),
  width: num('width', 8),
  beta: num('beta', 1),
  lr: num('lr', 1e-3),
  seed: args.has('seed') ? Number(args.get('seed')) : 0,
  store: new DirStore(args.get('data') ?? `examples/output/facies-channels-${n}`),
  compare: { restarts: num('restarts', 4), iterations: num('iterations', 150), fwiIterations: num('fwi-iterations', 40) },
  onProgress: (p) => {
    if (p.phase === 'train') sink.progress('epoch', p.done, p.total, { ELBO: (-p.loss!).toFixed(1), KL: p.kl!.toFixed(2) });
    else sink.log(p.message!);
  },
});
sink.stop();
const dx = 640 / n;
const epochs = r.loss.map((_, i) => i + 1);
await sink.figure(
  'training',
  lineSpec(
    [
      { name: 'negative ELBO', x: epochs, y: r.loss },
      { name: 'reconstruction (BCE)', x: epochs, y: r.recon },
      { name: 'KL', x: epochs, y: r.kl },
    ],
    { title: 'VAE training (per image)', xTitle: 'epoch', yTitle: 'nats', logY: true },
  ),
);
await sink.figure(
  'reconstructions',
  row(
    r.reconstructions.truth.flatMap((t, k) => [
      fieldSpec(t, [n, n], { title: `held-out ${k + 1}`, units: 'facies', dx, dz: dx, vmin: 0, vmax: 1, width: 150 }),
      fieldSpec(r.reconstructions.recon[k]!, [n, n], {
        title: `reconstruction ${k + 1}`,
        units: 'P(sand)',
        dx,
        dz: dx,
        vmin: 0,
        vmax: 1,
        width: 150,
      }),
    ]),
    'VAE: held-out models and their posterior-mean reconstructions',
  ),
);
await priorFigures(sink, 'vae', 'VAE', r.samples, r.inversions, n, dx, { vShale: 2, vSand: 2.5 });
writeFileSync(`${OUT}/vae.safetensors`, r.checkpoint);
const { checkpoint: _c, reconstructions: _r, samples, inversions, ...numbers } = r;
const json = {
  runtime: info.runtime,
  adapter: info.description,
  seconds: (performance.now() - t0) / 1000,
  ...numbers,
  statistics: samples.statistics,
  curves: samples.curves,
  scores: inversions.scores,
};
writeFileSync(`${OUT}/results.json`, JSON.stringify(json, null, 2));
console.log(
  `VAE (${r.parameters} parameters), ${r.steps} steps in ${r.trainSeconds.toFixed(0)} s: held-out accuracy ${r.heldOutAccuracy.toFixed(3)}, ` +
    `sand proportion generated ${samples.statistics.proportion.generated.toFixed(3)} vs training ${samples.statistics.proportion.training.toFixed(3)}`,
);
console.log(inversionTable(inversions));
console.log(`total ${json.seconds.toFixed(0)} s; wrote ${OUT}/results.json, vae.safetensors and the figures`);
