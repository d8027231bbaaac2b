// Sensitivities of the 2.5D DC simulation (src/physics/dc/simulation.ts) on a tiny mesh: the
// adjoint (dot-product) test of J v against J^T w, the Taylor test of the forward map along J v,
// the pole-field J (storeJ) against the adjoint products, diag(J^T W^2 J) against per-datum adjoint
// solves, and apparent-resistivity data as volts scaled by 1 / G. Inner products in float64 from
// read-back float32 values. Five wavenumbers: the checks are about derivatives, not quadrature.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';

/** 9 x 4 core cells of 10 m, 3 padding cells growing by 1.5: 15 x 7 = 105 cells. */
function tinyMesh(): tl.TensorMesh2d {
  const p = tl.TensorMesh2d.padded({ nx: 9, nz: 4, h: 10, padLeft: 3, padRight: 3, padBottom: 3, factor: 1.5 });
  return new tl.TensorMesh2d(p.hx, p.hz, [-p.extent[0] / 2, 0]);
}
const SURVEY = (): tl.DcSurvey =>
  tl.dcSurvey(
    'dipole-dipole',
    [-40, -20, 0, 20, 40, 60].map((x) => x - 10),
    { maxReceivers: 2 },
  );

/** A smooth heterogeneous log-conductivity around log(0.01). */
function model(mesh: tl.TensorMesh2d): Float32Array {
  const cx = mesh.cellCentersX();
  const cz = mesh.cellCentersZ();
  return Float32Array.from({ length: mesh.nCells }, (_, c) => {
    const [x, z] = [cx[c % mesh.nx]!, cz[Math.floor(c / mesh.nx)]!];
    return Math.log(0.01) + 0.8 * Math.exp(-((x - 5) ** 2 + (z - 15) ** 2) / 400) - 0.3 * Math.tanh((z - 20) / 10);
  });
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
const norm = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));
const read = async (t: tl.Tensor): Promise<Float64Array> => {
  const v = Float64Array.from((await t.data()) as Float32Array);
  t.dispose();
  return v;
};

describe('dc sensitivities', () => {
  useDevice();

  it('adjoint test |w^T J v - v^T J^T w| / |w^T J v| < 1e-4 (float32, PCG tol 1e-6), w = J v + noise', async () => {
    const mesh = tinyMesh();
    const sim = tl.dcSimulation2d(mesh, { survey: SURVEY(), nKy: 5 });
    const g = rng();
    const m = tl.tensor(model(mesh));
    const v = Float32Array.from({ length: mesh.nCells }, () => 2 * g.next() - 1);
    const Jv = await read(await sim.Jvec(m, tl.tensor(v)));
    const scale = norm(Jv) / Math.sqrt(Jv.length);
    const w = Float32Array.from(Jv, (x) => x + scale * (2 * g.next() - 1));
    const Jtw = await read(await sim.Jtvec(m, tl.tensor(w)));
    const [lhs, rhs] = [dot(w, Jv), dot(v, Jtw)];
    const rel = Math.abs(lhs - rhs) / Math.abs(lhs);
    console.log(
      `adjoint test: w^T J v = ${lhs.toExponential(6)}, v^T J^T w = ${rhs.toExponential(6)}, relative ${rel.toExponential(2)}; solves ${sim.solves.map((s) => s.iterations).join(', ')} iterations`,
    );
    expect(rel).toBeLessThan(1e-4);
    // The forward fields were solved once: J v and J^T w each added one solve.
    expect(sim.solves).toHaveLength(3);
    m.dispose();
    sim.dispose();
  });

  it('Taylor test: ||F(m + h v) - F(m) - h J v|| falls as h^2 (slope 2 +- 0.1 above the float32 floor)', async () => {
    const mesh = tinyMesh();
    const sim = tl.dcSimulation2d(mesh, { survey: SURVEY(), nKy: 5, tol: 1e-7 });
    const g = rng();
    const m0 = model(mesh);
    const v = Float32Array.from({ length: mesh.nCells }, () => 2 * g.next() - 1);
    const m = tl.tensor(m0);
    const F0 = await read(await sim.dpred(m));
    const Jv = await read(await sim.Jvec(m, tl.tensor(v)));
    const hs = [0.2, 0.1, 0.05];
    const r1: number[] = [];
    for (const h of hs) {
      const Fh = await read(await sim.dpred(tl.tensor(Float32Array.from(m0, (x, i) => x + h * v[i]!))));
      r1.push(norm(Fh.map((x, i) => x - F0[i]! - h * Jv[i]!)));
    }
    // Float32 floor: each F is good to ~1e-6 of ||F|| (PCG tol and rounding); r1 must stay well above it.
    const floor = 1e-6 * norm(F0);
    const slopes = r1.slice(1).map((r, k) => Math.log2(r1[k]! / r));
    console.log(
      `Taylor: r1 = ${r1.map((r) => r.toExponential(2)).join(', ')} (floor ~${floor.toExponential(1)}); slopes ${slopes.map((s) => s.toFixed(3)).join(', ')}`,
    );
    for (const r of r1) expect(r).toBeGreaterThan(30 * floor);
    // The smallest steps: the h^3 term has faded and round-off has not set in.
    expect(Math.abs(slopes[slopes.length - 1]! - 2)).toBeLessThan(0.1);
    m.dispose();
    sim.dispose();
  });

  it('storeJ (J formed from pole fields) agrees with the adjoint J v and J^T w; diag(J^T W^2 J) equals per-datum adjoint solves', async () => {
    const mesh = tinyMesh();
    const survey = SURVEY();
    const adj = tl.dcSimulation2d(mesh, { survey, nKy: 5 });
    const st = tl.dcSimulation2d(mesh, { survey, nKy: 5, storeJ: true });
    const g = rng();
    const m = tl.tensor(model(mesh));
    const v = tl.tensor(Float32Array.from({ length: mesh.nCells }, () => 2 * g.next() - 1));
    const w = tl.tensor(Float32Array.from({ length: adj.nData }, () => 2 * g.next() - 1));
    const close = (a: Float64Array, b: Float64Array, tol: number): void =>
      expect(norm(a.map((x, i) => x - b[i]!)) / norm(b)).toBeLessThan(tol);
    // Same forward data either way (per-source fields vs combinations of pole fields).
    close(await read(await st.dpred(m)), await read(await adj.dpred(m)), 1e-5);
    close(await read(await st.Jvec(m, v)), await read(await adj.Jvec(m, v)), 1e-4);
    close(await read(await st.Jtvec(m, w)), await read(await adj.Jtvec(m, w)), 1e-4);
    // diag(J^T W^2 J) by one adjoint solve per datum (J^T e_i), squared and summed.
    const W = Float32Array.from({ length: adj.nData }, (_, i) => 1 + i);
    const diag = await read(await adj.jtjDiagonal(m, tl.tensor(W)));
    const want = new Float64Array(mesh.nCells);
    for (let i = 0; i < adj.nData; i++) {
      const e = new Float32Array(adj.nData);
      e[i] = W[i]!;
      const row = await read(await adj.Jtvec(m, tl.tensor(e)));
      row.forEach((x, c) => (want[c] = want[c]! + x * x));
    }
    close(diag, want, 1e-4);
    close(await read(await st.jtjDiagonal(m, tl.tensor(W))), want, 1e-4);
    [m, v, w].forEach((t) => t.dispose());
    adj.dispose();
    st.dispose();
  });

  it('apparent-resistivity data are volts / G, and so are their sensitivities', async () => {
    const mesh = tinyMesh();
    const survey = SURVEY();
    const volts = tl.dcSimulation2d(mesh, { survey, nKy: 5, storeJ: true });
    const rhoa = tl.dcSimulation2d(mesh, { survey, nKy: 5, storeJ: true, data: 'apparent-resistivity' });
    const m = tl.tensor(model(mesh));
    const G = volts.geometricFactors;
    const dV = await read(await volts.dpred(m));
    const dR = await read(await rhoa.dpred(m));
    dR.forEach((x, i) => expect(Math.abs(x * G[i]! - dV[i]!)).toBeLessThan(1e-6 * Math.abs(dV[i]!)));
    const v = tl.full([mesh.nCells], 0.1);
    const jV = await read(await volts.Jvec(m, v));
    const jR = await read(await rhoa.Jvec(m, v));
    jR.forEach((x, i) => expect(Math.abs(x * G[i]! - jV[i]!)).toBeLessThan(1e-5 * norm(jV)));
    [m, v].forEach((t) => t.dispose());
    volts.dispose();
    rhoa.dispose();
  });
});
