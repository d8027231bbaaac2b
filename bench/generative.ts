// Generative-model training steps, the same computation in Tellus, @jax-js/jax and TensorFlow.js
// (NHWC, its native layout), on a batch of 8 single-channel 64x64 images:
// - a VAE Adam step (lr 1e-3): encoder conv 4x4/2 (1 -> 16), LeakyReLU(0.2), conv 4x4/2 (16 -> 32),
//   LeakyReLU, flatten, two Linears to mu and log sigma^2 (latent 16); z = mu + sigma eps with a
//   fixed eps; decoder Linear to 32x16x16, nearest 2x upsampling + conv 3x3 (32 -> 16), LeakyReLU,
//   nearest 2x upsampling + conv 3x3 (16 -> 1), sigmoid; loss = (sum of squared reconstruction
//   errors + KL(N(mu, sigma^2) || N(0, I))) / batch.
// - a WGAN-GP critic Adam step (lr 1e-4, betas (0, 0.9)): three conv 4x4/2 + LeakyReLU(0.2) layers
//   (1 -> 16 -> 32 -> 64), flatten, Linear -> 1; loss = mean D(fake) - mean D(real)
//   + 10 mean (||grad_x D(x_hat)||_2 - 1)^2 with x_hat = e x_real + (1 - e) x_fake (fixed e per
//   sample), so the step differentiates a gradient (double backward through conv2d and LeakyReLU).
// Weights and data come from one deterministic generator, identical in every library;
// checkGenerativeAgreement compares losses and gradients before timing.
import type * as tfCore from '@tensorflow/tfjs-core';
import * as tl from '../src/index.js';
import { toNhwc, values } from './conv.js';
import type { Case } from './harness.js';
import { jaxAdamUpdate } from './jax.js';

type Jax = any;
type Tf = typeof tfCore;
type TfTensor = tfCore.Tensor;
type Host = Record<string, { data: Float32Array; shape: number[] }>;

export const GENERATIVE_CASES = {
  vae: 'VAE Adam step, 8x1x64x64, latent 16',
  wgan: 'WGAN-GP critic Adam step (double backward), 8x1x64x64',
} as const;

const G = { batch: 8, n: 64, latent: 16 };
const VAE_ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const WGAN_ADAM = { lr: 1e-4, beta1: 0, beta2: 0.9, eps: 1e-8 };
const IMG = [G.batch, 1, G.n, G.n];
const count = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Layers as [name, weight shape, fan-in]: conv weights [O, C, KH, KW], Linear weights [in, out] (y = x W + b). */
type Spec = [string, number[], number][];
const conv = (name: string, o: number, c: number, k: number): Spec[number] => [name, [o, c, k, k], c * k * k];
const linear = (name: string, i: number, o: number): Spec[number] => [name, [i, o], i];
const VAE: Spec = [
  conv('e1', 16, 1, 4),
  conv('e2', 32, 16, 4),
  linear('mu', 32 * 16 * 16, G.latent),
  linear('lv', 32 * 16 * 16, G.latent),
  linear('d0', G.latent, 32 * 16 * 16),
  conv('d1', 16, 32, 3),
  conv('d2', 1, 16, 3),
];
const CRITIC: Spec = [conv('c1', 16, 1, 4), conv('c2', 32, 16, 4), conv('c3', 64, 32, 4), linear('fc', 64 * 8 * 8, 1)];

/** Uniform weights of variance 1 / fan-in and small biases, as `${layer}.w` and `${layer}.b`. */
function weights(spec: Spec, seed: number): Host {
  const out: Host = {};
  spec.forEach(([name, shape, fan], i) => {
    const bound = Math.sqrt(3 / fan);
    out[`${name}.w`] = { data: values(count(shape), seed + 2 * i).map((v) => v * bound), shape };
    const outputs = shape.length === 2 ? shape[1]! : shape[0]!;
    out[`${name}.b`] = { data: values(outputs, seed + 2 * i + 1).map((v) => v * 0.05), shape: [outputs] };
  });
  return out;
}

/** The images in [0, 1], the VAE's eps (unit variance) and the WGAN-GP's per-sample mixing weights. */
function data(): { real: Float32Array; fake: Float32Array; eps: Float32Array; mix: Float32Array; xhat: Float32Array } {
  const unit = (n: number, seed: number): Float32Array => values(n, seed).map((v) => (v + 1) / 2);
  const real = unit(count(IMG), 41);
  const fake = unit(count(IMG), 42);
  const mix = unit(G.batch, 43);
  const per = G.n * G.n;
  const xhat = real.map((r, i) => mix[Math.floor(i / per)]! * r + (1 - mix[Math.floor(i / per)]!) * fake[i]!);
  return { real, fake, eps: values(G.batch * G.latent, 44).map((v) => v * Math.sqrt(3)), mix, xhat };
}

// ---- Tellus -------------------------------------------------------------------------------------

type P = Record<string, tl.Tensor>;
const lrelu = (h: tl.Tensor): tl.Tensor => tl.leakyRelu(h, 0.2);
const tlDense = (h: tl.Tensor, p: P, k: string): tl.Tensor => tl.add(tl.matmul(h, p[`${k}.w`]!), p[`${k}.b`]!);
const tlDown = (h: tl.Tensor, p: P, k: string): tl.Tensor => lrelu(tl.conv2d(h, p[`${k}.w`]!, p[`${k}.b`], { stride: 2, padding: 1 }));
/** Nearest 2x upsampling: each pixel broadcast to a 2x2 block. */
function tlUp(h: tl.Tensor): tl.Tensor {
  const [n, c, hh, ww] = h.shape as [number, number, number, number];
  return tl.reshape(tl.mul(tl.reshape(h, [n * c * hh, 1, ww, 1]), tl.ones([1, 2, 1, 2])), [n, c, 2 * hh, 2 * ww]);
}

function tellusVae(p: P, x: tl.Tensor, eps: tl.Tensor): tl.Tensor {
  const f = tl.reshape(tlDown(tlDown(x, p, 'e1'), p, 'e2'), [G.batch, -1]);
  const [mu, lv] = [tlDense(f, p, 'mu'), tlDense(f, p, 'lv')];
  const z = tl.add(mu, tl.mul(tl.exp(tl.mul(lv, 0.5)), eps));
  const d = lrelu(tl.conv2d(tlUp(tl.reshape(tlDense(z, p, 'd0'), [G.batch, 32, 16, 16])), p['d1.w']!, p['d1.b'], { padding: 1 }));
  const y = tl.sigmoid(tl.conv2d(tlUp(d), p['d2.w']!, p['d2.b'], { padding: 1 }));
  const kl = tl.mul(tl.sum(tl.sub(tl.add(lv, 1), tl.add(tl.square(mu), tl.exp(lv)))), -0.5);
  return tl.div(tl.add(tl.sum(tl.square(tl.sub(y, x))), kl), G.batch);
}

const tellusCritic = (p: P, x: tl.Tensor): tl.Tensor =>
  tlDense(tl.reshape(tlDown(tlDown(tlDown(x, p, 'c1'), p, 'c2'), p, 'c3'), [G.batch, -1]), p, 'fc');

function tellusWgan(p: P, real: tl.Tensor, fake: tl.Tensor, xhat: tl.Tensor): tl.Tensor {
  // The inner gradient, taken inside the outer one, stays differentiable in p.
  const gx = tl.grad((x: tl.Tensor) => tl.sum(tellusCritic(p, x)))(xhat) as tl.Tensor;
  const penalty = tl.mean(tl.square(tl.sub(tl.sqrt(tl.sum(tl.square(gx), [1, 2, 3])), 1)));
  return tl.add(tl.sub(tl.mean(tellusCritic(p, fake)), tl.mean(tellusCritic(p, real))), tl.mul(penalty, 10));
}

const tlParams = (h: Host): P => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, tl.tensor(v.data, { shape: v.shape })]));

/** Each case's loss as a function of the parameters, with its data made once. */
function tellusLosses(): { vae: (p: P) => tl.Tensor; wgan: (p: P) => tl.Tensor; dispose(): void } {
  const d = data();
  const t = {
    x: tl.tensor(d.real, { shape: IMG }),
    fake: tl.tensor(d.fake, { shape: IMG }),
    xhat: tl.tensor(d.xhat, { shape: IMG }),
    eps: tl.tensor(d.eps, { shape: [G.batch, G.latent] }),
  };
  return {
    vae: (p) => tellusVae(p, t.x, t.eps),
    wgan: (p) => tellusWgan(p, t.x, t.fake, t.xhat),
    dispose: () => Object.values(t).forEach((x) => x.dispose()),
  };
}

export function tellusGenerativeCases(): Record<string, Case> {
  const step =
    (which: 'vae' | 'wgan'): Case =>
    async (state) => {
      if (!state.p) {
        state.p = tlParams(which === 'vae' ? weights(VAE, 100) : weights(CRITIC, 200));
        state.opt = new tl.Adam(which === 'vae' ? VAE_ADAM : WGAN_ADAM);
        state.vg = tl.valueAndGrad(tellusLosses()[which]);
      }
      const [loss, grads] = state.vg(state.p) as [tl.Tensor, P];
      state.opt.step(state.p, grads);
      await loss.data();
      for (const g of [loss, ...Object.values(grads)]) g.dispose();
    };
  return { [GENERATIVE_CASES.vae]: step('vae'), [GENERATIVE_CASES.wgan]: step('wgan') };
}

// ---- jax-js: every op consumes its arguments, so reused arrays are passed as `.ref` -------------

const jaxConv = (jax: Jax, x: Jax, w: Jax, b: Jax, stride: number): Jax =>
  jax.lax
    .convGeneralDilated(
      x,
      w,
      [stride, stride],
      [
        [1, 1],
        [1, 1],
      ],
    )
    .add(b.reshape([1, -1, 1, 1]));
const jaxDense = (jax: Jax, h: Jax, p: Record<string, Jax>, k: string): Jax => jax.numpy.matmul(h, p[`${k}.w`]).add(p[`${k}.b`]);
const jaxDown = (jax: Jax, h: Jax, p: Record<string, Jax>, k: string): Jax =>
  jax.nn.leakyRelu(jaxConv(jax, h, p[`${k}.w`], p[`${k}.b`], 2), 0.2);
function jaxUp(jax: Jax, h: Jax): Jax {
  const [n, c, hh, ww] = h.shape as number[];
  return h
    .reshape([n! * c! * hh!, 1, ww, 1])
    .mul(jax.numpy.ones([1, 2, 1, 2]))
    .reshape([n, c, 2 * hh!, 2 * ww!]);
}

function jaxVae(jax: Jax, p: Record<string, Jax>, x: Jax, eps: Jax): Jax {
  const np = jax.numpy;
  const f = jaxDown(jax, jaxDown(jax, x.ref, p, 'e1'), p, 'e2').reshape([G.batch, -1]);
  const [mu, lv] = [jaxDense(jax, f.ref, p, 'mu'), jaxDense(jax, f, p, 'lv')];
  const z = mu.ref.add(np.exp(lv.ref.mul(0.5)).mul(eps));
  const h = jaxUp(jax, jaxDense(jax, z, p, 'd0').reshape([G.batch, 32, 16, 16]));
  const d = jax.nn.leakyRelu(jaxConv(jax, h, p['d1.w'], p['d1.b'], 1), 0.2);
  const y = jax.nn.sigmoid(jaxConv(jax, jaxUp(jax, d), p['d2.w'], p['d2.b'], 1));
  const kl = lv.ref.add(1).sub(np.square(mu)).sub(np.exp(lv)).sum().mul(-0.5);
  return np.square(y.sub(x)).sum().add(kl).div(G.batch);
}

const jaxCritic = (jax: Jax, p: Record<string, Jax>, x: Jax): Jax =>
  jaxDense(jax, jaxDown(jax, jaxDown(jax, jaxDown(jax, x, p, 'c1'), p, 'c2'), p, 'c3').reshape([G.batch, -1]), p, 'fc');

function jaxWgan(jax: Jax, p: Record<string, Jax>, real: Jax, fake: Jax, xhat: Jax): Jax {
  const np = jax.numpy;
  const gx = jax.grad((x: Jax) => jaxCritic(jax, jax.tree.ref(p), x).sum())(xhat);
  const penalty = np.square(np.sqrt(np.square(gx).sum([1, 2, 3])).sub(1)).mean();
  return jaxCritic(jax, jax.tree.ref(p), fake)
    .mean()
    .sub(jaxCritic(jax, p, real).mean())
    .add(penalty.mul(10));
}

/** Each case's loss in jax-js; the data arrays are kept and passed by `.ref`. */
function jaxLosses(jax: Jax): { vae: (p: Jax) => Jax; wgan: (p: Jax) => Jax } {
  const np = jax.numpy;
  const d = data();
  const [x, fake, xhat] = [d.real, d.fake, d.xhat].map((v) => np.array(v).reshape(IMG));
  const eps = np.array(d.eps).reshape([G.batch, G.latent]);
  return {
    vae: (p) => jaxVae(jax, p, x.ref, eps.ref),
    wgan: (p) => jaxWgan(jax, p, x.ref, fake.ref, xhat.ref),
  };
}

const jaxParams = (jax: Jax, h: Host): Record<string, Jax> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, jax.numpy.array(v.data).reshape(v.shape)]));

export function jaxGenerativeCases(jax: Jax): Record<string, Case> {
  const step =
    (which: 'vae' | 'wgan'): Case =>
    async (state) => {
      if (!state.p) {
        const h = which === 'vae' ? weights(VAE, 100) : weights(CRITIC, 200);
        state.p = jaxParams(jax, h);
        state.m = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, jax.numpy.zeros(v.shape)]));
        state.v = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, jax.numpy.zeros(v.shape)]));
        state.t = 0;
        state.vg = jax.valueAndGrad(jaxLosses(jax)[which]);
      }
      const [loss, grads] = state.vg(jax.tree.ref(state.p));
      jaxAdamUpdate(jax, state, grads, which === 'vae' ? VAE_ADAM : WGAN_ADAM);
      await jax.blockUntilReady(state.p);
      await loss.data();
    };
  return { [GENERATIVE_CASES.vae]: step('vae'), [GENERATIVE_CASES.wgan]: step('wgan') };
}

// ---- TensorFlow.js: NHWC, filters [KH, KW, in, out]; flatten and unflatten go through NCHW so the
// Linear weights are the same matrices as in the other libraries ---------------------------------

type TP = Record<string, TfTensor>;
const nhwc = (tf: Tf, v: Float32Array, shape: number[]): TfTensor => tf.transpose(tf.tensor(v, shape), [0, 2, 3, 1]);
const tfDense = (tf: Tf, h: TfTensor, p: TP, k: string): TfTensor => tf.add(tf.matMul(h, p[`${k}.w`]!), p[`${k}.b`]!);
const tfConv = (tf: Tf, h: TfTensor, p: TP, k: string, stride: number): TfTensor =>
  tf.add(tf.conv2d(h as tfCore.Tensor4D, p[`${k}.w`] as tfCore.Tensor4D, stride, 1), p[`${k}.b`]!);
const tfDown = (tf: Tf, h: TfTensor, p: TP, k: string): TfTensor => tf.leakyRelu(tfConv(tf, h, p, k, 2), 0.2);
/**
 * LeakyReLU(0.2) as 0.6 x + 0.4 |x|, for the critic: tf.leakyRelu's gradient selects by
 * tf.greater, which has no gradient, so a gradient of it fails ("Cannot compute gradient: gradient
 * function not found for Greater."); abs's gradient uses tf.step, which has one.
 */
function tfDownTwice(tf: Tf, h: TfTensor, p: TP, k: string): TfTensor {
  const y = tfConv(tf, h, p, k, 2);
  return tf.add(tf.mul(y, 0.6), tf.mul(tf.abs(y), 0.4));
}
const tfFlatten = (tf: Tf, h: TfTensor): TfTensor => tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [G.batch, -1]);
function tfUp(tf: Tf, h: TfTensor): TfTensor {
  const [n, hh, ww, c] = h.shape as [number, number, number, number];
  return tf.reshape(tf.mul(tf.reshape(h, [n * hh, 1, ww, 1, c]), tf.ones([1, 2, 1, 2, 1])), [n, 2 * hh, 2 * ww, c]);
}

function tfVae(tf: Tf, p: TP, x: TfTensor, eps: TfTensor): TfTensor {
  const f = tfFlatten(tf, tfDown(tf, tfDown(tf, x, p, 'e1'), p, 'e2'));
  const [mu, lv] = [tfDense(tf, f, p, 'mu'), tfDense(tf, f, p, 'lv')];
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps));
  const h = tfUp(tf, tf.transpose(tf.reshape(tfDense(tf, z, p, 'd0'), [G.batch, 32, 16, 16]), [0, 2, 3, 1]));
  const y = tf.sigmoid(tfConv(tf, tfUp(tf, tf.leakyRelu(tfConv(tf, h, p, 'd1', 1), 0.2)), p, 'd2', 1));
  const kl = tf.mul(tf.sum(tf.sub(tf.add(lv, 1), tf.add(tf.square(mu), tf.exp(lv)))), -0.5);
  return tf.div(tf.add(tf.sum(tf.square(tf.sub(y, x))), kl), G.batch);
}

const tfCritic = (tf: Tf, p: TP, x: TfTensor): TfTensor =>
  tfDense(tf, tfFlatten(tf, tfDownTwice(tf, tfDownTwice(tf, tfDownTwice(tf, x, p, 'c1'), p, 'c2'), p, 'c3')), p, 'fc');

function tfWgan(tf: Tf, p: TP, real: TfTensor, fake: TfTensor, xhat: TfTensor): TfTensor {
  const gx = tf.grad((x: TfTensor) => tf.sum(tfCritic(tf, p, x)))(xhat);
  const penalty = tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(gx), [1, 2, 3])), 1)));
  return tf.add(tf.sub(tf.mean(tfCritic(tf, p, fake)), tf.mean(tfCritic(tf, p, real))), tf.mul(penalty, 10));
}

function tfLosses(tf: Tf): { vae: (p: TP) => TfTensor; wgan: (p: TP) => TfTensor } {
  const d = data();
  const [x, fake, xhat] = [d.real, d.fake, d.xhat].map((v) => nhwc(tf, v, IMG));
  const eps = tf.tensor(d.eps, [G.batch, G.latent]);
  return { vae: (p) => tfVae(tf, p, x!, eps), wgan: (p) => tfWgan(tf, p, x!, fake!, xhat!) };
}

export function tfjsGenerativeCases(tf: Tf): Record<string, Case> {
  const step =
    (which: 'vae' | 'wgan'): Case =>
    async (state) => {
      if (!state.p) {
        const h = which === 'vae' ? weights(VAE, 100) : weights(CRITIC, 200);
        state.p = Object.fromEntries(Object.entries(h).map(([k, v]) => [k, tf.variable(toNhwc(tf, v))]));
        const a = which === 'vae' ? VAE_ADAM : WGAN_ADAM;
        state.opt = tf.train.adam(a.lr, a.beta1, a.beta2, a.eps);
        state.loss = tfLosses(tf)[which];
      }
      const loss = state.opt.minimize(() => state.loss(state.p), true) as TfTensor;
      await loss.data();
      loss.dispose();
    };
  return { [GENERATIVE_CASES.vae]: step('vae'), [GENERATIVE_CASES.wgan]: step('wgan') };
}

// ---- agreement ----------------------------------------------------------------------------------

/** The gradients compared, every entry: a first-layer weight, a bias, and the last layer's bias or weight (the critic's fc.b gradient is 0). */
const COMPARED = { vae: ['e1.w', 'mu.b', 'd2.b'], wgan: ['c1.w', 'c3.b', 'fc.w'] } as const;
type Values = Record<string, ArrayLike<number>>;

/**
 * Before timing: each case's loss and gradients (COMPARED, in Tellus's layout) at the shared
 * initial weights, in each peer against Tellus. A relative L2 difference above 1e-3 (float32
 * sums over up to 8192 terms in different orders stay near 1e-6) means a different computation
 * and throws. A peer that cannot compute a case is reported, not failed.
 */
export async function checkGenerativeAgreement(jax: Jax | null, tf: Tf | null): Promise<string> {
  const notes: string[] = [];
  const check = (what: string, got: Values, want: Values): void => {
    let worst = 0;
    for (const k of Object.keys(want)) {
      let [e, s] = [0, 0];
      for (let i = 0; i < want[k]!.length; i++) [e, s] = [e + (got[k]![i]! - want[k]![i]!) ** 2, s + want[k]![i]! ** 2];
      const err = Math.sqrt(e / s);
      if (!(err < 1e-3)) throw new Error(`${what}, ${k}: relative L2 difference ${err.toExponential(2)}, expected < 1e-3`);
      worst = Math.max(worst, err);
    }
    notes.push(`${what} ${worst.toExponential(1)}`);
  };
  const hosts = { vae: weights(VAE, 100), wgan: weights(CRITIC, 200) };
  const names = { vae: 'VAE', wgan: 'WGAN-GP' };
  const losses = tellusLosses();
  const mine: Record<string, Values> = {};
  for (const which of ['vae', 'wgan'] as const) {
    const p = tlParams(hosts[which]);
    const [loss, grads] = tl.valueAndGrad(losses[which])(p) as [tl.Tensor, P];
    mine[which] = { loss: await loss.data() };
    for (const k of COMPARED[which]) mine[which][k] = await grads[k]!.data();
    for (const t of [loss, ...Object.values(grads), ...Object.values(p)]) t.dispose();
  }
  losses.dispose();
  if (jax) {
    const jl = jaxLosses(jax);
    for (const which of ['vae', 'wgan'] as const) {
      const [loss, grads] = jax.valueAndGrad(jl[which])(jaxParams(jax, hosts[which]));
      const got: Values = { loss: await loss.data() };
      for (const k of COMPARED[which]) got[k] = await grads[k].data();
      check(`${names[which]} jax-js vs Tellus`, got, mine[which]!);
    }
  }
  if (tf) {
    const tfl = tfLosses(tf);
    for (const which of ['vae', 'wgan'] as const) {
      const keys = Object.keys(hosts[which]);
      const p = keys.map((k) => toNhwc(tf, hosts[which][k]!));
      let out: { value: TfTensor; grads: TfTensor[] };
      try {
        out = tf.valueAndGrads((...ts: TfTensor[]) => tfl[which](Object.fromEntries(keys.map((k, i) => [k, ts[i]!]))))(p);
      } catch (e) {
        notes.push(`${names[which]} tfjs n/a (${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      const got: Values = { loss: await out.value.data() };
      for (const k of COMPARED[which]) {
        const g = out.grads[keys.indexOf(k)]!;
        // Back from [KH, KW, C, O] to [O, C, KH, KW].
        got[k] = await (g.rank === 4 ? tf.transpose(g, [3, 2, 0, 1]) : g).data();
      }
      check(`${names[which]} tfjs vs Tellus`, got, mine[which]!);
    }
  }
  return notes.join(', ');
}
