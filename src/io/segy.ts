// SEG-Y revision 1 and 2.0 (SEG Technical Standards Committee, 2002 and 2017): a 3200-byte
// textual header (EBCDIC or ASCII), a 400-byte binary header, optional 3200-byte extended textual
// headers, then traces of a 240-byte header and samples. Big-endian unless a rev 2 file's byte-order
// word (bytes 3297-3300) reads 0x01020304 little-endian. Host-only: Uint8Array and DataView, so it
// runs in Node, Deno and the browser alike. Conventions and limits: docs/field-data.md.
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { decodeText, detectTextEncoding, encodeText, fromIbmFloat, toIbmFloat, type TextEncoding } from './codec.js';

type Kind = 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'u64' | 'f64';

// Byte positions are the standard's, 1-based: binary header fields count from the file's start,
// trace header fields from the trace's start.
const BINARY_FIELDS = {
  jobId: [3201, 'i32'],
  lineNumber: [3205, 'i32'],
  reelNumber: [3209, 'i32'],
  tracesPerEnsemble: [3213, 'i16'],
  auxTracesPerEnsemble: [3215, 'i16'],
  sampleInterval: [3217, 'u16'], // microseconds (or m / ft for depth data)
  originalSampleInterval: [3219, 'u16'],
  samplesPerTrace: [3221, 'u16'],
  originalSamplesPerTrace: [3223, 'u16'],
  format: [3225, 'i16'],
  ensembleFold: [3227, 'i16'],
  sortingCode: [3229, 'i16'],
  measurementSystem: [3255, 'i16'], // 1 = metres, 2 = feet
  extendedSamplesPerTrace: [3269, 'u32'], // rev 2: overrides samplesPerTrace when nonzero
  extendedSampleInterval: [3273, 'f64'], // rev 2: overrides sampleInterval when nonzero
  byteOrder: [3297, 'u32'], // rev 2: 16909060 (0x01020304) in the file's byte order
  revisionMajor: [3501, 'u8'],
  revisionMinor: [3502, 'u8'],
  fixedLength: [3503, 'i16'],
  extendedTextHeaders: [3505, 'i16'], // -1 (rev 2): as many as end with ((SEG: EndText))
  additionalTraceHeaders: [3507, 'u32'], // rev 2
  timeBasis: [3511, 'i16'],
  traceCount: [3513, 'u64'], // rev 2
  firstTraceOffset: [3521, 'u64'], // rev 2
  trailerStanzas: [3529, 'u32'], // rev 2
} as const satisfies Record<string, readonly [number, Kind]>;

const TRACE_FIELDS = {
  traceSequenceLine: [1, 'i32'],
  traceSequenceFile: [5, 'i32'],
  fieldRecord: [9, 'i32'],
  traceNumber: [13, 'i32'], // within the field record
  energySourcePoint: [17, 'i32'],
  cdp: [21, 'i32'],
  cdpTrace: [25, 'i32'],
  traceId: [29, 'i16'],
  offset: [37, 'i32'],
  receiverElevation: [41, 'i32'], // elevations and depths (41-68) scale by elevationScalar
  sourceSurfaceElevation: [45, 'i32'],
  sourceDepth: [49, 'i32'], // below the surface, positive
  receiverDatumElevation: [53, 'i32'],
  sourceDatumElevation: [57, 'i32'],
  sourceWaterDepth: [61, 'i32'],
  groupWaterDepth: [65, 'i32'],
  elevationScalar: [69, 'i16'],
  coordinateScalar: [71, 'i16'], // for 73-88 and 181-188
  sourceX: [73, 'i32'],
  sourceY: [77, 'i32'],
  groupX: [81, 'i32'],
  groupY: [85, 'i32'],
  coordinateUnits: [89, 'i16'], // 1 = length, 2 = arc seconds, 3 = degrees, 4 = DMS
  delay: [109, 'i16'], // delay recording time, ms
  samples: [115, 'u16'],
  sampleInterval: [117, 'u16'], // microseconds
  cdpX: [181, 'i32'],
  cdpY: [185, 'i32'],
} as const satisfies Record<string, readonly [number, Kind]>;

/** The binary header's fields as stored (integers; extendedSampleInterval a double). */
export type SegyBinaryHeader = Record<keyof typeof BINARY_FIELDS, number>;
/** A trace header's fields as stored: integers, scalars not applied (see segyScale, traceGeometry). */
export type SegyTraceHeader = Record<keyof typeof TRACE_FIELDS, number>;

/** Sample formats: 1 IBM float, 2 int32, 3 int16, 5 IEEE float, 6 IEEE double (rev 2), 8 int8. */
export type SegyFormat = 1 | 2 | 3 | 5 | 6 | 8;
const BYTES: Record<SegyFormat, number> = { 1: 4, 2: 4, 3: 2, 5: 4, 6: 8, 8: 1 };
const FORMATS = '1 (IBM float), 2 (int32), 3 (int16), 5 (IEEE float), 6 (IEEE double) or 8 (int8)';
const isFormat = (f: unknown): f is SegyFormat => typeof f === 'number' && f in BYTES;

export type Endianness = 'big' | 'little';

export interface SegyTrace {
  header: SegyTraceHeader;
  data: Float32Array;
}

/** A SEG-Y file as readSegy returns it. */
export interface SegyFile {
  /** The 40 lines of 80 characters, trailing blanks trimmed, joined by newlines. */
  textHeader: string;
  extendedTextHeaders: string[];
  textEncoding: TextEncoding;
  binary: SegyBinaryHeader;
  traces: SegyTrace[];
  /** Seconds between samples (the header's microseconds * 1e-6). */
  sampleInterval: number;
  /** Samples per trace by the binary header (each trace's data has its own length). */
  samples: number;
  format: SegyFormat;
  /** Major revision: 0, 1 or 2 (minor in binary.revisionMinor). */
  revision: number;
  endianness: Endianness;
}

export interface ReadSegyOptions {
  /** The textual header's encoding; 'auto' (default) detects it. */
  text?: TextEncoding | 'auto';
  /** 'auto' (default): little-endian only when the rev 2 byte-order word says so. */
  endianness?: Endianness | 'auto';
}
const READ_OPTIONS = optionNames<ReadSegyOptions>()('text', 'endianness');

/** A scaled header value: SEG-Y scalars multiply when positive, divide by |s| when negative, 0 means 1. */
export function segyScale(value: number, scalar: number): number {
  return scalar > 0 ? value * scalar : scalar < 0 ? value / -scalar : value;
}

/** A trace's positions with the scalars applied, in the file's length unit (metres or feet, binary.measurementSystem). */
export interface TraceGeometry {
  sourceX: number;
  sourceY: number;
  groupX: number;
  groupY: number;
  /** Elevation of the receiver group (bytes 41-44; below the datum is negative). */
  receiverElevation: number;
  /** Elevation of the source: surface elevation at the source (45-48) minus its depth below the surface (49-52). */
  sourceElevation: number;
}

/** The positions of a trace header with SEG-Y's scalars applied (coordinates 71-72, elevations 69-70). */
export function traceGeometry(h: SegyTraceHeader): TraceGeometry {
  const c = (v: number) => segyScale(v, h.coordinateScalar);
  const e = (v: number) => segyScale(v, h.elevationScalar);
  return {
    sourceX: c(h.sourceX),
    sourceY: c(h.sourceY),
    groupX: c(h.groupX),
    groupY: c(h.groupY),
    receiverElevation: e(h.receiverElevation),
    sourceElevation: e(h.sourceSurfaceElevation) - e(h.sourceDepth),
  };
}

type Getter = (view: DataView, at: number, le: boolean) => number;
type Setter = (view: DataView, at: number, v: number, le: boolean) => void;
const GET: Record<Kind, Getter> = {
  u8: (d, at) => d.getUint8(at),
  i16: (d, at, le) => d.getInt16(at, le),
  u16: (d, at, le) => d.getUint16(at, le),
  i32: (d, at, le) => d.getInt32(at, le),
  u32: (d, at, le) => d.getUint32(at, le),
  u64: (d, at, le) => Number(d.getBigUint64(at, le)),
  f64: (d, at, le) => d.getFloat64(at, le),
};
const get = (view: DataView, at: number, kind: Kind, le: boolean): number => GET[kind](view, at, le);

const SET: Record<Kind, Setter> = {
  u8: (d, at, v) => d.setUint8(at, v),
  i16: (d, at, v, le) => d.setInt16(at, v, le),
  u16: (d, at, v, le) => d.setUint16(at, v, le),
  i32: (d, at, v, le) => d.setInt32(at, v, le),
  u32: (d, at, v, le) => d.setUint32(at, v, le),
  u64: (d, at, v, le) => d.setBigUint64(at, BigInt(v), le),
  f64: (d, at, v, le) => d.setFloat64(at, v, le),
};

const RANGE: Record<Kind, [number, number]> = {
  u8: [0, 255],
  i16: [-32768, 32767],
  u16: [0, 65535],
  i32: [-(2 ** 31), 2 ** 31 - 1],
  u32: [0, 2 ** 32 - 1],
  u64: [0, Number.MAX_SAFE_INTEGER],
  f64: [-Infinity, Infinity],
};

type FieldList<K extends string> = [K, readonly [number, Kind]][];
const BINARY_LIST = Object.entries(BINARY_FIELDS) as FieldList<keyof SegyBinaryHeader>;
const TRACE_LIST = Object.entries(TRACE_FIELDS) as FieldList<keyof SegyTraceHeader>;

// Headers are filled into a copy of an all-zero template: every header then shares one object
// shape, instead of growing one property at a time (files hold 1e5 traces and more).
const template = <K extends string>(fields: FieldList<K>) => Object.fromEntries(fields.map(([k]) => [k, 0])) as Record<K, number>;
const BINARY_TEMPLATE = template(BINARY_LIST);
const TRACE_TEMPLATE = template(TRACE_LIST);

function readFields<K extends string>(
  view: DataView,
  base: number,
  fields: FieldList<K>,
  zero: Record<K, number>,
  le: boolean,
): Record<K, number> {
  const out = { ...zero };
  for (const [name, [at, kind]] of fields) out[name] = get(view, base + at - 1, kind, le);
  return out;
}

const lines = (text: string): string =>
  Array.from({ length: text.length / 80 }, (_, i) => text.slice(80 * i, 80 * i + 80).trimEnd()).join('\n');

/**
 * Parses a SEG-Y file (revision 0, 1 or 2). Every trace is read with its own header; a trace's
 * length is the binary header's when the fixed-length flag is set, else its own header's
 * (bytes 115-116) or the binary header's when that is zero. Samples come back as float32 whatever
 * the format (IBM floats decoded exactly up to float32 rounding). Throws on truncated or
 * inconsistent files, naming the field and the values.
 */
export function readSegy(bytes: Uint8Array, opts?: ReadSegyOptions): SegyFile {
  const what = 'readSegy(bytes, opts)';
  const o = checkOptions(opts, READ_OPTIONS, what);
  if (!(bytes instanceof Uint8Array)) throw argError(what, 'bytes', 'a Uint8Array', bytes);
  if (o.text !== undefined && !['auto', 'ascii', 'ebcdic'].includes(o.text))
    throw argError(what, 'opts.text', "'auto', 'ascii' or 'ebcdic'", o.text);
  if (o.endianness !== undefined && !['auto', 'big', 'little'].includes(o.endianness))
    throw argError(what, 'opts.endianness', "'auto', 'big' or 'little'", o.endianness);
  if (bytes.length < 3600)
    throw argErrorText(
      what,
      'bytes',
      'a SEG-Y file of at least 3600 bytes (3200-byte text and 400-byte binary headers)',
      `${bytes.length} bytes`,
      RangeError,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const order = view.getUint32(3296, false);
  const le = o.endianness === 'little' || ((o.endianness ?? 'auto') === 'auto' && order === 0x04030201);
  const binary = readFields(view, 0, BINARY_LIST, BINARY_TEMPLATE, le);
  const revision = binary.revisionMajor;
  const rev2 = revision >= 2; // bytes 3261-3500 are unassigned before rev 2: read, never trusted

  const format = binary.format;
  if (!isFormat(format)) {
    const swapped = get(view, 3224, 'i16', !le);
    const hint = isFormat(swapped)
      ? ` (${swapped} byte-swapped: pass { endianness: '${le ? 'big' : 'little'}' } if the file lies about its byte order)`
      : '';
    throw argErrorText(what, 'binary header format code (bytes 3225-3226)', FORMATS, `${format}${hint}`, RangeError);
  }

  const encoding = !o.text || o.text === 'auto' ? detectTextEncoding(bytes.subarray(0, 3200)) : o.text;
  const textHeader = lines(decodeText(bytes.subarray(0, 3200), encoding));
  const extendedTextHeaders: string[] = [];
  let pos = 3600;
  const nExt = binary.extendedTextHeaders;
  if (nExt < -1)
    throw argErrorText(what, 'binary header extended textual headers (bytes 3505-3506)', 'a count >= 0 or -1', `${nExt}`, RangeError);
  for (let k = 0; nExt === -1 || k < nExt; k++) {
    if (pos + 3200 > bytes.length) {
      const expected =
        nExt === -1 ? 'extended textual headers ending with ((SEG: EndText))' : `${nExt} extended textual headers of 3200 bytes`;
      throw argErrorText(what, 'bytes', expected, `a file of ${bytes.length} bytes that ends inside header ${k + 1}`, RangeError);
    }
    const block = bytes.subarray(pos, pos + 3200);
    extendedTextHeaders.push(lines(decodeText(block, detectTextEncoding(block))));
    pos += 3200;
    if (nExt === -1 && extendedTextHeaders.at(-1)!.includes('((SEG: EndText))')) break;
  }
  if (rev2 && binary.firstTraceOffset > 0) pos = binary.firstTraceOffset;
  if (rev2 && binary.additionalTraceHeaders > 0)
    throw argErrorText(
      what,
      'binary header additional trace headers (bytes 3507-3510)',
      '0 (extended trace headers are not supported)',
      `${binary.additionalTraceHeaders}`,
      RangeError,
    );

  const samples = rev2 && binary.extendedSamplesPerTrace > 0 ? binary.extendedSamplesPerTrace : binary.samplesPerTrace;
  let intervalUs = rev2 && binary.extendedSampleInterval > 0 ? binary.extendedSampleInterval : binary.sampleInterval;
  const fixed = revision >= 1 && binary.fixedLength === 1;
  const end = bytes.length - (rev2 ? 3200 * binary.trailerStanzas : 0);
  const count = rev2 && binary.traceCount > 0 ? binary.traceCount : Infinity;
  const size = BYTES[format];
  if (fixed && count === Infinity && samples > 0 && (end - pos) % (240 + samples * size) !== 0) {
    const traceBytes = 240 + samples * size;
    const expected = `whole traces of ${traceBytes} bytes (240 + ${samples} samples of format ${format}) after byte ${pos}`;
    const got = `${end - pos} bytes (${((end - pos) / traceBytes).toFixed(2)} traces): the file is truncated, or the sample count or format is wrong`;
    throw argErrorText(what, 'trace data', expected, got, RangeError);
  }
  const traces: SegyTrace[] = [];
  // Fixed-length traces share one allocation (each trace's data is a view): far less GC for many short traces.
  const fits = Math.max(0, Math.min(count, Math.floor((end - pos) / (240 + samples * size))));
  const pool = fixed && samples > 0 ? new Float32Array(fits * samples) : null;
  for (let i = 0; i < count && (count < Infinity || pos < end); i++) {
    if (pos + 240 > bytes.length) {
      const got = `${bytes.length - pos} bytes left at byte ${pos}: the file is truncated`;
      throw argErrorText(what, `trace ${i} header`, '240 bytes', got, RangeError);
    }
    const header = readFields(view, pos, TRACE_LIST, TRACE_TEMPLATE, le);
    const ns = fixed || header.samples === 0 ? samples : header.samples;
    if (ns === 0)
      throw argErrorText(
        what,
        `trace ${i} samples`,
        'a count > 0',
        '0 in the binary header (bytes 3221-3222) and in the trace header (bytes 115-116)',
        RangeError,
      );
    const start = pos + 240;
    if (start + ns * size > bytes.length) {
      const got = `${bytes.length - start} bytes left at byte ${start}: the file is truncated, or the sample count or format is wrong`;
      throw argErrorText(what, `trace ${i} data`, `${ns} samples of format ${format} (${ns * size} bytes)`, got, RangeError);
    }
    const data = pool && (i + 1) * ns <= pool.length ? pool.subarray(i * ns, (i + 1) * ns) : new Float32Array(ns);
    decodeSamples(view, start, data, format, le);
    traces.push({ header, data });
    pos = start + ns * size;
  }
  if (intervalUs === 0) intervalUs = traces[0]?.header.sampleInterval ?? 0;
  if (!(intervalUs > 0))
    throw argErrorText(
      what,
      'sample interval',
      'a value > 0',
      `${intervalUs} in the binary header (bytes 3217-3218) and the first trace header (bytes 117-118)`,
      RangeError,
    );
  return {
    textHeader,
    extendedTextHeaders,
    textEncoding: encoding,
    binary,
    traces,
    sampleInterval: intervalUs * 1e-6,
    samples,
    format,
    revision,
    endianness: le ? 'little' : 'big',
  };
}

// Samples by format: one reader and one writer each, picked once per trace.
const READ: Record<SegyFormat, Getter> = {
  1: (d, p, le) => fromIbmFloat(d.getUint32(p, le)),
  2: GET.i32,
  3: GET.i16,
  5: (d, p, le) => d.getFloat32(p, le),
  6: GET.f64,
  8: (d, p) => d.getInt8(p),
};
const WRITE: Record<SegyFormat, Setter> = {
  1: (d, p, v, le) => d.setUint32(p, toIbmFloat(v), le),
  2: SET.i32,
  3: SET.i16,
  5: (d, p, v, le) => d.setFloat32(p, v, le),
  6: SET.f64,
  8: (d, p, v) => d.setInt8(p, v),
};

function decodeSamples(view: DataView, at: number, out: Float32Array, format: SegyFormat, le: boolean): void {
  const [read, step] = [READ[format], BYTES[format]];
  for (let i = 0, p = at; i < out.length; i++, p += step) out[i] = read(view, p, le);
}

/** What writeSegy writes: headers may be partial (missing fields are 0). */
export interface SegyInput {
  textHeader?: string;
  extendedTextHeaders?: readonly string[];
  /**
   * Descriptive binary fields (jobId, lineNumber, measurementSystem, ...). The structural ones
   * (format, sample counts and intervals, revision, byte order, fixed-length flag, header and trace
   * counts, first trace offset) are derived from the data and the options; given ones are ignored.
   */
  binary?: Partial<SegyBinaryHeader>;
  /** Seconds between samples. */
  sampleInterval: number;
  /** Every trace holds the same number of samples. samples and sampleInterval in a header are derived. */
  traces: readonly { header?: Partial<SegyTraceHeader>; data: ArrayLike<number> }[];
}

export interface WriteSegyOptions {
  /** 1 (default) or 2 (2.0). */
  revision?: 1 | 2;
  /** Sample format (default 5, IEEE float: lossless for float32). Integer formats need integer samples in range. */
  format?: SegyFormat;
  /** Textual header encoding (default 'ebcdic', as the standard asks). */
  text?: TextEncoding;
  /** 'big' (default); 'little' only for revision 2, which records it in bytes 3297-3300. */
  endianness?: Endianness;
}
const WRITE_OPTIONS = optionNames<WriteSegyOptions>()('revision', 'format', 'text', 'endianness');
const DERIVED = new Set<string>([
  'sampleInterval',
  'samplesPerTrace',
  'format',
  'extendedSamplesPerTrace',
  'extendedSampleInterval',
  'byteOrder',
  'revisionMajor',
  'revisionMinor',
  'fixedLength',
  'extendedTextHeaders',
  'additionalTraceHeaders',
  'traceCount',
  'firstTraceOffset',
  'trailerStanzas',
  'samples',
]);

/** The textual header writeSegy uses by default: who wrote it, the revision, the end marker. */
export function defaultTextHeader(revision: 1 | 2): string {
  const rows = Array.from({ length: 40 }, (_, i) => `C${String(i + 1).padStart(2, ' ')}`);
  rows[0] += ' SEG-Y FILE WRITTEN BY TELLUS';
  rows[38] += revision === 1 ? ' SEG Y REV1' : ' SEG-Y_REV2.0';
  rows[39] += ' END TEXTUAL HEADER';
  return rows.join('\n');
}

/** A header's text as 3200 bytes: 40 lines of up to 80 characters (newline-separated), or up to 3200 characters. */
function textBlock(text: unknown, encoding: TextEncoding, what: string, arg: string): Uint8Array {
  if (typeof text !== 'string') throw argError(what, arg, 'a string', text);
  const rows = text.includes('\n') ? text.split('\n') : [text];
  if (rows.length > 1) {
    const long = rows.findIndex((r) => r.length > 80);
    if (rows.length > 40 || long >= 0) {
      const got = rows.length > 40 ? `${rows.length} lines` : `line ${long + 1} of ${rows[long]!.length} characters`;
      throw argErrorText(what, arg, 'at most 40 lines of at most 80 characters', got, RangeError);
    }
  } else if (text.length > 3200) throw argErrorText(what, arg, 'at most 3200 characters', `${text.length}`, RangeError);
  const flat = rows.length > 1 ? rows.map((r) => r.padEnd(80, ' ')).join('') : text;
  return encodeText(flat.padEnd(3200, ' '), encoding, what, arg);
}

/** Checks a partial header: known names (else checkOptions' error, with its suggestion), values that fit their fields. */
function checkFields(values: object, fields: Record<string, readonly [number, Kind]>, what: string, arg: string): void {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) checkOptions(values, Object.keys(fields), `${what} ${arg}`);
  for (const name in values) {
    const field = fields[name];
    if (field === undefined) checkOptions(values, Object.keys(fields), `${what} ${arg}`);
    const kind = field![1];
    const v = (values as Record<string, unknown>)[name];
    const [lo, hi] = RANGE[kind];
    const ok = typeof v === 'number' && (kind === 'f64' ? Number.isFinite(v) : Number.isInteger(v) && v >= lo && v <= hi);
    if (!ok)
      throw argError(what, `${arg}.${name}`, kind === 'f64' ? 'a finite number' : `an integer in [${lo}, ${hi}] (${kind})`, v, RangeError);
  }
}

/**
 * The bytes of a SEG-Y file: textual header, binary header, extended textual headers, then the
 * traces, all of one length (the fixed-length flag is set). Revision 1 stores the sample
 * interval as whole microseconds (1 to 65535); revision 2 also writes it as a double (bytes
 * 3273-3280), so any positive interval goes. IBM format rounds each float32 to nearest (relative
 * error <= 2^-21); NaN and infinities are an error in every float format's stead.
 */
export function writeSegy(file: SegyInput, opts?: WriteSegyOptions): Uint8Array {
  const what = 'writeSegy(file, opts)';
  const o = checkOptions(opts, WRITE_OPTIONS, what);
  const revision = o.revision ?? 1;
  const format = o.format ?? 5;
  const encoding = o.text ?? 'ebcdic';
  const endianness = o.endianness ?? 'big';
  if (revision !== 1 && revision !== 2) throw argError(what, 'opts.revision', '1 or 2', revision);
  if (!isFormat(format)) throw argError(what, 'opts.format', FORMATS, format);
  if (format === 6 && revision !== 2) throw argError(what, 'opts.format', 'a format of revision 1 (6, IEEE double, is rev 2 only)', format);
  if (encoding !== 'ebcdic' && encoding !== 'ascii') throw argError(what, 'opts.text', "'ebcdic' or 'ascii'", encoding);
  if (endianness !== 'big' && !(endianness === 'little' && revision === 2))
    throw argError(what, 'opts.endianness', "'big', or 'little' with revision 2", endianness);
  if (file === null || typeof file !== 'object') throw argError(what, 'file', 'an object { sampleInterval, traces, ... }', file);
  const { traces } = file;
  if (!Array.isArray(traces)) throw argError(what, 'file.traces', 'an array of { header?, data }', traces);
  const dt = file.sampleInterval;
  if (typeof dt !== 'number' || !Number.isFinite(dt) || dt <= 0)
    throw argError(what, 'file.sampleInterval', 'a number of seconds > 0', dt, RangeError);
  const dtUs = dt * 1e6;
  const wholeUs = Math.abs(dtUs - Math.round(dtUs)) <= 1e-6 * dtUs && Math.round(dtUs) <= 65535 && Math.round(dtUs) >= 1;
  if (revision === 1 && !wholeUs)
    throw argErrorText(
      what,
      'file.sampleInterval',
      'whole microseconds in [1e-6, 0.065535] s for revision 1 (revision 2 stores any interval)',
      `${dt} s`,
      RangeError,
    );
  const ns = traces[0] ? traces[0].data.length : 0;
  traces.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || !t.data || typeof t.data.length !== 'number')
      throw argError(what, `file.traces[${i}]`, 'an object { header?, data }', t);
    if (t.data.length !== ns)
      throw argErrorText(
        what,
        `file.traces[${i}].data`,
        `${ns} samples like traces[0] (fixed-length traces)`,
        `${t.data.length}`,
        RangeError,
      );
    if (t.header !== undefined) {
      checkFields(t.header, TRACE_FIELDS, what, `file.traces[${i}].header`);
    }
  });
  if (ns > 65535)
    throw argErrorText(what, 'file.traces[0].data', 'at most 65535 samples (trace header bytes 115-116)', `${ns}`, RangeError);
  if (traces.length > 0 && ns === 0) throw argErrorText(what, 'file.traces[0].data', 'at least one sample', '0', RangeError);
  const ext = file.extendedTextHeaders ?? [];
  if (!Array.isArray(ext)) throw argError(what, 'file.extendedTextHeaders', 'an array of strings', ext);
  const userBinary = file.binary ?? {};
  checkFields(userBinary, BINARY_FIELDS, what, 'file.binary');

  const le = endianness === 'little';
  const size = BYTES[format];
  const first = 3600 + 3200 * ext.length;
  const out = new Uint8Array(first + traces.length * (240 + ns * size));
  const view = new DataView(out.buffer);
  out.set(textBlock(file.textHeader ?? defaultTextHeader(revision), encoding, what, 'file.textHeader'), 0);
  const binary: Partial<SegyBinaryHeader> = {};
  for (const [k, v] of Object.entries(userBinary)) if (!DERIVED.has(k)) binary[k as keyof SegyBinaryHeader] = v;
  Object.assign(binary, {
    sampleInterval: wholeUs ? Math.round(dtUs) : 0,
    samplesPerTrace: ns,
    format,
    revisionMajor: revision,
    revisionMinor: 0,
    fixedLength: 1,
    extendedTextHeaders: ext.length,
  });
  if (revision === 2) {
    Object.assign(binary, { extendedSamplesPerTrace: ns, extendedSampleInterval: dtUs, byteOrder: 0x01020304 });
    Object.assign(binary, { traceCount: traces.length, firstTraceOffset: first });
  }
  for (const [k, v] of Object.entries(binary)) {
    const [at, kind] = BINARY_FIELDS[k as keyof SegyBinaryHeader];
    SET[kind](view, at - 1, v, le);
  }
  ext.forEach((t, k) => out.set(textBlock(t, encoding, what, `file.extendedTextHeaders[${k}]`), 3600 + 3200 * k));
  let pos = first;
  const traceDt = wholeUs ? Math.round(dtUs) : 0;
  const headerName = encodeText('SEG00000', 'ascii', what, 'header name');
  traces.forEach((t, i) => {
    for (const [k, [at, kind]] of TRACE_LIST) {
      const v = k === 'samples' ? ns : k === 'sampleInterval' ? traceDt : t.header?.[k];
      if (v) SET[kind](view, pos + at - 1, v, le); // the buffer starts zeroed
    }
    if (revision === 2) out.set(headerName, pos + 232); // bytes 233-240
    encodeSamples(view, pos + 240, t.data, format, le, what, i);
    pos += 240 + ns * size;
  });
  return out;
}

const F32_MAX = 3.4028234663852886e38;
const INT_RANGE: Partial<Record<SegyFormat, [number, number]>> = { 2: RANGE.i32, 3: RANGE.i16, 8: [-128, 127] };

function encodeSamples(
  view: DataView,
  at: number,
  data: ArrayLike<number>,
  format: SegyFormat,
  le: boolean,
  what: string,
  trace: number,
): void {
  const [write, step, range] = [WRITE[format], BYTES[format], INT_RANGE[format]];
  // Float formats: float32's range for 1 and 5 (IBM's is wider, but the data come from float32 here).
  const max = format === 6 ? Infinity : F32_MAX;
  for (let i = 0, p = at; i < data.length; i++, p += step) {
    const v = data[i]!;
    const ok = range ? Number.isInteger(v) && v >= range[0] && v <= range[1] : Number.isFinite(v) && Math.abs(v) <= max;
    if (!ok) {
      const floats = format === 6 ? 'finite numbers' : 'finite numbers within float32 range';
      const expected = range ? `integers in [${range[0]}, ${range[1]}] for format ${format}` : floats;
      throw argError(what, `file.traces[${trace}].data[${i}]`, expected, v, RangeError);
    }
    write(view, p, v, le);
  }
}
