// Convolution benchmarks, the same computation in Tellus, @jax-js/jax (lax.convGeneralDilated, NCHW)
// and TensorFlow.js (tf.conv2d, NHWC, its native layout): conv2d 32 -> 32 channels, 3x3, padding 1,
// batch 8 at 64x64, forward and the gradient of sum(y^2) in x, weight and bias; and one Adam step
// of a U-Net (tl.UNet(1, 1, { depth: 2, width: 8 }): 3x3 conv blocks with GroupNorm(4) and ReLU,
// 2x2 max pooling, bilinear 2x upsampling (align_corners = false) then a 1x1 conv, skip
// concatenation, a 1x1 output conv; 46k parameters) on a batch of 4 at 64x64, MSE loss. The peers
// start from Tellus's initial weights (read once at set-up), so all three compute the same loss;
// checkConvAgreement compares them before timing.
import type * as tfCore from '@tensorflow/tfjs-core';
import * as tl from '../src/index.js';
import { bilinearMatrix, conv2d } from '../src/nn/index.js';
import type { Case } from './harness.js';
import { jaxAdamUpdate } from './jax.js';

type Jax = any;
type Tf = typeof tfCore;
type TfTensor = tfCore.Tensor;
type Host = Record<string, { data: Float32Array; shape: number[] }>;

export const CONV_CASES = {
  conv: 'conv2d fwd + grad, 8x32x64x64, 3x3',
  unet: 'UNet Adam step, 4x1x64x64, width 8',
} as const;

const CV = { batch: 8, ch: 32, n: 64 };
const UN = { batch: 4, n: 64, depth: 2, width: 8 };

/** Deterministic values in [-1, 1), the same in every library. */
export function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1);
}
const count = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const convWeights = (): Host => ({
  w: { data: values(CV.ch * CV.ch * 9, 2).map((v) => v * 0.06), shape: [CV.ch, CV.ch, 3, 3] },
  b: { data: values(CV.ch, 3), shape: [CV.ch] },
});

/** The U-Net and its initial parameters on the host, by Tellus's parameter names. */
function unetModel(depth = UN.depth, width = UN.width): { model: tl.UNet; host: () => Promise<Host> } {
  const model = new tl.UNet(1, 1, { depth, width, seed: 11 });
  const host = async (): Promise<Host> => {
    const out: Host = {};
    for (const [k, t] of model.namedParameters()) out[k] = { data: (await t.data()) as Float32Array, shape: [...t.shape] };
    return out;
  };
  return { model, host };
}
const groupsOf = (ch: number): number => (ch % 4 === 0 ? 4 : 1);

export function tellusConvCases(): Record<string, Case> {
  const convCase =
    (method: 'direct' | 'im2col'): Case =>
    async (state) => {
      if (!state.x) {
        const h = convWeights();
        state.x = tl.tensor(values(CV.batch * CV.ch * CV.n * CV.n, 1), { shape: [CV.batch, CV.ch, CV.n, CV.n] });
        state.w = tl.tensor(h.w!.data, { shape: h.w!.shape });
        state.b = tl.tensor(h.b!.data, { shape: h.b!.shape });
        state.g = tl.grad(
          (x: tl.Tensor, w: tl.Tensor, b: tl.Tensor) => tl.sum(tl.square(conv2d(x, w, b, { padding: 1, method }))),
          [0, 1, 2],
        );
      }
      const grads = state.g(state.x, state.w, state.b) as tl.Tensor[];
      await Promise.all(grads.map((g) => g.data()));
      for (const g of grads) g.dispose();
    };
  return {
    [CONV_CASES.conv]: convCase('direct'),
    [`${CONV_CASES.conv}, im2col`]: convCase('im2col'),
    [CONV_CASES.unet]: async (state) => {
      if (!state.model) {
        state.model = unetModel().model;
        state.x = tl.tensor(values(UN.batch * UN.n * UN.n, 5), { shape: [UN.batch, 1, UN.n, UN.n] });
        state.y = tl.tensor(values(UN.batch * UN.n * UN.n, 6), { shape: [UN.batch, 1, UN.n, UN.n] });
        state.params = state.model.parameters();
        state.opt = new tl.Adam({ lr: 1e-3 });
        state.vg = tl.valueAndGrad((p: tl.NamedTensors) => tl.mse(state.model.call(p, state.x), state.y));
      }
      const [loss, grads] = state.vg(state.params) as [tl.Tensor, tl.NamedTensors];
      state.opt.step(state.params, grads);
      await loss.data();
      for (const g of [loss, ...Object.values(grads)]) g.dispose();
    },
  };
}

// ---- jax-js: arrays are consumed by every op, so reused ones are passed as `.ref` ----

const jaxConv = (jax: Jax, x: Jax, w: Jax, pad: number): Jax =>
  jax.lax.convGeneralDilated(
    x,
    w,
    [1, 1],
    [
      [pad, pad],
      [pad, pad],
    ],
  );

/** The U-Net forward in jax-js ops, parameters by Tellus's names; `mats` holds the bilinear matrices per input size. */
function jaxUNet(jax: Jax, p: Record<string, Jax>, x: Jax, depth: number, mats: Record<number, Jax>): Jax {
  const np = jax.numpy;
  const bias = (b: Jax): Jax => b.reshape([1, -1, 1, 1]);
  const groupNorm = (h: Jax, w: Jax, b: Jax): Jax => {
    const [n, c, hh, ww] = h.shape;
    const g = groupsOf(c);
    const r = h.reshape([n, g, -1]);
    const d = r.ref.sub(np.mean(r, 2, { keepdims: true }));
    const z = d.ref.mul(np.reciprocal(np.sqrt(np.mean(np.square(d), 2, { keepdims: true }).add(1e-5))));
    return z.reshape([n, c, hh, ww]).mul(bias(w)).add(bias(b));
  };
  const block = (pre: string, h: Jax): Jax => {
    for (const k of [0, 2]) {
      const conv = jaxConv(jax, h, p[`${pre}.layers.${k}.weight`], 1).add(bias(p[`${pre}.layers.${k}.bias`]));
      h = jax.nn.relu(groupNorm(conv, p[`${pre}.layers.${k + 1}.weight`], p[`${pre}.layers.${k + 1}.bias`]));
    }
    return h;
  };
  const pool = (h: Jax): Jax => {
    const [n, c, hh, ww] = h.shape;
    return np.max(h.reshape([n, c, hh / 2, 2, ww / 2, 2]), [3, 5]);
  };
  // [.., H, W] -> [.., 2H, 2W]: columns, then rows through a transpose, each a matmul with an
  // interpolation matrix on the right (jax-js 0.1.25's matmul of [2H, H] by [N, C, H, W] does not
  // broadcast the left operand as NumPy does: it returned [2H, N, C, W]).
  const upsample = (h: Jax): Jax => {
    const [, , hh, ww] = h.shape;
    const cols = np.transpose(np.matmul(h, np.transpose(mats[ww].ref)), [0, 1, 3, 2]);
    return np.transpose(np.matmul(cols, np.transpose(mats[hh].ref)), [0, 1, 3, 2]);
  };
  const skips: Jax[] = [];
  let h = x;
  for (let i = 0; i <= depth; i++) {
    h = block(`down.${i}`, i === 0 ? h : pool(h));
    if (i < depth) skips.push(h.ref);
  }
  for (let i = depth - 1; i >= 0; i--) {
    const u = jaxConv(jax, upsample(h), p[`up.${i}.conv.weight`], 0).add(bias(p[`up.${i}.conv.bias`]));
    h = block(`decode.${i}`, np.concatenate([skips[i], u], 1));
  }
  return jaxConv(jax, h, p['out.weight'], 0).add(bias(p['out.bias']));
}

function jaxMats(jax: Jax, n: number, depth: number): Record<number, Jax> {
  const mats: Record<number, Jax> = {};
  for (let i = 1; i <= depth; i++) {
    const s = n >> i;
    mats[s] = jax.numpy.array(bilinearMatrix(s, 2 * s)).reshape([2 * s, s]);
  }
  return mats;
}

export function jaxConvCases(jax: Jax): Record<string, Case> {
  const np = jax.numpy;
  return {
    [CONV_CASES.conv]: async (state) => {
      if (!state.x) {
        const h = convWeights();
        state.x = np.array(values(CV.batch * CV.ch * CV.n * CV.n, 1)).reshape([CV.batch, CV.ch, CV.n, CV.n]);
        state.w = np.array(h.w!.data).reshape(h.w!.shape);
        state.b = np.array(h.b!.data);
        state.g = jax.grad((a: Record<string, Jax>) => np.square(jaxConv(jax, a.x, a.w, 1).add(a.b.reshape([1, -1, 1, 1]))).sum());
      }
      const grads = state.g({ x: state.x.ref, w: state.w.ref, b: state.b.ref });
      await jax.blockUntilReady(grads);
      for (const g of Object.values<Jax>(grads)) await g.data();
    },
    [CONV_CASES.unet]: async (state) => {
      if (!state.p) {
        const { host } = unetModel();
        const h = await host();
        state.p = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, np.array(v.data).reshape(v.shape)]));
        state.m = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, np.zeros(v.shape)]));
        state.v = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, np.zeros(v.shape)]));
        state.x = np.array(values(UN.batch * UN.n * UN.n, 5)).reshape([UN.batch, 1, UN.n, UN.n]);
        state.y = np.array(values(UN.batch * UN.n * UN.n, 6)).reshape([UN.batch, 1, UN.n, UN.n]);
        state.mats = jaxMats(jax, UN.n, UN.depth);
        state.t = 0;
        state.vg = jax.valueAndGrad((q: Record<string, Jax>) =>
          np.square(jaxUNet(jax, q, state.x.ref, UN.depth, state.mats).sub(state.y.ref)).mean(),
        );
      }
      const [loss, grads] = state.vg(jax.tree.ref(state.p));
      jaxAdamUpdate(jax, state, grads);
      await jax.blockUntilReady(state.p);
      await loss.data();
    },
  };
}

// ---- TensorFlow.js: NHWC, filters [KH, KW, in, out] ----

export const toNhwc = (tf: Tf, v: { data: Float32Array; shape: number[] }): TfTensor =>
  tf.tidy(() => (v.shape.length === 4 ? tf.transpose(tf.tensor(v.data, v.shape), [2, 3, 1, 0]) : tf.tensor(v.data, v.shape)));

/** The same U-Net in NHWC; weights converted from Tellus's [O, C, KH, KW] to [KH, KW, C, O]. */
function tfUNet(tf: Tf, p: Record<string, TfTensor>, x: TfTensor, depth: number): TfTensor {
  const conv = (h: TfTensor, pre: string, pad: 'same' | 'valid'): TfTensor =>
    tf.add(tf.conv2d(h as tfCore.Tensor4D, p[`${pre}.weight`] as tfCore.Tensor4D, 1, pad), p[`${pre}.bias`]!);
  const groupNorm = (h: TfTensor, pre: string): TfTensor => {
    const [n, hh, ww, c] = h.shape as [number, number, number, number];
    const g = groupsOf(c);
    const r = tf.reshape(h, [n, hh * ww, g, c / g]);
    const { mean, variance } = tf.moments(r, [1, 3], true);
    const z = tf.reshape(tf.mul(tf.sub(r, mean), tf.rsqrt(tf.add(variance, 1e-5))), [n, hh, ww, c]);
    return tf.add(tf.mul(z, p[`${pre}.weight`]!), p[`${pre}.bias`]!);
  };
  const block = (pre: string, h: TfTensor): TfTensor => {
    for (const k of [0, 2]) h = tf.relu(groupNorm(conv(h, `${pre}.layers.${k}`, 'same'), `${pre}.layers.${k + 1}`));
    return h;
  };
  const skips: TfTensor[] = [];
  let h = x;
  for (let i = 0; i <= depth; i++) {
    h = block(`down.${i}`, i === 0 ? h : tf.maxPool(h as tfCore.Tensor4D, 2, 2, 'valid'));
    skips.push(h);
  }
  for (let i = depth - 1; i >= 0; i--) {
    const [, hh, ww] = h.shape as number[];
    const up = tf.image.resizeBilinear(h as tfCore.Tensor4D, [2 * hh!, 2 * ww!], false, true);
    h = block(`decode.${i}`, tf.concat([skips[i]!, conv(up, `up.${i}.conv`, 'valid')], 3));
  }
  return conv(h, 'out', 'valid');
}

export function tfjsConvCases(tf: Tf): Record<string, Case> {
  return {
    [CONV_CASES.conv]: async (state) => {
      if (!state.x) {
        const h = convWeights();
        // The NCHW input read as NHWC by a transpose ([N, C, H, W] -> [N, H, W, C]).
        state.x = tf.transpose(tf.tensor(values(CV.batch * CV.ch * CV.n * CV.n, 1), [CV.batch, CV.ch, CV.n, CV.n]), [0, 2, 3, 1]);
        state.w = toNhwc(tf, h.w!);
        state.b = tf.tensor(h.b!.data, h.b!.shape);
        state.g = tf.grads((x: TfTensor, w: TfTensor, b: TfTensor) =>
          tf.sum(tf.square(tf.add(tf.conv2d(x as tfCore.Tensor4D, w as tfCore.Tensor4D, 1, 'same'), b))),
        );
      }
      const grads = state.g([state.x, state.w, state.b]) as TfTensor[];
      await Promise.all(grads.map((g) => g.data()));
      for (const g of grads) g.dispose();
    },
    [CONV_CASES.unet]: async (state) => {
      if (!state.p) {
        const h = await unetModel().host();
        state.p = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, tf.variable(toNhwc(tf, v))]));
        state.x = tf.transpose(tf.tensor(values(UN.batch * UN.n * UN.n, 5), [UN.batch, 1, UN.n, UN.n]), [0, 2, 3, 1]);
        state.y = tf.transpose(tf.tensor(values(UN.batch * UN.n * UN.n, 6), [UN.batch, 1, UN.n, UN.n]), [0, 2, 3, 1]);
        state.opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      }
      const loss = state.opt.minimize(() => tf.mean(tf.square(tf.sub(tfUNet(tf, state.p, state.x, UN.depth), state.y))), true) as TfTensor;
      await loss.data();
      loss.dispose();
    },
  };
}

/**
 * Before timing: the conv2d gradient in w and the U-Net's loss at the shared initial weights, in
 * each peer against Tellus (a small instance of each case). A relative difference above 1e-3 means
 * a different computation and throws.
 */
export async function checkConvAgreement(jax: Jax | null, tf: Tf | null): Promise<string> {
  const notes: string[] = [];
  const check = (what: string, got: ArrayLike<number>, want: ArrayLike<number>): void => {
    let [e, s] = [0, 0];
    for (let i = 0; i < want.length; i++) [e, s] = [e + (got[i]! - want[i]!) ** 2, s + want[i]! ** 2];
    const err = Math.sqrt(e / s);
    notes.push(`${what} ${err.toExponential(1)}`);
    if (!(err < 1e-3)) throw new Error(`${what}: relative L2 difference ${err.toExponential(2)}, expected < 1e-3`);
  };
  const [b, c, n] = [2, 4, 8];
  const xs = [b, c, n, n];
  const xv = values(count(xs), 31);
  const wv = values(c * c * 9, 32);
  const bv = values(c, 33);
  const mine = await (
    tl.grad((w: tl.Tensor) => tl.sum(tl.square(conv2d(tl.tensor(xv, { shape: xs }), w, tl.tensor(bv), { padding: 1 }))))(
      tl.tensor(wv, { shape: [c, c, 3, 3] }),
    ) as tl.Tensor
  ).data();
  // A 16x16 U-Net of depth 2 and width 4 on 2 images: the loss at the initial weights.
  const { model, host } = unetModel(2, 4);
  const [ux, uy] = [values(2 * 16 * 16, 35), values(2 * 16 * 16, 36)];
  const us = [2, 1, 16, 16];
  const loss = await tl.mse(model.forward(tl.tensor(ux, { shape: us })), tl.tensor(uy, { shape: us })).item();
  const h = await host();
  if (jax) {
    const np = jax.numpy;
    const g = jax.grad((w: Jax) => np.square(jaxConv(jax, np.array(xv).reshape(xs), w, 1).add(np.array(bv).reshape([1, -1, 1, 1]))).sum())(
      np.array(wv).reshape([c, c, 3, 3]),
    );
    check('conv2d weight gradient, jax-js vs Tellus', await g.data(), mine);
    const p = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, np.array(v.data).reshape(v.shape)]));
    const out = jaxUNet(jax, p, np.array(ux).reshape(us), 2, jaxMats(jax, 16, 2));
    // jax-js's item() reads synchronously, which needs OffscreenCanvas; data() is the async read.
    check(
      'UNet loss, jax-js vs Tellus',
      await np
        .square(out.sub(np.array(uy).reshape(us)))
        .mean()
        .data(),
      [loss],
    );
  }
  if (tf) {
    const g = tf.tidy(() =>
      tf.transpose(
        tf.grad((w: TfTensor) =>
          tf.sum(
            tf.square(
              tf.add(
                tf.conv2d(tf.transpose<tfCore.Tensor4D>(tf.tensor4d(xv, [b, c, n, n]), [0, 2, 3, 1]), w as tfCore.Tensor4D, 1, 'same'),
                tf.tensor(bv),
              ),
            ),
          ),
        )(toNhwc(tf, { data: wv, shape: [c, c, 3, 3] })),
        [3, 2, 0, 1],
      ),
    );
    check('conv2d weight gradient, tfjs vs Tellus', await g.data(), mine);
    const p = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, toNhwc(tf, v)]));
    const l = tf.tidy(() =>
      tf.mean(
        tf.square(tf.sub(tfUNet(tf, p, tf.transpose(tf.tensor(ux, us), [0, 2, 3, 1]), 2), tf.transpose(tf.tensor(uy, us), [0, 2, 3, 1]))),
      ),
    );
    check('UNet loss, tfjs vs Tellus', [(await l.data())[0]!], [loss]);
    for (const t of [g, l, ...Object.values(p)]) t.dispose();
  }
  model.dispose();
  return notes.join(', ');
}
