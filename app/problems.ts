// The problems the app's pages solve, as host data and option builders with no DOM: the pages build
// them in the browser and test/app.test.ts builds the very same ones in Node to check the pages'
// numbers against the library run there.
import * as tl from '../src/index.js';
import { mulberry32 } from '../examples/common/random.js';

// ---- wavefield page --------------------------------------------------------------------------

export type WavefieldModel = 'layered' | 'marmousi';
export const WAVEFIELD_MODELS: readonly WavefieldModel[] = ['layered', 'marmousi'];

export interface WavefieldSurvey {
  model: WavefieldModel;
  nz: number;
  nx: number;
  /** Cell size in metres (both axes). */
  dx: number;
  dt: number;
  nt: number;
  freq: number;
  snapshotEvery: number;
  /** Row-major [nz, nx] velocity in m/s. */
  v: Float32Array;
  source: [number, number];
  receivers: [number, number][];
}

/** Flat layers, 2000 to 3500 m/s, with a dipping interface. */
function layered(nz: number, nx: number): Float32Array {
  const v = new Float32Array(nz * nx);
  for (let z = 0; z < nz; z++)
    for (let x = 0; x < nx; x++) {
      const dip = z - 0.15 * x;
      v[z * nx + x] = z < 25 ? 2000 : dip < 40 ? 2500 : z < 75 ? 3000 : 3500;
    }
  return v;
}

/** A Marmousi-like synthetic: folded, faulted layers with velocity rising with depth, a fast wedge and a slow lens. */
function marmousiLike(nz: number, nx: number): Float32Array {
  const v = new Float32Array(nz * nx);
  const rand = mulberry32(1988);
  const jitter = Array.from({ length: 12 }, () => 150 * (rand() - 0.5));
  for (let z = 0; z < nz; z++)
    for (let x = 0; x < nx; x++) {
      const fold = 8 * Math.sin((2 * Math.PI * x) / nx) + 0.2 * x;
      const throwZ = x > 0.55 * nx + 0.3 * z ? 10 : 0; // a normal fault
      const depth = z - fold + throwZ;
      const layer = Math.max(0, Math.min(11, Math.floor((depth + 20) / 11)));
      let s = 2000 + 130 * layer + jitter[layer]!;
      if ((z - 70) ** 2 / 60 + (x - 30) ** 2 / 300 < 1) s = 2100; // slow lens
      if (z > 80 && x > 60 && z - 80 > (100 - x) * 0.5) s = 3800; // fast wedge
      v[z * nx + x] = Math.min(3800, Math.max(2000, s));
    }
  return v;
}

/** 100x100 cells of 10 m, a 10 Hz Ricker source near the surface, 20 receivers along a line at 2 cells depth. */
export function wavefieldSurvey(model: WavefieldModel): WavefieldSurvey {
  const [nz, nx] = [100, 100];
  const v = model === 'layered' ? layered(nz, nx) : marmousiLike(nz, nx);
  const receivers: [number, number][] = Array.from({ length: 20 }, (_, k) => [2, 2 + 5 * k]);
  return { model, nz, nx, dx: 10, dt: 0.001, nt: 400, freq: 10, snapshotEvery: 10, v, source: [2, 50], receivers };
}

/** acoustic2d's options for the survey (one shot); call after tl.init(). */
export function wavefieldOptions(s: WavefieldSurvey): tl.Acoustic2dOptions {
  return {
    dx: s.dx,
    dt: s.dt,
    accuracy: 4,
    pmlWidth: 20,
    sourceAmplitudes: tl.reshape(tl.ricker(s.freq, s.nt, s.dt), [1, 1, s.nt]),
    sourceLocations: [[s.source]],
    receiverLocations: [s.receivers],
    snapshotEvery: s.snapshotEvery,
  };
}

// ---- fwi page --------------------------------------------------------------------------------

export interface FwiProblem {
  n: number;
  dx: number;
  dt: number;
  nt: number;
  freq: number;
  maxVel: number;
  v0: number;
  iterations: number;
  lr: number;
  vTrue: Float32Array;
  sources: [number, number][];
  receivers: [number, number][];
}

/** 32x32 cells of 20 m: a 2200 m/s background with a fast block and a slow disc, 4 shots, receivers at every node. */
export function fwiProblem(): FwiProblem {
  const n = 32;
  const v0 = 2200;
  const vTrue = new Float32Array(n * n).fill(v0);
  for (let z = 0; z < n; z++)
    for (let x = 0; x < n; x++) {
      if (z >= 8 && z < 15 && x >= 18 && x < 26) vTrue[z * n + x] = 2500;
      if ((z - 22) ** 2 + (x - 10) ** 2 < 16) vTrue[z * n + x] = 2000;
    }
  const sources: [number, number][] = [
    [2, 8],
    [2, 24],
    [29, 8],
    [29, 24],
  ];
  const receivers: [number, number][] = [];
  for (let z = 0; z < n; z++) for (let x = 0; x < n; x++) receivers.push([z, x]);
  return { n, dx: 20, dt: 0.003, nt: 100, freq: 6, maxVel: 3000, v0, iterations: 6, lr: 25, vTrue, sources, receivers };
}

/** acoustic2d's options for the FWI problem; call after tl.init(). */
export function fwiOptions(p: FwiProblem): tl.Acoustic2dOptions {
  const w = tl.reshape(tl.ricker(p.freq, p.nt, p.dt), [1, 1, p.nt]);
  return {
    dx: p.dx,
    dt: p.dt,
    accuracy: 4,
    pmlWidth: 8,
    pmlFreq: p.freq,
    maxVel: p.maxVel,
    sourceAmplitudes: tl.expand(w, [p.sources.length, 1, p.nt]),
    sourceLocations: p.sources.map((s) => [s]),
    receiverLocations: p.sources.map(() => p.receivers),
  };
}

/** The waveform misfit sum (d(v) - dObs)^2 / 2. */
export function fwiMisfit(v: tl.Tensor, opts: tl.Acoustic2dOptions, dObs: tl.Tensor): tl.Tensor {
  return tl.mul(tl.sum(tl.square(tl.sub(tl.acoustic2d(v, opts), dObs))), 0.5);
}

// ---- FNO page ------------------------------------------------------------------------------------

/**
 * Operator learning, small enough for a page: f -> u for the periodic screened Poisson problem
 * -Δu + κ²u = f on the unit torus (κ = 4π), as in examples/fno. Each f is a zero-mean Fourier
 * series with |k| <= 3 and amplitudes decaying like 1/(1 + |k|²); u is solved exactly with rfft2.
 */
export interface FnoProblem {
  n: number;
  train: number;
  val: number;
  batch: number;
  epochs: number;
  lr: number;
  kappa: number;
  /** The f samples, [train + val, 1, n, n] row-major. */
  f: Float32Array;
}

export function fnoProblem(): FnoProblem {
  const [n, train, val, kmax] = [16, 32, 8, 3];
  const rand = mulberry32(7);
  const f = new Float32Array((train + val) * n * n);
  for (let s = 0; s < train + val; s++) {
    const terms: [number, number, number, number][] = [];
    for (let k1 = -kmax; k1 <= kmax; k1++)
      for (let k2 = 0; k2 <= kmax; k2++) {
        if (k1 * k1 + k2 * k2 > kmax * kmax || (k2 === 0 && k1 <= 0)) continue;
        const a = 1 / (1 + k1 * k1 + k2 * k2);
        terms.push([k1, k2, a * (2 * rand() - 1), a * (2 * rand() - 1)]);
      }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (const [k1, k2, a, b] of terms) {
          const ph = (2 * Math.PI * (k1 * i + k2 * j)) / n;
          v += a * Math.cos(ph) + b * Math.sin(ph);
        }
        f[(s * n + i) * n + j] = v;
      }
  }
  return { n, train, val, batch: 8, epochs: 8, lr: 1e-2, kappa: 4 * Math.PI, f };
}

/** The exact u for a batch of f [b, 1, n, n], spectrally: û(k) = f̂(k) / (κ² + 4π²|k|²). */
export function fnoSolve(f: tl.Tensor, kappa: number): tl.Tensor {
  const n = f.shape[2]!;
  const wh = n / 2 + 1;
  const m = new Float32Array(n * wh);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < wh; j++) {
      const k1 = i <= n / 2 ? i : i - n;
      m[i * wh + j] = 1 / (kappa ** 2 + 4 * Math.PI ** 2 * (k1 * k1 + j * j));
    }
  return tl.irfft2(tl.mul(tl.rfft2(f), tl.tensor(m, { shape: [n, wh, 1] })), { s: [n, n] });
}

/** The page's model: FNO2d with 6 modes, width 8, two layers (seeded). */
export const fnoModel = (): tl.FNO2d =>
  new tl.FNO2d({ inChannels: 1, outChannels: 1, modes1: 6, modes2: 6, width: 8, layers: 2, projection: 16, padFraction: 0, seed: 1 });
