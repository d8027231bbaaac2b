// Strict options: every public function that takes an options object passes it through
// checkOptions, so a misspelt key is an error that suggests the intended one instead of a
// silently ignored setting (a dropped `pmlWidth` gives a plausible but wrong model). And the one
// place argument errors are worded: argError / argErrorText, with values put into words by
// describeValue (tensors by dtype and shape).
import type { Tensor } from './tensor.js';
import { isTensor } from './brand.js';

/** A tensor as messages describe it: `a float32 tensor of shape [3, 4]`, `a disposed tensor of shape [4]`. */
export function describeTensor(t: Tensor): string {
  const shape = `[${t.shape.join(', ')}]`;
  if (t.isDisposed) return `a disposed tensor of shape ${shape}`;
  return `${/^[aeio]/.test(t.dtype) ? 'an' : 'a'} ${t.dtype} tensor of shape ${shape}`; // a uint32, an int32
}

/** How the argument is described in messages: `tellus: <fn>: <argument>: expected ..., got ...`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (isTensor(v)) return describeTensor(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  const name = v.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/**
 * The one formatter of argument errors: `tellus: <fn>: <arg>: expected <expected>, got <got>`,
 * with `got` described by describeValue. `fn` is the call as the user wrote it (`matmul(a, b)`,
 * `born2d`), `arg` the argument or option in it (`b`, `opts.dx`, `tensors[2]`). Returns the error,
 * so call sites read `throw argError(...)`:
 *   throw argError('Dropout(p)', 'p', 'a number in [0, 1]', p, RangeError);
 *   // tellus: Dropout(p): p: expected a number in [0, 1], got 1.5
 */
export function argError(fn: string, arg: string, expected: string, got: unknown, Kind: ErrorConstructor = TypeError): Error {
  return argErrorText(fn, arg, expected, describeValue(got), Kind);
}

/**
 * argError with `got` already in words, for what describeValue cannot say from one value: two
 * shapes, a length, a value plus a hint (`"3" (wrap data with tensor(...))`).
 */
export function argErrorText(fn: string, arg: string, expected: string, got: string, Kind: ErrorConstructor = TypeError): Error {
  return new Kind(`tellus: ${fn}: ${arg}: expected ${expected}, got ${got}`);
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** snake_case, kebab-case and capitals do not count as misspellings: weight_decay ~ weightDecay. */
const normalize = (s: string): string => s.replace(/[_-]/g, '').toLowerCase();

/** The valid name closest to `name`, if one is close enough to be what was meant. */
export function closestName(name: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = normalize(v) === normalize(name) ? 0 : editDistance(name.toLowerCase(), v.toLowerCase());
    if (d < bestD) [best, bestD] = [v, d];
  }
  // Up to a third of the name may differ (at least 2 edits): 'acuracy' -> 'accuracy', 'betas' -> 'beta1'.
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Checks that `opts` is undefined or a plain object whose keys are all in `allowed`; returns it
 * (or `{}`). `what` names the call as the user wrote it, e.g. `acoustic2d(v, opts)`.
 */
export function checkOptions<T extends object>(opts: T | undefined, allowed: readonly string[], what: string): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw argError(what, 'options', `an object with keys among ${allowed.join(', ')}`, opts);
  }
  for (const key of Object.keys(opts)) {
    if (allowed.includes(key)) continue;
    const near = closestName(key, allowed);
    const hint = near ? ` (did you mean '${near}'?)` : '';
    throw new TypeError(`tellus: ${what}: unknown option '${key}'${hint}; valid options: ${allowed.join(', ') || 'none'}`);
  }
  return opts;
}

/**
 * The option names of an options interface, checked by the compiler in both directions: a name
 * that is not a key of T, or a key of T left out, is a type error. So the runtime list that
 * checkOptions uses cannot drift from the interface.
 *   const ADAM_OPTIONS = optionNames<AdamOptions>()('lr', 'beta1', 'beta2', 'eps', 'weightDecay');
 */
export function optionNames<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...names: K &
      ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missingOptionNames: Exclude<keyof T & string, K[number]> })
  ): readonly string[] => names;
}

/** v as an integer >= min, or a RangeError naming `fn` and `arg`. */
export function integerArg(fn: string, arg: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw argError(fn, arg, `an integer >= ${min}`, v, RangeError);
  return v as number;
}

/** v as a finite number > 0, or a RangeError naming `fn` and `arg`. */
export function positiveArg(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw argError(fn, arg, 'a finite number > 0', v, RangeError);
  return v;
}
