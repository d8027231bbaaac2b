// Host-side set-up of a 2D acoustic run: argument checks, the CFL limit, finite-difference weights,
// the padded grid with its C-PML profiles (float64, then float32), and source/receiver cell indices.
// Conventions follow Deepwave's scalar propagator; docs/acoustic.md states them.
import { Tensor } from '../graph/tensor.js';
import { hostValues } from '../ops/creation.js';

export type Accuracy = 2 | 4 | 6 | 8;

/** 1D second-derivative weights for distance 0..R (symmetric) and first-derivative weights for 1..R (odd). */
export const SECOND: Record<Accuracy, number[]> = {
  2: [-2, 1],
  4: [-5 / 2, 4 / 3, -1 / 12],
  6: [-49 / 18, 3 / 2, -3 / 20, 1 / 90],
  8: [-205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560],
};
export const FIRST: Record<Accuracy, number[]> = {
  2: [1 / 2],
  4: [2 / 3, -1 / 12],
  6: [3 / 4, -3 / 20, 1 / 60],
  8: [4 / 5, -1 / 5, 4 / 105, -1 / 280],
};

/** Locations as nested arrays [shot][n][(z, x)] or an int32 tensor created from host data. */
export type Locations = Tensor | readonly (readonly (readonly number[])[])[];

export interface Acoustic2dOptions {
  /** Grid spacing along x (and z unless `dz` is given), in metres. */
  dx: number;
  dz?: number;
  /** Time step in seconds; must satisfy the CFL limit of the chosen accuracy. */
  dt: number;
  /** [shot, source, time] amplitudes (float32). */
  sourceAmplitudes?: Tensor;
  /** [shot, source, 2] cell indices (z, x). */
  sourceLocations?: Locations;
  /** [shot, receiver, 2] cell indices (z, x). */
  receiverLocations?: Locations;
  /** Number of time steps; needed only without sources (otherwise the amplitudes' last axis). */
  nt?: number;
  accuracy?: Accuracy;
  /** PML cells per edge: one width, or [top, bottom, left, right]. 0 leaves a reflecting edge. */
  pmlWidth?: number | readonly [number, number, number, number];
  /** Frequency (Hz) in the C-PML's alpha profile. */
  pmlFreq?: number;
  /** Pressure-release surface one cell above the first model row (forces the top PML width to 0). */
  freeSurface?: boolean;
  /** Upper bound of |v| for the CFL check and the PML profile; required when `v` was computed on the GPU. */
  maxVel?: number;
  /** Keep every k-th time step's state for the backward pass (default: from `memoryBudget`). */
  checkpointEvery?: number;
  /** Bytes the backward pass may hold in checkpoints and recomputed steps (default 256 MiB). */
  memoryBudget?: number;
  /** Also return snapshots of u every `snapshotEvery` steps (acoustic2dWavefield only). */
  snapshotEvery?: number;
}

export interface Grid {
  nz: number;
  nx: number;
  nzp: number;
  nxp: number;
  /** Padded index of model cell (0, 0). */
  oz: number;
  ox: number;
  R: number;
  nshot: number;
  nsrc: number;
  nrec: number;
  nt: number;
  dt: number;
  dz: number;
  dx: number;
  /** v_max of the PML profile (maxVel, else max v). */
  vmax: number;
  /** The velocity the CFL limit was checked against (max v when known on the host, else maxVel). */
  vstable: number;
  widths: [number, number, number, number];
  freeSurface: boolean;
  /** Padded cell index per (shot, source) and (shot, receiver). */
  srcCells: Int32Array;
  recCells: Int32Array;
  /** Whether each shot's receivers sit on distinct cells (the adjoint then injects them in parallel). */
  recDistinct: boolean;
  /** az, bz, dbz (nzp each), ax, bx, dbx (nxp each). */
  prof: Float32Array;
  params: Record<string, number | number[]>;
  /**
   * The stencil's regions (acoustic.wgsl REGION): the interior box (width x height cells), the z strips
   * above and below it (rows x width), the x strips beside it (height x sides) and the corners (rows x sides).
   */
  split: { width: number; height: number; rows: number; sides: number };
  /** Pipeline constants: stencil radius R and the weights (see acoustic.wgsl). */
  overrides: Record<string, number>;
  checkpointEvery: number;
}

const fail = (msg: string): never => {
  throw new Error(`tellus: acoustic2d: ${msg}`);
};

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${what}: expected a positive finite number, got ${String(v)}`);
  return v as number;
}

function nonNegInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${what}: expected a non-negative integer, got ${String(v)}`);
  return v as number;
}

/** Largest stable dt for second-order time stepping with the given spatial accuracy. */
export function cflLimit(accuracy: Accuracy, dx: number, dz: number, vmax: number): number {
  const c = SECOND[accuracy];
  if (!c) fail(`accuracy: expected 2, 4, 6 or 8, got ${String(accuracy)}`);
  const s = Math.abs(c[0]!) + 2 * c.slice(1).reduce((a, b) => a + Math.abs(b), 0);
  return 2 / (vmax * Math.sqrt(s * (1 / (dx * dx) + 1 / (dz * dz))));
}

function locations(loc: Locations, what: string, nshot: number | null, nz: number, nx: number): { n: number; shots: number; cells: [number, number][] } {
  let flat: ArrayLike<number>;
  let shape: number[];
  if (loc instanceof Tensor) {
    if (loc.dtype !== 'int32') fail(`${what}: expected an int32 tensor, got ${loc.dtype}`);
    const host = hostValues(loc);
    if (!host) fail(`${what}: locations must be known on the host; pass nested arrays or a tensor made with tensor(data) (this one was computed on the GPU)`);
    flat = host!;
    shape = [...loc.shape];
  } else if (Array.isArray(loc)) {
    const shots = loc as readonly (readonly (readonly number[])[])[];
    const n = shots[0]?.length ?? 0;
    for (const [s, row] of shots.entries()) {
      if (!Array.isArray(row) || row.length !== n) fail(`${what}: expected [shot][n][2] with the same n for every shot, got ${Array.isArray(row) ? row.length : typeof row} entries in shot ${s} (shot 0 has ${n})`);
      for (const p of row) if (!Array.isArray(p) || p.length !== 2) fail(`${what}: each location is a pair (z, x), got ${JSON.stringify(p)} in shot ${s}`);
    }
    flat = shots.flat(2) as number[];
    shape = [shots.length, n, 2];
  } else {
    return fail(`${what}: expected nested arrays [shot][n][(z, x)] or an int32 tensor, got ${loc === null ? 'null' : typeof loc}`);
  }
  if (shape.length !== 3 || shape[2] !== 2) fail(`${what}: expected shape [shot, n, 2], got [${shape.join(', ')}]`);
  if (nshot !== null && shape[0] !== nshot) fail(`${what}: has ${shape[0]} shots, expected ${nshot} (as sourceAmplitudes)`);
  const cells: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const z = flat[i]!;
    const x = flat[i + 1]!;
    if (!Number.isInteger(z) || !Number.isInteger(x) || z < 0 || z >= nz || x < 0 || x >= nx) {
      const s = Math.floor(i / 2 / shape[1]!);
      fail(`${what}: location (${z}, ${x}) of shot ${s} is outside the ${nz}x${nx} grid (z in [0, ${nz - 1}], x in [0, ${nx - 1}])`);
    }
    cells.push([z, x]);
  }
  return { n: shape[1]!, shots: shape[0]!, cells };
}

/** C-PML a, b and db/dx along one padded axis (Deepwave's profile; docs/acoustic.md). */
function pmlProfile(n: number, R: number, w0: number, w1: number, h: number, dt: number, sigma0: number, freq: number, first: number[]): [Float64Array, Float64Array, Float64Array] {
  const npad = n + w0 + w1 + 2 * R;
  const start0 = R + w0;
  const start1 = npad - 1 - R - w1;
  const a = new Float64Array(npad);
  const b = new Float64Array(npad);
  for (let i = 0; i < npad; i++) {
    const f0 = w0 > 0 ? (start0 - i) / w0 : -Infinity;
    const f1 = w1 > 0 ? (i - start1) / w1 : -Infinity;
    const frac = Math.min(1, Math.max(0, f0, f1));
    if (frac === 0) continue;
    const sigma = sigma0 * frac * frac;
    const alpha = Math.PI * freq * (1 - frac);
    a[i] = Math.exp(-(sigma + alpha) * dt);
    b[i] = sigma + alpha > 0 ? (sigma / (sigma + alpha)) * (a[i]! - 1) : 0;
  }
  const db = new Float64Array(npad);
  for (let i = R; i < npad - R; i++) {
    let d = 0;
    for (let k = 1; k <= R; k++) d += first[k - 1]! * (b[i + k]! - b[i - k]!);
    db[i] = d / h;
  }
  return [a, b, db];
}

export interface VelocityInfo {
  shape: readonly number[];
  /** Host values when known (tensor(data)), for exact checks before running. */
  host: ArrayLike<number> | null;
}

export function planGrid(v: VelocityInfo, o: Acoustic2dOptions, ampShape: readonly number[] | null): Grid {
  if (o === null || typeof o !== 'object') fail(`options: expected an object, got ${o === null ? 'null' : typeof o}`);
  if (v.shape.length !== 2) fail(`v: expected a [nz, nx] velocity model, got shape [${v.shape.join(', ')}]`);
  const [nz, nx] = v.shape as [number, number];
  const dx = positive(o.dx, 'dx');
  const dz = o.dz === undefined ? dx : positive(o.dz, 'dz');
  const dt = positive(o.dt, 'dt');
  const accuracy = (o.accuracy ?? 4) as Accuracy;
  if (!SECOND[accuracy]) fail(`accuracy: expected 2, 4, 6 or 8, got ${String(o.accuracy)}`);
  const R = accuracy / 2;
  const freeSurface = o.freeSurface ?? false;
  if (typeof freeSurface !== 'boolean') fail(`freeSurface: expected a boolean, got ${String(o.freeSurface)}`);

  // Velocity: exact checks on host values; otherwise the caller's bound.
  let vmax: number;
  // The CFL check uses the model's true maximum when the host knows it; maxVel (if given) still
  // sets the PML profile, as Deepwave's max_vel does.
  let vstable: number;
  if (v.host) {
    let hi = 0;
    for (let i = 0; i < v.host.length; i++) {
      const x = v.host[i]!;
      if (Number.isNaN(x)) fail(`v: holds NaN at cell (${Math.floor(i / nx)}, ${i % nx})`);
      if (!(x > 0) || !Number.isFinite(x)) fail(`v: velocities must be positive and finite, got ${x} at cell (${Math.floor(i / nx)}, ${i % nx})`);
      hi = Math.max(hi, x);
    }
    vmax = o.maxVel === undefined ? hi : positive(o.maxVel, 'maxVel');
    if (o.maxVel !== undefined && hi > o.maxVel) fail(`maxVel: ${o.maxVel} is below the model's largest velocity ${hi}`);
    vstable = hi;
  } else {
    if (o.maxVel === undefined) fail('v was computed on the GPU, so its largest value is not known without a read-back: pass { maxVel } (an upper bound of v, used by the CFL check and the PML profile)');
    vmax = positive(o.maxVel, 'maxVel');
    vstable = vmax;
  }

  const limit = cflLimit(accuracy, dx, dz, vstable);
  if (dt > limit) fail(`dt = ${dt} exceeds the CFL limit for accuracy ${accuracy}: the largest stable dt is ${limit.toPrecision(6)} (max velocity ${vstable}, dz = ${dz}, dx = ${dx})`);

  let nshot: number;
  let nt: number;
  let nsrc = 0;
  if (ampShape) {
    if (ampShape.length !== 3) fail(`sourceAmplitudes: expected shape [shot, source, time], got [${ampShape.join(', ')}]`);
    [nshot, nsrc, nt] = ampShape as [number, number, number];
    if (o.nt !== undefined && o.nt !== nt) fail(`nt: ${o.nt} disagrees with sourceAmplitudes' ${nt} time samples`);
    if (o.sourceLocations === undefined) fail('sourceLocations: required with sourceAmplitudes');
  } else {
    if (o.sourceLocations !== undefined) fail('sourceAmplitudes: required with sourceLocations');
    nt = nonNegInt(o.nt, 'nt (required without sources)');
    nshot = 0;
  }
  const src = ampShape ? locations(o.sourceLocations!, 'sourceLocations', nshot, nz, nx) : null;
  if (src && src.n !== nsrc) fail(`sourceLocations: has ${src.n} sources per shot, sourceAmplitudes has ${nsrc}`);
  const rec = o.receiverLocations === undefined ? null : locations(o.receiverLocations, 'receiverLocations', ampShape ? nshot : null, nz, nx);
  if (!ampShape) nshot = rec ? rec.shots : 1;
  if (nshot < 1) fail('expected at least one shot');
  if (nt < 1) fail(`nt: expected at least 1 time step, got ${nt}`);

  const pw = o.pmlWidth ?? 20;
  const widths = (typeof pw === 'number' ? [pw, pw, pw, pw] : [...pw]) as [number, number, number, number];
  if (widths.length !== 4) fail(`pmlWidth: expected a number or [top, bottom, left, right], got ${JSON.stringify(pw)}`);
  widths.forEach((w, i) => nonNegInt(w, `pmlWidth[${i}]`));
  if (freeSurface) widths[0] = 0;
  const pmlFreq = o.pmlFreq ?? 25;
  if (typeof pmlFreq !== 'number' || !Number.isFinite(pmlFreq) || pmlFreq < 0) fail(`pmlFreq: expected a non-negative number, got ${String(pmlFreq)}`);

  // Warn when the finest grid resolves less than 6 cells per wavelength of the source's peak band.
  const nzp = nz + widths[0] + widths[1] + 2 * R;
  const nxp = nx + widths[2] + widths[3] + 2 * R;
  const oz = R + widths[0];
  const ox = R + widths[2];
  const lmax = Math.max(widths[0] * dz, widths[1] * dz, widths[2] * dx, widths[3] * dx);
  const sigma0 = lmax > 0 ? (-3 * vmax * Math.log(0.001)) / (2 * lmax) : 0;
  const [az, bz, dbz] = pmlProfile(nz, R, widths[0], widths[1], dz, dt, sigma0, pmlFreq, FIRST[accuracy]);
  const [ax, bx, dbx] = pmlProfile(nx, R, widths[2], widths[3], dx, dt, sigma0, pmlFreq, FIRST[accuracy]);
  const prof = new Float32Array(3 * nzp + 3 * nxp);
  [az, bz, dbz].forEach((p, k) => prof.set(p, k * nzp));
  [ax, bx, dbx].forEach((p, k) => prof.set(p, 3 * nzp + k * nxp));
  // Stencil radius and weights are pipeline constants (acoustic.wgsl); unused distances stay 0.
  const overrides: Record<string, number> = { R };
  for (let k = 0; k <= 4; k++) {
    overrides[`Z${k}`] = (SECOND[accuracy][k] ?? 0) / (dz * dz);
    overrides[`X${k}`] = (SECOND[accuracy][k] ?? 0) / (dx * dx);
    if (k > 0) {
      overrides[`DZ${k}`] = (FIRST[accuracy][k - 1] ?? 0) / dz;
      overrides[`DX${k}`] = (FIRST[accuracy][k - 1] ?? 0) / dx;
    }
  }

  const cell = ([z, x]: [number, number]) => (z + oz) * nxp + (x + ox);
  const srcCells = Int32Array.from(src?.cells ?? [], cell);
  const recCells = Int32Array.from(rec?.cells ?? [], cell);

  const zp0 = R + widths[0];
  const zp1 = nzp - R - widths[1];
  const xp0 = R + widths[2];
  const xp1 = nxp - R - widths[3];
  const zin0 = widths[0] > 0 ? zp0 + R : 0;
  const zin1 = widths[1] > 0 ? zp1 - R : nzp;
  const xin0 = widths[2] > 0 ? xp0 + R : 0;
  const xin1 = widths[3] > 0 ? xp1 - R : nxp;
  // The interior box: cells whose forward and adjoint stencils meet no PML term and no free-surface
  // mirror (R more than [zin0, zin1) on a PML side, since the adjoint gathers from neighbours). It
  // runs as its own dispatch compiled without that code (acoustic.wgsl, REGION); the band around it
  // runs the general path. An empty box leaves the whole grid to the band.
  let [bz0, bz1] = [Math.max(widths[0] > 0 ? zin0 + R : R, freeSurface ? 2 * R : R), Math.min(widths[1] > 0 ? zin1 - R : nzp - R, nzp - R)];
  let [bx0, bx1] = [widths[2] > 0 ? xin0 + R : R, widths[3] > 0 ? xin1 - R : nxp - R];
  if (bz0 >= bz1 || bx0 >= bx1) [bz0, bz1, bx0, bx1] = [nzp - R, nzp - R, R, R];
  const params = { nzp, nxp, nshot, free_surface: freeSurface ? 1 : 0, zin0, zin1, xin0, xin1, zp0, zp1, xp0, xp1, bz0, bz1, bx0, bx1 };
  const rows = bz0 - R + (nzp - R - bz1);
  const sides = bx0 - R + (nxp - R - bx1);
  const split = { width: bx1 - bx0, height: bz1 - bz0, rows, sides };

  // Checkpoints hold 6 fields a shot (u, u_prev, 4 PML memories); each recomputed step one more.
  const field = 4 * nshot * nzp * nxp;
  let every: number;
  if (o.checkpointEvery !== undefined) {
    every = nonNegInt(o.checkpointEvery, 'checkpointEvery');
    if (every < 1) fail('checkpointEvery: expected at least 1');
  } else {
    const budget = o.memoryBudget === undefined ? 256 * 2 ** 20 : positive(o.memoryBudget, 'memoryBudget');
    // Minimise 6 fields x nt/k checkpoints + k recomputed steps: k ~ sqrt(6 nt); take all steps if they fit.
    every = nt * (1 + 6 / nt) * field <= budget ? nt : Math.max(1, Math.round(Math.sqrt(6 * nt)));
  }
  return {
    nz, nx, nzp, nxp, oz, ox, R, vstable, nshot, nsrc, nrec: rec?.n ?? 0, nt, dt, dz, dx, vmax, widths, freeSurface,
    srcCells, recCells, recDistinct: distinctPerShot(recCells, nshot), prof, params, split, overrides, checkpointEvery: Math.min(every, nt),
  };
}

function distinctPerShot(cells: Int32Array, nshot: number): boolean {
  const per = cells.length / nshot;
  for (let s = 0; s < nshot; s++) {
    if (new Set(cells.subarray(s * per, (s + 1) * per)).size !== per) return false;
  }
  return true;
}

/** Memory the backward pass holds for this grid and checkpoint interval, in bytes. */
export function backwardBytes(g: Grid): number {
  const field = 4 * g.nshot * g.nzp * g.nxp;
  return field * (6 * Math.ceil(g.nt / g.checkpointEvery) + g.checkpointEvery);
}

/** Ricker wavelet (1 - 2 pi^2 f^2 tau^2) exp(-pi^2 f^2 tau^2), tau = t dt - delay, as float64 values. */
export function rickerValues(freq: number, nt: number, dt: number, delay = 1.5 / freq): Float64Array {
  const out = new Float64Array(nt);
  for (let i = 0; i < nt; i++) {
    const a = (Math.PI * freq * (i * dt - delay)) ** 2;
    out[i] = (1 - 2 * a) * Math.exp(-a);
  }
  return out;
}
