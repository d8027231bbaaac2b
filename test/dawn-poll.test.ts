// @node-only
// Dawn's Node binding polls for GPU completion from a setImmediate loop; src/gpu/dawn-poll.ts slows
// that loop (and only that loop) to a timer once a wait has spun for SPIN_MS, so the JS thread
// stops taking a core from a software adapter. The throttle's decisions are checked here through
// what setImmediate returns (an Immediate or a Timeout); the wall-time effect is in docs/design.md.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { beginWait } from '../src/gpu/dawn-poll.js';
import { useDevice } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kind = (handle: unknown): string => (handle as object).constructor.name;

/**
 * A stand-in for Dawn's callback: native-looking, nameless and of no parameters (a bound function
 * with its name blanked), which re-arms itself through setImmediate while `pending()` holds, as
 * Dawn's loop does while a map or work-done promise is outstanding. Records each re-arm's handle.
 */
function dawnLike(pending: () => boolean, handles: unknown[], done: () => void): () => void {
  const cb = Function.prototype.bind.call(() => {
    if (pending()) handles.push(setImmediate(cb));
    else done();
  }, null) as () => void;
  Object.defineProperty(cb, 'name', { value: '' });
  return cb;
}

/**
 * Runs one chain that stays pending until `stop(kinds)` holds, and returns the kinds of its re-arms.
 * The chain ends on what it has seen, not on elapsed time: on a loaded machine the event loop can
 * stall for longer than a time-based chain lasts. (After 2 s it ends anyway, and the asserts fail.)
 */
async function chain(stop: (kinds: string[]) => boolean, onRearm?: (next: number, kinds: string[]) => void): Promise<string[]> {
  const handles: unknown[] = [];
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const cb = dawnLike(
      () => {
        const kinds = handles.map(kind);
        onRearm?.(handles.length, kinds);
        return !stop(kinds) && performance.now() - t0 < 2000;
      },
      handles,
      done,
    );
    handles.push(setImmediate(cb));
  });
  return handles.map(kind);
}

describe('throttled Dawn polling (Node)', () => {
  useDevice();

  it('spins at the start of a wait, then re-arms on a timer; the next wait spins again at once', async () => {
    const probe = dawnLike(
      () => false,
      [],
      () => {},
    );
    expect([probe.name, probe.length, Function.prototype.toString.call(probe).endsWith('{ [native code] }')]).toEqual(['', 0, true]);
    // Dawn's own loop shares the wait state (one loop per instance): let it go idle first.
    await tl.sync();
    await sleep(5);
    // Pending until three re-arms went on the timer.
    const first = await chain((k) => k.filter((x) => x === 'Timeout').length >= 3);
    expect(first[0]).toBe('Immediate');
    expect(first.indexOf('Timeout')).toBeGreaterThan(0);
    expect(first.slice(first.indexOf('Timeout'))).toEqual(['Timeout', 'Timeout', 'Timeout']);
    // A chain that stopped re-arming ended its wait: the next one spins, with no gap in between.
    const second = await chain(() => true);
    expect(second).toEqual(['Immediate']);
  });

  it('beginWait() makes a live chain spin again; other callers keep setImmediate', async () => {
    let marked = -1;
    const kinds = await chain(
      (k) => marked >= 0 && k.length > marked + 1,
      (next, k) => {
        // Once the loop is on the timer, a read-back begins while it is still polling.
        if (marked < 0 && k.includes('Timeout')) {
          beginWait();
          marked = next;
        }
      },
    );
    expect(marked).toBeGreaterThan(0);
    expect(kinds[marked]).toBe('Immediate');
    let resolveFn: (v: unknown) => void = () => {};
    const p = new Promise((r) => (resolveFn = r));
    const h = [setImmediate(resolveFn, 1), setImmediate(() => {})]; // a resolve takes one parameter; JavaScript
    await p;
    expect(h.map(kind)).toEqual(['Immediate', 'Immediate']);
    await sleep(1);
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
