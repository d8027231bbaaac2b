// @node-only: resvg is a Node native addon. Figures rendered to SVG and PNG by Vega and resvg:
// the text a reader needs is in the SVG, and the PNG's pixels carry the colour-mapped field.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { colormapRGBA, fieldSpec, lineSpec } from '../src/viz/index.js';
import { saveFigure } from '../src/viz/render-node.js';

describe('Node rendering (vega + resvg)', () => {
  it('a field figure: title, axis titles, legend and ticks in the SVG; the field colour fills the plot in the PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tellus-viz-'));
    const value = 2750;
    const spec = fieldSpec(new Float32Array(20 * 30).fill(value), [20, 30], {
      title: 'Uniform model',
      units: 'v (m/s)',
      dz: 100,
      dx: 100,
      vmin: 2000,
      vmax: 3000,
    });
    const [svgPath, pngPath] = await saveFigure(spec, join(dir, 'field'));
    const svg = readFileSync(svgPath, 'utf8');
    for (const text of ['Uniform model', 'x (km)', 'depth (km)', 'v (m/s)', '2,000', '3,000']) expect(svg).toContain(text);
    const png = decode(readFileSync(pngPath));
    expect(png.width).toBeGreaterThan(600);
    // The most common colour in the picture is the field's colour (the image is the largest area).
    const counts = new Map<string, number>();
    const px = png.data;
    for (let i = 0; i < px.length; i += png.channels) {
      const key = `${px[i]},${px[i + 1]},${px[i + 2]}`;
      if (key !== '255,255,255') counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    expect(top![0]).toBe(Array.from(colormapRGBA([value], 'viridis', 2000, 3000).slice(0, 3)).join(','));
  });

  it('a curve figure renders with its axis titles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tellus-viz-'));
    const [svgPath] = await saveFigure(
      lineSpec([{ name: 'misfit', x: [1, 2, 3], y: [100, 10, 1] }], { title: 'Misfit', xTitle: 'iteration', yTitle: 'J', logY: true }),
      join(dir, 'curve.png'),
    );
    const svg = readFileSync(svgPath, 'utf8');
    for (const text of ['Misfit', 'iteration', '>J<']) expect(svg).toContain(text);
  });
});
