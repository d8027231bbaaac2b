// Node rendering of figures.ts specs: Vega-Lite compiled to Vega, drawn to SVG by a headless Vega
// View (no DOM, no canvas), and rasterized to PNG by resvg with the system's DejaVu fonts
// (scripts/setup.sh installs fonts-dejavu-core). Browser pages embed the same specs with vega-embed.
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import type { VegaLiteSpec } from './figures.js';

/** The spec as an SVG document. */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new View(parse(compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<path>.svg` and `<path>.png` (PNG at `scale` times the SVG's size); returns the two paths. */
export async function saveFigure(spec: VegaLiteSpec, path: string, scale = 2): Promise<[string, string]> {
  const base = path.replace(/\.(png|svg)$/, '');
  const svg = await toSvg(spec);
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, png);
  return [`${base}.svg`, `${base}.png`];
}
