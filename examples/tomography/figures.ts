// The tomography example's figures as Vega-Lite specs (browser-safe: the CLI renders them to
// PNG/SVG, the app embeds them). Fields are slowness in s/km (= ms/m) over x and depth in km.
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { CaseResult, InversionSummary } from './run.js';

const LABEL: Record<InversionSummary['name'], string> = {
  none: 'no regularization',
  overfit: 'no regularization, past chi = 1',
  smooth: 'smoothness',
};

export interface TomographyFigures {
  /** True model and the recovered ones, on the true model's colour range (values beyond it saturate). */
  models: VegaLiteSpec;
  /** The middle source's gather: observed, noise-free and predicted times against receiver depth. */
  gather: VegaLiteSpec;
  /** chi = phi_d / N against iteration, for each inversion. */
  convergence: VegaLiteSpec;
  /** Ray coverage (total ray length per cell). */
  coverage: VegaLiteSpec;
}

export function tomographyFigures(c: CaseResult, width = 150): TomographyFigures {
  const [nz, nx] = c.shape;
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of c.truth) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const panel = (values: Float32Array, title: string): VegaLiteSpec =>
    fieldSpec(values, [nz, nx], { title, units: 's (s/km)', dz: c.h, dx: c.h, vmin: lo, vmax: hi, width });
  const scored = (r: InversionSummary): string =>
    `${LABEL[r.name]}: ${r.iterations} it., chi ${r.chi.toFixed(2)}, err ${r.errors.relativeL2.toFixed(3)}`;
  const depth = c.gather.depth;
  return {
    models: row(
      [panel(c.truth, 'true model'), ...c.inversions.map((r) => panel(r.model, scored(r)))],
      `Case ${c.case}: ${c.description}; ${c.nData} rays, ${c.noise} ms noise`,
    ),
    gather: lineSpec(
      [
        { name: 'observed', x: depth, y: c.gather.observed },
        { name: 'noise-free', x: depth, y: c.gather.clean },
        ...c.inversions.map((r) => ({ name: LABEL[r.name], x: depth, y: r.gather })),
      ],
      {
        title: `Case ${c.case}: source ${c.gather.source} (depth ${depth[c.gather.source]} m)`,
        xTitle: 'receiver depth (m)',
        yTitle: 't (ms)',
      },
    ),
    convergence: lineSpec(
      c.inversions.map((r) => ({ name: LABEL[r.name], x: r.history.map((h) => h.iteration), y: r.history.map((h) => h.chi) })),
      { title: `Case ${c.case}: data misfit`, xTitle: 'iteration', yTitle: 'chi = phi_d / N', logY: true },
    ),
    coverage: fieldSpec(c.coverage, [nz, nx], { title: 'ray coverage', units: 'ray length (m)', dz: c.h, dx: c.h, width }),
  };
}
