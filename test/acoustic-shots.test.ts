// Per-shot Born and per-shot migration (the shot-axis batching JI-FNO's Jacobian actions use):
// born2d with a perturbation per shot must give, shot by shot, exactly what a one-shot survey gives
// with that shot's perturbation; rtm2dShots must give each one-shot rtm2d image, and sum to rtm2d;
// the per-shot Born and rtm2dShots must be adjoint (dot-product test). Both stencil variants.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';

useDevice();

const [NZ, NX, NT, S] = [12, 16, 40, 3];

function survey(
  g: ReturnType<typeof rng>,
  stencil: 'vec4' | 'cells',
): { opts: tl.Acoustic2dOptions; one: (s: number) => tl.Acoustic2dOptions } {
  const amps = randomFloats(g, S * NT);
  const src = Int32Array.from({ length: 2 * S }, (_, i) => (i % 2 === 0 ? 1 : 3 + 6 * (i >> 1)));
  const rec = Int32Array.from({ length: 2 * S * NX }, (_, i) => (i % 2 === 0 ? 1 + ((i >> 1) % 2) : (i >> 1) % NX));
  const base = { stencil, dx: 10, dt: 0.002, accuracy: 4 as const, pmlWidth: 4, maxVel: 2500 };
  const opts: tl.Acoustic2dOptions = {
    ...base,
    sourceAmplitudes: tl.tensor(amps, { shape: [S, 1, NT] }),
    sourceLocations: tl.tensor(src, { dtype: 'int32', shape: [S, 1, 2] }),
    receiverLocations: tl.tensor(rec, { dtype: 'int32', shape: [S, NX, 2] }),
  };
  const one = (s: number): tl.Acoustic2dOptions => ({
    ...base,
    sourceAmplitudes: tl.tensor(amps.slice(s * NT, (s + 1) * NT), { shape: [1, 1, NT] }),
    sourceLocations: tl.tensor(src.slice(2 * s, 2 * s + 2), { dtype: 'int32', shape: [1, 1, 2] }),
    receiverLocations: tl.tensor(rec.slice(2 * NX * s, 2 * NX * (s + 1)), { dtype: 'int32', shape: [1, NX, 2] }),
  });
  return { opts, one };
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.each(['vec4', 'cells'] as const)('per-shot Born and migration (%s stencil)', (stencil) => {
  it('born2d with one dv per shot equals each one-shot born2d; rtm2dShots equals each one-shot rtm2d and sums to rtm2d; they are adjoint', async () => {
    const g = rng();
    const { opts, one } = survey(g, stencil);
    // Velocity 1800-2100 m/s (12 cells per wavelength at the amplitudes' Nyquist band is not the point here: the comparison is exact).
    const v = tl.tensor(
      Float32Array.from(randomFloats(g, NZ * NX), (x) => 1950 + 150 * x),
      { shape: [NZ, NX] },
    );
    const dv = tl.tensor(randomFloats(g, S * NZ * NX), { shape: [S, NZ, NX] });
    const data = tl.tensor(randomFloats(g, S * NX * NT), { shape: [S, NX, NT] });
    const born = await tl.born2d(v, dv, opts).data();
    const shots = await tl.rtm2dShots(v, data, opts).data();
    const summed = await tl.rtm2d(v, data, opts).data();
    const per = NX * NT;
    const cells = NZ * NX;
    for (let s = 0; s < S; s++) {
      const o = one(s);
      const bs = await tl.born2d(v, tl.reshape(tl.slice(dv, [[s, s + 1]]), [NZ, NX]), o).data();
      const is = await tl.rtm2d(v, tl.slice(data, [[s, s + 1]]), o).data();
      // The same kernels on the same numbers per shot: equal to float32 rounding of the summation order (here exact).
      const db = Array.from(bs, (x, k) => x - born[s * per + k]!);
      const di = Array.from(is, (x, k) => x - shots[s * cells + k]!);
      expect(maxAbs(db), `born shot ${s} (seed ${g.seed})`).toBeLessThanOrEqual(1e-6 * maxAbs(bs));
      expect(maxAbs(di), `rtm shot ${s} (seed ${g.seed})`).toBeLessThanOrEqual(1e-6 * maxAbs(is));
    }
    const sum = Array.from({ length: cells }, (_, k) => shots[k]! + shots[cells + k]! + shots[2 * cells + k]!);
    expect(maxAbs(sum.map((x, k) => x - summed[k]!)), `sum of shots (seed ${g.seed})`).toBeLessThanOrEqual(1e-5 * maxAbs(summed));
    // <data, B dv> = <rtm2dShots(data), dv> in float64 sums of float32 products; the two sides run
    // different time loops (forward vs adjoint), so they agree to float32 accumulation, ~1e-6 relative.
    const [d, dvv] = [await data.data(), await dv.data()];
    let lhs = 0;
    let rhs = 0;
    for (let k = 0; k < d.length; k++) lhs += d[k]! * born[k]!;
    for (let k = 0; k < dvv.length; k++) rhs += dvv[k]! * shots[k]!;
    expect(Math.abs(lhs - rhs) / Math.abs(lhs), `dot test (seed ${g.seed})`).toBeLessThan(1e-4);
  });
});

describe('per-shot Born: bad input', () => {
  it('names the shapes it accepts for dv', () => {
    const g = rng();
    const { opts } = survey(g, 'vec4');
    const v = tl.tensor(new Float32Array(NZ * NX).fill(2000), { shape: [NZ, NX] });
    expect(() => tl.born2d(v, tl.zeros([S + 1, NZ, NX]), opts)).toThrow(
      `tellus: born2d: dv: expected a tensor of shape [${NZ}, ${NX}] (as v0) or one per shot [${S}, ${NZ}, ${NX}], got`,
    );
    expect(() => tl.rtm2dShots(v, tl.zeros([S, NX, NT + 1]), opts)).toThrow(
      `tellus: rtm2dShots: data: expected a tensor of the receivers' shape [${S}, ${NX}, ${NT}] ([shot, receiver, time]), got`,
    );
  });
});
