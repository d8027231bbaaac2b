// VAE prior for channel facies, then latent-space vs pixel-space inversion (examples/vae-prior/run.ts).
//   npm run example:vae-prior -- [--n 32 --train 1000 --held-out 3 --epochs 10 --batch 16 --latent 16
//     --width 8 --beta 1 --lr 1e-3 --restarts 4 --iterations 150 --fwi-iterations 40 --seed 0
//     --data examples/output/facies-channels-<n> --out examples/vae-prior/output]
// Writes results.json, vae.safetensors and the figures (training, reconstructions, samples,
// statistics, inversion-tomography, inversion-fwi; .png and .svg) into --out. The training set is
// generated once into --data (shards and a manifest) and reused.
import { writeFileSync } from 'node:fs';
import { fieldSpec, lineSpec, row } from '../../src/viz/index.js';
import { priorCli, writePriorResults } from '../generative/cli.js';
import { inversionTable, priorFigures } from '../generative/report.js';
import { runVaePrior } from './run.js';

const cli = await priorCli('vae-prior', 'VAE prior', ['epochs', 'beta'], 1e-3);
const { num, n, sink } = cli;
const OUT = cli.out;
const r = await runVaePrior({
  ...cli.common,
  epochs: num('epochs', 10),
  beta: num('beta', 1),
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
const seconds = writePriorResults(cli, numbers, samples, inversions);
console.log(
  `VAE (${r.parameters} parameters), ${r.steps} steps in ${r.trainSeconds.toFixed(0)} s: held-out accuracy ${r.heldOutAccuracy.toFixed(3)}, ` +
    `sand proportion generated ${samples.statistics.proportion.generated.toFixed(3)} vs training ${samples.statistics.proportion.training.toFixed(3)}`,
);
console.log(inversionTable(inversions));
console.log(`total ${seconds.toFixed(0)} s; wrote ${OUT}/results.json, vae.safetensors and the figures`);
