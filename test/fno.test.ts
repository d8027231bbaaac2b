// FNO2d: shapes and parameter names, Taylor tests of a loss w.r.t. the input and the parameters
// (through module.call), resolution independence on band-limited inputs at H x W and 2H x 2W, and a
// few Adam steps lowering the relative L2 loss on a tiny problem.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { rng, useDevice } from './helpers.js';
import { maxAbs, relL2 } from './numerics.js';

const T = (v: ArrayLike<number>, shape: readonly number[]): tl.Tensor => tl.tensor(Float32Array.from(v), { shape: [...shape] });
const TAU = 2 * Math.PI;

/** A band-limited field on the unit square: a few Fourier terms with |f| <= fmax, sampled at (i/h, j/w). */
function bandLimited(g: { next: () => number }, batch: number, ch: number, fmax: number): (h: number, w: number) => tl.Tensor {
  const terms = Array.from({ length: batch * ch * 5 }, () => ({
    f1: Math.floor(g.next() * (2 * fmax + 1)) - fmax,
    f2: Math.floor(g.next() * (fmax + 1)),
    a: g.next() * 2 - 1,
    s: g.next() * 2 - 1,
  }));
  return (h, w) => {
    const v = new Float64Array(batch * ch * h * w);
    for (let p = 0; p < batch * ch; p++)
      for (const t of terms.slice(p * 5, p * 5 + 5)) {
        for (let i = 0; i < h; i++)
          for (let j = 0; j < w; j++) {
            const ph = TAU * ((t.f1 * i) / h + (t.f2 * j) / w);
            v[(p * h + i) * w + j]! += t.a * Math.cos(ph) + t.s * Math.sin(ph);
          }
      }
    return T(v, [batch, ch, h, w]);
  };
}

/** FNO2d's coordinate channels, x = j / W then z = i / H. */
function fnoGrid(batch: number, h: number, w: number): tl.Tensor {
  const v = new Float32Array(batch * 2 * h * w);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        v[b * 2 * h * w + i * w + j] = j / w;
        v[b * 2 * h * w + h * w + i * w + j] = i / h;
      }
  return T(v, [batch, 2, h, w]);
}

describe('FNO2d', () => {
  useDevice();

  it('maps [batch, in, H, W] to [batch, out, H, W], with and without padding; names its parameters', async () => {
    const m = new nn.FNO2d({ inChannels: 3, outChannels: 2, modes1: 3, modes2: 3, width: 6, layers: 2, padFraction: 0.25, seed: 1 });
    expect(Object.keys(m.parameters())).toEqual([
      'lift.weight',
      'lift.bias',
      'spectral.0.weights1',
      'spectral.0.weights2',
      'spectral.1.weights1',
      'spectral.1.weights2',
      'pointwise.0.weight',
      'pointwise.0.bias',
      'pointwise.1.weight',
      'pointwise.1.bias',
      'proj1.weight',
      'proj1.bias',
      'proj2.weight',
      'proj2.bias',
    ]);
    expect(m.proj1.weight.shape).toEqual([128, 6, 1, 1]);
    expect(m.padding(12, 10)).toEqual([3, 3]);
    const y = m.forward(tl.randn([2, 3, 12, 10], { seed: 2 }));
    expect(y.shape).toEqual([2, 2, 12, 10]);
    expect((await y.data()).every(Number.isFinite)).toBe(true);
    const m0 = new nn.FNO2d({ inChannels: 1, outChannels: 1, modes1: 2, modes2: 2, width: 4, layers: 1, projection: 8, seed: 1 });
    expect(m0.forward(tl.randn([1, 1, 8, 6], { seed: 3 })).shape).toEqual([1, 1, 8, 6]);
    expect(() => m.forward(tl.randn([2, 2, 12, 10]))).toThrow(/3/);
    expect(() => new nn.FNO2d({ inChannels: 1, outChannels: 1, modes1: 2, modes2: 2, padFraction: -1 })).toThrow(/padFraction/);
    m.dispose();
    m0.dispose();
  });

  it('Taylor tests of a loss w.r.t. the input and the parameters', async () => {
    const g = rng();
    const m = new nn.FNO2d({
      inChannels: 1,
      outChannels: 1,
      modes1: 3,
      modes2: 3,
      width: 4,
      layers: 2,
      projection: 8,
      padFraction: 0.25,
      seed: g.seed % 1000,
    });
    const x = tl.randn([2, 1, 8, 8], { seed: g.seed });
    const target = tl.randn([2, 1, 8, 8], { seed: g.seed + 1 });
    // A squared misfit: r1 then has a clear quadratic part (0.5 |J v|^2 h^2) that the network's own
    // curvature rarely cancels. A linear read-out left r1 to the mildly nonlinear network alone, at
    // float32's round-off floor for some seeds (r1 ~ 1e-5 at h = 0.4 with seed 597501813, and f
    // itself near 0 by cancellation).
    const loss = (y: tl.Tensor): tl.Tensor => tl.mul(tl.sum(tl.square(tl.sub(y, target))), 0.5);
    // h from 1.6 down to 0.05: some seeds leave so little curvature along v that r1 only clears
    // round-off at the larger steps (seed 152992708, input: r1 5e-5 at h = 0.4, f 61).
    const opts = { h0: 1.6, steps: 6 };
    const cases: [string, (w: tl.Tensor) => tl.Tensor, tl.Tensor][] = [['input', (xx) => loss(m.forward(xx)), x]];
    for (const name of ['lift.weight', 'spectral.0.weights1', 'pointwise.1.weight', 'proj1.weight']) {
      cases.push([name, (w) => loss(m.call({ [name]: w }, x)), m.parameters()[name]!]);
    }
    // nn.taylorTest measures slope1 on the smallest pair of steps whose r1 clears float32
    // round-off (its floor: 8 eps |f| + eps Σ|g x| + 64 eps h Σ|g v|; f >= 0 here, so no
    // cancellation hides f's scale) and passes at slope1 >= 1.3. Fixed windows failed both ways
    // here: the three smallest steps measured noise (Deno, seed 1106909122), the largest were not
    // yet quadratic (Chromium, seed 1143309221: r1 grew from h = 0.4 to 0.2). Correct gradients
    // measured 1.42-2.4 on such pairs over ~40 seeds in the three runtimes (the low end where
    // <g, v> is small by cancellation and the gradient's rounding shows as a first-order term).
    for (const [name, f, at] of cases) {
      const r = await nn.taylorTest(f, at, opts);
      const why = `${name} (seed ${g.seed}): ${r.message}`;
      console.log(
        `FNO Taylor ${name}: slope0 ${r.slope0.toFixed(3)} slope1 ${r.slope1.toFixed(3)} on h = ${r.used.map((k) => r.hs[k]).join(', ')}`,
      );
      expect(r.passed, why).toBe(true);
      // r0 = |h <g, v> + h^2 v'Hv / 2 + ...| is first order once h is small (at larger h the two
      // terms may cancel), when that first-order term stands above round-off.
      if (Math.abs(r.gv) * r.hs.at(-1)! > 1e-5 * r.f0) expect(r.slope0, `${why}: slope0`).toBeGreaterThan(0.8);
    }
    // The test can fail: a gradient 1% off is first order, so r1 turns to slope ~1 at the steps
    // where its error h <g, v> / 100 outgrows the h^2 term while still standing above the floor.
    // That needs 1% > sqrt(C floor) / |<g, v>| (the result's `resolution`), which the default v
    // (half random) may not reach (input, seed 1193313393: 1.27 at h = 0.025, 0.0125, 1.4 one step
    // above); along v = g, <g, v> is as large as it can be. The parameters' gradients are too small
    // against f's round-off for 1% to show even so (lift.weight: resolution ~3%), so the input.
    // (A misfit to the network's own output at a nearby input makes <g, v> large against f, but f
    // is then a small difference of large outputs: its round-off exceeds 8 eps |f| unless fScale
    // says so, and a right gradient failed at r1 ~ 3e-10.)
    const [, f, at] = cases[0]!;
    const gTrue = tl.grad(f)(at) as tl.Tensor;
    const [gg, xx] = await Promise.all([gTrue.square().sum().item(), at.square().sum().item()]);
    const dir = tl.mul(gTrue, Math.sqrt(xx / gg));
    const gOff = tl.mul(gTrue, 1.01);
    const along = { direction: dir, h0: 1.6, steps: 12 };
    const ok = await nn.taylorTest(f, at, { ...along, gradient: gTrue });
    console.log(
      `FNO Taylor input along g: slope1 ${ok.slope1.toFixed(3)} on h = ${ok.used.map((k) => ok.hs[k]).join(', ')}, resolution ${ok.resolution.toExponential(2)}`,
    );
    expect(ok.passed, `input along g (seed ${g.seed}): ${ok.message}`).toBe(true);
    const off = await nn.taylorTest(f, at, { ...along, gradient: gOff });
    console.log(
      `FNO Taylor input along g, gradient 1% off: slope1 ${off.slope1.toFixed(3)} on h = ${off.used.map((k) => off.hs[k]).join(', ')}`,
    );
    // Against a resolution of 0.4% or less the 1% error term is >= 6x the h^2 term where it meets
    // the floor: slope1 <= 1.14 before round-off. Resolutions measured 0.07-0.46% (default base
    // seed: 0.28%; slope1 1.05 SwiftShader, 1.24 llvmpipe); at 0.46% (TELLUS_TEST_SEED=4) llvmpipe
    // passed the 1% error with slope1 1.59: below what float32 resolves there, and the kit says so.
    if (ok.resolution < 0.004) {
      expect(off.passed, `input with the gradient 1% off (seed ${g.seed}), resolution ${ok.resolution}: ${off.message}`).toBe(false);
      expect(off.message).toMatch(/failed: slope1/);
    }
    for (const t of [gTrue, dir, gOff]) t.dispose();
    m.dispose();
  });

  it('is resolution independent: a band-limited input at H x W and 2H x 2W gives the same function at the shared points', async () => {
    const g = rng();
    const [h, w] = [16, 16];
    const sample = bandLimited(g, 2, 1, 2);
    const x1 = sample(h, w);
    const x2 = sample(2 * h, 2 * w);
    const run = async (pf1: number, pf2: number): Promise<number> => {
      const m = new nn.FNO2d({
        inChannels: 1,
        outChannels: 1,
        modes1: 4,
        modes2: 4,
        width: 8,
        layers: 3,
        projection: 16,
        padFraction: pf1,
        seed: 5,
      });
      const y1 = await m.forward(x1).data();
      const m2 = new nn.FNO2d({
        inChannels: 1,
        outChannels: 1,
        modes1: 4,
        modes2: 4,
        width: 8,
        layers: 3,
        projection: 16,
        padFraction: pf2,
        seed: 5,
      });
      const y2 = await tl.slice(m2.forward(x2), [null, null, [0, 2 * h, 2], [0, 2 * w, 2]]).data();
      m.dispose();
      m2.dispose();
      expect(maxAbs(y1)).toBeGreaterThan(0);
      return relL2(y2, y1);
    };
    // Padding by the same fraction (4 cells at 16, 8 at 32): the same padded box at both resolutions.
    const same = await run(0.25, 0.25);
    // Padding by the same number of cells (4 at both): a box of 1.25 vs 1.125, another operator.
    const cells = await run(0.25, 0.125);
    console.log(
      `FNO resolution 2x vs 1x (seed ${g.seed}): rel L2 ${same.toExponential(2)} padding by fraction, ${cells.toExponential(2)} padding by cells`,
    );
    // Pointwise layers agree exactly at the shared points; what differs is aliasing in the Fourier
    // layers: at 16 x 16 the GELU outputs and the zero padding's jump carry frequencies above the
    // coarse Nyquist that fold into the kept modes, at 32 x 32 fewer of them do. For this smooth input
    // (|f| <= 2) and a random model that error measured ~3e-4 relative (float32 round-off is ~1e-6);
    // 5e-3 leaves room for other seeds. A different box is a different operator: ~4x larger here.
    expect(same, `seed ${g.seed}`).toBeLessThan(5e-3);
    expect(cells, `seed ${g.seed}`).toBeGreaterThan(2 * same);
  });

  it('activation option: relu and tanh in the projection against a float64 reference, wiring of the Fourier layers, Taylor test with relu', async () => {
    const g = rng();
    const x = tl.randn([2, 1, 8, 8], { seed: g.seed });
    const arch = { inChannels: 1, outChannels: 2, modes1: 3, modes2: 3, width: 4, projection: 6, seed: g.seed % 1000 };
    // One Fourier layer: the only activation is the projection's, out = proj2(act(proj1(h))); h and
    // proj1's output come from the engine, act and proj2 run here in float64.
    for (const [act, f] of [
      ['relu', (v: number) => Math.max(v, 0)],
      ['tanh', Math.tanh],
    ] as const) {
      const m = new nn.FNO2d({ ...arch, layers: 1, activation: act });
      expect(m.activation).toBe(act);
      const inner = tl.noGrad(() => {
        const lifted = m.lift.forward(tl.concat([x, fnoGrid(2, 8, 8)], 1));
        return m.proj1.forward(tl.add(m.spectral[0]!.forward(lifted), m.pointwise[0]!.forward(lifted)));
      });
      const [z, w2, b2, y] = await Promise.all([inner.data(), m.proj2.weight.data(), m.proj2.bias!.data(), m.forward(x).data()]);
      const ref = new Float64Array(2 * 2 * 64);
      for (let b = 0; b < 2; b++)
        for (let o = 0; o < 2; o++)
          for (let p = 0; p < 64; p++) {
            let s = b2[o]!;
            for (let c = 0; c < 6; c++) s += w2[o * 6 + c]! * f(z[(b * 6 + c) * 64 + p]!);
            ref[(b * 2 + o) * 64 + p] = s;
          }
      const err = relL2(y, ref);
      console.log(`FNO activation ${act}: rel error vs float64 ${err.toExponential(2)}`);
      expect(err, act).toBeLessThan(1e-5);
      m.dispose();
    }
    // Two layers: the activation also follows the first Fourier layer.
    const m = new nn.FNO2d({ ...arch, layers: 2, activation: 'relu' });
    const manual = tl.noGrad(() => {
      let h = m.lift.forward(tl.concat([x, fnoGrid(2, 8, 8)], 1));
      h = tl.relu(tl.add(m.spectral[0]!.forward(h), m.pointwise[0]!.forward(h)));
      h = tl.add(m.spectral[1]!.forward(h), m.pointwise[1]!.forward(h));
      return m.proj2.forward(tl.relu(m.proj1.forward(h)));
    });
    expect(maxAbs(await tl.sub(m.forward(x), manual).data())).toBeLessThan(1e-6);
    const gelu = new nn.FNO2d({ ...arch, layers: 2 });
    expect(maxAbs(await tl.sub(gelu.forward(x), manual).data())).toBeGreaterThan(1e-3);
    const target = tl.randn([2, 2, 8, 8], { seed: g.seed + 1 });
    const r = await nn.taylorTest((xx) => tl.mul(tl.sum(tl.square(tl.sub(m.forward(xx), target))), 0.5), x, { h0: 1.6, steps: 6 });
    console.log(`FNO relu Taylor input: slope1 ${r.slope1.toFixed(3)}`);
    expect(r.passed, `seed ${g.seed}: ${r.message}`).toBe(true);
    expect(() => new nn.FNO2d({ ...arch, activation: 'swish' as never })).toThrow(/activation.*gelu, relu, tanh/);
    expect(() => new nn.FNO2d({ ...arch, activaton: 'relu' } as never)).toThrow(/activation/);
    m.dispose();
    gelu.dispose();
  });

  it('a few Adam steps reduce the relative L2 loss on a tiny problem', async () => {
    const g = rng();
    const sample = bandLimited(g, 4, 1, 2);
    const x = sample(8, 8);
    // Target: a fixed pointwise affine map of the input, well within the model's reach.
    const y = tl.add(tl.mul(x, 0.5), 0.1);
    const m = new nn.FNO2d({
      inChannels: 1,
      outChannels: 1,
      modes1: 3,
      modes2: 3,
      width: 8,
      layers: 2,
      projection: 16,
      seed: g.seed % 1000,
    });
    const params = m.parameters();
    const opt = new nn.Adam({ lr: 1e-2 });
    const step = tl.valueAndGrad((p: nn.NamedTensors) => nn.relativeL2(m.call(p, x), y));
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const [loss, grads] = step(params) as [tl.Tensor, nn.NamedTensors];
      opt.step(params, grads);
      losses.push(await loss.item());
      loss.dispose();
      for (const t of Object.values(grads)) t.dispose();
    }
    console.log(`FNO Adam: rel L2 ${losses[0]!.toFixed(4)} -> ${losses.at(-1)!.toFixed(4)}`);
    expect(losses.at(-1)!, `seed ${g.seed}: ${losses.join(', ')}`).toBeLessThan(0.5 * losses[0]!);
    m.dispose();
  });
});
