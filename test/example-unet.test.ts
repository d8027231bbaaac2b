// @node-only: the U-Net example (examples/unet/run.ts) at a tiny size: 8 generated RTM images of
// 16x16, one epoch of training. Checks the shapes and that every number is finite, that the
// generated RTM images correlate with their models (the scaled image beats predicting zero), that
// and the SSIM helper on images with a known answer.
import { describe, expect, it } from 'vitest';
import { runUNetExample, ssim } from '../examples/unet/run.js';
import { useDevice } from './helpers.js';

describe('examples/unet', () => {
  useDevice();

  it('runs tiny, reports finite numbers and fields of the right shape', async () => {
    const opts = { n: 16, train: 4, val: 4, epochs: 1, batch: 4, width: 4, seed: 3 };
    const phases = new Set<string>();
    const r = await runUNetExample({ ...opts, onProgress: (p) => void phases.add(p.phase) });
    expect([...phases]).toEqual(['data', 'train']);
    expect(r.trainLoss).toHaveLength(1);
    expect(r.valRelL2).toHaveLength(1);
    expect(r.steps).toBe(1);
    for (const v of [...r.trainLoss, ...r.valRelL2, ...Object.values(r.final)]) expect(Number.isFinite(v)).toBe(true);
    // The network's relative L2 on the host (float64) equals the GPU's per-epoch number.
    expect(r.final.valRelL2).toBeCloseTo(r.valRelL2[0]!, 4);
    // J^T J dv correlates with dv: the least-squares scale is positive and beats predicting zero.
    expect(r.final.baselineScale).toBeGreaterThan(0);
    expect(r.final.baselineRelL2).toBeLessThan(0.99);
    for (const f of Object.values(r.example)) {
      expect(f.shape).toEqual([16, 16]);
      expect(f.values.every(Number.isFinite)).toBe(true);
    }
    // The top rows are muted in the input and unperturbed in the target.
    expect(Array.from(r.example.input.values.subarray(0, 3 * 16)).every((v) => v === 0)).toBe(true);
  }, 200_000);

  it('ssim is 1 for equal images, ~0 for an image against a shifted independent one, and invariant to a common scale', () => {
    const n = 12;
    let s = 5;
    const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const a = Float64Array.from({ length: n * n }, rnd);
    const b = Float64Array.from({ length: n * n }, rnd);
    expect(ssim(a, a, n)).toBeCloseTo(1, 12);
    expect(Math.abs(ssim(a, b, n))).toBeLessThan(0.2);
    // A constant offset of the data range lowers only the luminance term, and scaling both images keeps SSIM.
    expect(
      ssim(
        a.map((v) => v + 1),
        a,
        n,
      ),
    ).toBeLessThan(0.9);
    expect(
      ssim(
        a.map((v) => 3 * v),
        b.map((v) => 3 * v),
        n,
      ),
    ).toBeCloseTo(ssim(a, b, n), 10);
  });
});
