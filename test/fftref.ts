// Float64 references for the FFT tests: the DFT by its definition, O(n^2) per line with exact
// reduction of jk mod n, written independently of src/ops/fft-plan.ts (no factoring, no Stockham).
// Complex host arrays are HostArrays with a trailing axis of 2, as on the device.
import { HostArray, size } from './helpers.js';

/** cos and sin of -2 pi m / n for m < n. */
function table(n: number): [Float64Array, Float64Array] {
  const c = new Float64Array(n);
  const s = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    c[m] = Math.cos((2 * Math.PI * m) / n);
    s[m] = -Math.sin((2 * Math.PI * m) / n);
  }
  return [c, s];
}

/**
 * Applies `line` to every line of a [outer, len, inner] layout of logical `shape` along `axis`.
 * `line(get, put)` reads input element j (0 beyond the input length) and writes output k.
 */
function perLine(
  shape: readonly number[],
  axis: number,
  outLen: number,
  width: number,
  widthOut: number,
  src: Float64Array,
  line: (get: (j: number) => [number, number], put: (k: number, re: number, im: number) => void) => void,
): { shape: number[]; data: Float64Array } {
  const len = shape[axis]!;
  const outer = size(shape.slice(0, axis));
  const inner = size(shape.slice(axis + 1));
  const outShape = shape.map((d, i) => (i === axis ? outLen : d));
  const data = new Float64Array(size(outShape) * widthOut);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const get = (j: number): [number, number] => {
        if (j >= len) return [0, 0];
        const at = ((o * len + j) * inner + i) * width;
        return [src[at]!, width === 2 ? src[at + 1]! : 0];
      };
      const put = (k: number, re: number, im: number): void => {
        const at = ((o * outLen + k) * inner + i) * widthOut;
        data[at] = re;
        if (widthOut === 2) data[at + 1] = im;
      };
      line(get, put);
    }
  }
  return { shape: outShape, data };
}

/** The DFT of complex `z` along logical `axis`, cropped/zero-padded to n, exp(+-2 pi i jk / n), times scale. */
export function dft64(z: HostArray, axis: number, n: number, inverse: boolean, scale = 1): HostArray {
  const logical = z.shape.slice(0, -1);
  const [c, s] = table(n);
  const sign = inverse ? -1 : 1;
  const xr = new Float64Array(n);
  const xi = new Float64Array(n);
  const r = perLine(logical, axis, n, 2, 2, z.data, (get, put) => {
    for (let j = 0; j < n; j++) [xr[j], xi[j]] = get(j);
    for (let k = 0; k < n; k++) {
      let re = 0;
      let im = 0;
      // m = jk mod n, stepped without multiplying.
      for (let j = 0, m = 0; j < n; j++, m = m + k >= n ? m + k - n : m + k) {
        const ws = sign * s[m]!;
        re += xr[j]! * c[m]! - xi[j]! * ws;
        im += xr[j]! * ws + xi[j]! * c[m]!;
      }
      put(k, scale * re, scale * im);
    }
  });
  return new HostArray([...r.shape, 2], r.data);
}

/** rfft in float64: the first n/2 + 1 DFT coefficients of real x along `axis`. */
export function rdft64(x: HostArray, axis: number, n: number, scale = 1): HostArray {
  const [c, s] = table(n);
  const h = Math.floor(n / 2) + 1;
  const r = perLine(x.shape, axis, h, 1, 2, x.data, (get, put) => {
    const xs = Array.from({ length: n }, (_, j) => get(j)[0]);
    for (let k = 0; k < h; k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < n; j++) {
        const m = (j * k) % n;
        re += xs[j]! * c[m]!;
        im += xs[j]! * s[m]!;
      }
      put(k, scale * re, scale * im);
    }
  });
  return new HostArray([...r.shape, 2], r.data);
}

/**
 * irfft in float64: x_j = scale sum_k X_k exp(2 pi i jk / n) over the Hermitian extension of the
 * half spectrum (X_(n-k) = conj X_k), i.e. the real part; the input is cropped/padded to n/2 + 1.
 */
export function irdft64(z: HostArray, axis: number, n: number, scale = 1): HostArray {
  const logical = z.shape.slice(0, -1);
  const [c, s] = table(n);
  const h = Math.floor(n / 2) + 1;
  const r = perLine(logical, axis, n, 2, 1, z.data, (get, put) => {
    const half = Array.from({ length: h }, (_, k) => get(k));
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const m = (j * k) % n;
        // e^{+i theta} = c - i s (s holds -sin).
        const [a, b] = k < h ? half[k]! : [half[n - k]![0], -half[n - k]![1]];
        acc += a * c[m]! + b * s[m]!;
      }
      put(j, scale * acc, 0);
    }
  });
  return new HostArray(r.shape, r.data);
}
