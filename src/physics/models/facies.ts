// Binary facies models: sand channels (1) in a shale background (0), the classic training image of
// geostatistics and of generative priors for inversion (Laloy et al. 2018, Mosser et al. 2020).
// Each channel is a sinuous ribbon: a straight axis at a random angle through the model, displaced
// along its normal by a sum of 1-3 sines, and every cell within half the channel's width of that
// centreline is sand. Generated on the host from the 32-bit PRNG, so a seed gives the same bytes
// in every runtime. Lengths are in cells; angles in degrees from +x, positive turning toward +z.
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { mulberry32 } from '../../graph/random.js';
import { checkNumber, checkRange } from './layered.js';

type Range = readonly [number, number];

export interface ChannelModelOptions {
  /** Rows (depth, or the map's y). Default 64. */
  nz?: number;
  /** Columns. Default 64. */
  nx?: number;
  /** Range of the number of channels (integers, drawn uniformly). Default [2, 4]. */
  count?: Range;
  /** Range of channel widths (cells, the full width across the centreline). Default [nz / 16, nz / 8] (4-8 at 64). */
  width?: Range;
  /** Range of the axis angle (degrees from +x toward +z). Default [-30, 30]. */
  angle?: Range;
  /** Range of the number of sines summed into the centreline (integers). Default [1, 3]. */
  sines?: Range;
  /** Range of each sine's amplitude (cells, normal to the axis). Default [nz / 32, nz / 10] (2-6.4 at 64). */
  amplitude?: Range;
  /** Range of each sine's wavelength (cells, along the axis). Default [nx / 4, nx] (16-64 at 64). */
  wavelength?: Range;
  /** Seed (an integer in [0, 2^32)). Default 0. */
  seed?: number;
}
const CHANNEL_OPTIONS = optionNames<ChannelModelOptions>()(
  'nz',
  'nx',
  'count',
  'width',
  'angle',
  'sines',
  'amplitude',
  'wavelength',
  'seed',
);

export interface ChannelModelValues {
  /** 1 = sand, 0 = shale, row-major [nz, nx]. */
  values: Float32Array;
  nz: number;
  nx: number;
}

/**
 * A random channel model [nz, nx]: `count` channels, each with its own angle, width and sines.
 * The axis passes through the grid's centre shifted along its normal by a uniform offset within the
 * grid's extent across the axis, so every straight axis crosses the model. The ribbon is the union
 * of disks of radius width / 2 centred on centreline points at most 0.25 cells apart (arc length),
 * which is within 0.25^2 / (4 width) cells of the exact tube.
 */
export function channelModelValues(opts: ChannelModelOptions = {}): ChannelModelValues {
  const FN = 'channelModelValues(opts)';
  checkOptions(opts, CHANNEL_OPTIONS, FN);
  const nz = checkNumber(FN, 'opts.nz', opts.nz, 64, 2, 1 << 16, true);
  const nx = checkNumber(FN, 'opts.nx', opts.nx, 64, 2, 1 << 16, true);
  const countRange = checkRange(FN, 'opts.count', opts.count, [2, 4], 0, 1 << 10, true);
  const widthRange = checkRange(FN, 'opts.width', opts.width, [nz / 16, nz / 8], Number.MIN_VALUE);
  const angleRange = checkRange(FN, 'opts.angle', opts.angle, [-30, 30], -180, 180);
  const sinesRange = checkRange(FN, 'opts.sines', opts.sines, [1, 3], 0, 64, true);
  const ampRange = checkRange(FN, 'opts.amplitude', opts.amplitude, [nz / 32, nz / 10], 0);
  const waveRange = checkRange(FN, 'opts.wavelength', opts.wavelength, [nx / 4, nx], Number.MIN_VALUE);
  const seed = checkNumber(FN, 'opts.seed', opts.seed, 0, 0, 2 ** 32 - 1, true);

  const r = mulberry32(seed);
  const uniform = ([a, b]: Range) => a + (b - a) * r();
  const integer = ([a, b]: Range) => a + Math.min(b - a, Math.floor(r() * (b - a + 1)));
  const values = new Float32Array(nz * nx);
  const channels = integer(countRange);
  for (let c = 0; c < channels; c++) {
    const theta = (uniform(angleRange) * Math.PI) / 180;
    const [ux, uz] = [Math.cos(theta), Math.sin(theta)]; // along the axis
    const [vx, vz] = [-uz, ux]; // its normal
    const radius = uniform(widthRange) / 2;
    const across = (Math.abs(nz * ux) + Math.abs(nx * uz)) / 2; // half the grid's extent along the normal
    const offset = uniform([-across, across]);
    const [x0, z0] = [(nx - 1) / 2 + offset * vx, (nz - 1) / 2 + offset * vz];
    const waves = Array.from({ length: integer(sinesRange) }, () => ({
      a: uniform(ampRange),
      k: (2 * Math.PI) / uniform(waveRange),
      phase: 2 * Math.PI * r(),
    }));
    const amp = waves.reduce((s, w) => s + w.a, 0);
    // Far enough along the axis that the ribbon has left the grid at both ends.
    const reach = Math.hypot(nz, nx) / 2 + amp + radius + 1;
    for (let s = -reach; s <= reach;) {
      let d = 0;
      let slope = 0;
      for (const w of waves) {
        d += w.a * Math.sin(w.k * s + w.phase);
        slope += w.a * w.k * Math.cos(w.k * s + w.phase);
      }
      stamp(values, nz, nx, z0 + s * uz + d * vz, x0 + s * ux + d * vx, radius);
      s += 0.25 / Math.sqrt(1 + slope * slope);
    }
  }
  return { values, nz, nx };
}

/** Sets the cells whose centres lie within `radius` of (z, x) to 1. */
function stamp(values: Float32Array, nz: number, nx: number, z: number, x: number, radius: number): void {
  const r2 = radius * radius;
  const [i0, i1] = [Math.max(0, Math.ceil(z - radius)), Math.min(nz - 1, Math.floor(z + radius))];
  const [j0, j1] = [Math.max(0, Math.ceil(x - radius)), Math.min(nx - 1, Math.floor(x + radius))];
  for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) if ((i - z) * (i - z) + (j - x) * (j - x) <= r2) values[i * nx + j] = 1;
}

export interface FaciesVelocityOptions {
  /** Velocity of the background, facies 0 (km/s). Default 2.0. */
  shale?: number;
  /** Velocity of the channels, facies 1 (km/s). Default 2.5. */
  sand?: number;
}
const VELOCITY_OPTIONS = optionNames<FaciesVelocityOptions>()('shale', 'sand');

/**
 * Velocities (km/s) of facies values: shale + (sand - shale) f, with f clipped to [0, 1], so soft
 * values from a network map between the two (and never outside them, which keeps a solver's CFL
 * bound valid). Defaults 2.0 km/s for shale and 2.5 km/s for brine sand, typical of shallow
 * clastic sediments, a 25% contrast (reflection coefficient 0.11) that surface data resolve.
 */
export function faciesVelocity(values: ArrayLike<number>, opts: FaciesVelocityOptions = {}): Float32Array {
  const FN = 'faciesVelocity(values, opts)';
  checkOptions(opts, VELOCITY_OPTIONS, FN);
  const shale = checkNumber(FN, 'opts.shale', opts.shale, 2, Number.MIN_VALUE);
  const sand = checkNumber(FN, 'opts.sand', opts.sand, 2.5, Number.MIN_VALUE);
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number')
    throw argError(FN, 'values', 'an array of facies values', values);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const f = values[i]!;
    if (Number.isNaN(f)) throw argErrorText(FN, 'values', 'numbers, not NaN', `NaN at index ${i}`, RangeError);
    out[i] = shale + (sand - shale) * Math.min(1, Math.max(0, f));
  }
  return out;
}
