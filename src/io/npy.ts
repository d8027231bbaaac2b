// NumPy's .npy format (numpy.lib.format): the magic "\x93NUMPY", a major and minor version byte,
// the header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), an ASCII (3.0: UTF-8)
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with
// blanks and a newline so the data start at a multiple of 64, then the raw array. Host-only.
import { argError, argErrorText } from '../graph/options.js';

export type NpyDtype = 'float32' | 'float64' | 'int32';
export type NpyData = Float32Array | Float64Array | Int32Array;

export interface NpyArray {
  /** Row-major (C order) values. */
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
}

const DTYPES: Record<string, NpyDtype> = { f4: 'float32', f8: 'float64', i4: 'int32' };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The C-order copy of Fortran-order data: the array of shape s stored with its first index fastest. */
function fromFortran<T extends NpyData>(data: T, shape: readonly number[]): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const rank = shape.length;
  const fStrides = shape.map((_, k) => shape.slice(0, k).reduce((a, b) => a * b, 1));
  const idx = new Array<number>(rank).fill(0);
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    for (let k = 0; k < rank; k++) f += idx[k]! * fStrides[k]!;
    out[c] = data[f]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Parses .npy bytes (format 1.0, 2.0 or 3.0) of dtype f4, f8 or i4 in either byte order, any
 * rank. Fortran-order arrays are transposed into C order on read (the returned data is always
 * row-major for the given shape). Throws on a bad magic, an unsupported dtype or a data length
 * that does not match the shape.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  const what = 'readNpy(bytes)';
  if (!(bytes instanceof Uint8Array)) throw argError(what, 'bytes', 'a Uint8Array', bytes);
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw argErrorText(
      what,
      'bytes',
      'a .npy file starting with the magic 93 4e 55 4d 50 59 ("\\x93NUMPY")',
      `${bytes.length} bytes starting ${head || '(empty)'}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw argErrorText(what, 'format version', '1.0, 2.0 or 3.0', `${major}.${bytes[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes)
    throw argErrorText(what, 'bytes', `a header length after the version`, `${bytes.length} bytes`, RangeError);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length)
    throw argErrorText(what, 'bytes', `a header of ${headerLen} bytes after the preamble`, `a file of ${bytes.length} bytes`, RangeError);
  const header = new TextDecoder().decode(bytes.subarray(8 + lenBytes, start)); // ASCII in 1.0 and 2.0, UTF-8 in 3.0
  const descr = /'descr'\s*:\s*'([<>|=])?([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!header.trimStart().startsWith('{') || !descr || !fortran || !shapeText)
    throw argErrorText(what, 'header', "a dict with 'descr', 'fortran_order' and 'shape'", JSON.stringify(header.trim()));
  const dtype = DTYPES[descr[2]!];
  if (!dtype) throw argErrorText(what, 'descr', "'<f4', '<f8' or '<i4' (either byte order)", `'${descr[1] ?? ''}${descr[2]}'`);
  const parts = shapeText[1]!.split(',').map((s) => s.trim());
  if (parts.at(-1) === '') parts.pop();
  const shape = parts.map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw argErrorText(what, 'shape', 'a tuple of integers >= 0', `(${shapeText[1]})`);
  const size = shape.reduce((a, b) => a * b, 1);
  const item = dtype === 'float64' ? 8 : 4;
  if (bytes.length - start !== size * item) {
    const expected = `${size * item} bytes of data for shape (${shape.join(', ')}) of ${dtype}`;
    throw argErrorText(what, 'data', expected, `${bytes.length - start} bytes`, RangeError);
  }
  const le = descr[1] !== '>'; // '=' and '|' are native: numpy writes '<' on every little-endian host
  let data: NpyData = dtype === 'float32' ? new Float32Array(size) : dtype === 'float64' ? new Float64Array(size) : new Int32Array(size);
  for (let i = 0, p = start; i < size; i++, p += item)
    data[i] = dtype === 'float32' ? view.getFloat32(p, le) : dtype === 'float64' ? view.getFloat64(p, le) : view.getInt32(p, le);
  if (fortran[1] === 'True' && shape.length > 1) data = fromFortran(data, shape);
  return { data, shape, dtype };
}

/**
 * The .npy bytes of a C-order array: format 1.0 unless the header outgrows its 64 KiB length
 * field (then 2.0), little-endian '<f4', '<f8' or '<i4' by the array type. shape defaults to
 * [data.length]; [] writes a 0-d array of one value.
 */
export function writeNpy(data: NpyData, shape: readonly number[] = [data?.length]): Uint8Array {
  const what = 'writeNpy(data, shape)';
  const descr =
    data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : undefined;
  if (!descr) throw argError(what, 'data', 'a Float32Array, Float64Array or Int32Array', data);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw argError(what, 'shape', 'an array of integers >= 0', shape);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length)
    throw argErrorText(
      what,
      'shape',
      `a shape of ${data.length} elements (data.length)`,
      `[${shape.join(', ')}] (${size} elements)`,
      RangeError,
    );
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const padded = (pre: number) => Math.ceil((pre + dict.length + 1) / 64) * 64; // numpy aligns the data to 64 bytes
  const v1 = padded(10) - 10 <= 65535; // 1.0's header length is a uint16
  const pre = v1 ? 10 : 12;
  const total = padded(pre);
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const item = descr === '<f8' ? 8 : 4;
  const out = new Uint8Array(total + size * item);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  if (v1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  for (let i = 0, p = total; i < size; i++, p += item) {
    if (descr === '<f4') view.setFloat32(p, data[i]!, true);
    else if (descr === '<f8') view.setFloat64(p, data[i]!, true);
    else view.setInt32(p, data[i]!, true);
  }
  return out;
}
