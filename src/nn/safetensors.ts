// Parameters in the safetensors format (huggingface/safetensors), which PyTorch reads with
// safetensors.torch.load_file: an 8-byte little-endian header length N, N bytes of JSON
// ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
// padded with spaces to a multiple of 8), then the raw little-endian data, offsets relative to
// the start of the data. float32 is "F32", int32 "I32", uint32 "U32".
import { argError, argErrorText, checkOptions } from '../graph/options.js';
import { Tensor, type TypedArray } from '../graph/tensor.js';
import type { DType } from '../gpu/kernels.js';
import { fmt } from '../graph/shape.js';
import { tensor } from '../ops/creation.js';
import { Module, type NamedTensors } from './module.js';

const CODES: Record<string, string> = { float32: 'F32', int32: 'I32', uint32: 'U32' };
const DTYPES: Record<string, DType> = { F32: 'float32', I32: 'int32', U32: 'uint32' };

/** A host array with its safetensors dtype and shape: what encodeSafetensors writes and decodeSafetensors reads. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** The bytes of a safetensors file holding the module's parameters (or the named tensors). */
export async function saveSafetensors(source: Module | NamedTensors, metadata?: Record<string, string>): Promise<Uint8Array> {
  const what = 'saveSafetensors(source, metadata)';
  const named = source instanceof Module ? source.parameters() : source;
  if (named === null || typeof named !== 'object') throw argError(what, 'source', 'a Module or an object of tensors keyed by name', source);
  const names = Object.keys(named).sort();
  for (const k of names) {
    if (!(named[k] instanceof Tensor)) throw argError(what, `source['${k}']`, 'a Tensor', named[k]);
    if (!CODES[named[k].dtype])
      throw new TypeError(`tellus: ${what}: '${k}' has dtype ${named[k].dtype}, which safetensors export does not support`);
  }
  const datas = await Promise.all(names.map((k) => named[k]!.data()));
  const host: Record<string, HostTensor> = {};
  names.forEach((k, i) => (host[k] = { dtype: named[k]!.dtype, shape: [...named[k]!.shape], data: datas[i]! }));
  return encode(host, metadata, what);
}

/** saveSafetensors of host arrays (no device): for data made on the host, such as model training sets. */
export function encodeSafetensors(arrays: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  const what = 'encodeSafetensors(arrays, metadata)';
  if (arrays === null || typeof arrays !== 'object')
    throw argError(what, 'arrays', 'an object of { dtype, shape, data } keyed by name', arrays);
  for (const [k, a] of Object.entries(arrays)) {
    const size = Array.isArray(a?.shape) ? a.shape.reduce((x, y) => x * y, 1) : NaN;
    const Kind = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array }[a?.dtype as string];
    if (!Kind || !(a.data instanceof Kind) || a.data.length !== size || !a.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw argError(what, `arrays['${k}']`, '{ dtype, shape, data } with data a typed array of the dtype holding prod(shape) values', a);
  }
  return encode(arrays, metadata, what);
}

function encode(named: Record<string, HostTensor>, metadata: Record<string, string> | undefined, what: string): Uint8Array {
  const names = Object.keys(named).sort();
  for (const k of names) if (k === '__metadata__' || k.length === 0) throw new Error(`tellus: ${what}: '${k}' is not a valid tensor name`);
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw argError(what, `metadata['${k}']`, 'a string', v);
  }
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const k of names) {
    const t = named[k]!;
    header[k] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const padded = Math.ceil(raw.length / 8) * 8;
  json += ' '.repeat(padded - raw.length);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const k of names) {
    const d = named[k]!.data;
    // Little-endian regardless of the host: write through a DataView.
    for (let i = 0; i < d.length; i++, at += 4) {
      if (d instanceof Float32Array) view.setFloat32(at, d[i]!, true);
      else if (d instanceof Int32Array) view.setInt32(at, d[i]!, true);
      else view.setUint32(at, d[i]!, true);
    }
  }
  return out;
}

export interface SafetensorsFile {
  tensors: NamedTensors;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes into tensors (F32, I32, U32) and the metadata; throws on malformed files. */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  // The whole file is checked before any tensor is created, so a bad file leaves nothing on the device.
  const { arrays, metadata } = decode(bytes, 'loadSafetensors(bytes)');
  const tensors: NamedTensors = {};
  for (const [name, a] of Object.entries(arrays)) tensors[name] = tensor(a.data, { shape: a.shape, dtype: a.dtype });
  return { tensors, metadata };
}

/** readSafetensors on the host (no device): the arrays and the metadata; throws on malformed files. */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): {
  arrays: Record<string, HostTensor>;
  metadata: Record<string, string>;
} {
  return decode(bytes, 'decodeSafetensors(bytes)');
}

function decode(bytes: Uint8Array | ArrayBuffer, what: string): { arrays: Record<string, HostTensor>; metadata: Record<string, string> } {
  const buf = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(buf instanceof Uint8Array)) throw argError(what, 'bytes', 'a Uint8Array or ArrayBuffer', bytes);
  if (buf.length < 8) throw new Error(`tellus: ${what}: ${buf.length} bytes is too short for a safetensors file (8-byte header length)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > buf.length) throw new Error(`tellus: ${what}: the header length ${n} runs past the end of the ${buf.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`tellus: ${what}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new Error(`tellus: ${what}: the header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const metadata = header.__metadata__ ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw argError(what, '__metadata__', 'an object of strings', metadata, Error);
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== 'string') throw argError(what, `__metadata__['${k}']`, 'a string', v, Error);
  const entries: { name: string; dt: DType; shape: number[]; size: number; b: number; e: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: off } = (info ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    const dt = DTYPES[dtype ?? ''];
    if (!dt) throw new Error(`tellus: ${what}: '${name}' has dtype ${String(dtype)}; supported: F32, I32, U32`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`tellus: ${what}: '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o)))
      throw new Error(`tellus: ${what}: '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    const size = shape.reduce((a, b) => a * b, 1);
    const [b, e] = off as [number, number];
    if (e - b !== 4 * size || b < 0 || e > dataLen) {
      throw new Error(
        `tellus: ${what}: '${name}' (${dtype} ${fmt(shape)}, ${4 * size} bytes) has data_offsets [${b}, ${e}] inconsistent with its shape or the ${dataLen}-byte data section`,
      );
    }
    entries.push({ name, dt, shape, size, b, e });
  }
  // Two tensors sharing bytes would load as aliases of one another's data: a corrupt or crafted file.
  const byStart = entries.filter((t) => t.e > t.b).sort((x, y) => x.b - y.b);
  for (let k = 1; k < byStart.length; k++) {
    const [p, q] = [byStart[k - 1]!, byStart[k]!];
    if (q.b < p.e) {
      const got = `'${p.name}' [${p.b}, ${p.e}] overlapping '${q.name}' [${q.b}, ${q.e}]`;
      throw argErrorText(what, 'data_offsets', 'disjoint byte ranges', got, Error);
    }
  }
  // The format forbids unused bytes (the reference loader refuses them): a gap means a truncated or spliced header.
  let pos = 0;
  for (const t of [...byStart, { b: dataLen, e: dataLen }]) {
    if (t.b > pos) {
      const expected = `the tensors to cover the ${dataLen}-byte data section without gaps`;
      throw argErrorText(what, 'data_offsets', expected, `bytes [${pos}, ${t.b}] in no tensor`, Error);
    }
    pos = Math.max(pos, t.e);
  }
  const arrays: Record<string, HostTensor> = {};
  for (const { name, dt, shape, size, b } of entries) {
    const vals = dt === 'float32' ? new Float32Array(size) : dt === 'int32' ? new Int32Array(size) : new Uint32Array(size);
    for (let i = 0, at = dataStart + b; i < size; i++, at += 4) {
      vals[i] = dt === 'float32' ? view.getFloat32(at, true) : dt === 'int32' ? view.getInt32(at, true) : view.getUint32(at, true);
    }
    arrays[name] = { dtype: dt, shape, data: vals };
  }
  return { arrays, metadata: metadata as Record<string, string> };
}

/** The named tensors of a safetensors file. */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): NamedTensors {
  return readSafetensors(bytes).tensors;
}

/**
 * Loads a safetensors file into a module: names and shapes are checked before anything changes
 * (see Module.loadParameters); tensors the module does not take are disposed.
 */
export function loadSafetensorsInto<M extends Module>(module: M, bytes: Uint8Array | ArrayBuffer, opts: { strict?: boolean } = {}): M {
  checkOptions(opts, ['strict'], 'loadSafetensorsInto(module, bytes, opts)');
  const named = loadSafetensors(bytes);
  try {
    module.loadParameters(named, opts);
  } catch (e) {
    for (const t of Object.values(named)) t.dispose();
    throw e;
  }
  const taken = new Set(module.namedParameters().map(([, t]) => t));
  for (const t of Object.values(named)) if (!taken.has(t)) t.dispose();
  return module;
}
