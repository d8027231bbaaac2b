// pinn-wave figures as Vega-Lite specs (browser-safe: the CLI renders them, the app embeds them).
import { fieldSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { Wave1dResult } from './run.js';

/** Part a: the PINN's u(x, t), the d'Alembert solution and their difference. */
export function wave1dFigure(r: Wave1dResult, width = 220): VegaLiteSpec {
  const [nt, nx] = r.grid;
  const err = r.u.map((v, i) => v - r.exact[i]!);
  const panel = (v: Float64Array, title: string) =>
    fieldSpec(v, [nt, nx], {
      title,
      units: 'u',
      dz: 1000 / (nt - 1),
      dx: 1000 / (nx - 1),
      cmap: 'rdbu',
      zTitle: 't (s)',
      xTitle: 'x (km)',
      width,
    });
  return row(
    [panel(r.u, 'PINN u(x, t)'), panel(r.exact, "d'Alembert"), panel(err, 'error')],
    `1D wave: relative L2 ${r.relL2.toExponential(2)}`,
  );
}
