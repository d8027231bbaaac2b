// Straight-ray tomography: host ray lengths (Siddon, float64) against a box-clipping reference
// (test/tomography-ref.ts) and closed forms; the GPU operator (t = G s, G^T w) against float64
// products, the dot-product test, bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { clipLength, denseRayLengths } from './tomography-ref.js';
import { type Gen, randomFloats, rng, useDevice } from './helpers.js';

const uniformMesh = (nx: number, nz: number, h = 1, x0 = 0, z0 = 0) => ({
  nx,
  nz,
  hx: new Float64Array(nx).fill(h),
  hz: new Float64Array(nz).fill(h),
  x0,
  z0,
});

/** Dense [rays, cells] from triplets (duplicates summed). */
function dense(t: tl.RayTriplets): Float64Array {
  const G = new Float64Array(t.nRays * t.nCells);
  for (let k = 0; k < t.values.length; k++) G[t.rows[k]! * t.nCells + t.cols[k]!]! += t.values[k]!;
  return G;
}

const nodes = (x0: number, h: ArrayLike<number>): number[] => {
  const X = [x0];
  for (let i = 0; i < h.length; i++) X.push(X[i]! + h[i]!);
  return X;
};

/** Sensors that hit every special case: inside, on nodes, on interior lines, on the boundary. */
function sensors(g: Gen, X: number[], Z: number[], n: number): number[] {
  const pick = (N: number[]) => N[Math.floor(g.next() * N.length)]!;
  const inside = (N: number[]) => N[0]! + g.next() * (N[N.length - 1]! - N[0]!);
  const p: number[] = [];
  for (let k = 0; k < n; k++) {
    const kind = k % 4;
    if (kind === 0) p.push(inside(X), inside(Z));
    else if (kind === 1)
      p.push(pick(X), pick(Z)); // a node (corners included)
    else if (kind === 2)
      p.push(pick(X), inside(Z)); // on a vertical grid line
    else p.push(inside(X), pick(Z)); // on a horizontal grid line
  }
  return p;
}

describe('tomography: host ray lengths', () => {
  it("pyGIMLi's 2x2 case: slowness [1, 2, 1, 4], ray (0, 0) -> (1, 2) gives t = sqrt(5)", () => {
    const t = tl.rayLengths(uniformMesh(2, 2), new Float64Array([0, 0]), new Float64Array([1, 2]));
    const s = [1, 2, 1, 4];
    let time = 0;
    for (let k = 0; k < t.values.length; k++) time += t.values[k]! * s[t.cols[k]!]!;
    expect(Math.abs(time - Math.sqrt(5))).toBeLessThan(1e-15);
    expect([...t.cols].sort()).toEqual([0, 2]); // half the ray in each left cell
  });

  it('rays along edges, through nodes and on the boundary follow the documented convention', () => {
    const m = uniformMesh(2, 2);
    const G = dense(tl.rayLengths(m, new Float64Array([1, 0, 0, 0, 0, 1, 0, 2]), new Float64Array([1, 2, 2, 2, 2, 1, 0, 2])));
    const rows = (r: number) => [...G.subarray(4 * r, 4 * r + 4)];
    // Source k, receiver j -> ray 4k + j. Vertical along the interior line x = 1: half to each side.
    expect(rows(0)).toEqual([0.5, 0.5, 0.5, 0.5]);
    // The diagonal through the centre node: the two cells it crosses, none it only touches.
    expect(rows(5)).toEqual([Math.SQRT2, 0, 0, Math.SQRT2]);
    // Horizontal along the interior line z = 1.
    expect(rows(10)).toEqual([0.5, 0.5, 0.5, 0.5]);
    // Along the boundary x = 0: all of it to the cells inside.
    expect(rows(7)).toEqual([1, 0, 1, 0]);
    // Zero length (source on its receiver): an empty row.
    expect(rows(15)).toEqual([0, 0, 0, 0]);
  });

  it('matches box clipping (Liang-Barsky) on random non-uniform meshes, rays on lines and nodes included', () => {
    const g = rng();
    for (let trial = 0; trial < 3; trial++) {
      const [nx, nz] = [3 + trial, 5 - trial];
      const hx = Float64Array.from({ length: nx }, () => 0.5 + 1.5 * g.next());
      const hz = Float64Array.from({ length: nz }, () => 0.5 + 1.5 * g.next());
      const [x0, z0] = [10 * g.next() - 5, 3 * g.next()];
      const [X, Z] = [nodes(x0, hx), nodes(z0, hz)];
      const [src, rec] = [sensors(g, X, Z, 12), sensors(g, X, Z, 12)];
      const t = tl.rayLengths({ nx, nz, hx, hz, x0, z0 }, new Float64Array(src), new Float64Array(rec));
      const ref = denseRayLengths(X, Z, src, rec);
      const G = dense(t);
      let worst = 0;
      for (let i = 0; i < G.length; i++) worst = Math.max(worst, Math.abs(G[i]! - ref[i]!));
      // Both are float64 sums of a few terms of size ~ the extent (< 10 m): 1e-12 m leaves ~1e3 ulps.
      expect(worst, `trial ${trial}`).toBeLessThan(1e-12);
      // Row sums are the source-receiver distances.
      for (let r = 0; r < t.nRays; r++) {
        let sum = 0;
        for (let j = 0; j < t.nCells; j++) sum += G[r * t.nCells + j]!;
        expect(Math.abs(sum - t.distance[r]!)).toBeLessThan(1e-12);
      }
    }
  });

  it('the reference clips as expected (a ray through a unit box and one beside it)', () => {
    expect(clipLength(-1, 0.5, 2, 0.5, 0, 1, 0, 1)).toBe(1);
    expect(clipLength(-1, -1, 2, 2, 0, 1, 0, 1)).toBeCloseTo(Math.SQRT2, 15);
    expect(clipLength(2, 0, 2, 1, 0, 1, 0, 1)).toBe(0);
  });

  it('crossholeSurvey places sensors down two boreholes', () => {
    const s = tl.crossholeSurvey({ sourceX: 0, receiverX: 64, zFrom: 0.5, zTo: 127.5, spacing: 1 });
    expect(s.sources.length).toBe(256);
    expect([s.sources[0], s.sources[1], s.sources[254], s.sources[255]]).toEqual([0, 0.5, 0, 127.5]);
    expect([s.receivers[0], s.receivers[255]]).toEqual([64, 127.5]);
    // A zTo that does not fall on the spacing is not reached.
    expect(tl.crossholeSurvey({ sourceX: 0, receiverX: 1, zFrom: 0, zTo: 1, spacing: 0.3 }).sources.length).toBe(8);
  });

  it('rejects bad input with errors naming the argument', () => {
    const m = uniformMesh(2, 2);
    const p = new Float64Array([0, 0]);
    expect(() => tl.rayLengths(m, new Float64Array([0, 2.5]), p)).toThrow(
      /tellus: rayLengths: sources\[0\]: expected a point \(x, z\) inside the mesh \[0, 2\] x \[0, 2\] m, got \(0, 2.5\)/,
    );
    expect(() => tl.rayLengths(m, p, new Float64Array([1, NaN]))).toThrow(/rayLengths: receivers\[0\]: expected a point/);
    expect(() => tl.rayLengths(m, new Float64Array([0, 0, 1]), p)).toThrow(/sources: expected a non-empty even number of values/);
    expect(() => tl.rayLengths(m, new Float64Array(0), p)).toThrow(/sources: expected a non-empty even number/);
    expect(() => tl.rayLengths(m, 3 as never, p)).toThrow(/sources: expected a Float64Array/);
    expect(() => tl.rayLengths({ ...m, hx: [1, -1] }, p, p)).toThrow(
      /rayLengths: mesh.hx: expected positive finite widths, got -1 at \[1\]/,
    );
    expect(() => tl.rayLengths({ ...m, nz: 3 }, p, p)).toThrow(/mesh.hz: expected 3 cell widths, got 2/);
    expect(() => tl.rayLengths(null as never, p, p)).toThrow(/rayLengths: mesh: expected a 2D tensor mesh/);
    const ok = { sourceX: 0, receiverX: 1, zFrom: 0, zTo: 1, spacing: 1 };
    expect(() => tl.crossholeSurvey({ ...ok, spacing: 0 })).toThrow(
      /crossholeSurvey: opts.spacing: expected a positive finite number, got 0/,
    );
    expect(() => tl.crossholeSurvey({ ...ok, zTo: -1 })).toThrow(/opts.zTo: expected a depth >= zFrom \(0\), got -1/);
    expect(() => tl.crossholeSurvey({ ...ok, spacingg: 1 } as never)).toThrow(/unknown option 'spacingg' \(did you mean 'spacing'\?\)/);
  });
});

describe('tomography: the GPU operator', () => {
  useDevice();

  /** A small non-uniform mesh with a cross-hole survey plus a few rays along lines. */
  function problem(g: Gen) {
    const mesh = new tl.TensorMesh2d(
      Array.from({ length: 5 }, () => 0.5 + g.next()),
      Array.from({ length: 7 }, () => 0.5 + g.next()),
      [1, 2],
    );
    const [X, Z] = [mesh.nodesX(), mesh.nodesZ()];
    const survey = tl.crossholeSurvey({ sourceX: X[0]!, receiverX: X[5]!, zFrom: Z[0]!, zTo: Z[7]!, spacing: (Z[7]! - Z[0]!) / 6 });
    // Add a source on an interior grid line and one on a node, so that edge rays reach the GPU too.
    survey.sources = Float64Array.from([...survey.sources, X[2]!, Z[3]!, X[5]!, Z[1]!]);
    return { mesh, survey, sim: tl.straightRayTomography(mesh, survey) };
  }

  it("pyGIMLi's 2x2 case and a constant model: t = G s to float32 rounding", async () => {
    const sim = tl.straightRayTomography(tl.TensorMesh2d.uniform(2, 2, 1), {
      sources: new Float64Array([0, 0]),
      receivers: new Float64Array([1, 2]),
    });
    const t = await (await sim.dpred(tl.tensor([1, 2, 1, 4]))).data();
    // Two products of float32-rounded lengths sqrt(5)/2: a few ulps of sqrt(5).
    expect(Math.abs(t[0]! - Math.sqrt(5))).toBeLessThan(4 * 2 ** -23 * Math.sqrt(5));
    sim.dispose();

    const { sim: big } = problem(rng());
    const v = 1500; // m/s
    const s = tl.full([big.nModel], 1 / v);
    const times = await big.forward(s).data();
    let worst = 0;
    for (let i = 0; i < big.nData; i++) worst = Math.max(worst, Math.abs(times[i]! - big.distance[i]! / v) / (big.distance[i]! / v));
    // Each time sums at most nx + nz + 1 = 13 float32 products (2 ulps each plus the rounded lengths): 1e-6 relative.
    expect(worst).toBeLessThan(1e-6);
    big.dispose();
  });

  it('G s and G^T w match float64 products of the host lengths; jtjDiagonal and coverage too', async () => {
    const g = rng();
    const { sim } = problem(g);
    const G = sim.G.toDense(); // float64 host values
    const sHost = randomFloats(g, sim.nModel, 0.5, 2);
    const wHost = randomFloats(g, sim.nData, -1, 1);
    const m = tl.tensor(sHost);
    const weights = randomFloats(g, sim.nData, 0.5, 2);
    const [jv, jtw, jtj, jtjw] = await Promise.all([
      sim.Jvec(m, m),
      sim.Jtvec(m, tl.tensor(wHost)),
      sim.jtjDiagonal(m),
      sim.jtjDiagonal(m, tl.tensor(weights)),
    ]);
    const [t, a, d, dw] = await Promise.all([jv.data(), jtw.data(), jtj.data(), jtjw.data()]);
    const cov = sim.coverage();
    const [nd, nm] = [sim.nData, sim.nModel];
    for (let i = 0; i < nd; i++) {
      let [ref, mag] = [0, 0];
      for (let j = 0; j < nm; j++) [ref, mag] = [ref + G[i * nm + j]! * sHost[j]!, mag + Math.abs(G[i * nm + j]! * sHost[j]!)];
      // float32 lengths and accumulation over <= 13 terms: 1e-6 of the sum of magnitudes.
      expect(Math.abs(t[i]! - ref), `ray ${i}`).toBeLessThanOrEqual(1e-6 * mag);
    }
    for (let j = 0; j < nm; j++) {
      let [ref, mag, jtj, jtjw, c] = [0, 0, 0, 0, 0];
      for (let i = 0; i < nd; i++) {
        const gij = G[i * nm + j]!;
        [ref, mag, c] = [ref + gij * wHost[i]!, mag + Math.abs(gij * wHost[i]!), c + gij];
        [jtj, jtjw] = [jtj + gij * gij, jtjw + (gij * weights[i]!) ** 2];
      }
      // A cell's column holds up to nData entries: 1e-6 of the magnitudes still covers ~50 float32 additions.
      expect(Math.abs(a[j]! - ref), `cell ${j}`).toBeLessThanOrEqual(1e-6 * mag);
      // Positive terms: float32 sums of them err by ~n ulps of the total.
      expect(Math.abs(d[j]! - jtj)).toBeLessThanOrEqual(1e-6 * jtj);
      expect(Math.abs(dw[j]! - jtjw)).toBeLessThanOrEqual(1e-6 * jtjw);
      expect(Math.abs(cov[j]! - c)).toBeLessThanOrEqual(1e-12);
    }
    sim.dispose();
  });

  it('passes the dot-product test, and the gradient of <forward(s), w> is Jtvec(w)', async () => {
    const g = rng();
    const { sim } = problem(g);
    const m = tl.ones([sim.nModel]);
    // dotTest wants synchronous maps: the operator's own products (Jvec and Jtvec resolve to these).
    const GT = sim.G.transpose();
    const r = await tl.dotTest(
      (v) => tl.spmv(sim.G, v),
      (w) => tl.spmv(GT, w),
      [sim.nModel],
      [sim.nData],
      { tol: 1e-5, seed: Math.floor(g.next() * 1000) },
    );
    expect(r.passed, r.message).toBe(true);
    const w = tl.tensor(randomFloats(g, sim.nData));
    const grad = tl.grad((s: tl.Tensor) => sim.forward(s).mul(w).sum());
    const [gd, at] = await Promise.all([grad(m).data(), (await sim.Jtvec(m, w)).data()]);
    expect([...gd]).toEqual([...at]); // the same transposed product
    sim.dispose();
  });

  it('rejects tensors of the wrong shape or dtype', async () => {
    const sim = tl.straightRayTomography(tl.TensorMesh2d.uniform(2, 2, 1), {
      sources: new Float64Array([0, 0]),
      receivers: new Float64Array([2, 1]),
    });
    const m = tl.ones([4]);
    expect(() => sim.forward(tl.ones([5]))).toThrow(
      /straightRayTomography: s: expected a float32 tensor \[4\] or \[B, 4\], got shape \[5\]/,
    );
    await expect(sim.Jvec(m, tl.ones([2, 4]))).rejects.toThrow(
      /straightRayTomography: v: expected a float32 tensor \[4\], got shape \[2, 4\]/,
    );
    await expect(sim.Jtvec(m, tl.ones([4]))).rejects.toThrow(/straightRayTomography: w: expected a float32 tensor \[1\], got shape \[4\]/);
    await expect(sim.jtjDiagonal(m, tl.ones([4]))).rejects.toThrow(/straightRayTomography: dataWeights: expected a float32 tensor \[1\]/);
    await expect(sim.jtjDiagonal(tl.ones([4], 'int32'))).rejects.toThrow(/straightRayTomography: m: expected a float32 tensor/);
    expect(() => tl.straightRayTomography(tl.TensorMesh2d.uniform(2, 2, 1), null as never)).toThrow(
      /straightRayTomography: survey: expected an object/,
    );
    expect(() =>
      tl.straightRayTomography(tl.TensorMesh2d.uniform(2, 2, 1), {
        sources: new Float64Array([0, 0]),
        receivers: new Float64Array([3, 0]),
      }),
    ).toThrow(/straightRayTomography: receivers\[0\]: expected a point \(x, z\) inside the mesh/);
    const other = tl.rayLengths(tl.TensorMesh2d.uniform(2, 2, 1), new Float64Array([0, 0, 0, 1]), new Float64Array([2, 1]));
    expect(() =>
      tl.straightRayTomography(
        tl.TensorMesh2d.uniform(2, 2, 1),
        { sources: new Float64Array([0, 0]), receivers: new Float64Array([2, 1]) },
        { triplets: other },
      ),
    ).toThrow(/straightRayTomography: opts.triplets: expected triplets for 1 rays and 4 cells, got 2 rays and 4 cells/);
    expect(() =>
      tl.straightRayTomography(
        tl.TensorMesh2d.uniform(2, 2, 1),
        { sources: new Float64Array([0, 0]), receivers: new Float64Array([2, 1]) },
        { triplet: other } as never,
      ),
    ).toThrow(/unknown option 'triplet' \(did you mean 'triplets'\?\)/);
    sim.dispose();
  });
});

describe('tomography: GPU ray tracing', () => {
  useDevice();

  it('rayLengthsGpu matches the host tracer on random non-uniform meshes, edge and node rays included', async () => {
    const g = rng();
    for (let trial = 0; trial < 3; trial++) {
      const [nx, nz] = [3 + 2 * trial, 6 - trial];
      const hx = Float64Array.from({ length: nx }, () => 0.5 + 1.5 * g.next());
      const hz = Float64Array.from({ length: nz }, () => 0.5 + 1.5 * g.next());
      const [x0, z0] = [10 * g.next() - 5, 3 * g.next()];
      const [X, Z] = [nodes(x0, hx), nodes(z0, hz)];
      const [src, rec] = [new Float64Array(sensors(g, X, Z, 12)), new Float64Array(sensors(g, X, Z, 12))];
      const mesh = { nx, nz, hx, hz, x0, z0 };
      const host = dense(tl.rayLengths(mesh, src, rec));
      const gpu = tl.rayLengthsGpu(mesh, src, rec);
      const [c, v] = await Promise.all([gpu.cols.data(), gpu.lengths.data()]);
      // Every slot written (outputs are poisoned): a cell or -1, a finite length, 0 in unused slots.
      for (let k = 0; k < c.length; k++) {
        expect(c[k]! >= -1 && c[k]! < nx * nz && Number.isFinite(v[k]!), `slot ${k}: (${c[k]}, ${v[k]})`).toBe(true);
        if (c[k] === -1) expect(v[k]).toBe(0);
      }
      const G = dense(await gpu.triplets());
      // float32 coordinates and crossing parameters: measured <= 1e-7 of (largest |coordinate| + L), about eps; allow 10x.
      const scale = Math.max(...X.map(Math.abs), ...Z.map(Math.abs)) + Math.hypot(X[nx]! - X[0]!, Z[nz]! - Z[0]!);
      let worst = 0;
      for (let i = 0; i < G.length; i++) worst = Math.max(worst, Math.abs(G[i]! - host[i]!));
      console.log(`trial ${trial}: worst ${worst.toExponential(2)} m, ${(worst / scale).toExponential(2)} of scale`);
      expect(worst / scale, `trial ${trial}`).toBeLessThan(1e-6);
      gpu.dispose();
    }
  });

  it('rayLengthsGpu rejects bad input as rayLengths does, under its own name', () => {
    const m = uniformMesh(2, 2);
    expect(() => tl.rayLengthsGpu(m, new Float64Array([0, 2.5]), new Float64Array([0, 0]))).toThrow(
      /tellus: rayLengthsGpu: sources\[0\]: expected a point \(x, z\) inside the mesh/,
    );
    expect(() => tl.rayLengthsGpu({ ...m, hz: [1, 0] }, new Float64Array([0, 0]), new Float64Array([0, 0]))).toThrow(
      /rayLengthsGpu: mesh.hz: expected positive finite widths, got 0 at \[1\]/,
    );
  });
});
