// Figure specs (src/viz): colour maps against Vega's own scheme interpolators, the PNG round trip,
// and the Vega-Lite specs' structure and argument checks. No GPU: these run on host arrays.
import { describe, expect, it } from 'vitest';
import { scheme } from 'vega';
import { compile } from 'vega-lite';
import { decode } from 'fast-png';
import { colormapRGBA, fieldPngUrl, fieldSpec, limits, lineSpec, row } from '../src/viz/index.js';
import { randomFloats, rng } from './helpers.js';

const rgbOf = (c: string): number[] =>
  c.startsWith('#')
    ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))
    : c
        .match(/[\d.]+/g)!
        .slice(0, 3)
        .map(Number);

describe('colour maps', () => {
  it('viridis ends and middle are Vega scheme colours; rdbu runs blue (negative) to red (positive)', () => {
    const v = colormapRGBA([0, 0.5, 1], 'viridis', 0, 1);
    const interp = scheme('viridis') as (t: number) => string;
    // 256-entry table: the middle value lands on entry 128 of 255, within one 8-bit step of t = 0.5.
    expect(Array.from(v.slice(0, 3))).toEqual(rgbOf(interp(0)));
    expect(Array.from(v.slice(8, 11))).toEqual(rgbOf(interp(1)));
    rgbOf(interp(128 / 255)).forEach((c, k) => expect(v[4 + k]).toBe(c));
    const d = colormapRGBA([-1, 1], 'rdbu', -1, 1);
    expect(d[2]! > d[0]!, 'negative is blue').toBe(true);
    expect(d[4]! > d[6]!, 'positive is red').toBe(true);
  });

  it('clamps outside [vmin, vmax] and leaves non-finite cells transparent', () => {
    const v = colormapRGBA([-5, 5, NaN, Infinity], 'grey', 0, 1);
    expect(Array.from(v.slice(0, 4))).toEqual(Array.from(colormapRGBA([0], 'grey', 0, 1)));
    expect(Array.from(v.slice(4, 8))).toEqual(Array.from(colormapRGBA([1], 'grey', 0, 1)));
    expect(v[11]).toBe(0);
    expect(v[15]).toBe(0);
  });

  it('limits: min/max, symmetric ±max|v|, constant and empty fields', () => {
    expect(limits([2, -3, 1, NaN], false)).toEqual([-3, 2]);
    expect(limits([2, -3, 1], true)).toEqual([-3, 3]);
    expect(limits([4, 4], false)).toEqual([3.5, 4.5]);
    expect(limits([NaN], true)).toEqual([-1, 1]);
  });

  it('the PNG data URL decodes to the colour-mapped pixels, row-major', () => {
    const g = rng();
    const vals = randomFloats(g, 6 * 5, -2, 2);
    const url = fieldPngUrl(vals, 6, 5, 'rdbu', -2, 2);
    const png = decode(Uint8Array.from(atob(url.split(',')[1]!), (c) => c.charCodeAt(0)));
    expect([png.width, png.height]).toEqual([5, 6]);
    expect(Array.from(png.data)).toEqual(Array.from(colormapRGBA(vals, 'rdbu', -2, 2)));
  });
});

describe('figure specs', () => {
  it('fieldSpec: km axes, depth downwards, a colour bar titled with units, and it compiles', () => {
    const spec = fieldSpec(
      new Float32Array(12).map((_, i) => 2000 + i),
      [3, 4],
      { title: 'Model', units: 'v (m/s)', dz: 250, dx: 500 },
    );
    const layers = spec.layer as { encoding: Record<string, { title?: string; scale?: { domain: number[] } }> }[];
    expect(layers[0]!.encoding.x!.title).toBe('x (km)');
    expect(layers[0]!.encoding.x!.scale!.domain).toEqual([0, 2]);
    expect(layers[0]!.encoding.y!.scale!.domain).toEqual([0.75, 0]);
    expect(layers[1]!.encoding.color!.title).toBe('v (m/s)');
    expect(layers[1]!.encoding.color!.scale!.domain).toEqual([2000, 2011]);
    // Compiled, the colour scale is the same Vega scheme and the legend (a gradient for a continuous scale) carries the units.
    const vg = compile(spec as never).spec as unknown as { scales: { name: string; range: unknown }[]; legends: { title: string }[] };
    expect(vg.scales.find((sc) => sc.name === 'color')!.range).toEqual({ scheme: 'viridis' });
    expect(vg.legends.map((l) => l.title)).toEqual(['v (m/s)']);
  });

  it('lineSpec and row compile; a log axis drops non-positive points', () => {
    const s = lineSpec([{ name: 'loss', x: [1, 2, 3], y: [1, 0, 0.1] }], { title: 'Loss', xTitle: 'epoch', yTitle: 'MSE', logY: true });
    expect((s.data as { values: unknown[] }).values).toHaveLength(2);
    const both = row([s, fieldSpec([1, 2, 3, 4], [2, 2], { title: 'f', units: 'u', dz: 1, dx: 1 })], 'Both');
    expect(() => compile(both as never)).not.toThrow();
  });

  it('rejects bad input with the function, argument, expected and received value', () => {
    const ok = { title: 't', units: 'u', dz: 1, dx: 1 };
    expect(() => fieldSpec([1, 2, 3], [2, 2], ok)).toThrow(
      /fieldSpec\(values, shape, opts\): values: expected 4 values for shape \[2, 2\], got 3 values/,
    );
    expect(() => fieldSpec([1], [1, 1], { ...ok, dx: 0 })).toThrow(/opts\.dx: expected a positive finite number, got 0/);
    expect(() => fieldSpec([1], [1, 1], { ...ok, cmap: 'jet' as never })).toThrow(/opts\.cmap/);
    expect(() => fieldSpec([1], [1, 1], { ...ok, colormap: 'rdbu' } as never)).toThrow(/unknown option 'colormap'/);
    expect(() => lineSpec([{ name: 'a', x: [1, 2], y: [1] }], { title: 't', xTitle: 'x', yTitle: 'y' })).toThrow(
      /series\[0\]: expected x and y of equal length/,
    );
  });
});
