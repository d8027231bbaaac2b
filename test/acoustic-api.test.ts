// acoustic2d's bookkeeping: memory planning for long runs, checkpointed and stored gradients being
// identical, the device-side velocity guard, host copies dropped by in-place writes.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { useDevice } from './helpers.js';

describe('acoustic2d bookkeeping', () => {
  useDevice();

  it('plans a 1000x1000 run of 4000 steps without storing 4000 wavefields', () => {
    const v = tl.tensor(new Float32Array(1000 * 1000).fill(2500), { shape: [1000, 1000] });
    const plan = tl.acoustic2dPlan(v, { dx: 10, dt: 0.001, nt: 4000, receiverLocations: [[[0, 500]]] });
    const field = 4 * plan.paddedShape[0] * plan.paddedShape[1];
    expect(plan.paddedShape).toEqual([1044, 1044]);
    // k ~ sqrt(6 nt) = 155: 26 checkpoints of 6 fields plus one segment of 155 fields.
    expect(plan.checkpointEvery).toBe(155);
    expect(plan.backwardBytes).toBe(field * (6 * Math.ceil(4000 / 155) + 155));
    expect(plan.backwardBytes / field).toBeLessThan(400);
    // A budget that fits every step keeps them all (no recomputation).
    const small = tl.acoustic2dPlan(v, { dx: 10, dt: 0.001, nt: 10, receiverLocations: [[[0, 500]]] });
    expect(small.checkpointEvery).toBe(10);
    expect(plan.cflLimit).toBeCloseTo((0.6124 * 10) / 2500, 6);
    v.dispose();
  });

  it('reports a GPU-computed velocity above maxVel at the next read-back', async () => {
    const v = tl.full([12, 12], 1500).add(0);
    const opts = { dx: 5, dt: 0.001, nt: 6, receiverLocations: [[[1, 1]]], pmlWidth: 2 };
    expect(() => tl.acoustic2d(v, opts)).toThrow(/pass \{ maxVel \}/);
    await expect(tl.acoustic2d(v, { ...opts, maxVel: 1400 }).data()).rejects.toThrow(/above maxVel/);
    const nan = tl.full([12, 12], 1500).add(tl.tensor([[Number.NaN]]));
    await expect(tl.acoustic2d(nan, { ...opts, maxVel: 2000 }).data()).rejects.toThrow(/NaN/);
    // Within the bound it runs, and the flag does not linger.
    expect((await tl.acoustic2d(v, { ...opts, maxVel: 1600 }).data()).length).toBe(6);
  });

  it('drops the host copy once a kernel writes the tensor in place', async () => {
    const v = tl.tensor(new Float32Array(64).fill(1500), { shape: [8, 8] });
    const opts = { dx: 5, dt: 0.001, nt: 4, receiverLocations: [[[1, 1]]], pmlWidth: 1 };
    expect(tl.acoustic2d(v, opts).shape).toEqual([1, 1, 4]); // host values known: no maxVel needed
    new tl.SGD({ lr: 1 }).step(v, tl.ones([8, 8]));
    expect(() => tl.acoustic2d(v, opts)).toThrow(/maxVel/);
    expect(Array.from(await v.data()).every((x) => x === 1499)).toBe(true);
  });

  it('warns once below 6 cells per shortest wavelength, and not for a well-sampled wavelet', async () => {
    const v = tl.tensor(new Float32Array(400).fill(2000), { shape: [20, 20] });
    const run = (freq: number) => {
      const opts = {
        dx: 5,
        dt: 0.001,
        sourceAmplitudes: tl.ricker(freq, 400, 0.001).reshape([1, 1, 400]),
        sourceLocations: [[[10, 10]]],
        receiverLocations: [[[5, 5]]],
        pmlWidth: 2,
      };
      tl.acoustic2d(v, opts).dispose();
      opts.sourceAmplitudes.dispose();
    };
    const warn = console.warn;
    const seen: string[] = [];
    console.warn = (m: string) => void seen.push(m);
    try {
      run(10); // 2000 m/s over ~25 Hz (where the spectrum falls to 5% of its peak): ~16 cells of 5 m
      expect(seen).toEqual([]);
      run(61); // ~3 cells
      expect(seen.length).toBe(1);
      expect(seen[0]).toMatch(
        /acoustic2d: only \d\.\d cells per shortest wavelength \(v = 2000, f = \d+\.\d Hz\); below 6 the result is dispersed/,
      );
      run(61); // an inversion calls it every iteration: once is enough
      expect(seen.length).toBe(1);
    } finally {
      console.warn = warn;
    }
    await tl.sync();
  });

  it('validates its arguments with messages naming them', () => {
    const v = tl.tensor(new Float32Array(100).fill(2000), { shape: [10, 10] });
    const base = { dx: 5, dt: 0.0005, nt: 4 };
    expect(() => tl.acoustic2d(v, { ...base, receiverLocations: [[[10, 0]]] })).toThrow(
      /receiverLocations: location \(10, 0\) of shot 0 is outside the 10x10 grid/,
    );
    expect(() => tl.acoustic2d(v, { ...base, dt: 0.01, receiverLocations: [[[1, 1]]] })).toThrow(/largest stable dt is 0\.00153/);
    expect(() => tl.acoustic2d(v, { ...base, accuracy: 3 as never })).toThrow(/accuracy: expected 2, 4, 6 or 8, got 3/);
    expect(() => tl.acoustic2d(v, { ...base, pmlWidth: -1 })).toThrow(/pmlWidth\[0\]: expected a non-negative integer, got -1/);
    // A misspelt option would silently give other physics: it is an error naming the intended one.
    for (const [bad, good] of [
      ['pmlwidth', 'pmlWidth'],
      ['freesurface', 'freeSurface'],
      ['acuracy', 'accuracy'],
    ]) {
      expect(() => tl.acoustic2d(v, { ...base, [bad!]: 1 })).toThrow(
        `tellus: acoustic2d: unknown option '${bad}' (did you mean '${good}'?)`,
      );
    }
    expect(() => tl.born2d(v, v, { ...base, checkpointevery: 2 } as never)).toThrow(
      "tellus: born2d: unknown option 'checkpointevery' (did you mean 'checkpointEvery'?)",
    );
    const amps = tl.zeros([2, 1, 4]);
    expect(() => tl.acoustic2d(v, { ...base, sourceAmplitudes: amps, sourceLocations: [[[1, 1]]] })).toThrow(
      /sourceLocations: expected 2 shots \(as sourceAmplitudes\), got 1/,
    );
    expect(() => tl.acoustic2d(v, { dx: 5, dt: 0.0005, sourceAmplitudes: amps })).toThrow(/sourceLocations: required/);
    const bad = tl.tensor(new Float32Array(100).fill(2000).fill(-1, 42, 43), { shape: [10, 10] });
    expect(() => tl.acoustic2d(bad, { ...base, receiverLocations: [[[1, 1]]] })).toThrow(
      /expected positive finite velocities, got -1 at cell \(4, 2\)/,
    );
    expect(() => tl.ricker(0, 10, 0.001)).toThrow(/ricker: freq: expected a positive number, got 0/);
  });

  it('gives the Ricker wavelet with its peak at the delay', async () => {
    const w = await tl.ricker(10, 101, 0.002, 0.1).data();
    for (let i = 0; i < 101; i++) {
      const a = (Math.PI * 10 * (i * 0.002 - 0.1)) ** 2;
      expect(w[i]!).toBeCloseTo((1 - 2 * a) * Math.exp(-a), 6);
    }
    expect(w[50]).toBe(1);
  });
});
