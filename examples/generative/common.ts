// Shared by the VAE and WGAN-GP prior examples: the channel training set (tl.generateFaciesDataset
// into a ShardStore, reused when present), a seeded batch order, generated-vs-training statistics,
// and the loss-history bookkeeping that reads back once per `readEvery` steps. Browser-safe.
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';

export interface ChannelData {
  /** Training models [train, 1, n, n] and held-out ones (values [n * n] each), facies in {0, 1}. */
  train: tl.FaciesDataset;
  heldOut: Float32Array[];
  n: number;
  seconds: number;
}

/**
 * Generates (or reuses) `train + heldOut` channel models of n x n in `store` and splits off the
 * last `heldOut` for the inversions.
 */
export async function channelData(store: tl.ShardStore, n: number, train: number, heldOut: number, seed: number): Promise<ChannelData> {
  const t0 = performance.now();
  await tl.generateFaciesDataset(store, { kind: 'channels', samples: train + heldOut, nz: n, nx: n, seed });
  const all = await tl.loadFaciesDataset(store);
  const cells = n * n;
  const held = Array.from({ length: heldOut }, (_, k) => all.values.slice((train + k) * cells, (train + k + 1) * cells));
  const ds: tl.FaciesDataset = { ...all, values: all.values.subarray(0, train * cells), shape: [train, 1, n, n] };
  return { train: ds, heldOut: held, n, seconds: (performance.now() - t0) / 1000 };
}

/** Batches of `batch` indices per step, a fresh seeded permutation per epoch. */
export function batchOrder(count: number, batch: number, seed: number): () => number[] {
  const rand = mulberry32(seed);
  let perm: number[] = [];
  let at = 0;
  return () => {
    if (at + batch > perm.length) {
      perm = Array.from({ length: count }, (_, i) => i);
      for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      at = 0;
    }
    return perm.slice(at, (at += batch));
  };
}

/** Collects scalar loss tensors and reads them back together: no read-back inside the step loop. */
export class LossLog {
  private pending: tl.Tensor[][] = [];
  readonly rows: number[][] = [];
  push(...values: tl.Tensor[]): void {
    this.pending.push(values.map((v) => tl.keep(v)));
  }
  /** Reads every pending row (one read-back); returns the mean of each column over the rows that have it. */
  async flush(): Promise<number[]> {
    if (this.pending.length === 0) return [];
    const flat = this.pending.flat();
    const all = tl.tidy(() => tl.stack(flat));
    const v = await all.data();
    all.dispose();
    flat.forEach((t) => t.dispose());
    let at = 0;
    const rows = this.pending.map((r) => Array.from(v.subarray(at, (at += r.length))));
    this.pending = [];
    this.rows.push(...rows);
    const cols = Math.max(...rows.map((r) => r.length));
    return Array.from({ length: cols }, (_, c) => {
      const have = rows.filter((r) => r.length > c);
      return have.reduce((s, r) => s + r[c]!, 0) / have.length;
    });
  }
}

export interface SampleReport {
  /** Generated models [count, 1, n, n] in [0, 1] (host). */
  samples: Float32Array;
  count: number;
  /** Generated vs training: raw values (soft) and thresholded at 0.5. */
  statistics: tl.StatisticsComparison;
  /** Curves for the figure: variogram (thresholded) and connectivity along x and z. */
  curves: Record<'variogramX' | 'variogramZ' | 'connectivityX' | 'connectivityZ', { generated: number[]; training: number[] }>;
}

/** Decodes `count` codes z ~ N(0, I) and compares their statistics with `reference` training models. */
export async function sampleReport(
  decode: (z: tl.Tensor) => tl.Tensor,
  latent: number,
  train: tl.FaciesDataset,
  count: number,
  seed: number,
): Promise<SampleReport> {
  const n = train.shape[2];
  const out = tl.tidy(() => decode(tl.randn([count, latent], { seed })));
  const samples = Float32Array.from(await out.data());
  out.dispose();
  const refCount = Math.min(train.shape[0], 4 * count);
  const gen: tl.ModelBatch = { values: samples, shape: [count, 1, n, n] };
  const ref: tl.ModelBatch = { values: train.values.subarray(0, refCount * n * n), shape: [refCount, 1, n, n] };
  const maxLag = n / 2;
  const statistics = tl.compareStatistics(gen, ref, { maxLag, variogramThreshold: 0.5 });
  const curve = (f: (m: tl.ModelBatch) => Float64Array): { generated: number[]; training: number[] } => ({
    generated: Array.from(f(gen)).slice(1),
    training: Array.from(f(ref)).slice(1),
  });
  return {
    samples,
    count,
    statistics,
    curves: {
      variogramX: curve((m) => tl.variogram(m, { axis: 'x', maxLag, threshold: 0.5 })),
      variogramZ: curve((m) => tl.variogram(m, { axis: 'z', maxLag, threshold: 0.5 })),
      connectivityX: curve((m) => tl.connectivity(m, { axis: 'x', maxLag, threshold: 0.5 })),
      connectivityZ: curve((m) => tl.connectivity(m, { axis: 'z', maxLag, threshold: 0.5 })),
    },
  };
}
