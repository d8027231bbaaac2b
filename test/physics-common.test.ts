// The helpers physics ops share (src/physics/common): each names the calling op in its errors, and
// the numerical ones match closed forms (Courant numbers, the Ricker wavelet's zeros and spectrum,
// the C-PML profile, the checkpoint interval's optimum).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as common from '../src/physics/common/index.js';
import { useDevice } from './helpers.js';

describe('physics/common', () => {
  useDevice();

  it('validators name the calling op, the argument, what was expected and what was given', () => {
    expect(() => common.positive('myOp', 'dx', 0)).toThrow(/^tellus: myOp: dx: expected a positive finite number, got 0$/);
    expect(() => common.nonNegInt('myOp', 'nt', 1.5)).toThrow(/^tellus: myOp: nt: expected a non-negative integer, got 1.5$/);
    expect(() => common.boolean('myOp', 'freeSurface', 1)).toThrow(/^tellus: myOp: freeSurface: expected a boolean, got 1$/);
    expect(() => common.options('myOp', null as never, ['dx'])).toThrow(/^tellus: myOp: options: expected an object, got null$/);
    expect(() => common.options('myOp', { dz: 1 }, ['dx', 'dt'])).toThrow(
      "tellus: myOp: unknown option 'dz' (did you mean 'dx'?); valid options: dx, dt",
    );
    expect(() => common.floatTensor('myOp', 'v', [1, 2])).toThrow(/^tellus: myOp: v: expected a Tensor, got an array of length 2/);
    expect(() => common.floatTensor('myOp', 'v', tl.tensor(new Int32Array(2)))).toThrow(
      /^tellus: myOp: v: expected a float32 tensor, got an int32 tensor of shape \[2\]$/,
    );
    expect(() => common.maxVelocity('myOp', 'v', [1, 2, Number.NaN, 4], 2)).toThrow(
      /^tellus: myOp: v: expected positive finite velocities, got NaN at cell \(1, 0\)$/,
    );
    expect(common.maxVelocity('myOp', 'v', [1, 5, 3], 3)).toBe(5);
    expect(() => common.velocityBounds('myOp', 'v', null, 3, undefined)).toThrow(
      /^tellus: myOp: v was computed on the GPU.*pass \{ maxVel \}/,
    );
    expect(() => common.velocityBounds('myOp', 'v', [1, 5], 2, 4)).toThrow(
      /^tellus: myOp: maxVel: expected a number >= the model's largest velocity \(5\), got 4$/,
    );
    expect(common.velocityBounds('myOp', 'v', [1, 5], 2, 6)).toEqual({ vmax: 6, vstable: 5 });
    expect(common.velocityBounds('myOp', 'v', null, 2, 6)).toEqual({ vmax: 6, vstable: 6 });
    expect(() => common.pmlWidths('myOp', [1, 2, 3])).toThrow(
      /^tellus: myOp: pmlWidth: expected a number or \[top, bottom, left, right\], got \[1,2,3\]$/,
    );
    expect(() => common.pmlWidths('myOp', [1, 2, -3, 4])).toThrow(/^tellus: myOp: pmlWidth\[2\]: expected a non-negative integer, got -3$/);
    expect(common.pmlWidths('myOp', 5, true)).toEqual([0, 5, 5, 5]);
    expect(() => common.pmlFreq('myOp', -1)).toThrow(/^tellus: myOp: pmlFreq: expected a non-negative number, got -1$/);
    expect(() => common.checkpointInterval('myOp', { checkpointEvery: 0 }, 10, 4, 6)).toThrow(
      /^tellus: myOp: checkpointEvery: expected an integer >= 1, got 0$/,
    );
    expect(() => common.checkpointInterval('myOp', { memoryBudget: -1 }, 10, 4, 6)).toThrow(
      /^tellus: myOp: memoryBudget: expected a positive finite number, got -1$/,
    );
    expect(() => common.checkCfl('myOp', 0.01, 0.005, 'accuracy 4', 'max velocity 2000')).toThrow(
      /^tellus: myOp: dt = 0.01 exceeds the CFL limit for accuracy 4: the largest stable dt is 0.00500000 \(max velocity 2000\)$/,
    );
  });

  it('locations: shapes, shot counts and grid bounds, with the op and argument in the message', () => {
    expect(
      common.locations(
        'myOp',
        'receiverLocations',
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
        [4, 4],
      ),
    ).toEqual({
      n: 2,
      shots: 1,
      cells: [
        [0, 1],
        [2, 3],
      ],
    });
    expect(common.locations('myOp', 'r', tl.tensor(new Int32Array([1, 1, 2, 2]), { shape: [2, 1, 2] }), [3, 3])).toEqual({
      n: 1,
      shots: 2,
      cells: [
        [1, 1],
        [2, 2],
      ],
    });
    expect(() =>
      common.locations(
        'myOp',
        'r',
        [
          [[0, 1]],
          [
            [1, 1],
            [2, 2],
          ],
        ],
        [4, 4],
      ),
    ).toThrow(/^tellus: myOp: r\[1\]: expected an array of 1 locations \(as r\[0\]\), got an array of length 2$/);
    expect(() => common.locations('myOp', 'r', [[[0, 1, 2]]], [4, 4])).toThrow(
      /^tellus: myOp: r\[0\]\[0\]: expected a pair \(z, x\), got \[0,1,2\]$/,
    );
    expect(() => common.locations('myOp', 'r', [[[0, 4]]], [4, 4])).toThrow(
      /^tellus: myOp: r: location \(0, 4\) of shot 0 is outside the 4x4 grid/,
    );
    expect(() => common.locations('myOp', 'r', [[[0, 1]]], [4, 4], 2)).toThrow(
      /^tellus: myOp: r: expected 2 shots \(as sourceAmplitudes\), got 1$/,
    );
    expect(() => common.locations('myOp', 'r', tl.tensor([[[0, 1]]]), [4, 4])).toThrow(
      /^tellus: myOp: r: expected an int32 tensor, got a float32 tensor of shape \[1, 1, 2\]$/,
    );
    expect(common.distinctPerShot(Int32Array.from([1, 2, 1, 1]), 2)).toBe(false);
    expect(common.distinctPerShot(Int32Array.from([1, 2, 2, 1]), 2)).toBe(true);
  });

  it('cflLimit gives the Courant numbers of leapfrog with 2nd to 8th-order stencils', () => {
    // v dt / h at the limit on a square grid: sqrt(2/S) per unit of the 1D limit, S the weight sum.
    const weights = [
      [-2, 1],
      [-5 / 2, 4 / 3, -1 / 12],
      [-49 / 18, 3 / 2, -3 / 20, 1 / 90],
      [-205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560],
    ];
    const courant = weights.map((w) => (common.cflLimit(w, [10, 10], 2000) * 2000) / 10);
    expect(courant[0]).toBeCloseTo(Math.SQRT1_2, 12); // exact: 1/sqrt(2) for the 3-point stencil
    courant.slice(1).forEach((c, i) => expect(c).toBeCloseTo([0.6124, 0.5752, 0.5546][i]!, 4));
    // The public accuracy form agrees, and in 1D the 3-point limit is the classic v dt = h.
    expect(tl.cflLimit(4, 10, 10, 2000)).toBe(common.cflLimit(weights[1]!, [10, 10], 2000));
    expect(common.cflLimit([-2, 1], [10], 2000)).toBeCloseTo(10 / 2000, 15);
    expect(() => tl.cflLimit(5 as never, 10, 10, 2000)).toThrow(/^tellus: cflLimit: accuracy: expected 2, 4, 6 or 8, got 5$/);
  });

  it('the Ricker wavelet has its closed-form zeros, zero mean and spectral peak at freq', () => {
    const f = 12;
    const dt = 1e-4;
    const delay = 0.2; // tails beyond ±0.2 s are below exp(-(pi f 0.2)²) ~ 1e-24
    const w = common.rickerValues(f, 4001, dt, delay);
    // Zeros at tau = ±1/(pi f sqrt 2), the peak 1 at tau = 0.
    const zero = 1 / (Math.PI * f * Math.SQRT2);
    expect(w[Math.round(delay / dt)]).toBeCloseTo(1, 12);
    for (const s of [-1, 1]) {
      const t = delay + s * zero;
      const i = Math.floor(t / dt);
      expect(Math.sign(w[i]!)).not.toBe(Math.sign(w[i + 1]!)); // the sign changes within [i dt, (i + 1) dt]
    }
    // The integral of a Ricker is zero; its amplitude spectrum f²/f0² exp(-f²/f0²) peaks at f0.
    expect(Math.abs(w.reduce((a, b) => a + b, 0) * dt)).toBeLessThan(1e-12);
    const amp = (nu: number) =>
      Math.hypot(...[0, 1].map((k) => w.reduce((a, v, i) => a + v * (k ? Math.sin : Math.cos)(2 * Math.PI * nu * i * dt), 0)));
    expect(amp(f)).toBeGreaterThan(amp(f * 0.9));
    expect(amp(f)).toBeGreaterThan(amp(f * 1.1));
    expect(amp(2 * f) / amp(f)).toBeCloseTo(4 * Math.exp(-3), 3);
  });

  it('highestFrequency finds where a band-limited spectrum falls to 5% of its peak', () => {
    // A Ricker's spectrum (f/f0)² exp(1 - (f/f0)²) relative to its peak falls to 0.05 near 2.9 f0.
    const f0 = 10;
    const dt = 0.002;
    const fmax = common.highestFrequency(common.rickerValues(f0, 500, dt), dt)!;
    let x = 2;
    while (x * x * Math.exp(1 - x * x) > 0.05) x += 1e-4;
    expect(Math.abs(fmax - x * f0)).toBeLessThan(1 / (255 * 2 * dt)); // one probe of 256 up to Nyquist
    expect(common.highestFrequency([0, 0, 0, 0], dt)).toBeNull();
  });

  it('the C-PML profile: a = exp(-(sigma + alpha) dt) with sigma0 frac², zero inside, one-sided widths', () => {
    const [n, R, w0, w1, h, dt, f] = [6, 2, 3, 0, 5, 1e-3, 25];
    const sigma0 = common.pmlSigma0(2000, [w0 * h, w1 * h]);
    expect(sigma0).toBeCloseTo((-3 * 2000 * Math.log(0.001)) / (2 * 15), 9);
    const [a, b] = common.pmlProfile(n, R, w0, w1, h, dt, sigma0, f, [2 / 3, -1 / 12]);
    expect(a.length).toBe(n + w0 + w1 + 2 * R);
    for (let i = 0; i < a.length; i++) {
      const frac = Math.min(1, Math.max(0, (R + w0 - i) / w0));
      const s = sigma0 * frac * frac;
      const al = Math.PI * f * (1 - frac);
      expect(a[i]).toBeCloseTo(frac === 0 ? 0 : Math.exp(-(s + al) * dt), 12);
      expect(b[i]).toBeCloseTo(frac === 0 ? 0 : (s / (s + al)) * (a[i]! - 1), 12);
    }
    expect(common.pmlSigma0(2000, [0, 0])).toBe(0);
  });

  it('checkpointInterval keeps every step when they fit, else k = round(sqrt(c nt)), the minimiser of c nt / k + k', () => {
    expect(common.checkpointInterval('myOp', {}, 100, 1000, 6)).toBe(100);
    const k = common.checkpointInterval('myOp', { memoryBudget: 1000 }, 4000, 1000, 6);
    expect(k).toBe(155);
    const cost = (j: number) => common.backwardBytes(4000, j, 1000, 6);
    expect(cost(k)).toBeLessThanOrEqual(Math.min(cost(k - 10), cost(k + 10)));
    expect(cost(k)).toBe(1000 * (6 * 26 + 155));
    expect(common.checkpointInterval('myOp', { checkpointEvery: 50 }, 20, 1000, 6)).toBe(20);
  });
});

describe('physics ops name themselves in their errors', () => {
  useDevice();

  it('born2d, rtm2d, gaussNewton2d, acoustic2dPlan and acoustic2dWavefield report their own names, not acoustic2d', () => {
    const v = tl.tensor(new Float32Array(100).fill(2000), { shape: [10, 10] });
    const opts = { dx: 5, dt: 0.0005, nt: 4, receiverLocations: [[[1, 1]]] };
    expect(() => tl.born2d(v, tl.zeros([10, 10]), { ...opts, dx: 0 })).toThrow(
      /^tellus: born2d: dx: expected a positive finite number, got 0$/,
    );
    expect(() => tl.born2d(v, tl.zeros([10, 9]), opts)).toThrow(
      /^tellus: born2d: dv: expected a tensor of shape \[10, 10\] \(as v0\) or one per shot \[1, 10, 10\], got a float32 tensor of shape \[10, 9\]$/,
    );
    expect(() => tl.acoustic2dPlan(v, { ...opts, pmlWidth: -2 })).toThrow(
      /^tellus: acoustic2dPlan: pmlWidth\[0\]: expected a non-negative integer, got -2$/,
    );
    expect(() => tl.acoustic2dWavefield(v, { ...opts, receiverLocations: [[[0, 10]]] })).toThrow(
      /^tellus: acoustic2dWavefield: receiverLocations: location \(0, 10\) of shot 0 is outside/,
    );
    expect(() => tl.rtm2d(v, tl.zeros([1, 1, 4]), { ...opts, dt: 1 })).toThrow(
      /^tellus: rtm2d: dt = 1 exceeds the CFL limit for accuracy 4/,
    );
    expect(() => tl.rtm2d(v, tl.zeros([1, 2, 4]), opts)).toThrow(
      /^tellus: rtm2d: data: expected a tensor of the receivers' shape \[1, 1, 4\] \(\[shot, receiver, time\]\), got a float32 tensor of shape \[1, 2, 4\]$/,
    );
    expect(() => tl.gaussNewton2d(v, tl.zeros([10, 10]), { ...opts, freeSurface: 'yes' as never })).toThrow(
      /^tellus: gaussNewton2d: freeSurface: expected a boolean, got "yes"$/,
    );
    expect(() => tl.acoustic2d(v, { ...opts, checkpointEvery: 0 })).toThrow(
      /^tellus: acoustic2d: checkpointEvery: expected an integer >= 1, got 0$/,
    );
    expect(() => tl.acoustic2d(tl.tensor(new Int32Array(4), { shape: [2, 2] }), opts)).toThrow(
      /^tellus: acoustic2d: v: expected a float32 tensor, got an int32 tensor of shape \[2, 2\]$/,
    );
    v.dispose();
  });
});
