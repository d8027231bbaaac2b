// Uncertainty quantification: heteroscedastic U-Net, deep ensemble, MC dropout and a heteroscedastic
// ensemble on a low-resolution-image -> velocity-model task with known noise (examples/uq/run.ts).
//   npm run example:uq -- [--n 16 --train 192 --val 32 --test 64 --epochs 15 --batch 16 --width 4
//                          --members 5 --passes 50 --dropout 0.1 --beta 0 --lr 0.01 --seed 0 --out examples/uq/output]
// Prints progress and a table per method, then writes results.json, the figures reliability, maps,
// sigma and training (.png and .svg), and every network's checkpoint (checkpoints/*.safetensors).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { uqFigures } from './figures.js';
import { METHODS, METHOD_NAMES, runUqExample, type UqProgress } from './run.js';
import { parseArgs } from '../common/args.js';

const KNOWN = ['n', 'train', 'val', 'test', 'epochs', 'batch', 'width', 'members', 'passes', 'dropout', 'beta', 'lr', 'seed', 'out'];
const args = parseArgs('uq', process.argv.slice(2), KNOWN);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/uq/output';
mkdirSync(`${OUT}/checkpoints`, { recursive: true });

const info = await tl.init();
console.log(`UQ example on ${info.runtime}, ${info.description}`);
let bar: SingleBar | null = null;
let phase = '';
const onProgress = (p: UqProgress): void => {
  const fields = { label: p.label, loss: p.loss?.toFixed(4) ?? '-' };
  if (process.stdout.isTTY) {
    if (phase !== p.phase) {
      bar?.stop();
      const format =
        p.phase === 'train'
          ? 'networks {value}/{total} [{bar}] {label}: loss {loss}  ETA {eta_formatted}'
          : `${p.phase === 'data' ? 'samples' : 'methods'} {value}/{total} [{bar}] {label}`;
      bar = new SingleBar(
        { format, barsize: 20, etaBuffer: 8, formatValue: (v, _o, type) => (type === 'value' ? String(Math.floor(Number(v))) : String(v)) },
        Presets.shades_classic,
      );
      bar.start(p.total, 0, fields);
    }
    bar!.update(p.done, fields);
  } else if (p.phase === 'train') console.log(`network ${Math.ceil(p.done)}/${p.total} (${p.label}): epoch loss ${fields.loss}`);
  else if (p.phase === 'predict') console.log(`predicted ${p.label}`);
  phase = p.phase;
};
const onModel = async (name: string, model: tl.Module): Promise<void> => {
  writeFileSync(`${OUT}/checkpoints/${name}.safetensors`, await tl.saveSafetensors(model, { example: 'uq', network: name }));
};
const r = await runUqExample({
  n: num('n'),
  train: num('train'),
  val: num('val'),
  test: num('test'),
  epochs: num('epochs'),
  batch: num('batch'),
  width: num('width'),
  members: num('members'),
  passes: num('passes'),
  dropout: num('dropout'),
  beta: num('beta'),
  lr: num('lr'),
  seed: num('seed'),
  onProgress,
  onModel,
});
(bar as SingleBar | null)?.stop();
console.log(
  `${r.n}x${r.n} images, ${r.counts.train} training / ${r.counts.val} validation / ${r.counts.test} test pairs, U-Net of ${r.parameters} parameters; ` +
    `known sigma ${r.sigma.min.toFixed(2)}-${r.sigma.max.toFixed(2)} (mean ${r.sigma.mean.toFixed(3)}, normalized)`,
);
console.log('method                      RMSE   clean   NLL     cov68  cov95  ECE    sigma ratio (calibrated)  train s  predict s');
for (const m of METHODS) {
  const x = r.methods[m];
  console.log(
    `${METHOD_NAMES[m].padEnd(26)}  ${x.rmse.toFixed(3)}  ${x.rmseClean.toFixed(3)}  ${x.nll.toFixed(3).padStart(6)}  ${x.coverage68.toFixed(3)}  ` +
      `${x.coverage95.toFixed(3)}  ${x.ece.toFixed(3)}  ${x.sigmaRatio.toFixed(3).padStart(11)} (${x.sigmaRatioExpected.toFixed(3)})  ${x.trainSeconds.toFixed(0).padStart(7)}  ${x.predictSeconds.toFixed(1).padStart(9)}`,
  );
}
console.log(`data ${r.dataSeconds.toFixed(1)} s, total ${r.totalSeconds.toFixed(0)} s`);

const { example: _, methods, ...rest } = r;
const numbers = Object.fromEntries(Object.entries(methods).map(([k, { maps: _m, ...v }]) => [k, v]));
writeFileSync(
  `${OUT}/results.json`,
  JSON.stringify({ runtime: info.runtime, adapter: info.description, ...rest, methods: numbers }, null, 2),
);
const figs = uqFigures(r);
for (const [name, spec] of Object.entries(figs)) await saveFigure(spec, `${OUT}/${name}`);
console.log(`wrote ${OUT}/results.json, checkpoints/*.safetensors and the figures ${Object.keys(figs).join(', ')} (.png and .svg)`);
tl.destroy();
