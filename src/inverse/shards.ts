// A data set in shards with a manifest, shared by every generator (FNO-wave, JI-FNO, facies): the
// manifest lists the parameters and the shards done; a rerun skips those, so an interrupted run
// resumes and a finished one is a no-op. Shards can be made here, one after another, or elsewhere
// (a scale-out backend, src/scale) and handed back in any order: each is stored once.
import { argErrorText } from '../graph/options.js';
import type { ShardStore } from './fnowave/store.js';

export const shardName = (k: number): string => `shard-${String(k).padStart(5, '0')}.safetensors`;

export interface ShardInfo {
  name: string;
  first: number;
  count: number;
}

/** Every manifest has these; the rest (format, parameters) is the generator's. */
export interface ShardManifest {
  shards: ShardInfo[];
  complete: boolean;
}

/** Makes the listed shards and calls `put` with each one's bytes as it completes, in any order. */
export type ShardProducer = (shards: number[], put: (shard: number, bytes: Uint8Array) => Promise<void>) => Promise<void>;

export interface ShardProgress {
  shard: number;
  shards: number;
  /** Samples stored so far. */
  done: number;
  samples: number;
  skipped: boolean;
}

export interface ShardHooks {
  /** Called after each shard is stored or found done (a thrown error stops the run, as an interruption would). */
  onShard?: (progress: ShardProgress) => void | Promise<void>;
  /** Where the missing shards are made (default: one after another in this process). */
  produce?: ShardProducer;
}

export interface ShardSetSpec<M extends ShardManifest> {
  fn: string;
  manifestName: string;
  /** The manifest of this run, with no shards yet. */
  manifest: M;
  samples: number;
  samplesPerShard: number;
  /** What the store should hold (error text; default 'an empty store or one holding this data set (same parameters)'). */
  expected?: string;
  /** Why a stored manifest is another data set (e.g. 'one made with {...}'), or null when it is this one. */
  differs: (stored: M) => string | null;
  /** Makes shard k here (the default producer). */
  make: (k: number) => Promise<Uint8Array>;
}

/** Fills `store` with the data set's shards and manifest, resuming from what is there; returns the manifest. */
export async function writeShardSet<M extends ShardManifest>(store: ShardStore, spec: ShardSetSpec<M>, hooks: ShardHooks = {}): Promise<M> {
  const { manifest, samples, samplesPerShard: per } = spec;
  const shards = Math.ceil(samples / per);
  const old = await store.get(spec.manifestName);
  if (old) {
    const prev = JSON.parse(new TextDecoder().decode(old)) as M;
    const why = spec.differs(prev);
    if (why !== null)
      throw argErrorText(spec.fn, 'store', spec.expected ?? 'an empty store or one holding this data set (same parameters)', why, Error);
    const present = new Set(await store.list());
    // Only shards in the manifest count: one stored without its entry may be from a run that died between the two writes.
    manifest.shards = prev.shards.filter((s) => present.has(s.name));
  }
  const done = new Set(manifest.shards.map((s) => s.name));
  const writeManifest = async (): Promise<void> => {
    manifest.shards.sort((a, b) => a.first - b.first);
    manifest.complete = manifest.shards.length === shards;
    await store.put(spec.manifestName, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  };
  const range = (k: number) => [k * per, Math.min(per, samples - k * per)] as const;
  let stored = manifest.shards.reduce((a, s) => a + s.count, 0);
  const put = async (k: number, bytes: Uint8Array): Promise<void> => {
    const name = shardName(k);
    if (done.has(name)) return; // delivered twice (a retried task): the first copy stands
    done.add(name);
    const [first, count] = range(k);
    await store.put(name, bytes);
    manifest.shards.push({ name, first, count });
    await writeManifest();
    stored += count;
    await hooks.onShard?.({ shard: k, shards, done: stored, samples, skipped: false });
  };
  const skip = (k: number) => hooks.onShard?.({ shard: k, shards, done: range(k)[0] + range(k)[1], samples, skipped: true });
  if (hooks.produce) {
    const missing: number[] = [];
    for (let k = 0; k < shards; k++) {
      if (done.has(shardName(k))) await skip(k);
      else missing.push(k);
    }
    await hooks.produce(missing, put);
  } else {
    // Here, in shard order: progress reads as one pass over the data set.
    for (let k = 0; k < shards; k++) {
      if (done.has(shardName(k))) await skip(k);
      else await put(k, await spec.make(k));
    }
  }
  if (!manifest.complete || !old) await writeManifest();
  return manifest;
}
