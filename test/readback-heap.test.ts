// @node-only: needs a garbage-collector hook (Node's v8 flags). The JS heap stays flat over
// 20,000 read-backs: a read registers no lasting listener and keeps no per-read state.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { useDevice } from './helpers.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after full collections (twice: the first may only queue finalizers). */
function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('read-back memory', () => {
  useDevice();

  it('20,000 read-backs leave the JS heap within 1 MiB', async () => {
    const x = tl.tensor([1, 2, 3, 4]);
    const readMany = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const y = tl.add(x, i);
        const v = await y.data();
        y.dispose();
        if (v[0] !== 1 + i) throw new Error(`read ${i}: got ${v[0]}, expected ${1 + i}`);
      }
    };
    await readMany(2_000); // pipelines, pool buckets and JIT settle first
    const before = settledHeap();
    await readMany(20_000);
    const grown = settledHeap() - before;
    // The leak this guards against grew ~780 B per read (+15 MiB over 20,000).
    expect(grown, `heap grew ${(grown / 1024).toFixed(0)} KiB over 20,000 read-backs`).toBeLessThan(1 << 20);
    x.dispose();
  });
});
