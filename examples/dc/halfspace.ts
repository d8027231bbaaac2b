// SimPEG's half-space check at its full size (tests/em/static/test_DC_2D_analytic.py): sigma 1e-2,
// 12.5 m cells, 61 x 20 core + 10 padding cells growing by 1.4, on the GPU. Two survey sets:
//  - SimPEG's own: A at -150 m (and B at -130 m for dipole-pole), receivers at
//    linspace(-135, 250, 20) -/+ 12.5 m, i.e. off the cell centres, the first ones straddling the
//    source; SimPEG passes when the mean squared relative error is < 0.05;
//  - line arrays from dcSurvey over 25 electrodes at 25 m on cell centres (DD, PD, PP, Wenner,
//    Schlumberger), the layout the examples use.
// Prints RMS and max relative error of the apparent resistivity per array.
//   node scripts/run.mjs examples/dc/halfspace.ts
import * as tl from '../../src/index.js';

await tl.init();
const p = tl.TensorMesh2d.padded({ nx: 61, nz: 20, h: 12.5, padLeft: 10, padRight: 10, padBottom: 10, factor: 1.4 });
const mesh = new tl.TensorMesh2d(p.hx, p.hz, [-p.extent[0] / 2, 0]); // "CN": centred in x, top at 0
const lin = (a: number, b: number, n: number): number[] => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
const e = (x: number): tl.Electrode => [x, 0];
const x20 = lin(-135, 250, 20);
const simpeg: Record<string, tl.DcSurvey> = {
  'SimPEG pole-dipole': { sources: [{ a: e(-150), b: null, receivers: x20.map((x) => ({ m: e(x - 12.5), n: e(x + 12.5) })) }] },
  'SimPEG dipole-pole': { sources: [{ a: e(-150), b: e(-130), receivers: lin(0, 250, 20).map((x) => ({ m: e(x - 12.5), n: null })) }] },
  'SimPEG pole-pole': { sources: [{ a: e(-150), b: null, receivers: lin(0, 250, 20).map((x) => ({ m: e(x - 12.5), n: null })) }] },
};
const line = lin(-300, 300, 25);
const arrays: Record<string, tl.DcSurvey> = {
  'dipole-dipole (n <= 8)': tl.dcSurvey('dipole-dipole', line, { maxReceivers: 8 }),
  'pole-dipole (n <= 8)': tl.dcSurvey('pole-dipole', line, { maxReceivers: 8 }),
  'pole-pole': tl.dcSurvey('pole-pole', line),
  wenner: tl.dcSurvey('wenner', line),
  schlumberger: tl.dcSurvey('schlumberger', line),
};
const m = tl.full([mesh.nCells], Math.log(1e-2));
for (const [name, survey] of Object.entries({ ...simpeg, ...arrays })) {
  // Pole fields (storeJ) pay off for the line arrays (25 electrodes, many sources), not for one source.
  const storeJ = !name.startsWith('SimPEG');
  const sim = tl.dcSimulation2d(mesh, { survey, data: 'apparent-resistivity', storeJ, preconditioner: 'multigrid' });
  const d = (await (await sim.dpred(m)).data()) as Float32Array;
  const rel = Array.from(d, (v) => v / 100 - 1);
  const ms = rel.reduce((s, v) => s + v * v, 0) / rel.length;
  const s = sim.solves[0]!;
  console.log(
    `${name.padEnd(24)} ${String(rel.length).padStart(4)} data: RMS ${(100 * Math.sqrt(ms)).toFixed(2)}%, max ${(100 * Math.max(...rel.map(Math.abs))).toFixed(2)}%, SimPEG's mean squared ${ms.toExponential(2)}; ${s.iterations} PCG iterations, ${s.seconds.toFixed(1)} s`,
  );
  if (name.startsWith('SimPEG')) console.log('   per receiver (%):', rel.map((v) => (100 * v).toFixed(2)).join(' '));
  sim.dispose();
}
tl.destroy();
