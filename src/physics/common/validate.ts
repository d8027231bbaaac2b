// Argument checks shared by the physics ops. Each takes the calling op's name, so a message says
// which op refused which argument: "tellus: born2d: dx: expected a positive finite number, got 0"
// (worded by argError, as every argument error is).
import { argError, argErrorText, checkOptions } from '../../graph/options.js';
import type { Tensor } from '../../graph/tensor.js';
import { checkFloat, checkTensor } from '../../ops/emit.js';

/** Throws `tellus: <op>: <msg>`, for what is not one argument's error (those use argError). */
export function fail(op: string, msg: string): never {
  throw new Error(`tellus: ${op}: ${msg}`);
}

export function positive(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw argError(op, name, 'a positive finite number', v, Error);
  return v;
}

export function nonNegative(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw argError(op, name, 'a non-negative number', v, Error);
  return v;
}

export function nonNegInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw argError(op, name, 'a non-negative integer', v, Error);
  return v;
}

export function boolean(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw argError(op, name, 'a boolean', v, Error);
  return v;
}

/** The options argument: a plain object whose keys are all among `allowed` (a misspelt key names the closest valid one). */
export function options<T extends object>(op: string, o: T, allowed: readonly string[]): T {
  if (o === null || typeof o !== 'object') throw argError(op, 'options', 'an object', o, Error);
  return checkOptions(o, allowed, op);
}

/** A live float32 tensor. */
export function floatTensor(op: string, name: string, t: unknown): Tensor {
  checkTensor(t, op, name);
  checkFloat(t as Tensor, op, name);
  return t as Tensor;
}

/**
 * A velocity model known on the host (`cols` values a row): every value positive and finite.
 * Returns the largest, for the CFL check and the PML.
 */
export function maxVelocity(op: string, name: string, host: ArrayLike<number>, cols: number): number {
  let hi = 0;
  for (let i = 0; i < host.length; i++) {
    const x = host[i]!;
    if (!(x > 0) || !Number.isFinite(x))
      throw argErrorText(op, name, 'positive finite velocities', `${x} at cell (${Math.floor(i / cols)}, ${i % cols})`, Error);
    hi = Math.max(hi, x);
  }
  return hi;
}

/** Host values of `name` (shape `shape`, row-major): every one finite; the message gives the first bad index. */
export function finiteValues(op: string, name: string, host: ArrayLike<number>, shape: readonly number[]): void {
  for (let i = 0; i < host.length; i++) {
    const x = host[i]!;
    if (Number.isFinite(x)) continue;
    const idx: number[] = [];
    for (let k = shape.length - 1, r = i; k >= 0; k--) {
      idx.unshift(r % shape[k]!);
      r = Math.floor(r / shape[k]!);
    }
    throw argErrorText(op, name, 'finite values', `${x} at [${idx.join(', ')}]`, Error);
  }
}

// An inversion calls an op every iteration with the same setup: say a warning once, not each time.
const warned = new Set<string>();
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}
