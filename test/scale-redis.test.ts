// @node-only: the BullMQ backend and its workers are Node processes talking to a redis-server.
// A throwaway Redis on a free loopback port (no persistence) and three `tellus worker` processes
// with short locks (a killed worker's task is retried after ~6 s, not BullMQ's default 60 s; 5 s still covers a
// first task that blocks the event loop while its pipelines compile). Each
// case compares against the in-process backend bit for bit, and every wait is bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { BullBackend } from '../src/scale/node/bullmq.js';
import { freePort, type Spawned, startRedis, startWorkerProcess } from '../src/scale/node/cluster.js';
import { useDevice } from './helpers.js';
import { observedData, SURVEY, v0, WAVE } from './scale-fixtures.js';

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('scale-out on BullMQ and Redis', () => {
  useDevice();
  let port = 0;
  let url = '';
  let redis: Spawned;
  let shared = '';
  const workers: Spawned[] = [];
  const startWorker = async () => {
    const w = await startWorkerProcess([
      '--redis',
      url,
      '--shared',
      shared,
      '--lock-ms',
      '5000',
      '--stalled-ms',
      '1000',
      '--inline-limit',
      '4096',
    ]);
    workers.push(w);
    return w;
  };
  const backend = (extra: Partial<Parameters<typeof BullBackend.connect>[0]> = {}) =>
    BullBackend.connect({ redis: url, shared, inlineLimit: 4096, timeoutMs: 90_000, ...extra });

  beforeAll(async () => {
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    shared = mkdtempSync(join(tmpdir(), 'tellus-shared-'));
    redis = await startRedis(port);
    await Promise.all([startWorker(), startWorker(), startWorker()]);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.alive) w.proc.kill('SIGKILL');
    redis?.proc.kill('SIGKILL');
    rmSync(shared, { recursive: true, force: true });
  });

  it('three workers compute the FWI gradient bit for bit as the in-process run', async () => {
    const observed = await observedData();
    const local = await (await tl.ShotMisfit.create(new tl.LocalBackend(), SURVEY, observed, 1)).evaluate(v0, 'g');
    const bull = backend();
    const remote = await (await tl.ShotMisfit.create(bull, SURVEY, observed, 1)).evaluate(v0, 'g');
    await bull.close();
    expect(remote.misfit).toBe(local.misfit);
    expect(bits(remote.gradient)).toEqual(bits(local.gradient));
    // Six tasks went to more than one worker (observed traces and gradients over 4 KiB went through the shared folder).
    const busy = workers.filter((w) => /task fwi-g-b\d+ \(fwi-shots\) done/.test(w.out.join(''))).length;
    expect(busy).toBeGreaterThan(1);
  });

  it('three workers make a small data set, byte for byte the in-process one', async () => {
    const here = new tl.MemoryStore();
    await tl.generateWaveDataset(here, WAVE);
    const bull = backend();
    const there = new tl.MemoryStore();
    const m = await tl.generateWaveDataset(there, WAVE, { produce: tl.shardTasks(bull, 'wave-shard', WAVE, { name: 'ds' }) });
    await bull.close();
    expect(m.complete).toBe(true);
    expect(await there.list()).toEqual(await here.list());
    for (const n of await here.list()) expect(await there.get(n)).toEqual(await here.get(n));
  });

  it('a worker SIGKILLed mid-task: the task runs again elsewhere and nothing is lost or stored twice', async () => {
    const opts = { ...WAVE, samples: 6, samplesPerShard: 1, seed: 9 };
    const here = new tl.MemoryStore();
    await tl.generateWaveDataset(here, opts);
    const bull = backend();
    const there = new tl.MemoryStore();
    const stored: number[] = [];
    let victim: Spawned | null = null;
    const killer = setInterval(() => {
      const w = workers.find((x) => x.alive && /task kill-\d+ \(wave-shard\) started/.test(x.out.join('')));
      if (w && !victim) {
        victim = w;
        w.proc.kill('SIGKILL');
      }
    }, 5);
    const m = await tl.generateWaveDataset(there, opts, {
      produce: tl.shardTasks(bull, 'wave-shard', opts, { name: 'kill' }),
      onShard: (p) => void (p.skipped || stored.push(p.shard)),
    });
    clearInterval(killer);
    await bull.close();
    expect(victim).not.toBeNull();
    expect(m.complete).toBe(true);
    expect(stored.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const n of await here.list()) expect(await there.get(n)).toEqual(await here.get(n));
    await startWorker(); // back to three
  });

  it('Redis restarted mid-run: the coordinator reconnects, resubmits what Redis lost, and the run completes', async () => {
    const observed = await observedData();
    const local = await (await tl.ShotMisfit.create(new tl.LocalBackend(), SURVEY, observed, 1)).evaluate(v0, 'r');
    const bull = backend();
    const misfit = await tl.ShotMisfit.create(bull, SURVEY, observed, 1);
    const restart: { done?: Promise<void> } = {};
    const remote = await misfit.evaluate(v0, 'r', (done) => {
      if (done === 1 && !restart.done)
        restart.done = (async () => {
          redis.proc.kill('SIGKILL');
          await redis.exited(10_000);
          redis = await startRedis(port);
        })();
    });
    await restart.done;
    await bull.close();
    expect(restart.done).toBeDefined();
    expect(remote.misfit).toBe(local.misfit);
    expect(bits(remote.gradient)).toEqual(bits(local.gradient));
  });

  it('a poisoned task ends the run with an error naming it and its last error', async () => {
    const bull = backend({ attempts: 2, backoffMs: 50 });
    const bad = await bull.store.put(new Uint8Array([1, 2, 3]));
    const task = {
      kind: 'fwi-shots',
      id: 'poison-0',
      seed: 0,
      params: { survey: SURVEY, first: 0, count: 1 } as unknown as tl.Json,
      blobs: { model: bad, observed: bad },
    };
    await expect(bull.run([task])).rejects.toThrow(/tellus: task 'poison-0' \(fwi-shots\) failed after 2 attempts: .*decodeSafetensors/);
    await bull.drain();
    await bull.close();
  });

  it('a coordinator restarted mid-FWI resumes from the last completed iteration', async () => {
    const observed = await observedData();
    const opts = { iterations: 2, lr: 5, shotsPerTask: 2, name: 'resume' };
    const straight = await tl.shotFwi(new tl.LocalBackend(), SURVEY, observed, v0, opts);
    const state = new tl.MemoryStore();
    const first = backend();
    const crash = new Error('coordinator killed');
    await expect(tl.shotFwi(first, SURVEY, observed, v0, { ...opts, state, onIteration: () => Promise.reject(crash) })).rejects.toBe(crash);
    await first.close();
    const second = backend();
    const resumed = await tl.shotFwi(second, SURVEY, observed, v0, { ...opts, state });
    await second.close();
    expect(resumed.resumedFrom).toBe(1);
    expect(resumed.misfits).toEqual(straight.misfits);
    expect(bits(resumed.model)).toEqual(bits(straight.model));
  });

  it('SIGTERM: each worker lets its current task finish and exits 0', async () => {
    const live = workers.filter((w) => w.alive);
    for (const w of live) w.proc.kill('SIGTERM');
    const codes = await Promise.all(live.map((w) => w.exited(30_000)));
    expect(codes).toEqual(live.map(() => 0));
    for (const w of live) expect(w.out.join('')).toMatch(/SIGTERM: finishing current tasks[\s\S]*stopped after \d+ tasks/);
  });

  it('SIGTERM with Redis unreachable: the worker still exits 0 instead of waiting for ever', async () => {
    const w = await startWorkerProcess(['--redis', `redis://127.0.0.1:${await freePort()}`]);
    w.proc.kill('SIGTERM');
    expect(await w.exited(30_000)).toBe(0);
    expect(w.out.join('')).toMatch(/SIGTERM: finishing current tasks[\s\S]*stopped after 0 tasks/);
  });
});
