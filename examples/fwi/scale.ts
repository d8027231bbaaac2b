// The FWI demo over workers (docs/scale-out.md): --redis URL uses workers already running
// (`npx tellus worker --redis URL --shared DIR` on any machine); --workers N starts a throwaway
// Redis and N workers on this machine. Each iteration's misfit and gradient are then the sum of
// shot-batch tasks, reduced in batch order: the same numbers as one process running those batches.
import * as tl from '../../src/index.js';
import { BullBackend } from '../../src/scale/node/bullmq.js';
import { freePort, type Spawned, startRedis, startWorkerProcess } from '../../src/scale/node/cluster.js';

export interface ScaleFlags {
  redis?: string;
  workers?: string;
  shared?: string;
  shotsPerTask?: string;
}

export interface RemoteMisfit {
  misfit: tl.ShotMisfit;
  /** Workers and Redis started here (if any) are stopped. */
  close(): Promise<void>;
}

export async function remoteMisfit(f: ScaleFlags, survey: tl.ShotSurvey, observed: Float32Array): Promise<RemoteMisfit | null> {
  if (f.redis === undefined && f.workers === undefined) return null;
  if (f.redis !== undefined && f.workers !== undefined)
    throw new Error('fwi: give --redis (workers running elsewhere) or --workers N (start them here), not both');
  const perTask = Number(f.shotsPerTask ?? 4);
  if (!Number.isInteger(perTask) || perTask < 1)
    throw new Error(`fwi: --shots-per-task: expected a positive integer, got ${f.shotsPerTask}`);
  const started: Spawned[] = [];
  let url = f.redis;
  const { mkdtempSync } = await import('node:fs');
  const shared = f.shared ?? mkdtempSync('/tmp/tellus-fwi-');
  if (f.workers !== undefined) {
    const n = Number(f.workers);
    if (!Number.isInteger(n) || n < 1) throw new Error(`fwi: --workers: expected a positive integer, got ${f.workers}`);
    const port = await freePort();
    started.push(await startRedis(port));
    url = `redis://127.0.0.1:${port}`;
    console.log(`started redis-server on ${url} and ${n} worker${n > 1 ? 's' : ''} (shared folder ${shared})`);
    started.push(...(await Promise.all(Array.from({ length: n }, () => startWorkerProcess(['--redis', url!, '--shared', shared])))));
  }
  const backend = BullBackend.connect({ redis: url!, shared, log: (m) => console.log(m) });
  const misfit = await tl.ShotMisfit.create(backend, survey, observed, perTask, 'fwi-demo');
  return {
    misfit,
    async close() {
      await backend.close();
      const workers = started.slice(1);
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited(30_000)));
      started[0]?.proc.kill('SIGTERM');
    },
  };
}
