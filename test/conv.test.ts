// The direct conv2d kernels (shaders/conv.wgsl, src/ops/conv.ts): the forward map, the input
// gradient and the weight gradient against float64 references on flat NCHW arrays, with outputs
// poisoned, over strides, paddings, dilations, channel counts and widths that are not multiples of
// the 4 x 4 register block, and a weight gradient long enough to be summed in chunks. Then the
// differentiable op (src/autodiff/conv.ts): Taylor tests in x and w, and a second-order Taylor
// test through the VJPs of the two gradient kernels. Tolerance 1e-5 of the largest value: sums
// of at most ~1500 float32 products of values in [-1, 1].
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { conv2dDirect } from '../src/autodiff/conv.js';
import { type ConvGeometry, conv2dInputGradRaw, conv2dRaw, conv2dWeightGradRaw } from '../src/ops/conv.js';
import { randomFloats, rng, size, useDevice } from './helpers.js';
import { expectScaled } from './numerics.js';

type Dims = [number, number, number, number];
const T = (v: ArrayLike<number>, shape: readonly number[]): tl.Tensor => tl.tensor(Float32Array.from(v), { shape: [...shape] });
const outSize = (n: number, k: number, s: number, p: number, d: number): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/**
 * Visits every (output element, input element, weight element) triple of the convolution in
 * float64 index arithmetic: f(yIndex, xIndex, wIndex).
 */
function forEachTap(xs: Dims, ws: Dims, g: ConvGeometry, f: (yi: number, xi: number, wi: number) => void): Dims {
  const [n, c, h, w] = xs;
  const [o, , kh, kw] = ws;
  const ho = outSize(h, kh, g.stride[0], g.padding[0], g.dilation[0]);
  const wo = outSize(w, kw, g.stride[1], g.padding[1], g.dilation[1]);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let r = 0; r < ho; r++)
        for (let q = 0; q < wo; q++)
          for (let ic = 0; ic < c; ic++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yy = r * g.stride[0] - g.padding[0] + i * g.dilation[0];
                const xx = q * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                f(((b * o + oc) * ho + r) * wo + q, ((b * c + ic) * h + yy) * w + xx, ((oc * c + ic) * kh + i) * kw + j);
              }
  return [n, o, ho, wo];
}

interface Case {
  x: Dims;
  w: Dims;
  geo: ConvGeometry;
}
const geo = (s: [number, number], p: [number, number], d: [number, number]): ConvGeometry => ({ stride: s, padding: p, dilation: d });
const CASES: Case[] = [
  { x: [2, 3, 8, 9], w: [5, 3, 3, 3], geo: geo([1, 1], [1, 1], [1, 1]) },
  { x: [1, 6, 9, 7], w: [4, 6, 3, 2], geo: geo([2, 2], [1, 0], [1, 1]) },
  { x: [2, 2, 10, 11], w: [7, 2, 3, 3], geo: geo([1, 1], [2, 2], [2, 2]) },
  { x: [1, 5, 11, 9], w: [2, 5, 2, 3], geo: geo([1, 2], [0, 0], [2, 1]) },
  { x: [1, 9, 7, 8], w: [3, 9, 3, 3], geo: geo([3, 3], [2, 1], [1, 2]) },
  { x: [1, 1, 5, 5], w: [1, 1, 5, 5], geo: geo([1, 1], [0, 0], [1, 1]) },
  // 2 x 26 x 26 = 1352 output positions: the weight gradient sums two chunks of at most 1024.
  { x: [2, 3, 26, 26], w: [4, 3, 3, 3], geo: geo([1, 1], [1, 1], [1, 1]) },
];
const label = (c: Case): string =>
  `x ${JSON.stringify(c.x)} w ${JSON.stringify(c.w)} stride ${c.geo.stride.join('x')} padding ${c.geo.padding.join('x')} dilation ${c.geo.dilation.join('x')}`;

describe('direct conv2d kernels vs float64 references', () => {
  useDevice();
  for (const cs of CASES) {
    it(label(cs), async () => {
      const g = rng();
      const xv = randomFloats(g, size(cs.x));
      const wv = randomFloats(g, size(cs.w));
      const ys = forEachTap(cs.x, cs.w, cs.geo, () => {});
      const gv = randomFloats(g, size(ys));
      const y = new Float64Array(size(ys));
      const dx = new Float64Array(xv.length);
      const dw = new Float64Array(wv.length);
      forEachTap(cs.x, cs.w, cs.geo, (yi, xi, wi) => {
        y[yi]! += xv[xi]! * wv[wi]!;
        dx[xi]! += gv[yi]! * wv[wi]!;
        dw[wi]! += gv[yi]! * xv[xi]!;
      });
      const [x, w, gy] = [T(xv, cs.x), T(wv, cs.w), T(gv, ys)];
      const fy = conv2dRaw(x, w, cs.geo);
      const fdx = conv2dInputGradRaw(gy, w, [cs.x[2], cs.x[3]], cs.geo);
      const fdw = conv2dWeightGradRaw(x, gy, [cs.w[2], cs.w[3]], cs.geo);
      expect(fy.shape).toEqual(ys);
      expect(fdx.shape).toEqual(cs.x);
      expect(fdw.shape).toEqual(cs.w);
      expectScaled(await fy.data(), y, 1e-5, `seed ${g.seed}: forward`);
      expectScaled(await fdx.data(), dx, 1e-5, `seed ${g.seed}: input gradient`);
      expectScaled(await fdw.data(), dw, 1e-5, `seed ${g.seed}: weight gradient`);
    });
  }

  it('reads strided (non-contiguous) inputs', async () => {
    const g = rng();
    const xs: Dims = [2, 3, 6, 7];
    const ws: Dims = [4, 3, 3, 3];
    const xv = randomFloats(g, size(xs));
    const wv = randomFloats(g, size(ws));
    const G = geo([1, 1], [1, 1], [1, 1]);
    const ys = forEachTap(xs, ws, G, () => {});
    const want = new Float64Array(size(ys));
    forEachTap(xs, ws, G, (yi, xi, wi) => (want[yi]! += xv[xi]! * wv[wi]!));
    // x stored as [N, H, W, C] and permuted to NCHW; w stored transposed.
    const nhwc = new Float32Array(xv.length);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 6; h++) for (let v = 0; v < 7; v++) nhwc[((n * 6 + h) * 7 + v) * 3 + c] = xv[((n * 3 + c) * 6 + h) * 7 + v]!;
    const x = tl.permute(T(nhwc, [2, 6, 7, 3]), [0, 3, 1, 2]);
    const y = conv2dRaw(x, T(wv, ws), G);
    expectScaled(await y.data(), want, 1e-5, `seed ${g.seed}: forward of a permuted x`);
  });
});

describe('direct conv2d gradients (Taylor tests)', () => {
  useDevice();
  const setups: Case[] = [
    { x: [2, 3, 7, 6], w: [5, 3, 3, 3], geo: geo([2, 2], [1, 1], [1, 1]) },
    { x: [1, 2, 9, 8], w: [3, 2, 2, 3], geo: geo([1, 1], [2, 1], [2, 2]) },
  ];
  for (const s of setups) {
    it(`first order in x and w, ${label(s)}`, async () => {
      const g = rng();
      const x = T(randomFloats(g, size(s.x)), s.x);
      const w = T(randomFloats(g, size(s.w)), s.w);
      const ys = conv2dDirect(x, w, s.geo).shape;
      const R = T(randomFloats(g, size(ys)), ys);
      const loss = (y: tl.Tensor): tl.Tensor => y.square().mul(R).sum();
      for (const [name, r] of [
        ['x', await nn.taylorTest((xx) => loss(conv2dDirect(xx, w, s.geo)), x)],
        ['w', await nn.taylorTest((ww) => loss(conv2dDirect(x, ww, s.geo)), w)],
      ] as const) {
        expect(r.passed, `${name} (seed ${g.seed}): ${r.message}`).toBe(true);
        expect(r.fit1, `${name} fitted slope of r1 (seed ${g.seed})`).toBeGreaterThan(1.9);
      }
    });
  }

  it('second order: Taylor test of x -> <grad_w L(x, w), v> (the VJPs of both gradient kernels)', async () => {
    const g = rng();
    const s = setups[0]!;
    const x = T(randomFloats(g, size(s.x)), s.x);
    const w = T(randomFloats(g, size(s.w)), s.w);
    const v = T(randomFloats(g, size(s.w)), s.w);
    const ys = conv2dDirect(x, w, s.geo).shape;
    const R = T(randomFloats(g, size(ys)), ys);
    // L = sum(R y^3), so <grad_w L, v> = <G(x, 3 R y^2), v> is nonlinear in both x and w.
    const gw = tl.grad((xx: tl.Tensor, ww: tl.Tensor) => {
      const y = conv2dDirect(xx, ww, s.geo);
      return y.square().mul(y).mul(R).sum();
    }, 1);
    for (const [name, r] of [
      ['x', await nn.taylorTest((xx) => (gw(xx, w) as tl.Tensor).mul(v).sum(), x)],
      ['w', await nn.taylorTest((ww) => (gw(x, ww) as tl.Tensor).mul(v).sum(), w)],
    ] as const) {
      expect(r.passed, `d/d${name} (seed ${g.seed}): ${r.message}`).toBe(true);
      expect(r.fit1, `d/d${name} fitted slope of r1 (seed ${g.seed})`).toBeGreaterThan(1.9);
    }
  });

  it("nn.conv2d's direct and im2col methods agree in value and gradients", async () => {
    const g = rng();
    const x = T(randomFloats(g, 2 * 3 * 7 * 6), [2, 3, 7, 6]);
    const w = T(randomFloats(g, 4 * 3 * 3 * 3), [4, 3, 3, 3]);
    const b = T(randomFloats(g, 4), [4]);
    const opts = { stride: 2, padding: 1 } as const;
    const f = (method: 'direct' | 'im2col') =>
      tl.valueAndGrad(
        (xx: tl.Tensor, ww: tl.Tensor, bb: tl.Tensor) =>
          nn
            .conv2d(xx, ww, bb, { ...opts, method })
            .square()
            .sum(),
        [0, 1, 2],
      );
    const [va, ga] = f('direct')(x, w, b) as [tl.Tensor, tl.Tensor[]];
    const [vb, gb] = f('im2col')(x, w, b) as [tl.Tensor, tl.Tensor[]];
    expectScaled([await va.item()], [await vb.item()], 1e-6, 'loss');
    for (let i = 0; i < 3; i++) expectScaled(await ga[i]!.data(), await gb[i]!.data(), 1e-5, `gradient ${i} (seed ${g.seed})`);
  });
});
