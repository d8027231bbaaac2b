// Gradient checks for people writing their own differentiable physics: the Taylor test (does the
// gradient predict f to second order?) and the dot-product test (is AT the adjoint of A?). Both
// return the numbers behind the verdict, so a failure can be read, not just detected.
import { type Tensor, tidy } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { checkFinite, checkInt, checkTensor } from '../ops/emit.js';
import { randn } from '../ops/creation.js';
import { concat, stack } from '../autodiff/ops.js';
import { grad } from '../autodiff/transforms.js';

export interface TaylorOptions {
  /** The gradient of f at x (same shape as x) to test. Default: the tape's, grad(f)(x). */
  gradient?: Tensor;
  /**
   * Perturbation direction v (x's shape). Default: (r/|r| + g/|g|) scaled to ||v|| = ||x|| (sqrt(size)
   * if x = 0), r normal samples, so h is a relative perturbation of x.
   */
  direction?: Tensor;
  /** Largest step. Default 0.1: with the default v, a 10% relative perturbation of x. */
  h0?: number;
  /** Number of steps. Default 6. */
  steps?: number;
  /** Ratio between successive steps. Default 0.5, so h runs from 0.1 to 0.003. */
  factor?: number;
  /** Seed of the default direction. Default 0. */
  seed?: number;
}

export interface TaylorResult {
  hs: number[];
  /** |f(x + h v) - f(x)|: O(h), slope 1 on log-log axes. */
  r0: number[];
  /** |f(x + h v) - f(x) - h <g, v>|: O(h^2), slope 2, when the gradient is right (slope 1 when it is wrong). */
  r1: number[];
  slope0: number;
  slope1: number;
  /** f(x) and <g, v>. */
  f0: number;
  gv: number;
}

/** Least-squares slope of log r against log h, over the points with r > 0. */
function slope(hs: number[], r: number[]): number {
  const pts = hs.map((h, i) => [Math.log(h), Math.log(r[i]!)] as const).filter(([, y]) => Number.isFinite(y));
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((s, [x]) => s + x, 0) / pts.length;
  const my = pts.reduce((s, [, y]) => s + y, 0) / pts.length;
  const sxy = pts.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = pts.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

function sameShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new Error(`tellus: ${what} has shape ${fmt(t.shape)}, expected ${fmt(shape)}`);
  if (t.dtype !== 'float32') throw new TypeError(`tellus: ${what} must be float32, got ${t.dtype}`);
}

const dot64 = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Taylor test of a gradient. Defaults suit float32: f is computed to ~1e-7 relative (more where
 * approximate ops such as sin, ~2e-6 absolute, enter), and with v as large as x, h from 0.1 to 0.003
 * keeps r1 ~ h^2 |v.Hv| / 2 about 1e2-1e5 above that round-off when f varies on the scale of x;
 * smaller h would measure round-off, larger h the cubic term. For functions with other scales, pass
 * `direction` or `h0`. Two read-backs (the norms, then everything
 * else at once); r0, r1 and <g, v> are formed in float64.
 */
export async function taylorTest(f: (x: Tensor) => Tensor, x: Tensor, opts: TaylorOptions = {}): Promise<TaylorResult> {
  const what = 'taylorTest(f, x, opts)';
  if (typeof f !== 'function') throw new TypeError(`tellus: ${what}: f must be a function x => loss, got ${typeof f}`);
  checkTensor(x, `${what}: x`);
  sameShape(x, x.shape, `${what}: x`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`tellus: ${what}: opts must be an object, got ${String(opts)}`);
  const g = opts.gradient === undefined ? (grad(f)(x) as Tensor) : checkTensor(opts.gradient, `${what}: opts.gradient`);
  sameShape(g, x.shape, `${what}: opts.gradient`);
  const h0 = checkFinite(opts.h0 ?? 0.1, `${what}: opts.h0`);
  const steps = checkInt(opts.steps ?? 6, `${what}: opts.steps`, 2);
  const factor = checkFinite(opts.factor ?? 0.5, `${what}: opts.factor`);
  if (h0 <= 0 || factor <= 0 || factor >= 1) throw new RangeError(`tellus: ${what}: expected h0 > 0 and 0 < factor < 1, got h0 ${h0}, factor ${factor}`);
  if (opts.direction !== undefined) sameShape(checkTensor(opts.direction, `${what}: opts.direction`), x.shape, `${what}: opts.direction`);
  const hs = Array.from({ length: steps }, (_, k) => h0 * factor ** k);

  let v = opts.direction;
  if (!v) {
    // Half random, half along the gradient: a purely random v in n dimensions is nearly orthogonal
    // to g (<g, v> ~ |g||v| / sqrt(n)), so r0 would be ruled by its h^2 term and slope0 would not show 1.
    const r = randn(x.shape, { seed: checkInt(opts.seed ?? 0, `${what}: opts.seed`, 0) });
    const norms = tidy(() => stack([x.square().sum(), r.square().sum(), g.square().sum(), r.mul(g).sum()]));
    const [xx, rr, gg, rg] = Array.from(await norms.data());
    norms.dispose();
    const [nr, ng] = [Math.sqrt(rr!), Math.sqrt(gg!)];
    const size = Math.sqrt(xx! > 0 ? xx! : x.size);
    const mixed = ng > 0 ? Math.sqrt(2 + (2 * rg!) / (nr * ng)) : 1;
    v = tidy(() => (ng > 0 ? r.div(nr).add(g.div(ng)) : r.div(nr)).mul(size / mixed));
    r.dispose();
  }
  const dir = v;
  const scalar = (t: unknown, at: string): Tensor => {
    const s = checkTensor(t, `${what}: f(x) at ${at}`);
    if (s.size !== 1 || s.dtype !== 'float32') throw new Error(`tellus: ${what}: f must return a one-element float32 tensor, got ${s.dtype} ${fmt(s.shape)} at ${at}`);
    return s.reshape([]);
  };
  // One read-back: [f(x), f(x + h v) for each h, g, v].
  const packed = tidy(() => {
    const fs = [scalar(f(x), 'x'), ...hs.map((h) => scalar(f(x.add(dir.mul(h))), `x + ${h} v`))];
    return concat([stack(fs), g.reshape([-1]), dir.reshape([-1])]);
  });
  const all = await packed.data();
  packed.dispose();
  if (dir !== opts.direction) dir.dispose();
  if (g !== opts.gradient) g.dispose();
  const n = x.size;
  const f0 = all[0]!;
  const fh = Array.from(all.subarray(1, steps + 1));
  const gv = dot64(all.subarray(steps + 1, steps + 1 + n), all.subarray(steps + 1 + n));
  const r0 = fh.map((v) => Math.abs(v - f0));
  const r1 = fh.map((v, k) => Math.abs(v - f0 - hs[k]! * gv));
  return { hs, r0, r1, slope0: slope(hs, r0), slope1: slope(hs, r1), f0, gv };
}

export interface DotTestResult {
  /** <A x, y> */
  lhs: number;
  /** <x, AT y> */
  rhs: number;
  /** |lhs - rhs| / max(|lhs|, |rhs|) */
  relError: number;
}

/**
 * Dot-product (adjoint) test: <A x, y> = <x, AT y> for random x and y. Both inner products are
 * accumulated in float64 from read-back float32 values: a float32 reduction over n terms errs by
 * up to ~sqrt(n) 6e-8 of the sum of |terms|, which for large operators (and cancelling terms) would
 * swamp the mismatch the test looks for; in float64 only A's and AT's own round-off remains.
 */
export async function dotTest(A: (x: Tensor) => Tensor, AT: (y: Tensor) => Tensor, xShape: readonly number[], yShape: readonly number[], opts: { seed?: number } = {}): Promise<DotTestResult> {
  const what = 'dotTest(A, AT, xShape, yShape)';
  if (typeof A !== 'function' || typeof AT !== 'function') throw new TypeError(`tellus: ${what}: A and AT must be functions of a tensor`);
  const seed = checkInt(opts.seed ?? 0, `${what}: opts.seed`, 0);
  const parts = tidy(() => {
    const x = randn(xShape, { seed });
    const y = randn(yShape, { seed: seed + 1 });
    const ax = checkTensor(A(x), `${what}: A(x)`);
    sameShape(ax, yShape, `${what}: A(x)`);
    const aty = checkTensor(AT(y), `${what}: AT(y)`);
    sameShape(aty, xShape, `${what}: AT(y)`);
    return concat([x, aty, ax, y].map((t) => t.reshape([-1])));
  });
  const all = await parts.data();
  parts.dispose();
  const nx = xShape.reduce((a, b) => a * b, 1);
  const ny = yShape.reduce((a, b) => a * b, 1);
  const rhs = dot64(all.subarray(0, nx), all.subarray(nx, 2 * nx));
  const lhs = dot64(all.subarray(2 * nx, 2 * nx + ny), all.subarray(2 * nx + ny));
  const scale = Math.max(Math.abs(lhs), Math.abs(rhs));
  return { lhs, rhs, relError: scale === 0 ? 0 : Math.abs(lhs - rhs) / scale };
}
