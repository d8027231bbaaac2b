// FFT, spectral convolution and FNO benchmarks, the same computation in Tellus, @jax-js/jax (its
// np.fft) and TensorFlow.js (tf.spectral, 1-D transforms on the innermost axis, so a 2-D one is two
// transforms and two transposes). Sizes: FFT2 of a 32x64x64 complex batch; rfft2 then irfft2 of a
// 32x64x64 real batch; SpectralConv2d 16 -> 16 channels, 12x12 modes, batch 8 at 64x64, forward and
// the gradient of sum(y^2) in both weight tensors; one Adam step of an FNO2d (width 16, 8x8 modes,
// 2 Fourier layers, projection 32) on a batch of 8 at 32x32.
import type * as tfCore from '@tensorflow/tfjs-core';
import * as tl from '../src/index.js';
import type { Case } from './harness.js';
import { jaxAdamUpdate } from './jax.js';

type Jax = any;
type Tf = typeof tfCore;
type TfTensor = tfCore.Tensor;

export const SPECTRAL_CASES = {
  fft2: 'fft2 of 32x64x64 complex',
  roundTrip: 'rfft2 + irfft2 of 32x64x64',
  spectralConv: 'SpectralConv2d fwd + grad, 8x16x64x64, 12x12 modes',
  fno: 'FNO2d Adam step, 8x1x32x32, width 16',
} as const;

const SC = { batch: 8, ch: 16, n: 64, m: 12 };
const FNO = { batch: 8, n: 32, width: 16, m: 8, layers: 2, hidden: 32 };

/** Deterministic values in [-1, 1), the same in every library. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1);
}

export function tellusSpectralCases(): Record<string, Case> {
  return {
    [SPECTRAL_CASES.fft2]: async (state) => {
      state.z ??= tl.tensor(values(32 * 64 * 64 * 2, 1), { shape: [32, 64, 64, 2] });
      const y = tl.fft2(state.z);
      await y.data();
      y.dispose();
    },
    [SPECTRAL_CASES.roundTrip]: async (state) => {
      state.x ??= tl.tensor(values(32 * 64 * 64, 2), { shape: [32, 64, 64] });
      const y = tl.tidy(() => tl.irfft2(tl.rfft2(state.x), { s: [64, 64] }));
      await y.data();
      y.dispose();
    },
    [SPECTRAL_CASES.spectralConv]: async (state) => {
      if (!state.layer) {
        state.x = tl.tensor(values(SC.batch * SC.ch * SC.n * SC.n, 3), { shape: [SC.batch, SC.ch, SC.n, SC.n] });
        state.layer = new tl.SpectralConv2d(SC.ch, SC.ch, SC.m, SC.m, { seed: 4 });
        state.vg = tl.valueAndGrad((p: tl.NamedTensors) => tl.sum(tl.square(state.layer.call(p, state.x))));
      }
      const [loss, grads] = state.vg(state.layer.parameters()) as [tl.Tensor, tl.NamedTensors];
      await loss.data();
      for (const g of [loss, ...Object.values(grads)]) g.dispose();
    },
    [SPECTRAL_CASES.fno]: async (state) => {
      if (!state.model) {
        state.x = tl.tensor(values(FNO.batch * FNO.n * FNO.n, 5), { shape: [FNO.batch, 1, FNO.n, FNO.n] });
        state.y = tl.tensor(values(FNO.batch * FNO.n * FNO.n, 6), { shape: [FNO.batch, 1, FNO.n, FNO.n] });
        state.model = new tl.FNO2d({
          inChannels: 1,
          outChannels: 1,
          modes1: FNO.m,
          modes2: FNO.m,
          width: FNO.width,
          layers: FNO.layers,
          projection: FNO.hidden,
          seed: 7,
        });
        state.params = state.model.parameters();
        state.opt = new tl.Adam({ lr: 1e-3 });
        state.vg = tl.valueAndGrad((p: tl.NamedTensors) => tl.mean(tl.square(tl.sub(state.model.call(p, state.x), state.y))));
      }
      const [loss, grads] = state.vg(state.params) as [tl.Tensor, tl.NamedTensors];
      state.opt.step(state.params, grads);
      await loss.data();
      for (const g of [loss, ...Object.values(grads)]) g.dispose();
    },
  };
}

// ---- jax-js: arrays are consumed by every op, so reused ones are passed as `.ref` ----

/** SpectralConv2d in jax-js ops: rfft2, both row blocks of modes, complex channel mixing, irfft2. */
function jaxSpectral(jax: Jax, x: Jax, w: Record<string, Jax>, m: number, h: number, wid: number): Jax {
  const np = jax.numpy;
  const X = np.fft.rfft2(x);
  const wh = wid / 2 + 1;
  const block = (a: Jax, r0: number, r1: number): Jax => a.slice([], [], [r0, r1], [0, m]);
  const [tr, ti, br, bi] = [block(X.real.ref, 0, m), block(X.imag.ref, 0, m), block(X.real, h - m, h), block(X.imag, h - m, h)];
  // sum_c a[b, c, i, j] w[c, o, i, j] by broadcasting (jax-js's einsum needs iterator helpers, which Node 20 lacks).
  const contract = (a: Jax, w: Jax): Jax => {
    const [bb, c, i, j] = a.shape;
    return np.sum(a.reshape([bb, c, 1, i, j]).mul(w.reshape([1, c, -1, i, j])), 1);
  };
  const mix = (ar: Jax, ai: Jax, wr: Jax, wi: Jax): [Jax, Jax] => [
    contract(ar.ref, wr.ref).sub(contract(ai.ref, wi.ref)),
    contract(ar, wi).add(contract(ai, wr)),
  ];
  const [topR, topI] = mix(tr, ti, w.w1r, w.w1i);
  const [botR, botI] = mix(br, bi, w.w2r, w.w2i);
  const [b, o] = topR.shape;
  const spectrum = (top: Jax, bot: Jax): Jax =>
    np.pad(np.concatenate([top, np.zeros([b, o, h - 2 * m, m]), bot], 2), [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, wh - m],
    ]);
  return np.fft.irfft2({ real: spectrum(topR, botR), imag: spectrum(topI, botI) });
}

/** Pointwise (1x1) convolution [b, c, h, w] x [c, o] + [o], as a matmul over the channel axis. */
const jaxPointwise = (np: Jax, x: Jax, w: Jax, bias: Jax): Jax =>
  np.transpose(np.matmul(np.transpose(x, [0, 2, 3, 1]), w), [0, 3, 1, 2]).add(bias.reshape([1, -1, 1, 1]));

function jaxSpectralWeights(jax: Jax, cin: number, cout: number, m: number, seed: number): Record<string, Jax> {
  const scale = 1 / (cin * cout);
  const w: Record<string, Jax> = {};
  ['w1r', 'w1i', 'w2r', 'w2i'].forEach(
    (k, i) => (w[k] = jax.random.uniform(jax.random.key(seed + i), [cin, cout, m, m], { minval: 0, maxval: scale })),
  );
  return w;
}

export function jaxSpectralCases(jax: Jax): Record<string, Case> {
  const np = jax.numpy;
  return {
    [SPECTRAL_CASES.fft2]: async (state) => {
      state.re ??= np.array(values(32 * 64 * 64, 11)).reshape([32, 64, 64]);
      state.im ??= np.array(values(32 * 64 * 64, 12)).reshape([32, 64, 64]);
      const y = np.fft.fft2({ real: state.re.ref, imag: state.im.ref });
      await y.real.data();
      await y.imag.data();
    },
    [SPECTRAL_CASES.roundTrip]: async (state) => {
      state.x ??= np.array(values(32 * 64 * 64, 2)).reshape([32, 64, 64]);
      await np.fft.irfft2(np.fft.rfft2(state.x.ref)).data();
    },
    [SPECTRAL_CASES.spectralConv]: async (state) => {
      if (!state.w) {
        state.x = np.array(values(SC.batch * SC.ch * SC.n * SC.n, 3)).reshape([SC.batch, SC.ch, SC.n, SC.n]);
        state.w = jaxSpectralWeights(jax, SC.ch, SC.ch, SC.m, 20);
        state.vg = jax.valueAndGrad((w: Record<string, Jax>) => np.square(jaxSpectral(jax, state.x.ref, w, SC.m, SC.n, SC.n)).sum());
      }
      const [loss, grads] = state.vg(jax.tree.ref(state.w));
      await jax.blockUntilReady(grads);
      await loss.data();
    },
    [SPECTRAL_CASES.fno]: async (state) => {
      if (!state.p) {
        const { batch, n, width, m, layers, hidden } = FNO;
        state.x = np.array(values(batch * n * n, 5)).reshape([batch, 1, n, n]);
        state.y = np.array(values(batch * n * n, 6)).reshape([batch, 1, n, n]);
        const grid = new Float32Array(batch * 2 * n * n);
        for (let b = 0; b < batch; b++)
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              grid[(b * 2 * n + i) * n + j] = j / n;
              grid[((b * 2 + 1) * n + i) * n + j] = i / n;
            }
        state.grid = np.array(grid).reshape([batch, 2, n, n]);
        const dense = (cin: number, cout: number, seed: number): [Jax, Jax] => {
          const lim = 1 / Math.sqrt(cin);
          return [jax.random.uniform(jax.random.key(seed), [cin, cout], { minval: -lim, maxval: lim }), np.zeros([cout])];
        };
        const p: Record<string, Jax> = {};
        [p.liftW, p.liftB] = dense(3, width, 30);
        for (let k = 0; k < layers; k++) {
          for (const [name, v] of Object.entries(jaxSpectralWeights(jax, width, width, m, 40 + 10 * k))) p[`s${k}${name}`] = v;
          [p[`pw${k}W`], p[`pw${k}B`]] = dense(width, width, 45 + 10 * k);
        }
        [p.p1W, p.p1B] = dense(width, hidden, 80);
        [p.p2W, p.p2B] = dense(hidden, 1, 81);
        state.p = p;
        state.m = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, np.zeros(v.shape)]));
        state.v = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, np.zeros(v.shape)]));
        state.t = 0;
        state.vg = jax.valueAndGrad((q: Record<string, Jax>) => {
          let h = jaxPointwise(np, np.concatenate([state.x.ref, state.grid.ref], 1), q.liftW, q.liftB);
          for (let k = 0; k < layers; k++) {
            const w = { w1r: q[`s${k}w1r`], w1i: q[`s${k}w1i`], w2r: q[`s${k}w2r`], w2i: q[`s${k}w2i`] };
            h = jaxSpectral(jax, h.ref, w, m, n, n).add(jaxPointwise(np, h, q[`pw${k}W`], q[`pw${k}B`]));
            if (k < layers - 1) h = jax.nn.gelu(h, { approximate: false });
          }
          const out = jaxPointwise(np, jax.nn.gelu(jaxPointwise(np, h, q.p1W, q.p1B), { approximate: false }), q.p2W, q.p2B);
          return np.square(out.sub(state.y.ref)).mean();
        });
      }
      const [loss, grads] = state.vg(jax.tree.ref(state.p));
      jaxAdamUpdate(jax, state, grads);
      await jax.blockUntilReady(state.p);
      await loss.data();
    },
  };
}

// ---- TensorFlow.js ----

/** 2-D transform of the last two axes of a complex tensor: along W, then along H through a transpose. */
function tfFft2(tf: Tf, z: TfTensor, inverse = false): TfTensor {
  const f = inverse ? tf.spectral.ifft : tf.spectral.fft;
  const perm = [...Array(z.rank).keys()];
  [perm[z.rank - 2], perm[z.rank - 1]] = [perm[z.rank - 1]!, perm[z.rank - 2]!];
  return tf.transpose(f(tf.transpose(f(z), perm)), perm);
}

export function tfjsSpectralCases(tf: Tf): Record<string, Case> {
  const read = async (y: TfTensor): Promise<void> => {
    await y.data();
    y.dispose();
  };
  // tfjs-core registers no gradient for its FFT kernels: say so rather than time something else.
  const noFftGradient = async (): Promise<void> => {
    const missing = ['FFT', 'IFFT', 'RFFT', 'IRFFT'].filter((k) => !tf.getGradient(k));
    if (missing.length) throw new Error(`tfjs has no gradient for ${missing.join(', ')}`);
    throw new Error('not written for tfjs');
  };
  return {
    [SPECTRAL_CASES.fft2]: async (state) => {
      state.z ??= tf.complex(tf.tensor(values(32 * 64 * 64, 11), [32, 64, 64]), tf.tensor(values(32 * 64 * 64, 12), [32, 64, 64]));
      await read(tf.tidy(() => tfFft2(tf, state.z)));
    },
    [SPECTRAL_CASES.roundTrip]: async (state) => {
      state.x ??= tf.tensor(values(32 * 64 * 64, 2), [32, 64, 64]);
      await read(
        tf.tidy(() => {
          // rfft along W, full fft along H; then the inverse in the reverse order.
          const half = tf.spectral.rfft(state.x);
          const t = tf.transpose(tf.spectral.fft(tf.transpose(half, [0, 2, 1])), [0, 2, 1]);
          const back = tf.transpose(tf.spectral.ifft(tf.transpose(t, [0, 2, 1])), [0, 2, 1]);
          return tf.spectral.irfft(back);
        }),
      );
    },
    [SPECTRAL_CASES.spectralConv]: noFftGradient,
    [SPECTRAL_CASES.fno]: noFftGradient,
  };
}

/** 2-D DFT over the last two axes in float64, directly (the inputs here are small). */
function dft2(re: Float32Array, im: Float32Array, b: number, n: number): Float64Array {
  const out = new Float64Array(2 * b * n * n);
  for (let s = 0; s < b; s++)
    for (let k = 0; k < n; k++)
      for (let l = 0; l < n; l++) {
        let sr = 0;
        let si = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            const a = (-2 * Math.PI * (((k * i) % n) * n + ((l * j) % n) * n)) / (n * n);
            const [c, d] = [Math.cos(a), Math.sin(a)];
            const q = (s * n + i) * n + j;
            sr += re[q]! * c - im[q]! * d;
            si += re[q]! * d + im[q]! * c;
          }
        out[2 * ((s * n + k) * n + l)] = sr;
        out[2 * ((s * n + k) * n + l) + 1] = si;
      }
  return out;
}

/**
 * Before timing: each library's FFT2 against a float64 DFT, and Tellus's SpectralConv2d against the
 * jax-js one with the same weights, so the table compares the same computation. A relative L2
 * difference above 1e-3 means a different transform (not float32 round-off) and throws.
 */
export async function checkSpectralAgreement(jax: Jax | null, tf: Tf | null): Promise<string> {
  const [b, n] = [2, 16];
  const re = values(b * n * n, 91);
  const im = values(b * n * n, 92);
  const interleave = (r: ArrayLike<number>, i: ArrayLike<number>): Float32Array =>
    Float32Array.from({ length: 2 * r.length }, (_, k) => (k % 2 ? i[(k - 1) / 2]! : r[k / 2]!));
  const exact = dft2(re, im, b, n);
  const relErr = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
    let e = 0;
    let s = 0;
    for (let i = 0; i < want.length; i++) {
      e += (got[i]! - want[i]!) ** 2;
      s += want[i]! ** 2;
    }
    return Math.sqrt(e / s);
  };
  const notes: string[] = [];
  const check = (what: string, err: number): void => {
    notes.push(`${what} ${err.toExponential(1)}`);
    if (!(err < 1e-3)) throw new Error(`${what}: relative L2 difference ${err.toExponential(2)}, expected < 1e-3`);
  };
  check('fft2 Tellus vs float64 DFT', relErr(await tl.fft2(tl.tensor(interleave(re, im), { shape: [b, n, n, 2] })).data(), exact));
  if (jax) {
    const np = jax.numpy;
    const y = np.fft.fft2({ real: np.array(re).reshape([b, n, n]), imag: np.array(im).reshape([b, n, n]) });
    check('jax-js', relErr(interleave(await y.real.data(), await y.imag.data()), exact));
  }
  if (tf) {
    // A peer that cannot run the transform at all is reported, not counted as a disagreement.
    let got: Float32Array | null = null;
    try {
      const y = tf.tidy(() => tfFft2(tf, tf.complex(tf.tensor(re, [b, n, n]), tf.tensor(im, [b, n, n]))));
      const [yr, yi] = [tf.real(y), tf.imag(y)];
      got = interleave(await yr.data(), await yi.data());
      for (const t of [y, yr, yi]) t.dispose();
    } catch (e) {
      notes.push(`tfjs fft2 failed (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
    }
    if (got) check('tfjs', relErr(got, exact));
  }
  if (jax) {
    // SpectralConv2d with the same weights: Tellus's [in, out, m, m, 2] from jax-js's four blocks.
    const np = jax.numpy;
    const [c, m, h] = [3, 4, 16];
    const x = values(b * c * h * h, 93);
    const w = jaxSpectralWeights(jax, c, c, m, 94);
    const host = Object.fromEntries(await Promise.all(Object.entries(w).map(async ([k, v]) => [k, await v.ref.data()])));
    const layer = new tl.SpectralConv2d(c, c, m, m);
    layer.weights1.dispose();
    layer.weights2.dispose();
    layer.weights1 = tl.tensor(interleave(host.w1r, host.w1i), { shape: [c, c, m, m, 2] });
    layer.weights2 = tl.tensor(interleave(host.w2r, host.w2i), { shape: [c, c, m, m, 2] });
    const mine = await layer.forward(tl.tensor(x, { shape: [b, c, h, h] })).data();
    const theirs = await jaxSpectral(jax, np.array(x).reshape([b, c, h, h]), w, m, h, h).data();
    check('SpectralConv2d Tellus vs jax-js', relErr(mine, theirs));
  }
  return notes.join(', ');
}
