// The examples' scale-out flags (docs/scale-out.md): --redis URL uses workers already running
// (`npx tellus worker --redis URL --shared DIR` on any machine); --workers N starts a throwaway
// Redis and N workers on this machine; --shared DIR is the folder for blobs over the inline limit.
// Neither flag: null, and the example runs in-process as before.
import { mkdtempSync } from 'node:fs';
import { BullBackend } from '../../src/scale/node/bullmq.js';
import { freePort, type Spawned, startRedis, startWorkerProcess } from '../../src/scale/node/cluster.js';

export const WORKER_FLAGS = ['redis', 'workers', 'shared'];

export interface Workers {
  backend: BullBackend;
  /** Stops the workers and Redis started here (if any) and disconnects. */
  close(): Promise<void>;
}

export async function connectWorkers(program: string, args: Map<string, string>): Promise<Workers | null> {
  const [redis, count] = [args.get('redis'), args.get('workers')];
  if (redis === undefined && count === undefined) return null;
  if (redis !== undefined && count !== undefined)
    throw new Error(`${program}: give --redis (workers running elsewhere) or --workers N (start them here), not both`);
  const shared = args.get('shared') ?? mkdtempSync('/tmp/tellus-shared-');
  const started: Spawned[] = [];
  let url = redis!;
  if (count !== undefined) {
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${program}: --workers: expected a positive integer, got ${count}`);
    const port = await freePort();
    started.push(await startRedis(port));
    url = `redis://127.0.0.1:${port}`;
    console.log(`started redis-server on ${url} and ${n} worker${n > 1 ? 's' : ''} (shared folder ${shared})`);
    started.push(...(await Promise.all(Array.from({ length: n }, () => startWorkerProcess(['--redis', url, '--shared', shared])))));
  }
  const backend = BullBackend.connect({ redis: url, shared, log: (m) => console.log(m) });
  return {
    backend,
    async close() {
      await backend.close();
      const workers = started.slice(1);
      for (const w of workers) w.proc.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited(60_000)));
      started[0]?.proc.kill('SIGTERM');
    },
  };
}
