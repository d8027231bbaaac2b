// Wave-equation PINNs validated against closed forms and the engine (docs/pinn.md):
//   npm run example:pinn-wave            (or: node scripts/run.mjs examples/pinn-wave/main.ts [options])
// Options: --only a,b,c,d,d2,e  --scale 1 (multiplies every step budget)  --out examples/pinn-wave/output
//   --until 1e-2 (part e: the relative L2 at which its time-to-accuracy run stops)
// Prints progress, writes figures (PNG + SVG) and results.json to the output folder.
import * as tl from '../../src/index.js';
import { fieldSpec, lineSpec, row } from '../../src/viz/index.js';
import { saveFigure } from '../../src/viz/render-node.js';
import { acoustic2d, type Budget, helmholtz, inversion, inversionSmooth, wave1d } from './run.js';
import { dalembertFigure, wave1dFigure } from './figures.js';
import { parseArgs, positive } from '../common/args.js';
import { dalembert } from './dalembert.js';

const args = parseArgs('pinn-wave', process.argv.slice(2), ['only', 'scale', 'out', 'until']);
const ONLY = (args.get('only') ?? 'a,b,c,d,d2,e').split(',');
const SCALE = Number(args.get('scale') ?? 1);
const OUT = args.get('out') ?? 'examples/pinn-wave/output';
const UNTIL = positive('pinn-wave', args, 'until', 1e-2);
const s = (n: number): number => Math.max(1, Math.round(n * SCALE));

await tl.init();
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
const log = (line: string): void => console.log(line);
log(`device: ${tl.deviceInfo().description}`);
const results: Record<string, unknown> = { device: tl.deviceInfo().description, scale: SCALE };
const save = (): void =>
  writeFileSync(
    `${OUT}/results.json`,
    JSON.stringify(results, (_, v) => (v instanceof Float64Array ? undefined : v), 2),
  );
const curve = (name: string, r: { lossCurve: { phase: string; step: number; loss: number }[]; adamSteps: number }) => ({
  name,
  x: r.lossCurve.map((p) => (p.phase === 'adam' ? p.step : r.adamSteps + p.step)),
  y: r.lossCurve.map((p) => p.loss),
});
const curves: ReturnType<typeof curve>[] = [];

if (ONLY.includes('a')) {
  const b: Budget = { adam: s(500), lbfgs: s(500), points: 300, hidden: [20, 20, 20] };
  const r = await wave1d(b, log);
  results.wave1d = { relL2: r.relL2, target: 1e-2, met: r.relL2 <= 1e-2, budget: b, train: r.train };
  curves.push(curve('a. 1D wave', r.train));
  await saveFigure(wave1dFigure(r), `${OUT}/wave1d`);
  save();
}
if (ONLY.includes('e')) {
  const b = { adam: s(3000), until: UNTIL };
  const r = await dalembert(b, log);
  results.dalembert = { relL2: r.relL2, reached: r.reached, history: r.history, seconds: r.seconds, budget: b, deepxdeSeconds: 200 };
  await saveFigure(dalembertFigure(r), `${OUT}/dalembert`);
  save();
}
if (ONLY.includes('c')) {
  const b: Budget = { adam: s(400), lbfgs: s(400), points: 300, hidden: [20, 20, 20] };
  const r = await helmholtz(b, log);
  results.helmholtz = { k: r.k, relL2: r.relL2, check: 'closed form (manufactured solution)', budget: b, train: r.train };
  curves.push(curve('c. Helmholtz', r.train));
  const panel = (v: Float64Array, title: string) =>
    fieldSpec(v, [r.n, r.n], { title, units: 'u', dz: 1000 / (r.n - 1), dx: 1000 / (r.n - 1), cmap: 'rdbu', zTitle: 'z (km)', width: 220 });
  await saveFigure(
    row(
      [
        panel(r.u, 'PINN'),
        panel(r.exact, 'closed form'),
        panel(
          r.u.map((v, i) => v - r.exact[i]!),
          'error',
        ),
      ],
      `Helmholtz k = 2π: relative L2 ${r.relL2.toExponential(2)}`,
    ),
    `${OUT}/helmholtz`,
  );
  save();
}
if (ONLY.includes('d')) {
  const b: Budget = { adam: s(600), lbfgs: s(200), points: 200, hidden: [20, 20, 20] };
  const r = await inversion(b, log);
  results.inversion = {
    cTrue: r.cTrue,
    cStart: r.cStart,
    cFound: r.cFound,
    relError: r.relError,
    target: 0.02,
    met: r.relError <= 0.02,
    receivers: r.receivers,
    budget: b,
    history: r.history,
    train: r.train,
  };
  curves.push(curve('d. inversion', r.train));
  await saveFigure(
    lineSpec(
      [
        { name: 'recovered c', x: r.history.map((h) => h.step), y: r.history.map((h) => h.c) },
        { name: 'true c', x: [0, r.history.at(-1)?.step ?? 1], y: [r.cTrue, r.cTrue] },
      ],
      {
        title: `PINN inversion for the wave speed: ${r.cFound.toFixed(4)} (true ${r.cTrue})`,
        xTitle: 'step (Adam, then L-BFGS iterations)',
        yTitle: 'c (km/s)',
      },
    ),
    `${OUT}/inversion`,
  );
  save();
}
if (ONLY.includes('d2')) {
  const b: Budget = { adam: s(600), lbfgs: s(2500), points: 1000, hidden: [32, 32, 32] };
  const r = await inversionSmooth(b, log);
  results.inversionSmooth = {
    region: r.region,
    maxRelError: r.maxRelError,
    meanRelError: r.meanRelError,
    target: 0.02,
    met: r.maxRelError <= 0.02,
    receivers: r.receivers,
    x: r.x,
    vTrue: r.vTrue,
    vFound: r.vFound,
    budget: b,
    train: r.train,
  };
  curves.push(curve('d2. smooth v(x)', r.train));
  await saveFigure(
    lineSpec(
      [
        { name: 'true v', x: r.x, y: r.vTrue },
        { name: 'PINN v', x: r.x, y: r.vFound },
      ],
      {
        title: `PINN inversion for v(x): max error ${(100 * r.maxRelError).toFixed(2)}% in [${r.region.join(', ')}] km`,
        xTitle: 'x (km)',
        yTitle: 'v (km/s)',
      },
    ),
    `${OUT}/inversion-smooth`,
  );
  save();
}
if (ONLY.includes('b')) {
  const b: Budget = { adam: s(800), lbfgs: s(500), points: 1000, hidden: [32, 32, 32] };
  const r = await acoustic2d(b, log);
  results.acoustic2d = {
    relL2: r.relL2,
    target: 5e-2,
    met: r.slices.every((x) => x.relL2 <= 5e-2),
    slices: r.slices,
    window: r.window,
    grid: r.grid,
    budget: b,
    train: r.train,
  };
  curves.push(curve('b. 2D acoustic', r.train));
  const lim = Math.max(...r.engine.flatMap((e) => Array.from(e, Math.abs)));
  const h = (1000 * (r.window[1] - r.window[0])) / (r.n - 1);
  const panel = (v: Float64Array, title: string) =>
    fieldSpec(v, [r.n, r.n], { title, units: 'u', dz: h, dx: h, cmap: 'rdbu', vmin: -lim, vmax: lim, width: 160 });
  // Two rows (engine, PINN), one column per time slice.
  const engineRow = row(r.slices.map((sl, i) => panel(r.engine[i]!, `engine t = ${(sl.t * 1000).toFixed(0)} ms`)));
  const pinnRow = row(r.slices.map((sl, i) => panel(r.pinn[i]!, `PINN (rel L2 ${sl.relL2.toFixed(3)})`)));
  const strip = ({ $schema: _, ...rest }: Record<string, unknown>) => rest;
  await saveFigure(
    {
      $schema: engineRow.$schema,
      title: '2D acoustic, Gaussian pulse at rest (window [0.25, 0.75]² km; axes from the window corner)',
      vconcat: [strip(engineRow), strip(pinnRow)],
    },
    `${OUT}/acoustic2d`,
  );
  save();
}
if (curves.length)
  await saveFigure(
    lineSpec(curves, { title: 'PINN training loss (weighted total)', xTitle: 'step', yTitle: 'loss', logY: true }),
    `${OUT}/training`,
  );
save();
log(`wrote ${OUT}/results.json and figures`);
tl.destroy();
