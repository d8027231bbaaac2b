// The kernel profiler: every dispatch of a known graph appears once, named after its graph node,
// with non-negative times; the report and the Chrome trace are well-formed; results are unchanged.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { forgetRoofline, loadRoofline } from '../src/profile/store.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';

type Env = {
  process?: { env: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
  Deno?: {
    env: { get(k: string): string | undefined; set(k: string, v: string): void; delete(k: string): void };
    makeTempDirSync(): string;
    removeSync(p: string, o: { recursive: boolean }): void;
  };
};

/** Points the calibration store at a fresh directory (Node, Deno); pages use their own localStorage. Returns the undo. */
function freshCacheDir(): () => void {
  const g = globalThis as Env;
  if (g.Deno) {
    const deno = g.Deno;
    const old = deno.env.get('TELLUS_CACHE_DIR');
    const dir = deno.makeTempDirSync();
    deno.env.set('TELLUS_CACHE_DIR', dir);
    return () => {
      if (old === undefined) deno.env.delete('TELLUS_CACHE_DIR');
      else deno.env.set('TELLUS_CACHE_DIR', old);
      deno.removeSync(dir, { recursive: true });
    };
  }
  const proc = g.process;
  if (proc?.getBuiltinModule) {
    const fs = proc.getBuiltinModule('node:fs') as { mkdtempSync(p: string): string; rmSync(p: string, o: { recursive: boolean }): void };
    const os = proc.getBuiltinModule('node:os') as { tmpdir(): string };
    const old = proc.env.TELLUS_CACHE_DIR;
    const dir = fs.mkdtempSync(`${os.tmpdir()}/tellus-cache-`);
    proc.env.TELLUS_CACHE_DIR = dir;
    return () => {
      if (old === undefined) delete proc.env.TELLUS_CACHE_DIR;
      else proc.env.TELLUS_CACHE_DIR = old;
      fs.rmSync(dir, { recursive: true });
    };
  }
  return () => undefined;
}

describe('profile', () => {
  useDevice();

  it('times every dispatch of a known graph and names it after its node', async () => {
    const g = rng();
    const a = tl.tensor(randomFloats(g, 32 * 48), { shape: [32, 48] });
    const b = tl.tensor(randomFloats(g, 48 * 16), { shape: [48, 16] });
    let out: tl.Tensor | null = null;
    const report = await tl.profile(
      () => {
        // Three elementwise ops fuse into one dispatch; then a matmul and a reduction.
        const h = tl.tidy(() => a.mul(2).add(1).tanh());
        const c = tl.matmul(h, b);
        out = tl.sum(c, 0);
        h.dispose();
        c.dispose();
      },
      { every: 1, callSites: true },
    );
    expect(report.every).toBe(1);
    const labels = report.events.map((e) => e.label);
    expect(labels).toEqual(['mul+add+tanh', 'matmul 32x48x16', 'sum']);
    expect(report.events.map((e) => e.file)).toEqual(['elementwise.wgsl', 'matmul.wgsl', 'reduce.wgsl']);
    expect(report.dispatches).toBe(3);
    expect(report.submits).toBe(1);
    expect(report.rows.reduce((s, r) => s + r.calls, 0)).toBe(3);
    if (report.timing === 'timestamp') {
      for (const e of report.events) {
        expect(e.durationMs!).toBeGreaterThanOrEqual(0);
        expect(e.startMs!).toBeGreaterThanOrEqual(0);
      }
      // Passes run in order on one queue.
      expect(report.events[1]!.startMs!).toBeGreaterThanOrEqual(report.events[0]!.startMs!);
      expect(report.gpuMs).toBeGreaterThanOrEqual(0);
      const mm = report.rows.find((r) => r.label.startsWith('matmul'))!;
      expect(mm.gflopPerS).toBeGreaterThanOrEqual(0);
    }
    expect(report.wallMs).toBeGreaterThan(0);

    // The values are those of the unprofiled computation.
    const A = await a.data();
    const B = await b.data();
    const want = new Float64Array(16);
    for (let i = 0; i < 32; i++)
      for (let j = 0; j < 16; j++) for (let k = 0; k < 48; k++) want[j]! += Math.tanh(2 * A[i * 48 + k]! + 1) * B[k * 16 + j]!;
    assertClose(await out!.data(), want, { rtol: 1e-5, atol: 1e-5 }, `profiled values seed ${g.seed}`);

    // Call sites name this file where the runtime's stacks can tell it from the engine's code (sources
    // or source maps: always in Node); each node points at the line that issued its op.
    const sites = report.events.map((e) => e.site);
    if (
      sites.some((s) => s !== undefined) ||
      typeof (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.VITEST === 'string'
    ) {
      for (const s of sites) expect(s).toMatch(/profile\.test\.ts:\d+:\d+$/);
      const line = (s: string | undefined): number => Number(/:(\d+):\d+$/.exec(s!)![1]);
      // tidy(...) line, then matmul, then sum: three consecutive lines.
      expect([line(sites[1]) - line(sites[0]), line(sites[2]) - line(sites[1])]).toEqual([1, 1]);
      expect(report.rows.find((r) => r.label === 'sum')!.sites).toEqual([sites[2]]);
    }
    let kept: tl.Tensor | null = null;
    const plain = await tl.profile(() => void (kept = tl.sum(a)));
    kept!.dispose();
    expect(plain.events.length).toBe(1);
    expect(plain.events[0]!.site).toBeUndefined(); // call sites are opt-in

    const text = tl.formatProfile(report);
    expect(text).toContain('dispatches');
    if (report.timing === 'timestamp') expect(text).toContain('matmul 32x48x16');

    const trace = JSON.parse(JSON.stringify(tl.chromeTrace(report))) as {
      traceEvents: { ph: string; name: string; ts: number; dur: number; pid: number; tid: number }[];
    };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.traceEvents.length).toBe(report.timing === 'timestamp' ? 3 : 0);
    for (const ev of trace.traceEvents) {
      expect(ev.ph).toBe('X');
      expect(typeof ev.name).toBe('string');
      expect(ev.ts).toBeGreaterThanOrEqual(0);
      expect(ev.dur).toBeGreaterThanOrEqual(0);
      expect(typeof ev.pid).toBe('number');
    }
  });

  it('samples one dispatch in `every`, rotating, and extrapolates totals from the timed calls', async () => {
    const x = tl.rand([256], { seed: 3 });
    const kept: tl.Tensor[] = [];
    // Seven separate flushes of one dispatch each, then one flush of five: the sample rotates across flushes.
    const report = await tl.profile(
      async () => {
        let y = x;
        for (let i = 0; i < 7; i++) {
          kept.push((y = y.mul(1.5)));
          tl.flush();
        }
        for (let i = 0; i < 5; i++) kept.push((y = y.add(1)));
      },
      { every: 3 },
    );
    expect(report.dispatches).toBe(12);
    expect(report.rows.reduce((s, r) => s + r.calls, 0)).toBe(12);
    if (report.timing === 'timestamp') {
      expect(report.every).toBe(3);
      expect(report.events.map((e) => e.timed)).toEqual(Array.from({ length: 12 }, (_, i) => i % 3 === 0));
      for (const e of report.events) expect(e.durationMs === undefined).toBe(!e.timed);
      const mul = report.rows.find((r) => r.label === 'mul')!;
      expect(mul.calls).toBe(7);
      expect(mul.timedCalls).toBe(3);
      expect(mul.totalMs).toBeCloseTo(mul.meanMs * 7, 9);
      expect(tl.formatProfile(report)).toContain('1 dispatch in 3');
      expect(tl.chromeTrace(report).traceEvents.length).toBe(4);
    }
    // Results are those of the unprofiled computation: ((x * 1.5^7) + 1) + ... + 1.
    const X = await x.data();
    const Y = await kept[11]!.data();
    for (let i = 0; i < 256; i++) expect(Y[i]!).toBeCloseTo(X[i]! * 1.5 ** 7 + 5, 3);
    for (const t of kept) t.dispose();
    await expect(tl.profile(() => undefined, { every: 0 })).rejects.toThrow(
      /profile\(fn, options\): every: expected a positive integer, got 0/,
    );
  });

  it('calibrates the roofline and reports each kernel against it', async () => {
    const roof = await tl.calibrate({ bytes: 1 << 20, repeats: 3, save: false });
    for (const v of [roof.copyKernelGBs, roof.copyBufferGBs, roof.peakGflops]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(tl.roofline()).toBe(roof);
    const x = tl.rand([64, 64], { seed: 1 });
    let y: tl.Tensor | null = null;
    // The result must stay alive: work whose result is disposed before the flush is never run.
    const report = await tl.profile(() => {
      y = tl.matmul(x, x);
    });
    y!.dispose();
    expect(report.roofline).toBe(roof);
    if (report.timing === 'timestamp') expect(report.rows[0]!.efficiency!).toBeGreaterThan(0);
    expect(tl.formatProfile(report)).toContain('roofline: copy kernel');
  });

  it('stores the calibration per adapter, and a later session reports against it without re-measuring', async () => {
    const restore = freshCacheDir();
    try {
      const roof = await tl.calibrate({ bytes: 1 << 20, repeats: 2 });
      const stored = loadRoofline(roof.device);
      expect(stored).toEqual(roof);
      expect(loadRoofline(`${roof.device} (another adapter)`)).toBeNull();
      forgetRoofline(); // what a new session sees
      expect(tl.roofline()).toEqual(roof);
      const x = tl.rand([32, 32], { seed: 2 });
      let y: tl.Tensor | null = null;
      const report = await tl.profile(() => void (y = tl.matmul(x, x)));
      y!.dispose();
      expect(report.roofline).toEqual(roof);
    } finally {
      restore();
      forgetRoofline();
    }
  });

  it('calibration kernels compute what they claim (copy, and the FMA chains in float64)', async () => {
    const g = rng();
    const n4 = 70;
    const data = randomFloats(g, 4 * n4);
    const src = tl.tensor(data);
    const dst = tl.empty([4 * n4]);
    tl.launch({ file: 'calibrate.wgsl', entry: 'copy', bind: { src, dst }, uniforms: { n4, iters: 0, seed: 0 }, workgroups: [2] });
    expect(Array.from(await dst.data())).toEqual(Array.from(data));
    const iters = 5;
    const seed = 0.25;
    const out = tl.empty([4 * n4]);
    tl.launch({ file: 'calibrate.wgsl', entry: 'peak_fma', bind: { dst: out }, uniforms: { n4, iters, seed }, workgroups: [2] });
    const want: number[] = [];
    for (let i = 0; i < n4; i++) {
      let total = 0;
      for (let c = 0; c < 8; c++) {
        let a = Math.fround(seed + i * 1e-7) + c;
        for (let k = 0; k < iters; k++) a = a * 0.999999 + 1e-6;
        total += a;
      }
      want.push(total, total, total, total);
    }
    // Eight chains of five float32 FMAs and a float32 sum: a few ulp of ~30.
    assertClose(await out.data(), want, { rtol: 1e-6, atol: 0 }, `peak_fma seed ${g.seed}`);
  });

  it('says when the work ran through another copy of the engine, which it cannot see', async () => {
    // A second copy registers itself where every copy looks (a bundle imported by path would).
    const copies = (globalThis as Record<symbol, { id: number; dispatches(): number }[]>)[Symbol.for('tellus.engines')]!;
    let foreign = 0;
    const other = { id: copies.length, dispatches: () => foreign };
    copies.push(other);
    try {
      const quiet = await tl.profile(async () => {
        await tl.ones([4]).add(1).data();
      });
      expect(quiet.warning).toBeUndefined();
      const r = await tl.profile(() => {
        foreign += 7;
      });
      expect(r.dispatches).toBe(0);
      expect(r.warning).toMatch(/fn ran 7 dispatches through another copy of Tellus/);
      expect(tl.formatProfile(r)).toMatch(/warning: fn ran 7 dispatches/);
    } finally {
      copies.splice(copies.indexOf(other), 1);
    }
  });

  it('rejects bad arguments and nested profiles', async () => {
    await expect(tl.profile(42 as never)).rejects.toThrow(/profile\(fn, options\): fn: expected a function, got 42/);
    await expect(tl.calibrate({ bytes: -5 })).rejects.toThrow(/calibrate\(opts\): bytes: expected an integer >= 1024, got -5/);
    await expect(tl.calibrate({ save: 'yes' as never })).rejects.toThrow(/calibrate\(opts\): save: expected a boolean, got "yes"/);
    await expect(tl.profile(() => undefined, { callSites: 1 as never })).rejects.toThrow(
      /profile\(fn, options\): callSites: expected a boolean, got 1/,
    );
    await expect(tl.profile(async () => tl.profile(() => undefined))).rejects.toThrow(/already recording/);
    // The scheduler is usable again afterwards.
    expect(Array.from(await tl.ones([2]).add(1).data())).toEqual([2, 2]);
  });
});
