// An independent float64 reference of the 2.5D DC scheme (src/physics/dc): the same discrete
// problem assembled here cell by cell from the mesh widths, and solved exactly by a banded Cholesky
// factorization (bandwidth nx) per wavenumber. Imports nothing from Tellus: the tests pass it the
// quadrature (checked separately) and K1/K0 (checked against tables).

export interface RefMesh {
  hx: ArrayLike<number>;
  hz: ArrayLike<number>;
  x0: number; // left edge; the top is z = 0
}

export type Pt = readonly [number, number];

/** Banded SPD matrix: rows of the lower band, L[i][k] = A[i][i - k], k = 0..bw. */
function cholBand(n: number, bw: number, A: Float64Array): Float64Array {
  // In place: A holds band entries a(i, i-k) at i * (bw + 1) + k.
  const L = Float64Array.from(A);
  const at = (i: number, k: number): number => i * (bw + 1) + k;
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - bw); j <= i; j++) {
      let s = L[at(i, i - j)]!;
      for (let p = Math.max(0, i - bw, j - bw); p < j; p++) s -= L[at(i, i - p)]! * L[at(j, j - p)]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`dc-ref: matrix not positive definite at row ${i}`);
        L[at(i, 0)] = Math.sqrt(s);
      } else L[at(i, i - j)] = s / L[at(j, 0)]!;
    }
  }
  return L;
}

function solveBand(n: number, bw: number, L: Float64Array, b: Float64Array): Float64Array {
  const at = (i: number, k: number): number => i * (bw + 1) + k;
  const y = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = y[i]!;
    for (let p = Math.max(0, i - bw); p < i; p++) s -= L[at(i, i - p)]! * y[p]!;
    y[i] = s / L[at(i, 0)]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let p = i + 1; p <= Math.min(n - 1, i + bw); p++) s -= L[at(p, p - i)]! * y[p]!;
    y[i] = s / L[at(i, 0)]!;
  }
  return y;
}

/**
 * Interpolation weights of the cell centres at p: linear between the two nearest centres along x
 * (the outermost beyond them); along z the same below the first centre, and above it (surface
 * electrodes) phi = a + c z^2 through the first two centres (zero flux at z = 0).
 */
export function refWeights(mesh: RefMesh, p: Pt): Map<number, number> {
  const nx = mesh.hx.length;
  const centres = (h: ArrayLike<number>, start: number): number[] => {
    const c: number[] = [];
    let x = start;
    for (let i = 0; i < h.length; i++) {
      c.push(x + h[i]! / 2);
      x += h[i]!;
    }
    return c;
  };
  const linear = (c: number[], v: number): [number, number][] => {
    if (v <= c[0]!) return [[0, 1]];
    if (v >= c[c.length - 1]!) return [[c.length - 1, 1]];
    let i = 0;
    while (c[i + 1]! < v) i++;
    const idx = [i, i + 1];
    return idx.map((k) => [k, idx.reduce((w, j) => (j === k ? w : (w * (v - c[j]!)) / (c[k]! - c[j]!)), 1)]);
  };
  const cz = centres(mesh.hz, 0);
  const wx = linear(centres(mesh.hx, mesh.x0), p[0]);
  let wz: [number, number][];
  if (p[1] < cz[0]!) {
    const t = (p[1] ** 2 - cz[0]! ** 2) / (cz[1]! ** 2 - cz[0]! ** 2);
    wz = [
      [0, 1 - t],
      [1, t],
    ];
  } else wz = linear(cz, p[1]);
  const w = new Map<number, number>();
  for (const [ix, a] of wx) for (const [iz, b] of wz) w.set(iz * nx + ix, (w.get(iz * nx + ix) ?? 0) + a * b);
  return w;
}

/**
 * Space-domain potentials [nCells] of unit point currents at `sources` (each a list of
 * [electrode, current]) for conductivity sigma [nCells], summed over the quadrature.
 */
export function refPotentials(
  mesh: RefMesh,
  sigma: ArrayLike<number>,
  sources: [Pt, number][][],
  quad: { points: ArrayLike<number>; weights: ArrayLike<number> },
  k1OverK0: (x: number) => number,
): Float64Array[] {
  const nx = mesh.hx.length;
  const nz = mesh.hz.length;
  const n = nx * nz;
  const bw = nx;
  const xn = [mesh.x0];
  for (let i = 0; i < nx; i++) xn.push(xn[i]! + mesh.hx[i]!);
  const zn = [0];
  for (let i = 0; i < nz; i++) zn.push(zn[i]! + mesh.hz[i]!);
  const [xs, zs] = [(xn[0]! + xn[nx]!) / 2, 0];
  const rhs = sources.map((list) => {
    const b = new Float64Array(n);
    for (const [p, I] of list) for (const [c, w] of refWeights(mesh, p)) b[c] = b[c]! + I * w;
    return b;
  });
  const out = sources.map(() => new Float64Array(n));
  for (let q = 0; q < quad.points.length; q++) {
    const ky = quad.points[q]!;
    const A = new Float64Array(n * (bw + 1));
    const at = (i: number, j: number): number => i * (bw + 1) + (i - j); // i >= j
    const couple = (i: number, j: number, g: number): void => {
      A[at(i, i)] = A[at(i, i)]! + g;
      A[at(j, j)] = A[at(j, j)]! + g;
      const [hi, lo] = i > j ? [i, j] : [j, i];
      A[at(hi, lo)] = A[at(hi, lo)]! - g;
    };
    const robin = (c: number, fx: number, fz: number, nxv: number, nzv: number, L: number, h: number): void => {
      const r = Math.hypot(fx - xs, fz - zs);
      const alpha = ky * k1OverK0(ky * r) * (((fx - xs) * nxv + (fz - zs) * nzv) / r);
      A[at(c, c)] = A[at(c, c)]! + (sigma[c]! * L * alpha) / (1 + (alpha * h) / 2);
    };
    for (let iz = 0; iz < nz; iz++)
      for (let ix = 0; ix < nx; ix++) {
        const c = iz * nx + ix;
        const [hx, hz] = [mesh.hx[ix]!, mesh.hz[iz]!];
        A[at(c, c)] = A[at(c, c)]! + ky * ky * sigma[c]! * hx * hz;
        // Series conductance through the two half cells, times the face length.
        if (ix + 1 < nx) couple(c, c + 1, hz / (hx / 2 / sigma[c]! + mesh.hx[ix + 1]! / 2 / sigma[c + 1]!));
        if (iz + 1 < nz) couple(c, c + nx, hx / (hz / 2 / sigma[c]! + mesh.hz[iz + 1]! / 2 / sigma[c + nx]!));
        const zc = zn[iz]! + hz / 2;
        if (ix === 0) robin(c, xn[0]!, zc, -1, 0, hz, hx);
        if (ix === nx - 1) robin(c, xn[nx]!, zc, 1, 0, hz, hx);
        if (iz === nz - 1) robin(c, xn[ix]! + hx / 2, zn[nz]!, 0, 1, hx, hz);
      }
    const L = cholBand(n, bw, A);
    rhs.forEach((b, s) => {
      const u = solveBand(n, bw, L, b);
      const o = out[s]!;
      for (let c = 0; c < n; c++) o[c] = o[c]! + quad.weights[q]! * u[c]!;
    });
  }
  return out;
}

/** Potential of a potential field u at p (bilinear from the centres). */
export function refSample(mesh: RefMesh, u: ArrayLike<number>, p: Pt): number {
  let v = 0;
  for (const [c, w] of refWeights(mesh, p)) v += w * u[c]!;
  return v;
}

/** Half-space voltage V_MN for 1 A at A (and -1 A at B), resistivity rho, surface electrodes. */
export function halfSpaceVoltage(rho: number, a: Pt, b: Pt | null, m: Pt, n: Pt | null): number {
  const v = (p: Pt): number => 1 / Math.abs(p[0] - a[0]) - (b ? 1 / Math.abs(p[0] - b[0]) : 0);
  return (rho / (2 * Math.PI)) * (v(m) - (n ? v(n) : 0));
}
