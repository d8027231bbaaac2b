// Training sets for generative priors (issue 21): geological models made on the host (channels:
// physics/models/facies.ts; layered and faulted: physics/models/layered.ts), written in shards
// (safetensors) through a ShardStore with a manifest, as the FNO-wave and JI-FNO data sets are.
// Sample i depends only on (seed, i), so an interrupted run resumes at the first missing shard and
// ends with the same bytes. Every model is in [0, 1] for the network: facies as they are (0 shale,
// 1 sand); velocities v as (v - vmin) / (vmax - vmin) with the generator's fixed range, so one
// affine map returns any sample, or any generated model, to km/s.
import { argError, argErrorText, checkOptions, integerArg, optionNames } from '../../graph/options.js';
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { channelModelValues, type ChannelModelOptions } from '../../physics/models/facies.js';
import { layeredModelValues, type LayeredModelOptions } from '../../physics/models/layered.js';
import { decodeSafetensors, encodeSafetensors } from '../../nn/safetensors.js';
import type { ShardStore } from '../fnowave/store.js';
import { type ShardHooks, writeShardSet } from '../shards.js';
import { sampleSeed } from '../fnowave/dataset.js';

export type FaciesKind = 'channels' | 'layered' | 'faulted';
const KINDS: readonly FaciesKind[] = ['channels', 'layered', 'faulted'];

export interface FaciesDataOptions {
  /** Which generator: channelModelValues ('channels') or layeredModelValues without / with faults. Default 'channels'. */
  kind?: FaciesKind;
  /** Number of models. */
  samples: number;
  /** Grid (cells). Default 64 x 64. */
  nz?: number;
  nx?: number;
  /**
   * The generator's options, less nz, nx and seed (set here): ChannelModelOptions for 'channels',
   * LayeredModelOptions for 'layered' (faults must be [0, 0], the default there) and 'faulted'
   * (faults default [1, 3], at least 1). vmin and vmax (default 1.5 and 4.5 km/s) set the scaling.
   */
  model?: Omit<ChannelModelOptions, 'nz' | 'nx' | 'seed'> | Omit<LayeredModelOptions, 'nz' | 'nx' | 'seed'>;
  /** Models per shard. Default 256 (4 MiB at 64 x 64). */
  samplesPerShard?: number;
  /** Base seed; model i uses sampleSeed(seed, i). Default 0. */
  seed?: number;
}
const OPTIONS = optionNames<FaciesDataOptions>()('kind', 'samples', 'nz', 'nx', 'model', 'samplesPerShard', 'seed');

/** Every option resolved (the layered kinds' model with faults, vmin and vmax explicit): what the manifest records and a rerun must match. */
export type FaciesDataParams = Required<Omit<FaciesDataOptions, 'model'>> & { model: Record<string, unknown> };

export interface FaciesManifest {
  format: 'tellus-facies-1';
  params: FaciesDataParams;
  /** How stored values map back: physical = offset + scale * value (km/s for the layered kinds; 0, 1 for facies). */
  scaling: { offset: number; scale: number };
  shards: { name: string; first: number; count: number }[];
  complete: boolean;
}

export const FACIES_MANIFEST = 'manifest.json';
const FN = 'generateFaciesDataset(store, opts)';

/** JSON with object keys sorted, so a rerun's options match whatever order their keys were written in. */
const canonical = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/** The options with their defaults, checked (the generator's options by drawing model 0). */
export function faciesDataParams(opts: FaciesDataOptions, fn = FN): FaciesDataParams {
  if (opts === null || typeof opts !== 'object') throw argError(fn, 'opts', 'an object', opts);
  checkOptions(opts, OPTIONS, fn);
  const kind = opts.kind ?? 'channels';
  if (!KINDS.includes(kind)) throw argError(fn, 'kind', KINDS.map((k) => `'${k}'`).join(', '), kind, RangeError);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw argError(fn, 'seed', 'a non-negative safe integer', seed, RangeError);
  const given = opts.model ?? {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw argError(fn, 'model', 'an options object', given);
  for (const k of ['nz', 'nx', 'seed'])
    if (k in given) throw argError(fn, `model.${k}`, `nothing (${k} is the data set's option)`, (given as Record<string, unknown>)[k]);
  const model: Record<string, unknown> = { ...given };
  if (kind !== 'channels') {
    const m = given as LayeredModelOptions;
    const faults = m.faults ?? (kind === 'layered' ? [0, 0] : [1, 3]);
    const ok = Array.isArray(faults) && (kind === 'layered' ? faults[1] === 0 : faults[0] >= 1);
    if (!ok)
      throw argError(
        fn,
        'model.faults',
        kind === 'layered' ? "[0, 0] for kind 'layered'" : "at least 1 for kind 'faulted'",
        faults,
        RangeError,
      );
    Object.assign(model, { faults, vmin: m.vmin ?? 1.5, vmax: m.vmax ?? 4.5 });
  }
  const p: FaciesDataParams = {
    kind,
    samples: integerArg(fn, 'samples', opts.samples, 1),
    nz: integerArg(fn, 'nz', opts.nz ?? 64, 2),
    nx: integerArg(fn, 'nx', opts.nx ?? 64, 2),
    model,
    samplesPerShard: integerArg(fn, 'samplesPerShard', opts.samplesPerShard ?? 256, 1),
    seed,
  };
  faciesSample(p, 0);
  return p;
}

/** physical = offset + scale * value for the parameters' kind. */
export function faciesScaling(p: FaciesDataParams): { offset: number; scale: number } {
  if (p.kind === 'channels') return { offset: 0, scale: 1 };
  const { vmin, vmax } = p.model as { vmin: number; vmax: number };
  return { offset: vmin, scale: vmax - vmin };
}

/** Model i of the data set, [nz * nx] row-major in [0, 1] (host only; the same bytes in every runtime). */
export function faciesSample(p: FaciesDataParams, i: number): Float32Array {
  const seed = sampleSeed(p.seed, i);
  if (p.kind === 'channels') return channelModelValues({ ...p.model, nz: p.nz, nx: p.nx, seed }).values;
  const v = layeredModelValues({ ...p.model, nz: p.nz, nx: p.nx, seed }).values;
  const { offset, scale } = faciesScaling(p);
  // Layer velocities are clipped to [vmin, vmax]; the clip here only guards rounding.
  return Float32Array.from(v, (x) => (scale > 0 ? Math.min(1, Math.max(0, (x - offset) / scale)) : 0));
}

export type FaciesGenerateHooks = ShardHooks;

/** The bytes of shard k (safetensors): samples that depend only on (seed, i). */
export function faciesShard(opts: FaciesDataOptions, k: number): Uint8Array {
  const p = faciesDataParams(opts, 'faciesShard(opts, k)');
  const first = k * p.samplesPerShard;
  const count = Math.min(p.samplesPerShard, p.samples - first);
  if (!Number.isInteger(k) || k < 0 || count <= 0)
    throw argError('faciesShard(opts, k)', 'k', `a shard index in [0, ${Math.ceil(p.samples / p.samplesPerShard)})`, k);
  const cells = p.nz * p.nx;
  const data = new Float32Array(count * cells);
  for (let j = 0; j < count; j++) data.set(faciesSample(p, first + j), j * cells);
  return encodeSafetensors(
    { models: { dtype: 'float32', shape: [count, 1, p.nz, p.nx], data } },
    { first: String(first), count: String(count), kind: p.kind },
  );
}

/** Generates the data set into `store`, resuming from its manifest (shards listed there and present are skipped). */
export async function generateFaciesDataset(
  store: ShardStore,
  opts: FaciesDataOptions,
  hooks: FaciesGenerateHooks = {},
): Promise<FaciesManifest> {
  const p = faciesDataParams(opts);
  const manifest: FaciesManifest = { format: 'tellus-facies-1', params: p, scaling: faciesScaling(p), shards: [], complete: false };
  const now = canonical(p);
  return writeShardSet(
    store,
    {
      fn: FN,
      manifestName: FACIES_MANIFEST,
      manifest,
      samples: p.samples,
      samplesPerShard: p.samplesPerShard,
      differs: (prev) =>
        prev.format === manifest.format && canonical(prev.params) === now ? null : `one made with ${canonical(prev.params)}`,
      make: (k) => Promise.resolve(faciesShard(p, k)),
    },
    hooks,
  );
}

/** A data set on the host: what the statistics (stats.ts) take as a batch. */
export interface FaciesDataset {
  manifest: FaciesManifest;
  /** Every model, [samples, 1, nz, nx] row-major, in [0, 1]. */
  values: Float32Array;
  shape: [number, 1, number, number];
}

/** Reads a complete data set from `store` (throws naming what is missing or malformed). */
export async function loadFaciesDataset(store: ShardStore): Promise<FaciesDataset> {
  const fn = 'loadFaciesDataset(store)';
  const bytes = await store.get(FACIES_MANIFEST);
  if (!bytes) throw new Error(`tellus: ${fn}: no ${FACIES_MANIFEST} in the store (generate the data set first)`);
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as FaciesManifest;
  if (manifest.format !== 'tellus-facies-1') throw argError(fn, 'store', "a 'tellus-facies-1' manifest", manifest.format, Error);
  if (!manifest.complete)
    throw new Error(`tellus: ${fn}: the data set is incomplete (${manifest.shards.length} shards); rerun the generator to finish it`);
  const { samples, nz, nx } = manifest.params;
  const values = new Float32Array(samples * nz * nx);
  for (const s of manifest.shards) {
    const b = await store.get(s.name);
    if (!b) throw new Error(`tellus: ${fn}: ${s.name} is listed in the manifest but missing from the store`);
    const m = decodeSafetensors(b).arrays.models;
    const want = [s.count, 1, nz, nx];
    if (m?.dtype !== 'float32' || m.shape.join() !== want.join())
      throw argErrorText(
        fn,
        s.name,
        `float32 'models' of shape [${want.join(', ')}]`,
        m ? `${m.dtype} [${m.shape.join(', ')}]` : 'none',
        Error,
      );
    values.set(m.data, s.first * nz * nx);
  }
  return { manifest, values, shape: [samples, 1, nz, nx] };
}

/** Models `indices` of the data set as a float32 tensor [B, 1, nz, nx] (one upload), for a training step. */
export function faciesBatch(ds: FaciesDataset, indices: readonly number[]): Tensor {
  const fn = 'faciesBatch(ds, indices)';
  const [n, , nz, nx] = ds.shape;
  if (!Array.isArray(indices) || indices.length === 0) throw argError(fn, 'indices', 'a non-empty array of sample indices', indices);
  const cells = nz * nx;
  const out = new Float32Array(indices.length * cells);
  indices.forEach((i, b) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw argError(fn, `indices[${b}]`, `an integer in [0, ${n})`, i, RangeError);
    out.set(ds.values.subarray(i * cells, (i + 1) * cells), b * cells);
  });
  return tensor(out, { shape: [indices.length, 1, nz, nx] });
}
