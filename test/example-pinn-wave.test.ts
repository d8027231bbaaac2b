// Smoke test of examples/pinn-wave at tiny sizes: every part runs end to end (training, the engine
// reference of part b, the evaluation) and returns finite numbers of the right shapes.
import { describe, expect, it } from 'vitest';
import { acoustic2d, helmholtz, inversion, inversionSmooth, wave1d } from '../examples/pinn-wave/run.js';
import { dalembert } from '../examples/pinn-wave/dalembert.js';
import { dalembertFigure } from '../examples/pinn-wave/figures.js';
import { useDevice } from './helpers.js';

const tiny = { adam: 4, lbfgs: 3, points: 24, hidden: [8], logEvery: 2 };
const quiet = (): void => {};

describe('examples/pinn-wave (tiny)', () => {
  useDevice();

  it('a. 1D wave against d’Alembert', async () => {
    const r = await wave1d(tiny, quiet);
    expect(Number.isFinite(r.relL2)).toBe(true);
    expect(r.u.length).toBe(r.grid[0] * r.grid[1]);
    expect(r.train.lbfgs?.iterations).toBeGreaterThan(0);
  });

  it('b. 2D acoustic against acoustic2dWavefield, per time slice', async () => {
    const r = await acoustic2d(tiny, quiet, { dx: 25, T: 0.1, slices: 2 });
    expect(r.slices.length).toBe(2);
    expect(r.slices.every((s) => Number.isFinite(s.relL2) && s.t > 0)).toBe(true);
    // The engine's pulse is non-trivial in the window.
    expect(Math.max(...Array.from(r.engine[0]!, Math.abs))).toBeGreaterThan(0.1);
  });

  it('d2. inversion for a smooth v(x) with a second network', async () => {
    const r = await inversionSmooth(tiny, quiet, [4]);
    expect(r.vFound.length).toBe(r.x.length);
    expect(Number.isFinite(r.maxRelError)).toBe(true);
  });

  it('c. Helmholtz and d. inversion', async () => {
    const h = await helmholtz(tiny, quiet);
    expect(Number.isFinite(h.relL2)).toBe(true);
    const d = await inversion(tiny, quiet);
    expect(Number.isFinite(d.cFound)).toBe(true);
    expect(d.history.length).toBeGreaterThan(0);
  });

  it("e. time to accuracy on d'Alembert's Gaussian pulse: checks at every report, stops at the target", async () => {
    const small = { hidden: [8], points: 24, every: 2 };
    const never = await dalembert({ ...small, adam: 6, until: 1e-9 }, quiet);
    expect(never.reached).toBeNull();
    expect(never.history.map((h) => h.step)).toEqual([2, 4, 6]);
    expect(never.u.length).toBe(101 * 101);
    // The exact solution at t = 0 is the pulse itself: exp(-2 x^2), 1 at x = 0 (column 50).
    expect(never.exact[50]).toBeCloseTo(1, 12);
    expect(never.history.at(-1)!.relL2).toBeCloseTo(never.relL2, 6);
    const soon = await dalembert({ ...small, adam: 6, until: 10 }, quiet);
    expect(soon.reached).toMatchObject({ phase: 'adam', step: 2 });
    expect(soon.history.length).toBe(1);
    expect((dalembertFigure(soon) as { hconcat: unknown[] }).hconcat.length).toBe(2);
  });
});
