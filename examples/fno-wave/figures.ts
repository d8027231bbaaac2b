// Vega-Lite figures of the FNO-wave pipeline (browser-safe: specs only).
import { fieldSpec, type VegaLiteSpec } from '../../src/viz/index.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A velocity model (km/s) with the source (red star) and receivers (blue triangles) drawn on it. */
export function modelWithStations(
  v: ArrayLike<number>,
  shape: readonly [number, number],
  dxKm: number,
  title: string,
  sources: readonly (readonly [number, number])[],
  receivers: readonly (readonly [number, number])[] = [],
  range?: [number, number],
): VegaLiteSpec {
  const base = fieldSpec(v, shape, {
    title,
    units: 'v (km/s)',
    dz: dxKm * 1000,
    dx: dxKm * 1000,
    width: 220,
    ...(range ? { vmin: range[0], vmax: range[1] } : {}),
  });
  const at = (c: readonly [number, number], kind: string) => ({ x: (c[1] + 0.5) * dxKm, z: (c[0] + 0.5) * dxKm, kind });
  const marks = [...sources.map((c) => at(c, 'source')), ...receivers.map((c) => at(c, 'receiver'))];
  const layer = [
    ...(base.layer as VegaLiteSpec[]),
    {
      data: { values: marks },
      mark: { type: 'point', filled: true, size: 70, stroke: 'white', strokeWidth: 0.8 },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'z', type: 'quantitative' },
        shape: {
          field: 'kind',
          type: 'nominal',
          scale: { domain: ['source', 'receiver'], range: ['diamond', 'triangle-down'] },
          legend: null,
        },
        fill: { field: 'kind', type: 'nominal', scale: { domain: ['source', 'receiver'], range: ['#d62728', '#1f77b4'] }, legend: null },
      },
    },
  ];
  return { ...base, layer };
}

/**
 * Waveforms at several receivers like Yang et al.'s Figure 2: the simulation (black, every time step)
 * and the FNO (red, at its N snapshot times), one trace per receiver, offset vertically, each
 * normalized by the simulation's peak at that receiver.
 */
export function waveformSpec(
  title: string,
  sim: { t: ArrayLike<number>; traces: ArrayLike<number>[] },
  fno: { t: ArrayLike<number>; traces: ArrayLike<number>[] },
): VegaLiteSpec {
  const values: { t: number; y: number; r: string; kind: string }[] = [];
  sim.traces.forEach((tr, k) => {
    const peak = Math.max(1e-30, ...Array.from(tr, Math.abs));
    const push = (t: ArrayLike<number>, y: ArrayLike<number>, kind: string) => {
      for (let i = 0; i < t.length; i++) values.push({ t: t[i]!, y: k + 1 + (0.45 * y[i]!) / peak, r: `r${k + 1}`, kind });
    };
    push(sim.t, tr, 'acoustic2d');
    push(fno.t, fno.traces[k]!, 'FNO');
  });
  return {
    $schema: SCHEMA,
    title,
    width: 300,
    height: 260,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'y', type: 'quantitative', title: 'receiver (trace / its peak)', scale: { zero: false }, axis: { tickMinStep: 1 } },
      color: { field: 'kind', type: 'nominal', scale: { domain: ['acoustic2d', 'FNO'], range: ['black', '#d62728'] }, title: null },
      detail: { field: 'r', type: 'nominal' },
    },
  };
}
