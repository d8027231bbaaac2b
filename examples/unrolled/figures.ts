// The unrolled example's figures as Vega-Lite specs (browser-safe: the CLI renders them to PNG/SVG,
// the app embeds them).
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { UnrolledRunResult } from './run.js';

export function unrolledFigures(r: UnrolledRunResult, width = 200): { models: VegaLiteSpec; training: VegaLiteSpec } {
  const f = r.figure;
  const s = r.scores;
  const panel = (values: Float32Array, title: string) =>
    fieldSpec(values, f.shape, { title, units: 'model', dz: f.dx, dx: f.dx, cmap: 'rdbu', vmin: -1, vmax: 1, width });
  const scored = (name: string, m: { relativeErrors: number[]; ssims: number[] }) =>
    `${name} (err ${m.relativeErrors[0]!.toFixed(3)}, SSIM ${m.ssims[0]!.toFixed(3)})`;
  return {
    models: row(
      [
        panel(f.truth, 'true model'),
        panel(f.gd, scored('GD', s.gradientDescent)),
        panel(f.tikhonov, scored('Tikhonov', s.tikhonov)),
        panel(f.unrolled, scored('unrolled', s.unrolled)),
      ],
      `${r.operator}: a held-out model, ${r.applications.total} applications of A / AT each`,
    ),
    training: lineSpec([{ name: 'training loss (MSE, mean over 10 steps)', x: r.curve.step, y: r.curve.loss }], {
      title: `UnrolledPG training (${r.operator}, K = ${r.iterations})`,
      xTitle: 'Adam step',
      yTitle: 'MSE',
      logY: true,
    }),
  };
}
