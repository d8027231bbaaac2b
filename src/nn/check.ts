// Gradient checks for people writing their own differentiable physics: the Taylor test (does the
// gradient predict f to second order?) and the dot-product test (is AT the adjoint of A?). Both
// return the numbers behind the verdict, so a failure can be read, not just detected.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { type Tensor, tidy } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { checkFinite, checkInt, checkTensor } from '../ops/emit.js';
import { randn, tensor } from '../ops/creation.js';
import { concat, stack } from '../autodiff/ops.js';
import { grad } from '../autodiff/transforms.js';

/** float32 machine epsilon, 2^-23: the unit of the round-off floor below. */
const EPS32 = 2 ** -23;
/**
 * Coefficients of the round-off floor of r1, in units of EPS32 (see taylorTest). EVAL: the float32
 * evaluations of f measured 0.4-1.7 EPS32 of |f| in error (FNO2d and SpectralConv2d losses on
 * SwiftShader and llvmpipe) and r1 subtracts two of them, so 8 leaves a margin of 2.5-10.
 * GRADIENT: the gradient's own float32 rounding measured ~8 EPS32 of Σ|g_i v_i| in <g, v>, and
 * it enters r1 as h <δg, v>; 64 leaves a margin of 8.
 */
const FLOOR_EVAL = 8;
const FLOOR_GRADIENT = 64;

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
  /**
   * The size of the terms f sums, Σ|t_i| for f = Σ t_i, where they cancel so that |f(x)| understates
   * f's round-off (a misfit that is nearly zero, a difference of large energies). Default 0: |f(x)|
   * and Σ|g_i x_i| set the scale.
   */
  fScale?: number;
  /**
   * The absolute round-off of f, when known to exceed the model's (long float32 computations such
   * as many time steps, whose error is well above a few eps): added to the floor. Default 0.
   */
  fNoise?: number;
  /** Number of consecutive steps slope1 is fitted on. Default 2: the smallest usable pair. */
  window?: number;
  /** Passing criterion: slope1 >= minSlope. Default 1.3 (a right gradient gives ~2, a wrong one ~1). */
  minSlope?: number;
}

export interface TaylorResult {
  hs: number[];
  /** |f(x + h v) - f(x)|: O(h), slope 1 on log-log axes. */
  r0: number[];
  /** |f(x + h v) - f(x) - h <g, v>|: O(h^2), slope 2, when the gradient is right (slope 1 when it is wrong). */
  r1: number[];
  /** Slope of log r0 against log h on the smallest `window` consecutive steps whose r0 clear the floor (NaN if none). */
  slope0: number;
  /** Slope of log r1 against log h on the steps `used`: the verdict's number (NaN if no step is usable). */
  slope1: number;
  /** Least-squares slopes over all steps, for information: round-off at small h and higher-order terms at large h bend them. */
  fit0: number;
  fit1: number;
  /** f(x) and <g, v>. */
  f0: number;
  gv: number;
  /** Σ|g_i v_i| and Σ|g_i x_i|, the sizes of the terms of <g, v> and <g, x>. */
  gvTerms: number;
  gxTerms: number;
  /** The float32 round-off floor of r1 at each step (see taylorTest). */
  floor: number[];
  /** Indices into hs of the steps slope1 was measured on: empty when fewer than `window` consecutive r1 clear the floor. */
  used: number[];
  /**
   * The smallest relative error in <g, v> these steps can show: an error e <g, v> h rules r1 only
   * where it exceeds both the floor and the h^2 term C h^2, which needs e > sqrt(C floor) / |<g, v>|
   * (C = r1 / h^2 at the largest step used; NaN if none). A gradient wrong by less passes.
   */
  resolution: number;
  /** slope1 >= minSlope on usable steps. */
  passed: boolean;
  /** The verdict in words, with the criterion and the numbers behind it. */
  message: string;
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

/** The last `window` consecutive indices (smallest h) whose r clears the floor; [] if none. */
function smallestUsable(r: number[], floor: number[], window: number): number[] {
  let run = 0;
  let last = -1;
  r.forEach((v, k) => {
    run = v > floor[k]! ? run + 1 : 0;
    if (run >= window) last = k;
  });
  return last < 0 ? [] : Array.from({ length: window }, (_, j) => last - window + 1 + j);
}

function sameShape(t: Tensor, shape: readonly number[], fn: string, arg: string): void {
  const want = `a float32 tensor of shape ${fmt(shape)}`;
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw argError(fn, arg, want, t, Error);
  if (t.dtype !== 'float32') throw argError(fn, arg, want, t);
}

const dot64 = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const absDot64 = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
};

const e = (v: number): string => v.toExponential(2);

/**
 * Taylor test of a gradient g of f at x along v: r0(h) = |f(x + h v) - f(x)| is O(h) and
 * r1(h) = |f(x + h v) - f(x) - h <g, v>| is O(h^2) when g is right, O(h) when it is not.
 *
 * Where the slope is measured: in float32, r1 stops falling at round-off, and at large h it may
 * not yet be quadratic, so a fit over all steps is unreliable both ways. The test computes a
 * round-off floor for each step,
 *
 *   floor(h) = eps (8 (|f(x)| + fScale) + Σ|g_i x_i|) + 64 eps h Σ|g_i v_i| + fNoise,  eps = 2^-23,
 *
 * from three sources: the float32 evaluations of f (measured 0.4-1.7 eps of |f|; r1 subtracts
 * two; 8 leaves a margin), the rounding of x + h v (at most eps/2 |x_i| per entry, which moves f
 * by up to eps/2 Σ|g_i x_i|; counted twice) and the gradient's own float32 rounding (measured
 * ~8 eps of Σ|g_i v_i| in <g, v>, times h; 64 leaves a margin). Pass fScale when f is a small
 * difference of large terms and fNoise when f comes out of a long computation whose round-off is
 * known (both default 0). slope1 is the slope of r1 on the
 * smallest `window` consecutive steps (default 2) whose r1 all stand above the floor: the smallest
 * steps, because a first-order error there stands out most against the h^2 term. It passes at
 * slope1 >= 1.3: a right gradient measured 1.4-2.5 on usable pairs (an exact 2 only when r1 is far
 * above round-off; near the floor round-off moves it either way), a wrong one ~1.0 wherever its
 * error stands above round-off. `resolution` says how small an error in <g, v> the steps could show
 * (a 1% error in an FNO gradient fails along v = g, where it measured 0.07-0.5%). When no `window` consecutive steps clear the floor
 * the test fails and says so: raise h0 or use a larger direction (with a linear f, r1 is round-off
 * at every step and the test cannot judge the gradient; use dotTest on its linear map instead).
 *
 * Defaults suit float32: with v as large as x, h from 0.1 to 0.003 keeps r1 ~ h^2 |v.Hv| / 2
 * about 1e2-1e5 above the floor when f varies on the scale of x. For functions with other scales,
 * pass `direction` or `h0`. Two read-backs (the norms, then everything else at once); r0, r1,
 * <g, v> and the floor are formed in float64.
 */
const TAYLOR_OPTIONS = optionNames<TaylorOptions>()(
  'gradient',
  'direction',
  'h0',
  'steps',
  'factor',
  'seed',
  'fScale',
  'fNoise',
  'window',
  'minSlope',
);

export async function taylorTest(f: (x: Tensor) => Tensor, x: Tensor, opts: TaylorOptions = {}): Promise<TaylorResult> {
  const what = 'taylorTest(f, x, opts)';
  if (typeof f !== 'function') throw argError(what, 'f', 'a function x => loss', f);
  checkTensor(x, what, 'x');
  sameShape(x, x.shape, what, 'x');
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an object', opts);
  checkOptions(opts, TAYLOR_OPTIONS, what);
  const h0 = checkFinite(opts.h0 ?? 0.1, what, 'opts.h0');
  const steps = checkInt(opts.steps ?? 6, what, 'opts.steps', 2);
  const factor = checkFinite(opts.factor ?? 0.5, what, 'opts.factor');
  if (h0 <= 0) throw argError(what, 'opts.h0', 'a number > 0', h0, RangeError);
  if (factor <= 0 || factor >= 1) throw argError(what, 'opts.factor', 'a number in (0, 1)', factor, RangeError);
  const fScale = checkFinite(opts.fScale ?? 0, what, 'opts.fScale');
  if (fScale < 0) throw argError(what, 'opts.fScale', 'a number >= 0', fScale, RangeError);
  const fNoise = checkFinite(opts.fNoise ?? 0, what, 'opts.fNoise');
  if (fNoise < 0) throw argError(what, 'opts.fNoise', 'a number >= 0', fNoise, RangeError);
  const window = checkInt(opts.window ?? 2, what, 'opts.window', 2);
  if (window > steps) throw argError(what, 'opts.window', `an integer <= opts.steps (${steps})`, window, RangeError);
  const minSlope = checkFinite(opts.minSlope ?? 1.3, what, 'opts.minSlope');
  const seed = checkInt(opts.seed ?? 0, what, 'opts.seed', 0);
  if (opts.direction !== undefined) sameShape(checkTensor(opts.direction, what, 'opts.direction'), x.shape, what, 'opts.direction');
  const g = opts.gradient === undefined ? (grad(f)(x) as Tensor) : checkTensor(opts.gradient, what, 'opts.gradient');
  sameShape(g, x.shape, what, 'opts.gradient');
  const hs = Array.from({ length: steps }, (_, k) => h0 * factor ** k);

  let v = opts.direction;
  if (!v) {
    // Half random, half along the gradient: a purely random v in n dimensions is nearly orthogonal
    // to g (<g, v> ~ |g||v| / sqrt(n)), so r0 would be ruled by its h^2 term and slope0 would not show 1.
    const r = randn(x.shape, { seed });
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
    const s = checkTensor(t, what, `f(${at})`);
    if (s.size !== 1 || s.dtype !== 'float32') throw argError(what, `f(${at})`, 'a float32 tensor with one element', s, Error);
    return s.reshape([]);
  };
  // One read-back: [f(x), f(x + h v) for each h, g, v, x].
  const packed = tidy(() => {
    const fs = [scalar(f(x), 'x'), ...hs.map((h) => scalar(f(x.add(dir.mul(h))), `x + ${h} v`))];
    return concat([stack(fs), g.reshape([-1]), dir.reshape([-1]), x.reshape([-1])]);
  });
  const all = await packed.data();
  packed.dispose();
  if (dir !== opts.direction) dir.dispose();
  if (g !== opts.gradient) g.dispose();
  const n = x.size;
  const f0 = all[0]!;
  const fh = Array.from(all.subarray(1, steps + 1));
  const [gs, vs, xs] = [0, 1, 2].map((j) => all.subarray(steps + 1 + j * n, steps + 1 + (j + 1) * n)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const gv = dot64(gs, vs);
  const gvTerms = absDot64(gs, vs);
  const gxTerms = absDot64(gs, xs);
  const r0 = fh.map((v) => Math.abs(v - f0));
  const r1 = fh.map((v, k) => Math.abs(v - f0 - hs[k]! * gv));
  const floor = hs.map((h) => fNoise + EPS32 * (FLOOR_EVAL * (Math.abs(f0) + fScale) + gxTerms + FLOOR_GRADIENT * h * gvTerms));
  const used = smallestUsable(r1, floor, window);
  const used0 = smallestUsable(r0, floor, window);
  const at = (r: number[], idx: number[]): number =>
    idx.length
      ? slope(
          idx.map((k) => hs[k]!),
          idx.map((k) => r[k]!),
        )
      : NaN;
  const slope1 = at(r1, used);
  const numbers = `f(x) ${e(f0)}, <g, v> ${e(gv)} (Σ|g v| ${e(gvTerms)}), h ${hs.map(e).join(' ')}, r1 ${r1.map(e).join(' ')}, floor ${floor.map(e).join(' ')}`;
  const resolution = used.length ? Math.sqrt((r1[used[0]!]! / hs[used[0]!]! ** 2) * Math.min(...floor)) / Math.abs(gv) : NaN;
  let passed = false;
  let message: string;
  if (![f0, ...fh, gv].every(Number.isFinite)) {
    message = `${what}: f or <g, v> is not finite: ${numbers}`;
  } else if (!used.length) {
    message = `${what}: no ${window} consecutive steps have r1 above the float32 round-off floor, so the slope cannot be measured: raise h0 or use a larger direction (if f is linear along v, r1 is pure round-off; test its map with dotTest). ${numbers}`;
  } else {
    passed = slope1 >= minSlope;
    const span = `h = ${hs[used[0]!]} to ${hs[used.at(-1)!]}`;
    message = passed
      ? `${what}: passed: slope1 ${slope1.toFixed(3)} >= ${minSlope} on ${span} (a relative error in <g, v> below ~${e(resolution)} would not show). ${numbers}`
      : `${what}: failed: slope1 ${slope1.toFixed(3)} < ${minSlope} on ${span}: the gradient's error is first order (a wrong gradient gives ~1). ${numbers}`;
  }
  return {
    hs,
    r0,
    r1,
    slope0: at(r0, used0),
    slope1,
    fit0: slope(hs, r0),
    fit1: slope(hs, r1),
    f0,
    gv,
    gvTerms,
    gxTerms,
    floor,
    used,
    resolution,
    passed,
    message,
  };
}

export interface DotTestOptions {
  /** Seed of x (and of the noise in y). Default 0. */
  seed?: number;
  /**
   * How y is drawn. 'range' (default): y = A x + n, n normal noise with ||n|| = ||A x|| (unit normal
   * if A x = 0), so <A x, y> ~ ||A x||^2 carries signal while n still probes AT off A's range.
   * 'random': y normal, independent of A (<A x, y> is then a sum of random-sign terms).
   */
  y?: 'range' | 'random';
  /** Passing criterion: relError <= tol. Default 1e-4 (see dotTest). */
  tol?: number;
}

export interface DotTestResult {
  /** <A x, y> */
  lhs: number;
  /** <x, AT y> */
  rhs: number;
  /** max(Σ|(A x)_i y_i|, Σ|x_i (AT y)_i|): the size of the terms both inner products sum. */
  scale: number;
  /** |lhs - rhs| / scale (0 when both are 0). */
  relError: number;
  tol: number;
  /** relError <= tol. */
  passed: boolean;
  /** The verdict in words, with the numbers behind it. */
  message: string;
}

/**
 * Dot-product (adjoint) test: <A x, y> = <x, AT y> for x normal and, by default, y = A x + n (see
 * DotTestOptions.y: with a purely random y the inner products can nearly cancel, and a mismatch
 * relative to them would measure that cancellation). Both inner products are accumulated in
 * float64 from read-back float32 values (a float32 reduction over n terms errs by up to ~sqrt(n)
 * 6e-8 of Σ|terms|, enough to swamp the mismatch sought), and the mismatch is taken relative to
 * Σ|terms|, which bounds what the float32 round-off of A and AT can contribute.
 *
 * Passes at relError <= tol, default 1e-4: a float32 operator of a few ops errs by ~1e-7 of its
 * scale, a long chain (100-200 time steps of a wave propagator) by up to ~1e-5; a wrong adjoint
 * (a missing transpose, a factor, a dropped boundary term of relative size d) gives ~d, 1e-2 to 1.
 * Tighten tol for short operators. Two read-backs: x and A x, then AT y.
 */
const DOT_OPTIONS = optionNames<DotTestOptions>()('seed', 'y', 'tol');

export async function dotTest(
  A: (x: Tensor) => Tensor,
  AT: (y: Tensor) => Tensor,
  xShape: readonly number[],
  yShape: readonly number[],
  opts: DotTestOptions = {},
): Promise<DotTestResult> {
  const what = 'dotTest(A, AT, xShape, yShape)';
  if (typeof A !== 'function') throw argError(what, 'A', 'a function of a tensor', A);
  if (typeof AT !== 'function') throw argError(what, 'AT', 'a function of a tensor', AT);
  if (opts === null || typeof opts !== 'object') throw argError(what, 'opts', 'an object', opts);
  checkOptions(opts, DOT_OPTIONS, what);
  const seed = checkInt(opts.seed ?? 0, what, 'opts.seed', 0);
  const mode = opts.y ?? 'range';
  if (mode !== 'range' && mode !== 'random') throw argError(what, 'opts.y', "'range' or 'random'", mode);
  const tol = checkFinite(opts.tol ?? 1e-4, what, 'opts.tol');
  if (tol <= 0) throw argError(what, 'opts.tol', 'a number > 0', tol, RangeError);
  const first = tidy(() => {
    const x = randn(xShape, { seed });
    const ax = checkTensor(A(x), what, 'A(x)');
    sameShape(ax, yShape, what, 'A(x)');
    return concat([x, ax, randn(yShape, { seed: seed + 1 })].map((t) => t.reshape([-1])));
  });
  const xan = await first.data();
  first.dispose();
  const nx = xShape.reduce((a, b) => a * b, 1);
  const ny = yShape.reduce((a, b) => a * b, 1);
  const [x, ax, noise] = [xan.subarray(0, nx), xan.subarray(nx, nx + ny), xan.subarray(nx + ny)];
  let y = noise;
  if (mode === 'range') {
    const axx = dot64(ax, ax);
    const k = axx > 0 ? Math.sqrt(axx / dot64(noise, noise)) : 1;
    y = Float32Array.from(ax, (a, i) => a + k * noise[i]!);
  }
  const yt = tensor(y, { shape: [...yShape] });
  let second: Tensor;
  try {
    second = tidy(() => {
      const aty = checkTensor(AT(yt), what, 'AT(y)');
      sameShape(aty, xShape, what, 'AT(y)');
      return aty.reshape([-1]);
    });
  } finally {
    yt.dispose();
  }
  const aty = await second.data();
  second.dispose();
  const lhs = dot64(ax, y);
  const rhs = dot64(x, aty);
  const scale = Math.max(absDot64(ax, y), absDot64(x, aty));
  const relError = scale === 0 ? 0 : Math.abs(lhs - rhs) / scale;
  const passed = relError <= tol;
  const message = `${what}: ${passed ? 'passed' : 'failed'}: <A x, y> ${lhs}, <x, AT y> ${rhs}, |difference| / Σ|terms| = ${e(relError)} ${passed ? '<=' : '>'} tol ${tol} (Σ|terms| ${e(scale)}, y ${mode})`;
  return { lhs, rhs, scale, relError, tol, passed, message };
}
