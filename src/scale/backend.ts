// Backends run a list of tasks and return their results in task order. The in-process backend is
// the default (no services, every runtime); the BullMQ one (node/bullmq.ts, Node only) ships the
// same tasks to workers on any number of machines.
import { argError, checkOptions, integerArg, optionNames } from '../graph/options.js';
import { type BlobRef, type BlobStore, runTask, type Task, type TaskResult } from './task.js';

export interface RunOptions {
  /** Called as each task finishes (in completion order), with how many are done. */
  onResult?: (result: TaskResult, done: number, total: number) => void;
}
export const RUN_OPTIONS = optionNames<RunOptions>()('onResult');

export interface WorkBackend {
  readonly name: string;
  readonly store: BlobStore;
  /** Runs the tasks; the results come back in the order of `tasks`, whatever order they finished in. */
  run(tasks: readonly Task[], opts?: RunOptions): Promise<TaskResult[]>;
  close(): Promise<void>;
}

/** Blobs in this process's memory: nothing is copied or encoded. */
export class MemoryBlobs implements BlobStore {
  private readonly blobs = new Map<number, Uint8Array>();
  private next = 0;
  put(bytes: Uint8Array): Promise<BlobRef> {
    if (!(bytes instanceof Uint8Array)) throw argError('MemoryBlobs.put(bytes)', 'bytes', 'a Uint8Array', bytes);
    this.blobs.set(this.next, bytes);
    return Promise.resolve({ mem: this.next++, bytes: bytes.length });
  }
  get(ref: BlobRef): Promise<Uint8Array> {
    const b = 'mem' in ref ? this.blobs.get(ref.mem) : undefined;
    if (!b) throw argError('MemoryBlobs.get(ref)', 'ref', 'a reference this store made', ref);
    return Promise.resolve(b);
  }
  release(ref: BlobRef): void {
    if ('mem' in ref) this.blobs.delete(ref.mem);
  }
  /** Blobs held (tests check that long runs release theirs). */
  get size(): number {
    return this.blobs.size;
  }
}

export interface LocalBackendOptions {
  /** Tries per task before the run fails (default 1: a local failure is rarely transient). */
  attempts?: number;
  store?: BlobStore;
}
const LOCAL_OPTIONS = optionNames<LocalBackendOptions>()('attempts', 'store');

/** Runs tasks one after another in this process, on this process's device. */
export class LocalBackend implements WorkBackend {
  readonly name = 'in-process';
  readonly store: BlobStore;
  private readonly attempts: number;
  constructor(opts: LocalBackendOptions = {}) {
    const o = checkOptions(opts, LOCAL_OPTIONS, 'new LocalBackend(opts)');
    this.attempts = integerArg('new LocalBackend(opts)', 'opts.attempts', o.attempts ?? 1, 1);
    this.store = o.store ?? new MemoryBlobs();
  }
  async run(tasks: readonly Task[], opts: RunOptions = {}): Promise<TaskResult[]> {
    const { onResult } = checkOptions(opts, RUN_OPTIONS, 'LocalBackend.run(tasks, opts)');
    checkTaskList('LocalBackend.run(tasks, opts)', tasks);
    const out: TaskResult[] = [];
    for (const task of tasks) {
      let last: unknown;
      for (let attempt = 0; attempt < this.attempts; attempt++) {
        try {
          out.push(await runTask(task, { store: this.store, attempt, progress: () => {} }));
          last = undefined;
          break;
        } catch (e) {
          last = e;
        }
      }
      if (last !== undefined) throw taskFailed(task, this.attempts, last);
      onResult?.(out[out.length - 1]!, out.length, tasks.length);
    }
    return out;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function checkTaskList(fn: string, tasks: readonly Task[]): void {
  if (!Array.isArray(tasks)) throw argError(fn, 'tasks', 'an array of tasks', tasks);
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t?.id)) throw argError(fn, 'tasks', 'tasks with distinct ids', `two tasks with id '${t.id}'`);
    ids.add(t?.id);
  }
}

/** The error a run ends with when a task keeps failing: names the task, the tries and the last error. */
export function taskFailed(task: Pick<Task, 'id' | 'kind'>, attempts: number, last: unknown): Error {
  const msg = last instanceof Error ? last.message : String(last);
  return new Error(`tellus: task '${task.id}' (${task.kind}) failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${msg}`, {
    cause: last,
  });
}
