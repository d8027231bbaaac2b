// The DC example's figures as Vega-Lite specs (browser-safe: the CLI renders them to PNG/SVG, the
// app embeds them): true and recovered conductivity over the core (log10 S/m, axes in km), the
// misfit and regularization per iteration, and observed against predicted apparent resistivity.
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { DcRunResult } from './run.js';

export function dcFigures(r: DcRunResult, width = 360): { models: VegaLiteSpec; convergence: VegaLiteSpec; data: VegaLiteSpec } {
  const f = r.figure;
  const panel = (values: Float32Array, title: string): VegaLiteSpec =>
    fieldSpec(values, f.shape, { title, units: 'log10 sigma (S/m)', dz: f.h, dx: f.h, cmap: 'viridis', vmin: -3, vmax: -1, width });
  const e = r.modelError;
  const it = r.history.map((h) => h.iteration);
  const rhoa = (d: Float32Array): number[] => Array.from(d, (v, i) => v / r.geometricFactors[i]!);
  const index = Array.from(r.dObs, (_, i) => i);
  return {
    models: row(
      [
        panel(f.truth, `case ${r.caseId}: true model`),
        panel(f.recovered, `conventional inversion (chi ${r.chi.toFixed(2)}, RMS log10 error ${e.rmsLog10.toFixed(3)})`),
      ],
      `DC case ${r.caseId}, ${r.nData} dipole-dipole data, ${r.h} m cells`,
    ),
    convergence: lineSpec(
      [
        { name: 'phi_d / N (chi)', x: it, y: r.history.map((h) => h.chi) },
        { name: 'phi_m', x: it, y: r.history.map((h) => h.phiM) },
        { name: 'beta', x: it, y: r.history.map((h) => h.beta) },
      ],
      { title: `case ${r.caseId}: Gauss-Newton iterations`, xTitle: 'iteration', yTitle: 'value', logY: true },
    ),
    data: lineSpec(
      [
        { name: 'observed', x: index, y: rhoa(r.dObs) },
        { name: 'predicted', x: index, y: rhoa(r.dPred) },
      ],
      {
        title: `case ${r.caseId}: apparent resistivity (ohm-m) per datum`,
        xTitle: 'datum (source-major)',
        yTitle: 'rho_a (ohm-m)',
        logY: true,
      },
    ),
  };
}
