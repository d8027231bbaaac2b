// Bad input to creation, sizes and memory (issue 12): integer dtypes never wrap, random parameters
// are checked, shape/axes/keepDims arguments give tellus messages instead of bare TypeErrors, and a
// tensor larger than the device's largest buffer is refused by name before anything is allocated.
// Every message is checked exactly, and the user's tensors are intact after each failed call.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { bucketSize, BufferPool, formatBytes } from '../src/gpu/pool.js';
import { context } from '../src/graph/context.js';
import { randomFloats, rng, useDevice } from './helpers.js';

/** The thrown error's exact message (and that it is a tellus error, not a bare JS one). */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg.startsWith('tellus: ')).toBe(true);
    return msg;
  }
  throw new Error('expected a throw');
}

const INT32 = 'expected an integer in [-2147483648, 2147483647] for int32';
const UINT32 = 'expected an integer in [0, 4294967295] for uint32';

/** The largest tensor this device holds, and the limit that sets it. */
function largest(): { bytes: number; limit: string } {
  const lim = tl.getDevice().limits;
  return lim.maxBufferSize < lim.maxStorageBufferBindingSize
    ? { bytes: lim.maxBufferSize, limit: 'maxBufferSize' }
    : { bytes: lim.maxStorageBufferBindingSize, limit: 'maxStorageBufferBindingSize' };
}

describe('bad input: creation, sizes, memory', () => {
  useDevice();

  it('integer dtypes reject out-of-range, fractional and NaN values by index instead of wrapping', async () => {
    expect(messageOf(() => tl.tensor([1, 3e10], { dtype: 'int32' }))).toBe(
      `tellus: tensor(data, opts): data[1]: ${INT32}, got 30000000000`,
    );
    expect(
      messageOf(() =>
        tl.tensor(
          [
            [0, 1],
            [2, -1],
          ],
          { dtype: 'uint32' },
        ),
      ),
    ).toBe(`tellus: tensor(data, opts): data[1][1]: ${UINT32}, got -1`);
    expect(messageOf(() => tl.tensor([0.5], { dtype: 'int32' }))).toBe(`tellus: tensor(data, opts): data[0]: ${INT32}, got 0.5`);
    expect(messageOf(() => tl.tensor(new Float32Array([1, NaN]), { dtype: 'int32' }))).toBe(
      `tellus: tensor(data, opts): data[1]: ${INT32}, got NaN`,
    );
    expect(messageOf(() => tl.tensor(new Int32Array([3, -1]), { dtype: 'uint32' }))).toBe(
      `tellus: tensor(data, opts): data[1]: ${UINT32}, got -1`,
    );
    expect(messageOf(() => tl.tensor(new Uint32Array([2 ** 31]), { dtype: 'int32' }))).toBe(
      `tellus: tensor(data, opts): data[0]: ${INT32}, got 2147483648`,
    );
    expect(messageOf(() => tl.tensor(7.5, { dtype: 'int32' }))).toBe(`tellus: tensor(data, opts): data: ${INT32}, got 7.5`);
    // The index is in the data as given, before a { shape } option reshapes it.
    expect(messageOf(() => tl.tensor([1, 2, 3, Infinity], { dtype: 'int32', shape: [2, 2] }))).toBe(
      `tellus: tensor(data, opts): data[3]: ${INT32}, got Infinity`,
    );
    expect(messageOf(() => tl.full([2], NaN, 'int32'))).toBe(`tellus: full(shape, value, dtype): value: ${INT32}, got NaN`);
    expect(messageOf(() => tl.full([2], 3e10, 'int32'))).toBe(`tellus: full(shape, value, dtype): value: ${INT32}, got 30000000000`);
    expect(messageOf(() => tl.full([2], -1, 'uint32'))).toBe(`tellus: full(shape, value, dtype): value: ${UINT32}, got -1`);
    expect(messageOf(() => tl.full([2], '3' as unknown as number))).toBe(
      'tellus: full(shape, value, dtype): value: expected a number or a boolean, got "3"',
    );
    expect(messageOf(() => tl.arange(2 ** 31 - 2, 2 ** 31 + 2, 1, 'int32'))).toBe(
      'tellus: arange(start, stop, step, dtype): stop: expected a range within [-2147483648, 2147483647] for int32, got values from 2147483646 to 2147483649',
    );
    // The edges of each range are exact.
    const edges = [-(2 ** 31), -1, 0, 2 ** 31 - 1];
    expect(await tl.tensor(edges, { dtype: 'int32' }).toArray()).toEqual(edges);
    expect(await tl.tensor(new Float64Array([0, 2 ** 32 - 1]), { dtype: 'uint32' }).toArray()).toEqual([0, 2 ** 32 - 1]);
    expect(await tl.full([1], -(2 ** 31), 'int32').toArray()).toEqual([-(2 ** 31)]);
    expect(await tl.arange(2 ** 31 - 3, 2 ** 31, 1, 'int32').toArray()).toEqual([2 ** 31 - 3, 2 ** 31 - 2, 2 ** 31 - 1]);
  });

  it('random parameters: std >= 0, low <= high', async () => {
    const seed = rng().next() * 2 ** 31;
    expect(messageOf(() => tl.randn([4], { std: -1, seed: Math.floor(seed) }))).toBe(
      'tellus: randn(shape, opts): std: expected a finite number >= 0, got -1',
    );
    expect(messageOf(() => tl.rand([4], { low: 2, high: 1 }))).toBe('tellus: rand(shape, opts): high: expected a number >= low (2), got 1');
    // The boundaries are legal: a point distribution.
    expect(await tl.rand([3], { low: 2, high: 2, seed: Math.floor(seed) }).toArray()).toEqual([2, 2, 2]);
    expect(await tl.randn([3], { mean: -1, std: 0, seed: Math.floor(seed) }).toArray()).toEqual([-1, -1, -1]);
  });

  it('shape arguments: a tellus message naming the call, never "not iterable"', () => {
    const x = tl.zeros([2, 3]);
    const cases: [() => unknown, string][] = [
      [() => tl.zeros(5 as unknown as number[]), 'zeros(shape, dtype): shape: expected an array of non-negative integers, got 5'],
      [() => tl.ones('3' as unknown as number[]), 'ones(shape, dtype): shape: expected an array of non-negative integers, got "3"'],
      [
        () => tl.full(null as unknown as number[], 1),
        'full(shape, value, dtype): shape: expected an array of non-negative integers, got null',
      ],
      [() => tl.empty({} as unknown as number[]), 'empty(shape, dtype): shape: expected an array of non-negative integers, got an object'],
      [() => tl.rand(5 as unknown as number[]), 'rand(shape, opts): shape: expected an array of non-negative integers, got 5'],
      [
        () => tl.randn(undefined as unknown as number[]),
        'randn(shape, opts): shape: expected an array of non-negative integers, got undefined',
      ],
      [
        () => tl.zeros([2, '3'] as unknown as number[]),
        'zeros(shape, dtype): shape: expected an array of non-negative integers, got [2, "3"]',
      ],
      [() => tl.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), 'zeros(shape, dtype): shape: expected at most 8 dims, got 9'],
      [
        () => tl.tensor([1, 2], { shape: 2 as unknown as number[] }),
        'tensor(data, opts): shape: expected an array of non-negative integers, got 2',
      ],
      [
        () => tl.reshape(x, 6 as unknown as number[]),
        'reshape(x, shape): shape: expected an array of non-negative integers (one may be -1), got 6',
      ],
      [() => tl.expand(x, 4 as unknown as number[]), 'expand(x, shape): shape: expected an array of non-negative integers, got 4'],
      [() => tl.permute(x, 1 as unknown as number[]), 'permute(x, axes): axes: expected an array of axes, got 1'],
      [() => tl.squeeze(x, 0 as unknown as number[]), 'squeeze(x, axes): axes: expected an array of axes, got 0'],
    ];
    for (const [f, msg] of cases) expect(messageOf(f)).toBe(`tellus: ${msg}`);
  });

  it('reductions: axes given as an object and non-boolean keepDims are refused in every reduction', () => {
    const x = tl.zeros([2, 3]);
    for (const op of ['sum', 'mean', 'prod', 'max', 'min'] as const) {
      expect(messageOf(() => tl[op](x, { axis: 0 } as unknown as number))).toBe(
        `tellus: ${op}(x, axes, keepDims): axes: expected an axis or an array of axes, got an object (axes are positional: ${op}(x, 0, true))`,
      );
      expect(messageOf(() => tl[op](x, 0, 'yes' as unknown as boolean))).toBe(
        `tellus: ${op}(x, axes, keepDims): keepDims: expected a boolean, got "yes"`,
      );
      expect(messageOf(() => tl[op](x, '1' as unknown as number))).toBe(
        `tellus: ${op}(x, axes, keepDims): axes: expected an axis or an array of axes, got "1"`,
      );
      // The chainable method reaches the same check.
      expect(messageOf(() => x[op](undefined, 1 as unknown as boolean))).toBe(
        `tellus: ${op}(x, axes, keepDims): keepDims: expected a boolean, got 1`,
      );
    }
    for (const op of ['argmax', 'argmin'] as const) {
      expect(messageOf(() => tl[op](x, { axis: 0 } as unknown as number))).toBe(
        `tellus: ${op}(x, axis, keepDims): axis: expected an integer, got an object (the axis is positional: ${op}(x, 0, true))`,
      );
      expect(messageOf(() => tl[op](x, [0] as unknown as number))).toBe(
        `tellus: ${op}(x, axis, keepDims): axis: expected an integer, got an array of length 1`,
      );
      expect(messageOf(() => tl[op](x, 0, 'yes' as unknown as boolean))).toBe(
        `tellus: ${op}(x, axis, keepDims): keepDims: expected a boolean, got "yes"`,
      );
    }
  });

  it("sizes: a tensor past the device's largest buffer is refused by name before anything is allocated", () => {
    const max = largest();
    const elems = max.bytes / 4 + 1; // one float32 past the limit
    const want = `expected at most ${formatBytes(max.bytes, `this device's ${max.limit}`)}, got ${formatBytes(elems * 4)}`;
    const before = tl.memory();
    for (const [f, name] of [
      [() => tl.zeros([elems]), 'zeros(shape, dtype): shape'],
      [() => tl.full([elems, 1], 2, 'int32'), 'full(shape, value, dtype): shape'],
      [() => tl.empty([1, elems]), 'empty(shape, dtype): shape'],
      [() => tl.rand([elems]), 'rand(shape, opts): shape'],
      [() => tl.randn([elems]), 'randn(shape, opts): shape'],
      [() => tl.arange(elems), 'arange(start, stop, step, dtype)'],
    ] as const) {
      expect(messageOf(f)).toBe(`tellus: ${name}: ${want}`);
    }
    // tensor(data) is checked where its upload starts (a view claiming more bytes than the limit:
    // nothing is copied or allocated before the check).
    const fake = { buffer: new ArrayBuffer(4), byteOffset: 0, byteLength: elems * 4 } as unknown as ArrayBufferView;
    expect(messageOf(() => context().scheduler.upload(fake, 'float32', 'tensor(data)'))).toBe(`tellus: tensor(data): ${want}`);
    // Nothing was allocated or counted: peakBytes stays true.
    const after = tl.memory();
    expect(after.bytesLive).toBe(before.bytesLive);
    expect(after.peakBytes).toBe(before.peakBytes);
    expect(after.allocations).toBe(before.allocations);
    expect(formatBytes(2 ** 30 + 4, 'note')).toBe('1.00 GiB (1073741828 bytes, note)');
    expect(formatBytes(1116691496)).toBe('1.04 GiB (1116691496 bytes)');
  });

  it('tensor(data) past the limit is refused by tensor() itself (a lazily zeroed host array, never touched)', () => {
    const max = largest();
    // Only where the limit is 1 GiB or less (CI's SwiftShader): the host array is virtual memory the
    // check never reads, but a bigger GPU would need a multi-GiB reservation.
    if (max.bytes > 2 ** 30) return;
    const data = new Float32Array(max.bytes / 4 + 1);
    expect(messageOf(() => tl.tensor(data))).toBe(
      `tellus: tensor(data, opts): data: expected at most ${formatBytes(max.bytes, `this device's ${max.limit}`)}, got ${formatBytes(data.byteLength)}`,
    );
  });

  it('pool: bucket rounding stops at the device limit; out-of-memory buffers leave the figures', async () => {
    // Rounding never passes the cap: the exact size (a multiple of 4) is used instead.
    expect(bucketSize(1_000_000_000)).toBe(1_073_741_824);
    expect(bucketSize(1_000_000_000, 1_050_000_000)).toBe(1_000_000_000);
    expect(bucketSize(1_000_000_001, 1_050_000_000)).toBe(1_000_000_004);
    expect(bucketSize(3.5 * 2 ** 30 + 1, 4294967292)).toBe(3.5 * 2 ** 30 + 4); // the 4 GiB bucket passes a 4 GiB - 4 limit
    const max = largest();
    for (const r of [max.bytes, max.bytes - 4, max.bytes - 2 ** 20 - 4, Math.floor((max.bytes * 0.8) / 4) * 4]) {
      const b = bucketSize(r, max.bytes);
      expect(b).toBeGreaterThanOrEqual(r);
      expect(b).toBeLessThanOrEqual(max.bytes);
    }

    // A stand-in device: records created sizes; an allocation over `oomAbove` bytes is reported out
    // of memory through the error scope around it, as a real device does (asynchronously).
    const created: number[] = [];
    const destroyed: number[] = [];
    const scopes: (string | null)[] = [];
    const oomAbove = 4096;
    const device = {
      pushErrorScope: () => scopes.push(null),
      popErrorScope: () => {
        const m = scopes.pop() ?? null;
        return Promise.resolve(m === null ? null : { message: m });
      },
      createBuffer: ({ size }: { size: number }) => {
        created.push(size);
        if (size > oomAbove && scopes.length > 0) scopes[scopes.length - 1] = `Out of memory creating a buffer of ${size} bytes`;
        return { size, destroy: () => destroyed.push(size) };
      },
    } as unknown as GPUDevice;
    const pool = new BufferPool(device, 0, { maxPooledBytes: 1 << 20, maxPerBucket: 4, maxBufferBytes: 10_000 });

    // Past the cap: refused, nothing created or counted.
    expect(messageOf(() => pool.acquire(10_004))).toBe(
      "tellus: allocating a GPU buffer: expected at most 9.77 KiB (10000 bytes, this device's limit), got 9.77 KiB (10004 bytes)",
    );
    expect(created).toEqual([]);
    // Under the cap but the bucket (10240) would pass it: the exact size is created.
    const ok = pool.acquire(1000);
    const big = pool.acquire(9_000);
    expect(created).toEqual([1024, 9000]);
    expect(pool.snapshot().peakBytes).toBe(10_024);
    const [c1, c2] = pool.takeChecks();
    expect(await c1).toBeNull();
    expect(await c2).toBe(
      'tellus: the GPU is out of memory: allocating 8.79 KiB (9000 bytes) failed (Out of memory creating a buffer of 9000 bytes)',
    );
    // The failed buffer no longer counts, was never there at the peak, and is destroyed, not pooled, when released.
    expect(pool.snapshot()).toMatchObject({ bytesLive: 1024, buffersLive: 1, peakBytes: 1024 });
    pool.release(big);
    expect(destroyed).toEqual([9000]);
    pool.release(ok);
    expect(pool.snapshot()).toMatchObject({ bytesLive: 0, bytesPooled: 1024, buffersPooled: 1, peakBytes: 1024 });
    expect(pool.takeChecks()).toEqual([]);
  });

  it("the user's tensors are intact after every failed call", async () => {
    const g = rng();
    const data = randomFloats(g, 12);
    const x = tl.reshape(tl.tensor(data), [3, 4]);
    const ints = tl.tensor(new Int32Array([5, -7, 9]));
    const live = tl.memory().bytesLive;
    const failing: (() => unknown)[] = [
      () => tl.sum(x, { axis: 0 } as unknown as number),
      () => tl.max(x, 1, 'yes' as unknown as boolean),
      () => tl.argmax(x, { axis: 1 } as unknown as number),
      () => tl.reshape(x, 12 as unknown as number[]),
      () => tl.expand(x, 3 as unknown as number[]),
      () => tl.tensor([1, 3e10], { dtype: 'int32' }),
      () => tl.full([3], -1, 'uint32'),
      () => tl.randn([3], { std: -1 }),
      () => tl.zeros([largest().bytes / 4 + 1]),
    ];
    for (const f of failing) messageOf(f);
    expect(tl.memory().bytesLive).toBe(live);
    expect(x.isDisposed).toBe(false);
    expect(Array.from(await x.data())).toEqual(Array.from(data));
    expect(await ints.toArray()).toEqual([5, -7, 9]);
    // And the engine still works after the failures.
    expect(await tl.sum(x).item()).toBeCloseTo(
      Array.from(data).reduce((a, b) => a + b, 0),
      4,
    );
  });
});
