// A float sum over the last axis of an invisible fused program runs as one run_sum4 dispatch (the
// program's values go straight into the compensated sum: src/graph/fusion.ts, fuseSum). Checked
// against float64 references, and bitwise against the same sum with the program held in a tensor
// (which must store it first): the order and compensation are the same, so the float32 results are
// too. Cases that must not fuse (a sum over a leading axis, a length not a multiple of 4, a held
// intermediate) are checked for the fallback and its numbers. Tolerance: the compensated sum errs
// by a few float32 ulp of the sum, 1e-6 relative.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, randomFloats, rng, useDevice } from './helpers.js';

const TOL = { rtol: 1e-6, atol: 1e-6 };

/** fn's result read back, and the dispatches it took. */
async function counted(fn: () => tl.Tensor): Promise<[Float32Array, number, tl.Tensor]> {
  const d0 = tl.memory().dispatches;
  const t = tl.tidy(fn);
  const data = (await t.data()) as Float32Array;
  return [data, tl.memory().dispatches - d0, t];
}

const bits = (a: ArrayLike<number>): number[] => Array.from(new Uint32Array(new Float32Array(a).buffer));

/** Sums over the last axis of [rows, cols] in float64 of f(i) for each element i. */
function rowSums(rows: number, cols: number, f: (i: number) => number, scale = 1): number[] {
  return Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let c = 0; c < cols; c++) s += f(r * cols + c);
    return s * scale;
  });
}

describe('sums of fused elementwise programs', () => {
  useDevice();

  // 40,000 takes the two-pass split on CPU adapters (partial sums, then their sum), 4096 one pass on
  // GPUs; 2^14 + 4 reaches the vec4 form's tail handling of the partial chunks.
  for (const n of [4096, 40000, (1 << 14) + 4]) {
    it(`0.5 sum((a - b)^2), n = ${n}: fused, bitwise equal to the stored program`, async () => {
      const g = rng();
      const a = randomFloats(g, n, -2, 2);
      const b = randomFloats(g, n, -2, 2);
      const ta = tl.tensor(a);
      const tb = tl.tensor(b);
      const [got, dFused, fused] = await counted(() => tl.mul(tl.sum(tl.square(tl.sub(ta, tb))), 0.5));
      const held = tl.tidy(() => tl.square(tl.sub(ta, tb)));
      await held.data(); // stored: the sum below must read it, not fuse with it
      const [want32, dStored, stored] = await counted(() => tl.mul(tl.sum(held), 0.5));
      // The program ran inside the sum's first pass: no dispatch of its own.
      expect(dFused).toBe(dStored);
      const want = rowSums(1, n, (i) => Math.fround(a[i]! - b[i]!) ** 2, 0.5);
      assertClose(got, want, TOL, `seed ${g.seed}, fused`);
      expect(bits(got), `seed ${g.seed}`).toEqual(bits(want32));
      for (const t of [ta, tb, fused, held, stored]) t.dispose();
    });
  }

  it('row means of (x s)^2 with a broadcast scalar s fuse; (x s + c)^2 with a row c broadcast does not', async () => {
    const g = rng();
    const [rows, cols] = [8, 4096];
    const x = randomFloats(g, rows * cols, -1, 1);
    const c = randomFloats(g, cols, -1, 1);
    const tx = tl.tensor(x, { shape: [rows, cols] });
    const tc = tl.tensor(c, { shape: [cols] });
    const s = tl.tensor(new Float32Array([1.5])).reshape([]);
    // c broadcast over rows is not unit-stride over the flat program: no vec4 form, no fusion.
    const [got1, d1, notFused] = await counted(() => tl.mean(tl.square(tl.add(tl.mul(tx, s), tc)), 1));
    // Without c the program is flat (x and a broadcast word): fused, one dispatch fewer.
    const [got2, d2, fused] = await counted(() => tl.mean(tl.square(tl.mul(tx, s)), 1));
    expect(d2).toBe(d1 - 1);
    assertClose(
      got1,
      rowSums(rows, cols, (i) => (Math.fround(x[i]! * 1.5) + c[i % cols]!) ** 2, 1 / cols),
      TOL,
      `seed ${g.seed}`,
    );
    assertClose(
      got2,
      rowSums(rows, cols, (i) => Math.fround(x[i]! * 1.5) ** 2, 1 / cols),
      TOL,
      `seed ${g.seed}`,
    );
    for (const t of [tx, tc, s, notFused, fused]) t.dispose();
  });

  it('sums that must read a stored program: over a leading axis, a length of 4k + 2, a view with an offset', async () => {
    const g = rng();
    const [rows, cols] = [6, 1026];
    const x = randomFloats(g, rows * cols, -1, 1);
    const tx = tl.tensor(x, { shape: [rows, cols] });
    // Each is the exp program's dispatch plus the sum's passes, the same as with exp(x) stored.
    const stored = tl.exp(tx);
    await stored.data();
    const cases = [
      (e: tl.Tensor) => tl.sum(e, 0),
      (e: tl.Tensor) => tl.sum(e, 1),
      (e: tl.Tensor) =>
        tl.sum(
          tl.slice(e, [
            [1, 5],
            [2, 1026],
          ]),
        ),
    ];
    const got: Float32Array[] = [];
    for (const f of cases) {
      const [v, d, t] = await counted(() => f(tl.exp(tx)));
      const [, dHeld, t2] = await counted(() => f(stored));
      expect(d).toBe(dHeld + 1);
      got.push(v);
      t.dispose();
      t2.dispose();
    }
    const [g0, g1, g2] = got as [Float32Array, Float32Array, Float32Array];
    const e = (i: number): number => Math.exp(x[i]!);
    const colRef = Array.from({ length: cols }, (_, c) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += e(r * cols + c);
      return s;
    });
    let sliced = 0;
    for (let r = 1; r < 5; r++) for (let c = 2; c < cols; c++) sliced += e(r * cols + c);
    assertClose(g0, colRef, TOL, `seed ${g.seed}, axis 0`);
    assertClose(g1, rowSums(rows, cols, e), TOL, `seed ${g.seed}, axis 1`);
    assertClose(g2, [sliced], TOL, `seed ${g.seed}, slice`);
    for (const t of [tx, stored]) t.dispose();
  });

  it('an L2 misfit through the fused sum: its value against float64, its gradient exactly x - b', async () => {
    const g = rng();
    const n = 4096;
    const a = randomFloats(g, n, -1, 1);
    const b = randomFloats(g, n, -1, 1);
    const tb = tl.tensor(b);
    const [value, grad] = tl.valueAndGrad((x: tl.Tensor) => tl.mul(tl.sum(tl.square(tl.sub(x, tb))), 0.5))(tl.tensor(a)) as [
      tl.Tensor,
      tl.Tensor,
    ];
    assertClose(
      [await value.item()],
      rowSums(1, n, (i) => (a[i]! - b[i]!) ** 2, 0.5),
      TOL,
      `seed ${g.seed}, value`,
    );
    // d/dx 0.5 |x - b|^2 = x - b, exactly the float32 difference.
    assertClose(
      await grad.data(),
      Array.from(a, (v, i) => Math.fround(v - b[i]!)),
      { rtol: 0, atol: 0 },
      `seed ${g.seed}, gradient`,
    );
    for (const t of [tb, value, grad]) t.dispose();
  });
});
