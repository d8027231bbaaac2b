// The seed machinery of test/helpers.ts, checked under whichever runner runs this file (vitest on
// Node, under Deno, or in Chromium's browser mode): every random test input is seeded from the base
// seed and the running test's "suite > test" name, so the name must be the same in every runtime and a
// test's draws must not depend on other tests.
import { describe, expect, it, onTestFailed } from 'vitest';
import { BASE_SEED, hashSeed, readSeedSetting, rng } from './helpers.js';

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
  it('takes the base seed from TELLUS_TEST_SEED, else a fixed default', () => {
    // In Chromium the setting reaches the page through test/browser/setup.ts.
    const setting = readSeedSetting();
    if (setting === undefined || setting === '') expect(BASE_SEED).toBe(20261206);
    else if (/^\d+$/.test(setting.trim())) expect(BASE_SEED).toBe(Number(setting.trim()) % 2 ** 31);
  });
  it('calls onTestFailed handlers only for a failing test', () => {
    let called = false;
    onTestFailed(() => {
      called = true;
    });
    expect(called).toBe(false);
  });
});
