// @node-only
// Smoke tests of examples/nf-inv/run.ts at tiny sizes: tomography case 1 on 8 x 16 cells with the
// conventional inversions beside it, and DC case 3 on 25 m cells with 7 electrodes; each runs end
// to end (network, nfInvert, SVD of dm/dw, figures) and returns sane numbers. The real runs are in
// the example (docs/nf-inv.md).
import { describe, expect, it } from 'vitest';
import { runNfInv } from '../examples/nf-inv/run.js';
import { nfFigures } from '../examples/nf-inv/figures.js';
import { useDevice } from './helpers.js';

describe('examples/nf-inv', () => {
  useDevice();

  it('case 1 at 8 x 16 cells: the misfit falls from the background start, beside the conventional inversions', async () => {
    const r = await runNfInv({ caseId: 1, cells: 8, hidden: [16, 16], epochs: 30, svd: 3 });
    const chi = r.history.map((h) => h.chi);
    console.log(
      `tiny case 1: chi ${chi[0]!.toFixed(2)} -> ${r.chi.toFixed(2)}, error ${JSON.stringify(r.errors)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.nData).toBe(16 * 16);
    expect(r.shape).toEqual([16, 8]);
    // The background start is the conventional one: exactly 1 ms/m outside and inside the block.
    expect(r.startModel.every((v) => Math.abs(v - 1) < 1e-5)).toBe(true);
    expect(r.chi).toBeLessThan(chi[0]! / 2);
    expect('relativeL2' in r.errors && Number.isFinite(r.errors.relativeL2)).toBe(true);
    expect(r.conventional.map((c) => c.name.split(',')[1]!.trim())).toEqual(['no regularization (CGLS to chi = 1)', 'smoothness']);
    expect(r.svd!.values).toHaveLength(3);
    expect(r.svd!.values[0]! >= r.svd!.values[2]! && r.svd!.values[2]! > 0).toBe(true);
    expect(r.svd!.vectors[0]).toHaveLength(8 * 16);
    expect(Object.keys(nfFigures(r))).toEqual(['models', 'convergence', 'singularValues', 'singularVectors']);
  });

  it('case 3 at 25 m cells: padding frozen at the background, the model moves off it, figures without the SVD', async () => {
    const r = await runNfInv({ caseId: 3, h: 25, padding: 2, electrodes: 7, maxReceivers: 3, nKy: 3, hidden: [8, 8], epochs: 3, svd: 0 });
    console.log(
      `tiny case 3: chi ${r.history.map((h) => h.chi.toFixed(2)).join(' -> ')}, ${JSON.stringify(r.errors)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.nData).toBe(3 + 3 + 2 + 1);
    expect(r.shape).toEqual([9, 40]);
    expect(r.startModel.every((v) => Math.abs(v - Math.log10(0.01)) < 1e-5)).toBe(true);
    expect(r.model.every(Number.isFinite)).toBe(true);
    expect(r.model.some((v) => Math.abs(v - Math.log10(0.01)) > 1e-4)).toBe(true);
    expect(r.history[0]!.beta).toBeCloseTo(Math.exp(-1 / 800), 6);
    expect(r.svd).toBeNull();
    expect(Object.keys(nfFigures(r))).toEqual(['models', 'convergence']);
  });
});
