// U-Net: RTM image -> velocity perturbation on generated layered models (examples/unet/run.ts).
//   npm run example:unet -- [--n 32 --train 64 --val 16 --epochs 12 --batch 8 --width 8 --seed 0 --out examples/unet/output]
// Prints progress, then writes examples/unet/output/results.json and the figures training and
// prediction (.png and .svg): the RTM image, the true dv, the U-Net's dv and the scaled RTM
// baseline for one validation sample, in km with colour bars.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { unetFigures } from './figures.js';
import { runUNetExample, type UNetProgress } from './run.js';
import { parseArgs } from '../common/args.js';

const args = parseArgs('unet', process.argv.slice(2), ['n', 'train', 'val', 'epochs', 'batch', 'width', 'lr', 'seed', 'out']);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/unet/output';

const info = await tl.init();
console.log(`U-Net example on ${info.runtime}, ${info.description}`);
let bar: SingleBar | null = null;
let phase = '';
const onProgress = (p: UNetProgress): void => {
  const fields = { loss: p.trainLoss?.toExponential(3) ?? '-', val: p.valRelL2?.toFixed(4) ?? '-' };
  if (process.stdout.isTTY) {
    if (phase !== p.phase) {
      bar?.stop();
      const format =
        p.phase === 'data'
          ? 'images (J^T J dv) {value}/{total} [{bar}] ETA {eta_formatted}'
          : 'epoch {value}/{total} [{bar}] train MSE {loss}  val rel L2 {val}  ETA {eta_formatted}';
      bar = new SingleBar({ format, barsize: 20, etaBuffer: 4 }, Presets.shades_classic);
      bar.start(p.total, 0, fields);
    }
    bar!.update(p.done, fields);
  } else if (p.phase === 'train') console.log(`epoch ${p.done}/${p.total}  train MSE ${fields.loss}  val rel L2 ${fields.val}`);
  else if (p.done % 8 === 0 || p.done === p.total) console.log(`images ${p.done}/${p.total}`);
  phase = p.phase;
};
const r = await runUNetExample({
  n: num('n'),
  train: num('train'),
  val: num('val'),
  epochs: num('epochs'),
  batch: num('batch'),
  width: num('width'),
  lr: num('lr'),
  seed: num('seed'),
  onProgress,
});
(bar as SingleBar | null)?.stop();
const f = r.final;
console.log(
  `UNet (${r.parameters} parameters), ${r.steps} Adam steps: validation relative L2 ${f.valRelL2.toFixed(4)}, SSIM ${f.valSsim.toFixed(3)}; ` +
    `scaled RTM baseline ${f.baselineRelL2.toFixed(4)}, SSIM ${f.baselineSsim.toFixed(3)}; data ${r.dataSeconds.toFixed(0)} s, training ${r.trainSeconds.toFixed(0)} s`,
);

mkdirSync(OUT, { recursive: true });
const { example: _, ...numbers } = r;
writeFileSync(`${OUT}/results.json`, JSON.stringify({ runtime: info.runtime, adapter: info.description, ...numbers }, null, 2));
const figs = unetFigures(r);
await saveFigure(figs.training, `${OUT}/training`);
await saveFigure(figs.prediction, `${OUT}/prediction`);
console.log(`wrote ${OUT}/results.json, training and prediction (.png and .svg)`);
tl.destroy();
