// @node-only: the FWI demo's SEG-Y path (examples/fwi/segy.ts) writes files with node:fs in the example.
// Observed data exported with --export-segy and read back with --segy give the demo the same
// sources, receivers, traces and time step as the synthetic path; the solver itself is not run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fwiSurvey, observedFromSegy, observedToSegy, type Observed } from '../examples/fwi/segy.js';
import * as tl from '../src/index.js';
import { randomFloats, rng } from './helpers.js';

const [N, DX, DT] = [64, 160, 0.02];

// Plain comparisons: the generic deep equality takes seconds on 10^5 cells and traces.
const sameCells = (a: unknown, b: unknown) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));
const firstDifference = (a: Float32Array, b: Float32Array) => (a.length !== b.length ? -2 : a.findIndex((v, i) => v !== b[i]));

function synthetic(receivers: 'all' | 'surface', nt: number): Observed {
  const survey = fwiSurvey(N, receivers);
  const traces = randomFloats(rng(17), survey.sources.length * survey.receivers.length * nt);
  return { sources: survey.sources, receivers: survey.sources.map(() => survey.receivers), traces, nt, dt: DT };
}

describe('examples/fwi SEG-Y round trip', () => {
  for (const [receivers, nt] of [
    ['surface', 240],
    ['all', 3],
  ] as const) {
    it(`gives back the synthetic path's geometry and traces (${receivers} receivers, ${nt} samples)`, () => {
      const obs = synthetic(receivers, nt);
      const dir = mkdtempSync(join(tmpdir(), 'tellus-fwi-segy-'));
      try {
        const path = join(dir, 'fwi.sgy');
        writeFileSync(path, observedToSegy(obs, DX));
        const back = observedFromSegy(readFileSync(path), { dx: DX, dt: DT, n: N, file: path });
        expect(back.n).toBe(N);
        sameCells(back.sources, obs.sources);
        sameCells(back.receivers, obs.receivers);
        expect(back.nt).toBe(nt);
        expect(back.dt).toBeCloseTo(DT, 12);
        expect(firstDifference(back.traces, obs.traces)).toBe(-1);
        // The file itself, by byte position: metres, depth as negative receiver elevation, sources at depth.
        const bytes = readFileSync(path);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const last = bytes.length - (240 + 4 * nt);
        expect([dv.getInt32(last + 8), dv.getInt32(last + 12), dv.getInt32(last + 80), dv.getInt32(last + 40)]).toEqual([
          20,
          obs.receivers[0]!.length,
          63 * DX,
          receivers === 'all' ? -63 * DX : 0,
        ]);
        expect([dv.getInt32(3600 + 48), dv.getInt16(3224), dv.getUint16(3216)]).toEqual([2 * DX, 5, DT * 1e6]);
        expect(tl.readSegy(bytes.subarray(0, 3600 + 240 + 4 * nt)).textHeader).toMatch(/^C 1 TELLUS FWI DEMO/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses another sample interval and grows the grid for a wider survey', () => {
    const obs = synthetic('surface', 8);
    expect(() => observedFromSegy(observedToSegy({ ...obs, dt: 0.01 }, DX), { dx: DX, dt: DT, n: N, file: 'a.sgy' })).toThrow(
      /--segy a\.sgy: the traces are sampled every 10 ms; this example steps at 20 ms .*resample the file to 0\.02 s first/,
    );
    const wide = { ...obs, receivers: obs.receivers.map((r) => [...r.slice(1), [5, 70] as [number, number]]) };
    const back = observedFromSegy(observedToSegy(wide, DX), { dx: DX, dt: DT, n: N, file: 'b.sgy' });
    expect(back.n).toBe(71);
    sameCells(back.receivers, wide.receivers);
  });
});
