// The model objective of classical inversion (src/inverse/inversion/regularization.ts) against
// dense float64 matrices built in test/inversion-ref.ts on a non-uniform mesh: value, gradient,
// tl.grad, Hessian-vector product and diagonal, each term alone, IRLS weights, smoothed TV (with a
// Taylor test), and finite differences of the gradient.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { rng, useDevice } from './helpers.js';
import { relL2 } from './numerics.js';
import { type Mesh, type RefOpts, T, apply, f32, normals, referenceObjective, referenceTerms, values } from './inversion-ref.js';

useDevice();

const MESH: Mesh = { nx: 6, nz: 5, hx: [1, 1.5, 2, 1, 0.5, 1.25], hz: [0.5, 1, 1, 2, 1.5] };
const N = MESH.nx * MESH.nz;

describe('regularization', () => {
  it('value, gradient, Hessian-vector product and diagonal match dense float64 operators on a non-uniform mesh', async () => {
    const g = rng();
    const m = f32(normals(g, N));
    const ref = f32(normals(g, N));
    const cellW = f32(Array.from({ length: N }, () => 0.2 + g.next()));
    const v = f32(normals(g, N));
    const alpha = { s: 0.3, x: 1.7, z: 0.8, laplacian: 0.25 };
    const reg = tl.regularization(MESH, {
      alphaS: alpha.s,
      alphaX: alpha.x,
      alphaZ: alpha.z,
      alphaLaplacian: alpha.laplacian,
      reference: T(ref),
      weights: T(cellW),
    });
    const want = referenceObjective(MESH, { alpha, ref, cellW }, m);
    const [mt, vt] = [T(m), T(v)];
    const phi = reg.value(mt);
    const grad = reg.gradient(mt);
    const hv = reg.hessianVector(mt, vt);
    const diag = reg.hessianDiagonal(mt);
    const autoGrad = tl.grad((x: tl.Tensor) => reg.value(x))(mt) as tl.Tensor;
    // float32 sums of ~30-100 products of O(1) terms: ~1e-6 relative; 1e-5 leaves a margin.
    expect(Math.abs((await phi.item()) - want.phi) / want.phi).toBeLessThan(1e-5);
    expect(relL2(await values(grad), want.grad)).toBeLessThan(1e-5);
    expect(relL2(await values(autoGrad), want.grad)).toBeLessThan(1e-5);
    expect(relL2(await values(hv), apply(want.H, v))).toBeLessThan(1e-5);
    expect(
      relL2(
        await values(diag),
        Float64Array.from(want.H, (row, i) => row[i]!),
      ),
    ).toBeLessThan(1e-5);
    for (const t of [phi, grad, hv, diag, autoGrad, mt, vt]) t.dispose();
    reg.dispose();
  });

  it('one term at a time: each alone matches its hand-built difference matrix', async () => {
    const g = rng();
    const m = f32(normals(g, N));
    const mt = T(m);
    const cellW = new Float64Array(N).fill(1);
    for (const k of ['s', 'x', 'z', 'laplacian'] as const) {
      const alpha = { s: 0, x: 0, z: 0, laplacian: 0, [k]: 1 };
      const reg = tl.regularization(MESH, { alphaS: alpha.s, alphaX: alpha.x, alphaZ: alpha.z, alphaLaplacian: alpha.laplacian });
      const want = referenceObjective(MESH, { alpha, ref: new Float64Array(N), cellW }, m);
      const grad = reg.gradient(mt);
      expect(relL2(await values(grad), want.grad), k).toBeLessThan(1e-5);
      grad.dispose();
      reg.dispose();
    }
    mt.dispose();
  });

  it('Hessian-vector product equals a central difference of the gradient (IRLS weights frozen)', async () => {
    const g = rng();
    const reg = tl.regularization(MESH, { norms: { s: 0, x: 1, z: 1.5 }, reference: 0.1 });
    const m = T(normals(g, N));
    await reg.startIrls(m);
    const m1 = T(normals(g, N)); // evaluate elsewhere: the IRLS weights stay those of m
    const v = T(normals(g, N));
    const h = 0.5; // the gradient is linear in m with frozen weights, so any h works; round-off ~1e-6 of |g|/h
    const fd = tl.tidy(() => tl.div(tl.sub(reg.gradient(tl.add(m1, tl.mul(v, h))), reg.gradient(tl.sub(m1, tl.mul(v, h)))), 2 * h));
    const hv = reg.hessianVector(m1, v);
    expect(relL2(await values(hv), await values(fd))).toBeLessThan(1e-4);
    for (const t of [m, m1, v, fd, hv]) t.dispose();
    reg.dispose();
  });

  it('IRLS weights are the scaled Lawson weights of the float64 reference', async () => {
    const g = rng();
    const p = { s: 0, x: 1 };
    const reg = tl.regularization(MESH, { alphaZ: 0, norms: p });
    const m = f32(normals(g, N));
    const mt = T(m);
    await reg.startIrls(mt, 100);
    const eps = reg.irlsEpsilon;
    const terms = referenceTerms(MESH, new Float64Array(N).fill(1));
    const r: RefOpts['r'] = {};
    for (const k of ['s', 'x'] as const) {
      const f = apply(terms[k].A, m);
      const e = eps[k]!;
      // eps starts at the 100th percentile of |f|.
      expect(Math.abs(e - Math.max(...f.map(Math.abs))) / e).toBeLessThan(1e-6);
      const q = 1 - p[k] / 2;
      const fmax = Math.max(...f.map(Math.abs));
      const peak = p[k] < 1 ? e / Math.sqrt(1 - p[k]) : fmax;
      const scale = fmax / (peak / (peak * peak + e * e) ** q);
      r[k] = f.map((fi) => scale / (fi * fi + e * e) ** q);
    }
    const want = referenceObjective(
      MESH,
      { alpha: { s: 1, x: 1, z: 0, laplacian: 0 }, ref: new Float64Array(N), cellW: new Float64Array(N).fill(1), r },
      m,
    );
    const phi = reg.value(mt);
    const grad = reg.gradient(mt);
    // pow in float32 (~1e-6 relative per weight) over 30-50 terms.
    expect(Math.abs((await phi.item()) - want.phi) / want.phi).toBeLessThan(1e-5);
    expect(relL2(await values(grad), want.grad)).toBeLessThan(1e-5);
    for (const t of [phi, grad, mt]) t.dispose();
    reg.dispose();
  });

  it('smoothed TV: value and gradient vs float64, Taylor test, lagged-diffusivity Hessian', async () => {
    const g = rng();
    const eps = 0.3;
    const reg = tl.regularization(MESH, { alphaS: 0, alphaX: 1.5, alphaZ: 0.5, tv: { epsilon: eps } });
    const m = f32(normals(g, N));
    const v = f32(normals(g, N));
    const { nx, nz, hx, hz } = MESH;
    // Per cell: forward differences (0 at the last column / row), u = sqrt(aX gx^2 + aZ gz^2 + eps^2).
    const gx = (x: ArrayLike<number>, i: number, j: number): number =>
      j + 1 < nx ? (x[i * nx + j + 1]! - x[i * nx + j]!) / ((hx[j]! + hx[j + 1]!) / 2) : 0;
    const gz = (x: ArrayLike<number>, i: number, j: number): number =>
      i + 1 < nz ? (x[(i + 1) * nx + j]! - x[i * nx + j]!) / ((hz[i]! + hz[i + 1]!) / 2) : 0;
    const tvRef = (x: ArrayLike<number>): number => {
      let s = 0;
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) s += hx[j]! * hz[i]! * (Math.sqrt(1.5 * gx(x, i, j) ** 2 + 0.5 * gz(x, i, j) ** 2 + eps * eps) - eps);
      return s;
    };
    // Lagged diffusivity: v^T H v = sum area (aX gx(v)^2 + aZ gz(v)^2) / u(m).
    const vHv = (() => {
      let s = 0;
      for (let i = 0; i < nz; i++)
        for (let j = 0; j < nx; j++) {
          const u = Math.sqrt(1.5 * gx(m, i, j) ** 2 + 0.5 * gz(m, i, j) ** 2 + eps * eps);
          s += (hx[j]! * hz[i]! * (1.5 * gx(v, i, j) ** 2 + 0.5 * gz(v, i, j) ** 2)) / u;
        }
      return s;
    })();
    const [mt, vt] = [T(m), T(v)];
    const phi = reg.value(mt);
    expect(Math.abs((await phi.item()) - tvRef(m)) / tvRef(m)).toBeLessThan(1e-5);
    // Central differences of the float64 reference along v, against <gradient, v>.
    const gradT = reg.gradient(mt);
    const grad = await values(gradT);
    const h = 1e-5;
    const fd = (tvRef(m.map((x, i) => x + h * v[i]!)) - tvRef(m.map((x, i) => x - h * v[i]!))) / (2 * h);
    expect(Math.abs(grad.reduce((s, gi, i) => s + gi * v[i]!, 0) - fd) / Math.abs(fd)).toBeLessThan(1e-4);
    const taylor = await tl.taylorTest((x) => reg.value(x), mt, { gradient: gradT });
    expect(taylor.passed, taylor.message).toBe(true);
    const hvT = reg.hessianVector(mt, vt);
    const hv = await values(hvT);
    expect(Math.abs(hv.reduce((s, hi, i) => s + hi * v[i]!, 0) - vHv) / vHv).toBeLessThan(1e-5);
    for (const t of [phi, mt, vt, gradT, hvT]) t.dispose();
    reg.dispose();
  });
});
