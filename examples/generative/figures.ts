// Figures of the generative-prior examples as Vega-Lite specs (browser-safe: the CLI renders them,
// the app embeds them): generated samples, their statistics against the training set, and the
// latent vs pixel-space inversions per physics op.
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import type { CompareFields, Score } from './compare.js';
import type { SampleReport } from './common.js';

/** The first `count` generated models, sand probability in [0, 1]. */
export function samplesFigure(r: SampleReport, n: number, dx: number, title: string, count = 6, width = 150): VegaLiteSpec {
  const cells = n * n;
  const panels = Array.from({ length: Math.min(count, r.count) }, (_, k) =>
    fieldSpec(r.samples.subarray(k * cells, (k + 1) * cells), [n, n], {
      title: `sample ${k + 1}`,
      units: 'P(sand)',
      dx,
      dz: dx,
      cmap: 'viridis',
      vmin: 0,
      vmax: 1,
      width,
    }),
  );
  return row(panels, title);
}

/** Variograms (thresholded at 0.5) and connectivity functions, generated vs training, along x and z. */
export function statisticsFigure(r: SampleReport, dx: number, title: string, width = 220): VegaLiteSpec {
  const lags = r.curves.variogramX.generated.map((_, i) => (i + 1) * dx);
  const panel = (key: keyof SampleReport['curves'], what: string, yTitle: string): VegaLiteSpec =>
    lineSpec(
      [
        { name: 'generated', x: lags, y: r.curves[key].generated },
        { name: 'training', x: lags, y: r.curves[key].training },
      ],
      { title: what, xTitle: 'lag (m)', yTitle, width },
    );
  return row(
    [
      panel('variogramX', 'Variogram along x', 'semivariance'),
      panel('variogramZ', 'Variogram along z', 'semivariance'),
      panel('connectivityX', 'Connectivity along x', 'P(connected sand)'),
      panel('connectivityZ', 'Connectivity along z', 'P(connected sand)'),
    ],
    title,
  );
}

/** Truth, the latent-space model (best restart), Tikhonov, TV and the restarts' spread, in km/s. */
export function inversionFigure(f: CompareFields, scores: Score[], vmin: number, vmax: number, width = 150): VegaLiteSpec {
  const op = f.physics === 'fwi' ? 'FWI' : 'tomography';
  const s = (m: string): string => {
    const x = scores.find((q) => q.physics === f.physics && q.method === m && q.model === 0);
    return x ? ` (rel. L2 ${x.relativeL2.toFixed(3)})` : '';
  };
  const panel = (v: Float32Array, title: string, lim = true, units = 'v (km/s)'): VegaLiteSpec =>
    fieldSpec(v, [f.n, f.n], {
      title,
      units,
      dx: f.dx,
      dz: f.dx,
      cmap: lim ? 'viridis' : 'grey',
      ...(lim ? { vmin, vmax } : {}),
      width,
    });
  return row(
    [
      panel(f.truth, 'true velocity'),
      panel(f.fields.latent, `latent${s('latent')}`),
      panel(f.fields.tikhonov, `Tikhonov${s('tikhonov')}`),
      panel(f.fields.tv, `TV${s('tv')}`),
      panel(f.spread, 'latent: std over restarts', false, 'std (km/s)'),
    ],
    `Held-out channel model: ${op}, latent-space vs pixel-space inversion`,
  );
}
