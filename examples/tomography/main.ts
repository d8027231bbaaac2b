// Cross-hole straight-ray tomography, the NFs-Inv paper's cases 1 and 2 inverted conventionally
// (the logic is in run.ts; docs/tomography.md has the set-up and the numbers).
//   npm run example:tomography -- [--cases 1,2 --nx 64 --nz 128 --h 1 --noise 20 --seed 1
//     --cg 200 --overfit 10 --gn 20 --out examples/output/tomography]
// Writes case<k>-models, case<k>-gather, case<k>-convergence, case<k>-coverage (.png and .svg) and
// case<k>.json (every number, no arrays) into the output folder.
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { runCase, type TomographyRunOptions } from './run.js';
import { tomographyFigures } from './figures.js';
import { parseArgs } from '../common/args.js';

const args = parseArgs('tomography', process.argv.slice(2), ['cases', 'nx', 'nz', 'h', 'noise', 'seed', 'cg', 'overfit', 'gn', 'out']);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/output/tomography';
const cases = (args.get('cases') ?? '1,2').split(',').map(Number) as (1 | 2)[];
if (!cases.every((c) => c === 1 || c === 2)) throw new Error(`--cases: expected 1, 2 or 1,2, got ${args.get('cases')}`);

const opts: TomographyRunOptions = { onProgress: (m) => console.log(m) };
for (const [arg, key] of [
  ['nx', 'nx'],
  ['nz', 'nz'],
  ['h', 'h'],
  ['noise', 'noise'],
  ['seed', 'seed'],
  ['cg', 'cgIterations'],
  ['overfit', 'overfitIterations'],
  ['gn', 'gnIterations'],
] as const) {
  const v = num(arg);
  if (v !== undefined) opts[key] = v;
}

await tl.init();
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
for (const which of cases) {
  const c = await runCase(which, opts);
  console.log(`case ${which}: ${c.description}; chi of the true model ${c.chiTrue.toFixed(3)}`);
  console.log('inversion            iterations   chi     rel. L2   inside   outside   negative cells   seconds');
  for (const r of c.inversions)
    console.log(
      `${r.name.padEnd(20)}${String(r.iterations).padStart(11)}${r.chi.toFixed(3).padStart(8)}${r.errors.relativeL2.toFixed(4).padStart(10)}` +
        `${r.errors.inside.toFixed(4).padStart(9)}${r.errors.outside.toFixed(4).padStart(10)}${String(r.negativeCells).padStart(17)}${r.seconds.toFixed(1).padStart(10)}`,
    );
  const figs = tomographyFigures(c);
  for (const [name, spec] of Object.entries(figs)) await saveFigure(spec, `${OUT}/case${which}-${name}`);
  const { truth: _t, target: _m, coverage: _c, gather: g, inversions, ...numbers } = c;
  const json = {
    ...numbers,
    gatherSource: g.source,
    inversions: inversions.map(({ model: _, gather: _g, ...rest }) => rest),
  };
  writeFileSync(`${OUT}/case${which}.json`, JSON.stringify(json, null, 2));
  console.log(`wrote ${OUT}/case${which}-{${Object.keys(figs).join(',')}} (.png, .svg) and ${OUT}/case${which}.json`);
}
tl.destroy();
