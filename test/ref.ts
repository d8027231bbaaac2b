// Float64 CPU references and checks shared by the op tests (reduce, matmul, layout, indexing,
// creation). References are computed independently of the engine: Tellus is used here only to
// upload test inputs (intViews), never to compute an expected value.
import { forEachIndex, HostArray, randomFloats, randomInts, rng, size, views, type Gen } from './helpers.js';
import type * as tl from '../src/index.js';

/** float32 machine epsilon (2^-23): the spacing of float32 numbers just above 1. */
export const EPS32 = 2 ** -23;

/** A host array of random float32-representable values, so the float64 reference sees exactly what is uploaded. */
export function randomHost(g: Gen, shape: readonly number[], lo = -1, hi = 1): HostArray {
  return HostArray.from(shape, randomFloats(g, size(shape), lo, hi));
}

/** Small random integers stored as floats: float32 sums of them are exact while |partial sums| < 2^24. */
export function randomIntHost(g: Gen, shape: readonly number[], lo: number, hi: number): HostArray {
  return HostArray.from(shape, randomInts(g, size(shape), lo, hi));
}

/**
 * int32 counterparts of helpers.views(): contiguous, a transposed copy read through a transposed
 * view, and a step-2 slice of a larger buffer along the last axis (filled elsewhere with -777).
 */
export function intViews(h: HostArray): { name: string; make: () => tl.Tensor }[] {
  return views(h, rng(), 'int32');
}

/** The tensor's values in row-major order, as plain numbers. */
export async function values(t: tl.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Fails with the worst element unless |got[i] - want[i]| <= bound[i] everywhere (NaN must match NaN). */
export function assertWithin(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: got ${got.length} values, expected ${want.length}`);
  let worst = -1;
  let worstRatio = 1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) {
        worst = i;
        break;
      }
      continue;
    }
    const ratio = Math.abs(g - w) / bound[i]!;
    if (!(ratio <= worstRatio)) {
      worst = i;
      worstRatio = ratio;
    }
  }
  if (worst >= 0) throw new Error(`${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} ± ${bound[worst]}`);
}

/** Exact elementwise equality (NaN equals NaN), reporting the first mismatch. */
export function assertEqualValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: got ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!(g === w || (Number.isNaN(g) && Number.isNaN(w)))) throw new Error(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

/** Normalizes reduction axes as NumPy does (negative counts from the end), ascending. */
export function normAxes(rank: number, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return list.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/**
 * Reduces `h` over `axes`: `f` gets each output's values in row-major order over the reduced axes
 * (so an index into that list is NumPy's flattened index for argmax/argmin over several axes).
 */
export function reduceRef(
  h: HostArray,
  axes: number | readonly number[] | undefined,
  keepDims: boolean,
  f: (vals: number[]) => number,
): HostArray {
  const red = normAxes(h.shape.length, axes);
  const keptIdx = h.shape.map((_, i) => i).filter((i) => !red.includes(i));
  const keptShape = keptIdx.map((i) => h.shape[i]!);
  const buckets: number[][] = Array.from({ length: size(keptShape) }, () => []);
  forEachIndex(h.shape, (idx, flat) => {
    let o = 0;
    for (const i of keptIdx) o = o * h.shape[i]! + idx[i]!;
    buckets[o]!.push(h.data[flat]!);
  });
  const outShape = keepDims ? h.shape.map((d, i) => (red.includes(i) ? 1 : d)) : keptShape;
  return HostArray.from(outShape, buckets.map(f));
}

export const refSum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
export const refAbsSum = (v: number[]): number => v.reduce((a, b) => a + Math.abs(b), 0);
export const refProd = (v: number[]): number => v.reduce((a, b) => a * b, 1);
export const refMean = (v: number[]): number => (v.length === 0 ? NaN : refSum(v) / v.length);
/** NumPy max/min: any NaN makes the result NaN. */
export const refMax = (v: number[]): number => (v.some(Number.isNaN) ? NaN : Math.max(...v));
export const refMin = (v: number[]): number => (v.some(Number.isNaN) ? NaN : Math.min(...v));
/** NumPy argmax/argmin: the first NaN if any, else the first index of the extreme. */
export function refArgmax(v: number[]): number {
  let best = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i]!)) return i;
    if (v[i]! > v[best]!) best = i;
  }
  return best;
}
export function refArgmin(v: number[]): number {
  let best = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i]!)) return i;
    if (v[i]! < v[best]!) best = i;
  }
  return best;
}

/**
 * NumPy matmul in float64: 1-D operands are promoted (a to a row, b to a column) and the added axis
 * dropped; batch dims broadcast. Also returns sum_k |a_ik| |b_kj| per output, which scales the
 * rounding error of a float32 dot product.
 */
export function matmulRef(a: HostArray, b: HostArray): { c: HostArray; absProd: HostArray; K: number } {
  const A = a.shape.length === 1 ? new HostArray([1, a.shape[0]!], a.data) : a;
  const B = b.shape.length === 1 ? new HostArray([b.shape[0]!, 1], b.data) : b;
  const M = A.shape[A.shape.length - 2]!;
  const K = A.shape[A.shape.length - 1]!;
  const N = B.shape[B.shape.length - 1]!;
  if (B.shape[B.shape.length - 2] !== K) throw new Error('matmulRef: inner dimensions differ');
  const ba = A.shape.slice(0, -2);
  const bb = B.shape.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: r }, (_, i) => {
    const x = ba[ba.length - r + i] ?? 1;
    const y = bb[bb.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
  const full = [...batch, M, N];
  const at = (h: HostArray, bidx: number[], i: number, j: number): number => h.atBroadcast([...bidx, i, j]);
  const c = new Float64Array(size(full));
  const absProd = new Float64Array(size(full));
  forEachIndex(full, (idx, flat) => {
    const bidx = idx.slice(0, -2);
    const i = idx[r]!;
    const j = idx[r + 1]!;
    let s = 0;
    let sa = 0;
    for (let k = 0; k < K; k++) {
      const p = at(A, bidx, i, k) * at(B, bidx, k, j);
      s += p;
      sa += Math.abs(p);
    }
    c[flat] = s;
    absProd[flat] = sa;
  });
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return { c: new HostArray(shape, c), absProd: new HostArray(shape, absProd), K };
}

// ---------------------------------------------------------------- Philox-4x32-10

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/**
 * Philox-4x32-10 (Salmon et al., SC'11) with exact 64-bit products from BigInt: ten rounds of
 * two 32x32 -> 64 multiplications, the key bumped by the Weyl constants between rounds.
 */
export function philox4x32(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0) as [number, number, number, number];
  let [k0, k1] = key.map((v) => v >>> 0) as [number, number];
  for (let round = 0; round < 10; round++) {
    const p0 = M0 * BigInt(c0);
    const p1 = M1 * BigInt(c2);
    const hi0 = Number(p0 >> 32n);
    const lo0 = Number(p0 & 0xffffffffn);
    const hi1 = Number(p1 >> 32n);
    const lo1 = Number(p1 & 0xffffffffn);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** The 32-bit Philox words behind rand/randn element i: block i/4 (counter (block, 0, stream, 0)), word i%4. */
export function philoxWords(n: number, seed: number, stream: number): Uint32Array {
  const key = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  const out = new Uint32Array(n);
  for (let blk = 0; blk * 4 < n; blk++) {
    const r = philox4x32([blk, 0, stream, 0], key);
    for (let j = 0; j < 4 && blk * 4 + j < n; j++) out[blk * 4 + j] = r[j]!;
  }
  return out;
}

/** shaders/creation.wgsl's bits -> [0, 1): the top 24 bits scaled by 2^-24 (exact in float32). */
export const unitOf = (w: number): number => (w >>> 8) / 16777216;

/** Uniform [0, 1) samples rand() must return for (seed, stream), exactly. */
export function randRef(n: number, seed: number, stream = 0): Float32Array {
  return Float32Array.from(philoxWords(n, seed, stream), unitOf);
}

/**
 * Box-Muller on the same uniforms, in float64: each block of four words (u0, u1, u2, u3) gives
 * r0 cos(2 pi u1), r0 sin(2 pi u1), r1 cos(2 pi u3), r1 sin(2 pi u3) with r = sqrt(-2 ln(1 - u)).
 * Also returns each sample's radius, which scales the error of the device's log/sqrt.
 */
export function randnRef(n: number, seed: number, stream = 0): { z: Float64Array; radius: Float64Array } {
  const w = philoxWords(Math.ceil(n / 4) * 4, seed, stream);
  const z = new Float64Array(n);
  const radius = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const blk = i - (i % 4);
    const pair = i % 4 < 2 ? 0 : 2;
    const r = Math.sqrt(-2 * Math.log(1 - unitOf(w[blk + pair]!)));
    const th = 2 * Math.PI * unitOf(w[blk + pair + 1]!);
    z[i] = i % 2 === 0 ? r * Math.cos(th) : r * Math.sin(th);
    radius[i] = r;
  }
  return { z, radius };
}
