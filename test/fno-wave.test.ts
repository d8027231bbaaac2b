// FNO wave surrogate (src/inverse/fnowave): dataset shards and their manifest (round trip through a
// store, consistency of the stored snapshots with the stored traces and with a fresh simulation),
// resume after an interruption (identical bytes), the IndexedDB store where the runtime has one, the
// surrogate's inputs against a float64 reference, and the FNO-FWI gradient (velocity -> FNO -> the
// paper's misfit) against central differences and a Taylor test.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';
import { maxAbs, relL2 } from './numerics.js';

// 16 x 16 cells of 0.16 km, 40 steps of 0.02 s (0.8 s: the Ricker's onset), snapshots every 10 steps.
const TINY = {
  nz: 16,
  nx: 16,
  nt: 40,
  snapshotEvery: 10,
  pmlWidth: 4,
  freq: 2.5,
  samplesPerShard: 2,
  receivers: [
    [3, 5],
    [8, 8],
  ] as [number, number][],
};

async function snapshot(store: tl.MemoryStore): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const k of await store.list()) out.set(k, (await store.get(k))!);
  return out;
}

describe('FNO wave dataset', () => {
  useDevice();

  it('writes shards and a manifest; loads them back; snapshots agree with the traces and with a fresh simulation', async () => {
    const store = new tl.MemoryStore();
    const seen: number[] = [];
    const m = await tl.generateWaveDataset(store, { ...TINY, samples: 5, seed: 7 }, { onShard: (p) => void seen.push(p.done) });
    expect(seen).toEqual([2, 4, 5]);
    expect(await store.list()).toEqual([tl.WAVE_MANIFEST, tl.shardName(0), tl.shardName(1), tl.shardName(2)]);
    expect(m.complete).toBe(true);
    expect(m.shards.map((s) => [s.first, s.count])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(m.sampleSeeds).toEqual([0, 1, 2, 3, 4].map((i) => tl.sampleSeed(7, i)));
    expect(new Set(m.sampleSeeds).size).toBe(5);
    expect(m.params).toMatchObject({ dx: 0.16, dt: 0.02, kappa: 0.5, ax: 1.6, az: 1.6, mean: 3, std: 0.15, maxVel: 4.5 });
    const d = await tl.loadWaveDataset(store);
    const p = d.manifest.params;
    expect(d.velocity.length).toBe(5);
    expect(d.snapshots[4]!.length).toBe(4 * 16 * 16);
    expect(d.traces[4]!.length).toBe(2 * 40);
    for (const [i, [z, x]] of d.sources.entries()) {
      expect([z, x]).toEqual(tl.sampleSource(p, i));
      for (const c of [z, x]) expect(c >= 2 && c < 14).toBe(true);
    }
    // Snapshot k is u after (k + 1)·10 steps; the receivers sample u[t] before step t, so trace
    // sample (k + 1)·10 is the snapshot's value at the receiver cell (k = 0, 1, 2).
    for (let i = 0; i < 5; i++)
      for (const [r, [z, x]] of p.receivers.entries())
        for (let k = 0; k < 3; k++) expect(d.snapshots[i]![k * 256 + z * 16 + x]).toBe(d.traces[i]![r * 40 + (k + 1) * 10]);
    expect(maxAbs(d.snapshots[3]!)).toBeGreaterThan(0);
    // Sample 3 again from its seed alone: the same model and wavefield.
    const v3 = tl.sampleModel(p, 3);
    const [u3] = tl.simulateWave(p, v3, tl.sampleSource(p, 3));
    expect(await v3.data()).toEqual(d.velocity[3]);
    expect(relL2(await u3.data(), d.snapshots[3]!)).toBe(0);
  });

  it('resumes: a run interrupted after 2 shards, then rerun, stores the same bytes as one uninterrupted run', async () => {
    const opts = { ...TINY, samples: 7, seed: 11 };
    const whole = new tl.MemoryStore();
    await tl.generateWaveDataset(whole, opts);
    const cut = new tl.MemoryStore();
    const stop = new Error('interrupted');
    await expect(
      tl.generateWaveDataset(cut, opts, {
        onShard: (p) => {
          if (p.shard === 1) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(await cut.list()).toEqual([tl.WAVE_MANIFEST, tl.shardName(0), tl.shardName(1)]);
    // A shard written without its manifest entry (the process died between the two writes) is redone.
    await cut.put(tl.shardName(2), new Uint8Array([1, 2, 3]));
    const skipped: boolean[] = [];
    const m = await tl.generateWaveDataset(cut, opts, { onShard: (p) => void skipped.push(p.skipped) });
    expect(skipped).toEqual([true, true, false, false]);
    expect(m.complete).toBe(true);
    const [a, b] = [await snapshot(whole), await snapshot(cut)];
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, bytes] of a) expect(b.get(k), k).toEqual(bytes);
    // A complete dataset reruns as a no-op; other parameters are refused, naming the difference.
    await tl.generateWaveDataset(cut, opts);
    expect(await snapshot(cut)).toEqual(a);
    await expect(tl.generateWaveDataset(cut, { ...opts, nt: 20 })).rejects.toThrow(/nt 40 vs 20/);
    await expect(tl.generateWaveDataset(new tl.MemoryStore(), { ...opts, snapshotEvery: 7 })).rejects.toThrow(
      /snapshotEvery.*divisor of nt/,
    );
    expect(() => tl.waveDataParams({ samples: 1, sampels: 2 } as never)).toThrow(/samples/);
    await expect(tl.loadWaveDataset(new tl.MemoryStore())).rejects.toThrow(/manifest/);
  });

  it.skipIf(!('indexedDB' in globalThis))('IndexedDB store: put, get, list and a dataset round trip', async () => {
    const name = `tellus-fnowave-test-${rng().seed}`;
    await tl.IndexedDBStore.destroy(name);
    const store = await tl.IndexedDBStore.open(name);
    await store.put('b', new Uint8Array([3, 4]));
    await store.put('a', new Uint8Array([1]));
    expect(await store.list()).toEqual(['a', 'b']);
    expect(await store.get('b')).toEqual(new Uint8Array([3, 4]));
    expect(await store.get('c')).toBeUndefined();
    const mem = new tl.MemoryStore();
    const opts = { ...TINY, samples: 3, seed: 5 };
    await tl.generateWaveDataset(mem, opts);
    await tl.generateWaveDataset(store, opts);
    for (const k of await mem.list()) expect(await store.get(k), k).toEqual(await mem.get(k));
    store.close();
    await tl.IndexedDBStore.destroy(name);
  });
});

describe('FNO wave surrogate', () => {
  useDevice();
  const scales = { vMean: 3, vStd: 0.15, uScale: 1, sourceWidth: 0.24 };

  it('inputs: normalized velocity and a Gaussian source bump in km, against float64', async () => {
    const g = rng();
    const v = tl.add(tl.mul(tl.randn([2, 6, 5], { seed: g.seed }), 0.15), 3);
    const src: [number, number][] = [
      [1, 2],
      [4, 0],
    ];
    const x = tl.waveInputs(v, src, 0.16, scales);
    expect(x.shape).toEqual([2, 2, 6, 5]);
    const [xv, vv] = [await x.data(), await v.data()];
    const ref = new Float64Array(2 * 2 * 30);
    for (let s = 0; s < 2; s++)
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 5; j++) {
          ref[(s * 2 * 6 + i) * 5 + j] = (vv[(s * 6 + i) * 5 + j]! - 3) / 0.15;
          const r2 = ((i - src[s]![0]) * 0.16) ** 2 + ((j - src[s]![1]) * 0.16) ** 2;
          ref[((s * 2 + 1) * 6 + i) * 5 + j] = Math.exp(-r2 / (2 * 0.24 * 0.24));
        }
    expect(relL2(xv, ref)).toBeLessThan(1e-6);
    // One model for all sources: broadcast.
    const shared = tl.waveInputs(tl.slice(v, [[0, 1]]).reshape([6, 5]), src, 0.16, scales);
    expect(
      maxAbs(
        await tl
          .sub(
            tl.slice(shared, [null, [0, 1]]),
            tl.slice(x, [
              [0, 1],
              [0, 1],
            ]),
          )
          .data(),
      ),
    ).toBe(0);
    expect(() => tl.waveInputs(v, [[0, 0]], 0.16, scales)).toThrow(/one model per source/);
  });

  it('FNO-FWI gradient (velocity -> FNO -> the paper misfit) against central differences and a Taylor test', async () => {
    const g = rng();
    const model = tl.waveFNO(3, { modes: 4, width: 6, layers: 2, projection: 8, seed: g.seed % 1000 });
    const src: [number, number][] = [
      [2, 3],
      [9, 8],
    ];
    const vTrue = tl.add(tl.mul(tl.randn([12, 12], { seed: g.seed }), 0.15), 3);
    const observed = tl.noGrad(() => tl.waveForward(model, vTrue, src, 0.16, scales));
    const f = (v: tl.Tensor): tl.Tensor => tl.waveMisfit(tl.waveForward(model, v, src, 0.16, scales), observed);
    const v0 = tl.full([12, 12], 3);
    const grad = tl.grad(f)(v0) as tl.Tensor;
    const dir = tl.mul(tl.randn([12, 12], { seed: g.seed + 1 }), 0.15);
    const h = 0.02;
    const [fp, fm, gd] = await Promise.all([
      f(tl.add(v0, tl.mul(dir, h))).item(),
      f(tl.sub(v0, tl.mul(dir, h))).item(),
      tl.sum(tl.mul(grad, dir)).item(),
    ]);
    const fd = (fp - fm) / (2 * h);
    console.log(`FNO-FWI gradient: <g, d> ${gd.toExponential(4)}, central difference ${fd.toExponential(4)} (seed ${g.seed})`);
    // Measured 0.5% apart (the difference's O(h²) term and float32 round-off of a sum over 2 x 3 x 144
    // terms); a wrong chain through the input normalization or the broadcast over sources is O(1).
    expect(Math.abs(fd - gd), `seed ${g.seed}`).toBeLessThan(0.02 * Math.abs(gd));
    const r = await tl.taylorTest(f, v0, { direction: dir, h0: 1, steps: 6 });
    console.log(`FNO-FWI Taylor: slope1 ${r.slope1.toFixed(3)}`);
    expect(r.passed, `seed ${g.seed}: ${r.message}`).toBe(true);
    model.dispose();
  });
});
