import * as tl from '../src/index.js';
await tl.init();
const a = tl.rand([4 * 2 ** 20], { seed: 10 });
const b = tl.rand([4 * 2 ** 20], { seed: 11 });
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const y = tl.tidy(() => tl.mul(tl.square(tl.sub(a, b)), 0.5));
  await y.data();
  y.dispose();
  console.log('fused', (performance.now() - t0).toFixed(1));
}
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const y = tl.clone(a);
  await y.data();
  y.dispose();
  console.log('clone', (performance.now() - t0).toFixed(1));
}
