// Scale-out on the in-process backend (every runtime): shot-batched FWI against one valueAndGrad
// over all shots, checkpoint resume, shards and ensemble members as tasks against making them
// here, and a task that keeps failing. The BullMQ backend runs the same tasks in scale-redis.test.ts.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { IN_BROWSER, rng, useDevice } from './helpers.js';
import { JI_OPTS, jiDirections } from './ji-fixtures.js';
import { N, observedData, SURVEY, v0, WAVE } from './scale-fixtures.js';

tl.defineTask('test-poison', () => Promise.reject(new Error('poisoned input')));

// The numerics-heavy cases run in Node and Deno; Chromium (the same SwiftShader as Node) keeps the
// task machinery: shards as tasks, failures and bad input (IN_BROWSER, docs/testing.md).
describe('scale-out, in-process backend', () => {
  useDevice();

  it.skipIf(IN_BROWSER)('sums shot batches to the misfit and gradient of all shots at once', async () => {
    const observed = await observedData();
    const blobs = new tl.MemoryBlobs();
    const backend = new tl.LocalBackend({ store: blobs });
    const misfit = await tl.ShotMisfit.create(backend, SURVEY, observed, 4);
    const batched = await misfit.evaluate(v0, 'a');
    await misfit.evaluate(v0, 'b');
    // Only the two batches' observed traces stay stored: each evaluation releases its model and gradients.
    expect(blobs.size).toBe(2);
    // Reference: one valueAndGrad over the six shots (another summation order, so not bitwise).
    const [loss, grad] = tl.tidy(() => {
      const obs = tl.tensor(observed, { shape: [6, N, SURVEY.nt] });
      const opts = tl.surveyOptions(SURVEY, 0, 6);
      return tl.valueAndGrad((v: tl.Tensor) => tl.mul(tl.sum(tl.square(tl.sub(tl.acoustic2d(v, opts), obs))), 0.5))(
        tl.tensor(v0, { shape: [N, N] }),
      ) as [tl.Tensor, tl.Tensor];
    });
    const [m, g] = [await loss.item(), (await grad.data()) as Float32Array];
    loss.dispose();
    grad.dispose();
    expect(m).toBeGreaterThan(0);
    expect(Math.abs(batched.misfit - m) / m).toBeLessThan(1e-5);
    const scale = g.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
    expect(scale).toBeGreaterThan(0);
    // float32 sums of 3 vs 2 partial gradients: differences at a few ulps of the largest entry.
    const worst = g.reduce((a, x, i) => Math.max(a, Math.abs(x - batched.gradient[i]!)), 0);
    expect(worst / scale).toBeLessThan(1e-5);
  });

  it.skipIf(IN_BROWSER)('resumes FWI from its checkpoint to the same model, bit for bit', async () => {
    const observed = await observedData();
    const backend = new tl.LocalBackend();
    const straight = await tl.shotFwi(backend, SURVEY, observed, v0, { iterations: 3, lr: 5, shotsPerTask: 3 });
    const state = new tl.MemoryStore();
    const stop = new Error('coordinator killed');
    await expect(
      tl.shotFwi(backend, SURVEY, observed, v0, {
        iterations: 3,
        lr: 5,
        shotsPerTask: 3,
        state,
        onIteration: ({ iteration }) => {
          if (iteration === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const resumed = await tl.shotFwi(backend, SURVEY, observed, v0, { iterations: 3, lr: 5, shotsPerTask: 3, state });
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.misfits).toEqual(straight.misfits);
    expect(straight.misfits).toHaveLength(3);
    expect(straight.model.some((x, i) => x !== v0[i])).toBe(true);
    expect(new Uint32Array(resumed.model.buffer)).toEqual(new Uint32Array(straight.model.buffer));
  });

  it('makes data set shards as tasks, byte for byte the shards made here', async () => {
    const here = new tl.MemoryStore();
    await tl.generateWaveDataset(here, WAVE);
    const tasks = new tl.MemoryStore();
    const blobs = new tl.MemoryBlobs();
    const m = await tl.generateWaveDataset(tasks, WAVE, {
      produce: tl.shardTasks(new tl.LocalBackend({ store: blobs }), 'wave-shard', WAVE),
    });
    expect(m.complete).toBe(true);
    expect(blobs.size).toBe(0);
    expect(await tasks.list()).toEqual(await here.list());
    for (const name of await here.list()) expect(await tasks.get(name)).toEqual(await here.get(name));
  });

  it.skipIf(IN_BROWSER)('makes JI-FNO shards (images and Jacobian actions along given directions) as tasks, byte for byte', async () => {
    const opts = JI_OPTS;
    const D = jiDirections(rng().seed, 2);
    const d = (await D.data()) as Float32Array;
    const here = new tl.MemoryStore();
    await tl.generateJiDataset(here, opts, D);
    const tasks = new tl.MemoryStore();
    const produce = tl.shardTasks(new tl.LocalBackend(), 'ji-shard', opts, { directions: { shape: [2, 12, 12], data: d } });
    expect((await tl.generateJiDataset(tasks, opts, D, { produce })).complete).toBe(true);
    D.dispose();
    expect(await tasks.list()).toEqual(await here.list());
    for (const name of await here.list()) expect(await tasks.get(name)).toEqual(await here.get(name));
  });

  it.skipIf(IN_BROWSER)('trains ensemble members as tasks to the weights trainEnsemble gives', async () => {
    const x = tl.tidy(() => tl.reshape(tl.sin(tl.mul(tl.arange(0, 64), 0.3)), [4, 1, 4, 4]));
    const y = tl.tidy(() => tl.mul(x, 2));
    const cfg = { depth: 1, width: 4 };
    const train = { epochs: 2, batch: 2, lr: 1e-2, seed: 5 };
    const local = await tl.trainEnsemble((k) => new tl.UNet(1, 1, { ...cfg, seed: 11 + k }), x, y, { ...train, members: 2 });
    const viaTasks = await tl.trainEnsembleTasks(
      new tl.LocalBackend(),
      { recipe: 'unet', config: { in: 1, out: 1, ...cfg, seed: 11 } },
      x,
      y,
      {
        ...train,
        members: 2,
      },
    );
    for (let k = 0; k < 2; k++) {
      const a = local.members[k]!.parameters();
      const b = viaTasks.members[k]!.parameters();
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const name of Object.keys(a)) expect(await b[name]!.data()).toEqual(await a[name]!.data());
      expect(viaTasks.results[k]!.losses).toEqual(local.results[k]!.losses);
    }
    for (const m of [...local.members, ...viaTasks.members]) for (const p of Object.values(m.parameters())) p.dispose();
    x.dispose();
    y.dispose();
  });

  it('ends the run naming a task that keeps failing, its tries and its last error', async () => {
    const backend = new tl.LocalBackend({ attempts: 2 });
    const task = { kind: 'test-poison', id: 'p-1', seed: 0, params: null, blobs: {} };
    await expect(backend.run([task])).rejects.toThrow("tellus: task 'p-1' (test-poison) failed after 2 attempts: poisoned input");
    await expect(backend.run([{ ...task, kind: 'no-such-kind' }])).rejects.toThrow(
      /no handler for task kind 'no-such-kind'.*known: .*fwi-shots/,
    );
  });

  it('rejects bad input with the function, the argument and the value', async () => {
    expect(() => new tl.LocalBackend({ attempt: 2 } as never)).toThrow(/unknown option 'attempt'.*did you mean 'attempts'/);
    expect(() => tl.shardTasks(new tl.LocalBackend(), 'ji-shard', JI_OPTS, { direction: null } as never)).toThrow(
      /shardTasks\(backend, kind, opts, extra\): unknown option 'direction'.*did you mean 'directions'/,
    );
    await expect(tl.ShotMisfit.create(new tl.LocalBackend(), SURVEY, new Float32Array(7))).rejects.toThrow(
      /ShotMisfit.create\(backend, survey, observed, shotsPerTask\): observed: expected a Float32Array of shots x receivers x nt = 6 x 20 x 140/,
    );
    await expect(tl.shotFwi(new tl.LocalBackend(), SURVEY, new Float32Array(6 * N * 140), v0, { iteration: 3 } as never)).rejects.toThrow(
      /did you mean 'iterations'/,
    );
    const bad = { ...SURVEY, receivers: SURVEY.receivers.slice(1) };
    await expect(tl.ShotMisfit.create(new tl.LocalBackend(), bad, new Float32Array(1))).rejects.toThrow(
      /survey.receivers: expected one receiver list per shot \(6\)/,
    );
    await expect(
      new tl.LocalBackend().run([
        { kind: 'fwi-shots', id: 'x', seed: 0, params: null, blobs: {} },
        { kind: 'fwi-shots', id: 'x', seed: 0, params: null, blobs: {} },
      ]),
    ).rejects.toThrow(/distinct ids/);
  });
});
