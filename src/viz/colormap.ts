// Colour maps for fields drawn as images. The colours come from Vega's own scheme interpolators, so
// an image and the gradient legend Vega draws beside it (figures.ts) agree by construction.
import { scheme } from 'vega';
import { encode } from 'fast-png';
import { argError } from '../graph/options.js';

/** viridis for magnitudes (velocity, misfit), rdbu for signed fields (gradients, wavefields), grey. */
export type Colormap = 'viridis' | 'rdbu' | 'grey';

/** The Vega scheme behind each colour map (Vega's 'redblue' runs red to blue: reversed for rdbu, so positive is red). */
export const VEGA_SCHEME: Record<Colormap, { scheme: string; reverse: boolean }> = {
  viridis: { scheme: 'viridis', reverse: false },
  rdbu: { scheme: 'redblue', reverse: true },
  grey: { scheme: 'greys', reverse: true },
};

const LUT_SIZE = 256;
const luts = new Map<Colormap, Uint8Array>();

/** 256 RGB entries sampled from the scheme. */
function lut(cmap: Colormap): Uint8Array {
  let t = luts.get(cmap);
  if (t) return t;
  const spec = VEGA_SCHEME[cmap];
  if (!spec) throw argError('colormap', 'cmap', "'viridis', 'rdbu' or 'grey'", cmap, Error);
  const interp = scheme(spec.scheme) as (u: number) => string;
  t = new Uint8Array(3 * LUT_SIZE);
  for (let k = 0; k < LUT_SIZE; k++) {
    const u = k / (LUT_SIZE - 1);
    const rgb = parseColor(interp(spec.reverse ? 1 - u : u));
    t.set(rgb, 3 * k);
  }
  luts.set(cmap, t);
  return t;
}

/** 'rgb(r, g, b)' or '#rrggbb' as [r, g, b]. */
function parseColor(c: string): [number, number, number] {
  if (c.startsWith('#')) return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
  const m = c.match(/[\d.]+/g);
  if (!m || m.length < 3) throw new Error(`tellus: colormap: cannot read the colour '${c}'`);
  return [Number(m[0]), Number(m[1]), Number(m[2])];
}

/** Colour limits: [min, max] of the finite values, or symmetric ±max|v| for signed fields. */
export function limits(values: ArrayLike<number>, symmetric: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  if (lo > hi) return symmetric ? [-1, 1] : [0, 1];
  if (symmetric) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** Row-major values [rows][cols] as RGBA bytes; non-finite values are transparent. */
export function colormapRGBA(values: ArrayLike<number>, cmap: Colormap, vmin: number, vmax: number): Uint8Array {
  const t = lut(cmap);
  const out = new Uint8Array(4 * values.length);
  const scale = (LUT_SIZE - 1) / (vmax - vmin || 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(LUT_SIZE - 1, Math.max(0, Math.round((v - vmin) * scale)));
    out[4 * i] = t[3 * k]!;
    out[4 * i + 1] = t[3 * k + 1]!;
    out[4 * i + 2] = t[3 * k + 2]!;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** A colour-mapped field as a PNG data URL (one pixel per cell), for a Vega image mark. */
export function fieldPngUrl(values: ArrayLike<number>, rows: number, cols: number, cmap: Colormap, vmin: number, vmax: number): string {
  const png = encode({ width: cols, height: rows, data: colormapRGBA(values, cmap, vmin, vmax), channels: 4, depth: 8 });
  let bin = '';
  for (let i = 0; i < png.length; i += 0x8000) bin += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(bin)}`;
}
