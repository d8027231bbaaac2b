// @node-only
// Dawn's Node binding polls for GPU completion from a setImmediate loop; src/gpu/dawn-poll.ts slows
// that loop (and only that loop) to a timer once a wait has spun for SPIN_MS, so the JS thread
// stops taking a core from a software adapter. The throttle's decisions are checked here through
// what setImmediate returns (an Immediate or a Timeout); the wall-time effect is in docs/design.md.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { beginWait } from '../src/gpu/dawn-poll.js';
import { useDevice } from './helpers.js';

// An anonymous native function of no parameters, as Dawn's callback is.
const dawnLike = (): (() => void) => Function.prototype.bind.call(() => {}, null) as () => void;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kind = (handle: unknown): string => (handle as object).constructor.name;

describe('throttled Dawn polling (Node)', () => {
  useDevice();

  it('spins right after a wait begins, then re-arms on a timer; other callers keep setImmediate', async () => {
    // A bound function is native but named 'bound ': make a nameless, parameterless native one.
    const cb = dawnLike();
    Object.defineProperty(cb, 'name', { value: '' });
    expect([cb.name, cb.length, Function.prototype.toString.call(cb).endsWith('{ [native code] }')]).toEqual(['', 0, true]);
    const handles: unknown[] = [];
    beginWait();
    handles.push(setImmediate(cb));
    await sleep(5);
    handles.push(setImmediate(cb)); // 5 ms into the same burst: a timer
    let resolveFn: (v: unknown) => void = () => {};
    const p = new Promise((r) => (resolveFn = r));
    handles.push(setImmediate(resolveFn, 1)); // a promise's resolve takes one parameter: untouched
    handles.push(setImmediate(() => {})); // JavaScript: untouched
    await p;
    await sleep(40);
    handles.push(setImmediate(cb)); // after a 40 ms gap: a new burst spins again
    expect(handles.map(kind)).toEqual(['Immediate', 'Timeout', 'Immediate', 'Immediate', 'Immediate']);
    for (const h of handles) if (kind(h) === 'Timeout') clearTimeout(h as ReturnType<typeof setTimeout>);
  });

  it('a read-back still completes, and one after a long one keeps its short latency path', async () => {
    const x = tl.tidy(() => tl.sum(tl.square(tl.randn([256, 256], { seed: 3 }))));
    const y = tl.add(tl.tensor([1, 2, 3, 4]), 1);
    expect(Number.isFinite(await x.item())).toBe(true);
    expect(Array.from(await y.data())).toEqual([2, 3, 4, 5]);
    x.dispose();
    y.dispose();
  });
});
