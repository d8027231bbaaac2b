// Smoke test of examples/tomography/run.ts at a tiny size (8 x 16 cells, 256 rays): both cases run
// end to end, the inversions reach chi <= 1, those that stop there score better than the starting
// model, the one run past it worse than the one stopped there; the figures build. The real sizes are in the example.
import { describe, expect, it } from 'vitest';
import { type InversionSummary, modelErrors, runTomography } from '../examples/tomography/run.js';
import { tomographyFigures } from '../examples/tomography/figures.js';
import { useDevice } from './helpers.js';

describe('examples/tomography', () => {
  useDevice();

  it('runs both cases at a tiny size and fits the data to chi <= 1', async () => {
    const r = await runTomography({ nx: 8, nz: 16, h: 8, cgIterations: 50, overfitIterations: 10, gnIterations: 10 });
    expect(r.cases.map((c) => c.case)).toEqual([1, 2]);
    for (const c of r.cases) {
      expect(c.nData).toBe(256);
      expect(c.nModel).toBe(128);
      expect(c.targetCells).toBeGreaterThan(0);
      // The noise is N(0, 20 ms): the true model's chi is near 1 (256 data: within +-0.3 at 3 sigma).
      expect(Math.abs(c.chiTrue - 1)).toBeLessThan(0.3);
      const start = modelErrors(new Float32Array(c.nModel).fill(1), c.truth, c.target).relativeL2;
      for (const inv of c.inversions) {
        console.log(
          `case ${c.case}, ${inv.name}: ${inv.iterations} iterations, chi ${inv.chi.toFixed(3)}, error ${inv.errors.relativeL2.toFixed(3)} (start ${start.toFixed(3)})`,
        );
        expect(inv.chi).toBeLessThanOrEqual(1);
        expect(inv.history[0]!.chi).toBeGreaterThan(1);
        if (inv.name !== 'overfit') expect(inv.errors.relativeL2).toBeLessThan(start);
        expect(inv.model.every(Number.isFinite)).toBe(true);
        expect(inv.gather).toHaveLength(16);
      }
      expect(c.inversions.map((i) => i.name)).toEqual(['none', 'overfit', 'smooth']);
      // CGLS run on past the discrepancy principle fits the data better and the model worse (semi-convergence).
      const [none, overfit] = c.inversions as [InversionSummary, InversionSummary];
      expect(overfit.iterations).toBe(10);
      expect(overfit.chi).toBeLessThan(none.chi);
      expect(overfit.errors.relativeL2).toBeGreaterThan(none.errors.relativeL2);
      const figs = tomographyFigures(c);
      expect(Object.keys(figs)).toEqual(['models', 'gather', 'convergence', 'coverage']);
    }
  });
});
