// Profiles a small training step and prints the per-kernel report; writes a Chrome trace.
//   node scripts/run.mjs examples/profile.ts   (open profile-trace.json in Perfetto or chrome://tracing)
import { writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';

await tl.init();
const x = tl.rand([256, 64], { seed: 1 });
const y = tl.rand([256, 1], { seed: 2 });
const params = [
  { W: tl.randn([64, 128], { seed: 3, std: 0.1 }), b: tl.zeros([128]) },
  { W: tl.randn([128, 1], { seed: 4, std: 0.1 }), b: tl.zeros([1]) },
];
const net = (p: typeof params) => tl.add(tl.matmul(tl.tanh(tl.add(tl.matmul(x, p[0]!.W), p[0]!.b)), p[1]!.W), p[1]!.b);
const opt = new tl.Adam({ lr: 1e-3 });
const step = tl.valueAndGrad((p: typeof params) => tl.mse(net(p), y));
const run = () => {
  for (let i = 0; i < 10; i++) {
    const [loss, grads] = step(params) as [tl.Tensor, typeof params];
    opt.step(params, grads);
    loss.dispose();
    for (const g of tl.leaves(grads)) g.dispose();
  }
};
run(); // warm-up: compile pipelines outside the profile
await tl.sync();
console.log(tl.roofline() ?? await tl.calibrate());
const report = await tl.profile(run);
console.log(tl.formatProfile(report));
writeFileSync('profile-trace.json', JSON.stringify(tl.chromeTrace(report)));
console.log('\nwrote profile-trace.json');
tl.destroy();
