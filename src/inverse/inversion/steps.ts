// One outer iteration of invert at fixed beta on phi(m) = phi_d(m) + beta phi_m(m): an inexact
// Gauss-Newton step (preconditioned CG on the GN system, then a backtracking Armijo line search)
// or a run of L-BFGS steps (the GPU two-loop recursion of nn/twoloop.ts, same line search).
// Reads back: a few scalars per line-search trial; none inside CG.
import { type Tensor, tidy } from '../../graph/tensor.js';
import { add, div, gt, max, maximum, minimum, mul, neg, sqrt, stack, sub, sum, where } from '../../autodiff/ops.js';
import type { History } from '../../nn/twoloop.js';
import type { Regularization } from './regularization.js';
import { type DataMisfit, simCall } from './simulation.js';
import { dataHessianVector } from './directives.js';

/** A model with its weighted residual r = W (d(m) - dObs) and the two objective values (read back). */
export interface Point {
  m: Tensor;
  r: Tensor;
  phiD: number;
  phiM: number;
}

export interface Problem {
  misfit: DataMisfit;
  reg: Regularization;
  beta: number;
  lower: Tensor | number | null;
  upper: Tensor | number | null;
  lineSearchIterations: number;
  armijo: number;
  /** Jacobi preconditioner's data part, diag(2 J^T W^T W J), or null. */
  dataDiagonal: Tensor | null;
}

const TINY = 1e-30;

export function disposePoint(p: Point): void {
  p.m.dispose();
  p.r.dispose();
}

async function readScalars(ts: Tensor[]): Promise<number[]> {
  const packed = tidy(() => stack(ts));
  const v = Array.from(await packed.data());
  packed.dispose();
  for (const t of ts) t.dispose();
  return v;
}

/** Clips m to the bounds (a new tensor). */
export function project(P: Problem, m: Tensor): Tensor {
  return tidy(() => {
    let x = add(m, 0);
    if (P.lower !== null) x = maximum(x, P.lower);
    if (P.upper !== null) x = minimum(x, P.upper);
    return x;
  });
}

/** Evaluates the objective's parts at m (m is taken over by the point). */
export async function evaluate(P: Problem, m: Tensor): Promise<Point> {
  const { sim, nData } = P.misfit;
  const d = await simCall(sim.dpred(m), nData, 'sim.dpred(m)', 'sim.nData');
  const { r, phiD } = P.misfit.residual(d);
  d.dispose();
  const [phiDv, phiMv] = await readScalars([phiD, P.reg.value(m)]);
  return { m, r, phiD: phiDv!, phiM: phiMv! };
}

/** g = 2 J^T W r + beta phi_m'(m). */
export async function gradient(P: Problem, x: Point): Promise<Tensor> {
  const { sim, weights } = P.misfit;
  const wr = tidy(() => mul(x.r, weights));
  const jt = await simCall(sim.Jtvec(x.m, wr), sim.nModel, 'sim.Jtvec(m, w)', 'sim.nModel');
  wr.dispose();
  const g = tidy(() => add(mul(jt, 2), mul(P.reg.gradient(x.m), P.beta)));
  jt.dispose();
  return g;
}

/**
 * Preconditioned CG on H x = b for `iterations` steps from x = 0. Once |r| <= tol |b| the step
 * length is masked to 0 on the device, so the count is fixed and nothing is read back (unless
 * checkEvery > 0). Returns x and |r| / |b| (tensors).
 */
export async function conjugateGradients(
  H: (v: Tensor) => Promise<Tensor>,
  b: Tensor,
  iterations: number,
  tol: number,
  invDiag: Tensor | null,
  checkEvery = 0,
): Promise<{ x: Tensor; relResidual: Tensor }> {
  const dot = (a: Tensor, c: Tensor): Tensor => sum(mul(a, c));
  const precond = (r: Tensor): Tensor => (invDiag ? mul(r, invDiag) : r);
  let [x, r, p, rz, bb] = tidy(() => {
    const z = precond(b);
    return [mul(b, 0), add(b, 0), add(z, 0), dot(b, z), dot(b, b)];
  });
  for (let k = 0; k < iterations; k++) {
    const hp = await H(p);
    const next = tidy(() => {
      const active = gt(dot(r, r), mul(bb, tol * tol));
      const alpha = where(active, div(rz, maximum(dot(p, hp), TINY)), 0);
      const x1 = add(x, mul(alpha, p));
      const r1 = sub(r, mul(alpha, hp));
      const z1 = precond(r1);
      const rz1 = dot(r1, z1);
      const p1 = add(z1, mul(div(rz1, maximum(rz, TINY)), p));
      return [x1, r1, p1, rz1];
    });
    for (const t of [x, r, p, rz, hp]) t.dispose();
    [x, r, p, rz] = next as [Tensor, Tensor, Tensor, Tensor];
    // Optional early exit for costly simulations: one read-back every checkEvery steps saves the J v
    // and J^T w that masked steps would still spend.
    if (checkEvery > 0 && (k + 1) % checkEvery === 0 && k + 1 < iterations) {
      const open = tidy(() => gt(dot(r, r), mul(bb, tol * tol)));
      const go = (await open.data())[0] !== 0;
      open.dispose();
      if (!go) break;
    }
  }
  const relResidual = tidy(() => sqrt(div(dot(r, r), maximum(bb, TINY))));
  for (const t of [r, p, rz, bb]) t.dispose();
  return { x, relResidual };
}

/**
 * Backtracking Armijo search along `dir` from x: m(a) = project(m + a dir), accepted when
 * phi(m(a)) <= phi(x) + c1 g.(m(a) - m), halving a up to `lineSearchIterations` times. One
 * read-back per trial. Returns the new point and a, or null when no trial decreased phi enough.
 */
export async function lineSearch(
  P: Problem,
  x: Point,
  dir: Tensor,
  g: Tensor,
  a0: number,
  extra: Tensor[] = [],
): Promise<{ point: Point; step: number; extra: number[] } | null> {
  const { sim, nData } = P.misfit;
  const f0 = x.phiD + P.beta * x.phiM;
  let a = a0;
  let pending = extra;
  for (let t = 0; t < P.lineSearchIterations; t++, a /= 2) {
    const m1 = tidy(() => project(P, add(x.m, mul(dir, a))));
    const d = await simCall(sim.dpred(m1), nData, 'sim.dpred(m)', 'sim.nData');
    const { r, phiD } = P.misfit.residual(d);
    d.dispose();
    const gd = tidy(() => sum(mul(g, sub(m1, x.m))));
    const [phiDv, phiMv, gdv, ...rest] = await readScalars([phiD, P.reg.value(m1), gd, ...pending]);
    const more = pending.length ? rest : [];
    pending = [];
    const f1 = phiDv! + P.beta * phiMv!;
    if (Number.isFinite(f1) && f1 < f0 && f1 <= f0 + P.armijo * Math.min(gdv!, 0))
      return { point: { m: m1, r, phiD: phiDv!, phiM: phiMv! }, step: a, extra: more };
    m1.dispose();
    r.dispose();
  }
  for (const t of pending) t.dispose();
  return null;
}

/** The GN operator v -> 2 J^T W^T W J v + beta phi_m''(m) v. */
function gnHessian(P: Problem, m: Tensor): (v: Tensor) => Promise<Tensor> {
  return async (v) => {
    const hd = await dataHessianVector(P.misfit, m, v);
    const out = tidy(() => add(hd, mul(P.reg.hessianVector(m, v), P.beta)));
    hd.dispose();
    return out;
  };
}

/** One inexact Gauss-Newton step. */
export async function gaussNewtonStep(
  P: Problem,
  x: Point,
  cg: { iterations: number; tolerance: number; checkEvery: number },
): Promise<{ point: Point; step: number; cgResidual: number } | null> {
  const g = await gradient(P, x);
  const invDiag = tidy(() => {
    const dReg = mul(P.reg.hessianDiagonal(x.m), P.beta);
    const diag = P.dataDiagonal ? add(dReg, P.dataDiagonal) : dReg;
    // A zero diagonal entry (a cell no datum or term sees) gets the largest entry's scaling instead
    // of 1/0; an all-zero diagonal (beta 0 and no jtjDiagonal) means no preconditioning.
    const top = max(diag);
    const fallback = where(gt(top, 0), div(1, maximum(top, TINY)), 1);
    return where(gt(diag, mul(top, 1e-12)), div(1, maximum(diag, TINY)), fallback);
  });
  const rhs = neg(g);
  const { x: dm, relResidual } = await conjugateGradients(gnHessian(P, x.m), rhs, cg.iterations, cg.tolerance, invDiag, cg.checkEvery);
  rhs.dispose();
  invDiag.dispose();
  const res = await lineSearch(P, x, dm, g, 1, [relResidual]);
  g.dispose();
  dm.dispose();
  if (!res) return null;
  return { point: res.point, step: res.step, cgResidual: res.extra[0]! };
}

/**
 * `iterations` L-BFGS steps with the memory `hist` (the caller resets it when beta or phi_m changes).
 * Pairs use s = m1 - m (exact under projection) and are skipped when s.y <= 0. On a failed line
 * search the memory is dropped and steepest descent tried once more before giving up.
 */
export async function lbfgsSteps(
  P: Problem,
  start: Point,
  hist: History,
  iterations: number,
): Promise<{ point: Point; steps: number; step: number } | null> {
  let x = start;
  let g = await gradient(P, x);
  let steps = 0;
  let lastStep = 0;
  try {
    while (steps < iterations) {
      const fresh = hist.length === 0;
      const dir = fresh ? neg(g) : hist.direction(g);
      // Without curvature pairs: the Cauchy step g.g / g.H g along -g (H the GN Hessian, one J v and J^T w),
      // which a fixed first step cannot match when the Hessian's scale is unknown (1e4 in the tests).
      let a0 = 1;
      if (fresh) {
        const hg = await gnHessian(P, x.m)(g);
        const [gg, ghg] = await readScalars([tidy(() => sum(mul(g, g))), tidy(() => sum(mul(g, hg)))]);
        hg.dispose();
        a0 = ghg! > 0 ? gg! / ghg! : 1;
      }
      const res = await lineSearch(P, x, dir, g, a0);
      dir.dispose();
      if (!res) {
        if (fresh) break;
        hist.reset();
        continue;
      }
      const g1 = await gradient(P, res.point);
      const s = tidy(() => sub(res.point.m, x.m));
      const sy = tidy(() => sum(mul(s, sub(g1, g))));
      const syv = await sy.item();
      sy.dispose();
      // Curvature condition: a pair with s.y <= 0 would make the inverse-Hessian estimate indefinite.
      if (syv > 1e-12 * Math.abs(res.point.phiD + P.beta * res.point.phiM)) hist.push(1, s, g1, g, syv);
      s.dispose();
      g.dispose();
      if (x !== start) disposePoint(x);
      x = res.point;
      g = g1;
      steps++;
      lastStep = res.step;
    }
  } finally {
    g.dispose();
  }
  return steps > 0 ? { point: x, steps, step: lastStep } : null;
}
