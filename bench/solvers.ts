// Pieces shared by the PCG benches (bench/pcg.ts, bench/dc.ts): a timed GPU solve after a warm-up,
// and the same Jacobi PCG in float64 on the host as the CPU reference.
import * as tl from '../src/index.js';

/** One warm-up solve (pipelines), then a timed one: iterations, milliseconds, worst true residual. */
export async function timedPcg(
  A: (x: tl.Tensor) => tl.Tensor,
  b: tl.Tensor,
  opts: tl.PcgOptions,
): Promise<{ iterations: number; solveMs: number; relativeResidual: number }> {
  await tl.pcg(A, b, opts).then((r) => r.x.dispose());
  const t0 = performance.now();
  const r = await tl.pcg(A, b, opts);
  const solveMs = performance.now() - t0;
  r.x.dispose();
  return { iterations: r.iterations, solveMs, relativeResidual: Math.max(...r.relativeResidual) };
}

/** Jacobi PCG in float64 on the host for one right-hand side: the iterations to a relative residual of tol. */
export function hostPcg(A: tl.CsrMatrix, b: ArrayLike<number>, tol: number): number {
  const { rowPtr, colIdx, values } = A.host;
  const n = A.rows;
  const d = A.diagonal();
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const z = r.map((v, i) => v / d[i]!);
  const p = Float64Array.from(z);
  const Ap = new Float64Array(n);
  const bb = r.reduce((s, v) => s + v * v, 0);
  let rz = r.reduce((s, v, i) => s + v * z[i]!, 0);
  let k = 0;
  for (; k < 100000 && r.reduce((s, v) => s + v * v, 0) > tol * tol * bb; k++) {
    for (let row = 0; row < n; row++) {
      let s = 0;
      for (let q = rowPtr[row]!; q < rowPtr[row + 1]!; q++) s += values[q]! * p[colIdx[q]!]!;
      Ap[row] = s;
    }
    const alpha = rz / p.reduce((s, v, i) => s + v * Ap[i]!, 0);
    for (let i = 0; i < n; i++) ((x[i]! += alpha * p[i]!), (r[i]! -= alpha * Ap[i]!), (z[i] = r[i]! / d[i]!));
    const rz1 = r.reduce((s, v, i) => s + v * z[i]!, 0);
    for (let i = 0; i < n; i++) p[i] = z[i]! + (rz1 / rz) * p[i]!;
    rz = rz1;
  }
  return k;
}
