// The two interior kernels of acoustic2d give the same numbers: 'vec4' (acoustic-box.wgsl: columns
// of 4 cells marching down rows, chosen on CPU adapters) and 'cells' (acoustic.wgsl: one cell per
// invocation, chosen on GPUs). Both are compiled and run here whatever the adapter, on grids whose
// interior box is not a multiple of 4 wide or of the march length tall, for every accuracy, with
// PML on some edges only and a free surface, through the forward map, the adjoint (vjp) and Born.
// The arithmetic order is the same, so on SwiftShader (Node, Chromium), which contracts both shaders
// alike, every output is bitwise equal and the test demands it. Elsewhere (llvmpipe in Deno, GPUs)
// contraction into fused multiply-adds may differ between the shaders: the forward outputs then
// agree to 1e-6 of the largest value (a few ulp), and the gradient and Born data, which accumulate
// products over all nt = 61 steps, to 1e-5 (measured 1.6e-6 on llvmpipe).
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { IN_BROWSER, rng, useDevice } from './helpers.js';
import { DEBUG, deviceOptions, expectScaled, modelTensor, randomSurvey, readAndDispose, type Widths } from './acoustic-cases.js';
import type { Accuracy } from './acoustic-ref.js';

const TOL = [1e-6, 1e-6, 1e-5, 1e-5]; // receivers, wavefield, gradient, Born where not bitwise

const CASES: { accuracy: Accuracy; pmlWidth: Widths; freeSurface: boolean; nz: number; nx: number }[] = [
  { accuracy: 2, pmlWidth: [3, 4, 5, 6], freeSurface: false, nz: 41, nx: 37 },
  { accuracy: 4, pmlWidth: 5, freeSurface: true, nz: 39, nx: 43 },
  { accuracy: 6, pmlWidth: [0, 6, 0, 7], freeSurface: false, nz: 35, nx: 30 },
  { accuracy: 8, pmlWidth: [4, 0, 7, 0], freeSurface: true, nz: 45, nx: 33 },
];

// Node already runs both kernels on Chromium's adapter (SwiftShader): skipped in the browser (IN_BROWSER).
describe.skipIf(IN_BROWSER)('acoustic2d interior kernels: vec4 columns and one cell per invocation agree', () => {
  useDevice();

  for (const c of CASES) {
    it(`accuracy ${c.accuracy}, pmlWidth ${JSON.stringify(c.pmlWidth)}${c.freeSurface ? ', free surface' : ''}: forward, vjp and Born`, async () => {
      const g = rng();
      const s = randomSurvey(g, { ...c, dx: 5, dz: 4, nt: 61, shots: 2, nsrc: 2, nrec: 6 });
      const run = (stencil: 'vec4' | 'cells') =>
        tl.tidy(() => {
          const v = modelTensor(s);
          const opts = deviceOptions(s, { stencil });
          const wave = tl.acoustic2dWavefield(v, opts);
          const [out, pull] = tl.vjp((m: tl.Tensor) => tl.acoustic2d(m, opts), v);
          const ct = tl.sin(tl.mul(tl.reshape(tl.arange(out.size), out.shape), 0.37));
          const [gv] = pull(ct);
          pull.dispose();
          const dv = tl.cos(tl.mul(tl.reshape(tl.arange(v.size), v.shape), 0.11));
          const born = tl.born2d(v, tl.mul(dv, 10), opts);
          return [wave.receivers, wave.wavefield, gv!, born];
        });
      const [a, b] = [await readAndDispose(run('vec4')), await readAndDispose(run('cells'))];
      const bitwise = /swiftshader/i.test(tl.deviceInfo().description);
      const names = ['receivers', 'final wavefield', 'gradient in v', 'Born data'];
      names.forEach((name, k) => {
        expect(
          a[k]!.some((x) => x !== 0),
          `${name} is not all zero`,
        ).toBe(true);
        const worst = expectScaled(a[k]!, b[k]!, bitwise ? 0 : TOL[k]!, `seed ${g.seed}: ${name}, vec4 against cells`);
        if (DEBUG)
          console.log(`${name}: vec4 against cells ${worst === 0 ? 'bitwise equal' : `differ by ${worst.toExponential(2)} of the max`}`);
      });
    });
  }

  it('rejects an unknown stencil name', () => {
    const v = tl.tensor(new Float32Array(64).fill(1500), { shape: [8, 8] });
    expect(() => tl.acoustic2d(v, { dx: 5, dt: 0.001, nt: 4, receiverLocations: [[[1, 1]]], stencil: 'tiles' as never })).toThrow(
      "tellus: acoustic2d: stencil: expected 'auto', 'vec4' or 'cells', got \"tiles\"",
    );
    v.dispose();
  });
});
