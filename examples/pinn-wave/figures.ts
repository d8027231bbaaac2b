// pinn-wave figures as Vega-Lite specs (browser-safe: the CLI renders them, the app embeds them).
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { DalembertResult } from './dalembert.js';
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

/** Part e: the grid error against training time with the target, and u(x, 1) against d'Alembert. */
export function dalembertFigure(r: DalembertResult, width = 320): VegaLiteSpec {
  const [nt, nx] = r.grid;
  const x = Array.from({ length: nx }, (_, i) => -4 + (8 * i) / (nx - 1));
  const last = (v: Float64Array): number[] => Array.from(v.subarray((nt - 1) * nx));
  const secs = r.history.map((h) => h.seconds);
  return row(
    [
      lineSpec(
        [
          { name: 'PINN', x: secs, y: r.history.map((h) => h.relL2) },
          { name: 'target', x: [0, Math.max(1, ...secs)], y: [r.target, r.target] },
        ],
        { title: 'relative L2 on the 101 x 101 grid', xTitle: 'training time (s)', yTitle: 'relative L2', logY: true, width },
      ),
      lineSpec(
        [
          { name: 'PINN', x, y: last(r.u) },
          { name: "d'Alembert", x, y: last(r.exact) },
        ],
        { title: 'u(x, t = 1 s)', xTitle: 'x (km)', yTitle: 'u', width },
      ),
    ],
    r.reached
      ? `d'Alembert, Gaussian pulse: relative L2 ${r.reached.relL2.toExponential(2)} after ${r.reached.seconds.toFixed(1)} s (${r.reached.step} ${r.reached.phase} steps)`
      : `d'Alembert, Gaussian pulse: relative L2 ${r.relL2.toExponential(2)}, target ${r.target} not reached`,
  );
}
