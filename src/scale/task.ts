// The work API: a task is a plain description (kind, parameters, input blobs by reference, seed)
// that any backend can ship to any process; a handler registered under its kind turns it into a
// result (a JSON value and output blobs). The same handler runs in-process and in a BullMQ worker,
// so the numbers never depend on the backend.
import { argError } from '../graph/options.js';
import { seed } from '../ops/creation.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Bytes by reference. `inline`: base64 in the task itself (small arrays); `file`: a file in the
 * shared folder named by its content hash (large arrays: they never travel through Redis);
 * `mem`: a key in this process's memory (the in-process backend, which never serializes).
 */
export type BlobRef = { inline: string } | { file: string; bytes: number } | { mem: number; bytes: number };

/** Where blobs live: put returns a reference any process sharing the store can resolve. */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<BlobRef>;
  get(ref: BlobRef): Promise<Uint8Array>;
  /**
   * Forgets a blob its maker no longer needs, so long runs stay flat (optional: inline blobs cost
   * nothing, and shared-folder files are content-addressed and may serve other runs).
   */
  release?(ref: BlobRef): void;
}

export interface Task {
  /** The registered handler's name, e.g. 'fwi-shots'. */
  kind: string;
  /** Unique within a run and stable across restarts (backends use it to find finished work). */
  id: string;
  /** Seeds the engine's generator (tl.seed) before the handler runs. */
  seed: number;
  params: Json;
  blobs: Record<string, BlobRef>;
}

export interface TaskResult {
  id: string;
  value: Json;
  blobs: Record<string, BlobRef>;
}

export interface TaskContext {
  /** Resolves input references and stores outputs. */
  store: BlobStore;
  /** 0-based: > 0 when a backend retries the task. */
  attempt: number;
  /** Reports a fraction in [0, 1] (shown by the coordinator's progress). */
  progress(fraction: number): void;
}

export type TaskHandler = (
  params: Json,
  inputs: Record<string, Uint8Array>,
  ctx: TaskContext & { task: Task },
) => Promise<{ value: Json; blobs?: Record<string, Uint8Array> }>;

const handlers = new Map<string, TaskHandler>();

/** Registers the handler of a task kind (each kind once). Workers run only kinds registered in their process. */
export function defineTask(kind: string, handler: TaskHandler): void {
  if (typeof kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(kind))
    throw argError('defineTask(kind, handler)', 'kind', 'a lower-case name like "fwi-shots"', kind);
  if (typeof handler !== 'function')
    throw argError('defineTask(kind, handler)', 'handler', 'an async function (params, inputs, ctx)', handler);
  if (handlers.has(kind) && handlers.get(kind) !== handler)
    throw new Error(`tellus: defineTask(kind, handler): kind '${kind}' is already defined`);
  handlers.set(kind, handler);
}

export const taskKinds = (): string[] => [...handlers.keys()].sort();

export function checkTask(fn: string, t: unknown): Task {
  const task = t as Task;
  if (task === null || typeof task !== 'object') throw argError(fn, 'task', 'a { kind, id, seed, params, blobs } object', t);
  if (typeof task.kind !== 'string') throw argError(fn, 'task.kind', 'a string', task.kind);
  if (typeof task.id !== 'string' || task.id.length === 0) throw argError(fn, 'task.id', 'a non-empty string', task.id);
  if (!Number.isInteger(task.seed) || task.seed < 0) throw argError(fn, 'task.seed', 'a non-negative integer', task.seed);
  if (task.blobs === null || typeof task.blobs !== 'object') throw argError(fn, 'task.blobs', 'an object of blob references', task.blobs);
  return task;
}

/** Runs one task in this process: resolves its inputs, seeds the generator, calls the handler and stores its output blobs. */
export async function runTask(task: Task, ctx: TaskContext): Promise<TaskResult> {
  checkTask('runTask(task, ctx)', task);
  const handler = handlers.get(task.kind);
  if (!handler)
    throw new Error(
      `tellus: runTask: no handler for task kind '${task.kind}' in this process (known: ${taskKinds().join(', ') || 'none'})`,
    );
  const names = Object.keys(task.blobs).sort();
  const bytes = await Promise.all(names.map((k) => ctx.store.get(task.blobs[k]!)));
  const inputs = Object.fromEntries(names.map((k, i) => [k, bytes[i]!]));
  seed(task.seed);
  const out = await handler(task.params, inputs, { ...ctx, task });
  const blobs: Record<string, BlobRef> = {};
  for (const [k, b] of Object.entries(out.blobs ?? {})) blobs[k] = await ctx.store.put(b);
  return { id: task.id, value: out.value, blobs };
}
