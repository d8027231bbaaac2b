// Data set shards as tasks: a generator (generateWaveDataset, generateJiDataset,
// generateFaciesDataset) keeps its manifest and store on the coordinator and hands the missing
// shards to `shardTasks`, which makes each one as a task on a backend. A shard's bytes depend only
// on (parameters, seed, shard), so the data set is the same bytes whoever makes it; the generator
// stores each shard once, whatever a retried task delivers twice.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { tensor } from '../ops/creation.js';
import { decodeSafetensors, encodeSafetensors } from '../nn/safetensors.js';
import { waveShard, type WaveDataOptions } from '../inverse/fnowave/dataset.js';
import { jiShard, type JiDataOptions } from '../inverse/jifno/dataset.js';
import { faciesShard, type FaciesDataOptions } from '../inverse/generative/dataset.js';
import type { ShardProducer } from '../inverse/shards.js';
import type { Tensor } from '../graph/tensor.js';
import type { WorkBackend } from './backend.js';
import { type BlobRef, defineTask, type Json } from './task.js';

interface ShardParams<O> {
  opts: O;
  shard: number;
}

defineTask('wave-shard', async (params) => {
  const { opts, shard } = params as unknown as ShardParams<WaveDataOptions>;
  return { value: { shard }, blobs: { shard: await waveShard(opts, shard) } };
});

defineTask('facies-shard', (params) => {
  const { opts, shard } = params as unknown as ShardParams<FaciesDataOptions>;
  return Promise.resolve({ value: { shard }, blobs: { shard: faciesShard(opts, shard) } });
});

defineTask('ji-shard', async (params, inputs) => {
  const { opts, shard } = params as unknown as ShardParams<JiDataOptions>;
  const d = inputs.directions ? decodeSafetensors(inputs.directions).arrays.directions : undefined;
  const D: Tensor | null = d ? tensor(d.data, { shape: d.shape }) : null;
  try {
    return { value: { shard }, blobs: { shard: await jiShard(opts, D, shard) } };
  } finally {
    D?.dispose();
  }
});

interface ShardTaskExtra {
  name?: string;
  directions?: { shape: number[]; data: Float32Array } | null;
}
const EXTRA = optionNames<ShardTaskExtra>()('name', 'directions');

const KINDS = { 'wave-shard': true, 'facies-shard': true, 'ji-shard': true } as const;

/**
 * A ShardProducer that makes each missing shard as a task on `backend`. `kind` is the generator's
 * task ('wave-shard', 'ji-shard', 'facies-shard') and `opts` its options; JI-FNO passes its
 * directions ([r, nz, nx] float32, host) in `directions`. `name` tags the task ids.
 */
export function shardTasks(
  backend: WorkBackend,
  kind: keyof typeof KINDS,
  opts: WaveDataOptions | JiDataOptions | FaciesDataOptions,
  extra: ShardTaskExtra = {},
): ShardProducer {
  const fn = 'shardTasks(backend, kind, opts, extra)';
  if (!(kind in KINDS)) throw argError(fn, 'kind', `one of ${Object.keys(KINDS).join(', ')}`, kind);
  checkOptions(extra, EXTRA, fn);
  return async (shards, put) => {
    const blobs: Record<string, BlobRef> = {};
    if (extra.directions)
      blobs.directions = await backend.store.put(
        encodeSafetensors({ directions: { dtype: 'float32', shape: extra.directions.shape, data: extra.directions.data } }),
      );
    const tasks = shards.map((k) => ({
      kind,
      id: `${extra.name ?? kind}-${k}`,
      seed: 0,
      params: { opts, shard: k } as unknown as Json,
      blobs,
    }));
    // Stored one after another in completion order: the manifest is rewritten after each.
    let chain = Promise.resolve();
    await backend.run(tasks, {
      onResult: (r) => {
        chain = chain.then(async () => {
          await put((r.value as { shard: number }).shard, await backend.store.get(r.blobs.shard!));
          backend.store.release?.(r.blobs.shard!);
        });
      },
    });
    await chain;
    if (blobs.directions) backend.store.release?.(blobs.directions);
  };
}
