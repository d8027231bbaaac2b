// Point generators on the unit cube [0, 1)^d, host-side and deterministic: a seeded uniform stream
// (PCG32), Hammersley (i / n, then radical inverses in the first primes) and Sobol (Gray-code
// order, Joe & Kuo's new-joe-kuo-6.21201 direction numbers for the first 8 dimensions, the same
// points as SciPy's unscrambled qmc.Sobol). Domains map these onto their own boxes (./domain.ts).
import { argError } from '../../graph/options.js';

/** A seeded PCG32 stream (O'Neill's pcg32, XSH RR), uniform floats in [0, 1). */
export class Rng {
  private state = 0n;
  private readonly inc: bigint;
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw argError('Rng(seed)', 'seed', 'a non-negative integer', seed, RangeError);
    this.inc = (BigInt(seed) << 1n) | 1n;
    this.nextU32();
    this.state = (this.state + BigInt(seed) * 0x9e3779b97f4a7c15n) & MASK64;
    this.nextU32();
  }
  nextU32(): number {
    const old = this.state;
    this.state = (old * 6364136223846793005n + this.inc) & MASK64;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }
  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 2 ** 32;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}
const MASK64 = (1n << 64n) - 1n;

export type SamplingMethod = 'uniform' | 'hammersley' | 'sobol' | 'grid';
export const SAMPLING_METHODS: readonly SamplingMethod[] = ['uniform', 'hammersley', 'sobol', 'grid'];

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];

/** Van der Corput radical inverse of i in `base`. */
export function radicalInverse(i: number, base: number): number {
  let f = 1;
  let r = 0;
  while (i > 0) {
    f /= base;
    r += f * (i % base);
    i = Math.floor(i / base);
  }
  return r;
}

/** n Hammersley points in [0, 1)^d, row-major [n, d]: point i is (i / n, phi_2(i), phi_3(i), ...). */
export function hammersley(n: number, d: number): Float64Array {
  checkCount(n, d, 'hammersley(n, d)', PRIMES.length + 1);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    out[i * d] = i / n;
    for (let k = 1; k < d; k++) out[i * d + k] = radicalInverse(i, PRIMES[k - 1]!);
  }
  return out;
}

// Joe & Kuo (2008), new-joe-kuo-6.21201: for dimensions 2..8, the degree s, the coefficient a and the initial m_k.
const JOE_KUO: readonly [number, number, readonly number[]][] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
];
export const SOBOL_MAX_DIM = JOE_KUO.length + 1;
const BITS = 32;

/** Direction numbers V[k][j] (scaled by 2^32) for dimension k. */
function directions(k: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (k === 0) {
    for (let j = 0; j < BITS; j++) v[j] = 2 ** (BITS - 1 - j);
    return v;
  }
  const [s, a, m] = JOE_KUO[k - 1]!;
  for (let j = 0; j < BITS; j++) {
    if (j < s) v[j] = (m[j]! * 2 ** (BITS - 1 - j)) >>> 0;
    else {
      let x = v[j - s]! ^ (v[j - s]! >>> s);
      for (let l = 1; l < s; l++) if ((a >>> (s - 1 - l)) & 1) x ^= v[j - l]!;
      v[j] = x >>> 0;
    }
  }
  return v;
}

/** Points skip .. skip + n - 1 of the unscrambled Sobol sequence in [0, 1)^d (point 0 is the origin), [n, d]. */
export function sobol(n: number, d: number, skip = 0): Float64Array {
  checkCount(n, d, 'sobol(n, d, skip)', SOBOL_MAX_DIM);
  if (!Number.isInteger(skip) || skip < 0) throw argError('sobol(n, d, skip)', 'skip', 'a non-negative integer', skip, RangeError);
  const dirs = Array.from({ length: d }, (_, k) => directions(k));
  const x = new Uint32Array(d);
  const out = new Float64Array(n * d);
  // Gray-code construction: point i+1 = point i XOR V[c], c the index of the lowest zero bit of i.
  for (let i = 0; i < skip + n; i++) {
    if (i >= skip) for (let k = 0; k < d; k++) out[(i - skip) * d + k] = x[k]! / 2 ** BITS;
    let c = 0;
    while ((i >>> c) & 1) c++;
    for (let k = 0; k < d; k++) x[k] = (x[k]! ^ dirs[k]![c]!) >>> 0;
  }
  return out;
}

/** n uniform points in [0, 1)^d from a seeded stream. */
export function uniform(n: number, d: number, rng: Rng): Float64Array {
  checkCount(n, d, 'uniform(n, d, rng)', Infinity);
  const out = new Float64Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return out;
}

/** A tensor-product grid of about n points (ceil(n^(1/d)) per axis, cell centres), [m, d]. */
export function grid(n: number, d: number): Float64Array {
  checkCount(n, d, 'grid(n, d)', Infinity);
  const per = Math.ceil(n ** (1 / d) - 1e-9);
  const m = per ** d;
  const out = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    let r = i;
    for (let k = d - 1; k >= 0; k--) {
      out[i * d + k] = ((r % per) + 0.5) / per;
      r = Math.floor(r / per);
    }
  }
  return out;
}

/** n points in [0, 1)^d by `method`; the uniform method draws from `rng`. Hammersley and Sobol skip their first point (a corner). */
export function unitPoints(method: SamplingMethod, n: number, d: number, rng: Rng): Float64Array {
  switch (method) {
    case 'uniform':
      return uniform(n, d, rng);
    case 'hammersley': {
      const h = hammersley(n + 1, d);
      // Drop point 0 (the origin) and rescale the first coordinate i / (n + 1), as DeepXDE's Hammersley does.
      return h.subarray(d);
    }
    case 'sobol':
      return sobol(n, d, 1);
    case 'grid':
      return grid(n, d);
    default:
      throw argError('unitPoints(method)', 'method', `one of ${SAMPLING_METHODS.map((m) => `'${m}'`).join(', ')}`, method, Error);
  }
}

function checkCount(n: number, d: number, what: string, maxDim: number): void {
  if (!Number.isInteger(n) || n < 1) throw argError(what, 'n', 'an integer >= 1', n, RangeError);
  if (!Number.isInteger(d) || d < 1 || d > maxDim) throw argError(what, 'd', `an integer in [1, ${maxDim}]`, d, RangeError);
}
