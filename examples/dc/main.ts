// DC resistivity cases 3 and 4 (Xu & Heagy), inverted conventionally (the logic is in run.ts;
// docs/dc-resistivity.md has the set-up and the numbers).
//   node scripts/run.mjs examples/dc/main.ts [--case 3|4|both --h 12.5 --dip 45 --iterations 25
//     --noise 0.05 --nky 11 --preconditioner multigrid|jacobi --seed 1 --out examples/output/dc]
// Writes case<N>-models, case<N>-convergence, case<N>-data (.png and .svg) and case<N>.json.
import * as tl from '../../src/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { runDc, type DcRunOptions } from './run.js';
import { dcFigures } from './figures.js';
import { parseArgs } from '../common/args.js';

const args = parseArgs('dc', process.argv.slice(2), ['case', 'h', 'dip', 'iterations', 'noise', 'nky', 'preconditioner', 'seed', 'out']);
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const OUT = args.get('out') ?? 'examples/output/dc';
const which = args.get('case') ?? 'both';
const cases: (3 | 4)[] = which === 'both' ? [3, 4] : [Number(which) as 3 | 4];

await tl.init();
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
for (const caseId of cases) {
  const opts: DcRunOptions = { caseId };
  for (const [arg, key] of [
    ['h', 'h'],
    ['dip', 'dip'],
    ['iterations', 'maxIterations'],
    ['noise', 'noise'],
    ['nky', 'nKy'],
    ['seed', 'seed'],
  ] as const) {
    const v = num(arg);
    if (v !== undefined) opts[key] = v;
  }
  const pre = args.get('preconditioner');
  if (pre !== undefined) opts.preconditioner = pre as 'jacobi' | 'multigrid';
  opts.onIteration = (i) =>
    console.log(
      `case ${caseId} iteration ${i.iteration}: beta ${i.beta.toExponential(2)}, phi_d ${i.phiD.toExponential(3)} (chi ${i.chi.toFixed(3)}), phi_m ${i.phiM.toExponential(3)}, ${i.seconds.toFixed(0)} s`,
    );
  const r = await runDc(opts);
  console.log(
    `case ${caseId}: ${r.nData} data, ${r.mesh.cells} cells (${r.h} m core), ${r.settings}; stop: ${r.stopReason} after ${r.history.length - 1} iterations, chi ${r.chi.toFixed(3)}; ` +
      `model error over the core: RMS log10 ${r.modelError.rmsLog10.toFixed(3)} (start ${r.startError.rmsLog10.toFixed(3)}), relative ${r.modelError.relative.toFixed(3)}; ` +
      `${r.solves.count} solves (mean ${r.solves.meanIterations.toFixed(0)} PCG iterations, ${r.solves.seconds.toFixed(0)} s); ${r.seconds.toFixed(0)} s in all`,
  );
  const figs = dcFigures(r);
  await saveFigure(figs.models, `${OUT}/case${caseId}-models`);
  await saveFigure(figs.convergence, `${OUT}/case${caseId}-convergence`);
  await saveFigure(figs.data, `${OUT}/case${caseId}-data`);
  const { figure: _f, dObs: _o, dPred: _p, geometricFactors: _g, ...numbers } = r;
  writeFileSync(`${OUT}/case${caseId}.json`, JSON.stringify(numbers, null, 2));
  console.log(`wrote ${OUT}/case${caseId}-models, -convergence, -data (.png and .svg) and case${caseId}.json`);
}
tl.destroy();
