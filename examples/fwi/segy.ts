// The FWI demo's survey, and its observed data to and from SEG-Y (--export-segy, --segy): host
// code only, so test/example-fwi-segy.test.ts checks the round trip without running the solver.
// The grid's node [0, 0] is at x = 0 m, elevation 0 m; depth cells go down from there.
import { segyToShots, shotsToSegy } from '../../src/io/index.js';

export type Cell = [number, number];

/** 20 sources on a ring two cells inside the edges of an n x n grid; receivers at every node or on the top row. */
export function fwiSurvey(n: number, receivers: 'all' | 'surface'): { sources: Cell[]; receivers: Cell[] } {
  const sources: Cell[] = [];
  for (let k = 0; k < 5; k++) {
    const p = 4 + Math.round((k * (n - 9)) / 4);
    sources.push([2, p], [n - 3, p], [p, 2], [p, n - 3]);
  }
  const recs: Cell[] = [];
  for (let z = 0; z < (receivers === 'all' ? n : 1); z++) for (let x = 0; x < n; x++) recs.push([z, x]);
  return { sources, receivers: recs };
}

/** Observed data on the demo's grid: what acoustic2d takes (cells) and returns ([shots, receivers, nt]). */
export interface Observed {
  sources: Cell[];
  receivers: Cell[][];
  traces: Float32Array;
  nt: number;
  dt: number;
}

/** SEG-Y bytes (revision 1, IEEE floats) of the demo's observed data on a grid of spacing dx metres. */
export function observedToSegy(obs: Observed, dx: number): Uint8Array {
  const textHeader = [
    'C 1 TELLUS FWI DEMO: SYNTHETIC OBSERVED DATA (examples/fwi/main.ts)',
    `C 2 ${obs.sources.length} SHOTS, ${obs.receivers[0]!.length} RECEIVERS EACH, ${obs.nt} SAMPLES OF ${obs.dt * 1000} MS`,
    `C 3 GRID SPACING ${dx} M; NODE [0, 0] AT X = 0 M, ELEVATION 0 M`,
    'C 4 SOURCE WAVELET: RICKER, 1 HZ PEAK FREQUENCY',
    'C39 SEG Y REV1',
    'C40 END TEXTUAL HEADER',
  ].join('\n');
  return shotsToSegy(obs, { dx, textHeader });
}

/**
 * The observed data in a SEG-Y file, on the demo's grid of spacing dx: the sample interval must be
 * the demo's time step (no resampling here: resample the file first), any number of samples goes.
 * Also the grid size the geometry needs: at least n, more if a source or receiver lies beyond.
 */
export function observedFromSegy(bytes: Uint8Array, opts: { dx: number; dt: number; n: number; file: string }): Observed & { n: number } {
  const shots = segyToShots(bytes, { dx: opts.dx });
  if (Math.abs(shots.dt - opts.dt) > 1e-9) {
    throw new Error(
      `--segy ${opts.file}: the traces are sampled every ${shots.dt * 1000} ms; this example steps at ${opts.dt * 1000} ms ` +
        `(its CFL limit and source wavelet): resample the file to ${opts.dt} s first`,
    );
  }
  let n = opts.n;
  for (const [z, x] of [...shots.sources, ...shots.receivers.flat()]) n = Math.max(n, z + 1, x + 1);
  return { sources: shots.sources, receivers: shots.receivers, traces: shots.traces, nt: shots.nt, dt: shots.dt, n };
}
