// @node-only
// Smoke test of examples/dc/run.ts at a tiny size (25 m cells, 7 electrodes, 3 wavenumbers, one
// Gauss-Newton iteration): it runs end to end (data, inversion with sparse norms and sensitivity
// weighting, model errors) and returns sane numbers; the real runs are in the example.
import { describe, expect, it } from 'vitest';
import { runDc } from '../examples/dc/run.js';
import { dcFigures } from '../examples/dc/figures.js';
import { useDevice } from './helpers.js';

describe('examples/dc', () => {
  useDevice();

  it('runs case 3 at a tiny size: the misfit falls and the numbers are finite', async () => {
    const r = await runDc({ caseId: 3, h: 25, padding: 2, electrodes: 7, maxReceivers: 3, nKy: 3, maxIterations: 1 });
    console.log(
      `tiny case 3: ${r.nData} data, ${r.mesh.cells} cells, chi ${r.history.map((h) => h.chi.toFixed(2)).join(' -> ')}, RMS log10 error ${r.modelError.rmsLog10.toFixed(3)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.nData).toBe(3 + 3 + 2 + 1);
    expect(r.history.length).toBeGreaterThanOrEqual(2);
    expect(r.history[r.history.length - 1]!.phiD).toBeLessThan(r.history[0]!.phiD);
    expect(Number.isFinite(r.modelError.rmsLog10) && r.modelError.rmsLog10 > 0).toBe(true);
    expect(r.figure.truth).toHaveLength(40 * 9);
    expect(r.figure.recovered.every(Number.isFinite)).toBe(true);
    const figs = dcFigures(r);
    expect(Object.keys(figs)).toEqual(['models', 'convergence', 'data']);
  });
});
