// Straight-ray tomography: host ray lengths (Siddon, float64) against a box-clipping reference
// (test/tomography-ref.ts) and closed forms; bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { clipLength, denseRayLengths } from './tomography-ref.js';
import { type Gen, rng } from './helpers.js';

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
