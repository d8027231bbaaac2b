// NFs-Inv (src/inverse/nfinv): the neural field's encodings and forward pass against float64
// re-implementations, the coordinate map, the driver on a tiny linear problem (its epoch against a
// hand-written Adam step on the explicit loss, data fit, the active mask), Gaussian-smeared rays
// against hand computations, and the randomized Jacobian SVD against a dense float64 SVD.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, rng, useDevice, type Gen } from './helpers.js';
import { jacobiEigh } from './numerics.js';

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
      [{ kind: 'basic' }, (x) => [...x.map((v) => Math.cos(Math.PI * v)), ...x.map((v) => Math.sin(Math.PI * v))]],
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
      const enc = (x: number[]): number[] => [...x.map((v) => Math.cos(Math.PI * v)), ...x.map((v) => Math.sin(Math.PI * v))];
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

describe('smearedRays', () => {
  const unit3 = { nx: 3, nz: 3, hx: [1, 1, 1], hz: [1, 1, 1], x0: 0, z0: 0 };
  const dense = (t: tl.SmearedRayTriplets): Float64Array[] => {
    const rows = Array.from({ length: t.nRays }, () => new Float64Array(t.nCells));
    t.rows.forEach((r, k) => (rows[r]![t.cols[k]!]! += t.values[k]!));
    return rows;
  };

  it('matches a hand computation on 3 x 3 unit cells (samples at the cell centres)', () => {
    // Ray (0, 1.5) -> (3, 1.5), spacing 1 cell: three pieces of length 1 centred on the middle row's
    // centres. Kernel exp(-d^2 / 2): d^2 = 0, 1, 2, 4 kept (1, e^-0.5, e^-1, e^-2 = 0.135), d^2 = 5
    // (e^-2.5 = 0.082) dropped. End samples: 1 + 3 e^-0.5 + 2 e^-1 + e^-2; middle: 1 + 4 e^-0.5 + 4 e^-1.
    const t = tl.smearedRays(unit3, [0, 1.5], [3, 1.5], { spacing: 1 });
    const [a, b, c] = [Math.exp(-0.5), Math.exp(-1), Math.exp(-2)];
    const sEnd = 1 + 3 * a + 2 * b + c;
    const sMid = 1 + 4 * a + 4 * b;
    const corner = a / sEnd + b / sMid; // (0, 0): the near end sample at d^2 1, the middle at 2, the far end dropped
    const edgeTop = b / sEnd + a / sMid + b / sEnd; // (0, 1)
    const left = 1 / sEnd + a / sMid + c / sEnd; // (1, 0)
    const centre = a / sEnd + 1 / sMid + a / sEnd; // (1, 1)
    const want = [corner, edgeTop, corner, left, centre, left, corner, edgeTop, corner];
    assertClose(dense(t)[0]!, want, { rtol: 1e-14, atol: 0 }, 'hand-computed row');
    expect(t.distance[0]).toBe(3);
    expect(want.reduce((s, v) => s + v, 0)).toBeCloseTo(3, 13);
  });

  it('rows sum to the ray length, reversed rays give the same row, and nothing lies beyond the cutoff', () => {
    const mesh = { nx: 12, nz: 10, hx: Array(12).fill(2), hz: Array(10).fill(2), x0: 0, z0: 0 };
    const src = [0, 1, 0, 9.5, 0, 19];
    const rec = [24, 3, 24, 10.2, 24, 17];
    const t = tl.smearedRays(mesh, src, rec);
    const back = tl.smearedRays(mesh, rec, src);
    const A = dense(t);
    const B = dense(back);
    for (let s = 0; s < 3; s++)
      for (let r = 0; r < 3; r++) {
        const row = A[s * 3 + r]!;
        const len = Math.hypot(rec[2 * r]! - src[2 * s]!, rec[2 * r + 1]! - src[2 * s + 1]!);
        expect(Math.abs(row.reduce((x, v) => x + v, 0) - len)).toBeLessThan(1e-12 * len);
        expect(t.distance[s * 3 + r]).toBeCloseTo(len, 12);
        assertClose(B[r * 3 + s]!, row, { rtol: 1e-12, atol: 1e-15 }, `reversed ray ${s}-${r}`);
      }
    // A horizontal ray along the centres of row 4 (z = 9): rows 2 cells away are reached (e^-2 > 0.1),
    // 3 cells away not (e^-4.5 < 0.1), and the row is symmetric about the ray.
    const h = dense(tl.smearedRays(mesh, [0, 9], [24, 9]))[0]!;
    const rowSum = (iz: number): number => h.slice(iz * 12, iz * 12 + 12).reduce((x, v) => x + v, 0);
    expect(rowSum(2)).toBeGreaterThan(0);
    expect(rowSum(6)).toBeGreaterThan(0);
    for (const iz of [0, 1, 7, 8, 9]) expect(rowSum(iz)).toBe(0);
    for (let d = 1; d <= 2; d++) expect(rowSum(4 - d)).toBeCloseTo(rowSum(4 + d), 12);
    // A threshold of 0.5 keeps only d^2 < 2 ln 2 = 1.39 cells^2: the ray's row and its two neighbours.
    const narrow = dense(tl.smearedRays(mesh, [0, 9], [24, 9], { threshold: 0.5 }))[0]!;
    expect(narrow.slice(0, 36).every((v) => v === 0) && narrow.slice(72).every((v) => v === 0)).toBe(true);
  });

  it('rejects bad input', () => {
    expect(() => tl.smearedRays(unit3, [0, 1.5], [3.5, 1.5])).toThrow(/receivers\[0\]: expected a point inside the mesh/);
    expect(() => tl.smearedRays(unit3, [0, 1.5, 2], [3, 1.5])).toThrow(/sources: expected a non-empty even number/);
    expect(() => tl.smearedRays(unit3, [0, 1.5], [3, 1.5], { sigma: 0 })).toThrow(/opts.sigma: expected a finite number > 0, got 0/);
    expect(() => tl.smearedRays(unit3, [0, 1.5], [3, 1.5], { treshold: 0.2 } as never)).toThrow(/did you mean 'threshold'/);
    expect(() => tl.smearedRays({ ...unit3, hx: [1, 1] }, [0, 1.5], [3, 1.5])).toThrow(/mesh.hx: expected 3 cell widths, got 2/);
  });
});

describe('jacobianSvd', () => {
  it('matches a dense float64 SVD of J = dm/dw on a tiny network to 1e-4 in the leading singular values', async () => {
    // 2 -> 6 -> 6 -> 1 on 6 x 5 cells: J is 30 x 67.
    const mesh = tl.TensorMesh2d.uniform(6, 5, 1);
    const X = tl.NeuralField.coordinates(mesh);
    const field = new tl.NeuralField({ hidden: [6, 6], seed: 11 });
    const fn = (p: tl.NamedTensors): tl.Tensor => field.call(p, X);
    const params = field.parameters();
    const names = Object.keys(params).sort(); // the pytree's leaf order
    const leaves = names.map((k) => params[k]!);
    const P = field.numParameters();
    // Dense J column by column: J e_c by jvp, all columns read back at once.
    const f = (...ls: tl.Tensor[]): tl.Tensor => fn(Object.fromEntries(names.map((k, j) => [k, ls[j]!])));
    const cols = tl.tidy(() =>
      tl.stack(
        leaves.flatMap((leaf, i) =>
          Array.from({ length: leaf.size }, (_, e) => {
            const tangents = leaves.map((l, j) => {
              const v = new Float32Array(l.size);
              if (j === i) v[e] = 1;
              return tl.tensor(v, { shape: [...l.shape] });
            });
            return tl.reshape(tl.jvp(f, leaves, tangents)[1], [30]);
          }),
        ),
      ),
    );
    const Jt = await cols.data(); // [P, 30]
    cols.dispose();
    const J = new Float64Array(30 * P);
    for (let c = 0; c < P; c++) for (let r = 0; r < 30; r++) J[r * P + c] = Jt[c * 30 + r]!;
    const JJt = new Float64Array(30 * 30);
    for (let a = 0; a < 30; a++) for (let b = 0; b < 30; b++) for (let k = 0; k < P; k++) JJt[a * 30 + b]! += J[a * P + k]! * J[b * P + k]!;
    const dense = jacobiEigh(JJt, 30).values.map((l) => Math.sqrt(Math.max(l, 0)));

    const k = 5;
    const res = await tl.jacobianSvd(fn, params, { k, oversample: 10, powerIterations: 2, seed: 3 });
    expect([res.rows, res.columns]).toEqual([30, P]);
    expect(res.products).toEqual({ jvp: 45, vjp: 45 });
    // Both sides come from float32 products of J (jvp columns vs pullbacks), each within ~1e-6 of
    // the exact J's entries, which moves these well-separated singular values by ~1e-7 relative.
    // Subspace iteration (l = 15, q = 2) converges for the values as (sigma_16 / sigma_5)^(2(2q + 1))
    // = 3e-9 on this spectrum (10.8, 8.0, 6.05, 3.53, 2.55, ..., 0.353 at 16). Measured: 2.3e-8.
    const rel = res.values.map((s, i) => Math.abs(s - dense[i]!) / dense[i]!);
    console.log(
      `jacobianSvd vs dense: sigma ${Array.from(res.values, (v) => v.toPrecision(6)).join(', ')}; dense ${dense
        .slice(0, 6)
        .map((v) => v.toPrecision(6))
        .join(', ')}; max rel ${Math.max(...rel).toExponential(2)}`,
    );
    expect(Math.max(...rel)).toBeLessThan(1e-4);
    // The left singular vectors are J's: J^T u_i has norm sigma_i and J J^T u_i = sigma_i^2 u_i.
    for (let i = 0; i < k; i++) {
      const u = res.vectors[i]!;
      expect(Math.abs(Math.hypot(...u) - 1)).toBeLessThan(1e-10);
      const ju = Array.from({ length: 30 }, (_, a) => u.reduce((s, v, b) => s + JJt[a * 30 + b]! * v, 0));
      const lam = dense[i]! ** 2;
      const err = Math.hypot(...ju.map((v, a) => v - lam * u[a]!)) / lam;
      // The vectors converge as (sigma_16 / sigma_i)^(2q + 1) (half the values' exponent): measured
      // 5e-8 .. 8e-5 for i = 0..4, within 1.6x of that bound; 1e-5 allows for the float32 products.
      expect(err).toBeLessThan(4 * (dense[15]! / dense[i]!) ** 5 + 1e-5);
    }
    X.dispose();
    field.dispose();
  });

  it('rejects bad input', async () => {
    const w = tl.ones([3]);
    const fn = (p: { w: tl.Tensor }): tl.Tensor => p.w.mul(2);
    await expect(tl.jacobianSvd(fn, { w }, { k: 4 })).rejects.toThrow(/opts.k: expected at most min\(rows, columns\) = 3, got 4/);
    await expect(tl.jacobianSvd(fn, { w }, { powerIteration: 2 } as never)).rejects.toThrow(/did you mean 'powerIterations'/);
    await expect(tl.jacobianSvd(3 as never, { w })).rejects.toThrow(/jacobianSvd\(fn, params, opts\): fn: expected a function/);
    await expect(tl.jacobianSvd(fn, {})).rejects.toThrow(/params: expected a pytree with at least one tensor/);
    w.dispose();
  });
});

/** d = A m as a Simulation (J = A). */
function linearSim(A: tl.CsrMatrix): tl.Simulation {
  return {
    nModel: A.cols,
    nData: A.rows,
    dpred: async (m) => tl.spmv(A, m),
    Jvec: async (_m, v) => tl.spmv(A, v),
    Jtvec: async (_m, w) => tl.spmv(A.transpose(), w),
  };
}

/** A random sparse nData x nModel matrix with `perRow` entries in (0, 1) per row (ray-length-like). */
function randomSparse(g: Gen, nData: number, nModel: number, perRow: number): tl.CsrMatrix {
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < nData; i++)
    for (let k = 0; k < perRow; k++) {
      rows.push(i);
      cols.push(Math.floor(g.next() * nModel));
      values.push(0.1 + 0.9 * g.next());
    }
  return tl.sparseMatrix(nData, nModel, { rows, cols, values });
}

/** 8 x 6 cells, the outer ring inactive (background 1), a block of 2 in the active 6 x 4 core. */
function tinyProblem(g: Gen): { mesh: tl.TensorMesh2d; active: number[]; mTrue: Float64Array; A: tl.CsrMatrix } {
  const mesh = tl.TensorMesh2d.uniform(8, 6, 10);
  const active = Array.from({ length: 48 }, (_, i) => (i % 8 > 0 && i % 8 < 7 && i >= 8 && i < 40 ? 1 : 0));
  const mTrue = Float64Array.from({ length: 48 }, (_, i) =>
    i % 8 >= 2 && i % 8 <= 4 && Math.floor(i / 8) >= 2 && Math.floor(i / 8) <= 3 ? 2 : 1,
  );
  return { mesh, active, mTrue, A: randomSparse(g, 60, 48, 8) };
}

describe('nfInvert', () => {
  it('one epoch is a gradient step on (1 - beta) phi_d / 2N + beta (1/N) sum |m - m_ref| with padding held', async () => {
    const g = rng();
    const { mesh, active, mTrue, A } = tinyProblem(g);
    const Ad = A.toDense();
    const dObs = Float64Array.from(
      { length: 60 },
      (_, i) => mTrue.reduce((s, v, j) => s + Ad[i * 48 + j]! * v, 0) + 0.05 * (g.next() - 0.5),
    );
    const std = Float32Array.from({ length: 60 }, () => 0.5 + g.next());
    const X = tl.NeuralField.coordinates(mesh, active);
    const opts: tl.NeuralFieldOptions = { hidden: [16, 16], output: { activation: 'tanh', scale: 3, offset: 1 }, seed: 4 };
    const field = new tl.NeuralField(opts);
    const twin = new tl.NeuralField(opts);
    const w0 = Object.fromEntries(await Promise.all(Object.entries(twin.parameters()).map(async ([k, t]) => [k, await f64(t)] as const)));
    const tau = 3;
    const beta = Math.exp(-1 / tau);
    const [dT, stdT] = [tl.tensor(Float32Array.from(dObs)), tl.tensor(std)];
    const sgd = new tl.SGD({ lr: 1 });
    const res = await tl.nfInvert(linearSim(A), dT, {
      field,
      coordinates: X,
      active,
      background: 1,
      epochs: 1,
      optimizer: sgd,
      uncertainty: stdT,
      smallness: { reference: 1.2, tau },
    });
    expect(res.history.map((h) => [h.epoch, h.beta])).toEqual([[1, beta]]);
    // The explicit loss through the tape (dense A, W = 1/std), differentiated by tl.grad.
    const idx = active.flatMap((a, i) => (a ? [i] : []));
    const P = tl.sparseMatrix(48, 24, { rows: idx, cols: idx.map((_, k) => k), values: idx.map(() => 1) });
    const fill = tl.tensor(Float32Array.from(active, (a) => 1 - a));
    const Adense = tl.tensor(Float32Array.from(Ad), { shape: [60, 48] });
    const grads = tl.grad((p: tl.NamedTensors) => {
      const ma = tl.reshape(twin.call(p, X), [24]);
      const m = tl.add(tl.spmv(P, ma), fill);
      const r = tl.div(tl.sub(tl.reshape(tl.matmul(Adense, tl.reshape(m, [48, 1])), [60]), dT), stdT);
      const phiD = tl.mul(tl.sum(tl.square(r)), (1 - beta) / 24 / 2);
      return tl.add(phiD, tl.mul(tl.sum(tl.abs(tl.sub(ma, 1.2))), beta / 24));
    })(twin.parameters()) as tl.NamedTensors;
    for (const [k, t] of Object.entries(field.parameters())) {
      const gk = await f64(grads[k]!);
      const want = w0[k]!.map((w, i) => w - gk[i]!);
      const scale = gk.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      // Two float32 routes to the same gradient (Jtvec + pullback vs the tape): ~1e-6 of its size.
      assertClose(await t.data(), want, { rtol: 0, atol: 1e-5 * scale + 1e-7 }, `parameter ${k} after one SGD step`);
    }
    // Padding cells hold the background exactly.
    const m = await res.model.data();
    active.forEach((a, i) => a || expect(m[i]).toBe(1));
    [res.model, X, dT, stdT, P, fill, Adense, ...Object.values(grads)].forEach((t) => t.dispose());
    [field, twin, A, sgd].forEach((o) => o.dispose());
  });

  it('fits a tiny linear problem with Adam, memory flat over epochs', async () => {
    const g = rng();
    const { mesh, active, mTrue, A } = tinyProblem(g);
    const Ad = A.toDense();
    const dObs = tl.tensor(Float32Array.from({ length: 60 }, (_, i) => mTrue.reduce((s, v, j) => s + Ad[i * 48 + j]! * v, 0)));
    const X = tl.NeuralField.coordinates(mesh, active);
    const field = new tl.NeuralField({
      hidden: [32, 32],
      output: { activation: 'tanh', scale: 3, offset: 1 },
      encoding: { kind: 'basic' },
      seed: 2,
    });
    const mem: number[] = [];
    const seen: number[] = [];
    const res = await tl.nfInvert(linearSim(A), dObs, {
      field,
      coordinates: X,
      active,
      background: 1,
      epochs: 120,
      lr: 1e-2,
      uncertainty: 0.01,
      logEvery: 40,
      onIteration: (info) => {
        seen.push(info.epoch);
        expect(info.model.shape).toEqual([48]);
        expect(info.eta).toBeGreaterThanOrEqual(0);
        const mm = tl.memory();
        mem.push(mm.bytesLive + mm.bytesPooled);
      },
    });
    expect(seen).toEqual([1, 40, 80, 120]);
    expect(res.history.map((h) => h.epoch)).toEqual(seen);
    expect(res.history.every((h) => h.beta === 0 && h.phiM >= 0 && h.chi === h.phiD / 60)).toBe(true);
    const [first, last] = [res.history[0]!.phiD, res.phiD];
    console.log(`nfInvert tiny linear: phi_d ${first.toExponential(3)} -> ${last.toExponential(3)} (120 epochs)`);
    expect(last).toBeLessThan(1e-3 * first);
    for (let i = 2; i < mem.length; i++) expect(mem[i], `bytes at log ${i}`).toBeLessThanOrEqual(mem[1]!);
    const m = await res.model.data();
    active.forEach((a, i) => a || expect(m[i]).toBe(1));
    // 60 data, 24 unknowns (A's active columns have full rank): fitting the data recovers the block.
    // With the basic encoding's one period over the domain, 120 epochs reach 1.0e-2 (phi_d down
    // 1e5) in Node; 2e-2 leaves room for float32 summation order across adapters.
    const err = Math.sqrt(idxSum(active, (i) => (m[i]! - mTrue[i]!) ** 2) / idxSum(active, (i) => mTrue[i]! ** 2));
    console.log(`nfInvert tiny linear: relative model error in the active cells ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-2);
    [res.model, X, dObs].forEach((t) => t.dispose());
    [field, A].forEach((o) => o.dispose());
  });

  it('rejects bad input', async () => {
    const g = rng();
    const { mesh, active, A } = tinyProblem(g);
    const sim = linearSim(A);
    const d = tl.zeros([60]);
    const X = tl.NeuralField.coordinates(mesh, active);
    const field = new tl.NeuralField({ hidden: [4] });
    const base = { field, coordinates: X, active, background: 1, epochs: 1 };
    await expect(tl.nfInvert(sim, d, { ...base, background: undefined })).rejects.toThrow(
      /opts.background: expected the value of the inactive cells/,
    );
    await expect(tl.nfInvert(sim, d, { ...base, active: undefined })).rejects.toThrow(
      /opts.coordinates: expected a float32 tensor \[48, 2\]/,
    );
    await expect(tl.nfInvert(sim, d, { ...base, epoch: 3 } as never)).rejects.toThrow(/unknown option 'epoch' \(did you mean 'epochs'\?\)/);
    await expect(tl.nfInvert(sim, d, { ...base, active: [1, 0] })).rejects.toThrow(/opts.active: expected 48 entries/);
    await expect(tl.nfInvert(sim, d, { ...base, field: {} as never })).rejects.toThrow(/opts.field: expected a NeuralField/);
    await expect(tl.nfInvert(sim, d, { ...base, smallness: { reference: 0, tau: -1 } })).rejects.toThrow(
      /opts.smallness.tau: expected a finite number > 0/,
    );
    await expect(tl.nfInvert(sim, d, { ...base, lr: 0.1, optimizer: new tl.SGD({ lr: 1 }) })).rejects.toThrow(/opts.lr: expected absent/);
    await expect(tl.nfInvert(sim, tl.zeros([5]), base)).rejects.toThrow(
      /nfInvert\(sim, dObs, opts\): dObs: expected a float32 tensor with sim.nData = 60/,
    );
    await expect(tl.nfInvert({ ...sim, nData: 0 }, d, base)).rejects.toThrow(/sim.nData: expected an integer >= 1, got 0/);
    const nan = { ...sim, dpred: async () => tl.full([60], NaN) };
    await expect(tl.nfInvert(nan, d, base)).rejects.toThrow(/misfit became non-finite by epoch 1/);
    expect(() => new tl.NeuralField({ encoding: { kind: 'fourier' } as never })).toThrow(
      /encoding.kind: expected 'identity', 'basic', 'nerf' or 'gaussian', got "fourier"/,
    );
    expect(() => new tl.NeuralField({ slope: 1.5 })).toThrow(/NeuralField\(opts\): slope: expected a number in \[0, 1\), got 1.5/);
    expect(() => new tl.NeuralField({ output: 'conductivity' as never })).toThrow(/output: expected 'log-conductivity', 'slowness' or/);
    expect(() => new tl.NeuralField({ encoding: { kind: 'nerf', levels: 0 } })).toThrow(/encoding.levels: expected an integer >= 1, got 0/);
    expect(() => tl.NeuralField.coordinates(mesh, new Array(48).fill(0))).toThrow(/active: expected at least one active cell/);
    [d, X].forEach((t) => t.dispose());
    [field, A].forEach((o) => o.dispose());
  });
});

const idxSum = (active: number[], f: (i: number) => number): number => active.reduce((s, a, i) => s + (a ? f(i) : 0), 0);
