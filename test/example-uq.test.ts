// @node-only: the UQ example (examples/uq/run.ts) at a tiny size: 8x8 images, 8 training pairs,
// one epoch, U-Nets of width 2, ensembles of 2, 3 MC-dropout passes. Checks that every number is finite and in its
// range, the maps' shapes, that the homoscedastic methods' aleatoric variance is one constant, and
// the figure specs.
import { describe, expect, it } from 'vitest';
import { METHODS, noiseSigma, runUqExample } from '../examples/uq/run.js';
import { uqFigures } from '../examples/uq/figures.js';
import { useDevice } from './helpers.js';

describe('examples/uq', () => {
  useDevice();

  it('runs tiny, reports finite metrics, maps and figure specs', async () => {
    const phases = new Set<string>();
    const saved: string[] = [];
    const r = await runUqExample({
      n: 8,
      train: 8,
      val: 4,
      test: 4,
      epochs: 1,
      batch: 8,
      width: 2,
      members: 2,
      passes: 3,
      seed: 5,
      onProgress: (p) => void phases.add(p.phase),
      onModel: (name) => void saved.push(name),
    });
    expect([...phases]).toEqual(['data', 'train', 'predict']);
    // 2 heteroscedastic, 2 MSE, 1 dropout network.
    expect(saved.sort()).toEqual(['ensemble-0', 'ensemble-1', 'heteroEnsemble-1', 'heteroscedastic', 'mcDropout']);
    for (const m of METHODS) {
      const x = r.methods[m];
      for (const v of [x.rmse, x.rmseClean, x.nll, x.sigmaRatio, x.sigmaRatioExpected, x.meanAleatoricSigma, x.meanEpistemicSigma])
        expect(Number.isFinite(v), m).toBe(true);
      for (const v of [x.coverage68, x.coverage95, x.ece]) expect(v >= 0 && v <= 1, m).toBe(true);
      expect(x.coverage95).toBeGreaterThanOrEqual(x.coverage68);
      expect(x.reliability.observed).toHaveLength(19);
      for (const f of Object.values(x.maps)) {
        expect(f.shape).toEqual([8, 8]);
        expect(f.values.every(Number.isFinite)).toBe(true);
      }
    }
    // A single network has no epistemic part; ensembles and MC dropout do.
    expect(r.methods.heteroscedastic.meanEpistemicSigma).toBe(0);
    for (const m of ['ensemble', 'mcDropout', 'heteroEnsemble'] as const) expect(r.methods[m].meanEpistemicSigma).toBeGreaterThan(0);
    expect(r.methods.heteroEnsemble.losses).toHaveLength(2);
    expect(Array.from(r.example.sigma.values)).toEqual(Array.from(noiseSigma(8)));
    const figs = uqFigures(r);
    expect(Object.keys(figs)).toEqual(['reliability', 'maps', 'sigma', 'training']);
    expect((figs.maps.vconcat as unknown[]).length).toBe(1 + METHODS.length);
    expect((figs.sigma.hconcat as unknown[]).length).toBe(1 + METHODS.length);
    expect(JSON.stringify(figs)).not.toMatch(/NaN|Infinity/);
  }, 60_000);

  it('the known noise sigma grows with depth and has a noisier patch', () => {
    const s = noiseSigma(16);
    expect(s[0]).toBeCloseTo(0.5, 6);
    expect(s[15 * 16]).toBeCloseTo(1, 6);
    expect(s[5 * 16 + 9]! - (0.5 + (0.5 * 5) / 15)).toBeCloseTo(0.5, 6);
  });
});
