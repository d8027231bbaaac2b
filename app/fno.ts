// FNO training in the page: an FNO2d learns f -> u for -Δu + κ²u = f on the unit torus (u exact,
// by FFT), with Adam on the relative L2 error; the training curves are redrawn every epoch, then
// the page shows a validation sample's input, exact solution, prediction and error.
import * as tl from '../src/index.js';
import { fieldSpec, lineSpec, row } from '../src/viz/index.js';
import { fnoModel, fnoProblem, fnoSolve } from './problems.js';
import { publish, run, show, startPage, status } from './ui.js';

run(async () => {
  await startPage('fno.html');
  const p = fnoProblem();
  const all = tl.tensor(p.f, { shape: [p.train + p.val, 1, p.n, p.n] });
  const u = fnoSolve(all, p.kappa);
  // Inputs and targets in fixed scales (their RMS over the training set), so both are O(1).
  const rms = async (t: tl.Tensor): Promise<number> =>
    Math.sqrt(await tl.tidy(() => tl.mean(tl.square(tl.slice(t, [[0, p.train]])))).item());
  const [fScale, uScale] = [await rms(all), await rms(u)];
  const x = tl.div(all, fScale);
  const y = tl.div(u, uScale);
  const model = fnoModel();
  const params = model.parameters();
  const opt = new tl.Adam({ lr: p.lr });
  const step = tl.valueAndGrad((q: tl.NamedTensors, xb: tl.Tensor, yb: tl.Tensor) => tl.relativeL2(model.call(q, xb), yb));
  const valError = async (): Promise<number> =>
    tl
      .noGrad(() => tl.relativeL2(model.forward(tl.slice(x, [[p.train, p.train + p.val]])), tl.slice(y, [[p.train, p.train + p.val]])))
      .item();

  const trainCurve: number[] = [];
  const valCurve: number[] = [await valError()];
  const t0 = performance.now();
  for (let e = 1; e <= p.epochs; e++) {
    status(`epoch ${e} of ${p.epochs}…`);
    let sum = 0;
    for (let b = 0; b < p.train; b += p.batch) {
      const [loss, grads] = step(params, tl.slice(x, [[b, b + p.batch]]), tl.slice(y, [[b, b + p.batch]])) as [tl.Tensor, tl.NamedTensors];
      opt.step(params, grads);
      sum += await loss.item();
      loss.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
    trainCurve.push(sum / (p.train / p.batch));
    valCurve.push(await valError());
    await show(
      'curve',
      lineSpec(
        [
          { name: 'train', x: trainCurve.map((_, i) => i + 1), y: trainCurve },
          { name: 'validation', x: valCurve.map((_, i) => i), y: valCurve },
        ],
        { title: 'FNO2d training', xTitle: 'epoch', yTitle: 'relative L2 error', logY: true, width: 420 },
      ),
    );
    publish({ epoch: e, trainCurve: [...trainCurve], valCurve: [...valCurve] });
  }
  // One validation sample: input, exact solution, prediction, error.
  const k = p.train;
  const [f0, u0, pred] = await Promise.all(
    tl.noGrad(() => [tl.slice(x, [[k, k + 1]]), tl.slice(y, [[k, k + 1]]), model.forward(tl.slice(x, [[k, k + 1]]))]).map((t) => t.data()),
  );
  const err = pred!.map((v, i) => v - u0![i]!);
  const lim = Math.max(...u0!.map(Math.abs));
  const panel = (values: ArrayLike<number>, title: string, units: string, l?: number) =>
    fieldSpec(values, [p.n, p.n], {
      title,
      units,
      dz: 1000 / p.n,
      dx: 1000 / p.n,
      cmap: 'rdbu',
      xTitle: 'x',
      zTitle: 'y',
      width: 200,
      ...(l ? { vmin: -l, vmax: l } : {}),
    });
  await show(
    'prediction',
    row([
      panel(f0!, 'input f', 'f / f_rms'),
      panel(u0!, 'exact u', 'u / u_rms', lim),
      panel(pred!, 'FNO u', 'u / u_rms', lim),
      panel(err, 'error', 'u / u_rms'),
    ]),
  );
  const seconds = (performance.now() - t0) / 1000;
  status(
    `done: ${p.epochs} epochs in ${seconds.toFixed(1)} s, validation relative L2 ${valCurve[0]!.toFixed(3)} → ${valCurve.at(-1)!.toFixed(3)}`,
  );
  for (const t of [all, u, x, y]) t.dispose();
  publish({ ready: true, seconds, fScale, uScale });
});
