// 2.5D DC resistivity (src/physics/dc): Bessel functions against Abramowitz & Stegun, the ky
// quadrature fit, survey generators and geometric factors (host, float64), then the GPU forward:
// half-space apparent resistivity for every array, agreement with the float64 reference of the
// same discrete scheme (test/dc-ref.ts), reciprocity, and bad input. Sensitivities are in
// test/dc-adjoint.test.ts.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { useDevice } from './helpers.js';
import { refPotentials, refSample } from './dc-ref.js';

// Abramowitz & Stegun, Table 9.8 (K0, K1 for x <= 2; e^x K0, e^x K1 beyond), 10 significant digits.
const AS_TABLE: [number, number, number][] = [
  // x, K0(x), K1(x)
  [0.1, 2.427069025, 9.853844781],
  [0.5, 0.9244190712, 1.65644112],
  [1.0, 0.4210244382, 0.6019072302],
  [2.0, 0.1138938727, 0.1398658818],
];
const AS_SCALED: [number, number, number][] = [
  // x, e^x K0(x), e^x K1(x)
  [2.0, 0.8415682151, 1.033476847],
  [5.0, 0.5478075643, 0.6002738588],
  [10.0, 0.3916319344, 0.4107665704],
];

/**
 * The test mesh: 10 m core cells, 17 x 6 core centred on x = 0 (so centres at multiples of 10 m,
 * where the electrodes sit), 5 padding cells growing by 1.6: 27 x 11 = 297 cells.
 */
function testMesh(): tl.TensorMesh2d {
  const p = tl.TensorMesh2d.padded({ nx: 17, nz: 6, h: 10, padLeft: 5, padRight: 5, padBottom: 5, factor: 1.6 });
  return new tl.TensorMesh2d(p.hx, p.hz, [-p.extent[0] / 2, 0]);
}
const ELECTRODES = Array.from({ length: 7 }, (_, i) => -60 + 20 * i);

describe('dc host parts', () => {
  it('K0, K1 and their scaled forms match the A&S table to 1e-9 (the table has 10 digits)', () => {
    for (const [x, k0, k1] of AS_TABLE) {
      expect(Math.abs(tl.besselK0(x) / k0 - 1)).toBeLessThan(1e-9);
      expect(Math.abs(tl.besselK1(x) / k1 - 1)).toBeLessThan(1e-9);
    }
    for (const [x, k0e, k1e] of AS_SCALED) {
      expect(Math.abs(tl.besselK0e(x) / k0e - 1)).toBeLessThan(1e-9);
      expect(Math.abs(tl.besselK1e(x) / k1e - 1)).toBeLessThan(1e-9);
    }
    // Large arguments: e^x K_nu(x) ~ sqrt(pi / 2x) (1 + (4 nu^2 - 1) / 8x + (4 nu^2 - 1)(4 nu^2 - 9) / (2 (8x)^2)), error ~1e-9 at x = 1000.
    const x = 1000;
    const asym = (nu: number): number =>
      Math.sqrt(Math.PI / (2 * x)) * (1 + (4 * nu * nu - 1) / (8 * x) + ((4 * nu * nu - 1) * (4 * nu * nu - 9)) / (2 * (8 * x) ** 2));
    expect(Math.abs(tl.besselK0e(x) / asym(0) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(tl.besselK1e(x) / asym(1) - 1)).toBeLessThan(1e-9);
    expect(() => tl.besselK0(0)).toThrow(/besselK0: x: expected a positive finite number, got 0/);
  });

  it('fits the ky quadrature: sum g r K0(k r) within 2e-4 of 1 over [h/4, 4 x extent] (11 points)', () => {
    // SimPEG's half-space test mesh (12.5 m cells, ~1.5 km wide) and the paper's DC mesh (5 m cells, ~2.3 km).
    for (const [rMin, rMax] of [
      [12.5 / 4, 4 * 1530],
      [5 / 4, 4 * 2270],
    ] as const) {
      const q = tl.kyQuadrature({ rMin, rMax });
      expect(q.points).toHaveLength(11);
      expect(q.maxError).toBeLessThan(2e-4);
      // The meaning of the weights: sum w_i K0(k_i r) = (1/pi) int_0^inf K0(k r) dk = 1 / (2 r), checked off the fitting grid.
      for (const r of [rMin * 1.7, Math.sqrt(rMin * rMax), rMax / 3]) {
        const s = q.weights.reduce((acc, w, i) => acc + w * tl.besselK0(q.points[i]! * r), 0);
        expect(Math.abs(s * 2 * r - 1)).toBeLessThan(2e-4);
      }
      for (let i = 1; i < 11; i++) expect(q.points[i]!).toBeGreaterThan(q.points[i - 1]!);
    }
    expect(() => tl.kyQuadrature({ rMin: 1, rMax: 100, n: 2 })).toThrow(/kyQuadrature: opts.n: expected an integer in \[3, 40\], got 2/);
    expect(() => tl.kyQuadrature({ rMin: 10, rMax: 5 })).toThrow(/opts.rMax: expected a finite number > rMin/);
  });

  it('generates line surveys with the hand-counted sizes and geometry', () => {
    const x = [0, 10, 20, 30, 40, 50, 60];
    const dd = tl.dcSurvey('dipole-dipole', x);
    // A B = (i, i+1), M N = (j, j+1), j >= i + 2: sources 0..3 with 4, 3, 2, 1 receivers.
    expect(dd.sources.map((s) => s.receivers.length)).toEqual([4, 3, 2, 1]);
    expect(dd.sources[1]).toEqual({ a: [10, 0], b: [20, 0], receivers: [30, 40, 50].map((m) => ({ m: [m, 0], n: [m + 10, 0] })) });
    expect(tl.dcSurvey('dipole-dipole', x, { maxReceivers: 2 }).sources.map((s) => s.receivers.length)).toEqual([2, 2, 2, 1]);
    const pd = tl.dcSurvey('pole-dipole', x);
    expect(pd.sources.map((s) => s.receivers.length)).toEqual([5, 4, 3, 2, 1]);
    expect(pd.sources[0]!.b).toBeNull();
    expect(pd.sources[0]!.receivers[0]).toEqual({ m: [10, 0], n: [20, 0] });
    const pp = tl.dcSurvey('pole-pole', x);
    expect(tl.surveyDataCount(pp)).toBe(21);
    expect(pp.sources[5]).toEqual({ a: [50, 0], b: null, receivers: [{ m: [60, 0], n: null }] });
    // Wenner: a = 1 (4 positions) and a = 2 (1 position).
    const w = tl.dcSurvey('wenner', x);
    expect(w.sources.map((s) => [s.a[0], s.receivers[0]!.m[0], s.receivers[0]!.n![0], s.b![0]])).toEqual([
      [0, 10, 20, 30],
      [10, 20, 30, 40],
      [20, 30, 40, 50],
      [30, 40, 50, 60],
      [0, 20, 40, 60],
    ]);
    // Schlumberger: M N = (j, j+1), A B = (j-n, j+1+n): n = 1 (4 positions), n = 2 (2 positions).
    const s = tl.dcSurvey('schlumberger', x);
    expect(s.sources.map((q) => [q.a[0], q.receivers[0]!.m[0], q.receivers[0]!.n![0], q.b![0]])).toEqual([
      [0, 10, 20, 30],
      [10, 20, 30, 40],
      [20, 30, 40, 50],
      [30, 40, 50, 60],
      [0, 20, 30, 50],
      [10, 30, 40, 60],
    ]);
    // The paper's survey: 29 electrodes at 25 m over 700 m, up to 24 receivers per transmitter: 348 data.
    const paper = tl.dcSurvey(
      'dipole-dipole',
      Array.from({ length: 29 }, (_, i) => 25 * i),
      { maxReceivers: 24 },
    );
    expect([paper.sources.length, tl.surveyDataCount(paper)]).toEqual([26, 348]);
    expect(tl.dcSurvey('pole-pole', x, { depth: 2 }).sources[0]!.a).toEqual([0, 2]);
  });

  it('geometric factors: hand-computed Wenner, dipole-dipole and pole-pole values; buried electrodes add the image', () => {
    const a = 10;
    const [wen] = tl.geometricFactors(tl.dcSurvey('wenner', [0, a, 2 * a, 3 * a]));
    expect(wen).toBeCloseTo(1 / (2 * Math.PI * a), 15);
    // Dipole-dipole n = 1: (1/2a - 1/a - 1/3a + 1/2a) / 2 pi = -1 / (3 a) / (2 pi).
    const [ddg] = tl.geometricFactors({ sources: [{ a: [0, 0], b: [a, 0], receivers: [{ m: [2 * a, 0], n: [3 * a, 0] }] }] });
    expect(ddg! * 2 * Math.PI * 3 * a).toBeCloseTo(-1, 12);
    const [ppg] = tl.geometricFactors(tl.dcSurvey('pole-pole', [0, 25]));
    expect(ppg).toBeCloseTo(1 / (2 * Math.PI * 25), 15);
    // Both electrodes at depth d, offset r: (1/r + 1/sqrt(r^2 + 4 d^2)) / (4 pi).
    const [bur] = tl.geometricFactors({ sources: [{ a: [0, 2.5], b: null, receivers: [{ m: [12, 2.5], n: null }] }] });
    expect(bur).toBeCloseTo((1 / 12 + 1 / 13) / (4 * Math.PI), 15);
  });

  it('rejects bad surveys with the argument named', () => {
    expect(() => tl.dcSurvey('gradient' as never, [0, 1, 2, 3])).toThrow(/dcSurvey: array: expected one of 'dipole-dipole'/);
    expect(() => tl.dcSurvey('wenner', [0, 10, 5, 30])).toThrow(
      /dcSurvey: x: expected strictly ascending positions, got 5 after 10 at \[2\]/,
    );
    expect(() => tl.dcSurvey('dipole-dipole', [0, 10, 20])).toThrow(/x: expected at least 4 electrodes for dipole-dipole, got 3/);
    expect(() => tl.dcSurvey('pole-pole', [0, 10], { maxReceiver: 2 } as never)).toThrow(
      /unknown option 'maxReceiver' \(did you mean 'maxReceivers'\?\)/,
    );
    expect(() => tl.dcSurvey('pole-pole', [0, 10], { maxReceivers: 0 })).toThrow(/opts.maxReceivers: expected a positive integer, got 0/);
    expect(() => tl.geometricFactors({ sources: [{ a: [0, 0], b: null, receivers: [{ m: [0, 0], n: null }] }] })).toThrow(
      /geometricFactors: survey.sources\[0\].receivers\[0\]: expected electrodes apart/,
    );
    expect(() => tl.geometricFactors({ sources: [{ a: [0, -1], b: null, receivers: [{ m: [5, 0], n: null }] }] })).toThrow(
      /survey.sources\[0\].a: expected a depth z >= 0/,
    );
    expect(() => tl.geometricFactors({ sources: [] })).toThrow(/survey.sources: expected at least one source/);
  });
});

describe('dc forward on the GPU', () => {
  useDevice();

  it('half-space apparent resistivity: every array within 2% of 100 ohm-m (RMS about 1%); the float64 reference agrees to 1e-4', async () => {
    const mesh = testMesh();
    const arrays: tl.DcArray[] = ['dipole-dipole', 'pole-dipole', 'pole-pole', 'wenner', 'schlumberger'];
    const parts = arrays.map((a) => tl.dcSurvey(a, ELECTRODES, a.endsWith('dipole') ? { maxReceivers: 6 } : {}));
    const survey = { sources: parts.flatMap((s) => s.sources) };
    // Pole fields at the 7 electrodes (storeJ) give every array from one solve of 7 x 11 right-hand
    // sides; the multigrid path here (half the time of Jacobi), Jacobi in the other tests.
    const sim = tl.dcSimulation2d(mesh, { survey, data: 'apparent-resistivity', storeJ: true, preconditioner: 'multigrid' });
    const m = tl.full([mesh.nCells], Math.log(0.01));
    const dT = await sim.dpred(m);
    const d = (await dT.data()) as Float32Array;
    const stats = sim.solves[0]!;
    let at = 0;
    const report: string[] = [];
    for (const [k, part] of parts.entries()) {
      const n = tl.surveyDataCount(part);
      const rel = Array.from(d.subarray(at, at + n), (v) => v / 100 - 1);
      at += n;
      const rms = Math.sqrt(rel.reduce((s, v) => s + v * v, 0) / n);
      const max = Math.max(...rel.map(Math.abs));
      report.push(`${arrays[k]} ${n} data: RMS ${(100 * rms).toFixed(2)}%, max ${(100 * max).toFixed(2)}%`);
      expect(rms, arrays[k]).toBeLessThan(0.05);
      expect(max, arrays[k]).toBeLessThan(0.02);
    }
    console.log(
      `half-space, 10 m cells, electrodes 2-12 cells apart: ${report.join('; ')}; multigrid PCG <= ${stats.iterations} iterations per ky, ${stats.seconds.toFixed(1)} s (${stats.rhs} rhs)`,
    );
    // The same discrete problem in float64 with a direct solver: the GPU's float32 PCG (tol 1e-6) adds < 1e-4.
    const q = sim.quadrature;
    const ref = { hx: mesh.hx, hz: mesh.hz, x0: mesh.x0 };
    const us = refPotentials(
      ref,
      new Float64Array(mesh.nCells).fill(0.01),
      survey.sources.map((s) => [[s.a, 1], ...(s.b ? [[s.b, -1]] : [])] as [tl.Electrode, number][]),
      q,
      (x) => tl.besselK1e(x) / tl.besselK0e(x),
    );
    let worst = 0;
    let i = 0;
    survey.sources.forEach((s, k) =>
      s.receivers.forEach((rx) => {
        const v = refSample(ref, us[k]!, rx.m) - (rx.n ? refSample(ref, us[k]!, rx.n) : 0);
        worst = Math.max(worst, Math.abs(d[i]! / (v / sim.geometricFactors[i]!) - 1));
        i++;
      }),
    );
    expect(worst).toBeLessThan(1e-4);
    [dT, m].forEach((t) => t.dispose());
    sim.dispose();
  });

  it('reciprocity: swapping A B with M N gives the same voltage on a heterogeneous model (per-source fields)', async () => {
    const mesh = testMesh();
    const [A, B, M, N]: [tl.Electrode, tl.Electrode, tl.Electrode, tl.Electrode] = [
      [-60, 0],
      [-40, 0],
      [20, 0],
      [60, 0],
    ];
    const survey = {
      sources: [
        { a: A, b: B, receivers: [{ m: M, n: N }] },
        { a: M, b: N, receivers: [{ m: A, n: B }] },
      ],
    };
    const sim = tl.dcSimulation2d(mesh, { survey });
    const cx = mesh.cellCentersX();
    const cz = mesh.cellCentersZ();
    // A conductive block under the spread and a resistive layer.
    const logSigma = Float32Array.from({ length: mesh.nCells }, (_, c) => {
      const [x, z] = [cx[c % mesh.nx]!, cz[Math.floor(c / mesh.nx)]!];
      return Math.log(x > -30 && x < 10 && z > 10 && z < 40 ? 0.1 : z < 15 ? 0.003 : 0.01);
    });
    const m = tl.tensor(logSigma);
    const dT = await sim.dpred(m);
    const [v1, v2] = (await dT.data()) as Float32Array;
    expect(Math.abs(v1! / v2! - 1)).toBeLessThan(0.01);
    console.log(
      `reciprocity: V(AB->MN) = ${v1!.toExponential(5)}, V(MN->AB) = ${v2!.toExponential(5)}, relative difference ${Math.abs(v1! / v2! - 1).toExponential(2)}`,
    );
    [dT, m].forEach((t) => t.dispose());
    sim.dispose();
  });

  it('rejects bad meshes, surveys, options and models', async () => {
    const mesh = testMesh();
    const survey = tl.dcSurvey('pole-pole', [0, 20, 40]);
    expect(() => tl.dcSimulation2d({} as never, { survey })).toThrow(/dcSimulation2d: mesh: expected a TensorMesh2d/);
    expect(() => tl.dcSimulation2d(new tl.TensorMesh2d(mesh.hx, mesh.hz, [mesh.x0, 5]), { survey })).toThrow(/mesh.z0: expected 0/);
    expect(() => tl.dcSimulation2d(mesh, { survey, nky: 5 } as never)).toThrow(/unknown option 'nky' \(did you mean 'nKy'\?\)/);
    expect(() => tl.dcSimulation2d(mesh, { survey, data: 'ohms' as never })).toThrow(
      /opts.data: expected 'volts' or 'apparent-resistivity'/,
    );
    expect(() => tl.dcSimulation2d(mesh, { survey: tl.dcSurvey('pole-pole', [0, 20, 4000]) })).toThrow(
      /dcSimulation2d: survey.sources\[0\].receivers\[1\].m: expected an electrode inside the mesh/,
    );
    const sim = tl.dcSimulation2d(mesh, { survey });
    await expect(sim.dpred(tl.zeros([3]))).rejects.toThrow(/dcSimulation2d: m: expected a float32 tensor of shape \[297\]/);
    const bad = tl.full([mesh.nCells], Number.NaN);
    await expect(sim.dpred(bad)).rejects.toThrow(/dcSimulation2d: m: expected finite log-conductivities, got NaN at cell 0/);
    await expect(sim.Jtvec(tl.zeros([mesh.nCells]), tl.zeros([2]))).rejects.toThrow(/w: expected a float32 tensor of shape \[3\]/);
    bad.dispose();
    sim.dispose();
  });
});
