// The UQ example's figures as Vega-Lite specs (browser-safe: the CLI renders them, the app embeds them).
import { fieldSpec, lineSpec, row, type VegaLiteSpec } from '../../src/viz/index.js';
import { METHODS, METHOD_NAMES, type Field, type UqExampleResult } from './run.js';

/** Rows of figures stacked vertically. */
function column(rows: readonly VegaLiteSpec[], title?: string): VegaLiteSpec {
  const strip = ({ $schema: _, ...rest }: VegaLiteSpec): VegaLiteSpec => rest;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(title ? { title } : {}),
    vconcat: rows.map(strip),
    resolve: { scale: { color: 'independent' } },
  };
}

export function uqFigures(
  r: UqExampleResult,
  width = 150,
): { reliability: VegaLiteSpec; maps: VegaLiteSpec; sigma: VegaLiteSpec; training: VegaLiteSpec } {
  const dxm = r.dx * 1000;
  const panel = (
    f: Field,
    title: string,
    units: string,
    extra: { cmap?: 'viridis' | 'rdbu' | 'grey'; vmin?: number; vmax?: number } = {},
  ) => fieldSpec(f.values, f.shape, { title, units, dz: dxm, dx: dxm, width, ...extra });
  const nominal = r.methods.heteroscedastic.reliability.nominal;
  const reliability = lineSpec(
    [
      { name: 'ideal', x: [0, ...nominal, 1], y: [0, ...nominal, 1] },
      ...METHODS.map((m) => ({ name: METHOD_NAMES[m], x: nominal, y: r.methods[m].reliability.observed })),
    ],
    {
      title: 'Reliability of central intervals (test set)',
      xTitle: 'nominal coverage',
      yTitle: 'observed coverage',
      width: 320,
      height: 320,
    },
  );

  // Shared colour limits: the model's range for means, the largest std and error over the methods.
  const e = r.example;
  const lim = (fs: Field[]) => Math.max(...fs.map((f) => Math.max(...f.values)));
  const [lo, hi] = [Math.min(...e.truth.values, ...e.target.values), Math.max(...e.truth.values, ...e.target.values)];
  const sdMax = lim([e.sigma, ...METHODS.map((m) => r.methods[m].maps.std)]);
  const errMax = lim(METHODS.map((m) => r.methods[m].maps.error));
  const units = 'normalized';
  const maps = column(
    [
      row([
        panel(e.input, 'input (blurred, subsampled)', units, { vmin: lo, vmax: hi }),
        panel(e.truth, 'true model', units, { vmin: lo, vmax: hi }),
        panel(e.target, 'target (model + noise)', units, { vmin: lo, vmax: hi }),
        panel(e.sigma, 'known noise sigma', units, { vmin: 0, vmax: sdMax }),
      ]),
      ...METHODS.map((m) =>
        row([
          panel(r.methods[m].maps.mean, `${METHOD_NAMES[m]}: mean`, units, { vmin: lo, vmax: hi }),
          panel(r.methods[m].maps.std, 'predictive std', units, { vmin: 0, vmax: sdMax }),
          panel(r.methods[m].maps.error, '|mean - target|', units, { vmin: 0, vmax: errMax }),
        ]),
      ),
    ],
    'One test sample: predictive mean, total std and error per method',
  );

  const ratioMax = Math.max(2, lim(METHODS.map((m) => r.methods[m].maps.ratio)));
  const sigma = row(
    [
      panel(e.sigma, 'known noise sigma', units),
      ...METHODS.map((m) =>
        panel(r.methods[m].maps.ratio, `${METHOD_NAMES[m]} (${r.methods[m].sigmaRatio.toFixed(2)})`, 'aleatoric / known', {
          vmin: 0,
          vmax: ratioMax,
        }),
      ),
    ],
    'Aleatoric sigma / known noise sigma, averaged over the test set (mean ratio in brackets; 1 is exact)',
  );

  const training = lineSpec(
    METHODS.flatMap((m) =>
      m === 'heteroscedastic' // the first member of the heteroscedastic ensemble
        ? []
        : r.methods[m].losses.map((l, k) => ({
            name: `${METHOD_NAMES[m]}${r.methods[m].losses.length > 1 ? ` ${k + 1}` : ''}`,
            x: l.map((_, i) => i + 1),
            y: l,
          })),
    ),
    { title: 'Training loss (NLL for heteroscedastic nets, MSE otherwise)', xTitle: 'epoch', yTitle: 'loss', width: 360 },
  );
  return { reliability, maps, sigma, training };
}
