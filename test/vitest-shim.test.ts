// Pins the behaviour the portable runner (test/portable/vitest-shim.ts) must share
// with vitest: this file runs under both, so a divergence fails one of them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed, test } from 'vitest';
import { BASE_SEED, hashSeed, readSeedSetting, rng } from './helpers.js';

class MyErr extends Error {}
const log: string[] = [];

describe('matchers', () => {
  it('basic', () => {
    expect(1).toBe(1);
    expect(0).not.toBe(-0);
    expect({ a: [1, { b: 2 }], c: undefined }).toEqual({ a: [1, { b: 2 }] });
    expect({ a: 1, c: undefined }).not.toStrictEqual({ a: 1 });
    expect(new Float32Array([1, 2])).toEqual(new Float32Array([1, 2]));
    expect(new Float32Array([1, 2])).not.toEqual(new Float64Array([1, 2]));
    expect([NaN]).toEqual([NaN]);
    expect(new Map([[1, { x: 1 }]])).toEqual(new Map([[1, { x: 1 }]]));
    expect(new Set([1, 2])).toEqual(new Set([2, 1]));
    expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
    expect(0.1).not.toBeCloseTo(0.2);
    expect(1).toBeLessThan(2); expect(2).toBeLessThanOrEqual(2);
    expect(3).toBeGreaterThan(2); expect(3).toBeGreaterThanOrEqual(3);
    expect(1).not.toBeGreaterThan(2);
    expect(1).toBeTruthy(); expect('').toBeFalsy(); expect(NaN).toBeNaN(); expect(1).not.toBeNaN();
    expect(0).toBeDefined(); expect(undefined).toBeUndefined(); expect(null).toBeNull(); expect(undefined).not.toBeNull();
    expect(new MyErr()).toBeInstanceOf(Error);
    expect([1, 2, 3]).toContain(2); expect('hello').toContain('ell'); expect(new Uint8Array([5])).toContain(5);
    expect([{ a: 1 }]).toContainEqual({ a: 1 });
    expect('abc').toMatch(/b/); expect('abc').toMatch('bc'); expect('abc').not.toMatch(/d/);
    expect([1, 2]).toHaveLength(2); expect('abc').toHaveLength(3);
    expect({ a: { b: 3 } }).toHaveProperty('a.b', 3);
    expect([1.0001, 'x']).toEqual([expect.closeTo(1, 3), expect.any(String)]);
  });
  it('throws', () => {
    const f = () => { throw new MyErr('bad thing happened'); };
    expect(f).toThrow(); expect(f).toThrow('thing'); expect(f).toThrow(/bad/); expect(f).toThrow(MyErr);
    expect(f).toThrowError(Error); expect(f).not.toThrow('other'); expect(() => 1).not.toThrow();
    expect(() => expect(1).toBe(2)).toThrow('expected 1 to be 2');
    expect(() => expect(1).not.toBe(1)).toThrow('expected 1 not to be 1');
  });
  it('async', async () => {
    await expect(Promise.reject(new MyErr('nope'))).rejects.toThrow('nope');
    await expect(Promise.reject(new MyErr('nope'))).rejects.toThrow(MyErr);
    await expect(async () => { throw new Error('x'); }).rejects.toThrow();
    await expect(Promise.resolve(5)).resolves.toBe(5);
    await expect(Promise.resolve({ a: 1 })).resolves.toEqual({ a: 1 });
    await expect(Promise.resolve(5)).resolves.not.toBe(6);
  });
});

describe('hooks', () => {
  beforeAll(() => void log.push('beforeAll'));
  beforeEach(() => void log.push('beforeEach'));
  afterEach(() => void log.push('afterEach'));
  afterAll(() => void log.push('afterAll'));
  describe('inner', () => {
    beforeEach(async () => { await new Promise((r) => setTimeout(r, 1)); log.push('innerBeforeEach'); });
    test('one', () => { log.push('one'); });
  });
  it('two', () => { log.push('two'); });
  it.skip('skipped', () => { throw new Error('should not run'); });
  it.each([[1, 2, 3], [2, 3, 5]])('add %i + %i = %i', (a, b, c) => { expect(a + b).toBe(c); });
  it('custom timeout', async () => { await new Promise((r) => setTimeout(r, 10)); }, 5000);
});

describe('order', () => {
  it('hooks ran in order', () => {
    expect(log).toEqual(['beforeAll', 'beforeEach', 'innerBeforeEach', 'one', 'afterEach', 'beforeEach', 'two', 'afterEach',
      'beforeEach', 'afterEach', 'beforeEach', 'afterEach', 'beforeEach', 'afterEach', 'afterAll']);
  });
});

// The seed of every random test input comes from the test's name (test/helpers.ts), so vitest and
// the shim must report the same "suite > test" name, and a test's draws must not depend on others.
describe('seeds', () => {
  it('names the running test "suite > test" without the file', () => {
    expect(expect.getState().currentTestName).toBe('seeds > names the running test "suite > test" without the file');
  });
  it('draws seeds from the base seed, the test name and the draw count', () => {
    const name = 'seeds > draws seeds from the base seed, the test name and the draw count';
    const [a, b] = [rng(), rng()];
    expect(a.seed).toBe(hashSeed(`${BASE_SEED}|${name}|0`));
    expect(b.seed).toBe(hashSeed(`${BASE_SEED}|${name}|1`));
    expect(a.seed).not.toBe(b.seed);
    expect(rng(a.seed).next()).toBe(rng(a.seed).next());
  });
  it('defaults to a fixed base seed', () => {
    const setting = readSeedSetting();
    if (setting === undefined || setting === '') expect(BASE_SEED).toBe(20261206);
  });
  it('calls onTestFailed handlers only for a failing test', async () => {
    let called = false;
    onTestFailed(() => {
      called = true;
    });
    expect(called).toBe(false);
  });
});
