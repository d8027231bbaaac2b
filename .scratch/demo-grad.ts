import * as tl from '../src/index.js';
await tl.init();
const n = 64, shots = 20, nt = 240;
const v = tl.tensor(new Float32Array(n * n).map((_, i) => 3000 + 300 * Math.sin(i / 97)), { shape: [n, n] });
const rec: [number, number][] = [];
for (let z = 0; z < n; z++) for (let x = 0; x < n; x++) rec.push([z, x]);
const opts = {
  dx: 160, dt: 0.02, accuracy: 4 as const, pmlWidth: 8,
  sourceAmplitudes: tl.ones([shots, 1, nt]),
  sourceLocations: Array.from({ length: shots }, (_, k) => [[1, (k * 3) % n]]),
  receiverLocations: Array.from({ length: shots }, () => rec),
  maxVel: 4000,
};
const f = tl.grad((m: tl.Tensor) => tl.sum(tl.square(tl.acoustic2d(m, opts))));
const times: number[] = [];
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const g = f(v);
  await g.data();
  g.dispose();
  times.push(performance.now() - t0);
}
console.log(process.argv[2] ?? '', times.map((t) => t.toFixed(0)).join(' '), 'min', Math.min(...times.slice(1)).toFixed(0));
process.exit(0);
