// Shared by scale.test.ts (in-process backend) and scale-redis.test.ts (BullMQ): a tiny survey, its
// observed data, and a tiny wave data set.
import * as tl from '../src/index.js';

// 20 x 20 cells of 10 m, a fast layer under a slow one; 6 surface shots over 140 steps of 2 ms
// (the reflection from the interface at 120 m arrives within the record; 12 Hz keeps >= 6 cells
// per shortest wavelength).
export const N = 20;
export const SURVEY: tl.ShotSurvey = {
  shape: [N, N],
  dx: 10,
  dt: 0.002,
  nt: 140,
  freq: 12,
  maxVel: 2600,
  pmlWidth: 6,
  sources: Array.from({ length: 6 }, (_, s) => [1, 2 + 3 * s] as [number, number]),
  receivers: Array.from({ length: 6 }, () => Array.from({ length: N }, (_, x) => [1, x] as [number, number])),
};
export const vTrue = Float32Array.from({ length: N * N }, (_, i) => (Math.floor(i / N) >= 12 ? 2400 : 2000));
export const v0 = new Float32Array(N * N).fill(2000);

export async function observedData(): Promise<Float32Array> {
  const d = tl.tidy(() => tl.acoustic2d(tl.tensor(vTrue, { shape: [N, N] }), tl.surveyOptions(SURVEY, 0, SURVEY.sources.length)));
  const out = (await d.data()) as Float32Array;
  d.dispose();
  return out;
}

export const WAVE = { samples: 5, samplesPerShard: 2, nz: 16, nx: 16, nt: 40, snapshotEvery: 10, pmlWidth: 4, freq: 2.5, seed: 3 };
