// The profiler: a small workload inside tl.profile, its per-kernel table, a timeline of the timed
// dispatches (a Vega-Lite gantt chart) and a button that downloads tl.chromeTrace(report).
import * as tl from '../src/index.js';
import type { VegaLiteSpec } from '../src/viz/index.js';
import { fwiMisfit, fwiOptions, fwiProblem } from './problems.js';
import { byId, el, publish, run, show, startPage, status } from './ui.js';

/** The FWI page's misfit and gradient on its starting model, then a matmul with a fused elementwise chain. */
async function workload(): Promise<void> {
  const p = fwiProblem();
  const shape: [number, number] = [p.n, p.n];
  const [loss, grad, y] = tl.tidy(() => {
    const opts = fwiOptions(p);
    const observed = tl.acoustic2d(tl.tensor(p.vTrue, { shape }), opts);
    const [l, g] = tl.valueAndGrad((m: tl.Tensor) => fwiMisfit(m, opts, observed))(tl.full(shape, p.v0)) as [tl.Tensor, tl.Tensor];
    const a = tl.randn([256, 256], { seed: 1 });
    const b = tl.randn([256, 256], { seed: 2 });
    return [l, g, tl.sum(tl.tanh(tl.add(tl.mul(tl.matmul(a, b), 0.1), 1)))];
  });
  await Promise.all([loss.item(), grad.data(), y.item()]);
  for (const t of [loss, grad, y]) t.dispose();
}

function timelineSpec(report: tl.ProfileReport): VegaLiteSpec {
  const values = report.events
    .filter((e) => e.startMs !== undefined)
    .map((e) => ({ kernel: e.label, start: e.startMs!, end: e.startMs! + (e.durationMs ?? 0), submit: e.flush }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `timeline of the ${values.length} timed dispatches (GPU time)`,
    width: 900,
    data: { values },
    mark: { type: 'bar', minBandWidth: 1 },
    encoding: {
      x: { field: 'start', type: 'quantitative', title: 'ms since the first timestamp' },
      x2: { field: 'end' },
      y: { field: 'kernel', type: 'nominal', title: null, sort: { field: 'start', op: 'min' } },
      color: { field: 'kernel', type: 'nominal', legend: null },
      tooltip: [{ field: 'kernel' }, { field: 'start', format: '.3f' }, { field: 'end', format: '.3f' }, { field: 'submit' }],
    },
  };
}

run(async () => {
  await startPage('profiler.html');
  status('profiling…');
  const report = await tl.profile(workload, { every: 1 });
  const trace = tl.chromeTrace(report);
  const json = JSON.stringify(trace);

  const table = byId('kernels');
  const head = el('tr');
  for (const h of ['kernel', 'calls', 'timed', 'total ms', 'mean ms', 'share', 'GB/s']) head.append(el('th', {}, h));
  table.append(head);
  for (const r of report.rows) {
    const tr = el('tr');
    const cells = [
      r.label,
      String(r.calls),
      String(r.timedCalls),
      r.totalMs.toFixed(3),
      r.meanMs.toFixed(4),
      `${(100 * r.share).toFixed(1)}%`,
      r.gbPerS.toFixed(2),
    ];
    for (const c of cells) tr.append(el('td', {}, c));
    table.append(tr);
  }
  byId('text').textContent = tl.formatProfile(report);

  const button = byId<HTMLButtonElement>('download');
  button.disabled = false;
  button.addEventListener('click', () => {
    const a = el('a', { href: URL.createObjectURL(new Blob([json], { type: 'application/json' })), download: 'tellus-trace.json' });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });

  if (report.timing === 'timestamp') await show('timeline', timelineSpec(report));
  else byId('timeline').textContent = 'this adapter has no timestamp-query: the report holds wall times per submit, and no timeline';
  status(
    `done: ${report.dispatches} dispatches in ${report.submits} submits, ${report.gpuMs.toFixed(1)} ms GPU (${report.timing}, every ${report.every}), ${report.wallMs.toFixed(0)} ms wall`,
  );
  publish({
    ready: true,
    timing: report.timing,
    every: report.every,
    dispatches: report.dispatches,
    rows: report.rows.map((r) => ({ label: r.label, kernel: r.kernel, calls: r.calls, totalMs: r.totalMs })),
    timedEvents: report.events.filter((e) => e.startMs !== undefined).length,
    traceEvents: trace.traceEvents.length,
  });
});
