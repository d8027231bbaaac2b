// Bad input to the transforms, the layers, the physics ops, safetensors and the device lifecycle:
// each gets `tellus: <function called>: <argument>: expected <...>, got <...>` (never a bare
// TypeError, an error named after an inner op, a silent NaN or a dead context), and the caller's
// tensors are intact after the failed call.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { rng, useDevice } from './helpers.js';
import { randomHost } from './ref.js';

/** The tensor's values, to compare before and after a call that must fail without touching it. */
const values = async (t: tl.Tensor): Promise<number[]> => Array.from(await t.data());

describe('transforms given something that is not a function or not tensors', () => {
  useDevice();

  it('name the transform, the argument and what it got', async () => {
    const g = rng();
    const h = randomHost(g, [4]);
    const x = tl.tensor(h.data, { shape: h.shape });
    const f = (a: tl.Tensor): tl.Tensor => tl.sum(tl.square(a));
    const cases: [() => unknown, string][] = [
      [() => tl.grad('sum' as never), 'tellus: grad(f): f: expected a function, got "sum"'],
      [() => tl.valueAndGrad(3 as never), 'tellus: valueAndGrad(f): f: expected a function, got 3'],
      [() => tl.vjp(null as never, x), 'tellus: vjp(f, ...primals): f: expected a function, got null'],
      [() => tl.vjp(f, [x] as never), 'tellus: vjp(f, ...primals): primals[0]: expected a Tensor, got an array of length 1'],
      [
        () => tl.jvp(f, x as never, x as never),
        'tellus: jvp(f, primals, tangents): primals: expected an array of tensors, got a float32 tensor of shape [4]',
      ],
      [() => tl.jvp(f, [x], [1] as never), 'tellus: jvp(f, primals, tangents): tangents[0]: expected a Tensor, got 1'],
      [
        () => tl.jvp(f, [x], [tl.ones([2, 2])]),
        'tellus: jvp(f, primals, tangents): tangents[0]: expected a float32 tensor of shape [4] (as primals[0]), got a float32 tensor of shape [2, 2]',
      ],
      [
        () => tl.grad((a: tl.Tensor) => a)(x),
        "tellus: grad(f): f's result: expected a float32 tensor with one element, got a float32 tensor of shape [4]",
      ],
      [() => tl.hvp({} as never, x, x), 'tellus: hvp(f, x, v): f: expected a function, got an object'],
      [() => tl.jacobian(f, 'x' as never), 'tellus: jacobian(f, x): x: expected a float32 tensor, got "x"'],
      [() => tl.customVjp(null as never, () => []), 'tellus: customVjp(forward, backward, opts): forward: expected a function, got null'],
      [
        () => tl.customVjp(() => ({ out: x }), undefined as never),
        'tellus: customVjp(forward, backward, opts): backward: expected a function, got undefined',
      ],
      [
        () =>
          tl.customVjp(
            () => ({ out: x }),
            () => [],
            { nmae: 'sq' } as never,
          ),
        "tellus: customVjp(forward, backward, opts): unknown option 'nmae' (did you mean 'name'?); valid options: name, jvp",
      ],
      [() => tl.checkpoint(42 as never), 'tellus: checkpoint(fn): fn: expected a function, got 42'],
      [() => tl.noGrad(undefined as never), 'tellus: noGrad(fn): fn: expected a function, got undefined'],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    expect(await values(x)).toEqual(Array.from(h.data));
    x.dispose();
  });

  it('hvp and jacobian check their tensors before any inner op sees them', async () => {
    const g = rng();
    const h = randomHost(g, [4]);
    const x = tl.tensor(h.data, { shape: h.shape });
    const v3 = tl.ones([3]);
    const f = (a: tl.Tensor): tl.Tensor => tl.sum(tl.mul(a, tl.square(a)));
    expect(() => tl.hvp(f, x, v3)).toThrow(
      'tellus: hvp(f, x, v): v: expected a float32 tensor of shape [4], got a float32 tensor of shape [3]',
    );
    const xi = tl.tensor([1, 2], { dtype: 'int32' });
    expect(() => tl.hvp(f, xi, xi)).toThrow('tellus: hvp(f, x, v): x: expected a float32 tensor, got an int32 tensor of shape [2]');
    expect(() => tl.hvp((a: tl.Tensor) => tl.square(a), x, x)).toThrow(
      "tellus: hvp(f, x, v): f's result: expected a float32 tensor with one element, got a float32 tensor of shape [4]",
    );
    expect(() => tl.jacobian(() => 3 as never, x)).toThrow("tellus: jacobian(f, x): f's result: expected a Tensor, got 3");
    // The right shape still works: H v of sum(x³) is 6 x v.
    const hv = tl.hvp(f, x, tl.ones([4]));
    const got = await values(hv);
    got.forEach((y, i) => expect(y).toBeCloseTo(6 * h.data[i]!, 4));
    expect(await values(x)).toEqual(Array.from(h.data));
    for (const t of [x, v3, xi, hv]) t.dispose();
  });
});

describe('layers check their input before the matmul does', () => {
  useDevice();

  it('Linear and Conv2d name themselves, the input and the expected shape', async () => {
    const lin = new nn.Linear(3, 2, { seed: 1 });
    const conv = new nn.Conv2d(2, 4, 3, { seed: 2 });
    const g = rng();
    const h = randomHost(g, [2, 5]);
    const x = tl.tensor(h.data, { shape: h.shape });
    expect(() => lin.forward(x)).toThrow(
      'tellus: Linear(3, 2).forward(x): x: expected a float32 tensor of shape [..., 3], got a float32 tensor of shape [2, 5]',
    );
    const xi = tl.zeros([2, 3], 'int32');
    expect(() => lin.forward(xi)).toThrow(
      'tellus: Linear(3, 2).forward(x): x: expected a float32 tensor of shape [..., 3], got an int32 tensor of shape [2, 3]',
    );
    expect(() => conv.forward(tl.zeros([1, 3, 6, 6]))).toThrow(
      'tellus: Conv2d(2, 4, [3, 3]).forward(x): x: expected a float32 tensor [N, 2, H, W], got a float32 tensor of shape [1, 3, 6, 6]',
    );
    expect(() => conv.forward(tl.zeros([2, 6, 6]))).toThrow(
      'tellus: Conv2d(2, 4, [3, 3]).forward(x): x: expected a float32 tensor [N, 2, H, W], got a float32 tensor of shape [2, 6, 6]',
    );
    expect(() => lin.forward(null as never)).toThrow(
      'tellus: Linear(3, 2).forward(x): x: expected a Tensor, got null (wrap data with tensor(...))',
    );
    expect(await values(x)).toEqual(Array.from(h.data));
    for (const t of [x, xi]) t.dispose();
  });
});

describe('physics inputs that would give NaN or an unbounded limit', () => {
  useDevice();
  /** A velocity the host holds, so no maxVel is needed. */
  const model = (): tl.Tensor => tl.tensor(new Float32Array(100).fill(1500), { shape: [10, 10] });
  const base = { dx: 5, dt: 0.001, sourceLocations: [[[4, 4]]], receiverLocations: [[[2, 2]]], pmlWidth: 2 };

  it('cflLimit refuses vmax 0 (an infinite limit every dt would pass)', () => {
    expect(() => tl.cflLimit(4, 10, 10, 0)).toThrow('tellus: cflLimit: vmax: expected a positive finite number, got 0');
    expect(() => tl.cflLimit(4, 10, 10, Number.NaN)).toThrow('tellus: cflLimit: vmax: expected a positive finite number, got NaN');
    expect(() => tl.cflLimit(4, -1, 10, 2000)).toThrow('tellus: cflLimit: dx: expected a positive finite number, got -1');
    expect(tl.cflLimit(4, 10, 10, 2500)).toBeCloseTo((0.6124 * 10) / 2500, 6);
  });

  it('NaN source amplitudes: refused on the host when it holds them, flagged at the read-back otherwise', async () => {
    const v = model();
    const a = new Float32Array(6).fill(1);
    a[3] = Number.NaN;
    const amps = tl.tensor(a, { shape: [1, 1, 6] });
    expect(() => tl.acoustic2d(v, { ...base, sourceAmplitudes: amps })).toThrow(
      'tellus: acoustic2d: sourceAmplitudes: expected finite values, got NaN at [0, 0, 3]',
    );
    const onGpu = tl.add(amps, 0);
    await expect(tl.acoustic2d(v, { ...base, sourceAmplitudes: onGpu }).data()).rejects.toThrow(
      'acoustic2d: sourceAmplitudes holds a NaN or Inf',
    );
    // The flag does not linger: finite amplitudes computed on the GPU run.
    const fine = tl.add(tl.ones([1, 1, 6]), 0);
    expect((await tl.acoustic2d(v, { ...base, sourceAmplitudes: fine }).data()).length).toBe(6);
    expect(Array.from(await amps.data()).map(String)).toEqual(Array.from(a).map(String));
    for (const t of [v, amps, onGpu, fine]) t.dispose();
  });

  it('NaN in born2d dv: refused on the host, flagged on the device', async () => {
    const v0 = model();
    const amps = tl.ones([1, 1, 6]);
    const opts = { ...base, sourceAmplitudes: amps };
    const d = new Float32Array(100);
    d[23] = Number.POSITIVE_INFINITY;
    const dv = tl.tensor(d, { shape: [10, 10] });
    expect(() => tl.born2d(v0, dv, opts)).toThrow('tellus: born2d: dv: expected finite values, got Infinity at [2, 3]');
    const nan = tl.mul(tl.ones([10, 10]), tl.tensor([[Number.NaN]]));
    await expect(tl.born2d(v0, nan, opts).data()).rejects.toThrow('born2d: dv holds a NaN or Inf');
    const ok = tl.add(tl.zeros([10, 10]), 1);
    expect((await tl.born2d(v0, ok, opts).data()).length).toBe(6);
    for (const t of [v0, amps, dv, nan, ok]) t.dispose();
  });

  it('NaN in rtm2d data: refused on the host, flagged on the device', async () => {
    const v0 = model();
    const amps = tl.ones([1, 1, 6]);
    const opts = { ...base, sourceAmplitudes: amps };
    const d = new Float32Array(6);
    d[4] = Number.NaN;
    const data = tl.tensor(d, { shape: [1, 1, 6] });
    expect(() => tl.rtm2d(v0, data, opts)).toThrow('tellus: rtm2d: data: expected finite values, got NaN at [0, 0, 4]');
    const onGpu = tl.add(data, 0);
    await expect(tl.rtm2d(v0, onGpu, opts).data()).rejects.toThrow('rtm2d: data holds a NaN or Inf');
    const ok = tl.add(tl.ones([1, 1, 6]), 0);
    expect((await tl.rtm2d(v0, ok, opts).data()).length).toBe(100);
    for (const t of [v0, amps, data, onGpu, ok]) t.dispose();
  });
});

/** A safetensors file from a header object and a data section of `dataBytes` bytes. */
function safetensorsBytes(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

describe('safetensors header inconsistencies', () => {
  useDevice();

  it('overlapping byte ranges name both tensors; nothing is left on the device', async () => {
    await tl.sync();
    const before = tl.memory().buffersLive;
    const what = 'tellus: loadSafetensors(bytes)';
    const overlap = safetensorsBytes(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
    );
    expect(() => nn.loadSafetensors(overlap)).toThrow(
      `${what}: data_offsets: expected disjoint byte ranges, got 'a' [0, 8] overlapping 'b' [4, 12]`,
    );
    // Listed out of order, the ranges are compared in byte order.
    const reversed = safetensorsBytes(
      { z: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } },
      8,
    );
    expect(() => nn.loadSafetensors(reversed)).toThrow(`${what}: data_offsets: expected disjoint byte ranges, got`);
    const meta = safetensorsBytes({ __metadata__: { format: 3 }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    expect(() => nn.loadSafetensors(meta)).toThrow(`${what}: __metadata__['format']: expected a string, got 3`);
    const gap = safetensorsBytes(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
      16,
    );
    expect(() => nn.loadSafetensors(gap)).toThrow(
      `${what}: data_offsets: expected the tensors to cover the 16-byte data section without gaps, got bytes [4, 8] in no tensor`,
    );
    const tail = safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12);
    expect(() => nn.loadSafetensors(tail)).toThrow(
      `${what}: data_offsets: expected the tensors to cover the 12-byte data section without gaps, got bytes [4, 12] in no tensor`,
    );
    // A good tensor before the bad one is not created and leaked.
    const late = safetensorsBytes(
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [3], data_offsets: [4, 8] } },
      8,
    );
    expect(() => nn.loadSafetensors(late)).toThrow(`${what}: 'b' (F32 [3], 12 bytes) has data_offsets [4, 8]`);
    await tl.sync();
    expect(tl.memory().buffersLive).toBe(before);
    // Adjacent ranges are fine.
    const good = nn.loadSafetensors(
      safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8),
    );
    expect(Object.keys(good).sort()).toEqual(['a', 'b']);
    for (const t of Object.values(good)) t.dispose();
  });
});

describe('destroy() then init() without an await between', () => {
  useDevice();

  it('init() right after destroy() starts a fresh device', async () => {
    const old = tl.ones([3]);
    tl.destroy();
    const p = tl.init();
    await p;
    expect(await values(tl.add(tl.ones([3]), 1))).toEqual([2, 2, 2]);
    await expect((async () => old.data())()).rejects.toThrow('tellus:');
  });

  it('destroy() while init() is starting wins: that init() rejects, the next one works', async () => {
    tl.destroy();
    const p = tl.init();
    tl.destroy();
    await expect(p).rejects.toThrow('tellus: init(): destroy() was called before this init() finished');
    expect(() => tl.ones([1])).toThrow('tellus: no device yet');
    // destroy() then init() again while the cancelled start is still settling.
    tl.destroy();
    const q = tl.init();
    tl.destroy();
    const r = tl.init();
    await expect(q).rejects.toThrow('destroy() was called before this init() finished');
    await r;
    expect(await values(tl.mul(tl.full([2], 3), 2))).toEqual([6, 6]);
    tl.debug({ poisonOutputs: true });
  });

  it('inside profile(), where destroy() waits for the profile to end, init() refuses instead of handing back that device', async () => {
    await tl.profile(async () => {
      tl.destroy();
      await expect(tl.init()).rejects.toThrow(
        'tellus: init(): destroy() was called inside profile() and happens when the profile ends; call init() after profile() resolves',
      );
    });
    expect(() => tl.ones([1])).toThrow('tellus: no device yet');
    await tl.init();
    tl.debug({ poisonOutputs: true });
    expect(await values(tl.add(tl.ones([2]), 2))).toEqual([3, 3]);
  });
});
