// DC resistivity surveys: electrodes as [x, z] points (z is depth, positive down; surface z = 0),
// sources as a current pair A (+1 A) and B (-1 A, or null for a pole with B at infinity), each with
// its receivers M - N (N null for a pole receiver). Data are ordered source by source, receivers
// in order. Generators for the classical line arrays, and the half-space geometric factor.
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';

export type Electrode = readonly [number, number];

export interface DcReceiver {
  m: Electrode;
  /** null: a pole receiver (N at infinity). */
  n: Electrode | null;
}

export interface DcSource {
  /** The +1 A electrode. */
  a: Electrode;
  /** The -1 A electrode; null for a pole source (B at infinity). */
  b: Electrode | null;
  receivers: DcReceiver[];
}

export interface DcSurvey {
  sources: DcSource[];
}

export type DcArray = 'dipole-dipole' | 'pole-dipole' | 'pole-pole' | 'wenner' | 'schlumberger';
const ARRAYS: readonly DcArray[] = ['dipole-dipole', 'pole-dipole', 'pole-pole', 'wenner', 'schlumberger'];

export interface DcSurveyOptions {
  /** Dipole-dipole, pole-dipole, pole-pole: at most this many receivers per source (nearest first). Default: all. */
  maxReceivers?: number;
  /** Wenner: largest spacing a, in electrode steps; Schlumberger: largest n (AM = n MN). Default: all that fit. */
  maxSpacing?: number;
  /** Depth of every electrode (m). Default 0 (the surface). */
  depth?: number;
}
const SURVEY_OPTIONS = optionNames<DcSurveyOptions>()('maxReceivers', 'maxSpacing', 'depth');

/**
 * A line survey over electrodes at `x` (ascending positions, m), indices i < j below:
 * - dipole-dipole: A B = (i, i+1), M N = (j, j+1) for j >= i+2;
 * - pole-dipole: A = i, M N = (j, j+1) for j >= i+1;
 * - pole-pole: A = i, M = j for j > i;
 * - wenner: A M N B = (i, i+a, i+2a, i+3a), one receiver per source, a = 1 .. maxSpacing;
 * - schlumberger: M N = (j, j+1) and A B = (j-n, j+1+n), one receiver per source, n = 1 .. maxSpacing.
 */
export function dcSurvey(array: DcArray, x: ArrayLike<number>, opts: DcSurveyOptions = {}): DcSurvey {
  const fn = 'dcSurvey';
  if (!ARRAYS.includes(array)) throw argError(fn, 'array', `one of ${ARRAYS.map((a) => `'${a}'`).join(', ')}`, array, RangeError);
  checkOptions(opts, SURVEY_OPTIONS, fn);
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') throw argError(fn, 'x', 'an array of electrode positions', x);
  const xs = Array.from(x);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]!)) throw argErrorText(fn, 'x', 'finite positions', `${xs[i]} at [${i}]`, RangeError);
    if (i > 0 && !(xs[i]! > xs[i - 1]!))
      throw argErrorText(fn, 'x', 'strictly ascending positions', `${xs[i]} after ${xs[i - 1]} at [${i}]`, RangeError);
  }
  const minE = array === 'pole-pole' ? 2 : array === 'pole-dipole' ? 3 : 4;
  if (xs.length < minE) throw argErrorText(fn, 'x', `at least ${minE} electrodes for ${array}`, `${xs.length}`, RangeError);
  const count = (name: keyof DcSurveyOptions, v: number | undefined): number => {
    if (v === undefined) return Infinity;
    if (!Number.isInteger(v) || v < 1) throw argError(fn, `opts.${name}`, 'a positive integer', v, RangeError);
    return v;
  };
  const maxRx = count('maxReceivers', opts.maxReceivers);
  const maxSp = count('maxSpacing', opts.maxSpacing);
  const depth = opts.depth ?? 0;
  if (!(depth >= 0) || !Number.isFinite(depth)) throw argError(fn, 'opts.depth', 'a non-negative finite number', depth, RangeError);
  const e = (i: number): Electrode => [xs[i]!, depth];
  const ne = xs.length;
  const sources: DcSource[] = [];
  const push = (a: number, b: number | null, rx: [number, number | null][]): void => {
    if (rx.length > 0)
      sources.push({ a: e(a), b: b === null ? null : e(b), receivers: rx.map(([m, n]) => ({ m: e(m), n: n === null ? null : e(n) })) });
  };
  const upTo = (from: number, to: number): number[] =>
    Array.from({ length: Math.max(0, Math.min(to, from + maxRx - 1) - from + 1) }, (_, k) => from + k);
  for (let i = 0; i < ne; i++) {
    if (array === 'dipole-dipole' && i + 3 < ne)
      push(
        i,
        i + 1,
        upTo(i + 2, ne - 2).map((j) => [j, j + 1]),
      );
    if (array === 'pole-dipole' && i + 2 < ne)
      push(
        i,
        null,
        upTo(i + 1, ne - 2).map((j) => [j, j + 1]),
      );
    if (array === 'pole-pole' && i + 1 < ne)
      push(
        i,
        null,
        upTo(i + 1, ne - 1).map((j) => [j, null]),
      );
  }
  if (array === 'wenner')
    for (let a = 1; a <= maxSp && 3 * a < ne; a++) for (let i = 0; i + 3 * a < ne; i++) push(i, i + 3 * a, [[i + a, i + 2 * a]]);
  if (array === 'schlumberger')
    for (let n = 1; n <= maxSp && 2 * n + 1 < ne; n++) for (let j = n; j + 1 + n < ne; j++) push(j - n, j + 1 + n, [[j, j + 1]]);
  return { sources };
}

/** Number of data (receivers summed over sources). */
export function surveyDataCount(survey: DcSurvey): number {
  return survey.sources.reduce((s, src) => s + src.receivers.length, 0);
}

/** Checks a survey's structure and values; returns the number of data. `op` names the caller. */
export function checkSurvey(op: string, survey: unknown): number {
  const s = survey as DcSurvey;
  if (s === null || typeof s !== 'object' || !Array.isArray(s.sources))
    throw argError(op, 'survey', 'an object { sources: [...] }', survey);
  if (s.sources.length === 0) throw argErrorText(op, 'survey.sources', 'at least one source', 'an empty array', RangeError);
  const point = (name: string, p: unknown, nullable: boolean): void => {
    if (p === null && nullable) return;
    const q = p as number[];
    if (!Array.isArray(q) || q.length !== 2 || !q.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw argError(op, name, `an electrode [x, z] of finite numbers${nullable ? ' or null' : ''}`, p);
    if (q[1]! < 0) throw argErrorText(op, name, 'a depth z >= 0 (z is positive down, the surface is z = 0)', `z = ${q[1]}`, RangeError);
  };
  let n = 0;
  s.sources.forEach((src, i) => {
    const at = `survey.sources[${i}]`;
    if (src === null || typeof src !== 'object') throw argError(op, at, 'an object { a, b, receivers }', src);
    point(`${at}.a`, src.a, false);
    point(`${at}.b`, src.b, true);
    if (!Array.isArray(src.receivers) || src.receivers.length === 0)
      throw argError(op, `${at}.receivers`, 'a non-empty array', src.receivers);
    src.receivers.forEach((r, k) => {
      point(`${at}.receivers[${k}].m`, r?.m, false);
      point(`${at}.receivers[${k}].n`, r?.n, true);
    });
    n += src.receivers.length;
  });
  return n;
}

/**
 * Potential (V) at p of +1 A at q over a half-space of resistivity 1 ohm-m with the surface z = 0:
 * (1/r + 1/r') / (4 pi), r' the distance to q's image above the surface (= 2 / (4 pi r) on the surface).
 */
function unitPotential(p: Electrode, q: Electrode): number {
  const dx = p[0] - q[0];
  const r = Math.hypot(dx, p[1] - q[1]);
  const ri = Math.hypot(dx, p[1] + q[1]);
  return (1 / r + 1 / ri) / (4 * Math.PI);
}

/**
 * The geometric factor of every datum: the voltage V_MN per ohm-m over a homogeneous half-space
 * with 1 A from A to B, G = (1/AM - 1/BM - 1/AN + 1/BN) / (2 pi) for surface electrodes (terms of
 * electrodes at infinity dropped; buried electrodes add their images). Apparent resistivity = V / G.
 * Throws if an electrode pair coincides or a datum has G = 0 (a symmetric array with no signal).
 */
export function geometricFactors(survey: DcSurvey): Float64Array {
  const fn = 'geometricFactors';
  const out = new Float64Array(checkSurvey(fn, survey));
  let d = 0;
  survey.sources.forEach((src, i) =>
    src.receivers.forEach((rx, k) => {
      const at = (p: Electrode): number => {
        let v = unitPotential(p, src.a);
        if (src.b) v -= unitPotential(p, src.b);
        return v;
      };
      const g = at(rx.m) - (rx.n ? at(rx.n) : 0);
      if (!Number.isFinite(g) || g === 0)
        throw argErrorText(
          fn,
          `survey.sources[${i}].receivers[${k}]`,
          'electrodes apart with a non-zero geometric factor',
          `G = ${g}`,
          RangeError,
        );
      out[d++] = g;
    }),
  );
  return out;
}
