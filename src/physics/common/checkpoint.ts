// Checkpoint planning for adjoint-state gradients of time loops: the backward pass holds a
// checkpoint (`checkpointFields` fields) every k steps plus one segment of k recomputed steps
// (one field each), and walks each segment backwards.
import { nonNegInt, positive } from './validate.js';
import { argError } from '../../graph/options.js';

export interface CheckpointOptions {
  /** Keep every k-th time step's state (default: from `memoryBudget`). */
  checkpointEvery?: number;
  /** Bytes the backward pass may hold in checkpoints and recomputed steps (default 256 MiB). */
  memoryBudget?: number;
}

/**
 * k, the steps between checkpoints: `checkpointEvery` when given; else nt when all steps fit the
 * budget (the forward then keeps every step and the backward recomputes nothing); else the
 * minimiser of checkpointFields·nt/k + k, k ≈ √(checkpointFields·nt).
 */
export function checkpointInterval(op: string, o: CheckpointOptions, nt: number, fieldBytes: number, checkpointFields: number): number {
  let every: number;
  if (o.checkpointEvery !== undefined) {
    every = nonNegInt(op, 'checkpointEvery', o.checkpointEvery);
    if (every < 1) throw argError(op, 'checkpointEvery', 'an integer >= 1', every, Error);
  } else {
    const budget = o.memoryBudget === undefined ? 256 * 2 ** 20 : positive(op, 'memoryBudget', o.memoryBudget);
    const c = checkpointFields;
    every = nt * (1 + c / nt) * fieldBytes <= budget ? nt : Math.max(1, Math.round(Math.sqrt(c * nt)));
  }
  return Math.min(every, nt);
}

/** Bytes the backward pass holds with checkpoints every `every` of `nt` steps. */
export function backwardBytes(nt: number, every: number, fieldBytes: number, checkpointFields: number): number {
  return fieldBytes * (checkpointFields * Math.ceil(nt / every) + every);
}
