// The examples' progress and figure sink in Node: a redrawn bar with ETA in a terminal, a line per
// 10% elsewhere (CI, logs); figures written as PNG and SVG into a directory.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Sink } from './sink.js';
import { saveFigure } from '../../src/viz/render-node.js';

export interface NodeSink extends Sink {
  /** Stops the terminal bar (call before the process prints its last lines). */
  stop(): void;
}

export function nodeSink(outDir: string): NodeSink {
  const bars = process.stdout.isTTY
    ? new MultiBar(
        { format: '{label} [{bar}] {value}/{total} {fields} ETA {eta_formatted}', barsize: 24, etaBuffer: 8 },
        Presets.shades_classic,
      )
    : null;
  let bar: { label: string; b: SingleBar | null; t0: number; lastTenth: number } | null = null;
  const sink: NodeSink = {
    log: (m) => (bars ? bars.log(`${m}\n`) : console.log(m)),
    progress(label, done, total, fields = {}) {
      const text = Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join('  ');
      if (!bar || bar.label !== label) {
        bar?.b?.stop();
        bar = { label, b: bars ? bars.create(total, 0, { label, fields: text }) : null, t0: performance.now(), lastTenth: -1 };
      }
      if (bar.b) bar.b.update(done, { label, fields: text });
      else if (Math.floor((10 * done) / total) > bar.lastTenth || done === total) {
        bar.lastTenth = Math.floor((10 * done) / total);
        const s = (performance.now() - bar.t0) / 1000;
        const eta = done > 0 ? Math.round((s / done) * (total - done)) : 0;
        console.log(`${label} ${done}/${total} ${text} (${s.toFixed(0)} s, ETA ${Math.floor(eta / 60)}m${eta % 60}s)`);
      }
    },
    figure: async (name, spec) => {
      await saveFigure(spec, `${outDir}/${name}`);
      sink.log(`wrote ${outDir}/${name}.png and .svg`);
    },
    stop: () => bars?.stop(),
  };
  return sink;
}
