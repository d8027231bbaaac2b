// Gaussian-smeared straight rays, the travel-time operator the NFs-Inv authors used for their
// cross-hole cases instead of exact ray-cell lengths: each ray is the line integral of the slowness
// smoothed by a truncated Gaussian. The ray A -> B is cut into n equal pieces of length ds (n =
// ceil(|B - A| / (spacing h))); at each piece's midpoint p the cells get the kernel
//   k_j = exp(-(dx_j^2 + dz_j^2) / sigma),  dx, dz = cell centre - p in units of h,
// zeroed where k_j < threshold, normalized to sum 1 over the mesh's cells, times ds. So a row sums
// to the ray length (a uniform slowness s gives t = |B - A| s exactly) and reversing a ray gives the
// same row. h is the smallest cell width (the cell size on the authors' uniform meshes); sigma = 2,
// threshold = 0.1 as they used: the kernel reaches sqrt(2 ln 10) = 2.15 cells from the ray.
// Host code in float64; the triplets have the layout of the straight-ray tracer's (ray i = source
// x nReceivers + receiver), so they can feed tl.sparseMatrix or a tomography simulation built from
// triplets. Coordinates: x horizontal, z depth, metres; cells row-major over [nz, nx].
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { meshNodes, type RayMesh, type RayTriplets } from '../../physics/tomography/rays.js';

export interface SmearedRayOptions {
  /** Kernel width: exp(-(dx^2 + dz^2) / sigma) with dx, dz in cells. Default 2. */
  sigma?: number;
  /** Kernel values below this are zeroed. Default 0.1. */
  threshold?: number;
  /** Distance between the samples along a ray, in cells. Default 0.25. */
  spacing?: number;
}
const OPTIONS = optionNames<SmearedRayOptions>()('sigma', 'threshold', 'spacing');

/** COO triplets of the smeared-ray matrix [nRays, nCells] (metres), in the straight-ray tracer's layout; row sums are the ray lengths. */
export type SmearedRayTriplets = RayTriplets;

const WHAT = 'smearedRays(mesh, sources, receivers, opts)';

function sensors(p: unknown, name: string, X: Float64Array, Z: Float64Array, tol: number): Float64Array {
  if (!(p instanceof Float64Array || p instanceof Float32Array || Array.isArray(p)))
    throw argError(WHAT, name, 'a Float64Array (or array) of (x, z) pairs', p);
  const v = p as ArrayLike<number>;
  if (v.length === 0 || v.length % 2 !== 0)
    throw argErrorText(WHAT, name, 'a non-empty even number of values (x, z pairs)', `${v.length} values`, RangeError);
  for (let k = 0; k < v.length; k += 2) {
    const [x, z] = [v[k]!, v[k + 1]!];
    if (!(x >= X[0]! - tol && x <= X[X.length - 1]! + tol && z >= Z[0]! - tol && z <= Z[Z.length - 1]! + tol))
      throw argErrorText(
        WHAT,
        `${name}[${k / 2}]`,
        `a point inside the mesh [${X[0]}, ${X[X.length - 1]}] x [${Z[0]}, ${Z[Z.length - 1]}] m`,
        `(${x}, ${z})`,
        RangeError,
      );
  }
  return Float64Array.from(v);
}

/** First index i with centres[i] >= v (centres ascending). */
function lowerBound(c: Float64Array, v: number): number {
  let [lo, hi] = [0, c.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Smeared-ray triplets for every source to every receiver on `mesh`; see the file comment. */
export function smearedRays(
  mesh: RayMesh,
  sources: ArrayLike<number>,
  receivers: ArrayLike<number>,
  opts: SmearedRayOptions = {},
): SmearedRayTriplets {
  checkOptions(opts, OPTIONS, WHAT);
  const num = (v: unknown, arg: string, dflt: number, ok: (x: number) => boolean, want: string): number => {
    const x = v ?? dflt;
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw argError(WHAT, `opts.${arg}`, want, x, RangeError);
    return x;
  };
  const sigma = num(opts.sigma, 'sigma', 2, (x) => x > 0, 'a finite number > 0');
  const threshold = num(opts.threshold, 'threshold', 0.1, (x) => x > 0 && x < 1, 'a number in (0, 1)');
  const spacing = num(opts.spacing, 'spacing', 0.25, (x) => x > 0, 'a finite number > 0');
  const { X, Z, tol } = meshNodes(WHAT, mesh);
  const { nx, nz } = mesh;
  const src = sensors(sources, 'sources', X, Z, tol);
  const rec = sensors(receivers, 'receivers', X, Z, tol);
  const cx = Float64Array.from({ length: nx }, (_, i) => (X[i]! + X[i + 1]!) / 2);
  const cz = Float64Array.from({ length: nz }, (_, i) => (Z[i]! + Z[i + 1]!) / 2);
  let h = Infinity;
  for (let i = 0; i < nx; i++) h = Math.min(h, X[i + 1]! - X[i]!);
  for (let i = 0; i < nz; i++) h = Math.min(h, Z[i + 1]! - Z[i]!);
  const radius = Math.sqrt(sigma * Math.log(1 / threshold)) * h; // beyond it the kernel is < threshold
  const inv = 1 / (sigma * h * h);

  const nS = src.length / 2;
  const nR = rec.length / 2;
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  const distance = new Float64Array(nS * nR);
  const acc = new Float64Array(nx * nz);
  const touched: number[] = [];
  const ks: number[] = [];
  const kj: number[] = [];
  for (let s = 0; s < nS; s++)
    for (let r = 0; r < nR; r++) {
      const ray = s * nR + r;
      const [ax, az, bx, bz] = [src[2 * s]!, src[2 * s + 1]!, rec[2 * r]!, rec[2 * r + 1]!];
      const len = Math.hypot(bx - ax, bz - az);
      distance[ray] = len;
      if (len === 0) continue;
      const n = Math.max(1, Math.ceil(len / (spacing * h)));
      const ds = len / n;
      for (let k = 0; k < n; k++) {
        const f = (k + 0.5) / n;
        const [px, pz] = [ax + f * (bx - ax), az + f * (bz - az)];
        const [i0, i1] = [lowerBound(cx, px - radius), lowerBound(cx, px + radius + 1e-12 * h)];
        const [j0, j1] = [lowerBound(cz, pz - radius), lowerBound(cz, pz + radius + 1e-12 * h)];
        ks.length = 0;
        kj.length = 0;
        let total = 0;
        for (let iz = j0; iz < j1; iz++)
          for (let ix = i0; ix < i1; ix++) {
            const [dx, dz] = [cx[ix]! - px, cz[iz]! - pz];
            const w = Math.exp(-(dx * dx + dz * dz) * inv);
            if (w < threshold) continue;
            ks.push(w);
            kj.push(iz * nx + ix);
            total += w;
          }
        // The nearest cell centre is within half a cell of p, so its kernel is >= exp(-0.5 (max/min width)^2 / sigma);
        // only very stretched cells could leave none above the threshold: then the nearest cell takes the piece.
        if (total === 0) {
          const ix = Math.min(nx - 1, Math.max(0, lowerBound(X, px) - 1));
          const iz = Math.min(nz - 1, Math.max(0, lowerBound(Z, pz) - 1));
          [ks[0], kj[0], total] = [1, iz * nx + ix, 1];
        }
        for (let q = 0; q < ks.length; q++) {
          const j = kj[q]!;
          if (acc[j] === 0) touched.push(j);
          acc[j] = acc[j]! + (ds * ks[q]!) / total;
        }
      }
      touched.sort((a, b) => a - b);
      for (const j of touched) {
        rows.push(ray);
        cols.push(j);
        values.push(acc[j]!);
        acc[j] = 0;
      }
      touched.length = 0;
    }
  return {
    nRays: nS * nR,
    nCells: nx * nz,
    nSources: nS,
    nReceivers: nR,
    rows: Int32Array.from(rows),
    cols: Int32Array.from(cols),
    values: Float64Array.from(values),
    distance,
  };
}
