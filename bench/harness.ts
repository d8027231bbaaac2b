// Timing and reporting shared by every benchmark: warm-up, then the median of repeated runs with
// min and max; results go to bench/results/<runtime>.json and a markdown table.

/** One timed operation; `state` persists across repetitions (inputs created once). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Case = (state: Record<string, any>) => Promise<void>;

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export async function time(fn: Case, { warmup = 2, runs = 7 } = {}): Promise<Timing> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const state: Record<string, any> = {};
  for (let i = 0; i < warmup; i++) await fn(state);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(state);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { medianMs: t[Math.floor(t.length / 2)]!, minMs: t[0]!, maxMs: t[t.length - 1]!, runs };
}

export interface Row {
  benchmark: string;
  library: string;
  timing: Timing | null;
  note?: string;
  /** Work per run, for throughput columns. */
  flops?: number;
  bytes?: number;
}

const fmtMs = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Markdown table; the ratio column is the peer's median over Tellus's (above 1: Tellus is faster). */
export function markdown(rows: Row[], title: string, roof?: { copyKernelGBs: number; peakGflops: number }): string {
  const lines = [`### ${title}`, ''];
  if (roof) lines.push(`Roofline (calibrate()): copy kernel ${roof.copyKernelGBs.toFixed(2)} GB/s, peak ${roof.peakGflops.toFixed(1)} GFLOP/s.`, '');
  lines.push('| benchmark | library | median ms | min–max ms | GFLOP/s | GB/s | of roofline | peer / Tellus |', '|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    if (!r.timing) {
      lines.push(`| ${r.benchmark} | ${r.library} | – | – | – | – | – | ${r.note ?? 'failed'} |`);
      continue;
    }
    const base = rows.find((x) => x.benchmark.startsWith(r.benchmark.split(',')[0]!) && x.library === 'tellus')?.timing;
    const ratio = r.note ?? (r.library === 'tellus' || !base ? '' : (r.timing.medianMs / base.medianMs).toFixed(2));
    const gf = r.flops ? r.flops / r.timing.medianMs / 1e6 : 0;
    const gb = r.bytes ? r.bytes / r.timing.medianMs / 1e6 : 0;
    const eff = roof && (gf || gb) ? `${(100 * Math.max(gf / roof.peakGflops, gb / roof.copyKernelGBs)).toFixed(0)}%` : '';
    lines.push(`| ${r.benchmark} | ${r.library} | ${fmtMs(r.timing.medianMs)} | ${fmtMs(r.timing.minMs)}–${fmtMs(r.timing.maxMs)} | ${gf ? gf.toFixed(2) : ''} | ${gb ? gb.toFixed(2) : ''} | ${eff} | ${ratio} |`);
  }
  return lines.join('\n') + '\n';
}
