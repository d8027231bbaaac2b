// NFs-Inv (src/inverse/nfinv): the neural field's encodings and forward pass against float64
// re-implementations, the coordinate map, the driver on a tiny linear problem (its epoch against a
// hand-written Adam step on the explicit loss, data fit, the active mask), Gaussian-smeared rays
// against hand computations, and the randomized Jacobian SVD against a dense float64 SVD.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, rng, useDevice, type Gen } from './helpers.js';

useDevice();

const f64 = async (t: tl.Tensor): Promise<Float64Array> => Float64Array.from(await t.data());
const leaky = (x: number, a: number): number => (x >= 0 ? x : a * x);
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** Float64 forward pass of a NeuralField from its weights read back: the reference of the GPU forward. */
async function reference(field: tl.NeuralField, enc: (x: number[]) => number[], X: number[][]): Promise<number[]> {
  const layers = await Promise.all(
    field.layers.map(async (l) => ({ W: await f64(l.weight), b: await f64(l.bias!), out: l.outFeatures, inp: l.inFeatures })),
  );
  const { activation, scale, offset } = field.output;
  return X.map((x) => {
    let h = enc(x);
    layers.forEach((l, k) => {
      const y = Array.from({ length: l.out }, (_, o) => l.b[o]! + h.reduce((s, v, i) => s + l.W[o * l.inp + i]! * v, 0));
      h = k < layers.length - 1 ? y.map((v) => leaky(v, field.slope)) : y;
    });
    const a = activation === 'sigmoid' ? sig(h[0]!) : activation === 'tanh' ? Math.tanh(h[0]!) : h[0]!;
    return offset + scale * a;
  });
}

const points = (g: Gen, n: number): number[][] => Array.from({ length: n }, () => [2 * g.next() - 1, 2 * g.next() - 1]);
const asTensor = (X: number[][]): tl.Tensor => tl.tensor(Float32Array.from(X.flat()), { shape: [X.length, X[0]!.length] });

describe('NeuralField', () => {
  it('encodes with the identity, basic, NeRF and Gaussian maps as the float64 formulas', async () => {
    const g = rng();
    const X = points(g, 40).map((p) => p.map((v) => Math.fround(v)));
    const Xt = asTensor(X);
    const cases: [tl.Encoding, (x: number[]) => number[]][] = [
      [{ kind: 'identity' }, (x) => x],
      [{ kind: 'basic' }, (x) => [...x.map((v) => Math.cos(2 * Math.PI * v)), ...x.map((v) => Math.sin(2 * Math.PI * v))]],
      [
        { kind: 'nerf', levels: 3 },
        (x) => {
          const z = [1, 2, 3].flatMap((l) => x.map((v) => (l * Math.PI * v) / 2));
          return [...z.map(Math.cos), ...z.map(Math.sin)];
        },
      ],
      [
        { kind: 'gaussian', features: 16, std: 0.5, seed: 7 },
        (x) => {
          // B [16, 2] drawn row by row from the toolkit's seeded stream; the argument is pi x B^T.
          const r = new tl.Rng(7);
          const B = Array.from({ length: 16 }, () => [0.5 * r.normal(), 0.5 * r.normal()]);
          const z = B.map((b) => Math.PI * (x[0]! * b[0]! + x[1]! * b[1]!));
          return [...z.map(Math.cos), ...z.map(Math.sin)];
        },
      ],
    ];
    for (const [encoding, want] of cases) {
      const field = new tl.NeuralField({ hidden: [4], encoding });
      const z = field.encode(Xt);
      expect(z.shape).toEqual([40, field.encodedWidth]);
      // |argument| <= 3 pi / 2 here (nerf) and ~5 (gaussian): float32 products and cos/sin err by ~1e-6.
      assertClose(await z.data(), X.flatMap(want), { rtol: 0, atol: 4e-6 }, `encoding ${encoding.kind}`);
      if (z !== Xt) z.dispose();
      field.dispose();
    }
    for (const [encoding, width] of [
      [{ kind: 'nerf' }, 32],
      [{ kind: 'gaussian' }, 256],
    ] as const) {
      const f = new tl.NeuralField({ encoding });
      expect(f.encodedWidth).toBe(width);
      f.dispose();
    }
    Xt.dispose();
  });

  it('runs the MLP and the output maps as a float64 re-implementation; Kaiming weights from the seed', async () => {
    const g = rng();
    const X = points(g, 24).map((p) => p.map((v) => Math.fround(v)));
    const Xt = asTensor(X);
    const outputs: [tl.NeuralFieldOptions['output'], number, number][] = [
      ['log-conductivity', -8, 0],
      ['slowness', -10, 10],
      [{ activation: 'identity', scale: 2, offset: 1 }, -Infinity, Infinity],
    ];
    for (const [output, lo, hi] of outputs) {
      const field = new tl.NeuralField({ hidden: [16, 16], output, encoding: { kind: 'basic' }, seed: 3 });
      const enc = (x: number[]): number[] => [...x.map((v) => Math.cos(2 * Math.PI * v)), ...x.map((v) => Math.sin(2 * Math.PI * v))];
      const want = await reference(field, enc, X);
      const got = await field.apply(Xt).data();
      // A 3-layer float32 MLP of O(1) values: ~1e-6 relative; the output scale multiplies it.
      assertClose(got, want, { rtol: 1e-5, atol: 2e-5 }, `forward ${JSON.stringify(output)}`);
      expect(Array.from(got).every((v) => v > lo && v < hi)).toBe(true);
      field.dispose();
    }
    // The authors' network with the identity encoding has 263,809 weights (the paper's count).
    const big = new tl.NeuralField({ output: 'log-conductivity', seed: 5 });
    expect(big.numParameters()).toBe(263809);
    // Layer 2 is 256 x 256: Kaiming normal with gain sqrt(2 / (1 + 0.2^2)), fan-in 256; zero biases.
    const w = await f64(big.layers[2]!.weight);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(Math.abs(std / (Math.sqrt(2 / 1.04) / 16) - 1)).toBeLessThan(0.02); // 65,536 draws: sd of the estimate 0.3%
    expect((await f64(big.layers[2]!.bias!)).every((v) => v === 0)).toBe(true);
    const again = new tl.NeuralField({ output: 'log-conductivity', seed: 5 });
    expect(Array.from(await f64(again.layers[0]!.weight))).toEqual(Array.from(await f64(big.layers[0]!.weight)));
    const other = new tl.NeuralField({ output: 'log-conductivity', seed: 6 });
    expect(Array.from(await f64(other.layers[0]!.weight))).not.toEqual(Array.from(await f64(big.layers[0]!.weight)));
    [big, again, other].forEach((f) => f.dispose());
    Xt.dispose();
  });

  it('maps the active cell centres onto [-1, 1] per axis, in cell order', async () => {
    const mesh = tl.TensorMesh2d.uniform(4, 3, 10, [100, 0]); // centres x 105..135, z 5..25
    const all = await NeuralFieldCoords(mesh);
    expect(all.length).toBe(24);
    assertClose(all.slice(0, 8), [-1, -1, -1 / 3, -1, 1 / 3, -1, 1, -1], { rtol: 0, atol: 1e-7 }, 'first row');
    assertClose(all.slice(16), [-1, 1, -1 / 3, 1, 1 / 3, 1, 1, 1], { rtol: 0, atol: 1e-7 }, 'last row');
    // Only the two middle columns of the top two rows: x 115, 125 -> -1, 1; z 5, 15 -> -1, 1.
    const active = [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];
    assertClose(await NeuralFieldCoords(mesh, active), [-1, -1, 1, -1, -1, 1, 1, 1], { rtol: 0, atol: 1e-7 }, 'active');
    // One active column: x maps to 0.
    assertClose(
      await NeuralFieldCoords(mesh, [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]),
      [0, -1, 0, 0, 0, 1],
      { rtol: 0, atol: 1e-7 },
      'column',
    );
  });
});

async function NeuralFieldCoords(mesh: tl.CentredMesh, active?: number[]): Promise<Float32Array> {
  const X = tl.NeuralField.coordinates(mesh, active);
  const out = (await X.data()) as Float32Array;
  X.dispose();
  return out;
}
