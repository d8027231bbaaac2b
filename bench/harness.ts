// Timing and reporting shared by every benchmark: warm-up, then the median of repeated runs with
// min and max; results go to bench/results/<runtime>.json and a markdown table.

/** One timed operation; `state` persists across repetitions (inputs created once). */

export type Case = (state: Record<string, any>) => Promise<void>;

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /** Compute dispatches per run, whoever issued them (absent where they cannot be counted). */
  dispatches?: number;
}

let dispatched = -1;

/**
 * Counts compute dispatches from every library in the process by wrapping
 * GPUComputePassEncoder's dispatch methods (one increment per call). Returns false where the
 * class is not a global. The count shows fusion, and work done on the host instead of the GPU.
 */
export function countDispatches(): boolean {
  if (dispatched >= 0) return true;
  const E = (globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder;
  if (!E) return false;
  for (const m of ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect'] as const) {
    const f = E.prototype[m] as (...a: unknown[]) => void;
    Object.defineProperty(E.prototype, m, {
      configurable: true,
      writable: true,
      value: function (this: GPUComputePassEncoder, ...a: unknown[]) {
        dispatched++;
        return f.apply(this, a);
      },
    });
  }
  dispatched = 0;
  return true;
}

/**
 * A full garbage collection where the runtime exposes one (the runners pass --expose-gc): each
 * library's timed runs then pay for their own garbage, not for the 16 MB read-backs of the case
 * timed before them (measured: a 2.7 ms ArrayBuffer copy taking 45 ms in Deno when a GC lands in it).
 */
const collect = (globalThis as { gc?: () => void }).gc;

export async function time(fn: Case, { warmup = 2, runs = 7 } = {}): Promise<Timing> {
  const state: Record<string, any> = {};
  for (let i = 0; i < warmup; i++) await fn(state);
  collect?.();
  const t: number[] = [];
  const d0 = dispatched;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(state);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const timing: Timing = { medianMs: t[Math.floor(t.length / 2)]!, minMs: t[0]!, maxMs: t[t.length - 1]!, runs };
  if (d0 >= 0) timing.dispatches = (dispatched - d0) / runs;
  return timing;
}

export interface Row {
  benchmark: string;
  library: string;
  timing: Timing | null;
  note?: string;
  /** Work per run, for throughput columns. */
  flops?: number;
  bytes?: number;
  /** Set when the case's output failed its check (bench/check.ts): shown, but never the fastest peer. */
  wrong?: string;
}

const fmtMs = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * Markdown: one table with every row ("dispatches": compute dispatches per run; "÷ Tellus": the row's
 * median over Tellus's median for the same case, above 1 when Tellus is faster), then a summary of
 * Tellus against the fastest peer.
 */
export function markdown(rows: Row[], title: string, roof?: { copyKernelGBs: number; peakGflops: number }): string {
  const lines = [`### ${title}`, ''];
  if (roof)
    lines.push(
      `Roofline (calibrate()): copy kernel ${roof.copyKernelGBs.toFixed(2)} GB/s, peak ${roof.peakGflops.toFixed(1)} GFLOP/s.`,
      '',
    );
  lines.push(
    '| benchmark | library | median ms | min–max ms | dispatches | GFLOP/s | GB/s | of roofline | ÷ Tellus |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  const tellus = (name: string): Timing | null | undefined =>
    (
      rows.find((x) => x.library === 'tellus' && x.benchmark === name) ??
      rows.find((x) => x.library === 'tellus' && name.startsWith(x.benchmark + ','))
    )?.timing;
  for (const r of rows) {
    if (!r.timing) {
      lines.push(`| ${r.benchmark} | ${r.library} | – | – | – | – | – | – | ${r.note ?? 'failed'} |`);
      continue;
    }
    const base = tellus(r.benchmark);
    const ratio = r.wrong ?? r.note ?? (r.library === 'tellus' || !base ? '' : (r.timing.medianMs / base.medianMs).toFixed(2));
    const gf = r.flops ? r.flops / r.timing.medianMs / 1e6 : 0;
    const gb = r.bytes ? r.bytes / r.timing.medianMs / 1e6 : 0;
    const eff = roof && (gf || gb) ? `${(100 * Math.max(gf / roof.peakGflops, gb / roof.copyKernelGBs)).toFixed(0)}%` : '';
    const d = r.timing.dispatches;
    const ds = d === undefined ? '' : Number.isInteger(d) ? String(d) : d.toFixed(1);
    lines.push(
      `| ${r.benchmark} | ${r.library} | ${fmtMs(r.timing.medianMs)} | ${fmtMs(r.timing.minMs)}–${fmtMs(r.timing.maxMs)} | ${ds} | ${gf ? gf.toFixed(2) : ''} | ${gb ? gb.toFixed(2) : ''} | ${eff} | ${ratio} |`,
    );
  }
  const summary: string[] = [];
  for (const r of rows) {
    if (r.library !== 'tellus' || !r.timing) continue;
    const peers = rows.filter((x) => x.benchmark === r.benchmark && x.library !== 'tellus' && x.timing && !x.wrong);
    if (!peers.length) continue;
    const best = peers.reduce((a, b) => (b.timing!.medianMs < a.timing!.medianMs ? b : a));
    const q = best.timing!.medianMs / r.timing.medianMs;
    summary.push(`| ${r.benchmark} | ${fmtMs(r.timing.medianMs)} | ${best.library} | ${fmtMs(best.timing!.medianMs)} | ${q.toFixed(2)} |`);
  }
  if (summary.length) {
    lines.push('', 'Tellus against the fastest peer (above 1: Tellus is faster):', '');
    lines.push('| benchmark | Tellus ms | fastest peer | peer ms | peer ÷ Tellus |', '|---|---:|---|---:|---:|', ...summary);
  }
  return lines.join('\n') + '\n';
}
