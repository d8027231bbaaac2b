// Complex tensors (float32 with a trailing (re, im) axis): creation and read-back, real/imag/conj/
// cabs/angle, complex multiply with broadcasting, batched complex matmul and channel mixing, against
// float64 references on every view layout; gradients against float64 differences and Taylor
// tests; the gradient convention (dL/dre + i dL/dim, as PyTorch); errors.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, relL2, rng, upload, useDevice, views, type Gen } from './helpers.js';
import { randomHost } from './ref.js';
import { checkGrad, checkTaylor, readAll, type GradCase } from './gradref.js';

type C = [number, number];
const at = (h: HostArray, idx: number[]): C => [h.at([...idx, 0]), h.at([...idx, 1])];
const mulC = ([a, b]: C, [c, d]: C): C => [a * c - b * d, a * d + b * c];

/** A complex host array of logical `shape` from a function of the logical index. */
const buildC = (shape: number[], f: (idx: number[]) => C): HostArray =>
  HostArray.build([...shape, 2], (i) => f(i.slice(0, -1))[i.at(-1)!]!);

/** Broadcast index of a logical operand shape into a target index. */
const bidx = (shape: readonly number[], idx: number[]): number[] =>
  shape.map((d, k) => (d === 1 ? 0 : idx[idx.length - shape.length + k]!));

const cmul64 = (a: HostArray, b: HostArray): HostArray => {
  const sa = a.shape.slice(0, -1);
  const sb = b.shape.slice(0, -1);
  const r = Math.max(sa.length, sb.length);
  const shape = Array.from({ length: r }, (_, i) => Math.max(sa[sa.length - r + i] ?? 1, sb[sb.length - r + i] ?? 1));
  return buildC(shape, (i) => mulC(at(a, bidx(sa, i)), at(b, bidx(sb, i))));
};

const cmatmul64 = (a: HostArray, b: HostArray): HostArray => {
  const [M, K] = a.shape.slice(-3, -1) as [number, number];
  const N = b.shape.at(-2)!;
  const batch = a.shape.slice(0, -3);
  return buildC([...batch, M, N], (i) => {
    const z = i.slice(0, -2);
    let acc: C = [0, 0];
    for (let k = 0; k < K; k++) {
      const p = mulC(at(a, [...z, i.at(-2)!, k]), at(b, [...bidx(b.shape.slice(0, -3), z), k, i.at(-1)!]));
      acc = [acc[0] + p[0], acc[1] + p[1]];
    }
    return acc;
  });
};

/** einsum('bixy,ioxy->boxy') in float64. */
const cmix64 = (x: HostArray, w: HostArray): HostArray => {
  const [B, I, ...sp] = x.shape.slice(0, -1);
  const O = w.shape[1]!;
  return buildC([B!, O, ...sp], ([b, o, ...s]) => {
    let acc: C = [0, 0];
    for (let i = 0; i < I!; i++) {
      const p = mulC(at(x, [b!, i, ...s]), at(w, [i, o!, ...s]));
      acc = [acc[0] + p[0], acc[1] + p[1]];
    }
    return acc;
  });
};

const realPart = (h: HostArray, k: 0 | 1): HostArray => HostArray.build(h.shape.slice(0, -1), (i) => h.at([...i, k]));

describe('complex tensors', () => {
  useDevice();

  it('creation, parts and read-back', async () => {
    const g = rng();
    const h = randomHost(g, [3, 4, 2]);
    const re = realPart(h, 0);
    const im = realPart(h, 1);
    const z = tl.complex(upload(re), upload(im));
    expect(z.shape).toEqual([3, 4, 2]);
    expect(Array.from(await z.data())).toEqual(Array.from(new Float32Array(h.data)));
    const fromPairs = tl.complexTensor(h.data, [3, 4]);
    const fromParts = tl.complexTensor({ re: re.data, im: im.data }, [3, 4]);
    const back = await tl.complexData(fromParts);
    expect(Array.from(back.re)).toEqual(Array.from(new Float32Array(re.data)));
    expect(Array.from(back.im)).toEqual(Array.from(new Float32Array(im.data)));
    expect(Array.from(await fromPairs.data())).toEqual(Array.from(await z.data()));
    const [r, i] = await readAll([tl.real(z), tl.imag(z)]);
    expect(Array.from(r!)).toEqual(Array.from(new Float32Array(re.data)));
    expect(Array.from(i!)).toEqual(Array.from(new Float32Array(im.data)));
    for (const t of [z, fromPairs, fromParts]) t.dispose();
  });

  it('conj, cabs and angle on every view layout, angle on the axes as in NumPy', async () => {
    const g = rng();
    const h = randomHost(g, [4, 5, 2]);
    for (const v of views(h, g)) {
      const z = v.make();
      const [c, a, ang] = await readAll([tl.conj(z), tl.cabs(z), tl.angle(z)]);
      expect(relL2(c!, buildC([4, 5], (i) => [at(h, i)[0], -at(h, i)[1]]).data), v.name).toBeLessThan(1e-7);
      const mag = HostArray.build([4, 5], (i) => Math.hypot(...at(h, i)));
      const arg = HostArray.build([4, 5], (i) => Math.atan2(at(h, i)[1], at(h, i)[0]));
      expect(relL2(a!, mag.data), `${v.name}: cabs`).toBeLessThan(2e-7);
      for (let k = 0; k < arg.data.length; k++) expect(Math.abs(ang![k]! - arg.data[k]!), `${v.name}: angle ${k}`).toBeLessThan(4e-7);
      z.dispose();
    }
    const axes = tl.complexTensor([1, 0, 0, 1, -1, 0, 0, -1, 0, 0, 3, 4, -2, -2e-20, -1, -0], [8]);
    const got = await tl.angle(axes).data();
    // The last is NumPy's angle(-1 - 0j) = -pi: the sign of a zero imaginary part picks the side of the cut.
    const want = [0, Math.PI / 2, Math.PI, -Math.PI / 2, 0, Math.atan2(4, 3), Math.atan2(-2e-20, -2), Math.atan2(-0, -1)];
    want.forEach((w, k) => expect(Math.abs(got[k]! - w), `angle of ${axes.shape} value ${k}: ${got[k]} vs ${w}`).toBeLessThan(2.5e-7));
    axes.dispose();
  });

  it('cmul broadcasts; cmatmul is batched; cmix is einsum bixy,ioxy->boxy', async () => {
    const g = rng();
    const a = randomHost(g, [3, 1, 4, 2]);
    const b = randomHost(g, [2, 4, 2]);
    for (const v of views(a, g)) {
      const at_ = v.make();
      const bt = upload(b);
      expect(relL2(await tl.cmul(at_, bt).data(), cmul64(a, b).data), `cmul, a as ${v.name}`).toBeLessThan(2e-7);
      at_.dispose();
      bt.dispose();
    }
    const ma = randomHost(g, [2, 3, 5, 2]);
    const mb = randomHost(g, [5, 4, 2]);
    for (const v of views(ma, g)) {
      const x = v.make();
      const y = upload(mb);
      expect(
        relL2(
          await tl.cmatmul(x, y).data(),
          cmatmul64(
            ma,
            HostArray.build([1, 5, 4, 2], (i) => mb.at(i.slice(1))),
          ).data,
        ),
        `cmatmul, a as ${v.name}`,
      ).toBeLessThan(1e-6);
      x.dispose();
      y.dispose();
    }
    // A long inner dimension is summed in chunks (llvmpipe cuts long per-invocation loops short).
    const la = randomHost(g, [2, 5000, 2]);
    const lb = randomHost(g, [5000, 3, 2]);
    const long = tl.cmatmul(upload(la), upload(lb));
    expect(relL2(await long.data(), cmatmul64(la, lb).data), 'cmatmul K=5000').toBeLessThan(1e-5);
    long.dispose();
    const x = randomHost(g, [2, 3, 4, 5, 2]);
    const w = randomHost(g, [3, 6, 4, 5, 2]);
    const out = tl.cmix(upload(x), upload(w));
    expect(out.shape).toEqual([2, 6, 4, 5, 2]);
    expect(relL2(await out.data(), cmix64(x, w).data)).toBeLessThan(1e-6);
  });
});

describe('complex gradients', () => {
  useDevice();
  const CASES: ((g: Gen) => GradCase)[] = [
    (g) => ({
      name: 'cmul (broadcast)',
      inputs: [randomHost(g, [3, 1, 4, 2]), randomHost(g, [2, 4, 2])],
      gpu: tl.cmul,
      cpu: ([a, b]) => cmul64(a!, b!),
      tol: 1e-5,
    }),
    (g) => ({
      name: 'cmatmul',
      inputs: [randomHost(g, [2, 3, 5, 2]), randomHost(g, [2, 5, 4, 2])],
      gpu: tl.cmatmul,
      cpu: ([a, b]) => cmatmul64(a!, b!),
      tol: 1e-5,
    }),
    (g) => ({
      name: 'cmix',
      inputs: [randomHost(g, [2, 3, 2, 3, 2]), randomHost(g, [3, 4, 2, 3, 2])],
      gpu: tl.cmix,
      cpu: ([a, b]) => cmix64(a!, b!),
      tol: 1e-5,
    }),
    (g) => ({
      name: 'conj',
      inputs: [randomHost(g, [3, 4, 2])],
      gpu: tl.conj,
      cpu: ([z]) => buildC([3, 4], (i) => [at(z!, i)[0], -at(z!, i)[1]]),
      tol: 1e-6,
    }),
    (g) => ({
      name: 'cabs',
      inputs: [randomHost(g, [3, 4, 2])],
      gpu: tl.cabs,
      cpu: ([z]) => HostArray.build([3, 4], (i) => Math.hypot(...at(z!, i))),
      tol: 2e-5,
    }),
    (g) => ({
      name: 'angle',
      inputs: [randomHost(g, [3, 4, 2])],
      gpu: tl.angle,
      cpu: ([z]) => HostArray.build([3, 4], (i) => Math.atan2(at(z!, i)[1], at(z!, i)[0])),
      tol: 2e-5,
    }),
    (g) => ({
      name: 'complex(re, im)',
      inputs: [randomHost(g, [3, 4]), randomHost(g, [3, 4])],
      gpu: tl.complex,
      cpu: ([a, b]) => buildC([3, 4], (i) => [a!.at(i), b!.at(i)]),
      tol: 1e-6,
    }),
  ];

  it('match float64 central differences on every view layout', async () => {
    for (const make of CASES) await checkGrad(make(rng()), rng());
  });

  it('pass Taylor tests', async () => {
    for (const make of CASES.slice(0, 3)) {
      const g = rng();
      await checkTaylor(make(g), g);
    }
  });

  it("follow PyTorch's convention: the gradient of a real loss is dL/dre + i dL/dim", async () => {
    const g = rng();
    const hz = randomHost(g, [5, 2]);
    const hc = randomHost(g, [5, 2]);
    const [z, c] = [upload(hz), upload(hc)];
    // L = sum |z|^2 has gradient 2 z; L = Re(sum conj(c) z) has gradient c; for holomorphic
    // f(z) = z^2, L = Re(sum conj(c) f(z)) has gradient c conj(f'(z)) = 2 c conj(z).
    const g1 = tl.grad((x: tl.Tensor) => tl.sum(tl.square(tl.cabs(x))))(z) as tl.Tensor;
    const g2 = tl.grad((x: tl.Tensor) => tl.sum(tl.real(tl.cmul(tl.conj(c), x))))(z) as tl.Tensor;
    const g3 = tl.grad((x: tl.Tensor) => tl.sum(tl.real(tl.cmul(tl.conj(c), tl.cmul(x, x)))))(z) as tl.Tensor;
    const [r1, r2, r3] = await readAll([g1, g2, g3]);
    expect(
      relL2(
        r1!,
        hz.data.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-6);
    expect(relL2(r2!, hc.data)).toBeLessThan(1e-6);
    const want3 = buildC([5], (i) => mulC(at(hc, i), [2 * at(hz, i)[0], -2 * at(hz, i)[1]]));
    expect(relL2(r3!, want3.data)).toBeLessThan(1e-6);
    // |z| at 0: gradient 0, not NaN.
    const zero = tl.zeros([2, 2]);
    const zeroGrads = await readAll([
      tl.grad((x: tl.Tensor) => tl.sum(tl.cabs(x)))(zero) as tl.Tensor,
      tl.grad((x: tl.Tensor) => tl.sum(tl.angle(x)))(zero) as tl.Tensor,
    ]);
    for (const gz of zeroGrads) expect(Array.from(gz, Math.abs)).toEqual([0, 0, 0, 0]);
    for (const t of [z, c, g1, g2, g3, zero]) t.dispose();
  });
});

describe('complex errors', () => {
  useDevice();

  it('name the argument, the expectation and what was received', () => {
    const real = tl.zeros([3, 4]);
    const z = tl.zeros([3, 4, 2]);
    expect(() => tl.cmul(real, z)).toThrow(
      /cmul\(a, b\): a: expected a complex tensor \(float32 with a trailing axis of 2 holding re, im\), got a float32 tensor of shape \[3, 4\]/,
    );
    expect(() => tl.cmul(z, tl.zeros([5, 2]))).toThrow(/cmul\(a, b\): shapes \[3, 4\] and \[5\] cannot be broadcast/);
    expect(() => tl.cmatmul(z, tl.zeros([3, 4, 2]))).toThrow(
      /cmatmul\(a, b\): inner dimensions differ: a is \[3, 4\], b is \[3, 4\] \(4 vs 3\)/,
    );
    expect(() => tl.cmatmul(tl.zeros([4, 2]), z)).toThrow(
      /cmatmul\(a, b\): a: expected a complex matrix \(logical rank >= 2\), got logical shape \[4\]/,
    );
    expect(() => tl.cmix(tl.zeros([2, 3, 5, 2]), tl.zeros([4, 6, 5, 2]))).toThrow(
      /cmix\(x, w\): expected x \[batch, in, \.\.\.\] and w \[in, out, \.\.\.\] with equal trailing dims, got logical shapes \[2, 3, 5\] and \[4, 6, 5\]/,
    );
    expect(() => tl.complex(real, tl.zeros([4, 3]))).toThrow(
      /complex\(re, im\): im: expected a float32 tensor of shape \[3, 4\] \(as re\), got a float32 tensor of shape \[4, 3\]/,
    );
    expect(() => tl.complexTensor([1, 2, 3], [2])).toThrow(
      /complexTensor\(data, shape\): data: expected 4 interleaved values \(shape \[2\]\), got 3/,
    );
    expect(() => tl.angle(tl.zeros([3], 'int32'))).toThrow(
      /angle\(z\): z: expected a complex tensor .* got an int32 tensor of shape \[3\]/,
    );
    real.dispose();
    z.dispose();
  });
});
