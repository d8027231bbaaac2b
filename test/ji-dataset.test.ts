// JI-FNO's data set (src/inverse/jifno/dataset.ts): a run interrupted after its first shard and
// resumed writes the same bytes as an uninterrupted one; each stored image and action equals
// rtmImage / rtmJacobianActions recomputed here on the sample's pair; a store made with other
// parameters or directions is refused; loading checks completeness.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';
import { JI_OPTS, jiDirections } from './ji-fixtures.js';

useDevice();

async function files(store: tl.MemoryStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await store.list()) out.set(name, Array.from((await store.get(name))!).join());
  return out;
}

describe('generateJiDataset', () => {
  it('resumes after an interruption to the same bytes; stored images and actions match a recomputation', async () => {
    const g = rng();
    const D = jiDirections(g.seed, 2);
    const whole = new tl.MemoryStore();
    await tl.generateJiDataset(whole, JI_OPTS, D);
    const cut = new tl.MemoryStore();
    await expect(
      tl.generateJiDataset(cut, JI_OPTS, D, {
        onShard: () => {
          throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    await expect(tl.loadJiDataset(cut)).rejects.toThrow('tellus: loadJiDataset(store): the data set is incomplete (1 shards)');
    const skipped: boolean[] = [];
    await tl.generateJiDataset(cut, JI_OPTS, D, { onShard: (p) => void skipped.push(p.skipped) });
    expect(skipped).toEqual([true, false]);
    expect(await files(cut)).toEqual(await files(whole));

    const data = await tl.loadJiDataset(whole);
    expect(data.m.shape).toEqual([3, 12, 12]);
    expect(data.actions!.shape).toEqual([3, 2, 12, 12]);
    const p = tl.jiDataParams(JI_OPTS);
    const survey = tl.jiSurvey(p);
    const pair = tl.jiPair(p, 2);
    const m = tl.tensor(
      pair.m.map((v) => 1000 * v),
      { shape: [12, 12] },
    );
    const m0 = tl.tensor(
      pair.m0.map((v) => 1000 * v),
      { shape: [12, 12] },
    );
    const img = await tl.rtmImage(m, m0, survey).data();
    const act = await tl.rtmJacobianActions(m, m0, D, survey).exact.data();
    const [storedImg, storedAct, storedM] = await Promise.all([data.image.data(), data.actions!.data(), data.m.data()]);
    expect(Array.from(storedM.subarray(2 * 144, 3 * 144))).toEqual(Array.from(pair.m));
    // The same program on the same inputs: equal to float32 rounding (different batching of the host calls only).
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
      let [num, den] = [0, 0];
      for (let k = 0; k < a.length; k++) [num, den] = [num + (a[k]! - b[k]!) ** 2, den + b[k]! ** 2];
      expect(Math.sqrt(num / den), `${what} (seed ${g.seed})`).toBeLessThan(1e-5);
    };
    close(storedImg.subarray(2 * 144, 3 * 144), img, 'image of sample 2');
    close(storedAct.subarray(2 * 288, 3 * 288), act, 'actions of sample 2');
    tl.disposeJiSurvey(survey);
    [data.m, data.m0, data.image, data.actions!].forEach((t) => t.dispose());
  });

  it('refuses a store made with other parameters or directions, and unknown options', async () => {
    const store = new tl.MemoryStore();
    await tl.generateJiDataset(store, { ...JI_OPTS, samples: 1 }, null);
    await expect(tl.generateJiDataset(store, { ...JI_OPTS, samples: 1, seed: 6 }, null)).rejects.toThrow(
      'tellus: generateJiDataset(store, opts, directions): store: expected an empty store or one holding this data set (same parameters and directions), got one made with',
    );
    await expect(tl.generateJiDataset(store, { ...JI_OPTS, samples: 1 }, jiDirections(1, 1))).rejects.toThrow(
      'same parameters and directions',
    );
    await expect(tl.generateJiDataset(store, { ...JI_OPTS, sample: 1 } as unknown as tl.JiDataOptions, null)).rejects.toThrow(
      "generateJiDataset(store, opts, directions): unknown option 'sample'",
    );
    await expect(tl.generateJiDataset(store, JI_OPTS, tl.zeros([2, 12, 11]))).rejects.toThrow(
      'tellus: generateJiDataset(store, opts, directions): directions: expected null or a live float32 tensor [r, 12, 12], got',
    );
  });
});
