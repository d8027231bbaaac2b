// Layered velocity models in the spirit of the BG Compass model (the JI-FNO paper's, issue 20):
// layers of random thickness that thicken or thin across the model (so their dips differ), a
// regional dip, a gentle fold, a few normal faults, velocities 1.5-4.5 km/s rising with depth on
// average. And smooth backgrounds m0 by randomized Gaussian smoothing of the slowness in depth or
// in vertical travel time (the paper's Figure 3). Generated on the host in float64 (the models are
// small) from a 32-bit integer PRNG, so a seed gives the same model in every runtime.
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { checkTensor } from '../../ops/emit.js';
import { argError, argErrorText, checkOptions, describeValue, optionNames } from '../../graph/options.js';
import { mulberry32 } from '../../graph/random.js';

type Range = readonly [number, number];

// The range and number checks of the host model generators (this file's and facies.ts).
export function checkRange(fn: string, arg: string, r: unknown, fallback: Range, lo: number, hi = Infinity, integer = false): Range {
  const v = r ?? fallback;
  const ok = (x: unknown): x is number =>
    typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi && (!integer || Number.isInteger(x));
  if (!Array.isArray(v) || v.length !== 2 || !ok(v[0]) || !ok(v[1]) || v[0] > v[1]) {
    const what = integer ? 'integers' : 'numbers';
    const got = Array.isArray(v) ? `[${v.map(describeValue).join(', ')}]` : describeValue(r);
    throw argErrorText(fn, arg, `[min, max] with min <= max, ${what} in [${lo}, ${hi}]`, got, RangeError);
  }
  return [v[0], v[1]];
}

export function checkNumber(fn: string, arg: string, x: unknown, fallback: number, lo: number, hi = Infinity, integer = false): number {
  const v = x ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v)))
    throw argError(fn, arg, `${integer ? 'an integer' : 'a finite number'} in [${lo}, ${hi}]`, x, RangeError);
  return v;
}

export interface LayeredModelOptions {
  /** Grid points along depth. Default 128. */
  nz?: number;
  /** Grid points along x. Default 256. */
  nx?: number;
  /** Grid spacing, both axes (km). Default 0.025. */
  dx?: number;
  /** Range of the number of layers (integers, drawn uniformly). Default [8, 16]. */
  layers?: Range;
  /** Range of layer thicknesses relative to the mean (depth / layers). Default [0.4, 1.6]. */
  thickness?: Range;
  /** Largest |regional dip| (degrees), drawn uniformly. Default 8. */
  dip?: number;
  /** Largest relative thickness change of a layer across the model (wedging: per-layer dips). Default 0.5. */
  wedge?: number;
  /** Largest fold amplitude (km), drawn uniformly. Default 0.1. */
  foldAmplitude?: number;
  /** Range of fold wavelengths (km). Default [2, 8]. */
  foldWavelength?: Range;
  /** Range of the number of normal faults (integers). Default [0, 3]. */
  faults?: Range;
  /** Range of fault throws (km, vertical, the hanging wall moving down). Default [0.05, 0.3]. */
  faultThrow?: Range;
  /** Range of fault dips (degrees from horizontal). Default [50, 80]. */
  faultDip?: Range;
  /** Lowest velocity (km/s), the trend at the surface. Default 1.5. */
  vmin?: number;
  /** Highest velocity (km/s), the trend at the bottom. Default 4.5. */
  vmax?: number;
  /** Per-layer velocity jitter about the linear depth trend: uniform in [-jitter, jitter] km/s, then clipped to [vmin, vmax]. Default 0.3. */
  jitter?: number;
  /** Seed (an integer in [0, 2^32)). Default 0. */
  seed?: number;
}
const LAYERED_OPTIONS = optionNames<LayeredModelOptions>()(
  'nz',
  'nx',
  'dx',
  'layers',
  'thickness',
  'dip',
  'wedge',
  'foldAmplitude',
  'foldWavelength',
  'faults',
  'faultThrow',
  'faultDip',
  'vmin',
  'vmax',
  'jitter',
  'seed',
);

export interface Fault {
  /** Where the fault meets the surface z = 0 (km; may lie outside the model). */
  xTop: number;
  /** +1 if the fault plane moves toward +x with depth, -1 toward -x; the hanging wall is that side. */
  direction: 1 | -1;
  /** Dip from horizontal (degrees). */
  dip: number;
  /** Vertical throw (km). */
  throw: number;
}

export interface LayeredModelValues {
  /** Velocity (km/s), float64, row-major [nz, nx]. */
  values: Float64Array;
  shape: [number, number];
  dx: number;
  /** Each layer's velocity (km/s), top first. */
  layerVelocities: Float64Array;
  /** Depth (km) of the interface below layer k at column j, [layers - 1, nx] row-major, before faulting. */
  interfaces: Float64Array;
  /** Faults in the order applied (a later fault offsets the earlier ones). */
  faults: Fault[];
}

export interface LayeredModel extends LayeredModelValues {
  /** Velocity (km/s), float32 [nz, nx]: `values` on the device. */
  velocity: Tensor;
}

/** x of fault f's plane at depth z. */
export function faultTrace(f: Fault, z: number): number {
  return f.xTop + (f.direction * z) / Math.tan((f.dip * Math.PI) / 180);
}

/**
 * A random layered velocity model [nz, nx] (km/s), seeded. Interface k sits at the cumulative
 * thickness of the layers above it, each thickness varying linearly across the model (wedges),
 * all shifted by a regional dip and a sinusoidal fold, so interfaces never cross before faulting.
 * Then normal faults (planar, vertical throw of the hanging wall), the last drawn applied last.
 * Layer k's velocity is the linear trend vmin -> vmax at its mean mid-depth plus uniform jitter.
 */
export function layeredModel(opts: LayeredModelOptions = {}): LayeredModel {
  const res = layeredModelValues(opts);
  return { velocity: tensor(Float32Array.from(res.values), { shape: res.shape }), ...res };
}

/** layeredModel on the host only (no device needed): the float64 values and the metadata. */
export function layeredModelValues(opts: LayeredModelOptions = {}): LayeredModelValues {
  const FN = 'layeredModel(opts)';
  checkOptions(opts, LAYERED_OPTIONS, FN);
  const nz = checkNumber(FN, 'opts.nz', opts.nz, 128, 2, 1 << 16, true);
  const nx = checkNumber(FN, 'opts.nx', opts.nx, 256, 2, 1 << 16, true);
  const dx = checkNumber(FN, 'opts.dx', opts.dx, 0.025, Number.MIN_VALUE);
  const layerRange = checkRange(FN, 'opts.layers', opts.layers, [8, 16], 1, 1 << 12, true);
  const thickRange = checkRange(FN, 'opts.thickness', opts.thickness, [0.4, 1.6], Number.MIN_VALUE);
  const dipMax = checkNumber(FN, 'opts.dip', opts.dip, 8, 0, 60);
  const wedge = checkNumber(FN, 'opts.wedge', opts.wedge, 0.5, 0, 0.9);
  const foldAmp = checkNumber(FN, 'opts.foldAmplitude', opts.foldAmplitude, 0.1, 0);
  const foldWave = checkRange(FN, 'opts.foldWavelength', opts.foldWavelength, [2, 8], Number.MIN_VALUE);
  const faultRange = checkRange(FN, 'opts.faults', opts.faults, [0, 3], 0, 1 << 10, true);
  const throwRange = checkRange(FN, 'opts.faultThrow', opts.faultThrow, [0.05, 0.3], 0);
  const faultDipRange = checkRange(FN, 'opts.faultDip', opts.faultDip, [50, 80], 10, 90);
  const vmin = checkNumber(FN, 'opts.vmin', opts.vmin, 1.5, Number.MIN_VALUE);
  const vmax = checkNumber(FN, 'opts.vmax', opts.vmax, 4.5, vmin);
  const jitter = checkNumber(FN, 'opts.jitter', opts.jitter, 0.3, 0);
  const seed = checkNumber(FN, 'opts.seed', opts.seed, 0, 0, 2 ** 32 - 1, true);

  const r = mulberry32(seed);
  const uniform = (a: number, b: number) => a + (b - a) * r();
  const integer = ([a, b]: Range) => a + Math.min(b - a, Math.floor(r() * (b - a + 1)));
  const depth = (nz - 1) * dx;
  const width = (nx - 1) * dx;
  const xs = Float64Array.from({ length: nx }, (_, j) => j * dx - width / 2);

  // Thicknesses scaled to fill the depth on average.
  const nLayers = integer(layerRange);
  const h = Float64Array.from({ length: nLayers }, () => uniform(thickRange[0], thickRange[1]));
  const hSum = h.reduce((a, b) => a + b, 0);
  for (let k = 0; k < nLayers; k++) h[k] = (h[k]! * depth) / hSum;
  const slope = Math.tan((uniform(-dipMax, dipMax) * Math.PI) / 180);
  const amp = uniform(0, foldAmp);
  const wave = uniform(foldWave[0], foldWave[1]);
  const phase = uniform(0, 2 * Math.PI);
  const shift = Float64Array.from(xs, (x) => slope * x + amp * Math.sin((2 * Math.PI * x) / wave + phase));
  const interfaces = new Float64Array((nLayers - 1) * nx);
  const cum = new Float64Array(nx);
  const mid = new Float64Array(nLayers); // mean mid-depth of each layer, for its velocity
  for (let k = 0; k < nLayers; k++) {
    const w = uniform(-wedge, wedge);
    let s = 0;
    for (let j = 0; j < nx; j++) {
      const t = h[k]! * (1 + (w * xs[j]!) / Math.max(width / 2, dx));
      s += cum[j]! + t / 2 + shift[j]!;
      cum[j] = cum[j]! + t;
      if (k < nLayers - 1) interfaces[k * nx + j] = cum[j]! + shift[j]!;
    }
    mid[k] = s / nx;
  }
  const layerVelocities = Float64Array.from(mid, (m) => {
    const trend = vmin + ((vmax - vmin) * Math.min(Math.max(m, 0), depth)) / depth;
    return Math.min(vmax, Math.max(vmin, trend + uniform(-jitter, jitter)));
  });

  const faults: Fault[] = [];
  const nFaults = integer(faultRange);
  for (let f = 0; f < nFaults; f++) {
    const direction = r() < 0.5 ? -1 : 1;
    const dip = uniform(faultDipRange[0], faultDipRange[1]);
    const xMid = uniform(0.15 * width, 0.85 * width); // where the plane crosses mid-depth
    const fault: Fault = { xTop: 0, direction, dip, throw: uniform(throwRange[0], throwRange[1]) };
    fault.xTop = xMid - (faultTrace(fault, depth / 2) - fault.xTop);
    faults.push(fault);
  }

  // Each point is traced back through the faults, youngest first, to its depth before faulting.
  const values = new Float64Array(nz * nx);
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      let z = i * dx;
      const x = j * dx;
      for (let f = nFaults - 1; f >= 0; f--) {
        const fault = faults[f]!;
        if (fault.direction * (x - faultTrace(fault, z)) > 0) z -= fault.throw;
      }
      let k = 0;
      while (k < nLayers - 1 && z >= interfaces[k * nx + j]!) k++;
      values[i * nx + j] = layerVelocities[k]!;
    }
  return {
    values,
    shape: [nz, nx],
    dx,
    layerVelocities,
    interfaces,
    faults,
  };
}

export interface BackgroundModelOptions {
  /** Grid spacing of v, both axes (km). Default 0.025 (layeredModel's). */
  dx?: number;
  /** 'depth': Gaussian smoothing of the slowness along z; 'traveltime': along the vertical travel time; 'random': either, by the seed. Default 'random'. */
  mode?: 'depth' | 'traveltime' | 'random';
  /** Range of the Gaussian's standard deviation along depth (km), drawn uniformly. Default [0.1, 0.3]. */
  depthWidth?: Range;
  /** Range of the standard deviation along vertical one-way travel time (s). Default [0.04, 0.12]. */
  timeWidth?: Range;
  /** Range of the lateral standard deviation (km); [0, 0] (the default) smooths only vertically. */
  lateralWidth?: Range;
  /** Seed (an integer in [0, 2^32)). Default 0. */
  seed?: number;
}
const BACKGROUND_OPTIONS = optionNames<BackgroundModelOptions>()('dx', 'mode', 'depthWidth', 'timeWidth', 'lateralWidth', 'seed');

export interface BackgroundModel {
  /** Velocity (km/s), float32, v's shape. */
  velocity: Tensor;
  /** The same values in float64. */
  values: Float64Array;
  mode: 'depth' | 'traveltime';
  /** The standard deviation drawn: km for 'depth', s for 'traveltime'. */
  width: number;
  /** The lateral standard deviation drawn (km). */
  lateralWidth: number;
}

/**
 * Gaussian smoothing of `n` samples spaced 1 apart, standard deviation `sigma` samples, the kernel
 * cut at 4 sigma and renormalized over the samples inside the grid, so every output is a convex
 * combination of inputs (a constant stays constant, the range cannot grow).
 */
function smooth1d(src: Float64Array, sigma: number): Float64Array {
  const n = src.length;
  if (sigma <= 0) return Float64Array.from(src);
  const half = Math.ceil(4 * sigma);
  const w = Float64Array.from({ length: 2 * half + 1 }, (_, k) => Math.exp(-0.5 * ((k - half) / sigma) ** 2));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let ws = 0;
    for (let k = Math.max(-half, -i); k <= Math.min(half, n - 1 - i); k++) {
      s += w[k + half]! * src[i + k]!;
      ws += w[k + half]!;
    }
    out[i] = s / ws;
  }
  return out;
}

/** Linear interpolation of (xs, ys) at x, xs increasing; clamped at the ends. */
function interp(xs: Float64Array, ys: Float64Array, x: number, hint: { i: number }): number {
  const n = xs.length;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let i = hint.i;
  while (i < n - 2 && xs[i + 1]! <= x) i++;
  while (i > 0 && xs[i]! > x) i--;
  hint.i = i;
  const t = (x - xs[i]!) / (xs[i + 1]! - xs[i]!);
  return ys[i]! + t * (ys[i + 1]! - ys[i]!);
}

/**
 * Host version of backgroundModel: `values` row-major [nz, nx] velocities. In 'traveltime' mode
 * each column's slowness is resampled on a uniform grid of one-way vertical time
 * tau(z) = int_0^z s dz (trapezoids, nz samples), smoothed there, and read back at each depth's
 * tau: smoothing over a fixed time blurs more depth where the rock is fast, as in Figure 3.
 */
export function backgroundModelValues(values: ArrayLike<number>, nz: number, nx: number, opts: BackgroundModelOptions = {}) {
  const FN = 'backgroundModel(v, opts)';
  checkOptions(opts, BACKGROUND_OPTIONS, FN);
  const dx = checkNumber(FN, 'opts.dx', opts.dx, 0.025, Number.MIN_VALUE);
  const mode = opts.mode ?? 'random';
  if (mode !== 'depth' && mode !== 'traveltime' && mode !== 'random')
    throw argError(FN, 'opts.mode', "'depth', 'traveltime' or 'random'", opts.mode, RangeError);
  const depthWidth = checkRange(FN, 'opts.depthWidth', opts.depthWidth, [0.1, 0.3], 0);
  const timeWidth = checkRange(FN, 'opts.timeWidth', opts.timeWidth, [0.04, 0.12], 0);
  const lateralRange = checkRange(FN, 'opts.lateralWidth', opts.lateralWidth, [0, 0], 0);
  const seed = checkNumber(FN, 'opts.seed', opts.seed, 0, 0, 2 ** 32 - 1, true);
  checkNumber(FN, 'nz', nz, nz, 2, Infinity, true);
  checkNumber(FN, 'nx', nx, nx, 1, Infinity, true);
  if (values === null || typeof values !== 'object' || values.length !== nz * nx)
    throw argError(FN, 'v', `an array of nz * nx = ${nz * nx} velocities`, values, RangeError);
  for (let i = 0; i < nz * nx; i++) {
    const v = values[i]!;
    if (!(v > 0) || !Number.isFinite(v)) throw argErrorText(FN, 'v', 'finite velocities > 0', `${v} at index ${i}`, RangeError);
  }

  const r = mulberry32(seed ^ 0x9e3779b9);
  const uniform = ([a, b]: Range) => a + (b - a) * r();
  const drawn = mode === 'random' ? (r() < 0.5 ? 'depth' : 'traveltime') : mode;
  const width = uniform(drawn === 'depth' ? depthWidth : timeWidth);
  const lateralWidth = uniform(lateralRange);

  const slow = new Float64Array(nz * nx);
  const col = new Float64Array(nz);
  for (let j = 0; j < nx; j++) {
    for (let i = 0; i < nz; i++) col[i] = 1 / values[i * nx + j]!;
    let out: Float64Array;
    if (drawn === 'depth') out = smooth1d(col, width / dx);
    else {
      const tau = new Float64Array(nz);
      for (let i = 1; i < nz; i++) tau[i] = tau[i - 1]! + (dx * (col[i - 1]! + col[i]!)) / 2;
      const dt = tau[nz - 1]! / (nz - 1);
      const hint = { i: 0 };
      const onTime = Float64Array.from({ length: nz }, (_, k) => interp(tau, col, k * dt, hint));
      const smoothed = smooth1d(onTime, width / dt);
      const times = Float64Array.from({ length: nz }, (_, k) => k * dt);
      hint.i = 0;
      out = Float64Array.from(tau, (t) => interp(times, smoothed, t, hint));
    }
    for (let i = 0; i < nz; i++) slow[i * nx + j] = out[i]!;
  }
  if (lateralWidth > 0) {
    const row = new Float64Array(nx);
    for (let i = 0; i < nz; i++) {
      for (let j = 0; j < nx; j++) row[j] = slow[i * nx + j]!;
      const out = smooth1d(row, lateralWidth / dx);
      for (let j = 0; j < nx; j++) slow[i * nx + j] = out[j]!;
    }
  }
  return { values: Float64Array.from(slow, (s) => 1 / s), mode: drawn, width, lateralWidth };
}

/**
 * A smooth background m0 for the velocity v [nz, nx] (km/s): the slowness smoothed by a Gaussian
 * of random width along depth or along vertical travel time (see backgroundModelValues), then
 * optionally laterally. Reads v back to the host.
 */
export async function backgroundModel(v: Tensor, opts: BackgroundModelOptions = {}): Promise<BackgroundModel> {
  const FN = 'backgroundModel(v, opts)';
  checkTensor(v, FN, 'v');
  if (v.rank !== 2 || v.dtype !== 'float32') throw argError(FN, 'v', 'a float32 tensor [nz, nx]', v, RangeError);
  checkOptions(opts, BACKGROUND_OPTIONS, FN);
  const [nz, nx] = v.shape as [number, number];
  const res = backgroundModelValues(await v.data(), nz, nx, opts);
  return { velocity: tensor(Float32Array.from(res.values), { shape: [nz, nx] }), ...res };
}
