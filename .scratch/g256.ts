import * as tl from '../src/index.js';
const n = 256, steps = 20;
const v = tl.tensor(new Float32Array(n * n).map((_, i) => 2000 + 500 * Math.sin(i / 977)), { shape: [n, n] });
const opts = { dx: 10, dt: 0.001, accuracy: 4 as const, pmlWidth: 20, sourceAmplitudes: tl.ones([1, 1, steps]),
  sourceLocations: [[[n >> 1, 0]]], receiverLocations: [[[2, n >> 2]]] };
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const f = tl.acoustic2d(v, opts); await f.data(); f.dispose();
  const t1 = performance.now();
  const g = tl.grad((m: tl.Tensor) => tl.sum(tl.square(tl.acoustic2d(m, opts))))(v); await g.data(); g.dispose();
  const t2 = performance.now();
  console.log(`forward ${(t1 - t0).toFixed(0)} ms, gradient ${(t2 - t1).toFixed(0)} ms, ratio ${((t2 - t1) / (t1 - t0)).toFixed(2)}`);
}
