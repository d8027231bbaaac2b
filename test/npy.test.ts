// .npy against bytes laid out here by hand as numpy.lib.format describes them: magic, version,
// little-endian header length, the dict literal padded with blanks and a newline to a multiple of
// 64 bytes, then the data. Reads of f4/f8/i4 (and big-endian f4), 0-d to 3-d, Fortran order
// transposed into C order; writes checked byte for byte against the same layout.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng } from './helpers.js';

function npyBytes(dict: string, data: Uint8Array, version: 1 | 2 = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let header = dict;
  while ((pre + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, ...'NUMPY'.split('').map((c) => c.charCodeAt(0)), version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  header.split('').forEach((c, i) => (out[pre + i] = c.charCodeAt(0)));
  out.set(data, pre + header.length);
  return out;
}

/** The bytes of values as one dtype, in either byte order. */
function raw(values: readonly number[], kind: 'f4' | 'f8' | 'i4', le = true): Uint8Array {
  const size = kind === 'f8' ? 8 : 4;
  const dv = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (kind === 'f4') dv.setFloat32(i * size, v, le);
    else if (kind === 'f8') dv.setFloat64(i * size, v, le);
    else dv.setInt32(i * size, v, le);
  });
  return new Uint8Array(dv.buffer);
}

describe('readNpy', () => {
  it('reads f4, f8 and i4 arrays of rank 0, 1 and 3 in versions 1.0 and 2.0', () => {
    const g = rng(3);
    const v3 = Array.from(randomFloats(g, 24), (x) => Math.fround(x));
    const cases = [
      {
        dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
        values: v3,
        kind: 'f4',
        shape: [2, 3, 4],
        dtype: 'float32',
      },
      {
        dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }",
        values: [Math.PI, -1e300, 0, 1e-310, 2],
        kind: 'f8',
        shape: [5],
        dtype: 'float64',
      },
      { dict: "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", values: [-2147483648], kind: 'i4', shape: [], dtype: 'int32' },
      {
        dict: "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
        values: [1.5, -2.5, 3],
        kind: 'f4',
        shape: [3],
        dtype: 'float32',
        be: true,
      },
      { dict: "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 2), }", values: [], kind: 'i4', shape: [0, 2], dtype: 'int32' },
    ] as const;
    for (const version of [1, 2] as const) {
      for (const c of cases) {
        const a = tl.readNpy(npyBytes(c.dict, raw(c.values, c.kind, !('be' in c)), version));
        expect(a.dtype).toBe(c.dtype);
        expect(a.shape).toEqual(c.shape);
        expect(Array.from(a.data)).toEqual(c.values);
      }
    }
  });

  it('transposes a Fortran-order array into C order', () => {
    // numpy.asfortranarray(np.arange(24).reshape(2, 3, 4)): the first index varies fastest in memory.
    const shape = [2, 3, 4];
    const fortran: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) fortran.push(i * 12 + j * 4 + k);
    const a = tl.readNpy(npyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 4), }", raw(fortran, 'i4')));
    expect(a.shape).toEqual(shape);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('names the function and the values for bad input', () => {
    const good = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", raw([1, 2, 3], 'f4'));
    const bad = good.slice();
    bad[1] = 0x4f; // 'O'
    expect(() => tl.readNpy(bad)).toThrow(
      /readNpy\(bytes\): bytes: expected a .npy file starting with the magic 93 4e 55 4d 50 59.*got 140 bytes starting 93 4f 55 4d 50 59/,
    );
    expect(() => tl.readNpy(good.subarray(0, good.length - 4))).toThrow(
      /readNpy\(bytes\): data: expected 12 bytes of data for shape \(3\) of float32, got 8 bytes/,
    );
    const u2 = npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4));
    expect(() => tl.readNpy(u2)).toThrow(/readNpy\(bytes\): descr: expected '<f4', '<f8' or '<i4' \(either byte order\), got '<u2'/);
  });
});

describe('writeNpy', () => {
  it('writes the layout numpy writes, and reads back', () => {
    const data = Float32Array.from([1, -2, 3.5, 4, 5, 6]);
    const bytes = tl.writeNpy(data, [2, 3]);
    expect(bytes).toEqual(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw(Array.from(data), 'f4')));
    expect(tl.writeNpy(Int32Array.from([7]), [])).toEqual(
      npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", raw([7], 'i4')),
    );
    const f8 = Float64Array.from([Math.E, -0.1]);
    expect(tl.writeNpy(f8)).toEqual(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", raw(Array.from(f8), 'f8')));
    const g = rng(11);
    const big = randomFloats(g, 2 * 3 * 5 * 7);
    const back = tl.readNpy(tl.writeNpy(big, [2, 3, 5, 7]));
    expect(back).toEqual({ data: big, shape: [2, 3, 5, 7], dtype: 'float32' });
    expect(tl.readNpy(tl.writeNpy(f8)).data).toEqual(f8);
  });

  it('switches to version 2.0 when the header outgrows 1.0, and refuses a wrong shape', () => {
    const shape = Array.from({ length: 22000 }, () => 1);
    const bytes = tl.writeNpy(Float32Array.from([42]), shape);
    expect([bytes[6], bytes[7]]).toEqual([2, 0]);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64).toBe(0);
    expect(tl.readNpy(bytes).shape).toEqual(shape);
    expect(() => tl.writeNpy(Float32Array.from([1, 2, 3]), [2, 2])).toThrow(
      /writeNpy\(data, shape\): shape: expected a shape of 3 elements \(data.length\), got \[2, 2\] \(4 elements\)/,
    );
    expect(() => tl.writeNpy([1, 2] as unknown as Float32Array)).toThrow(
      /writeNpy\(data, shape\): data: expected a Float32Array, Float64Array or Int32Array, got an array of length 2/,
    );
  });
});
