// Profile reports for people: a terminal table, JSON, and a Chrome trace (Perfetto, chrome://tracing).
import type { ProfileReport } from './profiler.js';

/** 'dir/file.ts:12:5' from a full path or URL: enough to find the line, short enough for a table. */
const shortSite = (site: string): string => site.split(/[\\/]/).slice(-2).join('/');

const ms = (v: number): string => (v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

export function formatProfile(r: ProfileReport): string {
  const lines: string[] = [];
  const how =
    r.timing === 'wall'
      ? "wall time per submit (this device has no 'timestamp-query')"
      : r.every === 1
        ? 'GPU timestamps per dispatch'
        : `GPU timestamps on 1 dispatch in ${r.every} (rotating; totals extrapolated from the timed calls)`;
  lines.push(`profile on ${r.device}: ${how}`);
  if (r.warning) lines.push(`warning: ${r.warning}`);
  if (r.roofline)
    lines.push(
      `roofline: copy kernel ${r.roofline.copyKernelGBs.toFixed(2)} GB/s, copyBufferToBuffer ${r.roofline.copyBufferGBs.toFixed(2)} GB/s, peak ${r.roofline.peakGflops.toFixed(1)} GFLOP/s`,
    );
  else lines.push('roofline: not calibrated (run calibrate() first for efficiency figures)');
  lines.push(
    `wall ${ms(r.wallMs)} ms, GPU busy ${ms(r.gpuMs)} ms, ${r.dispatches} dispatches in ${r.submits} submits, buffers allocated ${r.buffersAllocated}, reused ${r.buffersReused}`,
  );
  if (r.timing === 'timestamp') {
    const sampled = r.every > 1;
    const head = [
      'kernel',
      'file',
      sampled ? 'calls (timed)' : 'calls',
      'total ms',
      'mean ms',
      'min ms',
      'max ms',
      'share',
      'GB/s',
      'GFLOP/s',
      'of roofline',
      'call site',
    ];
    const rows = r.rows.map((k) => [
      k.label,
      k.file,
      sampled ? `${k.calls} (${k.timedCalls})` : String(k.calls),
      ms(k.totalMs),
      ms(k.meanMs),
      ms(k.minMs),
      ms(k.maxMs),
      `${(100 * k.share).toFixed(1)}%`,
      k.gbPerS.toFixed(2),
      k.gflopPerS.toFixed(2),
      k.efficiency === null ? '-' : `${(100 * k.efficiency).toFixed(0)}%`,
      k.sites.length === 0 ? '-' : shortSite(k.sites[0]!) + (k.sites.length > 1 ? ` (+${k.sites.length - 1})` : ''),
    ]);
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const last = head.length - 1;
    const fmt = (row: string[]): string =>
      row
        .map((c, i) => (i < 2 || i === last ? c.padEnd(width[i]!) : c.padStart(width[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(fmt(head), ...rows.map(fmt));
  }
  return lines.join('\n');
}

/** Chrome trace event format: one complete ('X') event per timed dispatch, times in microseconds. */
export function chromeTrace(r: ProfileReport): { traceEvents: object[]; displayTimeUnit: 'ms'; metadata: object } {
  const traceEvents = r.events
    .filter((e) => e.startMs !== undefined)
    .map((e) => ({
      name: e.label,
      cat: e.file,
      ph: 'X',
      ts: e.startMs! * 1000,
      dur: (e.durationMs ?? 0) * 1000,
      pid: 1,
      tid: 1,
      args: { kernel: e.kernel, submit: e.flush, bytes: e.bytes, flops: e.flops, ...(e.site ? { site: e.site } : {}) },
    }));
  return { traceEvents, displayTimeUnit: 'ms', metadata: { device: r.device, timing: r.timing } };
}
