// FFT planning on the CPU: how a length is factored into kernel passes, and the tables those passes
// read (twiddles, four-step twiddles, Bluestein chirps), all computed in float64 and rounded once to
// float32. Nothing here touches the device; src/ops/fft.ts uploads the tables and dispatches.

/** Longest line one workgroup transforms in shared memory (two halves of 1024 vec2<f32> = 16 KiB). */
export const MAX_LINE = 1024;
/** Four-step twiddles W_N^e are the product of a coarse (e / FINE) and a fine (e % FINE) table entry. */
const FINE = 1024;
/** Longest transform run directly (two four-step dispatches of <= MAX_LINE each). */
export const MAX_SMOOTH = MAX_LINE * MAX_LINE;

/**
 * Radices for a length made of factors 2, 3 and 5 (largest radices first: fewer passes), or null.
 * `r64` allows radix-64 passes (the one-pass-per-dispatch kernel: each pass is a sweep of memory).
 */
export function radices(n: number, r64 = false): number[] | null {
  const out: number[] = [];
  let m = n;
  let twos = 0;
  while (m % 2 === 0) {
    m /= 2;
    twos++;
  }
  while (r64 && twos >= 6) {
    out.push(64);
    twos -= 6;
  }
  while (twos >= 3) {
    out.push(8);
    twos -= 3;
  }
  if (twos === 2) out.push(4);
  if (twos === 1) out.push(2);
  for (const r of [5, 3]) {
    while (m % r === 0) {
      m /= r;
      out.push(r);
    }
  }
  return m === 1 ? out : null;
}

/** n = n1 n2 with both <= MAX_LINE and as equal as possible, or null. */
function split(n: number): [number, number] | null {
  let best: [number, number] | null = null;
  for (let a = Math.ceil(n / MAX_LINE); a <= Math.min(MAX_LINE, n); a++) {
    if (n % a !== 0 || n / a > MAX_LINE) continue;
    if (!best || Math.abs(Math.log(a / (n / a))) < Math.abs(Math.log(best[0] / best[1]))) best = [a, n / a];
  }
  return best;
}

export interface Step {
  n: number;
  radices: number[];
  /** Table offset (complex entries) of W_n^j, j < n. */
  tw: number;
}

export interface Plan {
  /** Logical length. */
  n: number;
  /** Length of the power-of-small-primes FFT actually run: n, or Bluestein's M >= 2n - 1. */
  m: number;
  /** One step (m <= MAX_LINE) or the two four-step factors [n1, n2] of m. */
  steps: Step[];
  /** Four-step twiddle tables of W_m. */
  big?: { fine: number; coarse: number };
  /** Chirp c_j = exp(-i pi j^2 / n), j < n, and the transformed conjugate chirp / m, length m. */
  bluestein?: { chirp: number; vhat: number };
  /** Interleaved complex float32 table holding everything above. */
  table: Float32Array;
}

/** exp(-2 pi i e / n) in float64, with e reduced exactly first. */
function unit(e: number, n: number): [number, number] {
  const a = (-2 * Math.PI * (e % n)) / n;
  return [Math.cos(a), Math.sin(a)];
}

/** Forward DFT in float64 by the same Stockham passes as the kernel (for Bluestein's tables). */
export function stockham64(re: Float64Array, im: Float64Array, rad: readonly number[]): [Float64Array, Float64Array] {
  const n = re.length;
  let [sr, si] = [Float64Array.from(re), Float64Array.from(im)];
  let ns = 1;
  const vr = new Float64Array(8);
  const vi = new Float64Array(8);
  for (const r of rad) {
    const dftr = Array.from({ length: r * r }, (_, e) => unit((Math.floor(e / r) * (e % r)) % r, r));
    const dr = new Float64Array(n);
    const di = new Float64Array(n);
    const q = n / r;
    for (let j = 0; j < q; j++) {
      const k = j % ns;
      for (let t = 0; t < r; t++) {
        const [c, s] = unit(k * t, ns * r);
        const [xr, xi] = [sr[j + t * q]!, si[j + t * q]!];
        vr[t] = xr * c - xi * s;
        vi[t] = xr * s + xi * c;
      }
      const base = Math.floor(j / ns) * ns * r + k;
      for (let u = 0; u < r; u++) {
        let ar = 0;
        let ai = 0;
        for (let t = 0; t < r; t++) {
          const [c, s] = dftr[t * r + u]!;
          ar += vr[t]! * c - vi[t]! * s;
          ai += vr[t]! * s + vi[t]! * c;
        }
        dr[base + u * ns] = ar;
        di[base + u * ns] = ai;
      }
    }
    [sr, si] = [dr, di];
    ns *= r;
  }
  return [sr, si];
}

/** Can a length of factors 2, 3, 5 run as one step, or (`fourStep`) as two of <= MAX_LINE? */
const runnable = (m: number, fourStep: boolean): boolean =>
  radices(m) !== null && m <= MAX_SMOOTH && (!fourStep || m <= MAX_LINE || split(m) !== null);

/** Smallest runnable m >= min. */
function smoothAtLeast(min: number, fourStep: boolean): number {
  for (let m = min; m <= MAX_SMOOTH; m++) if (runnable(m, fourStep)) return m;
  return 0;
}

/** Largest logical length any path supports: Bluestein needs M >= 2n - 1 within MAX_SMOOTH. */
export const MAX_LENGTH = MAX_SMOOTH / 2;

/** The length of the FFT that logical length n runs as (n itself, or Bluestein's M); 0 if n is unsupported. */
export function runLength(n: number, fourStep: boolean): number {
  if (!Number.isInteger(n) || n < 1) return 0;
  const direct = runnable(n, fourStep) ? n : 0;
  return direct || (n <= MAX_LENGTH ? smoothAtLeast(2 * n - 1, fourStep) : 0);
}

/**
 * The passes for logical length n. With `fourStep` (the shared-memory kernel) lengths above
 * MAX_LINE become two steps; without (one pass per dispatch) every length is one step.
 */
export function plan(n: number, fourStep: boolean): Plan {
  const m = runLength(n, fourStep);
  if (!m) throw new RangeError(`tellus: fft plan: no supported length for n = ${n} (checkFftLength should have refused it)`);
  const lens = m <= MAX_LINE || !fourStep ? [m] : split(m)!;
  const entries: [number, number][] = [];
  const add = (count: number, f: (j: number) => [number, number]): number => {
    const at = entries.length;
    for (let j = 0; j < count; j++) entries.push(f(j));
    return at;
  };
  const steps = lens.map((len) => ({ n: len, radices: radices(len, !fourStep)!, tw: add(len, (j) => unit(j, len)) }));
  const out: Plan = { n, m, steps, table: new Float32Array(0) };
  if (lens.length > 1) {
    out.big = { fine: add(FINE, (j) => unit(j, m)), coarse: add(Math.ceil(m / FINE), (j) => unit(j * FINE, m)) };
  }
  if (m !== n) {
    // c_j = exp(-i pi j^2 / n) = W_2n^(j^2): j^2 mod 2n is exact in float64 for any supported n.
    const chirp = add(n, (j) => unit((j * j) % (2 * n), 2 * n));
    const vr = new Float64Array(m);
    const vi = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      const [c, s] = unit((j * j) % (2 * n), 2 * n);
      vr[j] = c;
      vi[j] = -s;
      if (j > 0) [vr[m - j], vi[m - j]] = [c, -s];
    }
    const [hr, hi] = stockham64(vr, vi, radices(m)!);
    out.bluestein = { chirp, vhat: add(m, (j) => [hr[j]! / m, hi[j]! / m]) };
  }
  out.table = new Float32Array(entries.length * 2);
  entries.forEach(([c, s], j) => {
    out.table[2 * j] = c;
    out.table[2 * j + 1] = s;
  });
  return out;
}
