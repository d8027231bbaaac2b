// Von Karman random velocity models: the sampled power spectrum against the von Karman spectrum
// (computed here in float64 with an independent DFT), and for κ = 0.5 the sampled covariance
// against its closed form σ² exp(-r/a).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { useDevice } from './helpers.js';

useDevice();

/** Full 2D DFT power |F(k)|² of each nz x nx sample, float64 (separable, O(n³)). */
function power(data: Float32Array, batch: number, nz: number, nx: number, mean: number): Float64Array {
  const out = new Float64Array(nz * nx);
  const re = new Float64Array(nz * nx);
  const im = new Float64Array(nz * nx);
  for (let b = 0; b < batch; b++) {
    // Along x.
    for (let z = 0; z < nz; z++)
      for (let k = 0; k < nx; k++) {
        let sr = 0;
        let si = 0;
        for (let x = 0; x < nx; x++) {
          const v = data[b * nz * nx + z * nx + x]! - mean;
          sr += v * Math.cos((2 * Math.PI * k * x) / nx);
          si -= v * Math.sin((2 * Math.PI * k * x) / nx);
        }
        re[z * nx + k] = sr;
        im[z * nx + k] = si;
      }
    // Along z.
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < nx; j++) {
        let sr = 0;
        let si = 0;
        for (let z = 0; z < nz; z++) {
          const c = Math.cos((2 * Math.PI * k * z) / nz);
          const s = -Math.sin((2 * Math.PI * k * z) / nz);
          sr += re[z * nx + j]! * c - im[z * nx + j]! * s;
          si += re[z * nx + j]! * s + im[z * nx + j]! * c;
        }
        out[k * nx + j]! += (sr * sr + si * si) / batch;
      }
  }
  return out;
}

/**
 * The grid's von Karman spectrum from the continuous one, P(k) = 4πκ a_x a_z (1 + k_x² a_x² + k_z² a_z²)^-(κ+1)
 * (unit variance), by Poisson summation over its aliases: S(k) = Σ_m P(k + 2πm/d) / (d_x d_z).
 * The |m| <= 80 truncation leaves < 1% of S at the Nyquist corner for κ = 0.5.
 */
function vonKarmanSpectrum(nz: number, nx: number, d: number, az: number, ax: number, kappa: number): Float64Array {
  const p = new Float64Array(nz * nx);
  const M = 80;
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      const kz0 = (2 * Math.PI * (i <= nz / 2 ? i : i - nz)) / (nz * d);
      const kx0 = (2 * Math.PI * (j <= nx / 2 ? j : j - nx)) / (nx * d);
      let s = 0;
      for (let mz = -M; mz <= M; mz++) {
        const kz = (kz0 + (2 * Math.PI * mz) / d) * az;
        for (let mx = -M; mx <= M; mx++) {
          const kx = (kx0 + (2 * Math.PI * mx) / d) * ax;
          s += Math.pow(1 + kx * kx + kz * kz, -(kappa + 1));
        }
      }
      p[i * nx + j] = (4 * Math.PI * kappa * ax * az * s) / (d * d);
    }
  return p;
}

/** Ratio of sampled to expected power, averaged in bins of equal expected power (high to low). */
function binnedRatios(measured: Float64Array, expected: Float64Array, scale: number, bins: number): number[] {
  const order = Array.from(expected.keys())
    .filter((i) => i !== 0) // the mean mode: the field's mean is set, not random
    .sort((a, b) => expected[b]! - expected[a]!);
  const per = Math.floor(order.length / bins);
  return Array.from({ length: bins }, (_, b) => {
    let m = 0;
    let e = 0;
    for (const i of order.slice(b * per, (b + 1) * per)) {
      m += measured[i]!;
      e += scale * expected[i]!;
    }
    return m / e;
  });
}

describe('vonKarman', () => {
  const [batch, n, d, ax, az, kappa, std] = [48, 32, 0.16, 0.48, 0.24, 0.5, 0.15];

  it('samples the von Karman power spectrum (periodic field, anisotropic a_x != a_z)', async () => {
    const v = tl.vonKarman([batch, n, n], { dx: d, ax, az, kappa, std, mean: 3, pad: 1, seed: 7 });
    expect(v.shape).toEqual([batch, n, n]);
    const measured = power((await v.data()) as Float32Array, batch, n, n, 3);
    // E|F(k)|² = N σ² S(k) for a field of pointwise variance σ².
    const scale = n * n * std * std;
    // 8 bins of 127 wavenumbers x 48 samples (pairs k, -k are the same draw): each bin's mean of
    // exponential variables has a relative spread of ~1/sqrt(127 * 48 / 2) = 1.8%, so 10% is > 5σ.
    const ratios = binnedRatios(measured, vonKarmanSpectrum(n, n, d, az, ax, kappa), scale, 8);
    for (const r of ratios) expect(Math.abs(r - 1)).toBeLessThan(0.1);
    // The check can fail: the same samples against a smoother medium's spectrum (κ = 1) miss by far.
    const wrong = binnedRatios(measured, vonKarmanSpectrum(n, n, d, az, ax, 1), scale, 8);
    expect(Math.max(...wrong.map((r) => Math.abs(r - 1)))).toBeGreaterThan(0.3);
    // Swapped correlation lengths too.
    const swapped = binnedRatios(measured, vonKarmanSpectrum(n, n, d, ax, az, kappa), scale, 8);
    expect(Math.max(...swapped.map((r) => Math.abs(r - 1)))).toBeGreaterThan(0.2);
  });

  it('has the exponential covariance σ² exp(-r/a) for κ = 0.5 (cropped from a padded grid)', async () => {
    const a = 0.48; // 3 cells
    const v = tl.vonKarman([32, n, n], { dx: d, ax: a, kappa: 0.5, std, mean: 3, seed: 11 });
    const x = (await v.data()) as Float32Array;
    const cov = (dz: number, dxc: number) => {
      let s = 0;
      let c = 0;
      for (let b = 0; b < 32; b++)
        for (let z = 0; z + dz < n; z++)
          for (let i = 0; i + dxc < n; i++) {
            s += (x[b * n * n + z * n + i]! - 3) * (x[b * n * n + (z + dz) * n + i + dxc]! - 3);
            c++;
          }
      return s / c / (std * std);
    };
    // Pointwise variance σ² (sampling error ~3% for ~3,000 effectively independent cells).
    expect(cov(0, 0)).toBeGreaterThan(0.88);
    expect(cov(0, 0)).toBeLessThan(1.12);
    // Correlations at 1-4 cells along each axis and one diagonal: sampling error ~0.02; the
    // covariance is exact at grid lags (circulant embedding), so 0.05 absolute.
    for (const [dz, dxc] of [
      [0, 1],
      [0, 2],
      [0, 4],
      [1, 0],
      [3, 0],
      [2, 2],
    ] as const) {
      const expected = Math.exp(-Math.hypot(dz, dxc) * (d / a));
      expect(Math.abs(cov(dz, dxc) - expected), `lag (${dz}, ${dxc})`).toBeLessThan(0.05);
    }
  });

  it('has the closed-form Matérn correlations at half-integer κ (the Bessel path)', () => {
    for (const r of [0.01, 0.3, 1, 2.5, 6]) {
      expect(tl.vonKarmanCorrelation(r, 1.5)).toBeCloseTo((1 + r) * Math.exp(-r), 9);
      expect(tl.vonKarmanCorrelation(r, 2.5)).toBeCloseTo((1 + r + (r * r) / 3) * Math.exp(-r), 9);
    }
    expect(tl.vonKarmanCorrelation(0, 0.3)).toBe(1);
    expect(tl.vonKarmanCorrelation(1e-4, 0.3)).toBeGreaterThan(0.99);
  });

  it('is reproducible by seed, takes [nz, nx], and rejects bad options', async () => {
    const a = await tl.vonKarman([8, 12], { seed: 3 }).data();
    const b = await tl.vonKarman([8, 12], { seed: 3 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(tl.vonKarman([8, 12], { epsilon: 0.1 }).shape).toEqual([8, 12]);
    expect(() => tl.vonKarman([8, 12], { std: 0.1, epsilon: 0.1 })).toThrow(/vonKarman\(shape, opts\).*epsilon.*either std or epsilon/);
    expect(() => tl.vonKarman([8, 12], { kapa: 0.5 } as tl.VonKarmanOptions)).toThrow(/kapa.*kappa/);
    expect(() => tl.vonKarman([8], {})).toThrow(/vonKarman\(shape, opts\).*shape/);
    expect(() => tl.vonKarman([8, 12], { ax: -1 })).toThrow(/vonKarman\(shape, opts\).*ax.*> 0.*-1/);
    expect(() => tl.vonKarman([8, 12], { pad: 1.5 })).toThrow(/pad.*integer >= 1/);
  });
});
