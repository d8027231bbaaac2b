// @node-only: checks of the float64 reference scheme itself (pure JavaScript, no device), so the
// acoustic tests compare the device against something trustworthy. Runtime-independent, so it
// runs once, in Node.
import { describe, expect, it } from 'vitest';
import { rng } from './helpers.js';
import {
  acousticRef,
  bornRef,
  cflLimitRef,
  greens2dRicker,
  maxAbs,
  pmlProfile,
  relL2,
  ricker64,
  smoothField,
  smoothModel,
  type Accuracy,
} from './acoustic-ref.js';

const arr = (shape: number[], data: ArrayLike<number>) => ({ shape, data });

describe('float64 reference propagator', () => {
  it('matches the closed form −dx·dz·(G ∗ q) at a fine grid (accuracy 8, dx = 2 m, dt = 2e-4 s)', () => {
    // Offset 60 m, 80 m of model around source and receiver, 20-cell PML: dispersion at this dt
    // is ~4e-4; a wrong sign or a missing dx·dz would be off by O(1), a one-sample shift by ~5%.
    const [c, f, dx, dt, nt, m, n] = [1500, 25, 2, 2e-4, 800, 40, 30];
    const nz = 2 * m + 1;
    const nx = n + 2 * m + 1;
    const r = acousticRef(arr([nz, nx], new Float64Array(nz * nx).fill(c)), {
      dx,
      dt,
      accuracy: 8,
      pmlWidth: 20,
      sourceAmplitudes: arr([1, 1, nt], ricker64(f, nt, dt)),
      sourceLocations: arr([1, 1, 2], [m, m]),
      receiverLocations: arr([1, 1, 2], [m, m + n]),
    }).receivers.data;
    const exact = greens2dRicker(n * dx, c, f, 1.5 / f, dt, nt).map((x) => -x * dx * dx);
    const fit = r.reduce((s, x, i) => s + x * exact[i]!, 0) / exact.reduce((s, x) => s + x * x, 0);
    expect(relL2(r, exact)).toBeLessThan(1e-3);
    expect(Math.abs(fit - 1)).toBeLessThan(1e-3);
  });

  it('the Green’s function integral is converged (Simpson with 2000 vs 8000 intervals)', () => {
    const a = greens2dRicker(120, 1500, 25, 0.06, 4e-4, 500);
    const b = greens2dRicker(120, 1500, 25, 0.06, 4e-4, 500, 8000);
    expect(relL2(a, b)).toBeLessThan(1e-8);
  });

  it('the CFL limit is sharp: 0.99x stays bounded and 1.01x blows up (constant v, rigid edges)', () => {
    const g = rng();
    for (const acc of [2, 8] as Accuracy[]) {
      for (const factor of [0.99, 1.01]) {
        const [n, nt, ns] = [40, 2500, 8];
        const amps = new Float64Array(ns * nt);
        for (let k = 0; k < ns; k++) for (let t = 0; t < 4; t++) amps[k * nt + t] = 2 * g.next() - 1;
        const locs = Array.from({ length: 2 * ns }, () => Math.floor(g.next() * n));
        const r = acousticRef(arr([n, n], new Float64Array(n * n).fill(2500)), {
          dx: 5,
          dz: 4,
          dt: factor * cflLimitRef(acc, 5, 4, 2500),
          accuracy: acc,
          pmlWidth: 0,
          sourceAmplitudes: arr([1, ns, nt], amps),
          sourceLocations: arr([1, ns, 2], locs),
          receiverLocations: arr([1, ns, 2], locs),
        }).receivers.data;
        const late = maxAbs(r.filter((_, i) => i % nt >= nt - 200));
        const what = `seed ${g.seed}, accuracy ${acc}, ${factor}x: late max ${late}`;
        if (factor < 1) expect(late, what).toBeLessThan(100);
        else expect(!(late < 1e6), what).toBe(true);
      }
    }
  });

  it('is reciprocal: exactly without PML, to 1e-6 with a PML kept 6 cells away', () => {
    const g = rng();
    const [nz, nx, nt] = [30, 36, 220];
    const v = smoothModel(() => g.next(), nz, nx, 2000, 0.3);
    const dt = 0.6 * cflLimitRef(6, 5, 4, maxAbs(v));
    const w = ricker64(20, nt, dt);
    const a = [6 + Math.floor(g.next() * 18), 6 + Math.floor(g.next() * 24)];
    const b = [6 + Math.floor(g.next() * 18), 6 + Math.floor(g.next() * 24)];
    for (const pml of [0, 8]) {
      const r = acousticRef(arr([nz, nx], v), {
        dx: 5,
        dz: 4,
        dt,
        accuracy: 6,
        pmlWidth: pml,
        sourceAmplitudes: arr([2, 1, nt], [...w, ...w]),
        sourceLocations: arr([2, 1, 2], [...a, ...b]),
        receiverLocations: arr([2, 1, 2], [...b, ...a]),
      }).receivers.data;
      const diff = maxAbs(r.subarray(0, nt).map((x, i) => x - r[nt + i]!)) / maxAbs(r);
      expect(diff, `seed ${g.seed}, pml ${pml}`).toBeLessThan(pml === 0 ? 1e-12 : 1e-6);
    }
  });

  it('the free surface equals the odd mirror image (doubled model, negated image source), and the rigid top at accuracy 2', () => {
    const g = rng();
    for (const acc of [2, 4, 6, 8] as Accuracy[]) {
      const [nz, nx, nt] = [16, 20, 150];
      const v = smoothModel(() => g.next(), nz, nx, 2000, 0.2, 5, 4);
      const NZ = 2 * nz + 1;
      const vd = new Float64Array(NZ * nx);
      for (let z = 0; z < NZ; z++)
        for (let x = 0; x < nx; x++) vd[z * nx + x] = v[(z > nz ? z - nz - 1 : z < nz ? nz - 1 - z : 0) * nx + x]!;
      const dt = 0.6 * cflLimitRef(acc, 4, 3, maxAbs(v));
      const w = ricker64(30, nt, dt);
      const src = [1 + Math.floor(g.next() * 4), Math.floor(g.next() * nx)];
      const rec = [0, 2, 0, 17, 9, 10];
      const common = { dx: 4, dz: 3, dt, accuracy: acc };
      const fs = acousticRef(arr([nz, nx], v), {
        ...common,
        pmlWidth: [30, 6, 4, 7],
        freeSurface: true,
        sourceAmplitudes: arr([1, 1, nt], w),
        sourceLocations: arr([1, 1, 2], src),
        receiverLocations: arr([1, 3, 2], rec),
      });
      const doubled = acousticRef(arr([NZ, nx], vd), {
        ...common,
        pmlWidth: [6, 6, 4, 7],
        sourceAmplitudes: arr([1, 2, nt], [...w, ...w.map((x) => -x)]),
        sourceLocations: arr([1, 2, 2], [src[0]! + nz + 1, src[1]!, nz - 1 - src[0]!, src[1]!]),
        receiverLocations: arr(
          [1, 3, 2],
          rec.map((r, i) => (i % 2 === 0 ? r + nz + 1 : r)),
        ),
      });
      const rigid = acousticRef(arr([nz, nx], v), {
        ...common,
        pmlWidth: [0, 6, 4, 7],
        sourceAmplitudes: arr([1, 1, nt], w),
        sourceLocations: arr([1, 1, 2], src),
        receiverLocations: arr([1, 3, 2], rec),
      });
      expect(relL2(fs.receivers.data, doubled.receivers.data), `seed ${g.seed}, accuracy ${acc}`).toBeLessThan(1e-13);
      if (acc === 2) expect(relL2(fs.receivers.data, rigid.receivers.data)).toBe(0);
      else expect(relL2(fs.receivers.data, rigid.receivers.data)).toBeGreaterThan(1e-3);
    }
  });

  it('float32 storage stays within 1e-5 of float64; bornRef is converged in its step', () => {
    const g = rng();
    const [nz, nx, nt] = [24, 28, 200];
    const v = smoothModel(() => g.next(), nz, nx, 2000, 0.2);
    const dt = 0.8 * cflLimitRef(4, 5, 5, maxAbs(v));
    const opts = {
      dx: 5,
      dt,
      accuracy: 4 as Accuracy,
      pmlWidth: [2, 5, 0, 7] as [number, number, number, number],
      sourceAmplitudes: arr([1, 1, nt], ricker64(20, nt, dt)),
      sourceLocations: arr([1, 1, 2], [3, 4]),
      receiverLocations: arr([1, 2, 2], [3, 4, 20, 25]),
    };
    const a = acousticRef(arr([nz, nx], v), opts).receivers.data;
    const b = acousticRef(arr([nz, nx], v), { ...opts, precision: 'float32' }).receivers.data;
    expect(maxAbs(a.map((x, i) => x - b[i]!)) / maxAbs(a)).toBeLessThan(1e-5);
    const dv = arr(
      [nz, nx],
      smoothField(() => g.next(), nz, nx, 4, 3).map((x) => 30 * x),
    );
    const b4 = bornRef(arr([nz, nx], v), dv, opts, 1e-4);
    const b3 = bornRef(arr([nz, nx], v), dv, opts, 1e-3);
    // Truncation O(rel²): the 1e-3 step is off by ~1e-6 relative, so the 1e-4 step by ~1e-8.
    expect(maxAbs(b4.map((x, i) => x - b3[i]!)) / maxAbs(b4)).toBeLessThan(1e-4);
    expect(maxAbs(b4)).toBeGreaterThan(0);
  });

  it('PML profile: a = b = 0 outside, σ0 = −3 vmax ln(0.001) / (2 Lmax) reached at the outer edge, b′ by the stencil', () => {
    const [n, w0, w1, ghost, h, dt, vmax, freq] = [10, 4, 6, 2, 5, 1e-3, 2500, 25];
    const lmax = 6 * h;
    const sigma0 = (-3 * vmax * Math.log(0.001)) / (2 * lmax);
    const { a, b, db } = pmlProfile(n, w0, w1, ghost, h, dt, sigma0, freq, 4);
    expect(a.length).toBe(n + w0 + w1 + 2 * ghost);
    for (let i = ghost + w0; i <= ghost + w0 + n - 1; i++) expect([a[i], b[i]]).toEqual([0, 0]);
    // The outermost non-ghost cell on the right has frac = 1: α = 0, a = exp(−σ0 dt), b = a − 1.
    const last = a.length - 1 - ghost;
    expect(a[last]).toBeCloseTo(Math.exp(-sigma0 * dt), 14);
    expect(b[last]).toBeCloseTo(Math.exp(-sigma0 * dt) - 1, 14);
    // Ghost cells are clamped at frac = 1 too.
    expect(a[last + 1]).toBe(a[last]);
    // Left edge, one cell into the PML: frac = 1/4.
    const s = sigma0 / 16;
    const al = Math.PI * freq * 0.75;
    expect(a[ghost + w0 - 1]).toBeCloseTo(Math.exp(-(s + al) * dt), 14);
    expect(b[ghost + w0 - 1]).toBeCloseTo((s / (s + al)) * (Math.exp(-(s + al) * dt) - 1), 14);
    const i = ghost + w0 + n + 2;
    expect(db[i]).toBeCloseTo(((2 / 3) * (b[i + 1]! - b[i - 1]!) - (1 / 12) * (b[i + 2]! - b[i - 2]!)) / h, 14);
  });
});
