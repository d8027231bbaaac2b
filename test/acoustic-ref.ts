// Float64 CPU references for the acoustic propagator tests: an independent implementation of the
// discrete scheme that tl.acoustic2d promises (Deepwave's scalar-propagator conventions, written
// out in ../shared/notes/physics-references.md and docs/), the closed-form 2D Green's function
// convolved with a Ricker wavelet, and small helpers. No Tellus call computes anything here: the
// module imports nothing but ./numerics.ts (itself import-free), so it also runs in plain scripts.
//
// The scheme, per shot, on a grid padded by the PML widths and accuracy/2 ghost cells per edge:
//   u[t+1] = v²dt² · W(u[t]) + 2u[t] − u[t−1],   then   u[t+1][src] += −v(src)²dt² · f[t]
//   r[t]   = u[t][rec]   (recorded before step t, so r[0] = 0)
// W is the sum over the two axes of the C-PML-modified second derivative
//   tmp = (1+b)·D2u + b'·D1u + D1(a·ψ),   W_axis = (1+b)·tmp + a·ζ,
//   ψ ← b·D1u + a·ψ,   ζ ← b·tmp + a·ζ          (ψ, ζ on the right-hand sides are the old fields)
// which reduces to D2u where a, b and b' vanish over the stencil. Ghost cells hold u = 0; with a
// free surface the top ghost rows hold the odd image of the interior about the row just above
// z = 0 (that row is 0, row −1−k holds −u[k−1]).
import { maxAbs } from './numerics.js';

export type Accuracy = 2 | 4 | 6 | 8;
export const ACCURACIES: readonly Accuracy[] = [2, 4, 6, 8];

/** Second-derivative coefficients [a0, a1, ..., ak] (times 1/h²): D2u = a0 u + Σ ak (u[+k] + u[−k]). */
export const D2: Record<Accuracy, readonly number[]> = {
  2: [-2, 1],
  4: [-5 / 2, 4 / 3, -1 / 12],
  6: [-49 / 18, 3 / 2, -3 / 20, 1 / 90],
  8: [-205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560],
};

/** First-derivative coefficients [c1, ..., ck] (times 1/h): D1u = Σ ck (u[+k] − u[−k]). */
export const D1: Record<Accuracy, readonly number[]> = {
  2: [1 / 2],
  4: [2 / 3, -1 / 12],
  6: [3 / 4, -3 / 20, 1 / 60],
  8: [4 / 5, -1 / 5, 4 / 105, -1 / 280],
};

/** |a0| + 2 Σ|ak|: the largest eigenvalue of −D2·h² (at the Nyquist wavenumber). */
export function stencilNorm(acc: Accuracy): number {
  const c = D2[acc];
  return c.reduce((s, a, k) => s + (k === 0 ? Math.abs(a) : 2 * Math.abs(a)), 0);
}

/**
 * The largest stable dt of the leapfrog scheme with this Laplacian: v²dt²·λmax ≤ 4 with
 * λmax = S (1/dz² + 1/dx²), the Laplacian's largest eigenvalue (a checkerboard mode).
 */
export function cflLimitRef(acc: Accuracy, dx: number, dz: number, vmax: number): number {
  return 2 / (vmax * Math.sqrt(stencilNorm(acc) * (1 / (dx * dx) + 1 / (dz * dz))));
}

/** Ricker wavelet in float64: (1 − 2π²f²τ²)·exp(−π²f²τ²), τ = t·dt − delay. */
export function ricker64(freq: number, nt: number, dt: number, delay = 1.5 / freq): Float64Array {
  const out = new Float64Array(nt);
  for (let t = 0; t < nt; t++) {
    const p = (Math.PI * freq * (t * dt - delay)) ** 2;
    out[t] = (1 - 2 * p) * Math.exp(-p);
  }
  return out;
}

/** A plain row-major array with a shape (structurally compatible with helpers.HostArray). */
export interface Arr {
  shape: number[];
  data: ArrayLike<number>;
}

export interface RefOptions {
  dx: number;
  dz?: number;
  dt: number;
  /** Number of steps; defaults to the source amplitudes' last dimension. */
  nt?: number;
  sourceAmplitudes?: Arr; // [shot, nsrc, nt]
  sourceLocations?: Arr; // [shot, nsrc, 2] (z, x)
  receiverLocations?: Arr; // [shot, nrec, 2] (z, x)
  accuracy?: Accuracy;
  pmlWidth?: number | readonly [number, number, number, number];
  pmlFreq?: number;
  freeSurface?: boolean;
  maxVel?: number;
  /** 'float32' stores every field (u, ψ, ζ) and coefficient as float32: an estimate of the device's round-off. */
  precision?: 'float64' | 'float32';
  /** Also return the interior wavefield [shot, nz, nx] after each of these step counts (0..nt). */
  snapshotsAt?: readonly number[];
}

export interface RefResult {
  receivers: { shape: number[]; data: Float64Array }; // [shot, nrec, nt]
  wavefield: { shape: number[]; data: Float64Array }; // [shot, nz, nx], after nt steps
  snapshots: { shape: number[]; data: Float64Array }[];
}

/** The four PML widths [top, bottom, left, right] after applying the free-surface rule. */
export function pmlWidths(opts: Pick<RefOptions, 'pmlWidth' | 'freeSurface'>): [number, number, number, number] {
  const w = opts.pmlWidth ?? 20;
  const ws: [number, number, number, number] = typeof w === 'number' ? [w, w, w, w] : [w[0], w[1], w[2], w[3]];
  if (opts.freeSurface) ws[0] = 0;
  return ws;
}

/**
 * C-PML profile along one axis of the padded grid (length n + w0 + w1 + 2·ghost): a, b and
 * db = D1 b (only meaningful at non-ghost cells, where the stencil stays inside the array).
 */
export function pmlProfile(
  n: number,
  w0: number,
  w1: number,
  ghost: number,
  h: number,
  dt: number,
  sigma0: number,
  pmlFreq: number,
  acc: Accuracy,
): { a: Float64Array; b: Float64Array; db: Float64Array } {
  const np = n + w0 + w1 + 2 * ghost;
  const a = new Float64Array(np);
  const b = new Float64Array(np);
  const db = new Float64Array(np);
  const start0 = ghost + w0;
  const start1 = np - 1 - ghost - w1;
  const alpha0 = Math.PI * pmlFreq;
  for (let i = 0; i < np; i++) {
    const f0 = w0 > 0 ? (start0 - i) / w0 : 0;
    const f1 = w1 > 0 ? (i - start1) / w1 : 0;
    const frac = Math.min(Math.max(f0, f1, 0), 1);
    if (frac === 0) continue; // σ = 0 so b = 0, and a is set to 0 where frac = 0
    const sigma = sigma0 * frac * frac;
    const alpha = alpha0 * (1 - frac);
    const sa = sigma + alpha;
    a[i] = Math.exp(-sa * dt);
    b[i] = (sigma / sa) * (a[i]! - 1);
  }
  const c = D1[acc];
  for (let i = ghost; i < np - ghost; i++) {
    let s = 0;
    for (let k = 1; k <= c.length; k++) s += c[k - 1]! * (b[i + k]! - b[i - k]!);
    db[i] = s / h;
  }
  return { a, b, db };
}

function int(x: number, what: string): number {
  if (!Number.isInteger(x)) throw new Error(`acousticRef: ${what} must be an integer, got ${x}`);
  return x;
}

/**
 * The float64 reference propagator. Same arguments as tl.acoustic2d, with host arrays. v is
 * [nz, nx]; the shot count comes from the source or receiver locations (1 if neither is given).
 */
export function acousticRef(v: Arr, opts: RefOptions): RefResult {
  const [nz, nx] = v.shape as [number, number];
  const acc = opts.accuracy ?? 4;
  const dx = opts.dx;
  const dz = opts.dz ?? dx;
  const dt = opts.dt;
  const g = acc / 2;
  const [wT, wB, wL, wR] = pmlWidths(opts);
  const amps = opts.sourceAmplitudes;
  const sloc = opts.sourceLocations;
  const rloc = opts.receiverLocations;
  const nt = opts.nt ?? amps?.shape[2];
  if (nt === undefined) throw new Error('acousticRef: nt is needed when there are no sources');
  const nshot = sloc?.shape[0] ?? rloc?.shape[0] ?? 1;
  const nsrc = sloc?.shape[1] ?? 0;
  const nrec = rloc?.shape[1] ?? 0;
  if (amps && (amps.shape[0] !== nshot || amps.shape[1] !== nsrc || amps.shape[2] !== nt))
    throw new Error(`acousticRef: sourceAmplitudes shape [${amps.shape}] vs [${nshot}, ${nsrc}, ${nt}]`);
  if (rloc && rloc.shape[0] !== nshot) throw new Error('acousticRef: receiver shot count');
  const f32 = opts.precision === 'float32';
  const R = f32 ? Math.fround : (x: number) => x;
  const Field = f32 ? Float32Array : Float64Array;

  let vmax = opts.maxVel;
  if (vmax === undefined) {
    vmax = 0;
    for (let i = 0; i < v.data.length; i++) vmax = Math.max(vmax, Math.abs(v.data[i]!));
  }
  const lmax = Math.max(wT * dz, wB * dz, wL * dx, wR * dx);
  const sigma0 = lmax > 0 ? (-3 * vmax * Math.log(0.001)) / (2 * lmax) : 0;
  const pmlFreq = opts.pmlFreq ?? 25;
  const pz = pmlProfile(nz, wT, wB, g, dz, dt, sigma0, pmlFreq, acc);
  const px = pmlProfile(nx, wL, wR, g, dx, dt, sigma0, pmlFreq, acc);
  const Z = nz + wT + wB + 2 * g;
  const X = nx + wL + wR + 2 * g;
  const z0 = g + wT; // padded row of interior row 0
  const x0 = g + wL;
  const lift = (p: Float64Array): ArrayLike<number> => (f32 ? Float32Array.from(p) : p);
  const [az, bz, dbz, ax, bx, dbx] = [lift(pz.a), lift(pz.b), lift(pz.db), lift(px.a), lift(px.b), lift(px.db)] as const;

  // Velocity padded by edge replication; v²dt² per padded cell.
  const v2dt2 = new Field(Z * X);
  for (let z = 0; z < Z; z++) {
    const iz = Math.min(Math.max(z - z0, 0), nz - 1);
    for (let x = 0; x < X; x++) {
      const ix = Math.min(Math.max(x - x0, 0), nx - 1);
      const vv = v.data[iz * nx + ix]!;
      v2dt2[z * X + x] = R(vv * vv * dt * dt);
    }
  }
  // Rows / columns where the PML terms vanish over the whole stencil: W_axis = D2u exactly there.
  const plain = (a: ArrayLike<number>, b: ArrayLike<number>, db: ArrayLike<number>, n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = g; i < n - g; i++) {
      let p = b[i] === 0 && db[i] === 0;
      for (let k = -g; k <= g && p; k++) p = a[i + k] === 0;
      out[i] = p ? 1 : 0;
    }
    return out;
  };
  const plainZ = plain(az, bz, dbz, Z);
  const plainX = plain(ax, bx, dbx, X);

  const c2 = D2[acc];
  const c1 = D1[acc];
  const c2z = c2.map((c) => c / (dz * dz));
  const c2x = c2.map((c) => c / (dx * dx));
  const c1z = c1.map((c) => c / dz);
  const c1x = c1.map((c) => c / dx);

  const cell = (loc: Arr, s: number, i: number, what: string): number => {
    const base = (s * loc.shape[1]! + i) * 2;
    const lz = int(loc.data[base]!, what);
    const lx = int(loc.data[base + 1]!, what);
    if (lz < 0 || lz >= nz || lx < 0 || lx >= nx) throw new Error(`acousticRef: ${what} (${lz}, ${lx}) outside the ${nz}x${nx} grid`);
    return (lz + z0) * X + (lx + x0);
  };

  const receivers = new Float64Array(nshot * nrec * nt);
  const wavefield = new Float64Array(nshot * nz * nx);
  const snapAt = opts.snapshotsAt ?? [];
  const snapshots = snapAt.map(() => new Float64Array(nshot * nz * nx));
  const copyInterior = (u: ArrayLike<number>, out: Float64Array, s: number): void => {
    for (let z = 0; z < nz; z++) for (let x = 0; x < nx; x++) out[(s * nz + z) * nx + x] = u[(z + z0) * X + x + x0]!;
  };

  for (let s = 0; s < nshot; s++) {
    const srcCells = Array.from({ length: nsrc }, (_, i) => cell(sloc!, s, i, `source ${i} of shot ${s}`));
    const recCells = Array.from({ length: nrec }, (_, i) => cell(rloc!, s, i, `receiver ${i} of shot ${s}`));
    let prev = new Field(Z * X);
    let cur = new Field(Z * X);
    let next = new Field(Z * X);
    let psiZ = new Field(Z * X);
    let zetaZ = new Field(Z * X);
    let psiX = new Field(Z * X);
    let zetaX = new Field(Z * X);
    let psiZn = new Field(Z * X);
    let zetaZn = new Field(Z * X);
    let psiXn = new Field(Z * X);
    let zetaXn = new Field(Z * X);
    const snap = (t: number, u: ArrayLike<number>): void => snapAt.forEach((k, j) => k === t && copyInterior(u, snapshots[j]!, s));
    snap(0, cur);
    for (let t = 0; t < nt; t++) {
      for (let r = 0; r < nrec; r++) receivers[(s * nrec + r) * nt + t] = cur[recCells[r]!]!;
      if (opts.freeSurface) {
        // Ghost rows above the top: row z0 − 1 is the mirror (0), row z0 − 1 − k holds −u[z0 − 1 + k].
        for (let k = 1; k < g; k++) for (let x = 0; x < X; x++) cur[(z0 - 1 - k) * X + x] = -cur[(z0 - 1 + k) * X + x]!;
      }
      for (let z = g; z < Z - g; z++) {
        const pZ = plainZ[z] === 1;
        for (let x = g; x < X - g; x++) {
          const i = z * X + x;
          const u0 = cur[i]!;
          let d2z = c2z[0]! * u0;
          let d2x = c2x[0]! * u0;
          for (let k = 1; k <= g; k++) {
            d2z += c2z[k]! * (cur[i + k * X]! + cur[i - k * X]!);
            d2x += c2x[k]! * (cur[i + k]! + cur[i - k]!);
          }
          let w: number;
          if (pZ) w = d2z;
          else {
            let d1u = 0;
            let d1ap = 0;
            for (let k = 1; k <= g; k++) {
              d1u += c1z[k - 1]! * (cur[i + k * X]! - cur[i - k * X]!);
              d1ap += c1z[k - 1]! * (az[z + k]! * psiZ[i + k * X]! - az[z - k]! * psiZ[i - k * X]!);
            }
            const b = bz[z]!;
            const a = az[z]!;
            const tmp = (1 + b) * d2z + dbz[z]! * d1u + d1ap;
            w = (1 + b) * tmp + a * zetaZ[i]!;
            psiZn[i] = b * d1u + a * psiZ[i]!;
            zetaZn[i] = b * tmp + a * zetaZ[i]!;
          }
          if (plainX[x] === 1) w += d2x;
          else {
            let d1u = 0;
            let d1ap = 0;
            for (let k = 1; k <= g; k++) {
              d1u += c1x[k - 1]! * (cur[i + k]! - cur[i - k]!);
              d1ap += c1x[k - 1]! * (ax[x + k]! * psiX[i + k]! - ax[x - k]! * psiX[i - k]!);
            }
            const b = bx[x]!;
            const a = ax[x]!;
            const tmp = (1 + b) * d2x + dbx[x]! * d1u + d1ap;
            w += (1 + b) * tmp + a * zetaX[i]!;
            psiXn[i] = b * d1u + a * psiX[i]!;
            zetaXn[i] = b * tmp + a * zetaX[i]!;
          }
          next[i] = v2dt2[i]! * w + 2 * u0 - prev[i]!;
        }
      }
      if (amps) for (let j = 0; j < nsrc; j++) next[srcCells[j]!]! += -v2dt2[srcCells[j]!]! * amps.data[(s * nsrc + j) * nt + t]!;
      [prev, cur, next] = [cur, next, prev];
      [psiZ, psiZn] = [psiZn, psiZ];
      [zetaZ, zetaZn] = [zetaZn, zetaZ];
      [psiX, psiXn] = [psiXn, psiX];
      [zetaX, zetaXn] = [zetaXn, zetaX];
      snap(t + 1, cur);
    }
    copyInterior(cur, wavefield, s);
  }
  return {
    receivers: { shape: [nshot, nrec, nt], data: receivers },
    wavefield: { shape: [nshot, nz, nx], data: wavefield },
    snapshots: snapshots.map((d) => ({ shape: [nshot, nz, nx], data: d })),
  };
}

/**
 * Born (first-order scattered) data of the reference by float64 central differences:
 * (F(v + ε dv) − F(v − ε dv)) / 2ε with ε = rel·max|v| / max|dv|. maxVel is pinned to v's so the PML
 * profile does not move with the perturbation. Truncation is O(ε²) relative (~1e-8 at rel = 1e-4),
 * cancellation ~1e-16/rel: both far below float32 errors.
 */
export function bornRef(v: Arr, dv: Arr, opts: RefOptions, rel = 1e-4): Float64Array {
  let vmax = 0;
  let dmax = 0;
  for (let i = 0; i < v.data.length; i++) {
    vmax = Math.max(vmax, Math.abs(v.data[i]!));
    dmax = Math.max(dmax, Math.abs(dv.data[i]!));
  }
  if (dmax === 0) return new Float64Array(acousticRef(v, opts).receivers.data.length);
  const eps = (rel * vmax) / dmax;
  const o = { ...opts, maxVel: opts.maxVel ?? vmax };
  const at = (sgn: number): Float64Array =>
    acousticRef({ shape: v.shape, data: Float64Array.from(v.data, (x, i) => x + sgn * eps * dv.data[i]!) }, o).receivers.data;
  const p = at(1);
  const m = at(-1);
  return p.map((x, i) => (x - m[i]!) / (2 * eps));
}

/**
 * The closed-form 2D field of a point source q(t)·δ(x) for (1/c²)u_tt − ∇²u = q δ(x) (zero initial
 * state), sampled at t = k·dt:  u(r, t) = (1/2π) ∫₀^∞ q(t − (r/c) cosh η) dη, with q the Ricker
 * wavelet (freq, delay), zero for t < 0. Composite Simpson in η over [0, acosh(ct/r)] with `n`
 * intervals; the integrand is smooth (q and its derivatives are ~1e-9 at its onset), so n = 2000
 * gives ~1e-10 relative accuracy.
 */
export function greens2dRicker(r: number, c: number, freq: number, delay: number, dt: number, nt: number, n = 2000): Float64Array {
  const q = (t: number): number => {
    if (t < 0) return 0;
    const p = (Math.PI * freq * (t - delay)) ** 2;
    return (1 - 2 * p) * Math.exp(-p);
  };
  const out = new Float64Array(nt);
  const tau = r / c;
  for (let k = 0; k < nt; k++) {
    const t = k * dt;
    if (t <= tau) continue;
    const top = Math.acosh(t / tau);
    const h = top / n;
    let s = q(t - tau) + q(t - tau * Math.cosh(top));
    for (let j = 1; j < n; j++) s += (j % 2 === 1 ? 4 : 2) * q(t - tau * Math.cosh(j * h));
    out[k] = (s * h) / 3 / (2 * Math.PI);
  }
  return out;
}

// The shared numerics, re-exported for the acoustic tests that import them from here.
export { dot, logSlope, maxAbs, relL2 } from './numerics.js';

/**
 * A smooth random field [nz, nx]: a sum of `bumps` Gaussian bumps with amplitudes uniform in
 * [−1, 1], each about `width` cells wide, at random centres (deterministic in the generator).
 */
export function smoothField(next: () => number, nz: number, nx: number, bumps = 5, width = 6): Float64Array {
  const out = new Float64Array(nz * nx);
  for (let k = 0; k < bumps; k++) {
    const cz = next() * nz;
    const cx = next() * nx;
    const amp = 2 * next() - 1;
    const w = width * (0.6 + 0.8 * next());
    for (let z = 0; z < nz; z++)
      for (let x = 0; x < nx; x++) out[z * nx + x]! += amp * Math.exp(-((z - cz) ** 2 + (x - cx) ** 2) / (2 * w * w));
  }
  return out;
}

/**
 * A smooth random velocity model base·(1 + contrast·field / max|field|), rounded to float32 so the
 * reference sees exactly what is uploaded.
 */
export function smoothModel(next: () => number, nz: number, nx: number, base: number, contrast = 0.15, bumps = 5, width = 6): Float64Array {
  const f = smoothField(next, nz, nx, bumps, width);
  const m = maxAbs(f) || 1;
  return Float64Array.from(f, (x) => Math.fround(base * (1 + (contrast * x) / m)));
}
