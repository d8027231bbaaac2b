// Shot gathers between SEG-Y and the grid a wave solver uses (acoustic2d's sourceLocations,
// receiverLocations and [shots, receivers, nt] traces). A 2-D line: one horizontal coordinate runs
// along the model's x axis, the other stays constant; depth cells count down from a reference
// elevation. Positions must land on grid nodes: no interpolation, so a file made for another grid
// is an error that names the trace, not a silently shifted survey.
import { argError, argErrorText, checkOptions, optionNames, positiveArg } from '../graph/options.js';
import { readSegy, traceGeometry, writeSegy, type SegyFile, type SegyTraceHeader, type WriteSegyOptions } from './segy.js';

/** Where grid node [0, 0] is, in the file's coordinates (scalars applied). */
export interface GridOrigin {
  /** The along-line coordinate of x cell 0 (default 0). */
  x?: number;
  /** The constant cross-line coordinate (default: the first trace's source's). */
  y?: number;
  /** The elevation of depth cell 0 (default 0): a node's depth is elevation - z * dz. */
  elevation?: number;
}

export interface SegyToShotsOptions {
  /** Grid spacing along the line, in the file's length unit. */
  dx: number;
  /** Vertical spacing (default dx). */
  dz?: number;
  origin?: GridOrigin;
  /** Which file coordinate runs along the model's x axis (default 'x'). */
  axis?: 'x' | 'y';
  /** Shots are the field records (bytes 9-12, default) or the distinct source positions. */
  groupBy?: 'record' | 'source';
  /** The model's [nz, nx]: when given, every cell must fall inside it. */
  shape?: readonly [number, number];
  /** How far off a grid node a position may be, in cells (default 0.01). */
  tolerance?: number;
}
const TO_SHOTS_OPTIONS = optionNames<SegyToShotsOptions>()('dx', 'dz', 'origin', 'axis', 'groupBy', 'shape', 'tolerance');

/** Shot gathers on a grid: what acoustic2d takes and returns. */
export interface ShotGathers {
  /** Each shot's source cell [z, x]. */
  sources: [number, number][];
  /** Each shot's receiver cells [z, x], in trace order. */
  receivers: [number, number][][];
  /** [shots, receivers, nt], row-major. */
  traces: Float32Array;
  nt: number;
  /** Seconds between samples. */
  dt: number;
  /** Each shot's field record number (bytes 9-12). */
  records: number[];
}

/**
 * Groups a SEG-Y file's traces into shots on a grid of spacing dx (and dz). Every shot must have
 * the same number of receivers, every trace the same number of samples and the sample interval of
 * the file; positions (coordinates and elevations with their scalars) must sit on grid nodes.
 * Any violation is a RangeError naming the trace, its shot and the values.
 */
export function segyToShots(file: SegyFile | Uint8Array, opts: SegyToShotsOptions): ShotGathers {
  const what = 'segyToShots(file, opts)';
  const o = checkOptions(opts, TO_SHOTS_OPTIONS, what);
  const dx = positiveArg(what, 'opts.dx', o.dx);
  const dz = o.dz === undefined ? dx : positiveArg(what, 'opts.dz', o.dz);
  const tol = o.tolerance === undefined ? 0.01 : positiveArg(what, 'opts.tolerance', o.tolerance);
  const axis = o.axis ?? 'x';
  const groupBy = o.groupBy ?? 'record';
  if (axis !== 'x' && axis !== 'y') throw argError(what, 'opts.axis', "'x' or 'y'", axis);
  if (groupBy !== 'record' && groupBy !== 'source') throw argError(what, 'opts.groupBy', "'record' or 'source'", groupBy);
  const shape = o.shape;
  if (shape !== undefined && (!Array.isArray(shape) || shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n > 0)))
    throw argError(what, 'opts.shape', 'the model shape [nz, nx] of positive integers', shape);
  const origin = checkOptions(o.origin, ['x', 'y', 'elevation'], `${what} opts.origin`);
  for (const k of ['x', 'y', 'elevation'] as const)
    if (origin[k] !== undefined && !Number.isFinite(origin[k])) throw argError(what, `opts.origin.${k}`, 'a finite number', origin[k]);
  const seg = file instanceof Uint8Array ? readSegy(file) : file;
  if (seg === null || typeof seg !== 'object' || !Array.isArray(seg.traces))
    throw argError(what, 'file', 'a SEG-Y file from readSegy, or its bytes', seg);
  if (seg.traces.length === 0) throw argErrorText(what, 'file', 'at least one trace', '0 traces', RangeError);

  const x0 = origin.x ?? 0;
  const e0 = origin.elevation ?? 0;
  const g0 = traceGeometry(seg.traces[0]!.header);
  const y0 = origin.y ?? (axis === 'x' ? g0.sourceY : g0.sourceX);
  const nt = seg.traces[0]!.data.length;
  const dtUs = Math.round(seg.sampleInterval * 1e6 * 1e3) / 1e3;
  const shots: { record: number; key: string; source: [number, number]; first: number; traces: number[] }[] = [];
  const byKey = new Map<string | number, number>();
  const receivers: [number, number][][] = [];

  // One pass over the traces; messages are built only on failure (files hold 1e5 traces and more).
  const other = axis === 'x' ? 'y' : 'x';
  const fail = (i: number, name: string, expected: string, got: string): Error =>
    argErrorText(what, `trace ${i} (field record ${seg.traces[i]!.header.fieldRecord}) ${name}`, expected, got, RangeError);
  const cell = (i: number, v: number, o0: number, step: number, sign: 1 | -1, name: string, n: number | undefined): number => {
    const c = (sign * (v - o0)) / step;
    const k = Math.round(c) + 0; // + 0: no -0 cells
    if (Math.abs(c - k) <= tol && k >= 0 && (n === undefined || k < n)) return k;
    const originText = sign === 1 ? `${o0} + k * ${step}` : `${o0} - k * ${step}`;
    if (Math.abs(c - k) > tol) throw fail(i, name, `a grid node (${originText} within ${tol} cells)`, `${v} (${c.toFixed(4)} cells)`);
    throw fail(i, name, `a node inside the model (k in [0, ${n ?? 'inf'}) for ${originText})`, `${v} (k = ${k})`);
  };
  for (let i = 0; i < seg.traces.length; i++) {
    const { header: h, data } = seg.traces[i]!;
    if (h.coordinateUnits !== 0 && h.coordinateUnits !== 1)
      throw fail(i, 'coordinate units (bytes 89-90)', '1 (length) or 0', `${h.coordinateUnits} (angles cannot be put on a grid)`);
    if (data.length !== nt) throw fail(i, 'samples', `${nt} like trace 0`, `${data.length}`);
    if (h.sampleInterval !== 0 && Math.abs(h.sampleInterval - dtUs) > 1e-3)
      throw fail(i, 'sample interval (bytes 117-118)', `${dtUs} us like the file`, `${h.sampleInterval} us`);
    const g = traceGeometry(h);
    const [sAlong, sAcross, rAlong, rAcross] =
      axis === 'x' ? [g.sourceX, g.sourceY, g.groupX, g.groupY] : [g.sourceY, g.sourceX, g.groupY, g.groupX];
    const line = `${y0} (a straight line along ${axis}; set opts.origin.y or opts.axis)`;
    if (Math.abs(sAcross - y0) > tol * dx) throw fail(i, `source ${other}`, line, `${sAcross}`);
    if (Math.abs(rAcross - y0) > tol * dx) throw fail(i, `group ${other}`, line, `${rAcross}`);
    const sz = cell(i, g.sourceElevation, e0, dz, -1, 'source elevation', shape?.[0]);
    const sx = cell(i, sAlong, x0, dx, 1, `source ${axis}`, shape?.[1]);
    const rec: [number, number] = [
      cell(i, g.receiverElevation, e0, dz, -1, 'receiver elevation', shape?.[0]),
      cell(i, rAlong, x0, dx, 1, `group ${axis}`, shape?.[1]),
    ];
    const key = groupBy === 'record' ? h.fieldRecord : `${sz},${sx}`;
    let s = byKey.get(key);
    if (s === undefined) {
      s = shots.length;
      byKey.set(key, s);
      const label = groupBy === 'record' ? `record ${h.fieldRecord}` : `source [${sz}, ${sx}]`;
      shots.push({ record: h.fieldRecord, key: label, source: [sz, sx], first: i, traces: [] });
      receivers.push([]);
    }
    const shot = shots[s]!;
    if (shot.source[0] !== sz || shot.source[1] !== sx) {
      const expected = `[${shot.source.join(', ')}] like the record's first trace ${shot.first} (groupBy: 'source' splits records by source position)`;
      throw fail(i, 'source cell [z, x]', expected, `[${sz}, ${sx}]`);
    }
    shot.traces.push(i);
    receivers[s]!.push(rec);
  }

  const nr = receivers[0]!.length;
  receivers.forEach((r, s) => {
    if (r.length !== nr)
      throw argErrorText(what, `shot ${s} (${shots[s]!.key}) receivers`, `${nr} like shot 0 (${shots[0]!.key})`, `${r.length}`, RangeError);
  });
  const traces = new Float32Array(shots.length * nr * nt);
  shots.forEach((shot, s) => shot.traces.forEach((i, r) => traces.set(seg.traces[i]!.data, (s * nr + r) * nt)));
  return { sources: shots.map((s) => s.source), receivers, traces, nt, dt: seg.sampleInterval, records: shots.map((s) => s.record) };
}

export interface ShotsToSegyOptions extends WriteSegyOptions {
  dx: number;
  dz?: number;
  /** Node [0, 0] in file coordinates (default 0, 0 and elevation 0). */
  origin?: GridOrigin;
  axis?: 'x' | 'y';
  textHeader?: string;
}
const TO_SEGY_OPTIONS = optionNames<ShotsToSegyOptions>()(
  'dx',
  'dz',
  'origin',
  'axis',
  'textHeader',
  'revision',
  'format',
  'text',
  'endianness',
);

/** The SEG-Y scalar that stores every value as an int32 exactly (to 1e-6), or undefined. */
function pickScalar(values: readonly number[]): number | undefined {
  for (const s of [1, -10, -100, -1000, -10000, 10, 100, 1000, 10000]) {
    const f = s > 0 ? 1 / s : -s;
    if (
      values.every(
        (v) => Math.abs(v * f - Math.round(v * f)) <= 1e-6 * Math.max(1, Math.abs(v * f)) && Math.abs(Math.round(v * f)) < 2 ** 31,
      )
    )
      return s;
  }
  return undefined;
}

/**
 * The SEG-Y bytes of shot gathers on a grid (the inverse of segyToShots with the same dx, dz,
 * origin and axis): one trace per receiver, field record = shot + 1, trace number = receiver + 1,
 * coordinates and elevations with the smallest scalar that stores them exactly, sources at depth
 * as surface elevation (origin.elevation) and depth below it, coordinate units 1 (length).
 */
export function shotsToSegy(shots: Pick<ShotGathers, 'sources' | 'receivers' | 'traces' | 'dt'>, opts: ShotsToSegyOptions): Uint8Array {
  const what = 'shotsToSegy(shots, opts)';
  const o = checkOptions(opts, TO_SEGY_OPTIONS, what);
  const dx = positiveArg(what, 'opts.dx', o.dx);
  const dz = o.dz === undefined ? dx : positiveArg(what, 'opts.dz', o.dz);
  const axis = o.axis ?? 'x';
  if (axis !== 'x' && axis !== 'y') throw argError(what, 'opts.axis', "'x' or 'y'", axis);
  const origin = checkOptions(o.origin, ['x', 'y', 'elevation'], `${what} opts.origin`);
  for (const k of ['x', 'y', 'elevation'] as const)
    if (origin[k] !== undefined && !Number.isFinite(origin[k])) throw argError(what, `opts.origin.${k}`, 'a finite number', origin[k]);
  const { sources, receivers, traces } = shots ?? {};
  if (!Array.isArray(sources) || sources.length === 0) throw argError(what, 'shots.sources', 'a non-empty array of [z, x] cells', sources);
  if (!Array.isArray(receivers) || receivers.length !== sources.length)
    throw argErrorText(
      what,
      'shots.receivers',
      `an array of ${sources.length} receiver lists (one per source)`,
      Array.isArray(receivers) ? `length ${receivers.length}` : String(receivers),
    );
  const nr = Array.isArray(receivers[0]) ? receivers[0].length : 0;
  const isCell = (c: unknown) => Array.isArray(c) && c.length === 2 && c.every((v) => Number.isInteger(v) && v >= 0);
  sources.forEach((c, s) => {
    if (!isCell(c)) throw argError(what, `shots.sources[${s}]`, 'a cell [z, x] of integers >= 0', c);
    if (!Array.isArray(receivers[s]) || receivers[s].length !== nr || nr === 0)
      throw argErrorText(
        what,
        `shots.receivers[${s}]`,
        `${nr || 'at least 1'} receivers like shot 0`,
        `${Array.isArray(receivers[s]) ? receivers[s].length : String(receivers[s])}`,
      );
    receivers[s].forEach((r, k) => {
      if (!isCell(r)) throw argError(what, `shots.receivers[${s}][${k}]`, 'a cell [z, x] of integers >= 0', r);
    });
  });
  if (!(traces instanceof Float32Array) || traces.length % (sources.length * nr) !== 0 || traces.length === 0)
    throw argErrorText(
      what,
      'shots.traces',
      `a Float32Array of shape [${sources.length}, ${nr}, nt]`,
      traces instanceof Float32Array ? `length ${traces.length}` : String(traces),
    );
  const nt = traces.length / (sources.length * nr);
  const [x0, y0, e0] = [origin.x ?? 0, origin.y ?? 0, origin.elevation ?? 0];
  const along = (c: [number, number]) => x0 + c[1] * dx;
  const coords = [y0, ...sources.map(along), ...receivers.flat().map(along)];
  const elevs = [e0, ...sources.map((c) => c[0] * dz), ...receivers.flat().map((c) => e0 - c[0] * dz)];
  const coordinateScalar = pickScalar(coords);
  const elevationScalar = pickScalar(elevs);
  if (coordinateScalar === undefined || elevationScalar === undefined) {
    const [name, vals] = coordinateScalar === undefined ? ['coordinates', coords] : ['elevations', elevs];
    const bad = vals.find((v) => pickScalar([v]) === undefined) ?? vals[0];
    throw argErrorText(
      what,
      name,
      'values an int32 with a SEG-Y scalar stores exactly (multiples of 1e-4, below 2^31 * 1e4)',
      `${bad}`,
      RangeError,
    );
  }
  const store = (v: number, s: number) => Math.round(s > 0 ? v / s : v * -s);
  const c = (v: number) => store(v, coordinateScalar);
  const e = (v: number) => store(v, elevationScalar);
  const list: { header: Partial<SegyTraceHeader>; data: Float32Array }[] = [];
  const across = c(y0);
  sources.forEach((src, s) => {
    const sx = along(src);
    const [sourceX, sourceY] = axis === 'x' ? [c(sx), across] : [across, c(sx)];
    receivers[s]!.forEach((rec, r) => {
      const gx = along(rec);
      const [groupX, groupY] = axis === 'x' ? [c(gx), across] : [across, c(gx)];
      const k = list.length;
      const header: Partial<SegyTraceHeader> = {
        traceSequenceLine: k + 1,
        traceSequenceFile: k + 1,
        fieldRecord: s + 1,
        traceNumber: r + 1,
        energySourcePoint: s + 1,
        traceId: 1,
        offset: Math.round(gx - sx),
        receiverElevation: e(e0 - rec[0] * dz),
        sourceSurfaceElevation: e(e0),
        sourceDepth: e(src[0] * dz),
        elevationScalar,
        coordinateScalar,
        sourceX,
        sourceY,
        groupX,
        groupY,
        coordinateUnits: 1,
      };
      list.push({ header, data: traces.subarray((s * nr + r) * nt, (s * nr + r + 1) * nt) });
    });
  });
  const { textHeader, revision, format, text, endianness } = o;
  const writeOpts: WriteSegyOptions = { revision, format, text, endianness };
  for (const k of Object.keys(writeOpts) as (keyof WriteSegyOptions)[]) if (writeOpts[k] === undefined) delete writeOpts[k];
  const binary = { tracesPerEnsemble: nr, sortingCode: 1, measurementSystem: 1 };
  return writeSegy({ textHeader, binary, sampleInterval: shots.dt, traces: list }, writeOpts);
}
