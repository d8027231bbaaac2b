// A few Adam steps on a small MLP: a script to run under `npx tellus profile examples/train-mlp.ts`.
import * as tl from '../src/index.js';

await tl.init();
const x = tl.rand([256, 64], { seed: 1 });
const y = tl.rand([256, 1], { seed: 2 });
const params = [
  { W: tl.randn([64, 128], { seed: 3, std: 0.1 }), b: tl.zeros([128]) },
  { W: tl.randn([128, 1], { seed: 4, std: 0.1 }), b: tl.zeros([1]) },
];
const net = (p: typeof params): tl.Tensor => tl.add(tl.matmul(tl.tanh(tl.add(tl.matmul(x, p[0]!.W), p[0]!.b)), p[1]!.W), p[1]!.b);
const opt = new tl.Adam({ lr: 1e-3 });
const step = tl.valueAndGrad((p: typeof params) => tl.mse(net(p), y));
for (let i = 0; i < 10; i++) {
  const [loss, grads] = step(params) as [tl.Tensor, typeof params];
  opt.step(params, grads);
  if (i === 9) console.log('loss after 10 steps', (await loss.item()).toFixed(5));
  loss.dispose();
  for (const g of tl.tree.leaves(grads)) g.dispose();
}
tl.destroy();
