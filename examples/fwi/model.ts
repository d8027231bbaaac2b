// The FWI demo's true model (shared with examples/fno-wave): a smooth random background around V0
// (Gaussian-filtered noise, ~1.6 km correlation at 0.16 km cells, std 150 m/s) with a fast block, a
// slow disc and a thin fast layer, in m/s on an N x N grid (the anomalies' cells are for N = 64).
import { mulberry32 } from '../common/random.js';

/** Smooth random background (Gaussian-filtered noise, ~1.6 km correlation, std 150 m/s) plus anomalies. */
export function fwiTrueModel(N = 64, V0 = 3000): Float32Array {
  const rand = mulberry32(2021);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  let f = Float64Array.from({ length: N * N }, gauss);
  const sigma = 5;
  const kernel = Array.from({ length: 4 * sigma + 1 }, (_, i) => Math.exp(-0.5 * ((i - 2 * sigma) / sigma) ** 2));
  for (const axis of [0, 1]) {
    const g = new Float64Array(N * N);
    for (let z = 0; z < N; z++) {
      for (let x = 0; x < N; x++) {
        let s = 0;
        kernel.forEach((k, j) => {
          const o = j - 2 * sigma;
          const zz = axis === 0 ? (z + o + N) % N : z;
          const xx = axis === 1 ? (x + o + N) % N : x;
          s += k * f[zz * N + xx]!;
        });
        g[z * N + x] = s;
      }
    }
    f = g;
  }
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  const std = Math.sqrt(f.reduce((a, b) => a + (b - mean) ** 2, 0) / f.length);
  const v = Float32Array.from(f, (x) => V0 + (150 * (x - mean)) / std);
  for (let z = 0; z < N; z++) {
    for (let x = 0; x < N; x++) {
      if (z >= 18 && z < 28 && x >= 36 && x < 46) v[z * N + x] = 3300; // fast block
      if ((z - 42) ** 2 + (x - 20) ** 2 < 36) v[z * N + x] = 2700; // slow disc
      if (z >= 48 && z < 51 && x >= 34 && x < 56) v[z * N + x] = 3400; // thin fast layer
    }
  }
  return v;
}
