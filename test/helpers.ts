// Shared test utilities: seeded random data, float64 CPU references for strided views, and
// tolerance checks that report the worst element. Every random draw is deterministic: its seed
// comes from a base seed and the running test's name, so a test sees the same inputs in every run
// and in every runtime, alone or in the full suite. TELLUS_TEST_SEED=<integer> picks another base,
// TELLUS_TEST_SEED=random a fresh one per run (printed, and printed again when a test fails).
import { beforeAll, beforeEach, expect, onTestFailed } from 'vitest';
import * as tl from '../src/index.js';

const DEFAULT_BASE_SEED = 20261206;

export function readSeedSetting(): string | undefined {
  const g = globalThis as {
    TELLUS_TEST_SEED?: string;
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env: { get(k: string): string | undefined } };
  };
  if (typeof g.TELLUS_TEST_SEED === 'string' && g.TELLUS_TEST_SEED !== '') return g.TELLUS_TEST_SEED; // the Chromium page
  if (g.Deno) return g.Deno.env.get('TELLUS_TEST_SEED');
  return g.process?.env?.TELLUS_TEST_SEED;
}

function baseSeed(): number {
  const setting = readSeedSetting()?.trim();
  if (setting === undefined || setting === '') return DEFAULT_BASE_SEED;
  if (setting === 'random') {
    const s = Math.floor(Math.random() * 2 ** 31);
    console.log(`TELLUS_TEST_SEED=random: this run's base seed is ${s} (TELLUS_TEST_SEED=${s} replays it)`);
    return s;
  }
  if (!/^\d+$/.test(setting)) throw new Error(`TELLUS_TEST_SEED: expected a non-negative integer or "random", got "${setting}"`);
  return Number(setting) % 2 ** 31;
}

/** The base seed of this run: TELLUS_TEST_SEED, else a fixed default. */
export const BASE_SEED = baseSeed();

/** FNV-1a over a string, then a murmur finalizer: a well-mixed 31-bit seed. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & 0x7fffffff;
}

const draws = { test: '', count: 0 };

/**
 * The next seed for the running test: a hash of the base seed, the test's name and how many seeds
 * the test has drawn so far. Independent of which other tests run, and of their order.
 */
export function testSeed(): number {
  const name = expect.getState().currentTestName ?? '(outside a test)';
  if (name !== draws.test) {
    draws.test = name;
    draws.count = 0;
  }
  return hashSeed(`${BASE_SEED}|${name}|${draws.count++}`);
}

/**
 * Per test: reseeds tl's global generator (tl.rand/randn without { seed }) from the test's name,
 * and on failure prints the base seed that replays it.
 */
export function useSeeds(): void {
  beforeEach(() => {
    const name = expect.getState().currentTestName ?? '';
    tl.seed(hashSeed(`${BASE_SEED}|${name}|tl.seed`));
    onTestFailed(() => console.log(`  (test seeds from TELLUS_TEST_SEED=${BASE_SEED}; test "${name}")`));
  });
}

/** Initializes the engine once per file with output poisoning on, and seeds each test. */
export function useDevice(): void {
  beforeAll(async () => {
    await tl.init();
    tl.debug({ poisonOutputs: true });
  });
  useSeeds();
}

/** mulberry32: a tiny seeded generator, so failures can be replayed from the printed seed. */
export function rng(seed = testSeed()): { seed: number; next: () => number } {
  let a = seed >>> 0;
  return {
    seed,
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export type Gen = ReturnType<typeof rng>;

export function randomFloats(g: Gen, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * g.next();
  return out;
}

export function randomInts(g: Gen, n: number, lo: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor((hi - lo) * g.next());
  return out;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function rowMajorStrides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** A float64 host array with a shape, indexed by coordinates: the reference side of every test. */
export class HostArray {
  readonly strides: number[];
  constructor(
    readonly shape: number[],
    readonly data: Float64Array,
  ) {
    this.strides = rowMajorStrides(shape);
  }
  static from(shape: readonly number[], values: ArrayLike<number>): HostArray {
    if (values.length !== size(shape)) throw new Error(`HostArray: ${values.length} values for shape [${shape}]`);
    return new HostArray([...shape], Float64Array.from(values));
  }
  static build(shape: readonly number[], f: (idx: number[]) => number): HostArray {
    const out = new Float64Array(size(shape));
    forEachIndex(shape, (idx, i) => (out[i] = f(idx)));
    return new HostArray([...shape], out);
  }
  at(idx: readonly number[]): number {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d]! * this.strides[d]!;
    return this.data[o]!;
  }
  /** Reads with NumPy broadcasting against a target index of higher or equal rank. */
  atBroadcast(idx: readonly number[]): number {
    const lead = idx.length - this.shape.length;
    let o = 0;
    for (let d = 0; d < this.shape.length; d++) o += (this.shape[d] === 1 ? 0 : idx[d + lead]!) * this.strides[d]!;
    return this.data[o]!;
  }
}

export function forEachIndex(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    f(idx, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/**
 * Fails with the worst offending element unless |got - want| <= atol + rtol |want| everywhere.
 * NaN must match NaN and infinities must match exactly.
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, what: string): void {
  const { rtol = 1e-6, atol = 1e-6 } = tol;
  if (got.length !== want.length) throw new Error(`${what}: got ${got.length} values, expected ${want.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)) && g !== w) {
        worst = i;
        worstExcess = Infinity;
        break;
      }
      continue;
    }
    const excess = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

export { relL2 } from './numerics.js';

/** Uploads a host array as float32 (or the given dtype). */
export function upload(h: HostArray, dtype: tl.DType = 'float32'): tl.Tensor {
  return tl.tensor(h.data, { shape: h.shape, dtype });
}

/**
 * Awkward views of the same logical data: contiguous, a transposed copy read back through a
 * transposed view, and a strided slice of a larger buffer. Each returns a tensor whose logical
 * values equal `h`, so every op is tested on non-contiguous inputs too.
 */
export function views(h: HostArray, g: Gen, dtype: tl.DType = 'float32'): { name: string; make: () => tl.Tensor }[] {
  const r = h.shape.length;
  const out: { name: string; make: () => tl.Tensor }[] = [{ name: 'contiguous', make: () => upload(h, dtype) }];
  if (r >= 2) {
    out.push({
      name: 'transposed view',
      make: () => {
        const perm = [...Array(r).keys()].reverse();
        const t = HostArray.build(
          perm.map((p) => h.shape[p]!),
          (idx) => h.at([...idx].reverse()),
        );
        const dev = upload(t, dtype);
        const v = tl.permute(dev, perm);
        dev.dispose();
        return v;
      },
    });
  }
  if (r >= 1) {
    out.push({
      name: 'strided slice',
      make: () => {
        // Embed h at odd positions of a bigger array along the last axis, then slice with step 2.
        const big = [...h.shape];
        big[r - 1] = 2 * h.shape[r - 1]! + 1;
        // The skipped elements hold junk (an unlikely value), so reading one shows.
        const junk = (): number => (dtype === 'float32' ? 1000 + g.next() : -777);
        const host = HostArray.build(big, (idx) => (idx[r - 1]! % 2 === 1 ? h.at([...idx.slice(0, -1), (idx[r - 1]! - 1) / 2]) : junk()));
        const dev = upload(host, dtype);
        const spec: tl.SliceSpec[] = big.map((_, d) => (d === r - 1 ? [1, null, 2] : null));
        const v = tl.slice(dev, spec);
        dev.dispose();
        return v;
      },
    });
  }
  return out;
}

/**
 * The JI-FNO tests' tiny acquisition: two shots (sources at row 1, columns 3 and 8), a receiver on
 * every column of row 0, a Ricker of `freq` Hz delayed `delay` s; dx 10 m, dt 2 ms, PML 4, 4th order.
 * `maxVel` fixes the PML profile, a constant for derivatives (finite differences of a model whose
 * maximum moves would otherwise see the PML change).
 */
export function twoShotSurvey(nx: number, nt: number, freq: number, delay: number, maxVel: number): tl.Acoustic2dOptions {
  const w = Float32Array.from({ length: nt }, (_, t) => {
    const a = (Math.PI * freq * (t * 0.002 - delay)) ** 2;
    return (1 - 2 * a) * Math.exp(-a);
  });
  return {
    dx: 10,
    dt: 0.002,
    sourceAmplitudes: tl.tensor(Float32Array.from([...w, ...w]), { shape: [2, 1, nt] }),
    sourceLocations: tl.tensor(Int32Array.from([1, 3, 1, 8]), { dtype: 'int32', shape: [2, 1, 2] }),
    receiverLocations: tl.tensor(
      Int32Array.from({ length: 4 * nx }, (_, i) => (i % 2 === 0 ? 0 : (i >> 1) % nx)),
      { dtype: 'int32', shape: [2, nx, 2] },
    ),
    pmlWidth: 4,
    accuracy: 4,
    maxVel,
  };
}

/**
 * True in the browser (vitest's Chromium stage). Chromium's WebGPU is Dawn on the same SwiftShader
 * as Node's, so kernel-path sweeps that only force alternative kernels (reduce's workgroup path,
 * acoustic2d's interior variants) run in Node and Deno and skip here (docs/testing.md).
 */
export const IN_BROWSER = typeof window !== 'undefined' && !('Deno' in globalThis);
