// Convolutional PML (C-PML) widths and profiles, after Deepwave's (docs/acoustic.md states them).
import { argErrorText, describeValue } from '../../graph/options.js';
import { nonNegInt, nonNegative } from './validate.js';

export type Widths = [number, number, number, number];

/** pmlWidth as [top, bottom, left, right] (default 20 a side); a free surface has no top PML. */
export function pmlWidths(op: string, pw: unknown = 20, freeSurface = false): Widths {
  const widths = (typeof pw === 'number' ? [pw, pw, pw, pw] : Array.isArray(pw) ? [...pw] : []) as Widths;
  if (widths.length !== 4)
    throw argErrorText(
      op,
      'pmlWidth',
      'a number or [top, bottom, left, right]',
      Array.isArray(pw) ? JSON.stringify(pw) : describeValue(pw),
      Error,
    );
  widths.forEach((w, i) => nonNegInt(op, `pmlWidth[${i}]`, w));
  if (freeSurface) widths[0] = 0;
  return widths;
}

/** The frequency (Hz) in the C-PML's alpha profile (default 25). */
export const pmlFreq = (op: string, f: unknown = 25): number => nonNegative(op, 'pmlFreq', f);

/** σ0 = −3 v_max ln(0.001) / (2 L_max), L_max the thickest PML in metres (0 without one). */
export function pmlSigma0(vmax: number, thicknesses: readonly number[]): number {
  const lmax = Math.max(0, ...thicknesses);
  return lmax > 0 ? (-3 * vmax * Math.log(0.001)) / (2 * lmax) : 0;
}

/**
 * a, b and ∂b along one padded axis of n model cells with PML widths w0 (before) and w1 (after)
 * and R ghost cells beyond each; ∂b by the first-derivative weights `first` (distances 1..R) at spacing h.
 */
export function pmlProfile(
  n: number,
  R: number,
  w0: number,
  w1: number,
  h: number,
  dt: number,
  sigma0: number,
  freq: number,
  first: readonly number[],
): [Float64Array, Float64Array, Float64Array] {
  const npad = n + w0 + w1 + 2 * R;
  const start0 = R + w0;
  const start1 = npad - 1 - R - w1;
  const a = new Float64Array(npad);
  const b = new Float64Array(npad);
  for (let i = 0; i < npad; i++) {
    const f0 = w0 > 0 ? (start0 - i) / w0 : -Infinity;
    const f1 = w1 > 0 ? (i - start1) / w1 : -Infinity;
    const frac = Math.min(1, Math.max(0, f0, f1));
    if (frac === 0) continue;
    const sigma = sigma0 * frac * frac;
    const alpha = Math.PI * freq * (1 - frac);
    a[i] = Math.exp(-(sigma + alpha) * dt);
    b[i] = sigma + alpha > 0 ? (sigma / (sigma + alpha)) * (a[i]! - 1) : 0;
  }
  const db = new Float64Array(npad);
  for (let i = R; i < npad - R; i++) {
    let d = 0;
    for (let k = 1; k <= R; k++) d += first[k - 1]! * (b[i + k]! - b[i - k]!);
    db[i] = d / h;
  }
  return [a, b, db];
}
