// Uncertainty quantification (src/inverse/uq): the heteroscedastic losses against float64 formulas
// and their gradients (Taylor test; beta-NLL's detached weight against its hand-derived gradient),
// MC dropout off and on (a Linear layer after input dropout: the exact mean and variance of
// inverted dropout), the law of total variance of ensembles, and coverage / ECE of synthetic
// Gaussian predictions with a known calibration. Monte Carlo tolerances are 4 standard errors.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { randomFloats, rng, useDevice, type Gen } from './helpers.js';
import { maxErr } from './numerics.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const bound = (r: number, lo: number, hi: number): number => lo + softplus(r - lo) - softplus(r - hi);
/** Standard normal samples by Box-Muller from the test's seeded generator. */
const normals = (g: Gen, n: number): Float64Array =>
  Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next()));
/** Phi(x) by the erf series / continued fraction is overkill here: A&S 7.1.26 (|error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

async function scalar(t: tl.Tensor): Promise<number> {
  const v = await t.item();
  t.dispose();
  return v;
}

describe('uq losses', () => {
  useDevice();
  const shape = [2, 3, 4, 5];
  const n = 120;
  const data = (g: Gen) => {
    const [mu, lv, y] = [randomFloats(g, n, -2, 2), randomFloats(g, n, -3, 2), randomFloats(g, n, -2, 2)];
    return { mu, lv, y, t: [mu, lv, y].map((a) => tl.tensor(a, { shape })) as [tl.Tensor, tl.Tensor, tl.Tensor] };
  };
  const elem = (mu: number, lv: number, y: number): number => 0.5 * (lv + (y - mu) ** 2 * Math.exp(-lv));

  it('gaussianNll and betaNll match float64 (with and without the constant; beta 0 is the NLL)', async () => {
    const g = rng();
    const { mu, lv, y, t } = data(g);
    let [nll, b05, b1] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const e = elem(mu[i]!, lv[i]!, y[i]!);
      nll += e / n;
      b05 += (Math.exp(0.5 * lv[i]!) * (e + HALF_LOG_2PI)) / n;
      b1 += (Math.exp(lv[i]!) * e) / n;
    }
    // float32 exp and a mean of 120 terms: relative 1e-5.
    const near = (got: number, want: number, what: string) =>
      expect(Math.abs(got - want), `seed ${g.seed}: ${what}: ${got} vs ${want}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    near(await scalar(tl.gaussianNll(...t)), nll + HALF_LOG_2PI, 'gaussianNll');
    near(await scalar(tl.gaussianNll(...t, { constant: false })), nll, 'gaussianNll without the constant');
    near(await scalar(tl.betaNll(...t, 0)), nll + HALF_LOG_2PI, 'betaNll(beta 0)');
    near(await scalar(tl.betaNll(...t)), b05, 'betaNll(beta 0.5)');
    near(await scalar(tl.betaNll(...t, 1, { constant: false })), b1, 'betaNll(beta 1) without the constant');
    for (const x of t) x.dispose();
  });

  it('gaussianNll passes a Taylor test in mean and logVar; betaNll has the gradient of its detached weight', async () => {
    const g = rng();
    const { mu, lv, y, t } = data(g);
    const [M, L, Y] = t;
    for (const [name, f, x] of [
      ['mean', (m: tl.Tensor) => tl.gaussianNll(m, L, Y), M],
      ['logVar', (l: tl.Tensor) => tl.gaussianNll(M, l, Y), L],
    ] as const) {
      const r = await tl.taylorTest(f, x, { seed: g.seed });
      expect(r.passed, `seed ${g.seed}: gaussianNll in ${name}: ${r.message}`).toBe(true);
    }
    // d/dmu = w (mu - y) e^-lv / n and d/dlv = w (1 - (y - mu)^2 e^-lv) / (2n), w = e^(beta lv) held fixed.
    const beta = 0.7;
    const [gm, gl] = tl.grad((m: tl.Tensor, l: tl.Tensor) => tl.betaNll(m, l, Y, beta), [0, 1])(M, L) as tl.Tensor[];
    const [gotM, gotL] = [await gm!.data(), await gl!.data()];
    const w = lv.map((l) => Math.exp(beta * l));
    const wantM = Float64Array.from({ length: n }, (_, i) => (w[i]! * (mu[i]! - y[i]!) * Math.exp(-lv[i]!)) / n);
    const wantL = Float64Array.from({ length: n }, (_, i) => (w[i]! * (1 - (y[i]! - mu[i]!) ** 2 * Math.exp(-lv[i]!))) / (2 * n));
    // Terms up to ~e^(3 + 0.7 * 2) / 120 ~ 0.7 in float32: absolute 1e-6 of the largest.
    const scale = Math.max(...wantM.map(Math.abs), ...wantL.map(Math.abs));
    expect(maxErr(gotM, wantM), `seed ${g.seed}: betaNll d/dmean`).toBeLessThan(1e-5 * scale);
    expect(maxErr(gotL, wantL), `seed ${g.seed}: betaNll d/dlogVar`).toBeLessThan(1e-5 * scale);
    for (const x of [...t, gm!, gl!]) x.dispose();
  });

  it('boundLogVar and splitMeanLogVar: soft bounds as in float64, gradient alive past the bounds', async () => {
    const g = rng();
    const raw = Float32Array.from([-40, -12, -10, -3, 0, 2, 5, 7, 40, ...randomFloats(g, 7, -15, 10)]);
    const got = await tl.boundLogVar(tl.tensor(raw), -10, 5).data();
    expect(
      maxErr(
        got,
        Array.from(raw, (r) => bound(r, -10, 5)),
      ),
      `seed ${g.seed}`,
    ).toBeLessThan(1e-5);
    for (const v of got) expect(v >= -10 && v <= 5).toBe(true);
    const slope = await tl
      .grad((r: tl.Tensor) => tl.boundLogVar(r, -10, 5).sum())(tl.tensor([-11, 0, 6]))
      .data();
    // sigmoid(r + 10) - sigmoid(r - 5): 0.27 below the range, 0.99 inside, 0.27 above.
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expect(
      maxErr(
        slope,
        [-11, 0, 6].map((r) => sig(r + 10) - sig(r - 5)),
      ),
    ).toBeLessThan(1e-6);
    const out = tl.tensor(randomFloats(g, 2 * 4 * 3, -2, 2), { shape: [2, 4, 3] });
    const { mean, logVar } = tl.splitMeanLogVar(out, { minLogVar: -4, maxLogVar: 3 });
    const o = await out.data();
    expect(mean.shape).toEqual([2, 2, 3]);
    const [m, l] = [await mean.data(), await logVar.data()];
    for (let b = 0; b < 2; b++)
      for (let k = 0; k < 6; k++) {
        expect(m[b * 6 + k]).toBe(o[b * 12 + k]);
        expect(Math.abs(l[b * 6 + k]! - bound(o[b * 12 + 6 + k]!, -4, 3))).toBeLessThan(1e-5);
      }
  });

  it('rejects shape mismatches, bad beta and bounds, odd channel counts', () => {
    const [a, b] = [tl.zeros([2, 3]), tl.zeros([3, 2])];
    expect(() => tl.gaussianNll(a, a, b)).toThrow(/gaussianNll\(mean, logVar, target, opts\).*target.*shape \[2, 3\]/);
    expect(() => tl.betaNll(a, b, a)).toThrow(/betaNll.*logVar/);
    expect(() => tl.betaNll(a, a, a, 2)).toThrow(/beta.*\[0, 1\]/);
    expect(() => tl.gaussianNll(a, a, a, { constnt: true } as tl.NllOptions)).toThrow(/constnt/);
    expect(() => tl.boundLogVar(a, 1, 0)).toThrow(/boundLogVar.*max/);
    expect(() => tl.splitMeanLogVar(tl.zeros([2, 3, 4]))).toThrow(/splitMeanLogVar.*even/);
  });
});

describe('uq predictive distributions', () => {
  useDevice();

  it('MC dropout off: eval mode gives identical outputs and mcDropoutPredict refuses the model', async () => {
    const net = new tl.Sequential(new tl.Dropout(0.3), new tl.Linear(4, 3, { seed: 1 })).eval();
    const x = tl.tensor([[1, -2, 0.5, 3]]);
    expect(Array.from(await net.forward(x).data())).toEqual(Array.from(await net.forward(x).data()));
    expect(() => tl.mcDropoutPredict(net, x)).toThrow(/mcDropoutPredict.*inactive in eval mode.*mcDropout: true/);
    expect(() => tl.mcDropoutPredict(new tl.Linear(4, 3), x)).toThrow(/no Dropout with p > 0/);
  });

  it('UNet { dropout, mcDropout }: the same parameters, random eval passes only with mcDropout', async () => {
    const x = tl.randn([1, 1, 8, 8], { seed: 3 });
    const plain = new tl.UNet(1, 1, { depth: 1, width: 4, seed: 2 });
    const mc = new tl.UNet(1, 1, { depth: 1, width: 4, seed: 2, dropout: 0.2, mcDropout: true }).eval();
    const off = new tl.UNet(1, 1, { depth: 1, width: 4, seed: 2, dropout: 0.2 }).eval();
    expect(Object.keys(mc.parameters())).toEqual(Object.keys(plain.parameters()));
    const [a, b] = [await mc.forward(x).data(), await mc.forward(x).data()];
    expect(maxErr(a, b)).toBeGreaterThan(1e-3);
    expect(Array.from(await off.forward(x).data())).toEqual(Array.from(await plain.eval().forward(x).data()));
    expect(() => tl.mcDropoutPredict(off, x)).toThrow(/inactive in eval mode/);
    expect(() => new tl.UNet(1, 1, { dropout: 1 })).toThrow(/opts\.dropout.*\[0, 1\)/);
    for (const m of [plain, mc, off]) m.dispose();
  });

  it('MC dropout on a Linear layer: mean W x + b and variance p/(1-p) sum_j (W_ij x_j)^2', async () => {
    const g = rng();
    const [inF, outF, p, rows, passes] = [6, 3, 0.2, 400, 25];
    const W = randomFloats(g, outF * inF, -1, 1);
    const b = randomFloats(g, outF, -1, 1);
    const xv = randomFloats(g, inF, -2, 2);
    const lin = new tl.Linear(inF, outF);
    lin.loadParameters({ weight: tl.tensor(W, { shape: [outF, inF] }), bias: tl.tensor(b) });
    const net = new tl.Sequential(new tl.Dropout(p, { mcDropout: true }), lin).eval();
    // `rows` copies of x: each row of each pass draws its own mask, rows * passes samples per output.
    const x = tl.tensor(
      Float32Array.from({ length: rows * inF }, (_, k) => xv[k % inF]!),
      { shape: [rows, inF] },
    );
    const pr = tl.mcDropoutPredict(net, x, { passes, seed: g.seed % 1000 });
    const [mean, ep] = [await pr.mean.data(), await pr.epistemic.data()];
    const count = rows * passes;
    for (let i = 0; i < outF; i++) {
      // The exact moments of y_i = b_i + sum_j W_ij x_j m_j / (1 - p), m_j ~ Bernoulli(1 - p) i.i.d.
      const a = Array.from({ length: inF }, (_, j) => W[i * inF + j]! * xv[j]!);
      const mu = b[i]! + a.reduce((s, v) => s + v, 0);
      const variance = (p / (1 - p)) * a.reduce((s, v) => s + v * v, 0);
      // Fourth central moment by enumerating the 2^6 masks, for the standard error of the variance.
      let m4 = 0;
      for (let mask = 0; mask < 1 << inF; mask++) {
        let [prob, yv] = [1, b[i]!];
        for (let j = 0; j < inF; j++) {
          const keep = (mask >> j) & 1;
          prob *= keep ? 1 - p : p;
          yv += keep ? a[j]! / (1 - p) : 0;
        }
        m4 += prob * (yv - mu) ** 4;
      }
      // Pool the rows: total variance = mean over rows of the pass variance + variance of the row means.
      let [sm, sv] = [0, 0];
      for (let r = 0; r < rows; r++) [sm, sv] = [sm + mean[r * outF + i]!, sv + ep[r * outF + i]!];
      const gotMu = sm / rows;
      let between = 0;
      for (let r = 0; r < rows; r++) between += (mean[r * outF + i]! - gotMu) ** 2 / rows;
      const gotVar = sv / rows + between;
      const seMu = Math.sqrt(variance / count);
      const seVar = Math.sqrt((m4 - variance ** 2) / count);
      expect(Math.abs(gotMu - mu), `seed ${g.seed}: output ${i} mean ${gotMu} vs ${mu}`).toBeLessThan(4 * seMu + 1e-5);
      expect(Math.abs(gotVar - variance), `seed ${g.seed}: output ${i} variance ${gotVar} vs ${variance}`).toBeLessThan(4 * seVar + 1e-5);
    }
    for (const t of [pr.mean, pr.aleatoric, pr.epistemic, pr.total, x]) t.dispose();
    net.dispose();
  });

  it('ensembles: the law of total variance on known means and variances, and through heteroscedastic members', async () => {
    const g = rng();
    const [k, n] = [4, 10];
    const ms = Array.from({ length: k }, () => randomFloats(g, n, -2, 2));
    const vs = Array.from({ length: k }, () => randomFloats(g, n, 0.1, 2));
    const p = tl.combinePredictions(
      ms.map((m) => tl.tensor(m)),
      vs.map((v) => tl.tensor(v)),
    );
    const mu = Float64Array.from({ length: n }, (_, i) => ms.reduce((s, m) => s + m[i]!, 0) / k);
    const al = Float64Array.from({ length: n }, (_, i) => vs.reduce((s, v) => s + v[i]!, 0) / k);
    const ep = Float64Array.from({ length: n }, (_, i) => ms.reduce((s, m) => s + (m[i]! - mu[i]!) ** 2, 0) / k);
    // Sums of 4 float32 terms: 1e-6 absolute on values of order 1.
    expect(maxErr(await p.mean.data(), mu), `seed ${g.seed}`).toBeLessThan(1e-6);
    expect(maxErr(await p.aleatoric.data(), al), `seed ${g.seed}`).toBeLessThan(1e-6);
    expect(maxErr(await p.epistemic.data(), ep), `seed ${g.seed}`).toBeLessThan(1e-5);
    expect(
      maxErr(
        await p.total.data(),
        al.map((a, i) => a + ep[i]!),
      ),
      `seed ${g.seed}`,
    ).toBeLessThan(1e-5);

    // Members y = W x + c with 2 outputs [mean, raw log variance]: their bounded variances enter as aleatoric.
    const members = Array.from({ length: 3 }, (_, m) => new tl.Linear(2, 2, { seed: (g.seed % 1000) + m }).eval());
    const x = tl.tensor(randomFloats(g, 10, -1, 1), { shape: [5, 2] });
    const e = tl.ensemblePredict(members, x, { heteroscedastic: true, batch: 2 });
    const outs = await Promise.all(members.map((m) => m.forward(x).data()));
    const means = outs.map((o) => Array.from({ length: 5 }, (_, r) => o[2 * r]!));
    const vars = outs.map((o) => Array.from({ length: 5 }, (_, r) => Math.exp(bound(o[2 * r + 1]!, -10, 5))));
    const mu2 = means[0]!.map((_, r) => means.reduce((s, m) => s + m[r]!, 0) / 3);
    expect(e.mean.shape).toEqual([5, 1]);
    expect(maxErr(await e.mean.data(), mu2)).toBeLessThan(1e-6);
    expect(
      maxErr(
        await e.aleatoric.data(),
        mu2.map((_, r) => vars.reduce((s, v) => s + v[r]!, 0) / 3),
      ),
    ).toBeLessThan(1e-5);
    expect(
      maxErr(
        await e.epistemic.data(),
        mu2.map((m, r) => means.reduce((s, v) => s + (v[r]! - m) ** 2, 0) / 3),
      ),
    ).toBeLessThan(1e-5);
    // Homoscedastic members with a noise variance: a constant aleatoric part.
    const h = tl.ensemblePredict(members, x, { noiseVariance: 0.25 });
    expect(Array.from(await h.aleatoric.data()).every((v) => v === 0.25)).toBe(true);
    expect(() => tl.ensemblePredict([], x)).toThrow(/ensemblePredict.*members/);
    expect(() => tl.combinePredictions([tl.zeros([2]), tl.zeros([3])])).toThrow(/means\[1\].*shape \[2\]/);
  });
});

describe('uq calibration metrics', () => {
  it('normalQuantile matches known quantiles', () => {
    expect(Math.abs(tl.normalQuantile(0.975) - 1.959963984540054)).toBeLessThan(1e-8);
    expect(Math.abs(tl.normalQuantile(0.5))).toBeLessThan(1e-12);
    expect(Math.abs(tl.normalQuantile(0.001) + 3.090232306167813)).toBeLessThan(1e-8);
    expect(() => tl.normalQuantile(1)).toThrow(/normalQuantile.*\(0, 1\)/);
  });

  it('calibrated Gaussians cover nominally; 2x overconfident ones cover 2 Phi(z_p / 2) - 1', () => {
    const g = rng();
    const n = 20000;
    const z = normals(g, n);
    const sigma = Float64Array.from({ length: n }, () => 0.2 + g.next());
    const mean = Float64Array.from({ length: n }, () => 4 * g.next() - 2);
    const y = mean.map((m, i) => m + sigma[i]! * z[i]!);
    const variance = sigma.map((s) => s * s);
    const se = (p: number) => Math.sqrt((p * (1 - p)) / n); // binomial standard error of a coverage
    const r = tl.calibrationReport(Float32Array.from(mean), Float32Array.from(variance), Float32Array.from(y));
    expect(Math.abs(r.coverage68 - 0.6827), `seed ${g.seed}`).toBeLessThan(4 * se(0.6827));
    expect(Math.abs(r.coverage95 - 0.95), `seed ${g.seed}`).toBeLessThan(4 * se(0.95));
    // ECE averages 19 such deviations: each below 4 se(0.5) = 0.014.
    expect(r.ece, `seed ${g.seed}`).toBeLessThan(4 * se(0.5));
    let rmse = 0;
    let nll = 0;
    for (let i = 0; i < n; i++) {
      rmse += (y[i]! - mean[i]!) ** 2 / n;
      nll += (0.5 * Math.log(2 * Math.PI * variance[i]!) + (y[i]! - mean[i]!) ** 2 / (2 * variance[i]!)) / n;
    }
    expect(Math.abs(r.rmse - Math.sqrt(rmse))).toBeLessThan(1e-6);
    expect(Math.abs(r.nll - nll)).toBeLessThan(1e-5);

    const over = tl.reliability(
      mean,
      variance.map((v) => v / 4),
      y,
    );
    let wantEce = 0;
    over.nominal.forEach((p, k) => {
      const want = 2 * phi(tl.normalQuantile((1 + p) / 2) / 2) - 1;
      wantEce += Math.abs(want - p) / over.nominal.length;
      expect(Math.abs(over.observed[k]! - want), `seed ${g.seed}: level ${p}`).toBeLessThan(4 * se(want));
    });
    expect(
      Math.abs(
        tl.coverage(
          mean,
          variance.map((v) => v / 4),
          y,
          0.95,
        ) -
          (2 * phi(0.98) - 1),
      ),
    ).toBeLessThan(4 * se(0.68));
    expect(Math.abs(over.ece - wantEce), `seed ${g.seed}`).toBeLessThan(4 * se(0.5));
    expect(over.observed.every((c, k) => c < over.nominal[k]!)).toBe(true);
  });

  it('rejects mismatched lengths and negative variances', () => {
    expect(() => tl.rmse([1, 2], [1])).toThrow(/rmse.*target.*2 numbers/);
    expect(() => tl.coverage([0], [-1], [0], 0.5)).toThrow(/coverage.*variance/);
    expect(() => tl.coverage([0], [1], [0], 1)).toThrow(/coverage.*p.*\(0, 1\)/);
    expect(() => tl.reliability([0], [1], [0], { levels: 0 })).toThrow(/levels/);
  });
});
