// A tiny JI-FNO data set and unit-norm random directions for it, shared by ji-dataset.test.ts and
// scale.test.ts (shards made as tasks).
import * as tl from '../src/index.js';
import { randomFloats, rng } from './helpers.js';

export const JI_OPTS: tl.JiDataOptions = {
  samples: 3,
  nz: 12,
  nx: 12,
  shots: 2,
  nt: 40,
  pmlWidth: 4,
  samplesPerShard: 2,
  seed: 5,
  model: { layers: [3, 4], vmin: 2 },
};

/** r unit-norm random rows [r, nz, nx] from `seed`, as a tensor. */
export function jiDirections(seed: number, r: number): tl.Tensor {
  const g = rng(seed);
  const n = JI_OPTS.nz! * JI_OPTS.nx!;
  const d = randomFloats(g, r * n);
  for (let j = 0; j < r; j++) {
    const row = d.subarray(j * n, (j + 1) * n);
    const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0));
    row.forEach((v, k) => (row[k] = v / norm));
  }
  return tl.tensor(d, { shape: [r, JI_OPTS.nz!, JI_OPTS.nx!] });
}
