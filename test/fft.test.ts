// FFTs against a float64 DFT (test/fftref.ts) on fresh random inputs: relative L2 error < 1e-5 for
// sizes up to 4096 in 1-D (powers of 2, 3 and 5, mixed, odd and prime lengths, which take the
// Bluestein path) and 256 x 256 in 2-D, on both kernel paths (shared memory and one pass per
// dispatch) whatever the adapter; axes, strided views, n / s cropping and padding, norms, round
// trips; adjoint (dot-product) tests of every transform and of its VJP; gradients against float64
// differences, Taylor tests and a Hessian; errors for bad input.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { setFftPath } from '../src/ops/fft.js';
import { HostArray, relL2, rng, upload, useDevice, type Gen } from './helpers.js';
import { randomHost } from './ref.js';
import { checkGrad, checkHvp, checkTaylor, readAll, type GradCase } from './gradref.js';
import { dft64, irdft64, rdft64 } from './fftref.js';

const TOL = 1e-5;
const PATHS = ['pass', 'shared'] as const;

async function expectClose(t: tl.Tensor, want: HostArray, what: string, tol = TOL): Promise<number> {
  expect(t.shape, what).toEqual(want.shape);
  const got = await t.data();
  t.dispose();
  const err = relL2(got, want.data);
  expect(err, `${what}: relative L2 error`).toBeLessThan(tol);
  return err;
}

/** Runs `fn` with the FFT kernels forced onto one path, restoring the automatic choice after. */
async function onPath<R>(path: (typeof PATHS)[number], fn: () => Promise<R>): Promise<R> {
  setFftPath(path);
  try {
    return await fn();
  } finally {
    setFftPath('auto');
  }
}

describe('1-D transforms against a float64 DFT', () => {
  useDevice();
  // 2^k, 3^k, 5^k, mixed radices, odd and prime lengths (Bluestein), up to 4096.
  const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 25, 27, 60, 64, 97, 100, 128, 243, 360, 1000, 1009, 2048, 3000, 4093, 4096];
  const REAL = [1, 2, 3, 7, 8, 30, 97, 128, 1000, 1009, 4096];
  // The other kernel path (shared memory on a CPU adapter costs ~1 ms per workgroup and 3 s to
  // compile) runs one length per feature: each radix, Bluestein, four-step, four-step Bluestein.
  const FEW = [2, 12, 25, 64, 97, 1009, 4096];
  const FEW_REAL = [7, 30, 1009];

  const c2cSizes = async (sizes: number[], g: Gen): Promise<void> => {
    for (const n of sizes) {
      const lines = n > 1024 ? 1 : 3;
      const h = randomHost(g, [lines, n, 2]);
      const x = upload(h);
      for (const inverse of [false, true]) {
        const y = inverse ? tl.ifft(x) : tl.fft(x);
        await expectClose(y, dft64(h, 1, n, inverse, inverse ? 1 / n : 1), `seed ${g.seed}: ${inverse ? 'ifft' : 'fft'} n=${n}`);
      }
      x.dispose();
    }
  };
  const realSizes = async (sizes: number[], g: Gen): Promise<void> => {
    for (const n of sizes) {
      const lines = n > 1024 ? 1 : 2;
      const hx = randomHost(g, [lines, n]);
      const x = upload(hx);
      await expectClose(tl.rfft(x), rdft64(hx, 1, n), `seed ${g.seed}: rfft n=${n}`);
      x.dispose();
      const hz = randomHost(g, [lines, Math.floor(n / 2) + 1, 2]);
      const z = upload(hz);
      await expectClose(tl.irfft(z, { n }), irdft64(hz, 1, n, 1 / n), `seed ${g.seed}: irfft n=${n}`);
      z.dispose();
    }
  };

  it('fft and ifft, every kind of length', async () => {
    await c2cSizes(ALL, rng());
  });

  it('rfft and irfft, even and odd lengths', async () => {
    await realSizes(REAL, rng());
  });

  it('the other kernel path: one length per feature', async () => {
    const other = tl.deviceInfo().isSoftware ? 'shared' : 'pass';
    const g = rng();
    await onPath(other, async () => {
      await c2cSizes(FEW, g);
      await realSizes(FEW_REAL, g);
    });
  });

  it('any axis of strided views (a transposed copy, a slice with step 2 over the pair axis)', async () => {
    const g = rng();
    const h = randomHost(g, [4, 6, 10, 2]);
    // Both paths: they address the lines differently (workgroups of lines vs one butterfly each).
    for (const path of PATHS) {
      await onPath(path, async () => {
        for (const axis of [0, 1, 2, -1, -2]) {
          const a = axis < 0 ? axis + 3 : axis;
          const want = dft64(h, a, h.shape[a]!, false);
          // Permuted storage read back through a permuted view: every stride differs from contiguous.
          const t = HostArray.build([2, 10, 6, 4], (i) => h.at([i[3]!, i[2]!, i[1]!, i[0]!]));
          const dev = upload(t);
          const view = tl.permute(dev, [3, 2, 1, 0]);
          await expectClose(tl.fft(view, { axis }), want, `seed ${g.seed}: ${path}: fft axis ${axis} of a permuted view`);
          const big = upload(HostArray.build([4, 6, 10, 5], (i) => (i[3]! % 2 === 1 ? h.at([i[0]!, i[1]!, i[2]!, (i[3]! - 1) / 2]) : 1e3)));
          const sliced = tl.slice(big, [null, null, null, [1, null, 2]]);
          await expectClose(tl.fft(sliced, { axis }), want, `seed ${g.seed}: ${path}: fft axis ${axis} of a strided slice`);
          for (const v of [dev, view, big, sliced]) v.dispose();
        }
      });
    }
  });

  it('batch dims that do not merge (a permuted 5-D view) go through a copy', async () => {
    const g = rng();
    const h = randomHost(g, [3, 2, 4, 2, 6, 2]);
    const t = HostArray.build([2, 2, 3, 6, 4, 2], (i) => h.at([i[2]!, i[1]!, i[4]!, i[0]!, i[3]!, i[5]!]));
    const dev = upload(t);
    const view = tl.permute(dev, [2, 1, 4, 0, 3, 5]);
    await expectClose(tl.fft(view, { axis: -1 }), dft64(h, 4, 6, false), `seed ${g.seed}: fft of a 5-D permuted view`);
    await expectClose(tl.ifft(view, { axis: 2 }), dft64(h, 2, 4, true, 1 / 4), `seed ${g.seed}: ifft axis 2 of a 5-D permuted view`);
    dev.dispose();
    view.dispose();
  });

  it('n crops or zero-pads the input; norms scale as in NumPy', async () => {
    const g = rng();
    const h = randomHost(g, [3, 9, 2]);
    const x = upload(h);
    for (const n of [5, 9, 12, 97]) {
      await expectClose(tl.fft(x, { n }), dft64(h, 1, n, false), `seed ${g.seed}: fft n=${n} of length 9`);
      await expectClose(tl.ifft(x, { n }), dft64(h, 1, n, true, 1 / n), `seed ${g.seed}: ifft n=${n} of length 9`);
      await expectClose(tl.irfft(x, { n }), irdft64(h, 1, n, 1 / n), `seed ${g.seed}: irfft n=${n} of 9 bins`);
    }
    const hr = randomHost(g, [2, 10]);
    const r = upload(hr);
    for (const n of [6, 16]) await expectClose(tl.rfft(r, { n }), rdft64(hr, 1, n), `seed ${g.seed}: rfft n=${n} of length 10`);
    // Default irfft length is 2 (m - 1).
    await expectClose(tl.irfft(x), irdft64(h, 1, 16, 1 / 16), `seed ${g.seed}: irfft default n`);
    const scales: Record<tl.FftNorm, [number, number]> = { backward: [1, 1 / 9], ortho: [1 / 3, 1 / 3], forward: [1 / 9, 1] };
    for (const [norm, [f, b]] of Object.entries(scales) as [tl.FftNorm, [number, number]][]) {
      await expectClose(tl.fft(x, { norm }), dft64(h, 1, 9, false, f), `${norm} fft`);
      await expectClose(tl.ifft(x, { norm }), dft64(h, 1, 9, true, b), `${norm} ifft`);
      await expectClose(tl.irfft(x, { norm, n: 9 }), irdft64(h, 1, 9, b), `${norm} irfft`);
    }
    await expectClose(tl.rfft(r, { norm: 'ortho' }), rdft64(hr, 1, 10, 1 / Math.sqrt(10)), 'ortho rfft');
    x.dispose();
    r.dispose();
  });
});

describe('2-D and n-D transforms', () => {
  useDevice();

  it('fft2, ifft2 and rfft2 of 256 x 256 against float64; irfft2(rfft2(x)) = x', async () => {
    const g = rng();
    const h = randomHost(g, [256, 256, 2]);
    const x = upload(h);
    const rows = dft64(h, 1, 256, false);
    await expectClose(tl.fft2(x), dft64(rows, 0, 256, false), `seed ${g.seed}: fft2 256x256`);
    const irows = dft64(h, 1, 256, true, 1 / 256);
    await expectClose(tl.ifft2(x), dft64(irows, 0, 256, true, 1 / 256), `seed ${g.seed}: ifft2 256x256`);
    x.dispose();
    const hr = randomHost(g, [2, 256, 256]);
    const xr = upload(hr);
    const spec = tl.rfft2(xr);
    const half = rdft64(hr, 2, 256);
    await expectClose(tl.clone(spec), dft64(half, 1, 256, false), `seed ${g.seed}: rfft2 2x256x256`);
    const back = tl.irfft2(spec, { s: [256, 256] });
    const err = await expectClose(back, hr, `seed ${g.seed}: irfft2(rfft2(x))`, 1e-6);
    expect(err).toBeLessThan(1e-6);
    spec.dispose();
    xr.dispose();
  });

  it('odd sizes, s and axes: fftn, ifftn, rfftn, irfftn on a 3-D tensor', async () => {
    const g = rng();
    const h = randomHost(g, [6, 5, 9, 2]);
    const x = upload(h);
    const all = dft64(dft64(dft64(h, 2, 9, false), 1, 5, false), 0, 6, false);
    await expectClose(tl.fftn(x), all, `seed ${g.seed}: fftn`);
    await expectClose(
      tl.ifftn(x, { axes: [0, 2], norm: 'ortho' }),
      dft64(dft64(h, 0, 6, true, 1 / Math.sqrt(6)), 2, 9, true, 1 / 3),
      `seed ${g.seed}: ifftn axes [0, 2] ortho`,
    );
    await expectClose(tl.fft2(x, { s: [4, 12] }), dft64(dft64(h, 1, 4, false), 2, 12, false), `seed ${g.seed}: fft2 s [4, 12]`);
    const hr = randomHost(g, [6, 5, 9]);
    const xr = upload(hr);
    const want = dft64(dft64(rdft64(hr, 2, 9), 1, 5, false), 0, 6, false);
    const spec = tl.rfftn(xr);
    await expectClose(tl.clone(spec), want, `seed ${g.seed}: rfftn`);
    await expectClose(tl.irfftn(spec, { s: [6, 5, 9] }), hr, `seed ${g.seed}: irfftn(rfftn(x), s)`, 1e-6);
    // irfft2 with an odd last length and padding of the other axis, against the float64 chain.
    const hz = randomHost(g, [3, 4, 5, 2]);
    const z = upload(hz);
    await expectClose(tl.irfft2(z, { s: [6, 9] }), irdft64(dft64(hz, 1, 6, true, 1 / 6), 2, 9, 1 / 9), `seed ${g.seed}: irfft2 s [6, 9]`);
    for (const t of [x, xr, spec, z]) t.dispose();
  });
});

// ---------------------------------------------------------------- adjoints and gradients

type Op = (x: tl.Tensor) => tl.Tensor;
const pullbackOf =
  (f: Op, x: tl.Tensor): Op =>
  (y) => {
    const [out, pull] = tl.vjp(f, x);
    (out as tl.Tensor).dispose();
    const [g] = pull(y);
    pull.dispose();
    return g!;
  };

/**
 * Dot-product test |<A x, y> - <x, AT y>| relative to ||A x|| ||y|| (random x, y; float64 sums of
 * read-back values). Relative to |<A x, y>| itself, a sum that happens to cancel would inflate the
 * float32 round-off of A and AT (tl.dotTest takes it relative to Σ|terms| for the same reason).
 */
async function adjointMismatch(A: Op, AT: Op, xs: number[], ys: number[], g: Gen): Promise<{ err: number; lhs: number; rhs: number }> {
  const hx = randomHost(g, xs);
  const hy = randomHost(g, ys);
  const [x, y] = [upload(hx), upload(hy)];
  const [ax, aty] = [A(x), AT(y)];
  expect(ax.shape).toEqual(ys);
  expect(aty.shape).toEqual(xs);
  const [a, b] = await readAll([ax, aty]);
  for (const t of [x, y, ax, aty]) t.dispose();
  let [lhs, rhs, n1, n2, n3, n4] = [0, 0, 0, 0, 0, 0];
  a!.forEach((v, i) => ((lhs += v * hy.data[i]!), (n1 += v * v), (n2 += hy.data[i]! ** 2)));
  b!.forEach((v, i) => ((rhs += v * hx.data[i]!), (n3 += v * v), (n4 += hx.data[i]! ** 2)));
  return { err: Math.abs(lhs - rhs) / Math.max(Math.sqrt(n1 * n2), Math.sqrt(n3 * n4)), lhs, rhs };
}

describe('adjoints', () => {
  useDevice();
  // Each transform, its input and output shapes (complex tensors carry the pair axis).
  const CASES: [string, Op, number[], number[]][] = [
    ['fft', (x) => tl.fft(x), [3, 12, 2], [3, 12, 2]],
    ['ifft ortho', (x) => tl.ifft(x, { norm: 'ortho' }), [4, 7, 2], [4, 7, 2]],
    ['fft n=10 (pad)', (x) => tl.fft(x, { axis: 0, n: 10 }), [7, 3, 2], [10, 3, 2]],
    ['fft n=5 (crop)', (x) => tl.fft(x, { n: 5 }), [2, 9, 2], [2, 5, 2]],
    ['fft Bluestein n=1031', (x) => tl.fft(x), [1, 1031, 2], [1, 1031, 2]],
    ['rfft even', (x) => tl.rfft(x), [3, 16], [3, 9, 2]],
    ['rfft odd, n=13', (x) => tl.rfft(x, { n: 13 }), [3, 11], [3, 7, 2]],
    ['irfft even', (x) => tl.irfft(x, { n: 16 }), [3, 9, 2], [3, 16]],
    ['irfft odd, cropped input', (x) => tl.irfft(x, { n: 9, norm: 'forward' }), [2, 8, 2], [2, 9]],
    ['fft2', (x) => tl.fft2(x), [2, 6, 10, 2], [2, 6, 10, 2]],
    ['rfft2', (x) => tl.rfft2(x), [2, 6, 10], [2, 6, 6, 2]],
    ['irfft2', (x) => tl.irfft2(x, { s: [6, 9] }), [6, 5, 2], [6, 9]],
    ['fftn 3-D', (x) => tl.fftn(x), [4, 3, 5, 2], [4, 3, 5, 2]],
  ];

  it('<F x, y> = <x, F^H y> with the inverse transforms as explicit adjoints', async () => {
    const pairs: [string, Op, Op, number[]][] = [
      ['fft / n ifft', (x) => tl.fft(x), (y) => tl.ifft(y, { norm: 'forward' }), [3, 12, 2]],
      ['fft2 / n ifft2', (x) => tl.fft2(x), (y) => tl.ifft2(y, { norm: 'forward' }), [2, 6, 10, 2]],
      [
        'ortho fft / ortho ifft (unitary)',
        (x) => tl.fft(x, { norm: 'ortho', axis: 0 }),
        (y) => tl.ifft(y, { norm: 'ortho', axis: 0 }),
        [97, 2, 2],
      ],
    ];
    const g = rng();
    for (const [name, A, AT, shape] of pairs) {
      const r = await adjointMismatch(A, AT, shape, shape, g);
      expect(r.err, `seed ${g.seed}: ${name}: <Ax, y> ${r.lhs} vs <x, A^H y> ${r.rhs}`).toBeLessThan(1e-6);
    }
  });

  it('every transform against its VJP, and every VJP against its own VJP', async () => {
    const g = rng();
    for (const [name, A, xs, ys] of CASES) {
      const x0 = tl.zeros(xs);
      const y0 = tl.zeros(ys);
      const AT = pullbackOf(A, x0);
      const r1 = await adjointMismatch(A, AT, xs, ys, g);
      expect(r1.err, `seed ${g.seed}: ${name}: <Ax, y> ${r1.lhs} vs <x, vjp(y)> ${r1.rhs}`).toBeLessThan(1e-6);
      // The VJP is itself a differentiable linear map whose VJP must be A again.
      const r2 = await adjointMismatch(AT, pullbackOf(AT, y0), ys, xs, g);
      expect(r2.err, `seed ${g.seed}: ${name}: second order: <A^T y, x> ${r2.lhs} vs <y, vjp(x)> ${r2.rhs}`).toBeLessThan(1e-6);
      x0.dispose();
      y0.dispose();
    }
  });
});

describe('gradients', () => {
  useDevice();
  const linear =
    (name: string, gpu: Op, cpu: (h: HostArray) => HostArray, input: (g: Gen) => HostArray): ((g: Gen) => GradCase) =>
    (g) => ({
      name,
      inputs: [input(g)],
      gpu: gpu,
      cpu: ([h]) => cpu(h!),
      tol: 1e-5,
    });
  const CASES = [
    linear(
      'fft axis 0',
      (x) => tl.fft(x, { axis: 0 }),
      (h) => dft64(h, 0, 5, false),
      (g) => randomHost(g, [5, 3, 2]),
    ),
    linear(
      'ifft n=7',
      (x) => tl.ifft(x, { n: 7 }),
      (h) => dft64(h, 1, 7, true, 1 / 7),
      (g) => randomHost(g, [2, 5, 2]),
    ),
    linear(
      'rfft n=12',
      (x) => tl.rfft(x, { n: 12 }),
      (h) => rdft64(h, 1, 12),
      (g) => randomHost(g, [3, 9]),
    ),
    linear(
      'irfft n=8',
      (x) => tl.irfft(x, { n: 8 }),
      (h) => irdft64(h, 1, 8, 1 / 8),
      (g) => randomHost(g, [3, 5, 2]),
    ),
    linear(
      'irfft n=9 ortho',
      (x) => tl.irfft(x, { n: 9, norm: 'ortho' }),
      (h) => irdft64(h, 1, 9, 1 / 3),
      (g) => randomHost(g, [2, 6, 2]),
    ),
    linear(
      'rfft2',
      (x) => tl.rfft2(x),
      (h) => dft64(rdft64(h, 1, 6), 0, 4, false),
      (g) => randomHost(g, [4, 6]),
    ),
  ];

  it('match float64 central differences on every view layout', async () => {
    for (const make of CASES) await checkGrad(make(rng()), rng());
  });

  it('pass Taylor tests (slope 2) of squared losses', async () => {
    for (const make of CASES) {
      const g = rng();
      await checkTaylor(make(g), g);
    }
  });

  it('second order: L = |fft x|^2 / 2 has Hessian n I; hvp of an rfft2 loss matches differences of gradients', async () => {
    const g = rng();
    const h = randomHost(g, [2, 12, 2]);
    const v = randomHost(g, [2, 12, 2]);
    const [x, vt] = [upload(h), upload(v)];
    const hv = tl.hvp((z) => tl.mul(tl.sum(tl.square(tl.fft(z))), 0.5), x, vt);
    const got = await hv.data();
    expect(
      relL2(
        got,
        v.data.map((e) => 12 * e),
      ),
      `seed ${g.seed}: hvp vs 12 v`,
    ).toBeLessThan(1e-5);
    for (const t of [x, vt, hv]) t.dispose();
    const w = upload(randomHost(g, [5, 4, 2], 0.5, 1.5));
    await checkHvp(
      'sum(w |rfft2 x|^2 sin(x))',
      (z) => tl.add(tl.sum(tl.mul(w, tl.square(tl.rfft2(z)))), tl.sum(tl.sin(z))),
      randomHost(g, [5, 6]),
      g,
      1e-4,
    );
    w.dispose();
  });
});

describe('errors', () => {
  useDevice();

  it('name the argument, the expectation and what was received', () => {
    const real = tl.zeros([4, 3]);
    const z = tl.zeros([4, 3, 2]);
    const z1 = tl.zeros([1, 2]);
    expect(() => tl.fft(real)).toThrow(
      /fft\(x, opts\): x: expected a complex tensor \(float32 with a trailing axis of 2 holding re, im\), got a float32 tensor of shape \[4, 3\]/,
    );
    expect(() => tl.fft(z, { axis: 2 })).toThrow(/fft\(x, opts\): axis: expected an integer in \[-2, 1\] \(logical axes\), got 2/);
    expect(() => tl.ifft(z, { norm: 'bogus' as tl.FftNorm })).toThrow(
      /ifft\(x, opts\): norm: expected one of 'backward', 'ortho', 'forward', got "bogus"/,
    );
    expect(() => tl.fft(z, { n: 0 })).toThrow(/fft\(x, opts\): n: expected a positive integer length, got 0/);
    expect(() => tl.fft(z, { n: 2.5 })).toThrow(/expected a positive integer length, got 2.5/);
    expect(() => tl.irfft(z1)).toThrow(
      /irfft\(x, opts\): n \(default 2 \(m - 1\) for a half spectrum of length m\): expected a positive integer length, got 0/,
    );
    expect(() => tl.rfft(tl.zeros([4], 'int32'))).toThrow(
      /rfft\(x, opts\): x: expected a real float32 tensor, got an int32 tensor of shape \[4\]/,
    );
    expect(() => tl.fft2(tl.zeros([4, 2]))).toThrow(
      /fft2\(x, opts\): x: expected a tensor with at least 2 logical axes, got logical shape \[4\]/,
    );
    expect(() => tl.fftn(z, { axes: [0, -2] })).toThrow(/fftn\(x, opts\): axes: expected distinct axes, got \[0, -2\]/);
    expect(() => tl.fftn(z, { axes: [0, 1], s: [4] })).toThrow(
      /fftn\(x, opts\): s: expected 2 lengths \(one per axis\), got an array of length 1/,
    );
    expect(() => tl.fft(z, 'ortho' as unknown as tl.FftOptions)).toThrow(
      /fft\(x, opts\): options: expected an object with keys among axis, n, norm, got "ortho"/,
    );
    expect(() => tl.fft(z, { axsi: 0 } as unknown as tl.FftOptions)).toThrow(
      "tellus: fft(x, opts): unknown option 'axsi' (did you mean 'axis'?)",
    );
    expect(() => tl.irfft2(z, { size: [4, 4] } as unknown as tl.FftNOptions)).toThrow(
      "tellus: irfft2(x, opts): unknown option 'size'; valid options: axes, s, norm",
    );
    expect(() => tl.fft([1, 2] as unknown as tl.Tensor)).toThrow(/fft\(x, opts\): x: expected a Tensor, got an array/);
    expect(() => tl.fft(z, { n: 2 ** 22 })).toThrow(
      /tellus: fft\(x, opts\): n: expected a length of at most \d+ \(\d+ if its prime factors are 2, 3 and 5\), got 4194304$/,
    );
    for (const t of [real, z, z1]) t.dispose();
  });
});
