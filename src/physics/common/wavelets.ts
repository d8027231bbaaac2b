// Source wavelets and their band.
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { argError } from '../../graph/options.js';

/** Ricker wavelet (1 - 2 pi^2 f^2 tau^2) exp(-pi^2 f^2 tau^2), tau = t dt - delay, as float64 values. */
export function rickerValues(freq: number, nt: number, dt: number, delay = 1.5 / freq): Float64Array {
  const out = new Float64Array(nt);
  for (let i = 0; i < nt; i++) {
    const a = (Math.PI * freq * (i * dt - delay)) ** 2;
    out[i] = (1 - 2 * a) * Math.exp(-a);
  }
  return out;
}

/** Ricker wavelet [nt] with peak frequency `freq` (Hz), delayed by `delay` seconds (default 1.5 / freq). */
export function ricker(freq: number, nt: number, dt: number, delay?: number): Tensor {
  for (const [name, x] of [
    ['freq', freq],
    ['dt', dt],
  ] as const) {
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw argError('ricker', name, 'a positive number', x);
  }
  if (!Number.isInteger(nt) || nt < 1) throw argError('ricker', 'nt', 'a positive integer', nt);
  if (delay !== undefined && (typeof delay !== 'number' || !Number.isFinite(delay)))
    throw argError('ricker', 'delay', 'a finite number', delay);
  return tensor(Float32Array.from(rickerValues(freq, nt, dt, delay)));
}

/**
 * The highest frequency (Hz) holding 5% of the peak spectral amplitude of `trace` (sampled at
 * `dt`), from 256 probes up to Nyquist; null for a trace too short or all zero.
 */
export function highestFrequency(trace: ArrayLike<number>, dt: number): number | null {
  const nt = trace.length;
  if (nt < 4) return null;
  const nf = 256;
  const spec = new Float64Array(nf);
  for (let k = 0; k < nf; k++) {
    const om = (Math.PI * k) / (nf - 1);
    let re = 0;
    let im = 0;
    for (let t = 0; t < nt; t++) {
      re += trace[t]! * Math.cos(om * t);
      im -= trace[t]! * Math.sin(om * t);
    }
    spec[k] = Math.hypot(re, im);
  }
  const peak = Math.max(...spec);
  if (!(peak > 0)) return null;
  let k = nf - 1;
  while (k > 0 && spec[k]! < 0.05 * peak) k--;
  return k / (nf - 1) / (2 * dt);
}
