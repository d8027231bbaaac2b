// The engine's plumbing: device report, lazy scheduling into few submits, liveness-planned
// buffers, flat memory over long loops, pipeline caching, user kernels, and failure modes.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';
import { registerStatusFlag, statusMessagesOf } from '../src/graph/scheduler.js';

const poolTotal = (): number => {
  const m = tl.memory();
  return m.bytesLive + m.bytesPooled;
};

describe('device', () => {
  useDevice();

  it('reports what init() acquired', async () => {
    const info = await tl.init();
    expect(['node', 'deno', 'browser']).toContain(info.runtime);
    expect(info.description.length).toBeGreaterThan(0);
    expect(typeof info.isSoftware).toBe('boolean');
    expect(info.limits.maxStorageBufferBindingSize!).toBeGreaterThanOrEqual(128 << 20);
    expect(info.hasTimestampQuery).toBe(info.features.includes('timestamp-query'));
    expect(info.hasShaderF16).toBe(info.features.includes('shader-f16'));
    expect(await tl.init()).toBe(info);
  });
});

describe('scheduler', () => {
  useDevice();

  it('runs recorded ops in one submit at read-back', async () => {
    const before = tl.memory();
    let x = tl.arange(16);
    for (let i = 0; i < 50; i++) x = x.mul(1.01).add(0.5);
    expect(tl.memory().pendingNodes).toBe(before.pendingNodes + 101);
    const got = await x.data();
    const after = tl.memory();
    expect(after.flushes).toBe(before.flushes + 1);
    expect(after.pendingNodes).toBe(0);
    const want = Array.from({ length: 16 }, (_, i) => {
      let v = i;
      for (let k = 0; k < 50; k++) v = Math.fround(Math.fround(v * Math.fround(1.01)) + 0.5);
      return v;
    });
    assertClose(got, want, { rtol: 1e-6 }, 'chain');
  });

  it('plans intermediates by liveness: a long chain needs a few buffers, not one per op', async () => {
    await tl.sync();
    // Poisoning defers reuse to the next submit, so measure the planner without it.
    tl.debug({ poisonOutputs: false });
    const start = tl.memory();
    const x = tl.rand([32, 32], { seed: 1 });
    // matmul is never fused, so each intermediate really is a buffer.
    const y = tl.tidy(() => {
      let t = x;
      for (let i = 0; i < 100; i++) t = t.matmul(x);
      return t;
    });
    await y.data();
    const m = tl.memory();
    // Each intermediate dies after the next op reads it, so its buffer is reused within the pass.
    tl.debug({ poisonOutputs: true });
    expect(m.allocations - start.allocations).toBeLessThanOrEqual(4);
    x.dispose();
    y.dispose();
  });

  it('drops work whose result nobody can read', async () => {
    await tl.sync();
    const before = tl.memory().dispatches;
    const keep = tl.ones([8]).add(1);
    const scaled = keep.mul(3);
    const wasted = scaled.exp();
    scaled.dispose();
    wasted.dispose();
    await keep.data();
    expect(tl.memory().dispatches - before).toBe(2);
  });

  it('creates views without recording work', () => {
    const x = tl.zeros([4, 6]);
    const pending = tl.memory().pendingNodes;
    const views = [
      x.T,
      x.reshape([6, 4]),
      x.slice([
        [1, 3],
        [null, null, 2],
      ]),
      x.unsqueeze(0).expand([3, 4, 6]),
      x.permute([1, 0]),
    ];
    expect(tl.memory().pendingNodes).toBe(pending);
    expect(views.map((v) => v.shape)).toEqual([
      [6, 4],
      [6, 4],
      [2, 3],
      [3, 4, 6],
      [6, 4],
    ]);
  });

  it('compiles one pipeline per kernel variant, whatever the shapes', async () => {
    // Both forms of the add program: one word per invocation (n = 3) and four (n = 2^14).
    await tl.add(tl.ones([3]), tl.ones([3])).data();
    await tl.add(tl.ones([1 << 14]), tl.ones([1 << 14])).data();
    const count = tl.memory().pipelines;
    for (const n of [5, 17, 1000, 4099]) await tl.add(tl.ones([n]), tl.ones([n])).data();
    await tl.add(tl.ones([2, 9]), tl.ones([2, 9])).data();
    // ones() and add() on contiguous data reuse their pipelines; only shapes changed.
    expect(tl.memory().pipelines).toBe(count);
  });

  it('keeps pooled plus live memory flat over 10,000 ops', async () => {
    // Poisoning defers buffer reuse by one submit; measure the real planner.
    tl.debug({ poisonOutputs: false });
    const g = rng();
    let x = tl.tensor(randomFloats(g, 257));
    let baseline = -1;
    let allocations = -1;
    for (let i = 0; i < 10_000; i++) {
      // tidy() disposes the intermediate of mul(); the loop disposes the previous x itself.
      const prev = x;
      x = tl.tidy(() => prev.mul(0.999).add(0.001));
      prev.dispose();
      if (i % 1000 === 999) {
        await x.data();
        if (i === 1999) {
          baseline = poolTotal();
          allocations = tl.memory().allocations;
        }
        // Other tests' forgotten tensors may be collected meanwhile, which can only shrink the total.
        if (i > 1999) {
          expect(poolTotal()).toBeLessThanOrEqual(baseline);
          expect(tl.memory().allocations).toBe(allocations);
        }
      }
    }
    tl.debug({ poisonOutputs: true });
    expect(tl.memory().pendingNodes).toBe(0);
    expect(baseline).toBeGreaterThan(0);
    x.dispose();
  });

  it('tidy disposes intermediates and keeps what it returns', () => {
    const live = tl.memory().buffersLive;
    const kept = tl.tidy(() => {
      const a = tl.ones([10]);
      const b = a.add(2);
      return { out: [b.mul(3)] };
    });
    expect(kept.out[0]!.isDisposed).toBe(false);
    expect(tl.memory().pendingNodes).toBeGreaterThan(0);
    kept.out[0]!.dispose();
    // Nothing of the scope survives once its result is disposed: all its nodes are dead.
    tl.flush();
    expect(tl.memory().buffersLive).toBe(live);
  });

  it('rejects tensors after dispose, with the shape in the message', async () => {
    const x = tl.ones([2, 2]);
    x.dispose();
    await expect(x.data()).rejects.toThrow(/data\(\): expected a live tensor, got a disposed tensor of shape \[2, 2\]/);
  });
});

describe('elementwise fusion', () => {
  useDevice();

  it('runs a chain of elementwise ops as one dispatch with no intermediate buffers', async () => {
    const g = rng();
    const data = randomFloats(g, 333);
    const x = tl.tensor(data);
    await tl.sync();
    const before = tl.memory();
    const y = tl.tidy(() => x.mul(2).add(1).tanh().square().neg().add(x));
    // tanh is good to a few 1e-7 absolute; the subtraction at the end can cancel, so compare absolutely.
    await y.data().then((d) =>
      assertClose(
        d,
        Array.from(data, (v) => v - Math.tanh(2 * v + 1) ** 2),
        { rtol: 2e-6, atol: 1e-6 },
        `chain seed ${g.seed}`,
      ),
    );
    const after = tl.memory();
    expect(after.dispatches - before.dispatches).toBe(1);
    expect(after.allocations - before.allocations).toBeLessThanOrEqual(1);
  });

  it('materializes intermediates a tensor still holds, and breaks chains at shape changes', async () => {
    const x = tl.arange(12).reshape([3, 4]);
    await tl.sync();
    const before = tl.memory().dispatches;
    const a = x.add(1);
    const b = a.mul(2);
    const c = b.reshape([4, 3]).sub(1);
    const d = a.T.add(0);
    expect(Array.from(await c.data())).toEqual(Array.from({ length: 12 }, (_, i) => 2 * (i + 1) - 1));
    expect(Array.from(await a.data())).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(Array.from(await d.data())).toEqual([1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12]);
    // a and b are held by tensors, so both are written out; c (after a reshape) and d read them: 4 dispatches.
    expect(tl.memory().dispatches - before).toBe(4);
  });

  it('handles diamonds, many inputs and deep expressions', async () => {
    const g = rng();
    const hs = Array.from({ length: 9 }, () => randomFloats(g, 50));
    const ts = hs.map((h) => tl.tensor(h));
    const y = tl.tidy(() => {
      const s = ts[0]!.add(ts[1]!);
      let acc = s.mul(s).add(s.sin());
      for (let k = 2; k < 9; k++) acc = acc.add(ts[k]!.mul(k));
      // A balanced tree of 64 leaves needs more registers than a chain.
      let level = Array.from({ length: 64 }, (_, k) => acc.add(k));
      while (level.length > 1) level = level.flatMap((t, k) => (k % 2 === 0 ? [t.mul(0.5).add(level[k + 1]!.mul(0.5))] : []));
      return level[0]!;
    });
    const want = Array.from({ length: 50 }, (_, i) => {
      const s = Math.fround(hs[0]![i]! + hs[1]![i]!);
      let acc = s * s + Math.sin(s);
      for (let k = 2; k < 9; k++) acc += k * hs[k]![i]!;
      return acc + 31.5;
    });
    assertClose(await y.data(), want, { rtol: 1e-5, atol: 1e-5 }, `fusion seed ${g.seed}`);
  });
});

describe('user kernels', () => {
  useDevice();
  const scale = /* wgsl */ `
struct U { n: u32, factor: f32 }
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < u.n) { y[g.x] = x[g.x] * u.factor; }
}`;

  it('registers, checks and launches a WGSL kernel on tensors', async () => {
    await tl.registerShader('test/scale.wgsl', scale);
    const g = rng();
    const data = randomFloats(g, 100);
    const x = tl.tensor(data);
    const y = tl.empty([100]);
    tl.launch({ file: 'test/scale.wgsl', entry: 'scale', bind: { x, y }, uniforms: { n: 100, factor: 3 }, workgroups: [2] });
    assertClose(
      await y.data(),
      Array.from(data, (v) => 3 * v),
      { rtol: 1e-7 },
      'scale',
    );
    const ints = tl.zeros([100], 'int32');
    expect(() =>
      tl.launch({ file: 'test/scale.wgsl', entry: 'scale', bind: { x: ints, y }, uniforms: { n: 100, factor: 3 }, workgroups: [2] }),
    ).toThrow(/binding 'x' of test\/scale.wgsl:scale expects array<f32>, got a int32 buffer/);
    expect(() => tl.launch({ file: 'test/scale.wgsl', entry: 'scale', bind: { x, y }, uniforms: { n: 100 }, workgroups: [2] })).toThrow(
      /missing uniform 'factor'/,
    );
    expect(() =>
      tl.launch({ file: 'test/scale.wgsl', entry: 'scale', bind: { x }, uniforms: { n: 100, factor: 1 }, workgroups: [2] }),
    ).toThrow(/missing binding 'y'/);
    expect(() =>
      tl.launch({ file: 'test/scale.wgsl', entry: 'scale', bind: { x, y: x }, uniforms: { n: 100, factor: 1 }, workgroups: [2] }),
    ).toThrow(/read and write the same buffer/);
  });

  it('names the file and line of a WGSL compile error', async () => {
    const broken = 'fn ok() {}\n\nfn bad() -> f32 { return undefined_name; }\n';
    await expect(tl.registerShader('test/broken.wgsl', broken)).rejects.toThrow(/test\/broken.wgsl:3/);
  });
});

describe('device loss', () => {
  useDevice();

  it('turns a lost device into an error on the next call, then recovers with init()', async () => {
    const x = tl.ones([4]);
    tl.getDevice().destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => tl.zeros([2])).toThrow(tl.DeviceLostError);
    await expect(x.data()).rejects.toThrow(/device was lost/);
    await tl.init();
    tl.debug({ poisonOutputs: true });
    expect(() => x.add(1)).toThrow(/earlier device/);
    expect(Array.from(await tl.ones([3]).data())).toEqual([1, 1, 1]);
  });

  it('settles read-backs that were waiting when the device was lost (no hang), and keeps reading after init()', async () => {
    const reads = Array.from({ length: 4 }, (_, k) =>
      tl
        .ones([1 << 14])
        .mul(k + 1)
        .data(),
    );
    tl.getDevice().destroy();
    // Each either finished before the loss or fails with the loss; none may hang (the test's timeout).
    const outcomes = await Promise.all(
      reads.map((r) =>
        r.then(
          () => 'read',
          (e: Error) => e.message,
        ),
      ),
    );
    for (const o of outcomes) expect(o).toMatch(/^read$|device was lost/);
    await tl.init();
    tl.debug({ poisonOutputs: true });
    // Many read-backs in a row on the new device: each registers and removes its loss handler.
    let total = 0;
    for (let i = 0; i < 200; i++) total += (await tl.full([2], i).data())[1]!;
    expect(total).toBe((199 * 200) / 2);
  });
});

describe('device-side status flags', () => {
  useDevice();

  it('gives each registered message its own bit, the same message the same bit, and reports only set bits', () => {
    const a = registerStatusFlag('test: flag a');
    const b = registerStatusFlag('test: flag b');
    expect(a).not.toBe(b);
    expect(registerStatusFlag('test: flag a')).toBe(a);
    expect([a, b].every((bit) => bit > 0 && (bit & (bit - 1)) === 0)).toBe(true);
    expect(statusMessagesOf(a)).toEqual(['test: flag a']);
    expect(statusMessagesOf(a | b)).toEqual(['test: flag a', 'test: flag b']);
    // The modules' own flags are registered too: gather's names its op.
    expect(statusMessagesOf(0xffffffff).some((m) => m.startsWith('gather: '))).toBe(true);
  });

  it('reports a flag set on the device at the next read-back, naming the op', async () => {
    const x = tl.tensor([1, 2, 3]);
    const bad = x.gather(0, tl.tensor([0, 5], { dtype: 'int32' }));
    await expect(bad.data()).rejects.toThrow(/gather: an index is out of range/);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
  });
});
