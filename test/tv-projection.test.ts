// The TV-ball projection (src/inverse/tv.ts) against references written here: an exact float64
// projection on a 3 x 3 grid by exhaustive enumeration of the active set, the variational
// inequality <x - P, z - P> <= 0 against random feasible points z on larger grids, and the
// closed forms at tau = 0 (the mean) and tau >= TV(x) (x itself).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';

useDevice();

/** Edges of the nz x nx grid as [from, to] (the difference is m[to] - m[from]), any order. */
function edges(nz: number, nx: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < nx; j++) {
      if (i + 1 < nz) out.push([i * nx + j, (i + 1) * nx + j]);
      if (j + 1 < nx) out.push([i * nx + j, i * nx + j + 1]);
    }
  return out;
}

const edgeCache = new Map<string, [number, number][]>();
function tv(m: ArrayLike<number>, nz: number, nx: number): number {
  const key = `${nz},${nx}`;
  if (!edgeCache.has(key)) edgeCache.set(key, edges(nz, nx));
  let s = 0;
  for (const [a, b] of edgeCache.get(key)!) s += Math.abs(m[b]! - m[a]!);
  return s;
}

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/**
 * The exact projection of an infeasible x by brute force. At the projection P, with Z the edges
 * where DP = 0 and s the signs of DP elsewhere, P is the projection of x onto the affine set
 * { D_Z m = 0, s . Dm = tau } (the KKT conditions say x - P is normal to it). So every (Z, s) gives
 * a candidate (m constant on the components of Z: component means, then a shift along s), the true
 * P is among them, and the nearest feasible candidate is P. 3^12 candidates on 3 x 3, each tried
 * for every tau in `taus`.
 */
function bruteForceProjections(x: number[], nz: number, nx: number, taus: number[]): number[][] {
  const E = edges(nz, nx);
  const n = nz * nx;
  const [from, to] = [E.map((e) => e[0]), E.map((e) => e[1])];
  const a = new Float64Array(n);
  const m = new Float64Array(n);
  const best: number[][] = taus.map(() => []);
  const bestD = taus.map(() => Infinity);
  for (let zMask = 0; zMask < 1 << E.length; zMask++) {
    const comp = Array.from({ length: n }, (_, i) => i);
    const find = (i: number): number => (comp[i] === i ? i : (comp[i] = find(comp[i]!)));
    for (let e = 0; e < E.length; e++) if (zMask & (1 << e)) comp[find(from[e]!)] = find(to[e]!);
    const root = Array.from({ length: n }, (_, i) => find(i));
    const size = new Float64Array(n);
    const mean = new Float64Array(n);
    for (let i = 0; i < n; i++) [size[root[i]!], mean[root[i]!]] = [size[root[i]!]! + 1, mean[root[i]!]! + x[i]!];
    for (let r = 0; r < n; r++) if (size[r]) mean[r] = mean[r]! / size[r]!;
    const free = E.map((_, e) => e).filter((e) => !(zMask & (1 << e)));
    const [ru, rv] = [free.map((e) => root[from[e]!]!), free.map((e) => root[to[e]!]!)];
    for (let sMask = 0; sMask < 1 << free.length; sMask++) {
      // a = A^T D^T s per component; the candidate c = mean + mu a / size meets a . c = tau.
      a.fill(0);
      for (let k = 0; k < free.length; k++) {
        const s = sMask & (1 << k) ? 1 : -1;
        a[rv[k]!] = a[rv[k]!]! + s;
        a[ru[k]!] = a[ru[k]!]! - s;
      }
      let ac = 0;
      let aa = 0;
      for (let r = 0; r < n; r++)
        if (size[r]) {
          ac += a[r]! * mean[r]!;
          aa += a[r]! ** 2 / size[r]!;
        }
      if (aa === 0) continue;
      taus.forEach((tau, t) => {
        const mu = (tau - ac) / aa;
        for (let i = 0; i < n; i++) m[i] = mean[root[i]!]! + (mu * a[root[i]!]!) / size[root[i]!]!;
        if (tv(m, nz, nx) > tau * (1 + 1e-12)) return;
        const d = dist(m, x);
        if (d < bestD[t]!) [best[t], bestD[t]] = [Array.from(m), d];
      });
    }
  }
  return best;
}

describe('projectTvBall', () => {
  it('matches an exhaustive active-set projection on 3 x 3 grids', () => {
    const g = rng();
    for (let trial = 0; trial < 3; trial++) {
      const x = Array.from({ length: 9 }, () => 4 * g.next() - 2);
      const tv0 = tv(x, 3, 3);
      const taus = [0.1, 0.5, 0.9].map((f) => f * tv0);
      const refs = bruteForceProjections(x, 3, 3, taus);
      for (const [t, tau] of taus.entries()) {
        const ref = refs[t]!;
        // tol 1e-6: the certificate is the square root of a float64 duality gap, so its rounding
        // floor is ~1e-7 to 4e-7 of the distance here (src/inverse/tv.ts).
        const res = tl.projectTvBallValues(x, 3, 3, tau, { tol: 1e-6, maxIterations: 20000 });
        expect(res.converged).toBe(true);
        // Feasible to float64 rounding: the scaling toward the mean lands on tau up to ~1e-15 relative.
        expect(tv(res.values, 3, 3)).toBeLessThanOrEqual(tau * (1 + 1e-12));
        // No farther from x than the exact projection: both are feasible, so ours can only be
        // farther, and by at most its certified error (1e-6 of the distance), plus rounding.
        expect(dist(res.values, x)).toBeLessThanOrEqual(dist(ref, x) * (1 + 1e-6) + 1e-12);
        // And close to it: the strong-convexity bound sqrt(2 gap) <= 1e-6 * distance.
        expect(res.errorBound).toBeLessThanOrEqual(1e-6 * res.distance);
        expect(dist(res.values, ref)).toBeLessThanOrEqual(res.errorBound + 1e-12);
      }
    }
  });

  it('is certified on a 24 x 32 grid by its dual, checked here by weak duality', () => {
    const g = rng();
    const [nz, nx] = [24, 32];
    const n = nz * nx;
    // A blocky image plus noise, like a layered model with an RTM-like perturbation.
    const x = Array.from({ length: n }, (_, i) => 2 + Math.floor(i / nx / 6) * 0.5 + 0.3 * (g.next() - 0.5));
    const tau = 0.3 * tv(x, nz, nx);
    const res = tl.projectTvBallValues(x, nz, nx, tau, { tol: 1e-6, maxIterations: 20000 });
    expect(res.converged).toBe(true);
    expect(tv(res.values, nz, nx)).toBeLessThanOrEqual(tau);
    expect(res.tv).toBeCloseTo(tv(res.values, nz, nx), 9);
    expect(res.distance).toBeCloseTo(dist(res.values, x), 9);
    // For any q and feasible m: <Dm, q> <= tau |q|_inf, so 1/2 |m - x|^2 >= 1/2 |m - x|^2 + <m, D^T q>
    // - tau |q|_inf >= (minimizing over m, at m = x - D^T q) <x, D^T q> - 1/2 |D^T q|^2 - tau |q|_inf =: d(q).
    // With P* the projection, 1/2 |m - P*|^2 <= 1/2 |m - x|^2 - 1/2 |P* - x|^2 (P* is the nearest
    // point of a convex set), so |res - P*|^2 <= |res - x|^2 - 2 d(q).
    const dtq = new Array<number>(n).fill(0);
    edges(nz, nx).forEach(([a, b]) => {
      // The dual's order: all vertical differences, then all horizontal ones.
      const k = b - a === nx ? ((a / nx) | 0) * nx + (a % nx) : (nz - 1) * nx + ((a / nx) | 0) * (nx - 1) + (a % nx);
      dtq[b] = dtq[b]! + res.dual[k]!;
      dtq[a] = dtq[a]! - res.dual[k]!;
    });
    const mx = x.reduce((a, b) => a + b, 0) / n;
    let [xq, qq, qInf] = [0, 0, 0];
    for (let i = 0; i < n; i++) [xq, qq] = [xq + (x[i]! - mx) * dtq[i]!, qq + dtq[i]! ** 2];
    for (const q of res.dual) qInf = Math.max(qInf, Math.abs(q));
    const bound = Math.sqrt(Math.max(0, dist(res.values, x) ** 2 - 2 * (xq - qq / 2 - tau * qInf)));
    // tol 1e-6 certified by the solver; 1e-5 here leaves room for this sum's own rounding.
    expect(bound).toBeLessThanOrEqual(1e-5 * res.distance);
    // Scaling x toward its mean is feasible too, and farther from x.
    const scaled = x.map((v) => mx + (tau / tv(x, nz, nx)) * (v - mx));
    expect(res.distance).toBeLessThan(dist(scaled, x));
  });

  it('returns x for tau >= TV(x), the mean for tau = 0, and is idempotent', () => {
    const g = rng();
    const x = Array.from({ length: 20 }, () => g.next());
    const tv0 = tv(x, 4, 5);
    const same = tl.projectTvBallValues(x, 4, 5, tv0);
    expect(same.iterations).toBe(0);
    expect(Array.from(same.values)).toEqual(x);
    const flat = tl.projectTvBallValues(x, 4, 5, 0);
    const mean = x.reduce((a, b) => a + b, 0) / 20;
    for (const v of flat.values) expect(v).toBeCloseTo(mean, 14);
    const p = tl.projectTvBallValues(x, 4, 5, 0.4 * tv0, { tol: 1e-6 });
    const again = tl.projectTvBallValues(p.values, 4, 5, 0.4 * tv0, { tol: 1e-6 });
    expect(again.iterations).toBe(0);
    expect(Array.from(again.values)).toEqual(Array.from(p.values));
  });

  it('warm-starts from a previous dual', () => {
    const g = rng();
    const [nz, nx] = [16, 16];
    const x = Array.from({ length: nz * nx }, () => g.next());
    const tau = 0.2 * tv(x, nz, nx);
    const cold = tl.projectTvBallValues(x, nz, nx, tau, { tol: 1e-6, maxIterations: 20000 });
    const x2 = x.map((v) => v + 1e-3 * (g.next() - 0.5));
    const coldB = tl.projectTvBallValues(x2, nz, nx, tau, { tol: 1e-6, maxIterations: 20000 });
    const warm = tl.projectTvBallValues(x2, nz, nx, tau, { tol: 1e-6, maxIterations: 20000, dual: cold.dual });
    expect(coldB.converged && warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(coldB.iterations);
    expect(dist(warm.values, coldB.values)).toBeLessThanOrEqual(warm.errorBound + coldB.errorBound + 1e-12);
  });

  it('projects a float32 tensor: feasible in float32, close to the float64 projection, x itself when feasible', async () => {
    const g = rng();
    const [nz, nx] = [6, 5];
    const data = Float32Array.from({ length: nz * nx }, () => 1.5 + 3 * g.next());
    const x = tl.tensor(data, { shape: [nz, nx] });
    const tau = 0.25 * tv(data, nz, nx);
    const res = await tl.projectTvBall(x, tau, { tol: 1e-6 });
    const m = await res.m.data();
    expect(res.converged).toBe(true);
    // The float32 values themselves are feasible (the result shrinks them after rounding if needed).
    expect(tv(m, nz, nx)).toBeLessThanOrEqual(tau);
    expect(res.tv).toBe(tv(m, nz, nx));
    // Against the float64 projection: float32 rounding of values ~4.5, 2^-22 ~ 2.4e-7 each.
    const ref = tl.projectTvBallValues(data, nz, nx, tau, { tol: 1e-6 });
    expect(dist(m, ref.values)).toBeLessThanOrEqual(1e-6 * Math.sqrt(nz * nx) * 4.5);
    const again = await tl.projectTvBall(res.m, tau);
    expect(again.m).toBe(res.m);
    expect(again.iterations).toBe(0);
    tl.tidy(() => [x, res.m].forEach((t) => t.dispose()));
  });

  it('rejects bad arguments, naming the function, argument, expectation and value', async () => {
    const fn = 'tellus: projectTvBall(x, tau, opts)';
    const x = [1, 2, 3, 4];
    expect(() => tl.projectTvBallValues([1, NaN, 3, 4], 2, 2, 1)).toThrow(`${fn}: x: expected finite values, got NaN at index 1`);
    expect(() => tl.projectTvBallValues(x, 2, 3, 1)).toThrow(
      `${fn}: x: expected an array of nz * nx = 6 numbers, got an array of length 4`,
    );
    expect(() => tl.projectTvBallValues(x, 2, 2, -1)).toThrow(`${fn}: tau: expected a finite number >= 0, got -1`);
    expect(() => tl.projectTvBallValues(x, 2, 2, 1, { tol: 0 })).toThrow(`${fn}: opts.tol: expected a finite number > 0, got 0`);
    expect(() => tl.projectTvBallValues(x, 2, 2, 1, { maxIterations: 2.5 })).toThrow(
      `${fn}: opts.maxIterations: expected an integer >= 1, got 2.5`,
    );
    expect(() => tl.projectTvBallValues(x, 2, 2, 1, { dual: new Float64Array(3) })).toThrow(
      `${fn}: opts.dual: expected a Float64Array of length 4 (a previous result's dual), got a Float64Array`,
    );
    expect(() => tl.projectTvBallValues(x, 2, 2, 1, { toll: 1 } as never)).toThrow(`${fn}: unknown option 'toll' (did you mean 'tol'?)`);
    const t3 = tl.zeros([2, 2, 2]);
    await expect(tl.projectTvBall(t3, 1)).rejects.toThrow(
      `${fn}: x: expected a float32 tensor [nz, nx], got a float32 tensor of shape [2, 2, 2]`,
    );
    t3.dispose();
  });
});
