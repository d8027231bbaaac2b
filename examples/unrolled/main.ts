// Unrolled proximal gradient vs gradient descent and Tikhonov-CG at the same number of operator
// applications (the logic is in run.ts; docs/unrolled.md has the design and the numbers).
//   node scripts/run.mjs examples/unrolled/main.ts [--operator blur|born --size 24 --iterations 5
//     --steps 150 --batch 4 --test 8 --channels 8 --noise 0.02 --lr 2e-3 --seed 1 --out examples/unrolled/output]
// Writes models.png (true, GD, Tikhonov, unrolled on a held-out model), training.png (loss) and
// results.json into the output folder.
import { Presets, SingleBar } from 'cli-progress';
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { runUnrolled, type UnrolledRunOptions } from './run.js';
import { unrolledFigures } from './figures.js';
import { parseArgs } from '../common/args.js';

const args = parseArgs('unrolled', process.argv.slice(2), [
  'operator',
  'size',
  'iterations',
  'steps',
  'batch',
  'test',
  'channels',
  'noise',
  'lr',
  'seed',
  'out',
]);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/unrolled/output';

const opts: UnrolledRunOptions = {};
const operator = args.get('operator');
if (operator !== undefined) opts.operator = operator as 'blur' | 'born';
for (const [arg, key] of [
  ['size', 'size'],
  ['iterations', 'iterations'],
  ['steps', 'trainSteps'],
  ['batch', 'batch'],
  ['test', 'test'],
  ['channels', 'channels'],
  ['noise', 'noise'],
  ['lr', 'lr'],
  ['seed', 'seed'],
] as const) {
  const v = num(arg);
  if (v !== undefined) opts[key] = v;
}

await tl.init();
console.log(`unrolled proximal gradient, operator ${opts.operator ?? 'blur'}; training...`);
const bar = process.stdout.isTTY
  ? new SingleBar(
      { format: 'step {value}/{total} [{bar}] loss {loss}  ETA {eta_formatted}', barsize: 24, etaBuffer: 20 },
      Presets.shades_classic,
    )
  : null;
let started = false;
let lastLoss = '-';
opts.onProgress = (k, total, loss) => {
  if (!Number.isNaN(loss)) lastLoss = loss.toExponential(3);
  if (bar) {
    if (!started) bar.start(total, 0, { loss: '-' });
    started = true;
    bar.update(k, { loss: lastLoss });
  } else if (!Number.isNaN(loss)) console.log(`step ${k}/${total}  loss ${lastLoss}`);
};
const r = await runUnrolled(opts);
bar?.stop();

const { A, AT, total } = r.applications;
console.log(
  `${r.operator}, ${r.size}x${r.size} models, K = ${r.iterations}: ${total} operator applications per model batch (${AT} AT, ${A} A) for every method; ||A||^2 = ${r.normSquared.toPrecision(4)}`,
);
console.log(
  `Tikhonov: L = ${r.tikhonov.regularizer}, lambda = ${r.tikhonov.lambda.toPrecision(3)} (${(r.tikhonov.lambda / r.normSquared).toPrecision(2)} ||A||^2, best on validation), ${r.tikhonov.cgIterations} CG iterations`,
);
console.log(
  `unrolled: ${r.parameters} parameters, ${r.trainSeconds.toFixed(0)} s of training; learned steps alpha_k ||A||^2 = ${r.alphas.map((a) => a.toFixed(2)).join(', ')}`,
);
console.log('held-out models     relative error   SSIM');
for (const [name, s] of [
  ['gradient descent', r.scores.gradientDescent],
  ['Tikhonov-CG', r.scores.tikhonov],
  ['unrolled PG', r.scores.unrolled],
] as const)
  console.log(`${name.padEnd(20)}${s.relativeError.toFixed(4).padStart(14)}${s.ssim.toFixed(4).padStart(9)}`);

const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
const figs = unrolledFigures(r);
await saveFigure(figs.models, `${OUT}/models`);
await saveFigure(figs.training, `${OUT}/training`);
const { figure: _, ...numbers } = r;
writeFileSync(`${OUT}/results.json`, JSON.stringify(numbers, null, 2));
console.log(`wrote ${OUT}/models, ${OUT}/training (.png and .svg) and ${OUT}/results.json`);
tl.destroy();
