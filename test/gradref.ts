// Gradient-test utilities: float64 references shared by the grad-*.test.ts files, central finite
// differences of a float64 loss, batched read-back, the finite-difference gradient check over
// view layouts, the GPU Taylor-remainder test and the hvp check. Tellus only computes the side
// under test here; every expected value comes from float64 arithmetic on the host (or, for hvp,
// from differences of device gradients). GRAD_DEBUG=1 logs each check's measured error.
import { expect } from 'vitest';
import * as tl from '../src/index.js';
import { broadcastShape, HostArray, randomFloats, size, upload, views, type Gen } from './helpers.js';
import { assertWithin, randomHost } from './ref.js';
import { maxAbs } from './numerics.js';

const DEBUG = !!(globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.GRAD_DEBUG;

/** A float64 reference of an op: host inputs -> host output. */
export type Fn64 = (xs: HostArray[]) => HostArray;

// ---------------------------------------------------------------- float64 references

/** Taylor series of erf: accurate to ~1e-13 in float64 for |x| <= 4 (terms stay below ~1e5). */
export function erf64(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 300; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
    if (Math.abs(term) < 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export const map64 = (h: HostArray, f: (v: number) => number): HostArray => new HostArray([...h.shape], h.data.map(f));

/** Elementwise f(a, b) with NumPy broadcasting. */
export function zip64(a: HostArray, b: HostArray, f: (x: number, y: number) => number): HostArray {
  return HostArray.build(broadcastShape(a.shape, b.shape), (idx) => f(a.atBroadcast(idx), b.atBroadcast(idx)));
}

/** A 0-d host array holding `v` (a JS-number operand seen as a tensor). */
export const scalar64 = (v: number): HostArray => HostArray.from([], [v]);

/** Rounds every value to float32, as an upload does, so float64 references see the device's inputs. */
export const f32 = (h: HostArray): HostArray => new HostArray([...h.shape], Float64Array.from(new Float32Array(h.data)));

/** Rounds to a multiple of 2^-bits (exact in float32 for moderate magnitudes). */
export const quantize = (h: HostArray, bits = 12): HostArray => map64(h, (v) => Math.round(v * 2 ** bits) / 2 ** bits);

/** Uniform values in [lo, hi] with a random sign: |x| stays >= lo, away from a kink at 0. */
export function awayFromZero(g: Gen, shape: readonly number[], lo: number, hi: number): HostArray {
  return f32(
    HostArray.from(
      shape,
      Array.from(randomFloats(g, size(shape), lo, hi), (v) => (g.next() < 0.5 ? -v : v)),
    ),
  );
}

// ---------------------------------------------------------------- finite differences

/** The float64 loss sum(w ⊙ f(xs)). */
export function loss64(f: Fn64, xs: HostArray[], w: HostArray): number {
  const y = f(xs);
  if (y.data.length !== w.data.length) throw new Error(`loss64: f gave ${y.data.length} values, w has ${w.data.length}`);
  let s = 0;
  for (let i = 0; i < w.data.length; i++) s += w.data[i]! * y.data[i]!;
  return s;
}

/**
 * Central differences of loss64 with respect to every element of every input, in float64 with step
 * rel·max(1, |x|): truncation ~rel² |L'''| ~ 1e-12 and cancellation ~1e-16 |L| / rel ~ 1e-10 |L|,
 * both far below the float32 errors being tested.
 */
export function fdGrad(f: Fn64, xs: HostArray[], w: HostArray, rel = 1e-6): Float64Array[] {
  return xs.map((x, k) =>
    Float64Array.from(x.data, (v, j) => {
      const h = rel * Math.max(1, Math.abs(v));
      const at = (t: number): number => {
        const data = Float64Array.from(x.data);
        data[j] = v + t;
        return loss64(
          f,
          xs.map((y, i) => (i === k ? new HostArray(x.shape, data) : y)),
          w,
        );
      };
      return (at(h) - at(-h)) / (2 * h);
    }),
  );
}

/** Directional derivative of f at xs along ts, per output element, by float64 central differences. */
export function fdDirectional(f: Fn64, xs: HostArray[], ts: HostArray[], h = 1e-6): Float64Array {
  const at = (s: number): Float64Array =>
    f(
      xs.map(
        (x, k) =>
          new HostArray(
            x.shape,
            x.data.map((v, j) => v + s * ts[k]!.data[j]!),
          ),
      ),
    ).data;
  const p = at(h);
  const m = at(-h);
  return p.map((v, i) => (v - m[i]!) / (2 * h));
}

export { maxAbs };

/**
 * Fails with the worst element unless |got - want| <= tol · scale everywhere, where scale is the
 * gradient's scale: max|want| unless given.
 */
export function assertScaled(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, scaleIn?: number): void {
  const scale = Math.max(scaleIn ?? maxAbs(want), 1e-30);
  if (DEBUG) {
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
    console.log(`${what}: worst error / scale = ${worst.toExponential(2)} (tol ${tol})`);
  }
  assertWithin(got, want, new Float64Array(want.length).fill(Math.max(tol * scale, 1e-300)), `${what} (scale ${scale.toPrecision(3)})`);
}

// ---------------------------------------------------------------- read-back

/** Reads float32 tensors back with one transfer (flattened and concatenated on the device). */
export async function readAll(ts: readonly tl.Tensor[]): Promise<Float64Array[]> {
  if (ts.length === 0) return [];
  if (ts.some((t) => t.dtype !== 'float32')) return Promise.all(ts.map(async (t) => Float64Array.from(await t.data())));
  const flat = tl.tidy(() => tl.concat(ts.map((t) => tl.reshape(t, [t.size]))));
  const data = Float64Array.from(await flat.data());
  flat.dispose();
  let at = 0;
  return ts.map((t) => data.slice(at, (at += t.size)));
}

// ---------------------------------------------------------------- gradient checks

export interface GradCase {
  name: string;
  /** Float inputs that are differentiated, float32-representable. */
  inputs: HostArray[];
  /** The op on the device (constants such as index tensors are captured). */
  gpu: (...xs: tl.Tensor[]) => tl.Tensor;
  /** The same op in float64. */
  cpu: Fn64;
  /** Allowed |gpu - fd| relative to the gradient's scale (the largest |fd| over all inputs). */
  tol: number;
  /** Largest |v| of the Taylor direction (a power of two, default 1): with h <= 1/4, x + h v moves by at most vScale/4. */
  vScale?: number;
  /** Taylor loss w ⊙ (op + shift)² (default 0): for ops whose square is linear (sqrt) or bends little (sigmoid). */
  shift?: number;
  /** Largest Taylor step (default 1/4). */
  hTop?: number;
}

/** Every layout to feed: all contiguous, then each non-contiguous view of one input at a time. */
function layouts(c: GradCase, g: Gen): { name: string; make: (() => tl.Tensor)[] }[] {
  const plain = c.inputs.map((h) => () => upload(h));
  const out = [{ name: 'contiguous', make: plain }];
  c.inputs.forEach((h, k) => {
    for (const v of views(h, g).slice(1)) out.push({ name: `input ${k} as ${v.name}`, make: plain.map((m, i) => (i === k ? v.make : m)) });
  });
  return out;
}

/**
 * tl.grad of L = sum(w ⊙ op(xs)) (w random in [-1, 1]) against float64 central differences of the
 * CPU loss, for every input and every view layout. The scale is the largest |gradient| over all
 * inputs: a small input's gradient (a 0-d operand's, say) can be a cancelling sum far smaller than
 * the terms whose rounding it carries.
 */
export async function checkGrad(c: GradCase, g: Gen): Promise<void> {
  const out = c.cpu(c.inputs);
  const w = randomHost(g, out.shape);
  const want = fdGrad(c.cpu, c.inputs, w);
  for (const layout of layouts(c, g)) {
    const what = `seed ${g.seed}: ${c.name}, ${layout.name}`;
    let shapes: number[][] = [];
    const grads = tl.tidy(() => {
      const xs = layout.make.map((m) => m());
      const wt = upload(w);
      const gs = tl.grad(
        (...a: tl.Tensor[]) => tl.sum(tl.mul(wt, c.gpu(...a))),
        xs.map((_, i) => i),
      )(...xs) as tl.Tensor[];
      shapes = gs.map((t) => [...t.shape]);
      return gs;
    });
    const got = await readAll(grads);
    grads.forEach((t) => t.dispose());
    expect(shapes, what).toEqual(c.inputs.map((h) => h.shape));
    const scale = Math.max(...want.map(maxAbs));
    got.forEach((gk, k) => assertScaled(gk, want[k]!, c.tol, `${what}: d/d(input ${k})`, scale));
  }
}

/** Least-squares slope of log r against log h. */
export function logLogSlope(hs: readonly number[], rs: readonly number[]): number {
  const xs = hs.map(Math.log);
  const ys = rs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** The float32 unit roundoff scale used to bound noise: 2^-23. */
const EPS32 = 2 ** -23;

export interface TaylorResult {
  slope: number;
  hs: number[];
  r: number[];
  /** Slope of the same remainders computed in float64 from the CPU reference. */
  slope64: number;
}

/**
 * Taylor test on the device. With L2(xs) = sum(w ⊙ op(xs)²) (w in [0.5, 1.5]; squared so linear ops
 * have a second-order term too), r(h) = |L2(x + h v) - L2(x) - h <∇L2, v>| must fall as h²: a wrong
 * gradient leaves an O(h) term (slope 1).
 *
 * Steps are hTop·2^-k for k = 0..7 (hTop defaults to 1/4), cut short (never below 5 steps) where
 * the exact remainder would drop under 32 float32 roundings of the loss terms: L2 is evaluated in
 * float32, so below that r(h) is round-off, not Taylor remainder. Inputs are rounded to multiples
 * of 2^-12 and v to multiples of 2^-8·vScale, so x + h v is exact in float32 and the perturbation
 * is exactly h v. The difference L2(x + h v) - L2(x) is taken per element before summing, so
 * cancellation stays at the level of each term. v (uniform in [-vScale, vScale]) is redrawn until
 * the float64 remainders of the CPU reference have slope 2 ± 0.03 over the chosen steps, shrink by
 * 4 ± 15% per halving of h, and clear that noise floor, so higher-order terms or an accidentally
 * small curvature along v cannot fail a correct gradient. The first input goes in as a view.
 */
export async function taylor(c: GradCase, g: Gen): Promise<TaylorResult> {
  const xs = c.inputs.map((h) => quantize(h));
  const vScale = c.vScale ?? 1;
  const shift = c.shift ?? 0;
  const all = Array.from({ length: 8 }, (_, i) => (c.hTop ?? 0.25) * 2 ** -i);
  const shape = c.cpu(xs).shape;
  const w = f32(HostArray.from(shape, randomFloats(g, size(shape), 0.5, 1.5)));
  const terms64 = (ys: HostArray[]): Float64Array => {
    const y = c.cpu(ys);
    return y.data.map((v, i) => w.data[i]! * (v + shift) ** 2);
  };
  const sum64 = (ys: HostArray[]): number => terms64(ys).reduce((a, b) => a + b, 0);
  const moved = (vs: HostArray[], t: number): HostArray[] =>
    xs.map(
      (x, k) =>
        new HostArray(
          x.shape,
          x.data.map((v, j) => v + t * vs[k]!.data[j]!),
        ),
    );
  const floor = 32 * EPS32 * terms64(xs).reduce((a, b) => a + Math.abs(b), 0);
  let vs: HostArray[] = [];
  let hs: number[] = [];
  let slope64 = NaN;
  for (let attempt = 0; attempt < 50 && hs.length === 0; attempt++) {
    vs = xs.map((x) => map64(quantize(randomHost(g, x.shape), 8), (v) => v * vScale));
    const base = sum64(xs);
    const s = 1e-5;
    const dir = (sum64(moved(vs, s)) - sum64(moved(vs, -s))) / (2 * s);
    const r64 = all.map((h) => Math.abs(sum64(moved(vs, h)) - base - h * dir));
    let k = 8;
    while (k > 5 && !(r64[k - 1]! >= floor)) k--;
    if (!(r64[k - 1]! >= floor)) continue;
    slope64 = logLogSlope(all.slice(0, k), r64.slice(0, k));
    // Every halving of h must also divide r by 4 ± 15%: no sign change of the h³ term in the window.
    const clean = r64.slice(1, k).every((r, i) => Math.abs(r64[i]! / r / 4 - 1) < 0.15);
    if (Math.abs(slope64 - 2) < 0.03 && clean) hs = all.slice(0, k);
  }
  if (hs.length === 0)
    throw new Error(
      `taylor(${c.name}): no direction v with a clean float64 h² remainder above round-off (last slope ${slope64}), seed ${g.seed}`,
    );
  const vals = tl.tidy(() => {
    // The first input goes in as a strided-slice view when it has an axis to slice.
    const xt = xs.map((h, k) => (k === 0 && h.shape.length > 0 ? views(h, g).at(-1)!.make() : upload(h)));
    const vt = vs.map((h) => upload(h));
    const wt = upload(w);
    const terms = (...a: tl.Tensor[]): tl.Tensor => tl.mul(wt, tl.square(shift === 0 ? c.gpu(...a) : tl.add(c.gpu(...a), shift)));
    const base = terms(...xt);
    const grads = tl.grad(
      (...a: tl.Tensor[]) => tl.sum(terms(...a)),
      xt.map((_, i) => i),
    )(...xt) as tl.Tensor[];
    const gv = grads.map((gk, k) => tl.sum(tl.mul(gk, vt[k]!))).reduce((a, b) => tl.add(a, b));
    const ds = hs.map((h) => tl.sum(tl.sub(terms(...xt.map((x, k) => tl.add(x, tl.mul(vt[k]!, h)))), base)));
    return tl.stack([gv, ...ds]);
  });
  const read = Float64Array.from(await vals.data());
  vals.dispose();
  const gv = read[0]!;
  const r = hs.map((h, i) => Math.abs(read[i + 1]! - h * gv));
  return { slope: logLogSlope(hs, r), hs, r, slope64 };
}

/** Runs taylor() and requires |slope - 2| < 0.1. */
export async function checkTaylor(c: GradCase, g: Gen): Promise<TaylorResult> {
  const res = await taylor(c, g);
  const what = `seed ${g.seed}: Taylor test of ${c.name}: slope ${res.slope.toFixed(4)} (float64 ${res.slope64.toFixed(4)}) over h = 2^${Math.log2(res.hs[0]!)}..2^${Math.log2(res.hs.at(-1)!)}, r = ${res.r.map((v) => v.toExponential(2)).join(' ')}`;
  if (DEBUG) console.log(what);
  expect(Math.abs(res.slope - 2), what).toBeLessThan(0.1);
  return res;
}

// ---------------------------------------------------------------- second order on the device

/**
 * hvp(f, x, v) against a difference quotient of device gradients along v: central differences at
 * steps ε = 2^-5 and ε/2 combined by Richardson extrapolation (truncation O(ε⁴)), in float64 on the
 * host from the read-back float32 gradients. x is rounded to multiples of 2^-12 and v to 2^-8, so
 * x ± ε v is exact. The float32 gradients carry ~1e-7·|∇f| rounding, which the quotient amplifies by
 * ~3/ε ≈ 100: callers allow ~1e-4 of the scale of f's Hessian-vector product.
 */
export async function checkHvp(name: string, f: (x: tl.Tensor) => tl.Tensor, hx: HostArray, g: Gen, tol: number): Promise<void> {
  const x = quantize(hx);
  const v = quantize(randomHost(g, hx.shape), 8);
  const eps = 2 ** -5;
  const tensors = tl.tidy(() => {
    const xt = upload(x);
    const vt = upload(v);
    const grad = tl.grad(f);
    const at = (t: number): tl.Tensor => grad(tl.add(xt, tl.mul(vt, t))) as tl.Tensor;
    return [tl.hvp(f, xt, vt), at(eps), at(-eps), at(eps / 2), at(-eps / 2)];
  });
  const [hv, p1, m1, p2, m2] = await readAll(tensors);
  tensors.forEach((t) => t.dispose());
  const d1 = p1!.map((p, i) => (p - m1![i]!) / (2 * eps));
  const d2 = p2!.map((p, i) => (p - m2![i]!) / eps);
  const want = d2.map((d, i) => (4 * d - d1[i]!) / 3);
  assertScaled(hv!, want, tol, `seed ${g.seed}: hvp of ${name} vs Richardson difference of gradients`);
}
