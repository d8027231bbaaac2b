// NFs-Inv on the paper's cases 1-4 beside the conventional inversions (the logic is in run.ts;
// docs/nf-inv.md has the settings and the numbers).
//   npm run example:nf-inv -- --case 1|2|3|4 [--epochs 500 --lr 1e-3 --start background|random
//     --encoding identity|basic|nerf|gaussian --hidden 64,128,128,64 --cells 32 --rays straight|smeared --h 25 --nky 11
//     --receivers 24 --dip 45 --svd 10 --conventional 0|1 --seed 0 --out examples/output/nf-inv]
//   --paper: the paper's network (128-256-256-256-256-128), 64 x 128 cells of 1 m or 5 m DC cells,
//   2000 epochs (hours on a CPU adapter).
// Writes case<N>-models, -convergence, -singular-values, -singular-vectors (.png, .svg) and case<N>.json.
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { runNfInv, type NfCaseId, type NfRunOptions } from './run.js';
import { nfFigures } from './figures.js';

const flags = new Set(['paper']);
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i]!.replace(/^--/, '');
  args.set(k, flags.has(k) ? '1' : (process.argv[++i] ?? ''));
}
const known = [
  'case',
  'epochs',
  'lr',
  'start',
  'encoding',
  'hidden',
  'cells',
  'rays',
  'h',
  'nky',
  'receivers',
  'dip',
  'svd',
  'conventional',
  'seed',
  'out',
  'paper',
  'tag',
];
for (const k of args.keys())
  if (!known.includes(k)) throw new Error(`unknown argument --${k}; valid: ${known.map((a) => `--${a}`).join(' ')}`);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/output/nf-inv';
const caseId = Number(args.get('case') ?? 1) as NfCaseId;
const paper = args.has('paper');
const opts: NfRunOptions = { caseId, onProgress: (m) => console.log(m) };
if (paper) Object.assign(opts, { hidden: [128, 256, 256, 256, 256, 128], cells: 64, h: 5, epochs: 2000 });
for (const [arg, key] of [
  ['epochs', 'epochs'],
  ['lr', 'lr'],
  ['cells', 'cells'],
  ['h', 'h'],
  ['nky', 'nKy'],
  ['receivers', 'maxReceivers'],
  ['dip', 'dip'],
  ['svd', 'svd'],
  ['seed', 'seed'],
] as const) {
  const v = num(arg);
  if (v !== undefined) opts[key] = v;
}
if (args.has('rays')) opts.rays = args.get('rays') as 'straight' | 'smeared';
if (args.has('start')) opts.start = args.get('start') as 'background' | 'random';
if (args.has('hidden')) opts.hidden = args.get('hidden')!.split(',').map(Number);
if (args.has('conventional')) opts.conventional = args.get('conventional') === '1';
const enc = args.get('encoding');
if (enc === 'gaussian') opts.encoding = { kind: 'gaussian', features: 128, std: 0.5 };
else if (enc === 'nerf') opts.encoding = { kind: 'nerf', levels: 8 };
else if (enc !== undefined) opts.encoding = { kind: enc } as tl.Encoding;

await tl.init();
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
const r = await runNfInv(opts);
const e = (x: object): string =>
  Object.entries(x)
    .map(([k, v]) => `${k} ${(v as number).toFixed(3)}`)
    .join(', ');
console.log(
  `case ${caseId}: ${r.nData} data, ${r.parameters} weights, ${r.encoding.kind} encoding, ${r.start} start, ${r.epochs} epochs in ${r.seconds.toFixed(0)} s`,
);
console.log(`  NFs-Inv: chi ${r.chi.toFixed(3)}; errors ${e(r.errors)} (start: ${e(r.startErrors)})`);
for (const c of r.conventional) console.log(`  ${c.name}: chi ${c.chi.toFixed(3)}; errors ${e(c.errors)}`);
if (r.svd) console.log(`  singular values of dm/dw: ${r.svd.values.map((v) => v.toPrecision(3)).join(' ')}`);
const name = `case${caseId}${args.has('tag') ? `-${args.get('tag')}` : ''}`;
const figs = nfFigures(r);
for (const [k, spec] of Object.entries(figs)) await saveFigure(spec, `${OUT}/${name}-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
const { truth: _t, startModel: _s, model: _m, svd, conventional, ...numbers } = r;
const json = { ...numbers, singularValues: svd?.values ?? null, conventional: conventional.map(({ model: _, ...rest }) => rest) };
writeFileSync(`${OUT}/${name}.json`, JSON.stringify(json, null, 2));
console.log(`wrote ${OUT}/${name}-{${Object.keys(figs).join(',')}} (.png, .svg) and ${name}.json`);
tl.destroy();
