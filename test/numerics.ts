// Host-side numerics shared by the tests: error norms, float64 inner products and log-log slope
// fits. Everything accumulates in float64 from whatever arrays it is given (read-back float32
// values or float64 references).

/** Largest |a_i|. */
export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Largest |a_i - b_i|. */
export const maxErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Relative L2 error ||got - want|| / ||want||. */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Float64 inner product <a, b>. */
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Σ|a_i b_i|: the size of the terms <a, b> sums, the scale of its round-off. */
export const absDot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
};

/** Least-squares slope of log y against log x. */
export function logSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/**
 * Fails unless max|got − want| ≤ tol·scale (scale: max|want| unless given), reporting the worst
 * element; returns the measured ratio. `log` prints it next to the tolerance.
 */
export function expectScaled(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  what: string,
  scaleIn?: number,
  log = false,
): number {
  if (got.length !== want.length) throw new Error(`${what}: got ${got.length} values, expected ${want.length}`);
  const scale = scaleIn ?? maxAbs(want);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  const rel = worst === 0 ? 0 : worst / scale;
  if (log) console.log(`${what}: max error ${rel.toExponential(2)} of the scale (allowed ${tol})`);
  if (!(rel <= tol))
    throw new Error(
      `${what}: max |got − want| = ${worst.toExponential(3)} at element ${at} (got ${got[at]}, want ${want[at]}) is ${rel.toExponential(2)} of the scale ${scale.toExponential(3)}; allowed ${tol}`,
    );
  return rel;
}

/** Gaussian elimination with partial pivoting, float64. */
export function solveDense(m: Float64Array, rhs: ArrayLike<number>): Float64Array {
  const n = rhs.length;
  const a = Float64Array.from(m);
  const x = Float64Array.from(rhs);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    for (let k = 0; k < n; k++) [a[c * n + k], a[p * n + k]] = [a[p * n + k]!, a[c * n + k]!];
    [x[c], x[p]] = [x[p]!, x[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / a[c * n + c]!;
      for (let k = c; k < n; k++) a[r * n + k]! -= f * a[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r * n + k]! * x[k]!;
    x[r] = s / a[r * n + r]!;
  }
  return x;
}

/** Symmetric eigendecomposition (row-major n x n) by cyclic Jacobi rotations in float64: values descending, unit vectors. */
export function jacobiEigh(S: Float64Array, n: number): { values: number[]; vectors: Float64Array[] } {
  const A = Float64Array.from(S);
  const V = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const scale = Math.sqrt(A.reduce((s, v) => s + v * v, 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (Math.sqrt(off) <= 1e-15 * scale) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [akp, akq] = [A[k * n + p]!, A[k * n + q]!];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const [apk, aqk] = [A[p * n + k]!, A[q * n + k]!];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const [vkp, vkq] = [V[k * n + p]!, V[k * n + q]!];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]!);
  return {
    values: order.map((i) => A[i * n + i]!),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => V[k * n + i]!)),
  };
}
