// Layered velocity models and their smooth backgrounds (src/physics/models/layered.ts): seeds,
// ranges and the depth trend, interfaces that do not cross, faults checked cell by cell against
// the layer a float64 reference puts there, and the background's smoothing against direct
// Gaussian sums (depth) and a quadrature of the closed-form travel time of a linear v(z) (time).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { useDevice } from './helpers.js';

useDevice();

/** Sum of squared forward differences of a row-major [nz, nx] array. */
function energy(m: ArrayLike<number>, nz: number, nx: number): number {
  let s = 0;
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      if (i + 1 < nz) s += (m[(i + 1) * nx + j]! - m[i * nx + j]!) ** 2;
      if (j + 1 < nx) s += (m[i * nx + j + 1]! - m[i * nx + j]!) ** 2;
    }
  return s;
}

const SMALL = { nz: 48, nx: 64, dx: 0.05 };

describe('layeredModel', () => {
  it('is a function of its seed: same seed, same model; another seed, another model', async () => {
    const a = tl.layeredModel({ ...SMALL, seed: 7 });
    const b = tl.layeredModel({ ...SMALL, seed: 7 });
    const c = tl.layeredModelValues({ ...SMALL, seed: 8 });
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    expect(b.faults).toEqual(a.faults);
    expect(Array.from(c.values)).not.toEqual(Array.from(a.values));
    expect(a.velocity.shape).toEqual([48, 64]);
    expect(Array.from(await a.velocity.data())).toEqual(Array.from(Float32Array.from(a.values)));
    // The host-only variant is the same model without the tensor.
    const { velocity: _v, ...host } = a;
    expect(tl.layeredModelValues({ ...SMALL, seed: 7 })).toEqual(host);
    for (const t of [a, b]) t.velocity.dispose();
  });

  it('stays in [vmin, vmax], rises with depth on average, and keeps interfaces in order', () => {
    for (let seed = 0; seed < 8; seed++) {
      const m = tl.layeredModelValues({ ...SMALL, seed });
      const [nz, nx] = m.shape;
      expect(Math.min(...m.values)).toBeGreaterThanOrEqual(1.5);
      expect(Math.max(...m.values)).toBeLessThanOrEqual(4.5);
      const rowMean = (i: number) => m.values.slice(i * nx, (i + 1) * nx).reduce((a, b) => a + b, 0) / nx;
      const quarter = (lo: number) => Array.from({ length: nz / 4 }, (_, k) => rowMean(lo + k)).reduce((a, b) => a + b, 0) / (nz / 4);
      // The trend runs 1.5 -> 4.5 km/s; jitter is +-0.3, so the bottom quarter is ~1.5 km/s faster.
      expect(quarter((3 * nz) / 4) - quarter(0)).toBeGreaterThan(0.5);
      const layers = m.layerVelocities.length;
      let minGap = Infinity;
      for (let k = 0; k + 1 < layers - 1; k++)
        for (let j = 0; j < nx; j++) minGap = Math.min(minGap, m.interfaces[(k + 1) * nx + j]! - m.interfaces[k * nx + j]!);
      if (layers > 2) expect(minGap).toBeGreaterThan(0);
    }
  });

  it('puts each cell in the layer its faults move it to, with jumps only across the fault traces', () => {
    // Flat layers (no dip, wedge or fold) and two faults: the unfaulted model depends on z only.
    let seen = 0;
    for (let seed = 0; seed < 4; seed++) {
      const m = tl.layeredModelValues({ ...SMALL, seed, dip: 0, wedge: 0, foldAmplitude: 0, faults: [2, 2], faultThrow: [0.2, 0.4] });
      const [nz, nx] = m.shape;
      const depthsOf = Array.from({ length: m.layerVelocities.length - 1 }, (_, k) => m.interfaces[k * nx]!);
      const layerAt = (z: number) => depthsOf.filter((d) => z >= d).length;
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          // Independent trace-back: the hanging wall of each fault, youngest first, moves up by its throw.
          let z = i * SMALL.dx;
          const x = j * SMALL.dx;
          for (const f of [...m.faults].reverse()) {
            const xf = f.xTop + (f.direction * z) / Math.tan((f.dip * Math.PI) / 180);
            if (f.direction * (x - xf) > 0) z -= f.throw;
          }
          expect(m.values[i * nx + j]).toBe(m.layerVelocities[layerAt(z)]);
          // A lateral jump between j and j + 1 needs a fault trace between them in the faulted frame.
          if (j + 1 < nx && m.values[i * nx + j] !== m.values[i * nx + j + 1]) {
            seen++;
            let zf = i * SMALL.dx;
            let crossed = false;
            for (const f of [...m.faults].reverse()) {
              const side = (xx: number) => f.direction * (xx - tl.faultTrace(f, zf)) > 0;
              if (side(x) !== side(x + SMALL.dx)) crossed = true;
              if (side(x)) zf -= f.throw;
            }
            expect(crossed).toBe(true);
          }
        }
    }
    // The faults do make jumps (throws of 0.2-0.4 km across layers ~0.2 km thick).
    expect(seen).toBeGreaterThan(20);
    const flat = tl.layeredModelValues({ ...SMALL, dip: 0, wedge: 0, foldAmplitude: 0, faults: [0, 0] });
    for (let i = 0; i < SMALL.nz; i++)
      for (let j = 1; j < SMALL.nx; j++) expect(flat.values[i * SMALL.nx + j]).toBe(flat.values[i * SMALL.nx]);
  });

  it('rejects unknown options and bad values, naming the function, argument, expectation and value', () => {
    const fn = 'tellus: layeredModel(opts)';
    expect(() => tl.layeredModel({ nz: 1 })).toThrow(`${fn}: opts.nz: expected an integer in [2, 65536], got 1`);
    expect(() => tl.layeredModel({ layers: [5, 3] })).toThrow(
      `${fn}: opts.layers: expected [min, max] with min <= max, integers in [1, 4096], got [5, 3]`,
    );
    expect(() => tl.layeredModel({ vmin: 2, vmax: 1 })).toThrow(`${fn}: opts.vmax: expected a finite number in [2, Infinity], got 1`);
    expect(() => tl.layeredModelValues({ seed: -1 })).toThrow(`${fn}: opts.seed: expected an integer in [0, 4294967295], got -1`);
    expect(() => tl.layeredModel({ fault: [1, 2] } as never)).toThrow(`${fn}: unknown option 'fault' (did you mean 'faults'?)`);
  });
});

describe('backgroundModel', () => {
  it('smooths the slowness in depth as a direct Gaussian sum does, and stays in range', async () => {
    const m = tl.layeredModel({ ...SMALL, seed: 3 });
    const [nz, nx] = m.shape;
    const bg = await tl.backgroundModel(m.velocity, { dx: SMALL.dx, mode: 'depth', seed: 5 });
    expect(bg.mode).toBe('depth');
    expect(bg.width).toBeGreaterThanOrEqual(0.1);
    expect(bg.width).toBeLessThanOrEqual(0.3);
    // Reference: per column, sum over all depths of exp(-(z - z')^2 / 2 w^2) s(z'), normalized over
    // |z - z'| <= 4 w (the implementation's cut) -- float32 input, so compare to 1e-12 relative.
    const input = await m.velocity.data();
    const sigma = bg.width / SMALL.dx;
    let worst = 0;
    for (let j = 0; j < nx; j++)
      for (let i = 0; i < nz; i++) {
        let [s, w] = [0, 0];
        for (let k = 0; k < nz; k++)
          if (Math.abs(k - i) <= Math.ceil(4 * sigma)) {
            const g = Math.exp(-0.5 * ((k - i) / sigma) ** 2);
            [s, w] = [s + g / input[k * nx + j]!, w + g];
          }
        worst = Math.max(worst, Math.abs(bg.values[i * nx + j]! - w / s) / (w / s));
      }
    expect(worst).toBeLessThan(1e-12);
    const [lo, hi] = [Math.min(...input), Math.max(...input)];
    for (const v of bg.values) {
      expect(v).toBeGreaterThanOrEqual(lo * (1 - 1e-12));
      expect(v).toBeLessThanOrEqual(hi * (1 + 1e-12));
    }
    // Smoother: a far smaller squared gradient (a jump spread over several cells). Not TV: smoothing
    // leaves the TV of a monotone column unchanged.
    expect(energy(bg.values, nz, nx)).toBeLessThan(0.3 * energy(input, nz, nx));
    const again = await tl.backgroundModel(m.velocity, { dx: SMALL.dx, mode: 'depth', seed: 5 });
    expect(Array.from(again.values)).toEqual(Array.from(bg.values));
    for (const t of [m.velocity, bg.velocity, again.velocity]) t.dispose();
  });

  it('smooths in vertical travel time: a linear v(z) against a quadrature of the closed form', async () => {
    // v = v0 + k z: tau(z) = ln(1 + k z / v0) / k and, in time, s(t) = exp(-k t) / v0. The smoothed
    // slowness at depth z is the Gaussian average of s over t around tau(z), the kernel cut at 4 w.
    // Checked where the kernel fits inside [0, tau(zmax)]: near the ends a one-sided discrete sum is
    // only first order (1.5e-3 here). Inside, the trapezoid tau and the linear interpolation of a
    // smooth s are second order: 1e-4 relative at 200 cells.
    const [nz, nx, dx, v0, k] = [200, 3, 0.01, 1.5, 1.2];
    const v = Float32Array.from({ length: nz * nx }, (_, i) => v0 + k * Math.floor(i / nx) * dx);
    const vt = tl.tensor(v, { shape: [nz, nx] });
    const bg = await tl.backgroundModel(vt, { dx, mode: 'traveltime', timeWidth: [0.03, 0.05], lateralWidth: [0.02, 0.05], seed: 11 });
    expect(bg.mode).toBe('traveltime');
    const w = bg.width;
    const tMax = Math.log(1 + (k * (nz - 1) * dx) / v0) / k;
    let [worst, checked] = [0, 0];
    for (let i = 0; i < nz; i++) {
      const t0 = Math.log(1 + (k * i * dx) / v0) / k;
      if (t0 < 4.5 * w || t0 > tMax - 4.5 * w) continue;
      checked++;
      const [a, b] = [t0 - 4 * w, t0 + 4 * w];
      const steps = 4000;
      let [s, g] = [0, 0];
      for (let q = 0; q <= steps; q++) {
        const t = a + ((b - a) * q) / steps;
        const wt = (q === 0 || q === steps ? 0.5 : 1) * Math.exp(-0.5 * ((t - t0) / w) ** 2);
        [s, g] = [s + (wt * Math.exp(-k * t)) / v0, g + wt];
      }
      // Laterally invariant input: the lateral smoothing must leave every column alike.
      for (let j = 0; j < nx; j++) worst = Math.max(worst, Math.abs(1 / bg.values[i * nx + j]! - s / g) / (s / g));
    }
    expect(checked).toBeGreaterThan(50);
    expect(worst).toBeLessThan(1e-4);
    for (const t of [vt, bg.velocity]) t.dispose();
  });

  it("draws the mode from the seed in 'random' mode and smooths laterally when asked", async () => {
    const m = tl.layeredModel({ ...SMALL, seed: 4, faults: [3, 3] });
    const modes = new Set<string>();
    for (let seed = 0; seed < 16; seed++) modes.add(tl.backgroundModelValues(m.values, SMALL.nz, SMALL.nx, { dx: SMALL.dx, seed }).mode);
    expect([...modes].sort()).toEqual(['depth', 'traveltime']);
    const vertical = tl.backgroundModelValues(m.values, SMALL.nz, SMALL.nx, { dx: SMALL.dx, mode: 'depth' });
    const both = tl.backgroundModelValues(m.values, SMALL.nz, SMALL.nx, { dx: SMALL.dx, mode: 'depth', lateralWidth: [0.2, 0.2] });
    expect(both.lateralWidth).toBe(0.2);
    expect(energy(both.values, SMALL.nz, SMALL.nx)).toBeLessThan(energy(vertical.values, SMALL.nz, SMALL.nx));
    m.velocity.dispose();
    const fn = 'tellus: backgroundModel(v, opts)';
    await expect(tl.backgroundModel(m.velocity)).rejects.toThrow(`${fn}: v:`);
    expect(() => tl.backgroundModelValues(m.values, SMALL.nz, SMALL.nx, { mode: 'time' as never })).toThrow(
      `${fn}: opts.mode: expected 'depth', 'traveltime' or 'random', got "time"`,
    );
    expect(() => tl.backgroundModelValues([1, 1, 1, 1], 2, 2, { lateral: [0, 1] } as never)).toThrow(
      `${fn}: unknown option 'lateral'; valid options: dx, mode, depthWidth, timeWidth, lateralWidth, seed`,
    );
    expect(() => tl.backgroundModelValues([1, 0, 1, 1], 2, 2)).toThrow(`${fn}: v: expected finite velocities > 0, got 0 at index 1`);
    expect(() => tl.backgroundModelValues([1, 1, 1, 1], 2, 2, { depthWidth: [-1, 1] })).toThrow(
      `${fn}: opts.depthWidth: expected [min, max] with min <= max, numbers in [0, Infinity], got [-1, 1]`,
    );
  });
});
