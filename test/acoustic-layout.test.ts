// The receivers' vec4 paths (acoustic.wgsl sample4, adjoint_receivers4, transpose4: taken when
// shots x receivers, and nt for the layout transposes, are multiples of 4) against the one-receiver
// kernels on the same survey. Dropping a receiver (2 x 3, not a multiple of 4) or a time step
// (nt 13) switches paths without changing the wave: the forward traces must agree bitwise (the
// same samples, moved), and the gradient to 1e-6 of its largest value (the adjoint sources enter
// the same cells; only the association of the last additions may differ).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';
import { expectScaled } from './numerics.js';

describe('acoustic2d receivers: vec4 and one-receiver paths agree', () => {
  useDevice();

  it('traces and gradients with 2 x 4 receivers and nt 12 equal those with 3 receivers or nt 13', async () => {
    const g = rng();
    const [nz, nx] = [14, 17];
    const vHost = randomFloats(g, nz * nx, 1800, 2200);
    const v = tl.tensor(vHost, { shape: [nz, nx] });
    const recs: [number, number][] = [
      [1, 2],
      [5, 9],
      [10, 3],
      [12, 15],
    ];
    const base = randomFloats(g, 2 * 13);
    const run = (nrec: number, nt: number) => {
      // The same wavelets whatever nt: the first nt of 13 samples per shot.
      const amps = tl.tensor(
        Float32Array.from({ length: 2 * nt }, (_, i) => base[Math.floor(i / nt) * 13 + (i % nt)]!),
        { shape: [2, 1, nt] },
      );
      const opts: tl.Acoustic2dOptions = {
        dx: 5,
        dt: 0.0008,
        pmlWidth: 3,
        sourceAmplitudes: amps,
        sourceLocations: [[[2, 4]], [[11, 12]]],
        receiverLocations: [recs.slice(0, nrec), recs.slice(0, nrec)],
      };
      // Weights on the traces: the same for the shared receivers and steps, so the gradients compare.
      const w = tl.tensor(
        Float32Array.from({ length: 2 * nrec * nt }, (_, i) => {
          const [sh, r, t] = [Math.floor(i / (nrec * nt)), Math.floor(i / nt) % nrec, i % nt];
          return t < 12 && r < 3 ? Math.sin(0.7 * (50 * sh + 13 * r + t)) : 0;
        }),
        { shape: [2, nrec, nt] },
      );
      const d = tl.acoustic2d(v, opts);
      const gv = tl.grad((m: tl.Tensor) => tl.sum(tl.mul(tl.acoustic2d(m, opts), w)))(v);
      return { d, gv, dispose: () => [amps, w, d, gv].forEach((t) => t.dispose()) };
    };
    const a = run(4, 12); // vec4 sampling, adjoint sources and transposes
    const b = run(3, 12); // one-receiver kernels (2 x 3 receivers)
    const c = run(4, 13); // vec4 receivers, one-column transposes (nt 13)
    const [da, db, dc] = await Promise.all([a.d.data(), b.d.data(), c.d.data()]);
    for (let s = 0; s < 2; s++)
      for (let r = 0; r < 4; r++)
        for (let t = 0; t < 12; t++) {
          const x = da[(s * 4 + r) * 12 + t]!;
          if (r < 3) expect(db[(s * 3 + r) * 12 + t], `seed ${g.seed}: shot ${s} receiver ${r} step ${t}, 3 receivers`).toBe(x);
          expect(dc[(s * 4 + r) * 13 + t], `seed ${g.seed}: shot ${s} receiver ${r} step ${t}, nt 13`).toBe(x);
        }
    expect(da.some((x) => x !== 0)).toBe(true);
    const [ga, gb, gc] = await Promise.all([a.gv.data(), b.gv.data(), c.gv.data()]);
    expectScaled(gb, ga, 1e-6, `seed ${g.seed}: gradient, 3 receivers against 4`);
    expectScaled(gc, ga, 1e-6, `seed ${g.seed}: gradient, nt 13 against 12`);
    for (const x of [a, b, c]) x.dispose();
    v.dispose();
  });
});
