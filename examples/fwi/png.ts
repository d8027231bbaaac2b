// A dependency-free PNG writer for the examples: 8-bit RGB, zlib "stored" blocks (no compression
// needed for a few small images), CRC-32 and Adler-32 by the PNG and zlib specifications.
const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + 5 * blocks + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const part = raw.subarray(b * 65535, Math.min(raw.length, (b + 1) * 65535));
    out[at++] = b === blocks - 1 ? 1 : 0;
    out[at++] = part.length & 0xff;
    out[at++] = part.length >>> 8;
    out[at++] = ~part.length & 0xff;
    out[at++] = (~part.length >>> 8) & 0xff;
    out.set(part, at);
    at += part.length;
  }
  let a = 1;
  let s = 0;
  for (const v of raw) {
    a = (a + v) % 65521;
    s = (s + a) % 65521;
  }
  new DataView(out.buffer).setUint32(at, ((s << 16) | a) >>> 0);
  return out;
}

/** Encodes an RGB image (row-major, 3 bytes per pixel) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(3 * y * width, 3 * (y + 1) * width), y * (1 + 3 * width) + 1);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', zlibStored(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// A perceptually ordered blue-white-red ramp, for velocity models.
const STOPS: [number, number, number][] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];

function ramp(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  return [0, 1, 2].map((k) => Math.round(a[k]! + f * (b[k]! - a[k]!))) as [number, number, number];
}

/** A [rows, cols] field as a colour image on a fixed [lo, hi] scale, each cell `scale` pixels wide. */
export function fieldPng(values: ArrayLike<number>, rows: number, cols: number, lo: number, hi: number, scale = 4): Uint8Array {
  const w = cols * scale;
  const h = rows * scale;
  const rgb = new Uint8Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[Math.floor(y / scale) * cols + Math.floor(x / scale)]!;
      rgb.set(ramp((v - lo) / (hi - lo)), 3 * (y * w + x));
    }
  }
  return encodePng(w, h, rgb);
}

/** A line plot of `ys` (log scale when all positive) on a white canvas with a frame. */
export function curvePng(ys: readonly number[], width = 480, height = 300): Uint8Array {
  const rgb = new Uint8Array(3 * width * height).fill(255);
  const put = (x: number, y: number, c: [number, number, number]) => {
    if (x >= 0 && x < width && y >= 0 && y < height) rgb.set(c, 3 * (y * width + x));
  };
  const m = 20;
  for (let x = m; x < width - m; x++) [m, height - m].forEach((y) => put(x, y, [120, 120, 120]));
  for (let y = m; y < height - m; y++) [m, width - m].forEach((x) => put(x, y, [120, 120, 120]));
  const log = ys.every((y) => y > 0);
  const f = ys.map((y) => (log ? Math.log10(y) : y));
  const [lo, hi] = [Math.min(...f), Math.max(...f)];
  const px = (i: number) => m + ((width - 2 * m) * i) / Math.max(1, f.length - 1);
  const py = (v: number) => height - m - ((height - 2 * m) * (v - lo)) / (hi - lo || 1);
  for (let i = 1; i < f.length; i++) {
    const steps = Math.ceil(Math.max(Math.abs(px(i) - px(i - 1)), Math.abs(py(f[i]!) - py(f[i - 1]!)))) + 1;
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const x = Math.round(px(i - 1) + t * (px(i) - px(i - 1)));
      const y = Math.round(py(f[i - 1]!) + t * (py(f[i]!) - py(f[i - 1]!)));
      put(x, y, [178, 24, 43]);
      put(x, y + 1, [178, 24, 43]);
    }
  }
  return encodePng(width, height, rgb);
}
