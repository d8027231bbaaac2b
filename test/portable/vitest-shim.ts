// A small stand-in for 'vitest' so the same test files run in Deno and Chromium
// (scripts/build.mjs redirects `import ... from 'vitest'` here). It covers the
// subset the Tellus tests use; run() executes everything sequentially.

type Awaitable<T> = T | Promise<T>;
type Cleanup = () => Awaitable<unknown>;
type HookFn = () => Awaitable<unknown>;
export interface TestContext {
  /** Marks the running test as skipped (throws). */
  skip(note?: string): never;
  expect: typeof expect;
}
type TestFn = (ctx: TestContext) => Awaitable<unknown>;
type Options = number | { timeout?: number; skip?: boolean };

interface Hook { fn: HookFn; timeout: number }
interface Test { name: string; fn?: TestFn; timeout: number; skip: boolean }
interface Suite {
  name: string;
  skip: boolean;
  children: (Suite | Test)[];
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

const DEFAULT_TIMEOUT = 60_000;
const newSuite = (name: string, skip = false): Suite =>
  ({ name, skip, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] });
const root = newSuite('');
let current = root;

/** Called by the bundle (see scripts/build.mjs) before each test file registers. */
export function __beginFile(name: string): void {
  current = newSuite(name);
  root.children.push(current);
}

// ---------------------------------------------------------------- registration

const timeoutOf = (o?: Options) => (typeof o === 'number' ? o : o?.timeout) ?? DEFAULT_TIMEOUT;

function addSuite(name: string, fn: () => void, skip: boolean): void {
  const suite = newSuite(name, skip);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    const r = fn() as unknown;
    if (r instanceof Promise) throw new Error(`describe('${name}'): async describe callbacks are not supported`);
  } finally {
    current = parent;
  }
}

function addTest(name: string, a?: TestFn | Options, b?: TestFn | Options, skip = false): void {
  // Both vitest signatures: (name, fn, options) and (name, options, fn).
  const fn = (typeof a === 'function' ? a : b) as TestFn | undefined;
  const opts = (typeof a === 'function' ? b : a) as Options | undefined;
  const skipped = skip || !fn || (typeof opts === 'object' && !!opts.skip);
  current.children.push({ name, fn, timeout: timeoutOf(opts), skip: skipped });
}

const raw = (v: unknown) => (typeof v === 'string' ? v : format(v));

/** `.each(table)(name, fn)`: %s %d %i %f %j %o %# and $key placeholders. */
function each(register: (name: string, fn: (...a: any[]) => any, o?: Options) => void) {
  return (table: readonly unknown[]) => (name: string, fn: (...args: any[]) => unknown, opts?: Options) =>
    table.forEach((row, i) => {
      const args = Array.isArray(row) ? row : [row];
      let k = 0;
      let title = name.replace(/%[sdifjo#%]/g, (m) =>
        m === '%%' ? '%' : m === '%#' ? String(i) : raw(args[k++]));
      if (row && typeof row === 'object' && !Array.isArray(row)) {
        title = title.replace(/\$([\w.]+)/g, (_, key: string) => raw((row as any)[key]));
      }
      register(title, (...rest: unknown[]) => fn(...args, ...rest), opts);
    });
}

export const describe = Object.assign((name: string, fn: () => void) => addSuite(name, fn, false), {
  skip: (name: string, fn: () => void) => addSuite(name, fn, true),
  // .only is accepted but runs like a plain describe (no focusing).
  only: (name: string, fn: () => void) => addSuite(name, fn, false),
  skipIf: (cond: unknown) => (name: string, fn: () => void) => addSuite(name, fn, !!cond),
  runIf: (cond: unknown) => (name: string, fn: () => void) => addSuite(name, fn, !cond),
  each: each((n, f) => addSuite(n, f, false)),
});

type ItFn = (name: string, a?: TestFn | Options, b?: TestFn | Options) => void;
export const it = Object.assign(((name, a, b) => addTest(name, a, b)) as ItFn, {
  skip: ((name, a, b) => addTest(name, a, b, true)) as ItFn,
  only: ((name, a, b) => addTest(name, a, b)) as ItFn, // no focusing, see describe.only
  todo: (name: string) => addTest(name, undefined, undefined, true),
  skipIf: (cond: unknown) => ((name, a, b) => addTest(name, a, b, !!cond)) as ItFn,
  runIf: (cond: unknown) => ((name, a, b) => addTest(name, a, b, !cond)) as ItFn,
  each: each((n, f, o) => addTest(n, f, o)),
});
export const test = it;

export const beforeAll = (fn: HookFn, t?: number) => void current.beforeAll.push({ fn, timeout: t ?? DEFAULT_TIMEOUT });
export const afterAll = (fn: HookFn, t?: number) => void current.afterAll.push({ fn, timeout: t ?? DEFAULT_TIMEOUT });
export const beforeEach = (fn: HookFn, t?: number) => void current.beforeEach.push({ fn, timeout: t ?? DEFAULT_TIMEOUT });
export const afterEach = (fn: HookFn, t?: number) => void current.afterEach.push({ fn, timeout: t ?? DEFAULT_TIMEOUT });

/** Handlers for the running test's failure (vitest's onTestFailed), registered in it or its beforeEach hooks. */
let failedHandlers: (() => Awaitable<unknown>)[] | undefined;
export function onTestFailed(fn: () => Awaitable<unknown>): void {
  if (!failedHandlers) throw new Error('onTestFailed() can only be called inside a test or its hooks');
  failedHandlers.push(fn);
}

// ---------------------------------------------------------------- formatting

function format(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
  if (typeof v === 'symbol' || v == null || typeof v !== 'object') return String(v);
  if (isAsymmetric(v)) return v.toString();
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (v instanceof Date || v instanceof RegExp) return String(v);
  if (depth > 3) return '[...]';
  const list = (xs: unknown[], n: number) =>
    xs.slice(0, 20).map((x) => format(x, depth + 1)).join(', ') + (n > 20 ? `, ... ${n - 20} more` : '');
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<unknown>;
    return `${v.constructor.name}(${a.length}) [${list(Array.from(a).slice(0, 20), a.length)}]`;
  }
  if (Array.isArray(v)) return `[${list(v, v.length)}]`;
  if (v instanceof Map) return `Map(${v.size}) {${list([...v].map(([k, x]) => `${format(k, depth + 1)} => ${format(x, depth + 1)}`), v.size)}}`;
  if (v instanceof Set) return `Set(${v.size}) {${list([...v], v.size)}}`;
  const name = v.constructor && v.constructor !== Object ? `${v.constructor.name} ` : '';
  const keys = Object.keys(v);
  return `${name}{${keys.slice(0, 20).map((k) => ` ${k}: ${format((v as any)[k], depth + 1)}`).join(',')}${keys.length > 20 ? ', ...' : ''} }`;
}

// ---------------------------------------------------------------- equality

interface Asymmetric { asymmetricMatch(v: unknown): boolean; toString(): string }
const ASYM = Symbol('asymmetric');
const isAsymmetric = (v: any): v is Asymmetric => !!v && v[ASYM] === true;
const asym = (desc: string, match: (v: unknown) => boolean): Asymmetric =>
  ({ [ASYM]: true, asymmetricMatch: match, toString: () => desc }) as Asymmetric;

const tag = (v: unknown) => Object.prototype.toString.call(v);

/** Deep equality in the spirit of vitest's toEqual / toStrictEqual. */
function equals(a: any, b: any, strict: boolean): boolean {
  if (isAsymmetric(b)) return b.asymmetricMatch(a);
  if (isAsymmetric(a)) return a.asymmetricMatch(b);
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (tag(a) !== tag(b)) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof RegExp) return String(a) === String(b);
  if (a instanceof Error) return a.name === b.name && a.message === b.message;
  if (a instanceof ArrayBuffer || a instanceof DataView) {
    const x = new Uint8Array(a instanceof DataView ? a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) : a);
    const y = new Uint8Array(b instanceof DataView ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !equals(v, b.get(k), strict)) return false;
    return true;
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v) && ![...b].some((w) => equals(v, w, strict))) return false;
    return true;
  }
  if (Array.isArray(a) || ArrayBuffer.isView(a)) { // typed arrays: DataView was handled above
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equals(x[i], y[i], strict)) return false;
    return true;
  }
  // Plain objects / class instances: toEqual ignores keys whose value is undefined.
  const keys = (o: object) => Object.keys(o).filter((k) => strict || (o as any)[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equals(a[k], b[k], strict));
}

// ---------------------------------------------------------------- expect

export class AssertionError extends Error {
  override name = 'AssertionError';
}

type Result = [pass: boolean, message: string]; // message reads as "expected ..." (not-form adds "not")
type Matcher = (actual: any, ...args: any[]) => Result;

const numeric = (op: string, f: (a: number | bigint, b: number | bigint) => boolean): Matcher =>
  (a, b) => [(typeof a === 'number' || typeof a === 'bigint') && f(a, b), `expected ${format(a)} to be ${op} ${format(b)}`];

/** Error matching shared by toThrow and rejects.toThrow. */
function throwMatch(thrown: boolean, err: any, expected?: unknown): Result {
  const msg: string = err instanceof Error ? err.message : String(err);
  const got = thrown ? `threw ${format(err)}` : 'did not throw';
  if (expected === undefined) return [thrown, `expected function to throw, it ${got}`];
  if (typeof expected === 'string') return [thrown && msg.includes(expected), `expected error containing "${expected}", it ${got}`];
  if (expected instanceof RegExp) return [thrown && expected.test(msg), `expected error matching ${expected}, it ${got}`];
  if (typeof expected === 'function') return [thrown && err instanceof expected, `expected ${expected.name} to be thrown, it ${got}`];
  if (expected instanceof Error) return [thrown && msg === expected.message, `expected error "${expected.message}", it ${got}`];
  if (isAsymmetric(expected)) return [thrown && expected.asymmetricMatch(err), `expected error ${expected}, it ${got}`];
  throw new TypeError(`toThrow: unsupported expectation ${format(expected)}`);
}

function toThrow(actual: unknown, expected?: unknown): Result {
  if (typeof actual !== 'function') throw new TypeError('toThrow expects a function (or use .rejects)');
  try {
    actual();
  } catch (err) {
    return throwMatch(true, err, expected);
  }
  return throwMatch(false, undefined, expected);
}

const matchers = {
  toBe: (a, e) => [Object.is(a, e), `expected ${format(a)} to be ${format(e)}`],
  toEqual: (a, e) => [equals(a, e, false), `expected ${format(a)} to deeply equal ${format(e)}`],
  toStrictEqual: (a, e) => [equals(a, e, true), `expected ${format(a)} to strictly equal ${format(e)}`],
  toBeCloseTo: (a, e, digits = 2) => [
    a === e || Math.abs(a - e) < 10 ** -digits / 2,
    `expected ${format(a)} to be close to ${format(e)} (${digits} digits, |diff| = ${Math.abs(a - e)})`,
  ],
  toBeLessThan: numeric('<', (a, b) => a < b),
  toBeLessThanOrEqual: numeric('<=', (a, b) => a <= b),
  toBeGreaterThan: numeric('>', (a, b) => a > b),
  toBeGreaterThanOrEqual: numeric('>=', (a, b) => a >= b),
  toBeTruthy: (a) => [!!a, `expected ${format(a)} to be truthy`],
  toBeFalsy: (a) => [!a, `expected ${format(a)} to be falsy`],
  toBeNaN: (a) => [Number.isNaN(a), `expected ${format(a)} to be NaN`],
  toBeDefined: (a) => [a !== undefined, `expected ${format(a)} to be defined`],
  toBeUndefined: (a) => [a === undefined, `expected ${format(a)} to be undefined`],
  toBeNull: (a) => [a === null, `expected ${format(a)} to be null`],
  toBeInstanceOf: (a, C) => [a instanceof C, `expected ${format(a)} to be an instance of ${C?.name}`],
  toContain: (a, item) => [
    typeof a === 'string' ? a.includes(item) : Array.from(a as Iterable<unknown>).includes(item),
    `expected ${format(a)} to contain ${format(item)}`,
  ],
  toContainEqual: (a, item) => [
    Array.from(a as Iterable<unknown>).some((x) => equals(x, item, false)),
    `expected ${format(a)} to contain an element equal to ${format(item)}`,
  ],
  toMatch: (a, re) => [
    typeof a === 'string' && (typeof re === 'string' ? a.includes(re) : re.test(a)),
    `expected ${format(a)} to match ${typeof re === 'string' ? format(re) : re}`,
  ],
  toHaveLength: (a, n) => [a?.length === n, `expected length ${n}, got ${a?.length} (${format(a)})`],
  toHaveProperty: (a, path: string | string[], ...value: unknown[]) => {
    let o = a;
    for (const k of Array.isArray(path) ? path : path.split('.')) {
      if (o == null || !(k in Object(o))) return [false, `expected ${format(a)} to have property ${path}`];
      o = o[k];
    }
    return [value.length === 0 || equals(o, value[0], false), `expected property ${path} to equal ${format(value[0])}, got ${format(o)}`];
  },
  toThrow,
  toThrowError: toThrow,
} satisfies Record<string, Matcher>;

type Matchers<R> = { [K in keyof typeof matchers]: (...args: Parameters<(typeof matchers)[K]> extends [any, ...infer P] ? P : never) => R };
export type Assertion = Matchers<void> & {
  not: Matchers<void>;
  rejects: Matchers<Promise<void>> & { not: Matchers<Promise<void>> };
  resolves: Matchers<Promise<void>> & { not: Matchers<Promise<void>> };
};

function check([pass, message]: Result, negate: boolean, note?: string): void {
  if (pass === negate) {
    const text = negate ? message.replace(/^expected (.*?) to /, 'expected $1 not to ') : message;
    throw new AssertionError((note ? `${note}: ` : '') + (negate && text === message ? `not: ${text}` : text));
  }
}

function syncMatchers(actual: unknown, negate: boolean, note?: string): Matchers<void> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(matchers) as [string, Matcher][]) {
    out[name] = (...args: unknown[]) => check(m(actual, ...args), negate, note);
  }
  return out as Matchers<void>;
}

/** .rejects / .resolves: settle `actual` (a promise or a function returning one), then match. */
function asyncMatchers(actual: unknown, rejects: boolean, negate: boolean, note?: string): Matchers<Promise<void>> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(matchers) as [string, Matcher][]) {
    out[name] = async (...args: unknown[]) => {
      let value: unknown;
      let failed = false;
      try {
        value = await (typeof actual === 'function' ? actual() : actual);
      } catch (err) {
        value = err;
        failed = true;
      }
      if (failed !== rejects) {
        throw new AssertionError(`${note ? `${note}: ` : ''}expected promise to ${rejects ? 'reject' : 'resolve'}, it ${failed ? `rejected with ${format(value)}` : `resolved to ${format(value)}`}`);
      }
      // Under .rejects the reason itself is the "thrown" value.
      const result = rejects && m === toThrow ? throwMatch(true, value, args[0]) : m(value, ...args);
      check(result, negate, note);
    };
  }
  return out as Matchers<Promise<void>>;
}

/** What vitest's expect.getState() reports that the tests use: the running test's "suite > test" name. */
const state: { currentTestName: string | undefined } = { currentTestName: undefined };

export const expect = Object.assign(
  (actual: unknown, note?: string): Assertion => ({
    ...syncMatchers(actual, false, note),
    not: syncMatchers(actual, true, note),
    rejects: { ...asyncMatchers(actual, true, false, note), not: asyncMatchers(actual, true, true, note) },
    resolves: { ...asyncMatchers(actual, false, false, note), not: asyncMatchers(actual, false, true, note) },
  }),
  {
    getState: () => ({ ...state }),
    any: (C: any) => asym(`Any<${C?.name}>`, (v) =>
      v != null && (v instanceof C || (C === Number && typeof v === 'number') || (C === String && typeof v === 'string') ||
        (C === Boolean && typeof v === 'boolean') || (C === BigInt && typeof v === 'bigint') || (C === Function && typeof v === 'function'))),
    anything: () => asym('Anything', (v) => v != null),
    closeTo: (n: number, digits = 2) => asym(`CloseTo<${n}, ${digits}>`, (v) => typeof v === 'number' && (v === n || Math.abs(v - n) < 10 ** -digits / 2)),
    stringContaining: (s: string) => asym(`StringContaining<${s}>`, (v) => typeof v === 'string' && v.includes(s)),
    stringMatching: (re: RegExp | string) => asym(`StringMatching<${re}>`, (v) => typeof v === 'string' && new RegExp(re).test(v)),
  },
);

// ---------------------------------------------------------------- running

class SkipSignal extends Error {}
class TimeoutError extends Error {}

async function withTimeout<T>(fn: () => Awaitable<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunResult { passed: number; failed: number; skipped: number; failures: string[] }
export interface RunOptions {
  /** Only run tests whose full name contains this string / matches this RegExp. */
  filter?: string | RegExp;
  log?: (line: string) => void;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return `thrown: ${format(err)}`;
  if (err instanceof TimeoutError) return err.message; // its stack is the timer's, not the test's
  const head = `${err.name}: ${err.message}`;
  // Drop frames of this runner and Deno internals; they only bury the test's own frames.
  const stack = (err.stack ?? '').split('\n').filter((l) => !/vitest-shim\.ts|ext:(core|deno_\w+)\/|portable\/deno\.mjs/.test(l)).join('\n');
  // V8 stacks start with "Name: message"; SpiderMonkey/JSC stacks do not.
  return stack.includes(err.message) ? stack : `${head}\n${stack}`;
}

const indent = (s: string) => s.replace(/^/gm, '    ');

/** Runs every registered test sequentially; the last line logged is "N passed, N failed[, N skipped]". */
export async function run(opts: RunOptions = {}): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const res: RunResult = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const selected = (full: string) =>
    opts.filter === undefined || (typeof opts.filter === 'string' ? full.includes(opts.filter) : opts.filter.test(full));
  const fail = (full: string, ms: number, err: unknown) => {
    res.failed++;
    res.failures.push(full);
    log(`✗ ${full} (${ms.toFixed(0)} ms)\n${indent(errorText(err))}`);
  };
  const join = (prefix: string, name: string) => (prefix ? `${prefix} > ${name}` : name);
  const willRun = (s: Suite, prefix: string): boolean =>
    !s.skip && s.children.some((c) => ('children' in c ? willRun(c, join(prefix, c.name)) : !c.skip && selected(join(prefix, c.name))));

  async function runTest(t: Test, full: string, chain: Suite[]): Promise<void> {
    if (t.skip || !selected(full)) {
      if (t.skip) { res.skipped++; log(`- ${full} (skipped)`); }
      return;
    }
    const start = performance.now();
    let error: unknown;
    let skipped = false;
    const cleanups: Cleanup[] = [];
    const ctx: TestContext = { skip: () => { throw new SkipSignal(); }, expect };
    // vitest's name leaves out the file (the first segment here).
    state.currentTestName = full.split(' > ').slice(1).join(' > ');
    const onFailed: (() => Awaitable<unknown>)[] = (failedHandlers = []);
    try {
      for (const s of chain) {
        for (const h of s.beforeEach) {
          const c = await withTimeout(h.fn, h.timeout, 'beforeEach hook');
          if (typeof c === 'function') cleanups.push(c as Cleanup);
        }
      }
      await withTimeout(() => t.fn!(ctx), t.timeout, `test "${t.name}"`);
    } catch (err) {
      if (err instanceof SkipSignal) skipped = true;
      else error = err;
    }
    // afterEach runs innermost first, like vitest's default 'stack' hook order.
    const after = [...chain].reverse().flatMap((s) => [...s.afterEach].reverse());
    for (const h of [...cleanups.reverse().map((fn) => ({ fn, timeout: DEFAULT_TIMEOUT })), ...after]) {
      try {
        await withTimeout(h.fn, h.timeout, 'afterEach hook');
      } catch (err) {
        error ??= err;
      }
    }
    state.currentTestName = undefined;
    failedHandlers = undefined;
    const ms = performance.now() - start;
    if (error !== undefined) {
      fail(full, ms, error);
      for (const h of onFailed) {
        try {
          await h();
        } catch {}
      }
    }
    else if (skipped) { res.skipped++; log(`- ${full} (skipped)`); }
    else { res.passed++; log(`✓ ${full} (${ms.toFixed(0)} ms)`); }
  }

  async function runSuite(s: Suite, prefix: string, chain: Suite[]): Promise<void> {
    const inner = [...chain, s];
    if (!willRun(s, prefix)) {
      // Nothing selected here: only count explicitly skipped tests, run no hooks.
      const countSkips = (x: Suite | Test, p: string): void => {
        if ('children' in x) x.children.forEach((c) => countSkips(c, join(p, c.name)));
        else if ((x.skip || s.skip) && selected(p)) { res.skipped++; log(`- ${p} (skipped)`); }
      };
      s.children.forEach((c) => countSkips(c, join(prefix, c.name)));
      return;
    }
    const teardowns: Cleanup[] = [];
    let setupError: unknown;
    for (const h of s.beforeAll) {
      try {
        const c = await withTimeout(h.fn, h.timeout, 'beforeAll hook');
        if (typeof c === 'function') teardowns.push(c as Cleanup);
      } catch (err) {
        setupError = err;
        break;
      }
    }
    for (const c of s.children) {
      const full = join(prefix, c.name);
      if (setupError === undefined) await ('children' in c ? runSuite(c, full, inner) : runTest(c, full, inner));
      else if (!('children' in c) && !c.skip && selected(full)) fail(full, 0, setupError);
    }
    const afterAll = [...teardowns.reverse().map((fn) => ({ fn, timeout: DEFAULT_TIMEOUT })), ...[...s.afterAll].reverse()];
    for (const h of afterAll) {
      try {
        await withTimeout(h.fn, h.timeout, 'afterAll hook');
      } catch (err) {
        fail(join(prefix, '(afterAll)'), 0, err);
      }
    }
  }

  const start = performance.now();
  await runSuite(root, '', []);
  log(`Duration ${((performance.now() - start) / 1000).toFixed(1)} s`);
  log(`${res.passed} passed, ${res.failed} failed${res.skipped ? `, ${res.skipped} skipped` : ''}`);
  return res;
}
