// Kernel profiler tied to the graph. Inside profile(fn) every timed dispatch the scheduler issues
// runs in its own compute pass with begin/end timestamps (timestamps are per pass in WebGPU),
// resolved into a buffer and mapped after the submit without stalling the run. Each dispatch keeps
// its graph node's label (op names, fused chains as 'mul+add+tanh'), kernel, .wgsl file, the
// bytes and flops the op declared, and optionally the line of user code that issued it (sites.ts).
// Where a timestamped pass is expensive (CPU adapters, docs/design.md), one dispatch in `every` is
// timed, rotating, and totals are extrapolated from the sample. Without 'timestamp-query' the report falls back to wall time per submit.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { context, finishDeferredDestroy, memory, otherEngineDispatches } from '../graph/context.js';
import type { FlushProfiler, Node } from '../graph/scheduler.js';
import { roofline, type Roofline } from './store.js';
import { callSite } from './sites.js';

export interface KernelEvent {
  label: string;
  kernel: string;
  file: string;
  flush: number;
  /** Whether this dispatch carried timestamps (all of them unless sampling). */
  timed: boolean;
  /** GPU time in ms from the first timestamp of the session (undefined without timestamps). */
  startMs?: number;
  durationMs?: number;
  bytes: number;
  flops: number;
  /** User code that issued the op ('file:line:col'), when call sites are on and can be told apart from Tellus's code. */
  site?: string;
}

export interface KernelRow {
  label: string;
  kernel: string;
  file: string;
  calls: number;
  /** Calls that carried timestamps; mean, min and max come from these, total is mean x calls. */
  timedCalls: number;
  totalMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Fraction of all profiled GPU time. */
  share: number;
  /** Achieved bandwidth and arithmetic rate from the declared bytes and flops. */
  gbPerS: number;
  gflopPerS: number;
  /** Fraction of the calibrated ceiling (bandwidth or arithmetic, whichever binds); null before calibrate(). */
  efficiency: number | null;
  /** Distinct call sites of this kernel's calls, most frequent first (empty without call sites). */
  sites: string[];
}

export interface ProfileReport {
  timing: 'timestamp' | 'wall';
  /** One dispatch in `every` was timed (1: all of them). */
  every: number;
  device: string;
  wallMs: number;
  /** Sum of dispatch durations (timestamps) or of submit-to-done times (wall fallback). */
  gpuMs: number;
  dispatches: number;
  submits: number;
  buffersAllocated: number;
  buffersReused: number;
  rows: KernelRow[];
  events: KernelEvent[];
  /** The ceilings efficiencies refer to (from calibrate()), if measured on this device. */
  roofline: Roofline | null;
  /** Why the report may not show the work fn did (another copy of Tellus ran it), when it may not. */
  warning?: string;
}

// WebGPU caps a query set at 4096 queries: 2048 dispatches, two timestamps each.
const PER_SET = 2048;

class Session implements FlushProfiler {
  readonly events: KernelEvent[] = [];
  readonly pending: Promise<void>[] = [];
  submits = 0;
  wallGpuMs = 0;
  /** Raw timestamps per event index, converted once every flush has resolved. */
  readonly ticks = new Map<number, [bigint, bigint]>();
  /** Stacks captured at record time, by event index; formatted once, when the report is built. */
  readonly stacks = new Map<number, Error>();
  private current: { sets: GPUQuerySet[]; resolve: GPUBuffer[]; read: GPUBuffer[]; timed: number[] } | null = null;
  private flushStart = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly timestamps: boolean,
    readonly every: number,
    readonly callSites: boolean,
  ) {}

  beginFlush(_encoder: GPUCommandEncoder, nodes: Node[]) {
    const timed: number[] = [];
    const slot = new Map<number, number>();
    for (const [i, n] of nodes.entries()) {
      const index = this.events.length;
      // Counting across flushes rotates the sample, so a repeated graph gets every node timed.
      const isTimed = this.timestamps && !n.clear && !n.copy && index % this.every === 0;
      if (isTimed) {
        slot.set(i, timed.length);
        timed.push(index);
      }
      if (n.site) this.stacks.set(index, n.site);
      this.events.push({
        label: n.label,
        kernel: `${n.kernel.file}:${n.kernel.entry}`,
        file: n.kernel.file,
        flush: this.submits,
        timed: isTimed,
        bytes: n.bytes,
        flops: n.flops,
      });
    }
    this.flushStart = performance.now();
    if (timed.length === 0) return undefined;
    const sets: GPUQuerySet[] = [];
    for (let k = 0; k < timed.length; k += PER_SET) {
      sets.push(this.device.createQuerySet({ type: 'timestamp', count: 2 * Math.min(PER_SET, timed.length - k) }));
    }
    this.current = { sets, resolve: [], read: [], timed };
    return {
      writes: (i: number): GPUComputePassTimestampWrites | undefined => {
        const q = slot.get(i);
        if (q === undefined) return undefined;
        const j = q % PER_SET;
        return { querySet: sets[Math.floor(q / PER_SET)]!, beginningOfPassWriteIndex: 2 * j, endOfPassWriteIndex: 2 * j + 1 };
      },
    };
  }

  endFlush(encoder: GPUCommandEncoder): void {
    const c = this.current;
    if (!c) return;
    for (const qs of c.sets) {
      const bytes = qs.count * 8;
      const resolve = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const read = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      encoder.resolveQuerySet(qs, 0, qs.count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, bytes);
      c.resolve.push(resolve);
      c.read.push(read);
    }
  }

  submitted(): void {
    this.submits++;
    const c = this.current;
    this.current = null;
    if (!c) {
      // Wall-clock fallback: submit to completion, one interval per submit.
      const t0 = this.flushStart;
      this.pending.push(this.device.queue.onSubmittedWorkDone().then(() => void (this.wallGpuMs += performance.now() - t0)));
      return;
    }
    // Mapped after the submit, awaited only when the report is built: the run never waits on it.
    this.pending.push(
      Promise.all(c.read.map((b) => b.mapAsync(GPUMapMode.READ))).then(() => {
        c.read.forEach((b, k) => {
          const ts = new BigUint64Array(b.getMappedRange().slice(0));
          for (let j = 0; j < ts.length / 2; j++) {
            this.ticks.set(c.timed[k * PER_SET + j]!, [ts[2 * j]!, ts[2 * j + 1]!]);
          }
          b.unmap();
          b.destroy();
        });
        for (const r of c.resolve) r.destroy();
        for (const qs of c.sets) qs.destroy();
      }),
    );
  }
}

export interface ProfileOptions {
  /**
   * Time one dispatch in `every` (rotating), extrapolating totals from the sample. Default 1 (all)
   * on GPUs; on CPU adapters, where a timestamped pass is expensive, 8 on SwiftShader and 64 on
   * llvmpipe (measured, docs/design.md).
   */
  every?: number;
  /**
   * Attribute each dispatch to the line of user code that issued its op (default false). Costs a
   * captured and formatted stack per recorded op, 25-40 µs on V8: noise next to real kernels, but
   * it doubles the cost of a run of tiny ops. `tellus profile` turns it on.
   */
  callSites?: boolean;
}

/** Where a timestamped pass is too costly to time every dispatch (measured, docs/design.md). */
export function defaultSampling(device: string): number {
  if (/llvmpipe/i.test(device)) return 64;
  return /swiftshader/i.test(device) ? 8 : 1;
}

/** Runs `fn` (sync or async), then waits for its GPU work and reports where the time went. */
const PROFILE_OPTIONS = optionNames<ProfileOptions>()('every', 'callSites');

export async function profile(fn: () => unknown, options: ProfileOptions = {}): Promise<ProfileReport> {
  const what = 'profile(fn, options)';
  if (typeof fn !== 'function') throw argError(what, 'fn', 'a function', fn);
  checkOptions(options, PROFILE_OPTIONS, what);
  const every = options.every ?? defaultSampling(context().info.description);
  if (!Number.isInteger(every) || every < 1) throw argError(what, 'every', 'a positive integer', every, RangeError);
  const callSites = options.callSites ?? false;
  if (typeof callSites !== 'boolean') throw argError(what, 'callSites', 'a boolean', callSites);
  const ctx = context();
  const sched = ctx.scheduler;
  if (sched.profiler) throw new Error('tellus: profile(fn): a profile is already recording; nested profiles are not supported');
  // Earlier work must not count toward the wall time; skip the wait when there is none.
  if (!sched.idle()) await sched.sync();
  const session = new Session(ctx.device, ctx.info.hasTimestampQuery, every, callSites);
  const before = memory();
  const othersBefore = otherEngineDispatches();
  const t0 = performance.now();
  sched.profiler = session;
  try {
    await fn();
    sched.flush();
  } finally {
    sched.profiler = null;
  }
  await Promise.all(session.pending);
  // A script that read its results back has waited for its work already.
  if (!sched.idle()) await ctx.device.queue.onSubmittedWorkDone();
  const wallMs = performance.now() - t0;
  if (session.ticks.size > 0) {
    const origin = [...session.ticks.values()].reduce((m, [s]) => (s < m ? s : m), [...session.ticks.values()][0]![0]);
    for (const [i, [start, end]] of session.ticks) {
      const ev = session.events[i]!;
      ev.startMs = Number(start - origin) / 1e6;
      // Some drivers report an end before the start for very short passes; clamp to zero.
      ev.durationMs = end >= start ? Number(end - start) / 1e6 : 0;
    }
  }
  for (const [i, e] of session.stacks) session.events[i]!.site = callSite(e);
  const after = memory();
  const roof = roofline();
  const device = ctx.info.description;
  const foreign = otherEngineDispatches().reduce((sum, n, i) => sum + n - (othersBefore[i] ?? 0), 0);
  finishDeferredDestroy();
  const timed = session.timestamps;
  const rows = aggregate(session.events, roof);
  const gpuMs = timed ? rows.reduce((s, r) => s + r.totalMs, 0) : session.wallGpuMs;
  for (const r of rows) r.share = gpuMs > 0 ? r.totalMs / gpuMs : 0;
  return {
    timing: timed ? 'timestamp' : 'wall',
    every: timed ? every : 1,
    device,
    wallMs,
    gpuMs,
    dispatches: session.events.length,
    submits: session.submits,
    buffersAllocated: after.allocations - before.allocations,
    buffersReused: after.reuses - before.reuses,
    rows,
    events: session.events,
    roofline: roof,
    ...(foreign > 0
      ? {
          warning:
            `fn ran ${foreign} dispatches through another copy of Tellus loaded in this process (a bundle imported by its ` +
            `path beside the package, or a second bundle), which this profile cannot see: import Tellus the same way ` +
            `as the code that calls profile()`,
        }
      : {}),
  };
}

function aggregate(events: KernelEvent[], roof: Roofline | null): KernelRow[] {
  const rows = new Map<
    string,
    KernelRow & { bytes: number; flops: number; timedBytes: number; timedFlops: number; siteCounts: Map<string, number> }
  >();
  for (const e of events) {
    const key = `${e.kernel}|${e.label}`;
    const r = rows.get(key) ?? {
      label: e.label,
      kernel: e.kernel,
      file: e.file,
      calls: 0,
      timedCalls: 0,
      totalMs: 0,
      meanMs: 0,
      minMs: Infinity,
      maxMs: 0,
      share: 0,
      gbPerS: 0,
      gflopPerS: 0,
      efficiency: null,
      sites: [],
      bytes: 0,
      flops: 0,
      timedBytes: 0,
      timedFlops: 0,
      siteCounts: new Map(),
    };
    r.calls++;
    if (e.site) r.siteCounts.set(e.site, (r.siteCounts.get(e.site) ?? 0) + 1);
    r.bytes += e.bytes;
    r.flops += e.flops;
    if (e.durationMs !== undefined) {
      const d = e.durationMs;
      r.timedCalls++;
      r.totalMs += d;
      r.minMs = Math.min(r.minMs, d);
      r.maxMs = Math.max(r.maxMs, d);
      r.timedBytes += e.bytes;
      r.timedFlops += e.flops;
    }
    rows.set(key, r);
  }
  return [...rows.values()]
    .map(({ bytes: _bytes, flops: _flops, timedBytes, timedFlops, siteCounts, ...r }) => {
      // Rates come from the timed calls alone; the total extrapolates their mean to every call.
      const timedMs = r.totalMs;
      const gbPerS = timedMs > 0 ? timedBytes / (timedMs * 1e6) : 0;
      const gflopPerS = timedMs > 0 ? timedFlops / (timedMs * 1e6) : 0;
      const efficiency = roof && timedMs > 0 ? Math.max(gbPerS / roof.copyKernelGBs, gflopPerS / roof.peakGflops) : null;
      const meanMs = r.timedCalls > 0 ? timedMs / r.timedCalls : 0;
      const sites = [...siteCounts].sort((a, b) => b[1] - a[1]).map(([s]) => s);
      return { ...r, minMs: r.timedCalls > 0 ? r.minMs : 0, meanMs, totalMs: meanMs * r.calls, gbPerS, gflopPerS, efficiency, sites };
    })
    .sort((a, b) => b.totalMs - a.totalMs);
}
