// WGAN-GP prior for channel facies, then latent-space vs pixel-space inversion (examples/wgan-prior/run.ts).
//   npm run example:wgan-prior -- [--n 32 --train 1000 --held-out 3 --steps 100 --critic 5 --batch 16
//     --latent 16 --width 8 --lambda 10 --lr 1e-4 --restarts 4 --iterations 150 --fwi-iterations 40
//     --seed 0 --data examples/output/facies-channels-<n> --out examples/wgan-prior/output]
// Writes results.json, generator.safetensors, critic.safetensors and the figures (training,
// samples, statistics, inversion-tomography, inversion-fwi; .png and .svg) into --out.
import { writeFileSync } from 'node:fs';
import { lineSpec, row } from '../../src/viz/index.js';
import { priorCli, writePriorResults } from '../generative/cli.js';
import { inversionTable, priorFigures } from '../generative/report.js';
import { runWganPrior } from './run.js';

const cli = await priorCli('wgan-prior', 'WGAN-GP prior', ['steps', 'critic', 'lambda'], 1e-4);
const { num, n, sink } = cli;
const OUT = cli.out;
const r = await runWganPrior({
  ...cli.common,
  steps: num('steps', 100),
  critic: num('critic', 5),
  lambda: num('lambda', 10),
  onProgress: (p) => {
    if (p.phase === 'train') sink.progress('generator step', p.done, p.total, { W: p.wasserstein!.toFixed(3), GP: p.penalty!.toFixed(3) });
    else sink.log(p.message!);
  },
});
sink.stop();
const dx = 640 / n;
const steps = r.history.map((h) => h.step);
await sink.figure(
  'training',
  row(
    [
      lineSpec([{ name: 'critic estimate', x: steps, y: r.history.map((h) => h.wasserstein) }], {
        title: 'Wasserstein estimate E D(real) - E D(fake)',
        xTitle: 'generator step',
        yTitle: 'W estimate',
      }),
      lineSpec([{ name: 'gradient penalty', x: steps, y: r.history.map((h) => h.penalty) }], {
        title: 'Gradient penalty E (|grad D| - 1)^2',
        xTitle: 'generator step',
        yTitle: 'penalty',
      }),
    ],
    'WGAN-GP training',
  ),
);
await priorFigures(sink, 'wgan', 'WGAN-GP', r.samples, r.inversions, n, dx, { vShale: 2, vSand: 2.5 });
writeFileSync(`${OUT}/generator.safetensors`, r.generatorCheckpoint);
writeFileSync(`${OUT}/critic.safetensors`, r.criticCheckpoint);
const { generatorCheckpoint: _g, criticCheckpoint: _c, samples, inversions, ...numbers } = r;
const seconds = writePriorResults(cli, numbers, samples, inversions);
console.log(
  `WGAN-GP (generator ${r.generatorParameters}, critic ${r.criticParameters} parameters), ${r.steps} generator steps in ${r.trainSeconds.toFixed(0)} s: ` +
    `sand proportion generated ${samples.statistics.proportion.generated.toFixed(3)} vs training ${samples.statistics.proportion.training.toFixed(3)}`,
);
console.log(inversionTable(inversions));
console.log(`total ${seconds.toFixed(0)} s; wrote ${OUT}/results.json, the checkpoints and the figures`);
