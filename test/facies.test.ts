// Facies training sets for generative priors (issue 21): the channel generator (seeds, binary
// values, sand proportion, straight ribbons against their exact band), facies velocities, the
// statistics against brute-force float64 loops and closed forms, connectivity on hand-built
// fields and against a flood-fill reference, and the sharded data set's round trip and resume.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';

useDevice();

const batch = (values: ArrayLike<number>, n: number, nz: number, nx: number): tl.ModelBatch => ({ values, shape: [n, nz, nx] });

describe('channelModelValues', () => {
  it('is a function of its seed and binary, 64 x 64 by default', () => {
    const a = tl.channelModelValues({ seed: 11 });
    const b = tl.channelModelValues({ seed: 11 });
    const c = tl.channelModelValues({ seed: 12 });
    expect([a.nz, a.nx, a.values.length]).toEqual([64, 64, 4096]);
    expect(a.values).toBeInstanceOf(Float32Array);
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    expect(Array.from(c.values)).not.toEqual(Array.from(a.values));
    expect(a.values.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('has the documented sand proportion at the defaults (mean of 64 models at 32 x 32 in [0.2, 0.35])', () => {
    const g = rng();
    const n = 64;
    const values = new Float32Array(n * 32 * 32);
    for (let s = 0; s < n; s++)
      values.set(tl.channelModelValues({ nz: 32, nx: 32, seed: Math.floor(g.next() * 2 ** 32) }).values, s * 1024);
    // Measured mean 0.26, per-model std 0.088 (docs/generative-priors.md): the mean of 64 has std 0.011.
    const p = tl.faciesProportion(batch(values, n, 32, 32));
    expect(p.mean, `seed ${g.seed}`).toBeGreaterThan(0.2);
    expect(p.mean, `seed ${g.seed}`).toBeLessThan(0.35);
    expect(p.std, `seed ${g.seed}`).toBeGreaterThan(0.03);
  });

  it('draws a straight channel as the band of cells within half its width of its axis', () => {
    for (const [angle, width] of [
      [0, 5],
      [30, 4],
      [-20, 6.5],
      [90, 3],
    ] as const) {
      // Seed 2 puts each band inside the grid (checked below), so its full width shows.
      const opts = { nz: 24, nx: 40, count: [1, 1], sines: [0, 0], angle: [angle, angle], width: [width, width], seed: 2 } as const;
      const { values, nz, nx } = tl.channelModelValues(opts);
      // Signed distance of each cell from a line through the origin along the axis; sand must be exactly an interval of it.
      const th = (angle * Math.PI) / 180;
      const t = (i: number, j: number) => -j * Math.sin(th) + i * Math.cos(th);
      let [lo, hi, gridLo, gridHi] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          [gridLo, gridHi] = [Math.min(gridLo, t(i, j)), Math.max(gridHi, t(i, j))];
          if (values[i * nx + j]) [lo, hi] = [Math.min(lo, t(i, j)), Math.max(hi, t(i, j))];
        }
      expect(lo > gridLo + 1 && hi < gridHi - 1, `angle ${angle}: band inside the grid`).toBe(true);
      expect(hi - lo, `angle ${angle}`).toBeLessThanOrEqual(width + 1e-9);
      // Cell centres are at most one cell apart across the band, so the extreme sand cells span more than width - 2.
      expect(hi - lo, `angle ${angle}`).toBeGreaterThan(width - 2);
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++)
          expect(values[i * nx + j], `angle ${angle} cell ${i},${j}`).toBe(t(i, j) >= lo && t(i, j) <= hi ? 1 : 0);
    }
  });

  it('rejects bad ranges and unknown options, suggesting the closest name', () => {
    expect(() => tl.channelModelValues({ count: [3, 2] })).toThrow(
      'tellus: channelModelValues(opts): opts.count: expected [min, max] with min <= max, integers in [0, 1024], got [3, 2]',
    );
    expect(() => tl.channelModelValues({ width: [0, 2] })).toThrow(RangeError);
    expect(() => tl.channelModelValues({ nz: 1 })).toThrow('opts.nz: expected an integer in [2, 65536], got 1');
    expect(() => tl.channelModelValues({ widht: [2, 3] } as tl.ChannelModelOptions)).toThrow(
      "tellus: channelModelValues(opts): unknown option 'widht' (did you mean 'width'?)",
    );
  });
});

describe('faciesVelocity', () => {
  it('maps 0 to shale and 1 to sand linearly, clipping outside [0, 1]', () => {
    expect(Array.from(tl.faciesVelocity([0, 1, 0.5, -1, 2]))).toEqual([2, 2.5, 2.25, 2, 2.5]);
    expect(Array.from(tl.faciesVelocity(new Float32Array([0, 1]), { shale: 3, sand: 2 }))).toEqual([3, 2]);
    expect(() => tl.faciesVelocity([0, NaN])).toThrow(
      'tellus: faciesVelocity(values, opts): values: expected numbers, not NaN, got NaN at index 1',
    );
    expect(() => tl.faciesVelocity([0], { sandy: 2 } as tl.FaciesVelocityOptions)).toThrow("unknown option 'sandy' (did you mean 'sand'?)");
  });
});

/** gamma(h) by its definition: every pair inside each sample, per-sample averages then their mean. */
function variogramRef(v: ArrayLike<number>, n: number, nz: number, nx: number, axis: 'x' | 'z', maxLag: number, t?: number): number[] {
  const f = (s: number, i: number, j: number) => {
    const x = v[(s * nz + i) * nx + j]!;
    return t === undefined ? x : x >= t ? 1 : 0;
  };
  const out = [0];
  for (let h = 1; h <= maxLag; h++) {
    let mean = 0;
    for (let s = 0; s < n; s++) {
      let [sum, pairs] = [0, 0];
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          const [i2, j2] = axis === 'x' ? [i, j + h] : [i + h, j];
          if (i2 >= nz || j2 >= nx) continue;
          sum += (f(s, i, j) - f(s, i2, j2)) ** 2;
          pairs++;
        }
      mean += sum / (2 * pairs) / n;
    }
    out.push(mean);
  }
  return out;
}

/** Components by breadth-first flood fill (4-neighbours): an independent labelling. */
function floodLabels(sand: (i: number, j: number) => boolean, nz: number, nx: number): Int32Array {
  const label = new Int32Array(nz * nx).fill(-1);
  let next = 0;
  for (let start = 0; start < nz * nx; start++) {
    if (label[start] !== -1 || !sand(Math.floor(start / nx), start % nx)) continue;
    const queue = [start];
    label[start] = next;
    while (queue.length) {
      const k = queue.pop()!;
      const [i, j] = [Math.floor(k / nx), k % nx];
      for (const [a, b] of [
        [i - 1, j],
        [i + 1, j],
        [i, j - 1],
        [i, j + 1],
      ] as const)
        if (a >= 0 && a < nz && b >= 0 && b < nx && label[a * nx + b] === -1 && sand(a, b)) {
          label[a * nx + b] = next;
          queue.push(a * nx + b);
        }
    }
    next++;
  }
  return label;
}

function connectivityRef(v: ArrayLike<number>, n: number, nz: number, nx: number, axis: 'x' | 'z', maxLag: number, t = 0.5): number[] {
  const out = new Array<number>(maxLag + 1).fill(0);
  for (let s = 0; s < n; s++) {
    const label = floodLabels((i, j) => v[(s * nz + i) * nx + j]! >= t, nz, nx);
    for (let h = 0; h <= maxLag; h++) {
      let [hits, pairs] = [0, 0];
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          const [i2, j2] = axis === 'x' ? [i, j + h] : [i + h, j];
          if (i2 >= nz || j2 >= nx) continue;
          pairs++;
          if (label[i * nx + j]! >= 0 && label[i * nx + j] === label[i2 * nx + j2]) hits++;
        }
      out[h]! += hits / pairs / n;
    }
  }
  return out;
}

// Both sides sum the same float64 terms in different orders: 1e-12 relative covers the rounding.
const near = (got: Float64Array, want: number[], what: string) => {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, h) => expect(Math.abs(got[h]! - w), `${what} lag ${h}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w))));
};

describe('variogram', () => {
  it('matches a brute-force float64 loop on random binary and continuous fields, both axes', () => {
    const g = rng();
    const [n, nz, nx] = [3, 7, 9];
    const binary = Float32Array.from({ length: n * nz * nx }, () => (g.next() < 0.4 ? 1 : 0));
    const soft = Float32Array.from({ length: n * nz * nx }, () => g.next());
    for (const axis of ['x', 'z'] as const) {
      const maxLag = axis === 'x' ? 8 : 6;
      near(
        tl.variogram(batch(binary, n, nz, nx), { axis, maxLag }),
        variogramRef(binary, n, nz, nx, axis, maxLag),
        `binary ${axis} (seed ${g.seed})`,
      );
      near(
        tl.variogram(batch(soft, n, nz, nx), { axis, maxLag }),
        variogramRef(soft, n, nz, nx, axis, maxLag),
        `soft ${axis} (seed ${g.seed})`,
      );
      near(
        tl.variogram({ values: soft, shape: [n, 1, nz, nx] }, { axis, maxLag, threshold: 0.3 }),
        variogramRef(soft, n, nz, nx, axis, maxLag, 0.3),
        `indicator ${axis} (seed ${g.seed})`,
      );
    }
  });

  it('has the closed forms of stripes and ramps', () => {
    const [nz, nx] = [5, 12];
    // Alternating columns: f(j) != f(j + h) exactly when h is odd, so gamma_x = 1/2 at odd lags, 0 at even; gamma_z = 0.
    const stripes = Float32Array.from({ length: nz * nx }, (_, k) => (k % nx) % 2);
    expect(Array.from(tl.variogram(batch(stripes, 1, nz, nx), { axis: 'x', maxLag: 7 }))).toEqual([0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5]);
    expect(Array.from(tl.variogram(batch(stripes, 1, nz, nx), { axis: 'z', maxLag: 4 }))).toEqual([0, 0, 0, 0, 0]);
    // A ramp f = c x: every pair differs by c h, so gamma_x(h) = c^2 h^2 / 2 (c = 0.25 and the values are exact in float32).
    const ramp = Float32Array.from({ length: nz * nx }, (_, k) => 0.25 * (k % nx));
    expect(Array.from(tl.variogram(batch(ramp, 1, nz, nx), { axis: 'x' }))).toEqual([0, 1, 2, 3, 4, 5, 6].map((h) => (0.0625 * h * h) / 2));
  });

  it('rejects bad axes, lags and shapes', () => {
    const m = batch(new Float32Array(12), 1, 3, 4);
    expect(() => tl.variogram(m, { axis: 'y' as 'x' })).toThrow(
      "tellus: variogram(models, opts): opts.axis: expected 'x' or 'z', got \"y\"",
    );
    expect(() => tl.variogram(m, { axis: 'z', maxLag: 3 })).toThrow('opts.maxLag: expected less than the axis length (3), got 3');
    expect(() => tl.variogram(m, { axis: 'x', maxlag: 2 } as tl.VariogramOptions)).toThrow(
      "unknown option 'maxlag' (did you mean 'maxLag'?)",
    );
    expect(() => tl.variogram(batch(new Float32Array(11), 1, 3, 4), { axis: 'x' })).toThrow(
      "models.values: expected 12 values (the shape's), got 11",
    );
    expect(() => tl.variogram({ values: new Float32Array(24), shape: [1, 2, 3, 4] }, { axis: 'x' })).toThrow('models.shape');
  });
});

describe('connectivity', () => {
  it('is 0 between two disconnected blobs and the both-sand probability once they are joined', () => {
    const [nz, nx] = [8, 12];
    const field = new Float32Array(nz * nx);
    for (let i = 2; i <= 5; i++) for (const j of [1, 2, 3, 7, 8, 9]) field[i * nx + j] = 1;
    const tau = tl.connectivity(batch(field, 1, nz, nx), { axis: 'x', maxLag: 8 });
    // Lags 4..8 only pair cells of different blobs; lag 6 pairs 4 rows x 3 columns of sand with sand.
    expect(Array.from(tau.subarray(4))).toEqual([0, 0, 0, 0, 0]);
    expect(tau[0]).toBe(24 / 96);
    expect(tau[1]).toBe((4 * 2 * 2) / (8 * 11)); // within each blob: 2 pairs per row
    for (let j = 4; j <= 6; j++) field[3 * nx + j] = 1; // a bridge along row 3
    const joined = tl.connectivity(batch(field, 1, nz, nx), { axis: 'x', maxLag: 8 });
    // Row 3 is sand from column 1 to 9, the other rows as before: at lag 6, 3 pairs on row 3 and 3 on each of the other 3 rows.
    expect(joined[6]).toBe(12 / (8 * 6));
  });

  it('has the closed form of one full row, and 4- (not 8-) connectivity', () => {
    const [nz, nx] = [6, 10];
    const row = new Float32Array(nz * nx).fill(1, 2 * nx, 3 * nx);
    // tau_x(h) = (nx - h) pairs of the one row / (nz (nx - h)) pairs = 1 / nz; tau_z = 0 beyond lag 0.
    expect(Array.from(tl.connectivity(batch(row, 1, nz, nx), { axis: 'x', maxLag: 9 }))).toEqual(new Array(10).fill(1 / nz));
    expect(Array.from(tl.connectivity(batch(row, 1, nz, nx), { axis: 'z', maxLag: 5 }))).toEqual([1 / nz, 0, 0, 0, 0, 0]);
    // A diagonal staircase touches only at corners: every cell is its own body.
    const diag = new Uint8Array(16);
    for (let k = 0; k < 4; k++) diag[k * 4 + k] = 1;
    const label = tl.sandComponents(diag, 4, 4);
    expect(new Set([0, 5, 10, 15].map((k) => label[k])).size).toBe(4);
    expect(Array.from(tl.connectivity(batch(diag, 1, 4, 4), { axis: 'x', maxLag: 3 }))).toEqual([0.25, 0, 0, 0]);
  });

  it('matches a flood-fill reference on random fields and channel models, both axes', () => {
    const g = rng();
    const [n, nz, nx] = [4, 10, 13];
    const random = Float32Array.from({ length: n * nz * nx }, () => g.next());
    const channels = new Float32Array(n * nz * nx);
    for (let s = 0; s < n; s++) channels.set(tl.channelModelValues({ nz, nx, seed: g.seed + s }).values, s * nz * nx);
    for (const [name, v, t] of [
      ['random', random, 0.45],
      ['channels', channels, 0.5],
    ] as const)
      for (const axis of ['x', 'z'] as const) {
        const maxLag = axis === 'x' ? 12 : 9;
        near(
          tl.connectivity(batch(v, n, nz, nx), { axis, maxLag, threshold: t }),
          connectivityRef(v, n, nz, nx, axis, maxLag, t),
          `${name} ${axis} (seed ${g.seed})`,
        );
      }
  });
});

describe('compareStatistics', () => {
  it('is zero for a batch against itself and combines the curves otherwise', () => {
    const g = rng();
    const [n, nz, nx] = [3, 8, 8];
    const train = new Float32Array(n * nz * nx);
    for (let s = 0; s < n; s++) train.set(tl.channelModelValues({ nz, nx, seed: g.seed + s }).values, s * nz * nx);
    const gen = Float32Array.from({ length: 2 * nz * nx }, () => g.next());
    const same = tl.compareStatistics(batch(train, n, nz, nx), batch(train, n, nz, nx));
    expect(same).toEqual({
      maxLag: 4,
      threshold: 0.5,
      proportion: { ...same.proportion, difference: 0 },
      variogramRms: { x: 0, z: 0 },
      connectivityRms: { x: 0, z: 0 },
    });
    const c = tl.compareStatistics(batch(gen, 2, nz, nx), { values: train, shape: [n, 1, nz, nx] }, { maxLag: 3 });
    const rms = (a: Float64Array, b: Float64Array) => Math.sqrt([1, 2, 3].reduce((s, h) => s + (a[h]! - b[h]!) ** 2, 0) / 3);
    const G = batch(gen, 2, nz, nx);
    const T = batch(train, n, nz, nx);
    expect(c.proportion.difference).toBe(tl.faciesProportion(G).mean - tl.faciesProportion(T).mean);
    for (const axis of ['x', 'z'] as const) {
      expect(c.variogramRms[axis]).toBe(rms(tl.variogram(G, { axis, maxLag: 3 }), tl.variogram(T, { axis, maxLag: 3 })));
      expect(c.connectivityRms[axis]).toBe(rms(tl.connectivity(G, { axis, maxLag: 3 }), tl.connectivity(T, { axis, maxLag: 3 })));
    }
    expect(c.variogramRms.x).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
    expect(() => tl.compareStatistics(batch(gen, 2, 8, 8), batch(new Float32Array(2 * 8 * 4), 2, 8, 4))).toThrow(
      'tellus: compareStatistics(generated, training, opts): generated: expected models of the training grid 8 x 4, got 8 x 8',
    );
  });
});

async function files(store: tl.MemoryStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await store.list()) out.set(name, Array.from((await store.get(name))!).join());
  return out;
}

describe('generateFaciesDataset', () => {
  const OPTS: tl.FaciesDataOptions = { samples: 5, nz: 16, nx: 12, samplesPerShard: 2, seed: 3 };

  it('stores the models in shards, resumes a deleted shard to the same bytes and loads them back', async () => {
    const store = new tl.MemoryStore();
    const m = await tl.generateFaciesDataset(store, OPTS);
    expect(m.complete).toBe(true);
    expect(m.shards.map((s) => [s.first, s.count])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(await store.list()).toEqual(['manifest.json', 'shard-00000.safetensors', 'shard-00001.safetensors', 'shard-00002.safetensors']);
    const before = await files(store);
    store.files.delete('shard-00001.safetensors');
    const skipped: boolean[] = [];
    await tl.generateFaciesDataset(store, OPTS, { onShard: (p) => void skipped.push(p.skipped) });
    expect(skipped).toEqual([true, false, true]);
    expect(await files(store)).toEqual(before);

    const ds = await tl.loadFaciesDataset(store);
    expect(ds.shape).toEqual([5, 1, 16, 12]);
    for (let i = 0; i < 5; i++)
      expect(Array.from(ds.values.subarray(i * 192, (i + 1) * 192)), `sample ${i}`).toEqual(
        Array.from(tl.channelModelValues({ nz: 16, nx: 12, seed: tl.sampleSeed(3, i) }).values),
      );
    const b = tl.faciesBatch(ds, [4, 0]);
    expect(b.shape).toEqual([2, 1, 16, 12]);
    expect(Array.from(await b.data())).toEqual([...ds.values.subarray(4 * 192), ...ds.values.subarray(0, 192)]);
    b.dispose();
    expect(() => tl.faciesBatch(ds, [5])).toThrow('tellus: faciesBatch(ds, indices): indices[0]: expected an integer in [0, 5), got 5');
    // The loaded set is a batch for the statistics as it is.
    expect(tl.faciesProportion(ds).mean).toBeGreaterThan(0);
  });

  it('refuses a store made with other options, reports an incomplete set, and checks options', async () => {
    const store = new tl.MemoryStore();
    await expect(
      tl.generateFaciesDataset(store, OPTS, {
        onShard: () => {
          throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    await expect(tl.loadFaciesDataset(store)).rejects.toThrow('tellus: loadFaciesDataset(store): the data set is incomplete (1 shards)');
    await expect(tl.generateFaciesDataset(store, { ...OPTS, seed: 4 })).rejects.toThrow(
      'tellus: generateFaciesDataset(store, opts): store: expected an empty store or one holding this data set (same parameters), got one made with',
    );
    // The same options with their keys in another order are the same data set.
    await tl.generateFaciesDataset(store, { seed: 3, samplesPerShard: 2, nx: 12, nz: 16, samples: 5, kind: 'channels', model: {} });
    await expect(tl.loadFaciesDataset(store)).resolves.toBeDefined();
    await expect(tl.generateFaciesDataset(new tl.MemoryStore(), { ...OPTS, sample: 2 } as tl.FaciesDataOptions)).rejects.toThrow(
      "unknown option 'sample' (did you mean 'samples'?)",
    );
    await expect(tl.generateFaciesDataset(new tl.MemoryStore(), { ...OPTS, kind: 'rivers' as 'channels' })).rejects.toThrow(
      "kind: expected 'channels', 'layered', 'faulted', got \"rivers\"",
    );
    await expect(
      tl.generateFaciesDataset(new tl.MemoryStore(), { ...OPTS, model: { widht: [1, 2] } as tl.ChannelModelOptions }),
    ).rejects.toThrow("channelModelValues(opts): unknown option 'widht' (did you mean 'width'?)");
    await expect(tl.generateFaciesDataset(new tl.MemoryStore(), { ...OPTS, kind: 'layered', model: { faults: [1, 2] } })).rejects.toThrow(
      "model.faults: expected [0, 0] for kind 'layered', got an array of length 2",
    );
  });

  it('writes shards with the host safetensors encoder, byte-identical to saveSafetensors', async () => {
    const data = Float32Array.from({ length: 6 }, (_, k) => k / 3 - 1);
    const ids = Int32Array.from([7, -2]);
    const meta = { count: '2' };
    const host = tl.encodeSafetensors(
      { b: { dtype: 'float32', shape: [2, 1, 3], data }, a: { dtype: 'int32', shape: [2], data: ids } },
      meta,
    );
    const [ta, tb] = [tl.tensor(ids, { shape: [2], dtype: 'int32' }), tl.tensor(data, { shape: [2, 1, 3] })];
    expect(Array.from(host)).toEqual(Array.from(await tl.saveSafetensors({ a: ta, b: tb }, meta)));
    const back = tl.decodeSafetensors(host);
    expect(back.metadata).toEqual(meta);
    expect(back.arrays.b).toEqual({ dtype: 'float32', shape: [2, 1, 3], data });
    expect(back.arrays.a).toEqual({ dtype: 'int32', shape: [2], data: ids });
    expect(() => tl.encodeSafetensors({ x: { dtype: 'int32', shape: [6], data } })).toThrow(
      "tellus: encodeSafetensors(arrays, metadata): arrays['x']: expected { dtype, shape, data } with data a typed array of the dtype holding prod(shape) values, got an object",
    );
    [ta, tb].forEach((t) => t.dispose());
  });

  it('scales layered and faulted models to [0, 1] by the velocity range', async () => {
    for (const kind of ['layered', 'faulted'] as const) {
      const store = new tl.MemoryStore();
      const opts: tl.FaciesDataOptions = { kind, samples: 2, nz: 16, nx: 20, seed: 9, model: { layers: [3, 5], vmin: 2 } };
      const m = await tl.generateFaciesDataset(store, opts);
      expect(m.scaling).toEqual({ offset: 2, scale: 2.5 });
      const ds = await tl.loadFaciesDataset(store);
      const model = tl.layeredModelValues({
        nz: 16,
        nx: 20,
        layers: [3, 5],
        vmin: 2,
        vmax: 4.5,
        faults: kind === 'layered' ? [0, 0] : [1, 3],
        seed: tl.sampleSeed(9, 1),
      });
      if (kind === 'faulted') expect(model.faults.length).toBeGreaterThan(0);
      const want = Float32Array.from(model.values, (v) => (v - 2) / 2.5);
      expect(Array.from(ds.values.subarray(320))).toEqual(Array.from(want));
      expect(ds.values.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
});
