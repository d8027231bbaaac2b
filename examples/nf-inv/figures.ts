// The NFs-Inv example's figures as Vega-Lite specs (browser-safe: the CLI renders them to PNG/SVG,
// the app embeds them): the true, starting, conventional and NFs-Inv models on one colour range;
// chi and the smallness weight per epoch; the singular values and the first left singular vectors
// of J = dm/dw. Axes in km.
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { NfErrors, NfRunResult } from './run.js';

const errorText = (e: NfErrors): string => ('rmsLog10' in e ? `RMS log10 err ${e.rmsLog10.toFixed(3)}` : `err ${e.relativeL2.toFixed(3)}`);

export interface NfFigures {
  models: VegaLiteSpec;
  convergence: VegaLiteSpec;
  /** Absent when the run skipped the SVD. */
  singularValues?: VegaLiteSpec;
  singularVectors?: VegaLiteSpec;
}

export function nfFigures(r: NfRunResult, width = 150): NfFigures {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of r.truth) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (r.caseId >= 3) [lo, hi] = [-3, -1];
  const panel = (values: Float32Array, title: string): VegaLiteSpec =>
    fieldSpec(values, r.shape, { title, units: r.units, dz: r.h, dx: r.h, vmin: lo, vmax: hi, width });
  const figures: NfFigures = {
    models: row(
      [
        panel(r.truth, 'true model'),
        ...r.conventional.map((c) => panel(c.model, `${c.name}: chi ${c.chi.toFixed(2)}, ${errorText(c.errors)}`)),
        panel(r.startModel, `NFs-Inv start (${r.start})`),
        panel(r.model, `NFs-Inv, ${r.epochs} epochs: chi ${r.chi.toFixed(2)}, ${errorText(r.errors)}`),
      ],
      `Case ${r.caseId}: ${r.property}, ${r.nData} data; network of ${r.parameters} weights, ${r.encoding.kind} encoding`,
    ),
    convergence: lineSpec(
      [
        { name: 'chi = phi_d / N', x: r.history.map((h) => h.epoch), y: r.history.map((h) => h.chi) },
        ...(r.history.some((h) => h.beta > 0) ? [{ name: 'beta', x: r.history.map((h) => h.epoch), y: r.history.map((h) => h.beta) }] : []),
      ],
      { title: `Case ${r.caseId}: NFs-Inv data misfit`, xTitle: 'epoch', yTitle: 'value', logY: true },
    ),
  };
  if (r.svd) {
    const s = r.svd;
    figures.singularValues = lineSpec([{ name: 'sigma_i', x: s.values.map((_, i) => i + 1), y: s.values }], {
      title: `Case ${r.caseId}: leading singular values of dm/dw`,
      xTitle: 'index i',
      yTitle: 'singular value',
      logY: true,
    });
    figures.singularVectors = row(
      s.vectors.map((v, i) =>
        fieldSpec(v, r.shape, { title: `u${i + 1}`, units: 'u (unitless)', dz: r.h, dx: r.h, cmap: 'rdbu', width: Math.round(width / 2) }),
      ),
      `Case ${r.caseId}: left singular vectors of dm/dw at the final weights`,
    );
  }
  return figures;
}
