// Host-side set-up of a 2D acoustic run: the options, the padded grid with its C-PML profiles
// (float64, then float32), source/receiver cell indices, the stencil's region split and the
// checkpoint interval. Conventions follow Deepwave's scalar propagator; docs/acoustic.md states them.
import { argError, argErrorText, optionNames } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import type { Tensor } from '../../graph/tensor.js';
import { mul, pad, square } from '../../autodiff/ops.js';
import * as common from '../common/index.js';
import { type Locations, type Widths } from '../common/index.js';
import { type Accuracy, FIRST, accuracyOf, cflLimit, stencilOverrides } from './stencil.js';

export interface Acoustic2dOptions extends common.CheckpointOptions {
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
  /** Also return snapshots of u every `snapshotEvery` steps (acoustic2dWavefield only). */
  snapshotEvery?: number;
  /**
   * Stencil kernels: 'vec4' works on 4 cells of a row per invocation, marching columns in the
   * interior (CPU adapters: SwiftShader, llvmpipe), 'cells' runs one cell per invocation (GPUs); 'auto' (default) picks by adapter. Same numbers
   * to float32 round-off.
   */
  stencil?: 'auto' | 'vec4' | 'cells';
}

function stencilVariant(op: string, choice: unknown, isSoftware: boolean): 'vec4' | 'cells' {
  if (choice === undefined || choice === 'auto') return isSoftware ? 'vec4' : 'cells';
  if (choice === 'vec4' || choice === 'cells') return choice;
  throw argError(op, 'stencil', "'auto', 'vec4' or 'cells'", choice, Error);
}

/**
 * The stencil's regions (acoustic.wgsl REGION): the interior box (width x height cells), the z strips
 * above and below it (rows x width), the x strips beside it (height x sides) and the corners (rows x sides).
 */
export interface Split {
  width: number;
  height: number;
  rows: number;
  sides: number;
}

/** Where the PML and the interior box are (regionSplit): rows/columns [zin0, zin1) meet no PML term, PML cells lie outside [zp0, zp1) x [xp0, xp1), the box is [bz0, bz1) x [bx0, bx1). */
export type Bounds = {
  zin0: number;
  zin1: number;
  xin0: number;
  xin1: number;
  zp0: number;
  zp1: number;
  xp0: number;
  xp1: number;
  bz0: number;
  bz1: number;
  bx0: number;
  bx1: number;
};

/** acoustic.wgsl's Params (type aliases, so they pass as a uniform record). */
export type Params = Bounds & {
  nzp: number;
  nxp: number;
  nxe: number;
  nshot: number;
  free_surface: number;
};

export interface Grid {
  nz: number;
  nx: number;
  nzp: number;
  /** Row length of the stored fields: the padded width nxe rounded up to a multiple of 4 (the vec4 box kernel's alignment; the extra columns are ghosts). */
  nxp: number;
  /** Padded width: model, PML and R ghost columns per edge. */
  nxe: number;
  /** Whether the stencil runs as vec4s of a row (acoustic-box.wgsl, acoustic-band.wgsl: CPU adapters) or one cell per invocation. */
  vec4: boolean;
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
  widths: Widths;
  freeSurface: boolean;
  /** Padded cell index per (shot, source) and (shot, receiver). */
  srcCells: Int32Array;
  recCells: Int32Array;
  /** Whether each shot's receivers sit on distinct cells (the adjoint then injects them in parallel). */
  recDistinct: boolean;
  /** ax, bx, dbx (nxp each), then (az, bz, dbz, 0) per row. */
  prof: Float32Array;
  params: Params;
  split: Split;
  /** Pipeline constants: stencil radius R and the weights (see acoustic.wgsl). */
  overrides: Record<string, number>;
  checkpointEvery: number;
}

export interface VelocityInfo {
  shape: readonly number[];
  /** Host values when known (tensor(data)), for exact checks before running. */
  host: ArrayLike<number> | null;
}

export const ACOUSTIC2D_OPTIONS = optionNames<Acoustic2dOptions>()(
  'dx',
  'dz',
  'dt',
  'sourceAmplitudes',
  'sourceLocations',
  'receiverLocations',
  'nt',
  'accuracy',
  'pmlWidth',
  'pmlFreq',
  'freeSurface',
  'maxVel',
  'snapshotEvery',
  'stencil',
  'checkpointEvery',
  'memoryBudget',
);

/** Checkpoints hold 6 fields a shot: u, u_prev and the 4 PML memories. */
const CHECKPOINT_FIELDS = 6;

/** Checks `op`'s arguments and lays out its run; `ampShape` is the source amplitudes' shape (null: no sources). */
export function planGrid(op: string, v: VelocityInfo, o: Acoustic2dOptions, ampShape: readonly number[] | null, isSoftware: boolean): Grid {
  common.options(op, o, ACOUSTIC2D_OPTIONS);
  if (v.shape.length !== 2) throw argErrorText(op, 'v', 'a [nz, nx] velocity model', `shape ${fmt(v.shape)}`, Error);
  const [nz, nx] = v.shape as [number, number];
  const dx = common.positive(op, 'dx', o.dx);
  const dz = o.dz === undefined ? dx : common.positive(op, 'dz', o.dz);
  const dt = common.positive(op, 'dt', o.dt);
  const accuracy = accuracyOf(op, o.accuracy);
  const R = accuracy / 2;
  const freeSurface = common.boolean(op, 'freeSurface', o.freeSurface ?? false);

  const { vmax, vstable } = common.velocityBounds(op, 'v', v.host, nx, o.maxVel);
  common.checkCfl(op, dt, cflLimit(accuracy, dx, dz, vstable), `accuracy ${accuracy}`, `max velocity ${vstable}, dz = ${dz}, dx = ${dx}`);

  const { nshot, nsrc, nt, src, rec } = sourcesAndReceivers(op, o, ampShape, [nz, nx]);

  const widths = common.pmlWidths(op, o.pmlWidth, freeSurface);
  const pmlFreq = common.pmlFreq(op, o.pmlFreq);
  const nzp = nz + widths[0] + widths[1] + 2 * R;
  const nxe = nx + widths[2] + widths[3] + 2 * R;
  const nxp = Math.ceil(nxe / 4) * 4;
  const oz = R + widths[0];
  const ox = R + widths[2];
  const sigma0 = common.pmlSigma0(vmax, [widths[0] * dz, widths[1] * dz, widths[2] * dx, widths[3] * dx]);
  const [az, bz, dbz] = common.pmlProfile(nz, R, widths[0], widths[1], dz, dt, sigma0, pmlFreq, FIRST[accuracy]);
  const [ax, bx, dbx] = common.pmlProfile(nx, R, widths[2], widths[3], dx, dt, sigma0, pmlFreq, FIRST[accuracy]);
  // x profiles first, each starting on a multiple of 4, then (az, bz, dbz, 0) per row: vec4 loads in acoustic-band.wgsl.
  const prof = new Float32Array(3 * nxp + 4 * nzp);
  [ax, bx, dbx].forEach((p, k) => prof.set(p, k * nxp));
  [az, bz, dbz].forEach((p, k) => p.forEach((v, z) => (prof[3 * nxp + 4 * z + k] = v)));

  const cell = ([z, x]: [number, number]) => (z + oz) * nxp + (x + ox);
  const srcCells = Int32Array.from(src?.cells ?? [], cell);
  const recCells = Int32Array.from(rec?.cells ?? [], cell);
  const { bounds, split } = regionSplit(R, nzp, nxe, widths, freeSurface);
  const params = { nzp, nxp, nxe, nshot, free_surface: freeSurface ? 1 : 0, ...bounds };
  const checkpointEvery = common.checkpointInterval(op, o, nt, 4 * nshot * nzp * nxp, CHECKPOINT_FIELDS);
  return {
    nz,
    nx,
    nzp,
    nxp,
    nxe,
    vec4: stencilVariant(op, o.stencil, isSoftware) === 'vec4',
    oz,
    ox,
    R,
    vstable,
    nshot,
    nsrc,
    nrec: rec?.n ?? 0,
    nt,
    dt,
    dz,
    dx,
    vmax,
    widths,
    freeSurface,
    srcCells,
    recCells,
    recDistinct: common.distinctPerShot(recCells, nshot),
    prof,
    params,
    split,
    overrides: stencilOverrides(accuracy, dz, dx),
    checkpointEvery,
  };
}

/** Shots, sources, time steps and cells from the amplitudes' shape and the location options. */
function sourcesAndReceivers(op: string, o: Acoustic2dOptions, ampShape: readonly number[] | null, grid: [number, number]) {
  let nshot: number;
  let nt: number;
  let nsrc = 0;
  if (ampShape) {
    if (ampShape.length !== 3) throw argErrorText(op, 'sourceAmplitudes', 'shape [shot, source, time]', fmt(ampShape), Error);
    [nshot, nsrc, nt] = ampShape as [number, number, number];
    if (o.nt !== undefined && o.nt !== nt) common.fail(op, `nt: ${o.nt} disagrees with sourceAmplitudes' ${nt} time samples`);
    if (o.sourceLocations === undefined) common.fail(op, 'sourceLocations: required with sourceAmplitudes');
  } else {
    if (o.sourceLocations !== undefined) common.fail(op, 'sourceAmplitudes: required with sourceLocations');
    nt = common.nonNegInt(op, 'nt (required without sources)', o.nt);
    nshot = 0;
  }
  const src = ampShape ? common.locations(op, 'sourceLocations', o.sourceLocations!, grid, nshot) : null;
  if (src && src.n !== nsrc) common.fail(op, `sourceLocations: has ${src.n} sources per shot, sourceAmplitudes has ${nsrc}`);
  const rec =
    o.receiverLocations === undefined
      ? null
      : common.locations(op, 'receiverLocations', o.receiverLocations, grid, ampShape ? nshot : null);
  if (!ampShape) nshot = rec ? rec.shots : 1;
  if (nshot < 1) common.fail(op, 'expected at least one shot');
  if (nt < 1) throw argError(op, 'nt', 'at least 1 time step', nt, Error);
  return { nshot, nsrc, nt, src, rec };
}

/**
 * The PML bounds the stencil tests and the interior box: cells whose forward and adjoint stencils
 * meet no PML term and no free-surface mirror (R more than [zin0, zin1) on a PML side, since the
 * adjoint gathers from neighbours). The box runs as its own dispatch compiled without that code
 * (acoustic.wgsl, REGION); the band around it runs the general path. An empty box leaves the whole
 * grid to the band.
 */
function regionSplit(R: number, nzp: number, nxe: number, widths: Widths, freeSurface: boolean): { bounds: Bounds; split: Split } {
  const zp0 = R + widths[0];
  const zp1 = nzp - R - widths[1];
  const xp0 = R + widths[2];
  const xp1 = nxe - R - widths[3];
  const zin0 = widths[0] > 0 ? zp0 + R : 0;
  const zin1 = widths[1] > 0 ? zp1 - R : nzp;
  const xin0 = widths[2] > 0 ? xp0 + R : 0;
  const xin1 = widths[3] > 0 ? xp1 - R : nxe;
  let [bz0, bz1] = [Math.max(widths[0] > 0 ? zin0 + R : R, freeSurface ? 2 * R : R), Math.min(widths[1] > 0 ? zin1 - R : nzp - R, nzp - R)];
  // Box columns start and end on multiples of 4, for the vec4 kernel (the x strips take the rest).
  let [bx0, bx1] = [Math.ceil((widths[2] > 0 ? xin0 + R : R) / 4) * 4, Math.floor((widths[3] > 0 ? xin1 - R : nxe - R) / 4) * 4];
  if (bz0 >= bz1 || bx0 >= bx1) [bz0, bz1, bx0, bx1] = [nzp - R, nzp - R, R, R];
  const rows = bz0 - R + (nzp - R - bz1);
  const sides = bx0 - R + (nxe - R - bx1);
  return {
    bounds: { zin0, zin1, xin0, xin1, zp0, zp1, xp0, xp1, bz0, bz1, bx0, bx1 },
    split: { width: bx1 - bx0, height: bz1 - bz0, rows, sides },
  };
}

/** Memory the backward pass holds for this grid and checkpoint interval, in bytes. */
export const backwardBytes = (g: Grid): number =>
  common.backwardBytes(g.nt, g.checkpointEvery, 4 * g.nshot * g.nzp * g.nxp, CHECKPOINT_FIELDS);

/** The model (or one per shot, [shot, nz, nx]) extended over the PML and ghost cells by copying the nearest model cell (differentiable). */
export const padModel = (v: Tensor, g: Grid): Tensor =>
  pad(v, [...(v.rank === 3 ? [[0, 0] as [number, number]] : []), [g.oz, g.nzp - g.nz - g.oz], [g.ox, g.nxp - g.nx - g.ox]], {
    mode: 'edge',
  });

/** w = v^2 dt^2 on the padded grid, the coefficient the stencil reads. */
export const paddedW = (v: Tensor, g: Grid): Tensor => mul(square(padModel(v, g)), g.dt * g.dt);
