// A tiny FWI: Adam on the velocity through tl.valueAndGrad of the waveform misfit; the model, the
// gradient and the misfit curve are redrawn (vega-embed) after every iteration.
import * as tl from '../src/index.js';
import { fieldSpec, lineSpec, row } from '../src/viz/index.js';
import { fwiMisfit, fwiOptions, fwiProblem } from './problems.js';
import { publish, run, show, startPage, status } from './ui.js';

run(async () => {
  await startPage('fwi.html');
  const p = fwiProblem();
  const shape: [number, number] = [p.n, p.n];
  const opts = fwiOptions(p);
  const vTrue = tl.tensor(p.vTrue, { shape });
  const observed = tl.acoustic2d(vTrue, opts);
  const v = tl.full(shape, p.v0);
  const opt = new tl.Adam({ lr: p.lr });
  const step = tl.valueAndGrad((m: tl.Tensor) => fwiMisfit(m, opts, observed));
  const trueNorm = Math.sqrt(p.vTrue.reduce((a, b) => a + b * b, 0));
  const fig = { dz: p.dx, dx: p.dx, width: 240 };
  const vRange = { vmin: 1950, vmax: 2550 };

  const misfits: number[] = [];
  const modelErrors: number[] = [];
  const t0 = performance.now();
  for (let it = 1; it <= p.iterations; it++) {
    status(`iteration ${it} of ${p.iterations}…`);
    const [loss, grad] = step(v) as [tl.Tensor, tl.Tensor];
    const [value, g] = await Promise.all([loss.item(), grad.data()]);
    opt.step(v, grad);
    const model = await v.data();
    for (const t of [loss, grad]) t.dispose();
    misfits.push(value);
    let err = 0;
    for (let i = 0; i < model.length; i++) err += (model[i]! - p.vTrue[i]!) ** 2;
    modelErrors.push(Math.sqrt(err) / trueNorm);
    await show(
      'models',
      row([
        fieldSpec(p.vTrue, shape, { ...fig, ...vRange, title: 'true model', units: 'v (m/s)' }),
        fieldSpec(model, shape, { ...fig, ...vRange, title: `model after ${it} iteration${it > 1 ? 's' : ''}`, units: 'v (m/s)' }),
        fieldSpec(g, shape, { ...fig, title: `gradient at iteration ${it}`, units: '∂J/∂v', cmap: 'rdbu' }),
      ]),
    );
    const x = misfits.map((_, i) => i + 1);
    await show(
      'curve',
      row([
        lineSpec([{ name: 'misfit', x, y: misfits }], {
          title: 'misfit',
          xTitle: 'iteration',
          yTitle: 'J',
          logY: true,
          width: 300,
          height: 180,
        }),
        lineSpec([{ name: 'model error', x, y: modelErrors }], {
          title: 'relative L2 model error',
          xTitle: 'iteration',
          yTitle: '|v − v_true| / |v_true|',
          width: 300,
          height: 180,
        }),
      ]),
    );
    publish({ iteration: it, misfits: [...misfits], modelErrors: [...modelErrors] });
  }
  const seconds = (performance.now() - t0) / 1000;
  status(
    `done: ${p.iterations} iterations in ${seconds.toFixed(1)} s, misfit ${misfits[0]!.toExponential(3)} → ${misfits.at(-1)!.toExponential(3)}`,
  );
  for (const t of [vTrue, observed, v]) t.dispose();
  publish({ ready: true, seconds });
});
