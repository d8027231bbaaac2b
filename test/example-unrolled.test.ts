// @node-only
// Smoke test of examples/unrolled/run.ts at a tiny size: it runs end to end (training, the three
// methods, metrics) in seconds and returns sane numbers; the real sizes are in the example.
import { describe, expect, it } from 'vitest';
import { runUnrolled } from '../examples/unrolled/run.js';
import { useDevice } from './helpers.js';

describe('examples/unrolled', () => {
  useDevice();

  it('runs at a tiny size and reports comparable, finite scores', async () => {
    let calls = 0;
    const r = await runUnrolled({ size: 12, iterations: 3, trainSteps: 10, batch: 2, test: 3, channels: 4, onProgress: () => calls++ });
    console.log(
      `tiny run: ${r.trainSeconds.toFixed(1)} s for 10 Adam steps; errors GD ${r.scores.gradientDescent.relativeError.toFixed(3)}, Tikhonov ${r.scores.tikhonov.relativeError.toFixed(3)}, unrolled ${r.scores.unrolled.relativeError.toFixed(3)}`,
    );
    expect(calls).toBe(10);
    // Every method used the same budget: K AT and K - 1 A.
    expect(r.applications).toEqual({ A: 2, AT: 3, total: 5 });
    expect(r.tikhonov.cgIterations).toBe(2);
    expect(r.normSquared).toBeGreaterThan(0.5); // a normalized Gaussian blur: ||A|| <= 1, ~1 for smooth inputs
    expect(r.normSquared).toBeLessThanOrEqual(1 + 1e-5);
    for (const s of Object.values(r.scores)) {
      expect(s.relativeErrors).toHaveLength(3);
      for (const e of s.relativeErrors) expect(e > 0 && e < 1.5, `relative error ${e}`).toBe(true);
      for (const q of s.ssims) expect(q > -1 && q <= 1, `SSIM ${q}`).toBe(true);
    }
    // Tikhonov's lambda was tuned on validation models, so it cannot do worse there than a near-zero lambda would: just finite and < 1.
    expect(r.tikhonov.validationError).toBeLessThan(1);
    expect(r.alphas.every((a) => a > 0)).toBe(true);
    expect(r.curve.step).toEqual([10]);
    expect(Number.isFinite(r.curve.loss[0]!)).toBe(true);
    expect(r.figure.truth).toHaveLength(144);
    expect(r.figure.unrolled.every(Number.isFinite)).toBe(true);
  });
});
