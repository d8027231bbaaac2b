// Bandwidth and matmul cases prove their results before they are timed: each library's case runs
// once, its inputs are read back, and its output is compared with a float64 reference. A peer that
// does less work than asked (jax-js 0.x sums only the first 65,536 of 4M floats on llvmpipe) would
// otherwise look fast; its row keeps its timing but leaves the fastest-peer summary.
import type { Case } from './harness.js';

/** The inputs a case keeps in its state, and its output in float64 from their host copies. */
interface Reference {
  inputs: string[];
  want: (xs: Float32Array[]) => Float64Array;
}

const rowSums = (x: Float32Array, n: number): Float64Array =>
  Float64Array.from({ length: x.length / n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += x[i * n + j]!;
    return s;
  });

const matmul = (a: Float32Array, b: Float32Array, n: number): Float64Array => {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += aik * b[k * n + j]!;
    }
  return c;
};

export const CHECKED: Record<string, Reference> = {
  'sum of 4M floats': { inputs: ['x'], want: ([x]) => Float64Array.of(x!.reduce((s, v) => s + v, 0)) },
  'row sums of 1024x1024': { inputs: ['x'], want: ([x]) => rowSums(x!, 1024) },
  'copy 16 MiB': { inputs: ['x'], want: ([x]) => Float64Array.from(x!) },
  'fused (a - b)^2 / 2, 4M floats': { inputs: ['a', 'b'], want: ([a, b]) => Float64Array.from(a!, (v, i) => 0.5 * (v - b![i]!) ** 2) },
  'matmul 256x256': { inputs: ['a', 'b'], want: ([a, b]) => matmul(a!, b!, 256) },
  'matmul 512x512': { inputs: ['a', 'b'], want: ([a, b]) => matmul(a!, b!, 512) },
};

/** How each library reads a case's inputs (`state.x`, `state.a`, ...) back to the host. */
export const READ_INPUT: Record<string, (x: any) => Promise<Float32Array>> = {
  tellus: (x) => x.data(),
  'jax-js': (x) => x.ref.data(),
  tfjs: (x) => x.data(),
};

// Float32 sums of 4M terms in any order, and 512-term dot products of values in [0, 1), stay well
// inside this, relative to the largest output (Tellus's compensated sum: ~1e-7).
const TOL = 1e-4;

/** Null if the case's output matches the float64 reference, else what is wrong. */
export async function checkCase(name: string, library: string, c: Case): Promise<string | null> {
  const reference = CHECKED[name];
  const read = READ_INPUT[library];
  if (!reference || !read) return null;
  const state: Record<string, any> = {};
  await c(state);
  const inputs: Float32Array[] = [];
  for (const k of reference.inputs) inputs.push(await read(state[k]));
  const want = reference.want(inputs);
  const got = state.result as ArrayLike<number> | undefined;
  if (!got || got.length !== want.length) return `wrong result: ${got?.length ?? 'no'} values, expected ${want.length}`;
  let [worst, at] = [0, 0];
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / scale;
    if (e > worst) [worst, at] = [e, i];
  }
  return worst <= TOL
    ? null
    : `wrong result: ${got[at]} at ${at}, float64 ${want[at]!.toPrecision(8)} (relative error ${worst.toExponential(1)})`;
}
