// JI-FNO's data set (issue 20 item 2): per sample a layered model m and a randomized background m0
// (host, from the sample's seed), the RTM image R(m, m0) = J(m0)^T (F(m0) - F(m)) and the exact
// Jacobian actions dR/dm v_j along shared directions (docs/ji-fno-eigs.md), computed with
// acoustic2d. Written in shards (safetensors) through a ShardStore with a manifest, like the
// FNO-wave data set (../fnowave/dataset.ts): sample i depends only on (seed, i), so an interrupted
// run resumes at the first missing shard and ends with the same bytes.
// Acquisition: `shots` sources evenly spaced along row 1 (a Ricker each) and a receiver on every
// column of row 1, PML outside the model. Units: models in km/s and km; acoustic2d runs in m/s and m,
// so images are in its units and actions are per m/s along unit-norm directions.
import { argError, checkOptions, integerArg, optionNames, positiveArg } from '../../graph/options.js';
import { keep, type Tensor, tidy } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat, mul, stack, take } from '../../autodiff/ops.js';
import { type Acoustic2dOptions } from '../../physics/acoustic/index.js';
import { rickerValues } from '../../physics/common/wavelets.js';
import {
  backgroundModelValues,
  layeredModelValues,
  type BackgroundModelOptions,
  type LayeredModelOptions,
} from '../../physics/models/layered.js';
import { readSafetensors, saveSafetensors } from '../../nn/safetensors.js';
import type { ShardStore } from '../fnowave/store.js';
import { type ShardHooks, writeShardSet } from '../shards.js';
import { sampleSeed } from '../fnowave/dataset.js';
import { rtmImage, rtmJacobianActions } from './actions.js';

export interface JiDataOptions {
  /** Number of (m, m0) pairs. */
  samples: number;
  /** Grid (cells) and spacing (km). Default 32 x 48 at 0.05 km. */
  nz?: number;
  nx?: number;
  dx?: number;
  /** Sources along row 1 (evenly spaced). Default 4. */
  shots?: number;
  /** Time step (s), steps, Ricker peak frequency (Hz). Default 0.005 s x 240, 4 Hz. */
  dt?: number;
  nt?: number;
  freq?: number;
  /** PML cells per edge and the velocity bound (km/s) the CFL check and the PML assume. Default 8, 4.5. */
  pmlWidth?: number;
  maxVel?: number;
  /** layeredModel's options (grid, dx and seed come from here). */
  model?: Omit<LayeredModelOptions, 'nz' | 'nx' | 'dx' | 'seed'>;
  /** backgroundModel's options (dx and seed come from here). */
  background?: Omit<BackgroundModelOptions, 'dx' | 'seed'>;
  /**
   * The image weight W (jiImageWeight): images and actions are W R and W dR/dm v. Raw RTM images
   * of a surface survey are dominated by the source and receiver footprint in the first rows; a
   * top mute (`muteRows` zeroed, then a `taperRows` cosine ramp) and a depth scaling
   * ((z + 1/2) / nz)^depthPower, the usual model-space preconditioning, leave the reflectors. Default none.
   */
  imageWeight?: { muteRows: number; taperRows: number; depthPower: number };
  samplesPerShard?: number;
  /** Base seed; sample i uses sampleSeed(seed, i) for its model and background. Default 0. */
  seed?: number;
}

const OPTIONS = optionNames<JiDataOptions>()(
  'samples',
  'nz',
  'nx',
  'dx',
  'shots',
  'dt',
  'nt',
  'freq',
  'pmlWidth',
  'maxVel',
  'model',
  'background',
  'imageWeight',
  'samplesPerShard',
  'seed',
);

/** Every option resolved: what the manifest records and a rerun must match. */
export type JiDataParams = Required<JiDataOptions>;

export interface JiManifest {
  format: 'tellus-jifno-1';
  params: JiDataParams;
  /** Directions' count and a checksum of their float32 bytes (0 directions: images only). */
  directions: { r: number; checksum: string };
  shards: { name: string; first: number; count: number }[];
  complete: boolean;
}

export const JI_MANIFEST = 'manifest.json';
const FN = 'generateJiDataset(store, opts, directions)';

/** The options with their defaults, checked. */
export function jiDataParams(opts: JiDataOptions, fn = FN): JiDataParams {
  if (opts === null || typeof opts !== 'object') throw argError(fn, 'opts', 'an object', opts);
  checkOptions(opts, OPTIONS, fn);
  const int = (k: keyof JiDataOptions, v: unknown, min: number): number => integerArg(fn, k, v, min);
  const pos = (k: keyof JiDataOptions, v: unknown): number => positiveArg(fn, k, v);
  const obj = <T>(k: keyof JiDataOptions, v: T | undefined): T => {
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw argError(fn, k, 'an options object', v);
    return (v ?? {}) as T;
  };
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw argError(fn, 'seed', 'a non-negative safe integer', seed, RangeError);
  const nx = int('nx', opts.nx ?? 48, 4);
  const shots = int('shots', opts.shots ?? 4, 1);
  if (shots > nx) throw argError(fn, 'shots', `at most nx (${nx})`, shots, RangeError);
  const iw = opts.imageWeight ?? { muteRows: 0, taperRows: 0, depthPower: 0 };
  if (iw === null || typeof iw !== 'object') throw argError(fn, 'imageWeight', 'an object { muteRows, taperRows, depthPower }', iw);
  checkOptions(iw, ['muteRows', 'taperRows', 'depthPower'], `${fn} imageWeight`);
  for (const k of ['muteRows', 'taperRows', 'depthPower'] as const)
    if (typeof iw[k] !== 'number' || !(iw[k] >= 0) || !Number.isFinite(iw[k]) || (k !== 'depthPower' && !Number.isInteger(iw[k])))
      throw argError(fn, `imageWeight.${k}`, k === 'depthPower' ? 'a finite number >= 0' : 'an integer >= 0', iw[k], RangeError);
  return {
    samples: int('samples', opts.samples, 1),
    nz: int('nz', opts.nz ?? 32, 4),
    nx,
    dx: pos('dx', opts.dx ?? 0.05),
    shots,
    dt: pos('dt', opts.dt ?? 0.005),
    nt: int('nt', opts.nt ?? 240, 1),
    freq: pos('freq', opts.freq ?? 4),
    pmlWidth: int('pmlWidth', opts.pmlWidth ?? 8, 0),
    maxVel: pos('maxVel', opts.maxVel ?? 4.5),
    model: obj('model', opts.model),
    background: obj('background', opts.background),
    imageWeight: { muteRows: iw.muteRows, taperRows: iw.taperRows, depthPower: iw.depthPower },
    samplesPerShard: int('samplesPerShard', opts.samplesPerShard ?? 4, 1),
    seed,
  };
}

export interface JiPair {
  /** The layered model and its background, km/s, [nz * nx] row-major. */
  m: Float32Array;
  m0: Float32Array;
  /** How the background was smoothed (backgroundModel's mode and width). */
  mode: string;
  width: number;
}

/** Sample i's model and background (host only; the same in every runtime). */
export function jiPair(p: JiDataParams, i: number): JiPair {
  const seed = sampleSeed(p.seed, i);
  const mod = layeredModelValues({ vmax: p.maxVel, ...p.model, nz: p.nz, nx: p.nx, dx: p.dx, seed });
  const bg = backgroundModelValues(mod.values, p.nz, p.nx, { ...p.background, dx: p.dx, seed: seed ^ 0x2545f491 });
  return { m: Float32Array.from(mod.values), m0: Float32Array.from(bg.values), mode: bg.mode, width: bg.width };
}

/** The image weight W [nz * nx] of the parameters (1 everywhere without imageWeight). */
export function jiImageWeight(p: JiDataParams): Float32Array {
  const { muteRows, taperRows, depthPower } = p.imageWeight;
  const w = new Float32Array(p.nz * p.nx);
  for (let z = 0; z < p.nz; z++) {
    const ramp = z < muteRows ? 0 : z >= muteRows + taperRows ? 1 : Math.sin((Math.PI / 2) * ((z - muteRows + 1) / (taperRows + 1))) ** 2;
    const v = ramp * ((z + 0.5) / p.nz) ** depthPower;
    w.fill(v, z * p.nx, (z + 1) * p.nx);
  }
  return w;
}

/** The acquisition as acoustic2d's options (m/s, metres). Its tensors are kept: release them with disposeJiSurvey. */
export function jiSurvey(p: JiDataParams): Acoustic2dOptions {
  const { shots, nt, nx } = p;
  const w = rickerValues(p.freq, nt, p.dt);
  const amps = new Float32Array(shots * nt);
  for (let s = 0; s < shots; s++) for (let t = 0; t < nt; t++) amps[s * nt + t] = w[t]!;
  const src = new Int32Array(2 * shots);
  for (let s = 0; s < shots; s++) [src[2 * s], src[2 * s + 1]] = [1, Math.min(nx - 1, Math.floor(((s + 0.5) * nx) / shots))];
  const rec = new Int32Array(2 * shots * nx);
  for (let k = 0; k < shots * nx; k++) [rec[2 * k], rec[2 * k + 1]] = [1, k % nx];
  return {
    dx: p.dx * 1000,
    dt: p.dt,
    accuracy: 4,
    pmlWidth: p.pmlWidth,
    pmlFreq: p.freq,
    maxVel: p.maxVel * 1000,
    sourceAmplitudes: keep(tensor(amps, { shape: [shots, 1, nt] })),
    sourceLocations: keep(tensor(src, { shape: [shots, 1, 2], dtype: 'int32' })),
    receiverLocations: keep(tensor(rec, { shape: [shots, nx, 2], dtype: 'int32' })),
  };
}

export function disposeJiSurvey(o: Acoustic2dOptions): void {
  for (const t of [o.sourceAmplitudes, o.sourceLocations, o.receiverLocations]) (t as Tensor | undefined)?.dispose();
}

/** FNV-1a of a float32 array's bytes, as 8 hex digits: identifies the directions a data set was made with. */
export function checksumFloat32(a: Float32Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export type JiGenerateHooks = ShardHooks;

/** The bytes of shard k (safetensors): images (and actions along `directions`) of samples that depend only on (seed, i). */
export async function jiShard(opts: JiDataOptions, directions: Tensor | null, k: number): Promise<Uint8Array> {
  const p = jiDataParams(opts, 'jiShard(opts, directions, k)');
  const first = k * p.samplesPerShard;
  const count = Math.min(p.samplesPerShard, p.samples - first);
  if (!Number.isInteger(k) || k < 0 || count <= 0)
    throw argError('jiShard(opts, directions, k)', 'k', `a shard index in [0, ${Math.ceil(p.samples / p.samplesPerShard)})`, k);
  const D = directions;
  const survey = jiSurvey(p);
  const W = keep(tensor(jiImageWeight(p), { shape: [p.nz, p.nx] }));
  try {
    const parts: Tensor[][] = [];
    for (let i = first; i < first + count; i++) {
      const pair = jiPair(p, i);
      const m = tensor(pair.m, { shape: [p.nz, p.nx] });
      const m0 = tensor(pair.m0, { shape: [p.nz, p.nx] });
      const [ms, m0s] = tidy(() => [mul(m, 1000), mul(m0, 1000)]);
      const img = tidy(() => mul(rtmImage(ms, m0s, survey), W));
      const act = D ? tidy(() => mul(rtmJacobianActions(ms, m0s, D, survey).exact, W)) : null;
      parts.push(act ? [m, m0, img, act] : [m, m0, img]);
      ms.dispose();
      m0s.dispose();
    }
    const named: Record<string, Tensor> = tidy(() => {
      const out: Record<string, Tensor> = {
        m: stack(parts.map((t) => t[0]!)),
        m0: stack(parts.map((t) => t[1]!)),
        image: stack(parts.map((t) => t[2]!)),
      };
      if (D) out.actions = stack(parts.map((t) => t[3]!));
      return out;
    });
    parts.flat().forEach((t) => t.dispose());
    const bytes = await saveSafetensors(named, {
      first: String(first),
      count: String(count),
      units: 'm, m0: km/s; image: W times acoustic2d units (v in m/s); actions: W dR/dv per m/s along unit directions',
    });
    Object.values(named).forEach((t) => t.dispose());
    return bytes;
  } finally {
    disposeJiSurvey(survey);
    W.dispose();
  }
}

/**
 * Generates the data set into `store`, resuming from its manifest. `directions` [r, nz, nx]
 * (unit-norm rows, e.g. gaussNewtonEigs' vectors) or null for images only. One read-back per shard.
 */
export async function generateJiDataset(
  store: ShardStore,
  opts: JiDataOptions,
  directions: Tensor | null,
  hooks: JiGenerateHooks = {},
): Promise<JiManifest> {
  const p = jiDataParams(opts);
  const D = directions;
  if (D !== null && (D?.dtype !== 'float32' || D.isDisposed || D.rank !== 3 || D.shape[1] !== p.nz || D.shape[2] !== p.nx))
    throw argError(FN, 'directions', `null or a live float32 tensor [r, ${p.nz}, ${p.nx}]`, directions, Error);
  const dirs = D ? { r: D.shape[0]!, checksum: checksumFloat32((await D.data()) as Float32Array) } : { r: 0, checksum: '' };
  const manifest: JiManifest = { format: 'tellus-jifno-1', params: p, directions: dirs, shards: [], complete: false };
  const now = JSON.stringify({ params: p, directions: dirs });
  return writeShardSet(
    store,
    {
      fn: FN,
      manifestName: JI_MANIFEST,
      expected: 'an empty store or one holding this data set (same parameters and directions)',
      manifest,
      samples: p.samples,
      samplesPerShard: p.samplesPerShard,
      differs: (prev) => {
        const was = JSON.stringify({ params: prev.params, directions: prev.directions });
        return was === now ? null : `one made with ${was}`;
      },
      make: (k) => jiShard(p, D, k),
    },
    hooks,
  );
}

export interface JiDataset {
  manifest: JiManifest;
  /** [N, nz, nx] each (kept; the caller disposes them); actions [N, r, nz, nx] or null. */
  m: Tensor;
  m0: Tensor;
  image: Tensor;
  actions: Tensor | null;
}

/** Loads a complete data set from `store` onto the device (throws naming what is missing). */
export async function loadJiDataset(store: ShardStore): Promise<JiDataset> {
  const fn = 'loadJiDataset(store)';
  const bytes = await store.get(JI_MANIFEST);
  if (!bytes) throw new Error(`tellus: ${fn}: no ${JI_MANIFEST} in the store (generate the data set first)`);
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as JiManifest;
  if (!manifest.complete)
    throw new Error(`tellus: ${fn}: the data set is incomplete (${manifest.shards.length} shards); rerun the generator to finish it`);
  const parts: Record<string, Tensor>[] = [];
  try {
    for (const s of manifest.shards) {
      const b = await store.get(s.name);
      if (!b) throw new Error(`tellus: ${fn}: ${s.name} is listed in the manifest but missing from the store`);
      parts.push(readSafetensors(b).tensors);
    }
    const join = (k: string): Tensor => keep(tidy(() => concat(parts.map((t) => t[k]!))));
    const r = manifest.directions.r;
    return { manifest, m: join('m'), m0: join('m0'), image: join('image'), actions: r > 0 ? join('actions') : null };
  } finally {
    parts.forEach((t) => Object.values(t).forEach((x) => x.dispose()));
  }
}

/** Rows `idx` of a [N, ...] tensor, as a new tensor (not recorded). */
export const rowsOf = (t: Tensor, idx: readonly number[]): Tensor =>
  tidy(() => take(t, tensor(Int32Array.from(idx), { shape: [idx.length], dtype: 'int32' })));
