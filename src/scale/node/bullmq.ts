// The BullMQ backend (Node only): the coordinator adds one job per task to a queue on Redis and
// collects results; workers (startWorker, `tellus worker`) run them with the handlers registered in
// their process. Crash safety is BullMQ's: a job whose worker dies is found by the stalled-job
// check once its lock expires and runs again; a job that throws is retried with exponential backoff.
// What this file adds: content-addressed job ids (the same task, added twice or by a restarted
// coordinator, is one job), results in task order whatever order they finish in, resubmission of
// jobs that Redis lost (a restart without persistence), and a clear error when a task keeps failing.
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { checkOptions, integerArg, optionNames } from '../../graph/options.js';
import { checkTaskList, RUN_OPTIONS, type RunOptions, taskFailed, type WorkBackend } from '../backend.js';
import { runTask, type Task, type TaskResult } from '../task.js';
import { FolderBlobs, INLINE_LIMIT } from './blobs.js';

export interface BullOptions {
  /** redis://host:port (required). */
  redis: string;
  /** Queue name (default 'tellus'): coordinator and workers must agree. */
  queue?: string;
  /** Folder every process can reach for blobs over the inline limit. */
  shared?: string;
  /** Bytes up to which blobs travel inside the job (default 256 KiB). */
  inlineLimit?: number;
  /** Tries per task (default 3) with exponential backoff from backoffMs (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
  /** The run fails when it takes longer than this (default: no limit). */
  timeoutMs?: number;
  /**
   * How often the coordinator checks every pending job (default 1000 ms). Between sweeps it checks
   * only the jobs whose completion events arrived: polling every job often costs a core (~40% on
   * this machine at 20 ms), which a worker on the same machine then misses.
   */
  pollMs?: number;
  log?: (message: string) => void;
}
const BULL_OPTIONS = optionNames<BullOptions>()(
  'redis',
  'queue',
  'shared',
  'inlineLimit',
  'attempts',
  'backoffMs',
  'timeoutMs',
  'pollMs',
  'log',
);

function checkUrl(fn: string, url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^\s/]+(:\d+)?(\/\d*)?$/.test(url))
    throw new TypeError(`tellus: ${fn}: redis: expected a URL like redis://127.0.0.1:6379, got ${JSON.stringify(url)}`);
  return url;
}

/** One connection per Queue/Worker; commands wait through a Redis restart instead of failing. */
const connect = (url: string): Redis => new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });

/** BullMQ job id of a task: its id plus a hash of its content, so a changed task is a new job. */
export function jobId(task: Task): string {
  const h = createHash('sha256').update(JSON.stringify(task)).digest('hex').slice(0, 16);
  return `${task.id.replace(/:/g, '_')}.${h}`;
}

export class BullBackend implements WorkBackend {
  readonly name = 'bullmq';
  readonly store: FolderBlobs;
  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly connection: Redis,
    private readonly o: Required<Omit<BullOptions, 'shared' | 'timeoutMs' | 'log'>> & Pick<BullOptions, 'timeoutMs' | 'log'>,
    shared: string | null,
  ) {
    this.store = new FolderBlobs(shared, o.inlineLimit);
  }

  static connect(opts: BullOptions): BullBackend {
    const fn = 'BullBackend.connect(opts)';
    const o = checkOptions(opts, BULL_OPTIONS, fn);
    const redis = checkUrl(fn, o.redis);
    const full = {
      redis,
      queue: o.queue ?? 'tellus',
      inlineLimit: integerArg(fn, 'opts.inlineLimit', o.inlineLimit ?? INLINE_LIMIT, 0),
      attempts: integerArg(fn, 'opts.attempts', o.attempts ?? 3, 1),
      backoffMs: integerArg(fn, 'opts.backoffMs', o.backoffMs ?? 500, 0),
      pollMs: integerArg(fn, 'opts.pollMs', o.pollMs ?? 1000, 1),
      timeoutMs: o.timeoutMs === undefined ? undefined : integerArg(fn, 'opts.timeoutMs', o.timeoutMs, 1),
      log: o.log,
    };
    const connection = connect(redis);
    // Reconnection is ioredis's job; the event only needs a listener so it is not thrown.
    connection.on('error', () => {});
    const queue = new Queue(full.queue, { connection });
    queue.on('error', () => {});
    // Completion events wake the coordinator (a blocking read on its own connection).
    const events = new QueueEvents(full.queue, { connection: { url: redis, maxRetriesPerRequest: null } });
    events.on('error', () => {});
    return new BullBackend(queue, events, connection, full, o.shared ?? null);
  }

  private async add(task: Task, id: string): Promise<void> {
    const job = await this.queue.add(task.kind, task, {
      jobId: id,
      attempts: this.o.attempts,
      backoff: { type: 'exponential', delay: this.o.backoffMs },
      removeOnComplete: false,
      removeOnFail: false,
    });
    // The same task failed in an earlier run (its id is content-addressed): try it again.
    if ((await job.getState()) === 'failed') await job.retry('failed');
  }

  async run(tasks: readonly Task[], opts: RunOptions = {}): Promise<TaskResult[]> {
    const fn = 'BullBackend.run(tasks, opts)';
    const { onResult } = checkOptions(opts, RUN_OPTIONS, fn);
    checkTaskList(fn, tasks);
    const start = performance.now();
    const results = new Array<TaskResult | undefined>(tasks.length);
    const pending = new Set(tasks.map((_, i) => i));
    // Hashing a task (its inline blobs included) once, not on every check of the poll loop.
    const ids = tasks.map(jobId);
    const byJob = new Map(ids.map((id, i) => [id, i]));
    // Jobs an event says have finished; every pending job is checked once per sweep (pollMs) too,
    // which catches events lost while Redis restarted.
    const signalled = new Set<number>();
    let wake: (() => void) | null = null;
    const onEvent = ({ jobId: id }: { jobId: string }) => {
      const i = byJob.get(id);
      if (i !== undefined && pending.has(i)) {
        signalled.add(i);
        wake?.();
      }
    };
    this.events.on('completed', onEvent);
    this.events.on('failed', onEvent);
    let done = 0;
    let lostLogged = false;
    let nextSweep = 0;
    try {
      await this.events.waitUntilReady();
      for (const [i, t] of tasks.entries()) await this.add(t, ids[i]!);
      while (pending.size > 0) {
        if (this.o.timeoutMs !== undefined && performance.now() - start > this.o.timeoutMs)
          throw new Error(
            `tellus: ${fn}: ${pending.size} of ${tasks.length} tasks unfinished after ${this.o.timeoutMs} ms (first: '${tasks[[...pending][0]!]!.id}'); are workers running on queue '${this.o.queue}'?`,
          );
        const sweep = performance.now() >= nextSweep;
        if (sweep) nextSweep = performance.now() + this.o.pollMs;
        const idx = sweep ? [...pending] : [...signalled].filter((i) => pending.has(i));
        signalled.clear();
        const states = await Promise.all(idx.map((i) => this.queue.getJobState(ids[i]!)));
        for (let k = 0; k < idx.length; k++) {
          const i = idx[k]!;
          const task = tasks[i]!;
          const state = states[k]!;
          if (state === 'completed') {
            const job = (await this.queue.getJob(ids[i]!)) as Job<Task, TaskResult> | undefined;
            if (!job) continue; // removed between the two calls (Redis restart): a later sweep resubmits
            results[i] = job.returnvalue;
            pending.delete(i);
            onResult?.(job.returnvalue, ++done, tasks.length);
          } else if (state === 'failed') {
            const job = await this.queue.getJob(ids[i]!);
            await this.removePending(ids, pending);
            throw taskFailed(task, job?.attemptsMade ?? this.o.attempts, job?.failedReason ?? 'unknown error');
          } else if (state === 'unknown') {
            // Redis lost the job (restarted without persistence): the task itself is here, add it again.
            if (!lostLogged) this.o.log?.(`bullmq: ${fn}: jobs missing from Redis (restarted?); resubmitting`);
            lostLogged = true;
            await this.add(task, ids[i]!);
          }
        }
        if (pending.size > 0 && signalled.size === 0)
          await new Promise<void>((r) => {
            const t = setTimeout(r, Math.max(1, nextSweep - performance.now()));
            wake = () => (clearTimeout(t), r());
          });
        wake = null;
      }
    } finally {
      this.events.off('completed', onEvent);
      this.events.off('failed', onEvent);
    }
    // Finished work is collected: drop it from Redis (a rerun of the same tasks simply recomputes).
    await Promise.all(ids.map((id) => this.queue.remove(id).catch(() => 0)));
    return results as TaskResult[];
  }

  private async removePending(ids: readonly string[], pending: Set<number>): Promise<void> {
    for (const i of pending) {
      const job = await this.queue.getJob(ids[i]!);
      if (job && (await job.isWaiting())) await job.remove().catch(() => {});
    }
  }

  /** Jobs per state on this queue (tests, progress). */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed');
  }

  /** Removes every job of the queue (between tests). */
  async drain(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    this.connection.disconnect();
  }
}

export interface WorkerOptions {
  redis: string;
  queue?: string;
  shared?: string;
  inlineLimit?: number;
  /** Tasks run at once in this process (default 1: one device, and most tasks saturate it). */
  concurrency?: number;
  /** BullMQ lock and stalled-job check (defaults 30000 and 30000 ms); a killed worker's task runs again after about their sum. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Times a task may be orphaned by a dying worker before it fails (default 2). */
  maxStalledCount?: number;
  log?: (message: string) => void;
}
const WORKER_OPTIONS = optionNames<WorkerOptions>()(
  'redis',
  'queue',
  'shared',
  'inlineLimit',
  'concurrency',
  'lockDurationMs',
  'stalledIntervalMs',
  'maxStalledCount',
  'log',
);

/** A running worker: `close()` lets its current tasks finish, then disconnects. */
export interface TaskWorker {
  close(): Promise<void>;
  readonly processed: number;
}

/** Starts a BullMQ worker running registered task kinds (the device must already be initialized). */
export function startWorker(opts: WorkerOptions): TaskWorker {
  const fn = 'startWorker(opts)';
  const o = checkOptions(opts, WORKER_OPTIONS, fn);
  const redis = checkUrl(fn, o.redis);
  const store = new FolderBlobs(o.shared ?? null, integerArg(fn, 'opts.inlineLimit', o.inlineLimit ?? INLINE_LIMIT, 0));
  const log = o.log ?? (() => {});
  let processed = 0;
  const connection = connect(redis);
  // ioredis retries for ever: say why the worker is idle, at most every 10 s.
  let lastError = 0;
  const connectionError = (e: Error) => {
    if (Date.now() - lastError > 10_000) log(`redis ${redis}: ${e.message} (retrying)`);
    lastError = Date.now();
  };
  connection.on('error', connectionError);
  const worker = new Worker<Task, TaskResult>(
    o.queue ?? 'tellus',
    async (job) => {
      const t0 = performance.now();
      log(`task ${job.data.id} (${job.data.kind}) started, attempt ${job.attemptsMade + 1}`);
      const result = await runTask(job.data, {
        store,
        attempt: job.attemptsMade,
        progress: (f) => void job.updateProgress(Math.round(100 * Math.min(1, Math.max(0, f)))).catch(() => {}),
      });
      processed++;
      log(`task ${job.data.id} (${job.data.kind}) done in ${(performance.now() - t0).toFixed(0)} ms`);
      return result;
    },
    {
      connection,
      concurrency: integerArg(fn, 'opts.concurrency', o.concurrency ?? 1, 1),
      lockDuration: integerArg(fn, 'opts.lockDurationMs', o.lockDurationMs ?? 30000, 100),
      stalledInterval: integerArg(fn, 'opts.stalledIntervalMs', o.stalledIntervalMs ?? 30000, 100),
      maxStalledCount: integerArg(fn, 'opts.maxStalledCount', o.maxStalledCount ?? 2, 0),
    },
  );
  worker.on('error', (e) =>
    /ECONNREFUSED|ECONNRESET|Connection is closed/.test(e.message) ? connectionError(e) : log(`worker error: ${e.message}`),
  );
  worker.on('failed', (job, e) => log(`task ${job?.data.id} failed (attempt ${job?.attemptsMade}): ${e.message}`));
  return {
    get processed() {
      return processed;
    },
    async close() {
      // With Redis unreachable a task could neither finish nor be handed back: do not wait for it
      // (its lock expires and another worker takes it once Redis is back).
      await worker.close(connection.status !== 'ready');
      connection.disconnect();
    },
  };
}
