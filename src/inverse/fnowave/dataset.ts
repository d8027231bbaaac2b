// Training data for a wave surrogate (Yang et al. 2021): per sample one von Karman velocity model
// and one random source point, a Ricker source, and acoustic2d's wavefield at N times on every
// node (the d x d x N target) plus traces at a few receivers at every time step. Samples are
// written in shards (safetensors) through a ShardStore, with a manifest of the parameters, the
// per-sample seeds and the shards done. Sample i depends only on (seed, i), so a rerun skips the
// shards the manifest lists and produces the same bytes as an uninterrupted run.
// Units: km, km/s and s (the paper's); acoustic2d runs in metres.
import { argError, argErrorText, checkOptions, integerArg, optionNames, positiveArg } from '../../graph/options.js';
import { type Tensor, tidy } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat, mul, reshape, stack } from '../../autodiff/ops.js';
import { acoustic2dWavefield, type Acoustic2dOptions } from '../../physics/acoustic/index.js';
import { ricker } from '../../physics/common/wavelets.js';
import { vonKarman } from '../../physics/models/vonkarman.js';
import { saveSafetensors } from '../../nn/safetensors.js';
import type { ShardStore } from './store.js';
import { type ShardHooks, type ShardInfo, shardName, writeShardSet } from '../shards.js';
import { mulberry32 } from '../../graph/random.js';

export interface WaveDataOptions {
  /** Number of simulations. */
  samples: number;
  /** Grid (cells) and spacing (km). Default 64 x 64 at 0.16 km (the paper's). */
  nz?: number;
  nx?: number;
  dx?: number;
  /** Time step (s) and steps. Default 0.02 s x 240 (4.8 s; CFL limit 0.0218 s at 4.5 km/s). */
  dt?: number;
  nt?: number;
  /** Ricker peak frequency (Hz). Default 1. */
  freq?: number;
  /** A snapshot every this many steps (t = every·dt, ..., nt·dt): N = nt / every. Default 8 (N = 30). */
  snapshotEvery?: number;
  /** PML cells per edge, outside the model. Default 8. */
  pmlWidth?: number;
  /** Bound of the velocity (km/s) for the CFL check and the PML (models are drawn on the GPU). Default 4.5. */
  maxVel?: number;
  /** von Karman parameters (vonKarman's): Hurst exponent, correlation lengths (km), mean and std (km/s). */
  kappa?: number;
  ax?: number;
  az?: number;
  mean?: number;
  std?: number;
  /** Sources are drawn at least this many cells from the model's edges. Default 2. */
  sourceMargin?: number;
  /** Cells [z, x] whose traces are stored at every step. Default 8 along row 2 (the paper's Figure 2 shows 8). */
  receivers?: readonly (readonly [number, number])[];
  samplesPerShard?: number;
  /** Base seed; sample i uses sampleSeed(seed, i) for its model and its source. Default 0. */
  seed?: number;
}

const OPTIONS = optionNames<WaveDataOptions>()(
  'samples',
  'nz',
  'nx',
  'dx',
  'dt',
  'nt',
  'freq',
  'snapshotEvery',
  'pmlWidth',
  'maxVel',
  'kappa',
  'ax',
  'az',
  'mean',
  'std',
  'sourceMargin',
  'receivers',
  'samplesPerShard',
  'seed',
);

/** Every option resolved: what the manifest records and a rerun must match. */
export type WaveDataParams = Required<Omit<WaveDataOptions, 'receivers'>> & { receivers: [number, number][] };

export type WaveShardInfo = ShardInfo;

export interface WaveManifest {
  format: 'tellus-fnowave-1';
  params: WaveDataParams;
  /** Seeds of the samples' models and sources (sampleSeed(params.seed, i)). */
  sampleSeeds: number[];
  /** Shards written so far, in order; the dataset is complete when they cover every sample. */
  shards: WaveShardInfo[];
  complete: boolean;
}

export const MANIFEST = 'manifest.json';
export { shardName };

/** A well-mixed 31-bit seed for sample i (FNV-1a of the pair, then a murmur finalizer). */
export function sampleSeed(seed: number, i: number): number {
  let h = 0x811c9dc5;
  for (const w of [seed >>> 0, i >>> 0, Math.floor(seed / 2 ** 32) >>> 0])
    for (let b = 0; b < 4; b++) h = Math.imul(h ^ ((w >>> (8 * b)) & 255), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & 0x7fffffff;
}

/** Sample i's source cell [z, x]: uniform over the cells at least `sourceMargin` from the edges. */
export function sampleSource(p: WaveDataParams, i: number): [number, number] {
  const r = mulberry32(sampleSeed(p.seed, i) ^ 0x5bd1e995);
  const m = p.sourceMargin;
  return [m + Math.floor(r() * (p.nz - 2 * m)), m + Math.floor(r() * (p.nx - 2 * m))];
}

const FN = 'generateWaveDataset(store, opts)';

/** The options with their defaults, checked. */
export function waveDataParams(opts: WaveDataOptions): WaveDataParams {
  if (opts === null || typeof opts !== 'object') throw argError(FN, 'opts', 'an object', opts);
  checkOptions(opts, OPTIONS, FN);
  const int = (k: keyof WaveDataOptions, v: unknown, min: number): number => integerArg(FN, k, v, min);
  const pos = (k: keyof WaveDataOptions, v: unknown): number => positiveArg(FN, k, v);
  const nz = int('nz', opts.nz ?? 64, 4);
  const nx = int('nx', opts.nx ?? 64, 4);
  const nt = int('nt', opts.nt ?? 240, 1);
  const every = int('snapshotEvery', opts.snapshotEvery ?? 8, 1);
  if (nt % every !== 0) throw argErrorText(FN, 'snapshotEvery', `a divisor of nt (${nt})`, String(every), RangeError);
  const margin = int('sourceMargin', opts.sourceMargin ?? 2, 0);
  if (2 * margin >= Math.min(nz, nx)) throw argError(FN, 'sourceMargin', `less than half the grid (${nz} x ${nx})`, margin, RangeError);
  const receivers: [number, number][] = (opts.receivers ?? Array.from({ length: 8 }, (_, k) => [2, Math.floor(((k + 0.5) * nx) / 8)])).map(
    (r, k) => {
      if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isInteger) || r[0] < 0 || r[0] >= nz || r[1] < 0 || r[1] >= nx)
        throw argError(FN, `receivers[${k}]`, `a cell [z, x] inside the ${nz} x ${nx} grid`, r, RangeError);
      return [r[0], r[1]];
    },
  );
  if (receivers.length === 0) throw argError(FN, 'receivers', 'at least one cell', receivers, RangeError);
  const mean = opts.mean ?? 3;
  if (typeof mean !== 'number' || !Number.isFinite(mean)) throw argError(FN, 'mean', 'a finite number', mean, RangeError);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw argError(FN, 'seed', 'a non-negative safe integer', seed, RangeError);
  return {
    samples: int('samples', opts.samples, 1),
    nz,
    nx,
    dx: pos('dx', opts.dx ?? 0.16),
    dt: pos('dt', opts.dt ?? 0.02),
    nt,
    freq: pos('freq', opts.freq ?? 1),
    snapshotEvery: every,
    pmlWidth: int('pmlWidth', opts.pmlWidth ?? 8, 0),
    maxVel: pos('maxVel', opts.maxVel ?? 4.5),
    kappa: pos('kappa', opts.kappa ?? 0.5),
    ax: pos('ax', opts.ax ?? 1.6),
    az: pos('az', opts.az ?? opts.ax ?? 1.6),
    mean,
    std: pos('std', opts.std ?? 0.15),
    sourceMargin: margin,
    receivers,
    samplesPerShard: int('samplesPerShard', opts.samplesPerShard ?? 10, 1),
    seed,
  };
}

/** acoustic2d's options (metres) for one shot of the dataset's geometry at source `src`. */
export function waveSimOptions(p: WaveDataParams, src: readonly [number, number], amplitudes: Tensor): Acoustic2dOptions {
  return {
    dx: p.dx * 1000,
    dt: p.dt,
    accuracy: 4,
    pmlWidth: p.pmlWidth,
    pmlFreq: p.freq,
    maxVel: p.maxVel * 1000,
    sourceAmplitudes: amplitudes,
    sourceLocations: [[[src[0], src[1]]]],
    receiverLocations: [p.receivers],
    snapshotEvery: p.snapshotEvery,
  };
}

/**
 * One simulation: acoustic2dWavefield on `vKms` ([nz, nx], km/s) with a Ricker at `src`.
 * Returns the snapshots [1, N, nz, nx] and the receiver traces [1, R, nt]; no read-back.
 */
export function simulateWave(p: WaveDataParams, vKms: Tensor, src: readonly [number, number], amplitudeScale = 1): [Tensor, Tensor] {
  return tidy(() => {
    const amps = reshape(mul(ricker(p.freq, p.nt, p.dt), amplitudeScale), [1, 1, p.nt]);
    const wf = acoustic2dWavefield(mul(vKms, 1000), waveSimOptions(p, src, amps));
    return [wf.snapshots!, wf.receivers];
  });
}

/** Sample i's velocity model [nz, nx] in km/s (on the GPU, from its own seed). */
export function sampleModel(p: WaveDataParams, i: number): Tensor {
  const { dx, kappa, ax, az, mean, std } = p;
  return vonKarman([p.nz, p.nx], { dx, kappa, ax, az, mean, std, seed: sampleSeed(p.seed, i) });
}

export type GenerateHooks = ShardHooks;

function diffParams(a: WaveDataParams, b: WaveDataParams): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof WaveDataParams>;
  return [...keys]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

/** The bytes of shard k (safetensors): its samples depend only on (seed, i), wherever it is made. */
export async function waveShard(opts: WaveDataOptions, k: number): Promise<Uint8Array> {
  const p = waveDataParams(opts);
  const first = k * p.samplesPerShard;
  const count = Math.min(p.samplesPerShard, p.samples - first);
  if (!Number.isInteger(k) || k < 0 || count <= 0)
    throw argError('waveShard(opts, k)', 'k', `a shard index in [0, ${Math.ceil(p.samples / p.samplesPerShard)})`, k);
  const parts: [Tensor, Tensor, Tensor][] = [];
  const sources: number[] = [];
  for (let i = first; i < first + count; i++) {
    const src = sampleSource(p, i);
    sources.push(...src);
    parts.push(
      tidy(() => {
        const v = sampleModel(p, i);
        return [v, ...simulateWave(p, v, src)] as [Tensor, Tensor, Tensor];
      }),
    );
  }
  const named = tidy(() => ({
    velocity: stack(parts.map((t) => t[0])),
    snapshots: concat(parts.map((t) => t[1])),
    traces: concat(parts.map((t) => t[2])),
    source: tensor(Int32Array.from(sources), { shape: [count, 2], dtype: 'int32' }),
  }));
  for (const t of parts.flat()) t.dispose();
  const bytes = await saveSafetensors(named, {
    first: String(first),
    count: String(count),
    units: 'velocity km/s; snapshots, traces: acoustic2d u',
  });
  for (const t of Object.values(named)) t.dispose();
  return bytes;
}

/**
 * Generates the dataset into `store`, resuming from its manifest: shards listed there and present
 * are skipped. One read-back per shard (its bytes); none per sample. Returns the final manifest.
 */
export async function generateWaveDataset(store: ShardStore, opts: WaveDataOptions, hooks: GenerateHooks = {}): Promise<WaveManifest> {
  const p = waveDataParams(opts);
  const manifest: WaveManifest = {
    format: 'tellus-fnowave-1',
    params: p,
    sampleSeeds: Array.from({ length: p.samples }, (_, i) => sampleSeed(p.seed, i)),
    shards: [],
    complete: false,
  };
  return writeShardSet(
    store,
    {
      fn: FN,
      manifestName: MANIFEST,
      manifest,
      samples: p.samples,
      samplesPerShard: p.samplesPerShard,
      differs: (prev) => {
        const diff = diffParams(prev.params, p);
        return diff.length ? `a dataset made with ${diff.join(', ')}` : null;
      },
      make: (k) => waveShard(p, k),
    },
    hooks,
  );
}

/** A dataset on the host: per-sample views into the shards' bytes. */
export interface WaveDataset {
  manifest: WaveManifest;
  /** [nz * nx] km/s per sample. */
  velocity: Float32Array[];
  /** [N * nz * nx] per sample. */
  snapshots: Float32Array[];
  /** [R * nt] per sample. */
  traces: Float32Array[];
  sources: [number, number][];
}

/** Host-side safetensors parse of the dtypes the shards use (little-endian F32 / I32). */
function parseShard(bytes: Uint8Array): Record<string, Float32Array | Int32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, h] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const [b, e] = h.data_offsets;
    const len = (e - b) / 4;
    const arr = h.dtype === 'I32' ? new Int32Array(len) : new Float32Array(len);
    for (let i = 0, at = 8 + n + b; i < len; i++, at += 4) arr[i] = h.dtype === 'I32' ? view.getInt32(at, true) : view.getFloat32(at, true);
    out[k] = arr;
  }
  return out;
}

/** Reads a complete dataset from `store` (throws naming what is missing). */
export async function loadWaveDataset(store: ShardStore): Promise<WaveDataset> {
  const fn = 'loadWaveDataset(store)';
  const m = await store.get(MANIFEST);
  if (!m) throw new Error(`tellus: ${fn}: no ${MANIFEST} in the store (generate the dataset first)`);
  const manifest = JSON.parse(new TextDecoder().decode(m)) as WaveManifest;
  if (!manifest.complete)
    throw new Error(`tellus: ${fn}: the dataset is incomplete (${manifest.shards.length} shards); rerun the generator to finish it`);
  const p = manifest.params;
  const [cells, N] = [p.nz * p.nx, p.nt / p.snapshotEvery];
  const data: WaveDataset = { manifest, velocity: [], snapshots: [], traces: [], sources: [] };
  for (const s of manifest.shards) {
    const bytes = await store.get(s.name);
    if (!bytes) throw new Error(`tellus: ${fn}: ${s.name} is listed in the manifest but missing from the store`);
    const t = parseShard(bytes);
    for (let j = 0; j < s.count; j++) {
      data.velocity.push(t.velocity!.subarray(j * cells, (j + 1) * cells) as Float32Array);
      data.snapshots.push(t.snapshots!.subarray(j * N * cells, (j + 1) * N * cells) as Float32Array);
      const R = p.receivers.length;
      data.traces.push(t.traces!.subarray(j * R * p.nt, (j + 1) * R * p.nt) as Float32Array);
      data.sources.push([t.source![2 * j]!, t.source![2 * j + 1]!]);
    }
  }
  return data;
}
