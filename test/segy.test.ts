// SEG-Y against files built here from the standard's byte layout (rev 1 2002, rev 2.0 2017) by a
// writer that shares no code with src/io: its own field tables, its own IBM encoder (exponent found
// by repeated division by 16) and its own EBCDIC letters. IEEE samples must come back exactly; IBM
// samples exactly as the bytes decode, and within 2^-21 relative of the float32 written (an IBM
// fraction keeps 21 to 24 significant bits; round to nearest halves the 2^-20 spacing).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng } from './helpers.js';

const IBM_REL_TOL = 2 ** -21;

/** IBM single from its definition: the exponent by dividing or multiplying by 16 until 1/16 <= m < 1. */
function ibmEncode(x: number): number {
  if (x === 0) return 0;
  let m = Math.abs(x);
  let e = 64;
  while (m >= 1) [m, e] = [m / 16, e + 1];
  while (m < 1 / 16) [m, e] = [m * 16, e - 1];
  const t = m * 16777216;
  let f = Math.floor(t);
  if (t - f > 0.5 || (t - f === 0.5 && f % 2 === 1)) f += 1;
  if (f === 16777216) [f, e] = [1048576, e + 1];
  return (x < 0 ? 0x80000000 : 0) + e * 16777216 + f;
}
const ibmDecode = (b: number): number =>
  Math.fround((b >= 0x80000000 ? -1 : 1) * (b % 16777216) * Math.pow(16, (Math.floor(b / 16777216) % 128) - 64 - 6));

// Positions (1-based, as printed in the standard), sizes in bytes.
type Field = [byte: number, size: 1 | 2 | 4 | 8, value: number];
const traceField: Record<string, [number, 2 | 4]> = {
  traceSequenceLine: [1, 4],
  traceSequenceFile: [5, 4],
  fieldRecord: [9, 4],
  traceNumber: [13, 4],
  energySourcePoint: [17, 4],
  cdp: [21, 4],
  cdpTrace: [25, 4],
  traceId: [29, 2],
  offset: [37, 4],
  receiverElevation: [41, 4],
  sourceSurfaceElevation: [45, 4],
  sourceDepth: [49, 4],
  receiverDatumElevation: [53, 4],
  sourceDatumElevation: [57, 4],
  sourceWaterDepth: [61, 4],
  groupWaterDepth: [65, 4],
  elevationScalar: [69, 2],
  coordinateScalar: [71, 2],
  sourceX: [73, 4],
  sourceY: [77, 4],
  groupX: [81, 4],
  groupY: [85, 4],
  coordinateUnits: [89, 2],
  delay: [109, 2],
  samples: [115, 2],
  sampleInterval: [117, 2],
  cdpX: [181, 4],
  cdpY: [185, 4],
};

// EBCDIC letters, digits and blank: enough for a header line.
const ebcdic = (c: string): number => {
  const k = c.charCodeAt(0);
  if (c === ' ') return 0x40;
  if (c >= '0' && c <= '9') return 0xf0 + k - 48;
  const i = k - 65;
  if (i >= 0 && i < 26) return i < 9 ? 0xc1 + i : i < 18 ? 0xd1 + i - 9 : 0xe2 + i - 18;
  throw new Error(`no EBCDIC letter for ${c}`);
};

interface TestTrace {
  header: Record<string, number>;
  samples: number[];
}
interface TestFile {
  text: string[]; // lines
  ascii?: boolean;
  binary: Field[];
  traces: TestTrace[];
  format: 1 | 2 | 3 | 5 | 8;
  littleEndian?: boolean;
}

function buildSegy(f: TestFile): Uint8Array {
  const size = { 1: 4, 2: 4, 3: 2, 5: 4, 8: 1 }[f.format];
  const total = 3600 + f.traces.reduce((a, t) => a + 240 + size * t.samples.length, 0);
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  const le = f.littleEndian === true;
  for (let i = 0; i < 3200; i++) {
    const c = f.text[Math.floor(i / 80)]?.[i % 80] ?? ' ';
    bytes[i] = f.ascii ? c.charCodeAt(0) : ebcdic(c);
  }
  const put = (at: number, size: number, v: number) => {
    if (size === 1) dv.setUint8(at, v);
    else if (size === 2) dv.setInt16(at, v, le);
    else if (size === 4) dv.setInt32(at, v | 0, le);
    else dv.setFloat64(at, v, le);
  };
  for (const [b, s, v] of f.binary) put(b - 1, s, v);
  let p = 3600;
  for (const t of f.traces) {
    for (const [name, v] of Object.entries(t.header)) put(p + traceField[name]![0] - 1, traceField[name]![1], v);
    p += 240;
    for (const v of t.samples) {
      if (f.format === 1) dv.setUint32(p, ibmEncode(v), le);
      else if (f.format === 5) dv.setFloat32(p, v, le);
      else if (f.format === 2) dv.setInt32(p, v, le);
      else if (f.format === 3) dv.setInt16(p, v, le);
      else dv.setInt8(p, v);
      p += size;
    }
  }
  return bytes;
}

const TEXT = ['C 1 CLIENT TELLUS TEST LINE 7', 'C 2 RECORDED 2026', 'C40 END EBCDIC'];

/** A header with every field set to a distinct value (signed values where the field is signed). */
function fullHeader(i: number, ns: number, dtUs: number): Record<string, number> {
  const h: Record<string, number> = {};
  Object.keys(traceField).forEach((k, j) => (h[k] = (j % 3 === 0 ? -1 : 1) * (100 * j + i + 1)));
  return { ...h, coordinateUnits: 1, samples: ns, sampleInterval: dtUs };
}

function sampleFile(format: 1 | 5, revision: 1 | 2, littleEndian = false) {
  const g = rng(1234 + format + 10 * revision + (littleEndian ? 100 : 0));
  const [ns, dtUs] = [13, 2000];
  const traces = Array.from({ length: 4 }, (_, i) => ({
    header: fullHeader(i, ns, dtUs),
    samples: Array.from(randomFloats(g, ns, -1000, 1000)),
  }));
  traces[0]!.samples.splice(0, 4, -118.625, 1, 0.15625, 0);
  const binary: Field[] = [
    [3201, 4, 77],
    [3205, 4, 7],
    [3213, 2, 4],
    [3217, 2, revision === 2 ? 0 : dtUs], // rev 2: the interval only in the extended double
    [3221, 2, ns],
    [3225, 2, format],
    [3229, 2, 1],
    [3255, 2, 1],
    [3501, 1, revision],
    [3502, 1, 0],
    [3503, 2, 1],
  ];
  if (revision === 2) binary.push([3273, 8, dtUs], [3297, 4, 0x01020304], [3513, 8, 0]);
  return { file: { text: TEXT, binary, traces, format, littleEndian }, ns, dtUs };
}

describe('IBM floats', () => {
  it('match the bit patterns from the literature, both ways', () => {
    for (const [x, bits] of [
      [-118.625, 0xc276a000],
      [1, 0x41100000],
      [0.15625, 0x40280000],
      [0, 0],
    ] as const) {
      expect(tl.toIbmFloat(x)).toBe(bits);
      expect(ibmEncode(x)).toBe(bits);
      expect(tl.fromIbmFloat(bits)).toBe(x);
    }
  });

  it('round to nearest, ties to even, carry into the exponent, and flush or refuse what does not fit', () => {
    expect(tl.toIbmFloat(1 + 2 ** -21)).toBe(0x41100000); // tie: fraction 0x100000 is even
    expect(tl.toIbmFloat(1 + 3 * 2 ** -21)).toBe(0x41100002); // tie: up to even
    expect(tl.toIbmFloat(16 - 2 ** -30)).toBe(0x42100000); // the fraction rounds up to 16^1
    expect(tl.toIbmFloat(2 ** -149)).toBe(ibmEncode(2 ** -149)); // float32's smallest denormal is exact in IBM
    expect(tl.fromIbmFloat(tl.toIbmFloat(2 ** -149))).toBe(2 ** -149);
    expect(tl.fromIbmFloat(tl.toIbmFloat(3.4028234663852886e38))).toBe(3.4028234663852886e38);
    expect(tl.toIbmFloat(1e-80)).toBe(0);
    expect(() => tl.toIbmFloat(1e76)).toThrow(/toIbmFloat\(x\): x: expected a finite number of magnitude <= 7\.237e\+75.*got 1e\+76/);
    expect(() => tl.toIbmFloat(NaN)).toThrow(/got NaN/);
  });

  it('agree with the independent encoder on random float32 and stay within 2^-21', () => {
    const g = rng(99);
    const disagree: number[] = [];
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround((g.next() - 0.5) * 2 ** (Math.floor(g.next() * 240) - 120));
      const bits = tl.toIbmFloat(x);
      if (bits !== ibmEncode(x)) disagree.push(x);
      worst = Math.max(worst, Math.abs(tl.fromIbmFloat(bits) - x) / Math.abs(x));
    }
    expect(disagree).toEqual([]);
    expect(worst).toBeLessThanOrEqual(IBM_REL_TOL);
    expect(worst).toBeGreaterThan(IBM_REL_TOL / 2); // the bound is reached, not loose
  });
});

describe('readSegy', () => {
  for (const [format, revision, le] of [
    [1, 1, false],
    [5, 2, false],
    [5, 2, true],
    [1, 2, true],
  ] as const) {
    it(`reads every header field and sample of a rev ${revision} format ${format} ${le ? 'little' : 'big'}-endian file`, () => {
      const { file, ns, dtUs } = sampleFile(format, revision, le);
      const seg = tl.readSegy(buildSegy(file));
      expect(seg.revision).toBe(revision);
      expect(seg.format).toBe(format);
      expect(seg.endianness).toBe(le ? 'little' : 'big');
      expect(seg.textEncoding).toBe('ebcdic');
      expect(seg.textHeader.split('\n')).toHaveLength(40);
      expect(seg.textHeader.split('\n').slice(0, 3)).toEqual(TEXT);
      expect(seg.sampleInterval).toBeCloseTo(dtUs * 1e-6, 15);
      expect(seg.samples).toBe(ns);
      expect(seg.binary).toMatchObject({ jobId: 77, lineNumber: 7, tracesPerEnsemble: 4, sortingCode: 1, measurementSystem: 1 });
      expect(seg.traces).toHaveLength(file.traces.length);
      seg.traces.forEach((t, i) => {
        expect(t.header).toEqual(file.traces[i]!.header);
        const want = file.traces[i]!.samples;
        if (format === 5) expect(Array.from(t.data)).toEqual(want.map(Math.fround));
        else {
          expect(Array.from(t.data)).toEqual(want.map((v) => ibmDecode(ibmEncode(v))));
          t.data.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(IBM_REL_TOL * Math.abs(want[k]!)));
        }
      });
      expect(Array.from(seg.traces[0]!.data.subarray(0, 4))).toEqual([-118.625, 1, 0.15625, 0]);
    });
  }

  it('detects an ASCII header, reads integer formats and variable-length rev 1 traces', () => {
    const traces = [
      { header: { fieldRecord: 1, samples: 3, sampleInterval: 4000 }, samples: [1, -2, 3] },
      { header: { fieldRecord: 1, samples: 5, sampleInterval: 4000 }, samples: [-4, 5, -6, 7, 127] },
    ];
    for (const format of [2, 3, 8] as const) {
      const binary: Field[] = [
        [3217, 2, 0], // zero: the first trace's interval stands in
        [3221, 2, 3],
        [3225, 2, format],
        [3501, 1, 1],
        [3503, 2, 0],
      ];
      const seg = tl.readSegy(buildSegy({ text: ['C 1 ASCII HEADER'], ascii: true, binary, traces, format }));
      expect(seg.textEncoding).toBe('ascii');
      expect(seg.textHeader.split('\n')[0]).toBe('C 1 ASCII HEADER');
      expect(seg.sampleInterval).toBeCloseTo(0.004, 15);
      expect(seg.traces.map((t) => Array.from(t.data))).toEqual(traces.map((t) => t.samples));
    }
  });

  it('names the function, the field and the values for bad files', () => {
    const { file } = sampleFile(5, 1);
    const good = buildSegy(file);
    expect(() => tl.readSegy(good.subarray(0, good.length - 10))).toThrow(
      /readSegy\(bytes, opts\): trace data: expected whole traces of 292 bytes \(240 \+ 13 samples of format 5\) after byte 3600, got 1158 bytes \(3\.97 traces\)/,
    );
    expect(() => tl.readSegy(good.subarray(0, 1000))).toThrow(
      /readSegy\(bytes, opts\): bytes: expected a SEG-Y file of at least 3600 bytes.*got 1000 bytes/,
    );
    const variable = buildSegy({ ...file, binary: [...file.binary, [3503, 2, 0]] });
    expect(() => tl.readSegy(variable.subarray(0, variable.length - 10))).toThrow(
      /readSegy\(bytes, opts\): trace 3 data: expected 13 samples of format 5 \(52 bytes\), got 42 bytes left at byte 4716/,
    );
    const format4 = buildSegy({ ...file, binary: [...file.binary, [3225, 2, 4]] });
    expect(() => tl.readSegy(format4)).toThrow(
      /readSegy\(bytes, opts\): binary header format code \(bytes 3225-3226\): expected 1 \(IBM float\).*got 4$/,
    );
    const swapped = buildSegy({ ...file, binary: [...file.binary, [3225, 2, 5 * 256]] });
    expect(() => tl.readSegy(swapped)).toThrow(/got 1280 \(5 byte-swapped: pass \{ endianness: 'little' \}/);
    const noDt = buildSegy({
      ...file,
      binary: [...file.binary, [3217, 2, 0]],
      traces: file.traces.map((t) => ({ ...t, header: { ...t.header, sampleInterval: 0 } })),
    });
    expect(() => tl.readSegy(noDt)).toThrow(/readSegy\(bytes, opts\): sample interval: expected a value > 0, got 0 in the binary header/);
    expect(() => tl.readSegy(good, { endianess: 'big' } as tl.ReadSegyOptions)).toThrow(
      /unknown option 'endianess' \(did you mean 'endianness'\?\)/,
    );
  });
});

describe('writeSegy', () => {
  for (const revision of [1, 2] as const) {
    for (const format of [1, 5] as const) {
      it(`round-trips revision ${revision}, format ${format} through readSegy`, () => {
        const g = rng(7 * revision + format);
        const traces = Array.from({ length: 3 }, (_, i) => ({
          header: { fieldRecord: 5, traceNumber: i + 1, sourceX: -1234567, groupY: 42, coordinateScalar: -100, elevationScalar: 10 },
          data: randomFloats(g, 17, -5, 5),
        }));
        const bytes = tl.writeSegy({ sampleInterval: 0.0025, traces, binary: { jobId: 9 } }, { revision, format });
        const dv = new DataView(bytes.buffer);
        // The layout, read here by position: format code, revision, interval, samples, first trace's fields.
        expect([
          dv.getInt16(3224),
          dv.getUint8(3500),
          dv.getUint8(3501),
          dv.getInt16(3502),
          dv.getUint16(3216),
          dv.getUint16(3220),
        ]).toEqual([format, revision, 0, 1, 2500, 17]);
        expect([dv.getInt32(3600 + 8), dv.getInt32(3600 + 72), dv.getInt16(3600 + 70), dv.getUint16(3600 + 114)]).toEqual([
          5, -1234567, -100, 17,
        ]);
        expect(bytes[0]).toBe(0xc3); // 'C' in EBCDIC
        if (format === 1) expect(dv.getUint32(3840)).toBe(ibmEncode(traces[0]!.data[0]!));
        const seg = tl.readSegy(bytes);
        expect([seg.revision, seg.format, seg.samples, seg.binary.jobId]).toEqual([revision, format, 17, 9]);
        expect(seg.sampleInterval).toBeCloseTo(0.0025, 15);
        seg.traces.forEach((t, i) => {
          expect(t.header).toMatchObject(traces[i]!.header);
          const want = traces[i]!.data;
          if (format === 5) expect(t.data).toEqual(want);
          else t.data.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(IBM_REL_TOL * Math.abs(want[k]!)));
        });
      });
    }
  }

  it('writes ASCII text, little-endian rev 2, extended text headers and a non-integer interval', () => {
    const data = Float32Array.from([1.5, -2.25, 3]);
    const file = {
      textHeader: 'C 1 HELLO\nC 2 WORLD',
      extendedTextHeaders: ['((SEG: EndText))'],
      sampleInterval: 1 / 3000,
      traces: [{ data }],
    };
    const bytes = tl.writeSegy(file, { revision: 2, text: 'ascii', endianness: 'little' });
    expect(String.fromCharCode(...bytes.subarray(0, 9))).toBe('C 1 HELLO');
    expect(new DataView(bytes.buffer).getUint32(3296, true)).toBe(16909060);
    const seg = tl.readSegy(bytes);
    expect(seg.endianness).toBe('little');
    expect(seg.textHeader.split('\n').slice(0, 2)).toEqual(['C 1 HELLO', 'C 2 WORLD']);
    expect(seg.extendedTextHeaders[0]!.startsWith('((SEG: EndText))')).toBe(true);
    expect(seg.sampleInterval).toBeCloseTo(1 / 3000, 15);
    expect(seg.traces[0]!.data).toEqual(data);
    const again = tl.writeSegy(seg, { revision: 2, text: 'ascii', endianness: 'little' });
    expect(again).toEqual(bytes);
  });

  it('reads a variable count of extended textual headers and skips rev 2 trailer stanzas', () => {
    const traces = [{ data: [1, 2] }, { data: [3, 4] }];
    const written = tl.writeSegy({ extendedTextHeaders: ['C 1 MORE', '((SEG: EndText))'], sampleInterval: 0.001, traces }, { revision: 2 });
    const bytes = new Uint8Array(written.length + 3200).fill(0x40, written.length); // one trailer stanza of blanks
    bytes.set(written);
    const dv = new DataView(bytes.buffer);
    dv.setInt16(3504, -1); // bytes 3505-3506: as many as end with ((SEG: EndText))
    dv.setUint32(3528, 1); // bytes 3529-3532: one trailer stanza
    for (const count of [2, 0]) {
      dv.setBigUint64(3512, BigInt(count)); // bytes 3513-3520: traces in the file (0: unknown)
      const seg = tl.readSegy(bytes);
      expect(seg.extendedTextHeaders.map((t) => t.split('\n')[0])).toEqual(['C 1 MORE', '((SEG: EndText))']);
      expect(seg.traces.map((t) => Array.from(t.data))).toEqual([
        [1, 2],
        [3, 4],
      ]);
    }
  });

  it('refuses what the format cannot hold, naming writeSegy and the value', () => {
    const misspelt = { header: { sourceXX: 1 } as Partial<tl.SegyTraceHeader>, data: [1] };
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [misspelt] })).toThrow(
      /writeSegy\(file, opts\) file.traces\[0\].header: unknown option 'sourceXX' \(did you mean 'sourceX'\?\)/,
    );
    const trace = { data: Float32Array.from([1, NaN]) };
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [trace] }, { format: 1 })).toThrow(
      /writeSegy\(file, opts\): file.traces\[0\].data\[1\]: expected finite numbers within float32 range, got NaN/,
    );
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [{ data: [1.5] }] }, { format: 3 })).toThrow(
      /expected integers in \[-32768, 32767\] for format 3, got 1\.5/,
    );
    expect(() => tl.writeSegy({ sampleInterval: 1 / 3000, traces: [{ data: [1] }] })).toThrow(
      /file.sampleInterval: expected whole microseconds.*got 0\.000333/,
    );
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [{ data: [1] }] }, { endianness: 'little' })).toThrow(
      /opts.endianness: expected 'big', or 'little' with revision 2/,
    );
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [{ data: [1] }, { data: [1, 2] }] })).toThrow(
      /file.traces\[1\].data: expected 1 samples like traces\[0\].*got 2/,
    );
    expect(() => tl.writeSegy({ sampleInterval: 0.001, traces: [{ header: { coordinateScalar: 40000 }, data: [1] }] })).toThrow(
      /file.traces\[0\].header.coordinateScalar: expected an integer in \[-32768, 32767\] \(i16\), got 40000/,
    );
  });
});

describe('segyToShots', () => {
  // Two shots along x, 6 receivers each at depths 0..2 cells; coordinates in cm (scalar -100),
  // elevations in dm (scalar -10); grid spacing 12.5 m, node [0, 0] at x = 1000 m, elevation 100 m.
  const [dx, x0, e0, y, ns, dtUs] = [12.5, 1000, 100, 5000.25, 8, 1000];
  const shotCells: [number, number][] = [
    [2, 4],
    [1, 10],
  ];
  const recCells = (s: number): [number, number][] => Array.from({ length: 6 }, (_, r) => [r % 3, 2 * r + s]);
  function fieldFile(edit: (h: Record<string, number>, s: number, r: number) => void = () => {}, nsOf = (_s: number) => ns): TestFile {
    const g = rng(5);
    const traces: TestTrace[] = [];
    shotCells.forEach(([sz, sx], s) =>
      recCells(s).forEach(([rz, rx], r) => {
        const header: Record<string, number> = {
          fieldRecord: 101 + s,
          traceNumber: r + 1,
          coordinateScalar: -100,
          elevationScalar: -10,
          sourceX: Math.round((x0 + sx * dx) * 100),
          sourceY: Math.round(y * 100),
          groupX: Math.round((x0 + rx * dx) * 100),
          groupY: Math.round(y * 100),
          sourceSurfaceElevation: e0 * 10,
          sourceDepth: sz * dx * 10,
          receiverElevation: (e0 - rz * dx) * 10,
          coordinateUnits: 1,
          samples: nsOf(s),
          sampleInterval: dtUs,
        };
        edit(header, s, r);
        traces.push({ header, samples: Array.from(randomFloats(g, nsOf(s))) });
      }),
    );
    const binary: Field[] = [
      [3217, 2, dtUs],
      [3221, 2, ns],
      [3225, 2, 5],
      [3501, 1, 1],
    ];
    return { text: TEXT, binary, traces, format: 5 };
  }

  it('turns a two-shot file into grid cells and [shots, receivers, nt] traces', () => {
    const file = fieldFile();
    const shots = tl.segyToShots(tl.readSegy(buildSegy(file)), { dx, origin: { x: x0, elevation: e0 }, shape: [4, 24] });
    expect(shots.sources).toEqual(shotCells);
    expect(shots.receivers).toEqual([recCells(0), recCells(1)]);
    expect(shots.records).toEqual([101, 102]);
    expect([shots.nt, shots.dt]).toEqual([ns, 0.001]);
    expect(shots.traces).toEqual(Float32Array.from(file.traces.flatMap((t) => t.samples)));
    // And back: shotsToSegy writes headers that segyToShots maps to the same cells and traces.
    const back = tl.segyToShots(tl.shotsToSegy(shots, { dx, origin: { x: x0, y, elevation: e0 }, revision: 2 }), {
      dx,
      origin: { x: x0, elevation: e0 },
    });
    expect(back.sources).toEqual(shots.sources);
    expect(back.receivers).toEqual(shots.receivers);
    expect(back.traces).toEqual(shots.traces);
    expect(back.dt).toBeCloseTo(0.001, 15);
  });

  it('groups by source position when the field record numbers do not tell shots apart', () => {
    const bytes = buildSegy(fieldFile((h) => (h.fieldRecord = 0)));
    const opts = { dx, origin: { x: x0, elevation: e0 } };
    expect(tl.segyToShots(bytes, { ...opts, groupBy: 'source' }).sources).toEqual(shotCells);
    expect(() => tl.segyToShots(bytes, opts)).toThrow(/trace 6 \(field record 0\) source cell \[z, x\]: expected \[2, 4\]/);
  });

  it('names the trace, the field and the values for inconsistent headers', () => {
    const opts = { dx, origin: { x: x0, elevation: e0 } };
    const nt = tl.readSegy(buildSegy(fieldFile(undefined, (s) => (s === 0 ? 8 : 7))));
    expect(() => tl.segyToShots(nt, opts)).toThrow(
      /segyToShots\(file, opts\): trace 6 \(field record 102\) samples: expected 8 like trace 0, got 7/,
    );
    const offGrid = buildSegy(fieldFile((h, s, r) => s === 1 && r === 2 && (h.groupX! += 300)));
    expect(() => tl.segyToShots(offGrid, opts)).toThrow(
      /segyToShots\(file, opts\): trace 8 \(field record 102\) group x: expected a grid node \(1000 \+ k \* 12\.5 within 0\.01 cells\), got 1065\.5 \(5\.2400 cells\)/,
    );
    expect(() => tl.segyToShots(buildSegy(fieldFile()), { ...opts, shape: [2, 24] })).toThrow(
      /trace 0 \(field record 101\) source elevation: expected a node inside the model \(k in \[0, 2\) for 100 - k \* 12\.5\), got 75 \(k = 2\)/,
    );
    const short = fieldFile();
    short.traces.pop();
    expect(() => tl.segyToShots(buildSegy(short), opts)).toThrow(
      /segyToShots\(file, opts\): shot 1 \(record 102\) receivers: expected 6 like shot 0 \(record 101\), got 5/,
    );
    const moved = buildSegy(fieldFile((h, s, r) => s === 1 && r === 3 && (h.sourceX! += 1250)));
    expect(() => tl.segyToShots(moved, opts)).toThrow(
      /trace 9 \(field record 102\) source cell \[z, x\]: expected \[1, 10\] like the record's first trace 6.*got \[1, 11\]/,
    );
    // By source position the moved trace is a shot of its own, and the receiver counts differ.
    expect(() => tl.segyToShots(moved, { ...opts, groupBy: 'source' })).toThrow(
      /shot 1 \(source \[1, 10\]\) receivers: expected 6 like shot 0 \(source \[2, 4\]\), got 5/,
    );
    const dt = buildSegy(fieldFile((h, s, r) => s === 1 && r === 0 && (h.sampleInterval = 2000)));
    expect(() => tl.segyToShots(dt, opts)).toThrow(
      /trace 6 \(field record 102\) sample interval \(bytes 117-118\): expected 1000 us like the file, got 2000 us/,
    );
    const bent = buildSegy(fieldFile((h, s, r) => s === 0 && r === 1 && (h.groupY! += 500)));
    expect(() => tl.segyToShots(bent, opts)).toThrow(/trace 1 \(field record 101\) group y: expected 5000\.25 \(a straight line along x/);
  });
});
