// Kernel profiler tied to the graph. Inside profile(fn) every dispatch the scheduler issues runs in
// its own compute pass with begin/end timestamps (timestamps are per pass in WebGPU), resolved into
// a buffer and mapped after the submit without stalling the run. Each timed dispatch keeps its graph
// node's label (op names, fused chains as 'mul+add+tanh'), kernel, .wgsl file and the bytes and flops
// the op declared. Without 'timestamp-query' the report falls back to wall time per submit.
import { context, finishDeferredDestroy, memory } from '../runtime.js';
import type { FlushProfiler, Node } from '../graph/scheduler.js';
import { roofline, type Roofline } from './calibrate.js';

export interface KernelEvent {
  label: string;
  kernel: string;
  file: string;
  flush: number;
  /** GPU time in ms from the first timestamp of the session (undefined without timestamps). */
  startMs?: number;
  durationMs?: number;
  bytes: number;
  flops: number;
}

export interface KernelRow {
  label: string;
  kernel: string;
  file: string;
  calls: number;
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
}

export interface ProfileReport {
  timing: 'timestamp' | 'wall';
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
  private current: { sets: GPUQuerySet[]; resolve: GPUBuffer[]; read: GPUBuffer[]; first: number; count: number } | null = null;
  private flushStart = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly timestamps: boolean,
  ) {}

  beginFlush(_encoder: GPUCommandEncoder, nodes: Node[]) {
    const first = this.events.length;
    for (const n of nodes) {
      this.events.push({ label: n.label, kernel: `${n.kernel.file}:${n.kernel.entry}`, file: n.kernel.file, flush: this.submits, bytes: n.bytes, flops: n.flops });
    }
    this.flushStart = performance.now();
    if (!this.timestamps || nodes.length === 0) return undefined;
    const sets: GPUQuerySet[] = [];
    for (let k = 0; k < nodes.length; k += PER_SET) {
      sets.push(this.device.createQuerySet({ type: 'timestamp', count: 2 * Math.min(PER_SET, nodes.length - k) }));
    }
    this.current = { sets, resolve: [], read: [], first, count: nodes.length };
    return {
      writes: (i: number): GPUComputePassTimestampWrites => {
        const j = i % PER_SET;
        return { querySet: sets[Math.floor(i / PER_SET)]!, beginningOfPassWriteIndex: 2 * j, endOfPassWriteIndex: 2 * j + 1 };
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
            this.ticks.set(c.first + k * PER_SET + j, [ts[2 * j]!, ts[2 * j + 1]!]);
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

/**
 * Runs `fn` (sync or async), then waits for its GPU work and reports where the time went.
 * Profiling puts each dispatch in its own pass, which costs a little; the bench measures how much.
 */
export async function profile(fn: () => unknown): Promise<ProfileReport> {
  if (typeof fn !== 'function') throw new TypeError(`tellus: profile(fn): expected a function, got ${typeof fn}`);
  const ctx = context();
  const sched = ctx.scheduler;
  if (sched.profiler) throw new Error('tellus: profile(fn): a profile is already recording; nested profiles are not supported');
  await sched.sync();
  const session = new Session(ctx.device, ctx.info.hasTimestampQuery);
  const before = memory();
  const t0 = performance.now();
  sched.profiler = session;
  try {
    await fn();
    sched.flush();
  } finally {
    sched.profiler = null;
  }
  await ctx.device.queue.onSubmittedWorkDone();
  const wallMs = performance.now() - t0;
  await Promise.all(session.pending);
  if (session.ticks.size > 0) {
    const origin = [...session.ticks.values()].reduce((m, [s]) => (s < m ? s : m), [...session.ticks.values()][0]![0]);
    for (const [i, [start, end]] of session.ticks) {
      const ev = session.events[i]!;
      ev.startMs = Number(start - origin) / 1e6;
      // Some drivers report an end before the start for very short passes; clamp to zero.
      ev.durationMs = end >= start ? Number(end - start) / 1e6 : 0;
    }
  }
  const after = memory();
  const roof = roofline();
  const device = ctx.info.description;
  finishDeferredDestroy();
  const timed = session.timestamps;
  const gpuMs = timed ? session.events.reduce((s, e) => s + (e.durationMs ?? 0), 0) : session.wallGpuMs;
  return {
    timing: timed ? 'timestamp' : 'wall',
    device,
    wallMs,
    gpuMs,
    dispatches: session.events.length,
    submits: session.submits,
    buffersAllocated: after.allocations - before.allocations,
    buffersReused: after.reuses - before.reuses,
    rows: aggregate(session.events, gpuMs, roof),
    events: session.events,
    roofline: roof,
  };
}

function aggregate(events: KernelEvent[], gpuMs: number, roof: Roofline | null): KernelRow[] {
  const rows = new Map<string, KernelRow & { bytes: number; flops: number }>();
  for (const e of events) {
    const key = `${e.kernel}|${e.label}`;
    const d = e.durationMs ?? 0;
    const r = rows.get(key) ?? { label: e.label, kernel: e.kernel, file: e.file, calls: 0, totalMs: 0, meanMs: 0, minMs: Infinity, maxMs: 0, share: 0, gbPerS: 0, gflopPerS: 0, efficiency: null, bytes: 0, flops: 0 };
    r.calls++;
    r.totalMs += d;
    r.minMs = Math.min(r.minMs, d);
    r.maxMs = Math.max(r.maxMs, d);
    r.bytes += e.bytes;
    r.flops += e.flops;
    rows.set(key, r);
  }
  return [...rows.values()]
    .map(({ bytes, flops, ...r }) => {
      const gbPerS = r.totalMs > 0 ? bytes / (r.totalMs * 1e6) : 0;
      const gflopPerS = r.totalMs > 0 ? flops / (r.totalMs * 1e6) : 0;
      const efficiency = roof && r.totalMs > 0 ? Math.max(gbPerS / roof.copyKernelGBs, gflopPerS / roof.peakGflops) : null;
      return { ...r, meanMs: r.totalMs / r.calls, share: gpuMs > 0 ? r.totalMs / gpuMs : 0, gbPerS, gflopPerS, efficiency };
    })
    .sort((a, b) => b.totalMs - a.totalMs);
}
