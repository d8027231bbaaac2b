// Generative priors (src/nn/generative.ts): the VAE's KL term against its closed form (float64,
// written here) and a Monte Carlo estimate, the reparameterized ELBO's gradient by Taylor tests,
// and WGAN-GP's gradient penalty and its parameter gradient (a double backward through Conv2d and
// LeakyReLU) against a float64 critic written here with hand-written backprop and central
// finite differences. Tiny sizes: 8x8 images, two stride-2 levels.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';
import { solveDense } from './numerics.js';

const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Number);

describe('VAE: KL term and ELBO gradient', () => {
  useDevice();

  it('gaussianKl matches the closed form in float64 and a Monte Carlo estimate through reparameterize', async () => {
    const g = rng();
    const [n, l] = [5, 7];
    const mu = randomFloats(g, n * l, -1.5, 1.5);
    const lv = randomFloats(g, n * l, -2, 1);
    const got = await tl.gaussianKl(tl.tensor(mu, { shape: [n, l] }), tl.tensor(lv, { shape: [n, l] })).data();
    for (let i = 0; i < n; i++) {
      let want = 0;
      for (let j = 0; j < l; j++) {
        const [m, v] = [mu[i * l + j]!, lv[i * l + j]!];
        want += 0.5 * (m * m + Math.exp(v) - 1 - v);
      }
      // float32 exp and a 7-term sum: a few ulps.
      expect(Math.abs(got[i]! - want), `seed ${g.seed}: sample ${i}`).toBeLessThan(2e-6 * Math.max(1, want));
    }
    // KL = E_q[log q(z) - log p(z)], z = mu + sigma eps drawn on the device: S samples of one row.
    const S = 20000;
    const row = 2;
    const muS = tl.tensor(
      new Float32Array(S * l).map((_, k) => mu[row * l + (k % l)]!),
      { shape: [S, l] },
    );
    const lvS = tl.tensor(
      new Float32Array(S * l).map((_, k) => lv[row * l + (k % l)]!),
      { shape: [S, l] },
    );
    const z = await tl.reparameterize(muS, lvS, tl.randn([S, l], { seed: g.seed })).data();
    const terms = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      let t = 0;
      for (let j = 0; j < l; j++) {
        const [m, v, zz] = [mu[row * l + j]!, lv[row * l + j]!, z[s * l + j]!];
        t += -0.5 * (v + (zz - m) ** 2 / Math.exp(v)) + 0.5 * zz * zz;
      }
      terms[s] = t;
    }
    const mc = terms.reduce((a, b) => a + b, 0) / S;
    const sd = Math.sqrt(terms.reduce((a, b) => a + (b - mc) ** 2, 0) / (S - 1));
    // Four standard errors: a correct KL fails this with probability ~6e-5 (and the seed is fixed).
    expect(Math.abs(mc - got[row]!), `seed ${g.seed}: MC ${mc} ± ${sd / Math.sqrt(S)}, closed form ${got[row]}`).toBeLessThan(
      (4 * sd) / Math.sqrt(S),
    );
  });

  it('the reparameterized negative ELBO passes Taylor tests in encoder and decoder weights (both likelihoods)', async () => {
    const g = rng();
    const vae = new tl.VAE({ size: 8, depth: 2, width: 2, latent: 3, seed: g.seed % 1000 });
    const x = tl.tensor(randomFloats(g, 2 * 64, 0, 1), { shape: [2, 1, 8, 8] });
    const eps = tl.randn([2, 3], { seed: g.seed });
    const params = vae.parameters();
    for (const likelihood of ['bernoulli', 'gaussian'] as const) {
      // The encoder's head makes (mu, log sigma^2), so its weights test the reparameterization path;
      // the first encoder convs sit behind LeakyReLU kinks that a Taylor step of 0.01 crosses (their
      // gradients are checked against float64 in the gradient-penalty test below).
      for (const name of ['encoder.head.weight', 'encoder.head.bias', 'decoder.stem.weight', 'decoder.convs.2.weight']) {
        const r = await tl.taylorTest((w) => vaeLossAt(vae, { ...params, [name]: w }, x, eps, likelihood), params[name]!, {
          seed: g.seed,
        });
        expect(r.passed, `seed ${g.seed}: ${likelihood} ${name}: ${r.message}`).toBe(true);
      }
    }
    // The terms add up: loss = recon + beta KL.
    const t = tl.vaeLoss(vae, params, x, eps, { beta: 0.25 });
    const [loss, recon, kl] = await Promise.all([t.loss.item(), t.recon.item(), t.kl.item()]);
    expect(Math.abs(loss - (recon + 0.25 * kl))).toBeLessThan(1e-5 * Math.abs(loss));
    expect(kl).toBeGreaterThan(0);
  });

  it('shapes and bad input', () => {
    const vae = new tl.VAE({ size: 16, depth: 2, width: 2, latent: 5, seed: 1 });
    const x = tl.zeros([3, 1, 16, 16]);
    const [mu, lv] = vae.encode(x);
    expect(mu.shape).toEqual([3, 5]);
    expect(lv.shape).toEqual([3, 5]);
    expect(vae.decode(mu).shape).toEqual([3, 1, 16, 16]);
    expect(vae.forward(x).shape).toEqual([3, 1, 16, 16]);
    expect(() => new tl.VAE({ size: 12, depth: 3 })).toThrow(/VAE\(opts\).*opts\.size.*multiple of 2\^depth = 8.*12/);
    expect(() => new tl.VAE({ latnt: 4 } as tl.VAEOptions)).toThrow(/latnt.*latent/);
    expect(() => vae.encode(tl.zeros([3, 1, 8, 8]))).toThrow(/ConvEncoder\.forward\(x\).*\[N, 1, 16, 16\].*\[3, 1, 8, 8\]/);
    expect(() => tl.gaussianKl(mu, tl.zeros([3, 4]))).toThrow(/gaussianKl\(mu, logVar\).*logVar.*\[3, 5\]/);
    expect(() => tl.vaeLoss(vae, vae.parameters(), x, tl.zeros([3, 5]), { beta: -1 })).toThrow(/opts\.beta.*>= 0.*-1/);
    expect(() => tl.gradientPenalty((y) => y, x, x, tl.zeros([2]))).toThrow(/gradientPenalty.*t: expected a tensor \[3\]/);
  });
});

function vaeLossAt(vae: tl.VAE, p: tl.NamedTensors, x: tl.Tensor, eps: tl.Tensor, likelihood: 'bernoulli' | 'gaussian'): tl.Tensor {
  return tl.vaeLoss(vae, p, x, eps, { likelihood }).loss;
}

// ---- A float64 critic: conv 4x4 / stride 2 / padding 1 + LeakyReLU, twice, then a Linear to 1. ----

interface HostConv {
  w: Float64Array;
  b: Float64Array;
  o: number;
  c: number;
}
interface HostCritic {
  convs: HostConv[];
  lw: Float64Array;
  lb: number;
}
const SLOPE = 0.2;

function conv(x: Float64Array, c: number, n: number, L: HostConv): Float64Array {
  const m = n / 2;
  const y = new Float64Array(L.o * m * m);
  for (let o = 0; o < L.o; o++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = L.b[o]!;
        for (let ci = 0; ci < c; ci++)
          for (let a = 0; a < 4; a++)
            for (let b = 0; b < 4; b++) {
              const [yy, xx] = [2 * i - 1 + a, 2 * j - 1 + b];
              if (yy >= 0 && yy < n && xx >= 0 && xx < n) s += L.w[((o * c + ci) * 4 + a) * 4 + b]! * x[(ci * n + yy) * n + xx]!;
            }
        y[(o * m + i) * m + j] = s;
      }
  return y;
}

/** The transpose of conv (without bias) applied to gy: the input gradient. */
function convT(gy: Float64Array, c: number, n: number, L: HostConv): Float64Array {
  const m = n / 2;
  const gx = new Float64Array(c * n * n);
  for (let o = 0; o < L.o; o++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++)
        for (let ci = 0; ci < c; ci++)
          for (let a = 0; a < 4; a++)
            for (let b = 0; b < 4; b++) {
              const [yy, xx] = [2 * i - 1 + a, 2 * j - 1 + b];
              if (yy >= 0 && yy < n && xx >= 0 && xx < n)
                gx[(ci * n + yy) * n + xx]! += L.w[((o * c + ci) * 4 + a) * 4 + b]! * gy[(o * m + i) * m + j]!;
            }
  return gx;
}

/** ∇_x D(x) for one image [1, n, n] by backprop through the two levels. */
function criticInputGrad(D: HostCritic, x: Float64Array, n: number): Float64Array {
  const pre: Float64Array[] = [];
  let h: Float64Array = x;
  let [c, side] = [1, n];
  for (const L of D.convs) {
    const z = conv(h, c, side, L);
    pre.push(z);
    h = z.map((v) => (v > 0 ? v : SLOPE * v));
    [c, side] = [L.o, side / 2];
  }
  let g: Float64Array = Float64Array.from(D.lw);
  for (let k = D.convs.length - 1; k >= 0; k--) {
    const z = pre[k]!;
    g = g.map((v, i) => (z[i]! > 0 ? v : SLOPE * v));
    const L = D.convs[k]!;
    side *= 2;
    g = convT(g, L.c, side, L);
  }
  return g;
}

function hostPenalty(D: HostCritic, real: Float64Array, fake: Float64Array, t: Float64Array, n: number): number {
  const per = n * n;
  let s = 0;
  for (let i = 0; i < t.length; i++) {
    const xh = new Float64Array(per).map((_, k) => t[i]! * real[i * per + k]! + (1 - t[i]!) * fake[i * per + k]!);
    const gx = criticInputGrad(D, xh, n);
    s += (Math.sqrt(gx.reduce((a, v) => a + v * v, 0) + 1e-12) - 1) ** 2;
  }
  return s / t.length;
}

describe('WGAN-GP gradient penalty', () => {
  useDevice();

  it('the penalty and its parameter gradient (double backward) match a float64 critic and central differences', async () => {
    const g = rng();
    const n = 8;
    const critic = new tl.ConvEncoder(1, { size: n, depth: 2, width: 2, seed: g.seed % 1000 });
    const params = critic.parameters();
    const host = async (p: tl.NamedTensors): Promise<HostCritic> => ({
      convs: await Promise.all(
        [0, 1].map(async (k) => ({
          w: f64(await p[`convs.${k}.weight`]!.data()),
          b: f64(await p[`convs.${k}.bias`]!.data()),
          o: p[`convs.${k}.weight`]!.shape[0]!,
          c: p[`convs.${k}.weight`]!.shape[1]!,
        })),
      ),
      lw: f64(await p['head.weight']!.data()),
      lb: (await p['head.bias']!.data())[0]!,
    });
    const B = 3;
    const real = randomFloats(g, B * n * n, 0, 1);
    const fake = randomFloats(g, B * n * n, 0, 1);
    const t = randomFloats(g, B, 0, 1);
    const [R, F, T] = [tl.tensor(real, { shape: [B, 1, n, n] }), tl.tensor(fake, { shape: [B, 1, n, n] }), tl.tensor(t)];
    const gp = (p: tl.NamedTensors): tl.Tensor => tl.gradientPenalty((x) => critic.call(p, x), R, F, T);
    const [value, grads] = tl.valueAndGrad(gp)(params);
    const D = await host(params);
    const want = hostPenalty(D, f64(real), f64(fake), f64(t), n);
    // float32 convs and sums over <= 64 terms: 1e-5 relative.
    expect(Math.abs((await value.item()) - want), `seed ${g.seed}: penalty`).toBeLessThan(1e-5 * Math.max(1, want));
    // Central differences of the float64 penalty in a few weights of each layer, h = 1e-6: the
    // truncation error is O(h^2) and a LeakyReLU kink is crossed with probability ~1e-5.
    const h = 1e-6;
    let scale = 0;
    const checks: [string, number, number][] = [];
    for (const name of ['convs.0.weight', 'convs.0.bias', 'convs.1.weight', 'head.weight']) {
      const gv = await (grads[name] as tl.Tensor).data();
      scale = Math.max(scale, ...Array.from(gv, Math.abs));
      for (const k of [0, Math.floor(gv.length / 2), gv.length - 1]) {
        const shifted = (d: number): HostCritic => {
          const c = structuredClone(D);
          const arr = name === 'head.weight' ? c.lw : name.endsWith('weight') ? c.convs[Number(name[6])]!.w : c.convs[Number(name[6])]!.b;
          arr[k] = arr[k]! + d;
          return c;
        };
        const fd =
          (hostPenalty(shifted(h), f64(real), f64(fake), f64(t), n) - hostPenalty(shifted(-h), f64(real), f64(fake), f64(t), n)) / (2 * h);
        checks.push([`${name}[${k}]`, gv[k]!, fd]);
      }
    }
    // float32 gradients: 2e-4 of the largest gradient entry.
    for (const [what, got, fd] of checks)
      expect(Math.abs(got - fd), `seed ${g.seed}: ${what}: ${got} vs FD ${fd}`).toBeLessThan(2e-4 * scale);
    // The critic loss adds the Wasserstein term: lambda 0 leaves only it.
    const w0 = await tl.criticLoss((x) => critic.forward(x), R, F, T, 0).item();
    const w10 = await tl.criticLoss((x) => critic.forward(x), R, F, T).item();
    expect(Math.abs(w10 - w0 - 10 * want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(w10)));
  });

  it('the critic loss with its penalty passes a Taylor test in the first conv weight', async () => {
    const g = rng();
    const critic = new tl.ConvEncoder(1, { size: 8, depth: 2, width: 2, seed: (g.seed % 1000) + 7 });
    const params = critic.parameters();
    const [R, F] = [tl.rand([2, 1, 8, 8], { seed: g.seed }), tl.rand([2, 1, 8, 8], { seed: g.seed + 1 })];
    const T = tl.rand([2], { seed: g.seed + 2 });
    const r = await tl.taylorTest(
      (w) => tl.criticLoss((x) => critic.call({ ...params, 'convs.0.weight': w }, x), R, F, T),
      params['convs.0.weight']!,
      { seed: g.seed },
    );
    expect(r.passed, `seed ${g.seed}: ${r.message}`).toBe(true);
  });
});

describe('latentInversion', () => {
  useDevice();

  it('with a linear generator and forward map, every restart reaches the closed-form MAP z*', async () => {
    // G(z) = A z, F(m) = B m: the objective is quadratic, z* = (K^T K / s^2 + lambda I)^-1 K^T d / s^2 with K = B A.
    const g = rng();
    const [l, nm, nd, s, lambda] = [3, 6, 8, 0.5, 0.7];
    const A = randomFloats(g, nm * l);
    const B = randomFloats(g, nd * nm);
    const d = randomFloats(g, nd, -2, 2);
    const K = new Float64Array(nd * l);
    for (let i = 0; i < nd; i++) for (let j = 0; j < l; j++) for (let k = 0; k < nm; k++) K[i * l + j]! += B[i * nm + k]! * A[k * l + j]!;
    const H = new Float64Array(l * l);
    const rhs = new Float64Array(l);
    for (let a = 0; a < l; a++) {
      for (let i = 0; i < nd; i++) rhs[a]! += (K[i * l + a]! * d[i]!) / s ** 2;
      for (let b = 0; b < l; b++) {
        for (let i = 0; i < nd; i++) H[a * l + b]! += (K[i * l + a]! * K[i * l + b]!) / s ** 2;
        if (a === b) H[a * l + b]! += lambda;
      }
    }
    const want = solveDense(H, rhs);
    const At = tl.tensor(A, { shape: [nm, l] });
    const Bt = tl.tensor(B, { shape: [nd, nm] });
    const r = await tl.latentInversion(
      (z) => tl.matmul(z, tl.transpose(At)),
      (m) => tl.matmul(m, tl.transpose(Bt)),
      tl.tensor(d),
      l,
      { restarts: 3, iterations: 200, lr: tl.cosineDecay(0.1, 200, 1e-4), lambda, noiseStd: s, seed: g.seed % 1000, readEvery: 50 },
    );
    const z = await r.z.data();
    // Adam with a step decaying to 1e-4 ends within 1e-2 of the minimum of this well-conditioned quadratic.
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < l; j++) expect(Math.abs(z[k * l + j]! - want[j]!), `seed ${g.seed}: restart ${k}, z[${j}]`).toBeLessThan(1e-2);
    expect(r.history.map((h) => h.iteration)).toEqual([50, 100, 150, 200]);
    expect(r.models.shape).toEqual([3, nm]);
    expect(r.chi.every((c) => Number.isFinite(c) && c >= 0)).toBe(true);
    await expect(
      tl.latentInversion(
        (z) => z,
        (m) => m,
        tl.tensor(d),
        l,
        { restart: 2 } as tl.LatentInversionOptions,
      ),
    ).rejects.toThrow(/restart.*restarts/);
    await expect(
      tl.latentInversion(
        (z) => z,
        (m) => m,
        tl.tensor(d),
        l,
        { restarts: 2, iterations: 1 },
      ),
    ).rejects.toThrow(/forward returned shape \[2, 3\], expected \[2, 8\]/);
  });
});
