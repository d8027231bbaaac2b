// @node-only
// When the caller creates Dawn's navigator.gpu before tl.init() (bench/run.ts does, so that jax-js
// and tfjs share one Dawn instance with Tellus), init must still throttle Dawn's polling loop:
// before 2026-12-07 it did not, and every Node benchmark ran with the JS thread spinning a core.
// A file of its own: the throttle is installed once per process.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';

describe('Dawn polling throttle with a caller-made navigator.gpu', () => {
  afterAll(() => tl.destroy());

  it('tl.init() installs it', async () => {
    const real = globalThis.setImmediate;
    // As bench/run.ts: SwiftShader where there is no GPU (Dawn reads this when the instance is made).
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    if (!existsSync('/dev/dri/renderD128') && !existsSync('/dev/nvidia0') && existsSync(icd)) process.env.VK_ICD_FILENAMES ??= icd;
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: create([]), userAgent: 'Node' },
      configurable: true,
    });
    expect(globalThis.setImmediate).toBe(real);
    await tl.init();
    expect(globalThis.setImmediate).not.toBe(real);
    // And work still completes through it.
    expect(await tl.add(tl.tensor([1, 2]), 1).data()).toEqual(new Float32Array([2, 3]));
  });
});
