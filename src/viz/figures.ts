// Figures as Vega-Lite specs, the one figure stack for Node (render-node.ts: Vega to SVG, resvg to
// PNG) and the browser (vega-embed). Fields (models, wavefields, gradients) are colour-mapped images
// in an `image` mark over axes in km, with a gradient legend from the same Vega scheme as a colour
// bar; curves (misfit, loss) are line marks. Specs are plain JSON: save them, embed them, edit them.
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { type Colormap, VEGA_SCHEME, fieldPngUrl, limits } from './colormap.js';

/** A Vega-Lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface FieldOptions {
  title: string;
  /** Legend title with units, e.g. 'v (m/s)'. */
  units: string;
  /** Cell spacings in metres along rows (depth) and columns (x); the axes are drawn in km. */
  dz: number;
  dx: number;
  /** Default 'viridis'; 'rdbu' for signed fields (then symmetric limits by default). */
  cmap?: Colormap;
  /** Colour limits ±max|v| (default: true for 'rdbu'). */
  symmetric?: boolean;
  vmin?: number;
  vmax?: number;
  /** Plot width in pixels (default 360); the height follows the field's aspect ratio. */
  width?: number;
  /** Axis titles (default 'x (km)' and 'depth (km)'). */
  xTitle?: string;
  zTitle?: string;
}
const FIELD_OPTIONS = optionNames<FieldOptions>()(
  'title',
  'units',
  'dz',
  'dx',
  'cmap',
  'symmetric',
  'vmin',
  'vmax',
  'width',
  'xTitle',
  'zTitle',
);

function positive(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw argError(fn, name, 'a positive finite number', v, RangeError);
  return v;
}

/** A row-major [rows, cols] field as an image with km axes, a title and a colour bar. */
export function fieldSpec(values: ArrayLike<number>, shape: readonly [number, number], opts: FieldOptions): VegaLiteSpec {
  const fn = 'fieldSpec(values, shape, opts)';
  const o = checkOptions(opts, FIELD_OPTIONS, fn);
  const [rows, cols] = shape;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1)
    throw argError(fn, 'shape', '[rows, cols] of positive integers', shape, RangeError);
  if (values.length !== rows * cols)
    throw argErrorText(fn, 'values', `${rows * cols} values for shape [${rows}, ${cols}]`, `${values.length} values`, RangeError);
  for (const k of ['title', 'units'] as const) if (typeof o[k] !== 'string') throw argError(fn, `opts.${k}`, 'a string', o[k]);
  const [dz, dx] = [positive(fn, 'opts.dz', o.dz), positive(fn, 'opts.dx', o.dx)];
  const cmap = o.cmap ?? 'viridis';
  if (!VEGA_SCHEME[cmap]) throw argError(fn, 'opts.cmap', "'viridis', 'rdbu' or 'grey'", cmap);
  const [lo, hi] = limits(values, o.symmetric ?? cmap === 'rdbu');
  const [vmin, vmax] = [o.vmin ?? lo, o.vmax ?? hi];
  if (!(vmax > vmin)) throw argErrorText(fn, 'opts.vmin/vmax', 'vmin < vmax', `${vmin} and ${vmax}`, RangeError);
  const [xkm, zkm] = [(cols * dx) / 1000, (rows * dz) / 1000];
  const width = o.width === undefined ? 360 : positive(fn, 'opts.width', o.width);
  const height = Math.max(40, Math.round((width * zkm) / xkm));
  const { scheme, reverse } = VEGA_SCHEME[cmap];
  return {
    $schema: SCHEMA,
    title: o.title,
    width,
    height,
    layer: [
      {
        data: { values: [{ url: fieldPngUrl(values, rows, cols, cmap, vmin, vmax), x: 0, x2: xkm, z: 0, z2: zkm }] },
        mark: { type: 'image', aspect: false, smooth: false },
        encoding: {
          url: { field: 'url', type: 'nominal' },
          x: {
            field: 'x',
            type: 'quantitative',
            title: o.xTitle ?? 'x (km)',
            scale: { domain: [0, xkm], nice: false, zero: false },
            axis: { grid: false },
          },
          x2: { field: 'x2' },
          y: {
            field: 'z',
            type: 'quantitative',
            title: o.zTitle ?? 'depth (km)',
            scale: { domain: [zkm, 0], nice: false, zero: false },
            axis: { grid: false },
          },
          y2: { field: 'z2' },
        },
      },
      {
        // Invisible points that carry the colour scale, so Vega draws its gradient legend (the colour bar).
        data: { values: [{ v: vmin }, { v: vmax }] },
        mark: { type: 'point', opacity: 0 },
        encoding: {
          color: {
            field: 'v',
            type: 'quantitative',
            title: o.units,
            scale: { scheme, reverse, domain: [vmin, vmax] },
            legend: { gradientLength: height },
          },
        },
      },
    ],
  };
}

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Logarithmic y axis (misfits, losses). */
  logY?: boolean;
  width?: number;
  height?: number;
}
const LINE_OPTIONS = optionNames<LineOptions>()('title', 'xTitle', 'yTitle', 'logY', 'width', 'height');

/** Curves against a shared x (iterations, epochs) with titled axes; a legend when there are several. */
export function lineSpec(series: readonly Series[], opts: LineOptions): VegaLiteSpec {
  const fn = 'lineSpec(series, opts)';
  const o = checkOptions(opts, LINE_OPTIONS, fn);
  if (!Array.isArray(series) || series.length === 0) throw argError(fn, 'series', 'a non-empty array of { name, x, y }', series);
  for (const k of ['title', 'xTitle', 'yTitle'] as const) if (typeof o[k] !== 'string') throw argError(fn, `opts.${k}`, 'a string', o[k]);
  const values: { series: string; x: number; y: number }[] = [];
  for (const [i, s] of series.entries()) {
    if (s.x.length !== s.y.length)
      throw argErrorText(fn, `series[${i}]`, 'x and y of equal length', `lengths ${s.x.length} and ${s.y.length}`, RangeError);
    for (let k = 0; k < s.x.length; k++) if (!o.logY || s.y[k]! > 0) values.push({ series: s.name, x: s.x[k]!, y: s.y[k]! });
  }
  return {
    $schema: SCHEMA,
    title: o.title,
    width: o.width ?? 360,
    height: o.height ?? 220,
    data: { values },
    mark: { type: 'line', point: values.length <= 80 },
    encoding: {
      // Whole-number x (iterations, epochs) gets whole-number ticks; a log y gets exponent labels.
      x: {
        field: 'x',
        type: 'quantitative',
        title: o.xTitle,
        ...(values.every((v) => Number.isInteger(v.x)) ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: o.logY
        ? { field: 'y', type: 'quantitative', title: o.yTitle, scale: { type: 'log' }, axis: { format: '.1e' } }
        : { field: 'y', type: 'quantitative', title: o.yTitle, scale: { zero: false } },
      color: series.length > 1 ? { field: 'series', type: 'nominal', title: null } : { value: '#1f77b4' },
    },
  };
}

/** Figures side by side, each with its own colour scale and legend. */
export function row(specs: readonly VegaLiteSpec[], title?: string): VegaLiteSpec {
  const strip = ({ $schema: _, ...rest }: VegaLiteSpec): VegaLiteSpec => rest;
  return { $schema: SCHEMA, ...(title ? { title } : {}), hconcat: specs.map(strip), resolve: { scale: { color: 'independent' } } };
}
