// Where the examples' pipelines send their output (browser-safe): log lines, progress of loops
// (no read-back behind them) and figures. sink-node.ts is the Node one; the app collects figures.
import type { VegaLiteSpec } from '../../src/viz/index.js';

export interface Sink {
  log(message: string): void;
  /** Progress of a loop (no read-back behind it); fields are shown beside the bar. */
  progress(label: string, done: number, total: number, fields?: Record<string, string>): void;
  figure(name: string, spec: VegaLiteSpec): Promise<void>;
}
