// U-Net pieces (src/nn/norm.ts, src/nn/unet.ts) against float64 references written here, their
// gradients by Taylor tests, and the assembled UNet: shapes for every option and a short training
// run whose loss must fall. Tolerances: 1e-5 of the largest value for the normalizations (a mean
// and a variance over up to 60 float32 values, then rsqrt), 1e-6 for the transposed conv (sums of
// 3 products).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';
import { expectScaled } from './numerics.js';

type Shape = [number, number, number, number];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const at = (s: Shape, n: number, c: number, y: number, x: number) => ((n * s[1] + c) * s[2] + y) * s[3] + x;

/** Normalizes v over the index sets `groups` (lists of flat indices), biased variance. */
function normalize(v: Float32Array, groups: number[][], eps: number): Float64Array {
  const out = new Float64Array(v.length);
  for (const idx of groups) {
    const mu = idx.reduce((a, i) => a + v[i]!, 0) / idx.length;
    const vr = idx.reduce((a, i) => a + (v[i]! - mu) ** 2, 0) / idx.length;
    for (const i of idx) out[i] = (v[i]! - mu) / Math.sqrt(vr + eps);
  }
  return out;
}

describe('U-Net layers', () => {
  useDevice();
  const s: Shape = [2, 8, 5, 6];

  it('GroupNorm(4, 8) matches float64, with a per-channel affine', async () => {
    const g = rng();
    const v = randomFloats(g, size(s), -3, 3);
    const [wv, bv] = [randomFloats(g, 8, 0.5, 2), randomFloats(g, 8, -1, 1)];
    const gn = new tl.GroupNorm(4, 8);
    gn.weight.dispose();
    gn.bias.dispose();
    [gn.weight, gn.bias] = [tl.tensor(wv), tl.tensor(bv)];
    const groups: number[][] = [];
    for (let n = 0; n < 2; n++)
      for (let q = 0; q < 4; q++) {
        const idx: number[] = [];
        for (let c = 2 * q; c < 2 * q + 2; c++) for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) idx.push(at(s, n, c, y, x));
        groups.push(idx);
      }
    const z = normalize(v, groups, 1e-5);
    const want = z.map((u, i) => u * wv[Math.floor(i / 30) % 8]! + bv[Math.floor(i / 30) % 8]!);
    const y = gn.forward(tl.tensor(v, { shape: s }));
    expectScaled(await y.data(), want, 1e-5, `seed ${g.seed}: GroupNorm`);
  });

  it('BatchNorm2d: batch statistics in training, running statistics (momentum 0.1, unbiased variance) in eval', async () => {
    const g = rng();
    const v = randomFloats(g, size(s), -3, 3);
    const bn = new tl.BatchNorm2d(8);
    const groups = Array.from({ length: 8 }, (_, c) => {
      const idx: number[] = [];
      for (let n = 0; n < 2; n++) for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) idx.push(at(s, n, c, y, x));
      return idx;
    });
    const x = tl.tensor(v, { shape: s });
    expectScaled(await bn.forward(x).data(), normalize(v, groups, 1e-5), 1e-5, `seed ${g.seed}: BatchNorm2d train`);
    // Running statistics after one batch: 0.9 * (0, 1) + 0.1 * (mean, unbiased variance).
    const mu = groups.map((idx) => idx.reduce((a, i) => a + v[i]!, 0) / idx.length);
    const vu = groups.map((idx, c) => idx.reduce((a, i) => a + (v[i]! - mu[c]!) ** 2, 0) / (idx.length - 1));
    expectScaled(
      await bn.stats.mean.data(),
      mu.map((m) => 0.1 * m),
      1e-5,
      'running mean',
    );
    expectScaled(
      await bn.stats.var.data(),
      vu.map((u) => 0.9 + 0.1 * u),
      1e-5,
      'running variance',
    );
    bn.eval();
    const want = Float64Array.from(v, (u, i) => {
      const c = Math.floor(i / 30) % 8;
      return (u - 0.1 * mu[c]!) / Math.sqrt(0.9 + 0.1 * vu[c]! + 1e-5);
    });
    expectScaled(await bn.forward(x).data(), want, 1e-5, `seed ${g.seed}: BatchNorm2d eval`);
    expect(Object.keys(bn.parameters())).toEqual(['weight', 'bias']);
  });

  it('convTranspose2d (kernel = stride = 2) matches float64', async () => {
    const g = rng();
    const xs: Shape = [2, 3, 4, 5];
    const [v, wv, bv] = [randomFloats(g, size(xs)), randomFloats(g, 3 * 4 * 2 * 2), randomFloats(g, 4)];
    const y = tl.convTranspose2d(tl.tensor(v, { shape: xs }), tl.tensor(wv, { shape: [3, 4, 2, 2] }), tl.tensor(bv));
    expect(y.shape).toEqual([2, 4, 8, 10]);
    const ys: Shape = [2, 4, 8, 10];
    const want = new Float64Array(size(ys));
    for (let n = 0; n < 2; n++)
      for (let o = 0; o < 4; o++)
        for (let yy = 0; yy < 8; yy++)
          for (let xx = 0; xx < 10; xx++) {
            let acc = bv[o]!;
            for (let c = 0; c < 3; c++) acc += v[at(xs, n, c, yy >> 1, xx >> 1)]! * wv[((c * 4 + o) * 2 + (yy & 1)) * 2 + (xx & 1)]!;
            want[at(ys, n, o, yy, xx)] = acc;
          }
    expectScaled(await y.data(), want, 1e-6, `seed ${g.seed}: convTranspose2d`);
  });

  const layers: [string, () => (x: tl.Tensor) => tl.Tensor, Shape][] = [
    [
      'GroupNorm',
      () =>
        (
          (m) => (x) =>
            m.forward(x)
        )(new tl.GroupNorm(2, 8)),
      s,
    ],
    [
      'BatchNorm2d (training)',
      () =>
        (
          (m) => (x) =>
            m.forward(x)
        )(new tl.BatchNorm2d(8)),
      s,
    ],
    [
      'ConvTranspose2d',
      () =>
        (
          (m) => (x) =>
            m.forward(x)
        )(new tl.ConvTranspose2d(8, 3, 2, { seed: 4 })),
      s,
    ],
    [
      'UNet (depth 1, width 4, bilinear)',
      () =>
        (
          (m) => (x) =>
            m.forward(x)
        )(new tl.UNet(2, 1, { depth: 1, width: 4, seed: 3 })),
      [1, 2, 4, 6],
    ],
  ];
  for (const [name, make, shape] of layers) {
    it(`${name}: Taylor test in the input (slope 2)`, async () => {
      const g = rng();
      const op = make();
      const x = tl.tensor(randomFloats(g, size(shape), -1, 1), { shape });
      const outShape = op(x).shape;
      const c = tl.tensor(randomFloats(g, size(outShape), -1, 1), { shape: outShape });
      const f = (m: tl.Tensor): tl.Tensor => tl.sum(tl.mul(tl.sin(op(m)), c));
      const gradient = tl.grad(f)(x) as tl.Tensor;
      const res = await tl.taylorTest(f, x, { gradient, seed: g.seed });
      expect(res.passed, `seed ${g.seed}: ${name}: ${res.message}`).toBe(true);
    });
  }

  it('UNet: output shapes for every option, and bad input rejected', () => {
    const x = tl.ones([2, 1, 16, 16]);
    for (const opts of [
      { depth: 2, width: 4 },
      { depth: 2, width: 4, up: 'transpose', norm: 'batch', pool: 'avg' },
      { depth: 3, width: 2, skip: false, norm: 'none' },
      { depth: 0, width: 3 },
    ] as tl.UNetOptions[])
      expect(new tl.UNet(1, 3, opts).forward(x).shape, JSON.stringify(opts)).toEqual([2, 3, 16, 16]);
    expect(() => new tl.UNet(1, 1, { depth: 3 }).forward(tl.ones([1, 1, 12, 12]))).toThrow(/H and W multiples of 8/);
    expect(() => new tl.UNet(1, 1, { norm: 'layer' as never })).toThrow(/opts\.norm: expected 'group' or 'batch' or 'none', got "layer"/);
    expect(() => new tl.UNet(1, 1, { levels: 2 } as never)).toThrow(/unknown option 'levels'/);
    expect(() => new tl.GroupNorm(3, 8)).toThrow(/groups: expected a divisor of channels \(8\), got 3/);
  });

  it('UNet learns a fixed image-to-image map: 12 Adam steps cut the loss by more than half (measured 3.8x)', async () => {
    const g = rng();
    const x = tl.tensor(randomFloats(g, 2 * 8 * 8, -1, 1), { shape: [2, 1, 8, 8] });
    // Target: tanh of the input shifted by one pixel down and right (edge-padded): local and smooth.
    const target = tl.tidy(() =>
      tl.tanh(
        tl.slice(
          tl.pad(
            x,
            [
              [0, 0],
              [0, 0],
              [1, 0],
              [1, 0],
            ],
            { mode: 'edge' },
          ),
          [null, null, [0, 8], [0, 8]],
        ),
      ),
    );
    const net = new tl.UNet(1, 1, { depth: 1, width: 4, seed: 1 });
    const params = net.parameters();
    const opt = new tl.Adam({ lr: 1e-2 });
    const step = tl.valueAndGrad((p: tl.NamedTensors) => tl.mse(net.call(p, x), target));
    const losses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [loss, grads] = step(params) as [tl.Tensor, tl.NamedTensors];
      opt.step(params, grads);
      losses.push(await loss.item());
      loss.dispose();
      for (const t of Object.values(grads)) t.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!, `seed ${g.seed}: losses ${losses[0]} -> ${losses.at(-1)}`).toBeLessThan(0.5 * losses[0]!);
  });
});
