// Bandwidth cases prove their results before they are timed: each library's case runs once, its
// input is read back, and its output is compared with a float64 reference computed here. A peer that
// does less work than asked (jax-js 0.x sums only the first 65,536 of 4M floats on llvmpipe) would
// otherwise look fast; its row keeps its timing but leaves the fastest-peer summary.
import type { Case } from './harness.js';

type Reference = (x: Float32Array) => Float64Array;

const rowSums = (x: Float32Array, n: number): Float64Array =>
  Float64Array.from({ length: x.length / n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += x[i * n + j]!;
    return s;
  });

export const CHECKED: Record<string, Reference> = {
  'sum of 4M floats': (x) => Float64Array.of(x.reduce((s, v) => s + v, 0)),
  'row sums of 1024x1024': (x) => rowSums(x, 1024),
  'copy 16 MiB': (x) => Float64Array.from(x),
};

/** How each library reads a case's input (`state.x`) back to the host. */
export const READ_INPUT: Record<string, (x: any) => Promise<Float32Array>> = {
  tellus: (x) => x.data(),
  'jax-js': (x) => x.ref.data(),
  tfjs: (x) => x.data(),
};

// Float32 sums of 4M terms in any order stay well inside this (Tellus's compensated sum: ~1e-7).
const TOL = 1e-4;

/** Null if the case's output matches the float64 reference, else what is wrong. */
export async function checkCase(name: string, library: string, c: Case): Promise<string | null> {
  const reference = CHECKED[name];
  const read = READ_INPUT[library];
  if (!reference || !read) return null;
  const state: Record<string, any> = {};
  await c(state);
  const want = reference(await read(state.x));
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
