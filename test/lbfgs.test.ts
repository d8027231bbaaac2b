// L-BFGS with a strong-Wolfe line search: Rosenbrock in 2 and 100 dimensions (value and gradient
// written with slice/pad/arithmetic), a convex quadratic against a float64 solve, one read-back per
// evaluation, no leaked tensors, and argument errors.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { History } from '../src/nn/twoloop.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';

/**
 * Rosenbrock sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 and its gradient. Near the minimum x = 1
 * we write u = x_i - 1 (exact in float32 there) and x_{i+1} - x_i^2 = (x_{i+1} - 1) - u (u + 2), so
 * the residual is not swamped by the rounding of x_i^2 (~6e-8), which would otherwise put a 2e-5
 * noise floor under the gradient.
 */
function rosenbrock(x: tl.Tensor): [tl.Tensor, tl.Tensor] {
  return tl.tidy(() => {
    const n = x.shape[0]!;
    const a = x.slice([[0, n - 1]]);
    const u = a.sub(1);
    const t = x
      .slice([[1, n]])
      .sub(1)
      .sub(u.mul(u.add(2)));
    const f = t.square().mul(100).add(u.square()).sum();
    const g = tl.pad(a.mul(t).mul(-400).add(u.mul(2)), [[0, 1]]).add(tl.pad(t.mul(200), [[1, 0]]));
    return [f, g];
  });
}

async function expectMinimized(r: nn.LbfgsResult, what: string): Promise<number> {
  const x = await r.x.data();
  const err = Math.max(...Array.from(x, (v) => Math.abs(v - 1)));
  // The task's criterion: |x - 1|_inf < 1e-5 or loss < 1e-10 (float32 cannot resolve much below).
  if (!(err < 1e-5 || r.loss < 1e-10))
    throw new Error(`${what}: |x - 1|_inf = ${err}, loss ${r.loss} after ${r.iterations} iterations (${r.reason})`);
  r.x.dispose();
  return err;
}

describe('lbfgs', () => {
  useDevice();

  it('minimizes 2-D Rosenbrock from (-1.2, 1) within 60 iterations, one read-back per evaluation', async () => {
    const x0 = tl.tensor([-1.2, 1]);
    await tl.sync();
    const flushes = tl.memory().flushes;
    const r = await nn.lbfgs(rosenbrock, x0, { maxIter: 200, tolGrad: 1e-6 });
    // Each evaluation reads its scalars back in one submit; nothing else flushes.
    expect(tl.memory().flushes - flushes).toBe(r.evaluations);
    // SciPy's float64 L-BFGS-B (m = 10) takes 38 iterations from this start; 60 leaves room for float32.
    expect(r.iterations).toBeLessThanOrEqual(60);
    expect(r.history[0]).toBeCloseTo(24.2, 4);
    expect(r.history).toHaveLength(r.iterations + 1);
    for (let i = 1; i < r.history.length; i++) expect(r.history[i]!).toBeLessThanOrEqual(r.history[i - 1]!);
    await expectMinimized(r, '2-D Rosenbrock');
    // x0 belongs to the caller and is untouched.
    expect(Array.from(await x0.data())).toEqual([Math.fround(-1.2), 1]);
  });

  it('minimizes 100-D Rosenbrock from (-1.2, 1, -1.2, 1, ...) within 650 iterations', async () => {
    const x0 = tl.tensor(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));
    const r = await nn.lbfgs(rosenbrock, x0, { maxIter: 1000 });
    // The chained valley is followed a few coordinates at a time: SciPy's float64 L-BFGS-B (m = 10)
    // needs 532 iterations from this start. Near x = 1 a float32 x moves in steps of 6e-8, so the
    // gradient cannot fall below ~200 * 1.2e-7 = 2.4e-5 and the run may end with no representable
    // decrease ('lineSearch') rather than at tolGrad; the minimum is still reached.
    expect(r.iterations).toBeLessThanOrEqual(650);
    await expectMinimized(r, '100-D Rosenbrock');
  });

  it('solves a convex quadratic 0.5 x.Ax - b.x (condition ~30) to the float64 solution', async () => {
    const g = rng();
    const n = 48;
    const M = randomFloats(g, 2 * n * n);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < 2 * n; k++) A[i * n + j]! += (M[k * n + i]! * M[k * n + j]!) / ((2 * n) / 3);
    const b = randomFloats(g, n);
    const At = tl.tensor(Float32Array.from(A), { shape: [n, n] });
    const bt = tl.tensor(b);
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] =>
      tl.tidy(() => {
        const Ax = tl.matmul(At, x);
        return [x.mul(Ax.mul(0.5).sub(bt)).sum(), Ax.sub(bt)];
      });
    // The float64 solution, by Gaussian elimination (A is SPD) on the float32-rounded A.
    const Af = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.fround(A[i * n + j]!)));
    const want = Array.from(b, Number);
    for (let c = 0; c < n; c++) {
      for (let r = c + 1; r < n; r++) {
        const k = Af[r]![c]! / Af[c]![c]!;
        for (let j = c; j < n; j++) Af[r]![j]! -= k * Af[c]![j]!;
        want[r]! -= k * want[c]!;
      }
    }
    for (let r = n - 1; r >= 0; r--) {
      for (let j = r + 1; j < n; j++) want[r]! -= Af[r]![j]! * want[j]!;
      want[r]! /= Af[r]![r]!;
    }
    await tl.sync();
    const live = tl.memory().buffersLive;
    // tolLoss 0: near the minimum f = -11.48 stops changing in float32 well before |g| reaches 1e-5.
    const r = await nn.lbfgs(fg, tl.zeros([n]), { history: 5, tolGrad: 1e-5, tolLoss: 0 });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('gradient');
    expect(r.gradNorm).toBeLessThanOrEqual(1e-5);
    // With m = 5 on a 48-D quadratic of condition ~30, L-BFGS needs a few dozen iterations.
    expect(r.iterations).toBeLessThanOrEqual(60);
    const x = await r.x.data();
    // |x - x*| <= |A^-1| |g| ~ 12 * 1e-5 * sqrt(48): the gradient tolerance, not round-off, dominates.
    for (let i = 0; i < n; i++) expect(Math.abs(x[i]! - want[i]!)).toBeLessThan(1e-3);
    r.x.dispose();
    // Everything lbfgs made is gone except the zeros([n]) start it was given (never disposed by lbfgs).
    await tl.sync();
    expect(tl.memory().buffersLive).toBeLessThanOrEqual(live + 1);
  });

  it('runs the multi-dispatch two-loop path (n > 4096) on a diagonal quadratic, with views as loss and gradient', async () => {
    const g = rng();
    const [rows, cols] = [41, 101];
    const lam = randomFloats(g, rows * cols, 1, 20);
    const c = randomFloats(g, rows * cols);
    const L = tl.tensor(lam, { shape: [cols, rows] });
    const C = tl.tensor(c, { shape: [cols, rows] });
    // x is [rows, cols]; the gradient comes back as a transposed view, the loss as a slice at offset 1.
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] =>
      tl.tidy(() => {
        const r = x.T.sub(C);
        const f = L.mul(r.square()).sum().mul(0.5);
        return [tl.stack([f, f]).slice([[1, 2]]), L.mul(r).T];
      });
    // history 3, so the ring of pairs wraps around.
    const r = await nn.lbfgs(fg, tl.zeros([rows, cols]), { history: 3, tolGrad: 1e-4 });
    expect(r.reason).toBe('gradient');
    // A diagonal quadratic with eigenvalues in [1, 20]: a few dozen iterations.
    expect(r.iterations).toBeLessThanOrEqual(60);
    const x = await r.x.data();
    // |x - c| <= |g| / lambda_min = 1e-4 per coordinate.
    let worst = 0;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) worst = Math.max(worst, Math.abs(x[i * cols + j]! - c[j * rows + i]!));
    expect(worst).toBeLessThanOrEqual(1e-4);
    r.x.dispose();
  });

  it('computes the two-loop direction like a float64 reference, in both GPU layouts, across a wrapped ring', async () => {
    const g = rng();
    for (const n of [300, 5000]) {
      const m = 3;
      const h = new History(m, n);
      const pairs: { s: number[]; y: number[] }[] = [];
      const grad = randomFloats(g, n);
      // No pairs yet: steepest descent.
      const d0 = h.direction(tl.tensor(grad));
      assertClose(
        await d0.data(),
        Array.from(grad, (v) => -v),
        { rtol: 0, atol: 0 },
        'k = 0',
      );
      for (let p = 0; p < 5; p++) {
        const d = randomFloats(g, n);
        const gOld = randomFloats(g, n);
        // Positive curvature: y = D s + noise with D in [0.5, 3].
        const curv = randomFloats(g, n, 0.5, 3);
        const gNew = Float32Array.from(gOld, (v, i) => v + curv[i]! * d[i]! + 0.01 * (g.next() - 0.5));
        const s = Array.from(d, (v) => Math.fround(Math.fround(0.5) * v));
        const y = Array.from(gNew, (v, i) => Math.fround(v - gOld[i]!));
        const sy = s.reduce((acc, v, i) => acc + v * y[i]!, 0);
        h.push(0.5, tl.tensor(d), tl.tensor(gNew), tl.tensor(gOld), sy);
        pairs.push({ s, y });
      }
      const got = await h.direction(tl.tensor(grad)).data();
      // Float64 two-loop over the newest m pairs.
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((acc, v, i) => acc + v * b[i]!, 0);
      const kept = pairs.slice(-m);
      const q = Array.from(grad, Number);
      const alpha: number[] = [];
      for (let i = kept.length - 1; i >= 0; i--) {
        alpha[i] = dot(kept[i]!.s, q) / dot(kept[i]!.s, kept[i]!.y);
        kept[i]!.y.forEach((v, j) => (q[j]! -= alpha[i]! * v));
      }
      const last = kept[kept.length - 1]!;
      const gamma = dot(last.s, last.y) / dot(last.y, last.y);
      const r = q.map((v) => v * gamma);
      for (let i = 0; i < kept.length; i++) {
        const beta = dot(kept[i]!.y, r) / dot(kept[i]!.s, kept[i]!.y);
        kept[i]!.s.forEach((v, j) => (r[j]! += (alpha[i]! - beta) * v));
      }
      // Six float32 dot products of length n feed each element: a few 1e-6 relative to |d|_inf.
      const scale = Math.max(...r.map(Math.abs));
      assertClose(
        got,
        r.map((v) => -v),
        { rtol: 0, atol: 2e-5 * scale },
        `seed ${g.seed}: n ${n}`,
      );
      h.dispose();
    }
  });

  it('stops at maxIter or when onIteration says so, reports a bad fg and bad options', async () => {
    const r = await nn.lbfgs(rosenbrock, tl.tensor([-1.2, 1]), { maxIter: 3 });
    expect(r.iterations).toBe(3);
    expect(r.converged).toBe(false);
    expect(r.reason).toBe('maxIter');
    r.x.dispose();
    // onIteration returning true (here from a promise) ends the run after that iteration.
    const c = await nn.lbfgs(rosenbrock, tl.tensor([-1.2, 1]), { onIteration: async (i) => i.iteration === 2 });
    expect(c).toMatchObject({ iterations: 2, reason: 'callback', converged: false });
    expect(c.history).toHaveLength(3);
    c.x.dispose();
    const x = tl.zeros([3]);
    await expect(nn.lbfgs((v) => [v.sum(), v.sum()], x)).rejects.toThrow(
      /fg\(x\)\[1\] \(the gradient\): expected a float32 tensor of x's shape \[3\], got a float32 tensor of shape \[\]/,
    );
    await expect(nn.lbfgs((v) => [v, v] as [tl.Tensor, tl.Tensor], x)).rejects.toThrow(
      /fg\(x\)\[0\] \(the loss\): expected a float32 tensor with one element, got a float32 tensor of shape \[3\]/,
    );
    await expect(nn.lbfgs(rosenbrock, tl.zeros([0]))).rejects.toThrow(
      /lbfgs\(fg, x0, opts\): x0: expected a non-empty tensor, got a float32 tensor of shape \[0\]/,
    );
    await expect(nn.lbfgs((() => 3) as never, x)).rejects.toThrow(
      /lbfgs\(fg, x0, opts\): fg\(x\): expected an array \[loss, grad\], got 3/,
    );
    await expect(nn.lbfgs(rosenbrock, x, { history: 0 })).rejects.toThrow(
      /lbfgs\(fg, x0, opts\): history: expected an integer >= 1, got 0/,
    );
    await expect(nn.lbfgs(rosenbrock, x, { c2: 1e-5 })).rejects.toThrow(
      /lbfgs\(fg, x0, opts\): c2: expected a number in \[0.0001, 1\], got 0.00001/,
    );
    await expect(nn.lbfgs(rosenbrock, tl.zeros([3], 'int32'))).rejects.toThrow(
      /x0: expected a float32 tensor, got an int32 tensor of shape \[3\]/,
    );
  });
});
