import * as vega from 'vega';
import { compile } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
const nx = 64, nz = 48;
const interp = vega.scheme('viridis');
console.log(typeof interp, interp && interp(0.5));
const data = new Uint8Array(nx * nz * 4);
for (let i = 0; i < nx * nz; i++) { const m = interp((i % nx) / nx).match(/\d+/g).map(Number); data.set([m[0], m[1], m[2], 255], 4 * i); }
const png = encode({ width: nx, height: nz, data, channels: 4 });
const url = 'data:image/png;base64,' + Buffer.from(png).toString('base64');
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'Test field', width: 320, height: 240,
  layer: [
    { data: { values: [{ url, x: 0, y: 0, x2: 6.4, y2: 4.8 }] }, mark: { type: 'image', aspect: false },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { field: 'x', type: 'quantitative', title: 'x (km)', scale: { domain: [0, 6.4], nice: false } },
        x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative', title: 'depth (km)', scale: { domain: [4.8, 0], nice: false } }, y2: { field: 'y2' } } },
    { data: { values: [{ v: 2.6 }, { v: 3.5 }] }, mark: { type: 'point', opacity: 0 },
      encoding: { color: { field: 'v', type: 'quantitative', title: 'v (km/s)', scale: { scheme: 'viridis', domain: [2.6, 3.5] } } } },
  ],
};
const vg = compile(spec).spec;
const view = new vega.View(vega.parse(vg), { renderer: 'none' });
const svg = await view.toSVG();
writeFileSync('.scratch/t.svg', svg);
const out = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
writeFileSync('.scratch/t.png', out);
console.log('ok', svg.length, out.length);
