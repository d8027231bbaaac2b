// Shared set-up for the acoustic propagator tests: one description of a survey (model, grid,
// sources, receivers, PML) turned into tl.acoustic2d's tensor options and into the float64
// reference's host options, so both sides always see the same (float32-representable) inputs.
import * as tl from '../src/index.js';
import type { Gen } from './helpers.js';
import { expectScaled as expectScaledBase } from './numerics.js';
import { cflLimitRef, maxAbs, ricker64, smoothModel, type Accuracy, type RefOptions } from './acoustic-ref.js';

/** ACOUSTIC_DEBUG=1 logs every measured error next to its tolerance. */
export const DEBUG = !!(globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.ACOUSTIC_DEBUG;

export type Widths = number | [number, number, number, number];

/** The options of tl.acoustic2d as specified in issue 5 (the tensors are created by deviceOptions). */
export interface DeviceOptions {
  dx: number;
  dz?: number;
  dt: number;
  sourceAmplitudes?: tl.Tensor;
  sourceLocations?: tl.Tensor;
  receiverLocations?: tl.Tensor;
  nt?: number;
  accuracy?: Accuracy;
  pmlWidth?: Widths;
  pmlFreq?: number;
  freeSurface?: boolean;
  maxVel?: number;
  checkpointEvery?: number;
  stencil?: 'auto' | 'vec4' | 'cells';
}

export interface Survey {
  nz: number;
  nx: number;
  /** [nz, nx], float32-representable. */
  v: Float64Array;
  dx: number;
  dz?: number;
  dt: number;
  nt: number;
  shots: number;
  /** [shot, nsrc, nt] amplitudes (float32-representable) and [shot, nsrc, 2] (z, x) cells. */
  sources?: { n: number; amps: Float64Array; locs: number[] };
  /** [shot, nrec, 2] (z, x) cells. */
  receivers?: { n: number; locs: number[] };
  accuracy?: Accuracy;
  pmlWidth?: Widths;
  pmlFreq?: number;
  freeSurface?: boolean;
  maxVel?: number;
  checkpointEvery?: number;
}

/** Rounds to float32, so the float64 reference sees exactly the values that are uploaded. */
export const f32 = (a: ArrayLike<number>): Float64Array => Float64Array.from(new Float32Array(Array.from(a)));

export function refOptions(s: Survey, extra: Partial<RefOptions> = {}): RefOptions {
  return {
    dx: s.dx,
    dz: s.dz,
    dt: s.dt,
    nt: s.nt,
    sourceAmplitudes: s.sources && { shape: [s.shots, s.sources.n, s.nt], data: s.sources.amps },
    sourceLocations: s.sources && { shape: [s.shots, s.sources.n, 2], data: s.sources.locs },
    receiverLocations: s.receivers && { shape: [s.shots, s.receivers.n, 2], data: s.receivers.locs },
    accuracy: s.accuracy,
    pmlWidth: s.pmlWidth,
    pmlFreq: s.pmlFreq,
    freeSurface: s.freeSurface,
    maxVel: s.maxVel,
    ...extra,
  };
}

export const modelRef = (s: Survey): { shape: number[]; data: Float64Array } => ({ shape: [s.nz, s.nx], data: s.v });

export const locTensor = (locs: number[], shots: number, n: number): tl.Tensor =>
  tl.tensor(Int32Array.from(locs), { dtype: 'int32', shape: [shots, n, 2] });

/** tl.acoustic2d's options for the survey (creates tensors: call inside tl.tidy). nt is passed only without sources. */
export function deviceOptions(s: Survey, extra: Partial<DeviceOptions> = {}): DeviceOptions {
  const o: DeviceOptions = { dx: s.dx, dt: s.dt };
  if (s.dz !== undefined) o.dz = s.dz;
  if (s.sources) {
    o.sourceAmplitudes = tl.tensor(Float32Array.from(s.sources.amps), { shape: [s.shots, s.sources.n, s.nt] });
    o.sourceLocations = locTensor(s.sources.locs, s.shots, s.sources.n);
  } else o.nt = s.nt;
  if (s.receivers) o.receiverLocations = locTensor(s.receivers.locs, s.shots, s.receivers.n);
  if (s.accuracy !== undefined) o.accuracy = s.accuracy;
  if (s.pmlWidth !== undefined) o.pmlWidth = s.pmlWidth;
  if (s.pmlFreq !== undefined) o.pmlFreq = s.pmlFreq;
  if (s.freeSurface !== undefined) o.freeSurface = s.freeSurface;
  if (s.maxVel !== undefined) o.maxVel = s.maxVel;
  if (s.checkpointEvery !== undefined) o.checkpointEvery = s.checkpointEvery;
  return { ...o, ...extra };
}

export const modelTensor = (s: Survey): tl.Tensor => tl.tensor(Float32Array.from(s.v), { shape: [s.nz, s.nx] });

/** Uniformly random cells [n·2] (z, x) inside an nz x nx grid. */
export function randomCells(g: Gen, n: number, nz: number, nx: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.floor(g.next() * nz), Math.floor(g.next() * nx));
  return out;
}

/** Ricker wavelets with random peak frequency in [fLo, fHi] and delay in [1, 2]/f, one per (shot, source). */
export function randomWavelets(g: Gen, count: number, nt: number, dt: number, fLo: number, fHi: number): Float64Array {
  const out = new Float64Array(count * nt);
  for (let k = 0; k < count; k++) {
    const f = fLo + (fHi - fLo) * g.next();
    out.set(
      ricker64(f, nt, dt, (1 + g.next()) / f).map((x) => x * (0.5 + g.next())),
      k * nt,
    );
  }
  return f32(out);
}

export interface RandomSurveyOptions {
  nz: number;
  nx: number;
  dx: number;
  dz?: number;
  /** Number of steps, or `duration` in seconds (nt is then the odd number of steps that covers it). */
  nt?: number;
  duration?: number;
  shots: number;
  nsrc: number;
  nrec: number;
  accuracy: Accuracy;
  /** dt as a fraction of the CFL limit of the model's largest velocity. */
  courant?: number;
  pmlWidth?: Widths;
  freeSurface?: boolean;
  /** Mean velocity and relative contrast of the smooth random model. */
  v0?: number;
  contrast?: number;
  /** Peak frequency range of the wavelets. */
  freq?: [number, number];
}

/**
 * A random smooth model with random wavelets and random source / receiver cells; the last shot's
 * first receiver sits in a corner cell and its first source on the top row, so grid edges are
 * exercised too.
 */
export function randomSurvey(g: Gen, o: RandomSurveyOptions): Survey {
  const v = smoothModel(() => g.next(), o.nz, o.nx, o.v0 ?? 2000, o.contrast ?? 0.2, 6, Math.max(3, Math.min(o.nz, o.nx) / 6));
  const dz = o.dz ?? o.dx;
  const dt = (o.courant ?? 0.8) * cflLimitRef(o.accuracy, o.dx, dz, maxAbs(v));
  const nt = o.nt ?? 2 * Math.ceil((o.duration ?? 0) / dt / 2) + 1;
  const srcLocs = randomCells(g, o.shots * o.nsrc, o.nz, o.nx);
  const recLocs = randomCells(g, o.shots * o.nrec, o.nz, o.nx);
  if (o.nrec > 0) recLocs.splice((o.shots - 1) * o.nrec * 2, 2, o.nz - 1, o.nx - 1);
  if (o.nsrc > 0) srcLocs[(o.shots - 1) * o.nsrc * 2] = 0;
  const [fLo, fHi] = o.freq ?? [8, 12];
  return {
    nz: o.nz,
    nx: o.nx,
    v,
    dx: o.dx,
    dz: o.dz,
    dt,
    nt,
    shots: o.shots,
    sources: o.nsrc > 0 ? { n: o.nsrc, amps: randomWavelets(g, o.shots * o.nsrc, nt, dt, fLo, fHi), locs: srcLocs } : undefined,
    receivers: o.nrec > 0 ? { n: o.nrec, locs: recLocs } : undefined,
    accuracy: o.accuracy,
    pmlWidth: o.pmlWidth,
    freeSurface: o.freeSurface,
  };
}

/** Reads float32 tensors back as float64 arrays, one transfer each, and disposes them. */
export async function readAndDispose(ts: readonly tl.Tensor[]): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (const t of ts) {
    out.push(Float64Array.from(await t.data()));
    t.dispose();
  }
  return out;
}

/** numerics.expectScaled, logging under ACOUSTIC_DEBUG. */
export const expectScaled = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, scaleIn?: number): number =>
  expectScaledBase(got, want, tol, what, scaleIn, DEBUG);
