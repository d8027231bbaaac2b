// The transforms' contracts around the ops: gradients of pytree arguments and argnums lists,
// diamond-shaped graphs (shared subexpressions accumulate), zeros for inputs the output does not
// depend on, the error for a non-scalar output, and integer inputs (indices, casts) carrying no
// gradient. Expected values are float64: central differences of a CPU loss, or analytic.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, rng, upload, useDevice } from './helpers.js';
import { matmulRef, randomHost, randomIntHost } from './ref.js';
import { assertScaled, fdGrad, maxAbs, readAll } from './gradref.js';

describe('pytree arguments and argnums', () => {
  useDevice();

  // f(params, x, y) = sum(c · tanh(x @ w + b)) + sum(y ⊙ b) + c · sum(y²), with
  // params = { w [3,4], nested: [b [4], { c [1] }], label, scale }: tensors nested in objects and
  // arrays, plus non-tensor leaves. x [2,3] is data (not differentiated).
  const f = (
    p: { w: tl.Tensor; nested: [tl.Tensor, { c: tl.Tensor }]; label: string; scale: number },
    x: tl.Tensor,
    y: tl.Tensor,
  ): tl.Tensor => {
    const [b, { c }] = p.nested;
    const h = tl.tanh(tl.add(tl.matmul(x, p.w), b));
    return tl.add(tl.add(tl.sum(tl.mul(h, c)), tl.sum(tl.mul(y, b))), tl.mul(tl.sum(tl.square(y)), tl.mul(c, p.scale)));
  };
  /** The same loss in float64 on the leaves [w, b, c, x, y]. */
  const f64 = ([w, b, c, x, y]: HostArray[], scale: number): number => {
    const xw = matmulRef(x!, w!).c;
    let s = 0;
    xw.data.forEach((v, i) => (s += c!.data[0]! * Math.tanh(v + b!.data[i % 4]!)));
    y!.data.forEach((v, i) => (s += v * b!.data[i]! + c!.data[0]! * scale * v * v));
    return s;
  };

  it('differentiates nested objects and arrays, keeps the structure, and honours argnums order', async () => {
    const g = rng();
    const hosts = [randomHost(g, [3, 4]), randomHost(g, [4]), randomHost(g, [1]), randomHost(g, [2, 3]), randomHost(g, [4])];
    const scale = 1.5;
    // fdGrad differentiates sum(w ⊙ out): a one-element output with weight 1 is the loss itself.
    const want = fdGrad((hs) => HostArray.from([1], [f64(hs, scale)]), hosts, HostArray.from([1], [1]));
    const [w, b, c, x, y] = hosts.map((h) => upload(h));
    const params = { w: w!, nested: [b!, { c: c! }] as [tl.Tensor, { c: tl.Tensor }], label: 'layer', scale };

    const [value, [gp, gy]] = tl.valueAndGrad(f, [0, 2])(params, x!, y!) as [tl.Tensor, [typeof params, tl.Tensor]];
    expect(gp.label).toBe('layer');
    expect(gp.scale).toBe(1.5);
    expect(gp.w.shape).toEqual([3, 4]);
    expect(gp.nested[0].shape).toEqual([4]);
    expect(gp.nested[1].c.shape).toEqual([1]);
    expect(gy.shape).toEqual([4]);
    // Reversed argnums give the same gradients in the requested order; a single number gives a bare tree.
    const [gy2, gp2] = tl.grad(f, [2, 0])(params, x!, y!) as [tl.Tensor, typeof params];
    const gyOnly = tl.grad(f, 2)(params, x!, y!) as tl.Tensor;
    const got = await readAll([value, gp.w, gp.nested[0], gp.nested[1].c, gy, gp2.w, gp2.nested[0], gp2.nested[1].c, gy2, gyOnly]);
    // One tanh per element and sums of <= 12 products: 1e-5 of the largest gradient (d/dc is a
    // sum of 8 tanh values of either sign, which can cancel far below the terms it rounds).
    expect(got[0]![0]!).toBeCloseTo(f64(hosts, scale), 4);
    const sc = Math.max(...want.map(maxAbs));
    const names = ['w', 'b', 'c'];
    for (let k = 0; k < 3; k++) {
      assertScaled(got[1 + k]!, want[k]!, 1e-5, `seed ${g.seed}: d/d params.${names[k]}`, sc);
      assertScaled(got[5 + k]!, want[k]!, 1e-5, `seed ${g.seed}: argnums [2, 0]: d/d params.${names[k]}`, sc);
    }
    assertScaled(got[4]!, want[4]!, 1e-5, `seed ${g.seed}: d/dy`, sc);
    assertScaled(got[8]!, want[4]!, 1e-5, `seed ${g.seed}: argnums [2, 0]: d/dy`, sc);
    assertScaled(got[9]!, want[4]!, 1e-5, `seed ${g.seed}: argnums 2: d/dy`, sc);
    for (const t of [w, b, c, x, y, value, ...tl.tree.leaves([gp, gy, gy2, gp2, gyOnly])]) t!.dispose();
  });

  it('rejects argnums outside the arguments', () => {
    const x = tl.ones([2]);
    expect(() => tl.grad((a: tl.Tensor) => tl.sum(a), [0, 1])(x)).toThrow(
      /tellus: grad\(f\): argnums: expected indices of the 1 arguments f was given \(integers in \[0, 0\]\), got 1$/,
    );
    expect(() => tl.grad((a: tl.Tensor) => tl.sum(a), -1)(x)).toThrow(RangeError);
    x.dispose();
  });
});

describe('graph shapes', () => {
  useDevice();

  it('a diamond (x feeds branches that merge, sin(x) shared) accumulates every path', async () => {
    const g = rng();
    const hx = randomHost(g, [5, 3], -2, 2);
    const w = randomHost(g, [5, 3]);
    // L = sum(w ⊙ (sin x · exp x + x · sin x)): x reaches the output along four paths.
    const gr = tl.tidy(() => {
      const wt = upload(w);
      return tl.grad((x: tl.Tensor) => {
        const s = tl.sin(x);
        return tl.sum(tl.mul(wt, tl.add(tl.mul(s, tl.exp(x)), tl.mul(x, s))));
      })(upload(hx)) as tl.Tensor;
    });
    const [got] = await readAll([gr]);
    gr.dispose();
    const want = hx.data.map(
      (x, i) => w.data[i]! * (Math.cos(x) * Math.exp(x) + Math.sin(x) * Math.exp(x) + Math.sin(x) + x * Math.cos(x)),
    );
    // Three transcendentals and a few products per element: 1e-5 of the scale.
    assertScaled(got!, want, 1e-5, `seed ${g.seed}: diamond`);
  });

  it('a chain of 40 diamonds y <- (y + tanh y) / 2 gives the product of the local derivatives', async () => {
    const g = rng();
    const hx = randomHost(g, [6], -2, 2);
    const gr = tl.tidy(
      () =>
        tl.grad((x: tl.Tensor) => {
          let y = x;
          for (let k = 0; k < 40; k++) y = tl.mul(tl.add(y, tl.tanh(y)), 0.5);
          return tl.sum(y);
        })(upload(hx)) as tl.Tensor,
    );
    const [got] = await readAll([gr]);
    gr.dispose();
    const want = hx.data.map((x) => {
      let y = x;
      let d = 1;
      for (let k = 0; k < 40; k++) {
        d *= 0.5 * (2 - Math.tanh(y) ** 2);
        y = 0.5 * (y + Math.tanh(y));
      }
      return d;
    });
    // 40 float32 steps, each a few roundings and a tanh (~1e-7 relative each): 2e-5 of the scale.
    assertScaled(got!, want, 2e-5, `seed ${g.seed}: chain of diamonds`);
  });
});

describe('inputs the output does not depend on', () => {
  useDevice();

  it('get zeros of their shape: unused arguments, pytree leaves, and inputs seen only through stopGradient', async () => {
    const g = rng();
    const [hx, hy, hz] = [randomHost(g, [2, 3]), randomHost(g, [4]), randomHost(g, [2, 3])];
    const x = upload(hx);
    const y = upload(hy);
    const z = upload(hz);
    const grads = tl.grad(
      (a: tl.Tensor, tree: { used: tl.Tensor; unused: tl.Tensor[] }, c: tl.Tensor) =>
        tl.sum(tl.add(tl.mul(a, 3), tl.sum(tl.mul(tree.used, tl.stopGradient(c))))),
      [0, 1, 2],
    )(x, { used: x, unused: [y, z] }, z) as [tl.Tensor, { used: tl.Tensor; unused: tl.Tensor[] }, tl.Tensor];
    const [ga, gt, gc] = grads;
    expect(gt.unused[0]!.shape).toEqual([4]);
    expect(gt.unused[1]!.shape).toEqual([2, 3]);
    expect(gc.shape).toEqual([2, 3]);
    const [va, vused, vy, vz, vc] = await readAll([ga, gt.used, gt.unused[0]!, gt.unused[1]!, gc]);
    expect(Array.from(va!)).toEqual([3, 3, 3, 3, 3, 3]);
    // The scalar sum(used ⊙ sg(z)) is broadcast into 6 outputs: d/d(used) = 6 z (one rounding).
    assertScaled(
      vused!,
      hz.data.map((v) => 6 * v),
      1e-6,
      `seed ${g.seed}: used leaf`,
    );
    expect(Array.from(vy!)).toEqual([0, 0, 0, 0]);
    expect(Array.from(vz!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(vc!)).toEqual([0, 0, 0, 0, 0, 0]);
    // An output that depends on no input at all.
    const gconst = tl.grad((_a: tl.Tensor) => tl.sum(tl.ones([3])))(x) as tl.Tensor;
    expect(Array.from(await gconst.data())).toEqual([0, 0, 0, 0, 0, 0]);
    for (const t of [x, y, z, gconst, ...tl.tree.leaves(grads)]) t.dispose();
  });
});

describe('non-scalar outputs', () => {
  useDevice();

  it("grad and valueAndGrad throw an error naming f's output shape, and the tape recovers", async () => {
    const x = tl.ones([3, 4]);
    expect(() => tl.grad((a: tl.Tensor) => tl.mul(a, 2))(x)).toThrow(/one element.*shape \[3, 4\]/);
    expect(() => tl.valueAndGrad((a: tl.Tensor) => tl.sum(a, 0))(x)).toThrow(/shape \[4\]/);
    expect(() => tl.grad((a: tl.Tensor) => tl.cast(tl.sum(a), 'int32'))(x)).toThrow(/int32/);
    expect(() => tl.grad((_a: tl.Tensor) => 1 as unknown as tl.Tensor)(x)).toThrow(/float32 tensor with one element/);
    // After the failures the next transform works normally.
    const gr = tl.grad((a: tl.Tensor) => tl.sum(tl.mul(a, a)))(x) as tl.Tensor;
    expect(Array.from(await gr.data())).toEqual(new Array(12).fill(2));
    x.dispose();
    gr.dispose();
  });
});

describe('integer inputs carry no gradient', () => {
  useDevice();

  it('an index tensor cannot be differentiated; the gathered values get the scattered weights', async () => {
    const g = rng();
    const hx = randomHost(g, [4, 3]);
    const hi = randomIntHost(g, [6, 3], 0, 4);
    const w = randomHost(g, [6, 3]);
    const x = upload(hx);
    const idx = upload(hi, 'int32');
    const wt = upload(w);
    const f = (a: tl.Tensor, i: tl.Tensor) => tl.sum(tl.mul(wt, tl.gather(a, 0, i)));
    expect(() => tl.grad(f, [0, 1])(x, idx)).toThrow(/args\[1\]: expected a float32 tensor to differentiate, got an int32 tensor/);
    const [gx] = tl.grad(f, [0])(x, idx) as tl.Tensor[];
    const want = new Float64Array(12);
    hi.data.forEach((r, k) => (want[r * 3 + (k % 3)]! += w.data[k]!));
    // Sums of <= 6 float32 weights.
    assertScaled(await gx!.data(), want, 1e-6, `seed ${g.seed}: gather`);
    for (const t of [x, idx, wt, gx!]) t.dispose();
  });

  it('casts through int32 are piecewise constant: zero gradient; an int32 argument is refused', async () => {
    const g = rng();
    const hx = randomHost(g, [5], -3, 3);
    const x = upload(hx);
    const gx = tl.grad((a: tl.Tensor) => tl.sum(tl.cast(tl.cast(tl.mul(a, 7), 'int32'), 'float32')))(x) as tl.Tensor;
    expect(Array.from(await gx.data())).toEqual([0, 0, 0, 0, 0]);
    const i = tl.tensor(new Int32Array([3, -1, 4]));
    const f = (a: tl.Tensor) => tl.sum(tl.mul(tl.cast(a, 'float32'), 2.5));
    expect(() => tl.grad(f)(i)).toThrow(
      /grad\(f\): args\[0\]: expected a float32 tensor to differentiate, got an int32 tensor of shape \[3\]/,
    );
    const tree = { w: x, idx: i };
    expect(() => tl.valueAndGrad((p: typeof tree) => tl.sum(p.w))(tree)).toThrow(/args\[0\]\.idx: expected a float32 tensor/);
    // The index rides along in an argument argnums does not select.
    const gw = tl.grad((w: tl.Tensor, idx: tl.Tensor) => tl.sum(tl.take(w, idx)))(x, tl.tensor(new Int32Array([0, 0, 4]))) as tl.Tensor;
    expect(Array.from(await gw.data())).toEqual([2, 0, 0, 0, 1]);
    for (const t of [x, gx, i, gw]) t.dispose();
  });
});

describe('jacobian, vjp and 0-d inputs', () => {
  useDevice();

  it('jacobian of x * sum(x) and of a 0-d input match float64', async () => {
    const g = rng();
    const hx = randomHost(g, [4]);
    const s = hx.data.reduce((a, b) => a + b, 0);
    const [jac, g0] = tl.tidy(() => [
      tl.jacobian((x: tl.Tensor) => tl.mul(x, tl.sum(x)), upload(hx)),
      // d/dx x³ at a 0-d x: the gradient keeps shape [].
      tl.grad((x: tl.Tensor) => tl.mul(tl.square(x), x))(tl.reshape(upload(HostArray.from([1], [hx.data[0]!])), [])) as tl.Tensor,
    ]);
    expect(jac.shape).toEqual([4, 4]);
    expect(g0.shape).toEqual([]);
    const [j, d] = await readAll([jac, g0]);
    jac.dispose();
    g0.dispose();
    // J_ik = δ_ik sum(x) + x_i: a float32 sum of 4 terms (a few roundings).
    assertScaled(j!, HostArray.build([4, 4], ([i, k]) => (i === k ? s : 0) + hx.data[i!]!).data, 1e-6, `seed ${g.seed}: jacobian`);
    expect(d![0]!).toBeCloseTo(3 * hx.data[0]! ** 2, 5);
  });

  it('vjp with a pytree output takes a matching cotangent tree', async () => {
    const g = rng();
    const [ha, hb] = [randomHost(g, [3]), randomHost(g, [3])];
    const [a, b] = [upload(ha), upload(hb)];
    const [out, pull] = tl.vjp((x: tl.Tensor, y: tl.Tensor) => ({ prod: tl.mul(x, y), total: [tl.sum(tl.exp(x))] }), a, b);
    const ct = { prod: tl.tensor([1, 2, 3]), total: [tl.reshape(tl.tensor([0.5]), [])] };
    const [ga, gb] = pull(ct);
    expect(() => pull([ct.prod])).toThrow(
      /vjp pullback: cotangent: expected 2 tensors \(f's output structure\), got 1; first difference at out: an object in out, an array in cotangent/,
    );
    expect(() => pull({ prod: ct.prod, total: [] })).toThrow(
      /got 1; first difference at out\.total\[0\] \(missing from cotangent: out\.total has 1 items, cotangent\.total has 0\)/,
    );
    const got = await readAll([ga!, gb!]);
    // d/da = ct ⊙ b + 0.5 exp(a); d/db = ct ⊙ a: one exp and a few roundings.
    assertScaled(
      got[0]!,
      ha.data.map((v, i) => (i + 1) * hb.data[i]! + 0.5 * Math.exp(v)),
      1e-6,
      `seed ${g.seed}: vjp d/da`,
    );
    assertScaled(
      got[1]!,
      ha.data.map((v, i) => (i + 1) * v),
      1e-6,
      `seed ${g.seed}: vjp d/db`,
    );
    pull.dispose();
    for (const t of [a, b, ga!, gb!, ...tl.tree.leaves([out, ct])]) t.dispose();
  });

  it('vjp pullbacks reject cotangents of the wrong shape or dtype instead of reading them flat', () => {
    const x = tl.tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const [y, pull] = tl.vjp((t: tl.Tensor) => tl.square(t), x);
    expect(() => pull(tl.ones([2, 8]))).toThrow(
      "tellus: vjp pullback: cotangent: expected a float32 tensor of f's output shape [8], got a float32 tensor of shape [2, 8]",
    );
    expect(() => pull(tl.ones([8], 'int32'))).toThrow(
      /expected a float32 tensor of f's output shape \[8\], got an int32 tensor of shape \[8\]$/,
    );
    const [out, pull2] = tl.vjp((t: tl.Tensor) => ({ a: tl.sum(t), b: tl.mul(t, 2) }), x);
    expect(() => pull2({ a: tl.ones([]), b: tl.ones([3]) })).toThrow(
      /cotangent for out\.b: expected a float32 tensor of f's output shape \[8\], got a float32 tensor of shape \[3\]$/,
    );
    pull.dispose();
    pull2.dispose();
    for (const t of [x, y as tl.Tensor, ...tl.tree.leaves(out)]) t.dispose();
  });
});
