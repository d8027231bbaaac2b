// The transforms themselves: higher-order derivatives (a PINN residual), jvp/hvp/jacobian,
// pytrees, customVjp, checkpoint's memory saving, graph traversal and memory hygiene.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { assertClose, randomFloats, relL2, rng, type Gen, useDevice } from './helpers.js';

// ---- a tanh MLP u(x, t) with exact float64 input derivatives on the CPU ----------------------

interface Layer {
  W: Float64Array;
  b: Float64Array;
  nin: number;
  nout: number;
}

function makeLayers(g: Gen, sizes: number[]): Layer[] {
  return sizes.slice(1).map((nout, k) => {
    const nin = sizes[k]!;
    const s = 1 / Math.sqrt(nin);
    return {
      nin,
      nout,
      W: Float64Array.from(randomFloats(g, nin * nout, -2 * s, 2 * s)),
      b: Float64Array.from(randomFloats(g, nout, -0.5, 0.5)),
    };
  });
}

/** u, du/dx_dir and d2u/dx_dir^2 at one point, propagated exactly through tanh layers (forward mode). */
function mlpDerivs(layers: Layer[], x: number[], dir: number[]): [number, number, number] {
  let a = x.slice();
  let da = dir.slice();
  let dda = x.map(() => 0);
  layers.forEach((L, k) => {
    const h = new Array<number>(L.nout).fill(0);
    const dh = new Array<number>(L.nout).fill(0);
    const ddh = new Array<number>(L.nout).fill(0);
    for (let j = 0; j < L.nout; j++) {
      h[j] = L.b[j]!;
      for (let i = 0; i < L.nin; i++) {
        const w = L.W[i * L.nout + j]!;
        h[j]! += w * a[i]!;
        dh[j]! += w * da[i]!;
        ddh[j]! += w * dda[i]!;
      }
    }
    if (k === layers.length - 1) {
      a = h;
      da = dh;
      dda = ddh;
      return;
    }
    a = h.map(Math.tanh);
    da = dh.map((d, j) => (1 - a[j]! ** 2) * d);
    dda = ddh.map((dd, j) => (1 - a[j]! ** 2) * dd - 2 * a[j]! * (1 - a[j]! ** 2) * dh[j]! ** 2);
  });
  return [a[0]!, da[0]!, dda[0]!];
}

/** Wave-equation residual loss mean((u_tt - c^2 u_xx)^2) in float64. */
function residualLossCpu(layers: Layer[], pts: number[][], c: number): number {
  let acc = 0;
  for (const p of pts) {
    const uxx = mlpDerivs(layers, p, [1, 0])[2];
    const utt = mlpDerivs(layers, p, [0, 1])[2];
    acc += (utt - c * c * uxx) ** 2;
  }
  return acc / pts.length;
}

type Params = { W: tl.Tensor; b: tl.Tensor }[];

const u = (params: Params, X: tl.Tensor): tl.Tensor => {
  let a = X;
  params.forEach((L, k) => {
    const h = tl.add(tl.matmul(a, L.W), L.b);
    a = k === params.length - 1 ? h : tl.tanh(h);
  });
  return a;
};

/** Column `col` of the Hessian diagonal of u with respect to the input coordinates, per point. */
function secondDerivative(params: Params, X: tl.Tensor, col: number): tl.Tensor {
  const du = (Y: tl.Tensor): tl.Tensor => tl.grad((Z: tl.Tensor) => tl.sum(u(params, Z)))(Y);
  const d2 = tl.grad((Y: tl.Tensor) => tl.sum(tl.slice(du(Y), [null, col])))(X) as tl.Tensor;
  return tl.slice(d2, [null, col]);
}

/** A seeded 2-8-8-1 tanh MLP on the GPU, its float64 copy rounded to the same float32 weights, and 6 points. */
function residualFixture() {
  const g = rng();
  const layers = makeLayers(g, [2, 8, 8, 1]);
  const N = 6;
  const pts = Array.from({ length: N }, () => [g.next() * 2 - 1, g.next()]);
  const X = tl.tensor(pts.flat(), { shape: [N, 2] });
  const params: Params = layers.map((L) => ({ W: tl.tensor(L.W, { shape: [L.nin, L.nout] }), b: tl.tensor(L.b) }));
  // Round the CPU copy to the float32 weights the GPU sees.
  for (const L of layers) {
    L.W = Float64Array.from(new Float32Array(L.W));
    L.b = Float64Array.from(new Float32Array(L.b));
  }
  const ptsF = pts.map((p) => p.map((v) => Math.fround(v)));
  return { g, layers, N, X, params, ptsF };
}

describe('second-order derivatives: a PINN residual', () => {
  useDevice();

  it('computes u_xx, u_tt and the weight gradient of a wave-equation residual loss', async () => {
    const { g, layers, X, params, ptsF } = residualFixture();
    const c = 1.3;

    const uxx = await secondDerivative(params, X, 0).data();
    const utt = await secondDerivative(params, X, 1).data();
    // Exact float64 derivatives vs float32 reverse-over-reverse: a few float32 roundings deep.
    assertClose(
      uxx,
      ptsF.map((p) => mlpDerivs(layers, p, [1, 0])[2]),
      { rtol: 2e-4, atol: 2e-5 },
      `u_xx seed ${g.seed}`,
    );
    assertClose(
      utt,
      ptsF.map((p) => mlpDerivs(layers, p, [0, 1])[2]),
      { rtol: 2e-4, atol: 2e-5 },
      `u_tt seed ${g.seed}`,
    );

    const loss = (ps: Params): tl.Tensor =>
      tl.mean(tl.square(tl.sub(secondDerivative(ps, X, 1), tl.mul(secondDerivative(ps, X, 0), c * c))));
    const [value, grads] = tl.valueAndGrad(loss)(params) as [tl.Tensor, Params];
    const lossCpu = residualLossCpu(layers, ptsF, c);
    expect(Math.abs((await value.item()) - lossCpu)).toBeLessThan(1e-3 * lossCpu + 1e-6);

    // Central differences of the exact float64 loss for a sample of weights (third derivatives of u).
    const gW = [await grads[0]!.W.data(), await grads[1]!.W.data(), await grads[2]!.b.data()];
    const probes: [number, 'W' | 'b', number][] = [
      [0, 'W', 3],
      [0, 'W', 12],
      [1, 'W', 20],
      [1, 'W', 63],
      [2, 'b', 0],
    ];
    const want: number[] = [];
    const got: number[] = [];
    for (const [li, key, idx] of probes) {
      const arr = layers[li]![key];
      const orig = arr[idx]!;
      const h = 1e-6;
      arr[idx] = orig + h;
      const lp = residualLossCpu(layers, ptsF, c);
      arr[idx] = orig - h;
      const lm = residualLossCpu(layers, ptsF, c);
      arr[idx] = orig;
      want.push((lp - lm) / (2 * h));
      got.push(gW[li === 2 ? 2 : li]![idx]!);
    }
    // Float32 third derivatives of a small MLP: relative error a few 1e-4 of the gradient's scale.
    const scale = Math.max(...want.map(Math.abs));
    assertClose(got, want, { rtol: 2e-3, atol: 2e-3 * scale }, `residual weight gradient seed ${g.seed}`);
  });

  it('derivatives(): one forward and one first-derivative pass serve u, grad u, u_xx, u_tt and u_xt, exact to float32 and differentiable in the weights', async () => {
    const { g, layers, N, X, params, ptsF } = residualFixture();
    const d = tl.derivatives((Y) => u(params, Y), X, { second: [0, 1, [0, 1]] });
    expect(d.u.shape).toEqual([N]);
    expect(d.grad.shape).toEqual([N, 2]);
    const dx = ptsF.map((p) => mlpDerivs(layers, p, [1, 0]));
    const dt = ptsF.map((p) => mlpDerivs(layers, p, [0, 1]));
    const dxt = ptsF.map((p) => mlpDerivs(layers, p, [1, 1]));
    const tol = { rtol: 2e-4, atol: 2e-5 };
    assertClose(
      await d.u.data(),
      dx.map((r) => r[0]),
      tol,
      `u seed ${g.seed}`,
    );
    const gr = await d.grad.data();
    assertClose(
      Array.from(gr),
      dx.flatMap((r, i) => [r[1], dt[i]![1]]),
      tol,
      `grad u seed ${g.seed}`,
    );
    assertClose(
      await d.second[0]!.data(),
      dx.map((r) => r[2]),
      tol,
      `u_xx seed ${g.seed}`,
    );
    assertClose(
      await d.second[1]!.data(),
      dt.map((r) => r[2]),
      tol,
      `u_tt seed ${g.seed}`,
    );
    // Along (1, 1): u_xx + 2 u_xt + u_tt.
    assertClose(
      await d.second[2]!.data(),
      dxt.map((r, i) => (r[2] - dx[i]![2] - dt[i]![2]) / 2),
      tol,
      `u_xt seed ${g.seed}`,
    );

    // The residual loss's weight gradient equals the one through nested grad (checked against
    // float64 finite differences above), and needs fewer kernels.
    const c = 1.3;
    const viaDerivatives = (ps: Params): tl.Tensor => {
      const r = tl.derivatives((Y) => u(ps, Y), X, { second: [0, 1] });
      return tl.mean(tl.square(tl.sub(r.second[1]!, tl.mul(r.second[0]!, c * c))));
    };
    const viaNested = (ps: Params): tl.Tensor =>
      tl.mean(tl.square(tl.sub(secondDerivative(ps, X, 1), tl.mul(secondDerivative(ps, X, 0), c * c))));
    const run = async (f: (ps: Params) => tl.Tensor) => {
      await tl.sync();
      const before = tl.memory().dispatches;
      const [value, grads] = tl.valueAndGrad(f)(params) as [tl.Tensor, Params];
      const flat = tl.concat(tl.tree.leaves(grads).map((t) => tl.reshape(t, [-1])));
      const out = { value: await value.item(), grads: await flat.data(), dispatches: tl.memory().dispatches - before };
      for (const t of [value, flat, ...tl.tree.leaves(grads)]) t.dispose();
      return out;
    };
    const shared = await run(viaDerivatives);
    const nested = await run(viaNested);
    expect(Math.abs(shared.value - nested.value)).toBeLessThan(1e-4 * nested.value + 1e-7);
    const scale = Math.max(...Array.from(nested.grads, Math.abs));
    assertClose(shared.grads, nested.grads, { rtol: 1e-3, atol: 1e-4 * scale }, `weight gradient seed ${g.seed}`);
    expect(shared.dispatches).toBeLessThan(nested.dispatches);
  });

  it('derivatives() rejects what it cannot differentiate pointwise', () => {
    const X = tl.zeros([4, 2]);
    const W = tl.ones([2, 3]);
    expect(() => tl.derivatives((Y) => tl.matmul(Y, W), X)).toThrow(/derivatives\(f, x, opts\).*f's result.*\[4\] or \[4, 1\].*\[4, 3\]/);
    expect(() => tl.derivatives((Y) => tl.sum(Y, 1), X, { second: [2] })).toThrow(/second\[0\].*axis in \[0, 1\]/);
    expect(() => tl.derivatives((Y) => tl.sum(Y, 1), X, { secnd: [0] } as tl.DerivativesOptions)).toThrow(/secnd.*second/);
    expect(() => tl.derivatives((Y) => tl.sum(Y, 1), tl.zeros([4]))).toThrow(/derivatives\(f, x, opts\).*x.*\[points, dims\]/);
  });

  it('hvp agrees with a finite difference of gradients', async () => {
    const g = rng();
    const W = tl.tensor(randomFloats(g, 5 * 7), { shape: [5, 7] });
    const f = (x: tl.Tensor): tl.Tensor => tl.sum(tl.square(tl.tanh(tl.matmul(W, x))));
    const x = tl.tensor(randomFloats(g, 7));
    const v = tl.tensor(randomFloats(g, 7));
    const hv = await tl.hvp(f, x, v).data();
    const eps = 1e-2;
    const gp = tl.grad(f)(tl.add(x, tl.mul(v, eps))) as tl.Tensor;
    const gm = tl.grad(f)(tl.sub(x, tl.mul(v, eps))) as tl.Tensor;
    const fd = await tl.div(tl.sub(gp, gm), 2 * eps).data();
    // Central difference error O(eps^2) ~ 1e-4 plus float32 cancellation ~ 1e-6 / eps.
    expect(relL2(hv, fd)).toBeLessThan(2e-3);
  });

  it('composes jvp with grad both ways', async () => {
    const x = tl.tensor([0.3, -0.7, 1.1]);
    const v = tl.tensor([1, 2, -1]);
    const f = (y: tl.Tensor): tl.Tensor => tl.sum(tl.mul(tl.sin(y), tl.square(y)));
    // d/dx <grad f, v> = H v; jvp of grad gives the same H v.
    const gradOfJvp = tl.grad((y: tl.Tensor) => tl.jvp(f, [y], [v])[1])(x) as tl.Tensor;
    const jvpOfGrad = tl.jvp((y: tl.Tensor) => tl.grad(f)(y) as tl.Tensor, [x], [v])[1];
    const xs = [0.3, -0.7, 1.1];
    const vs = [1, 2, -1];
    const f2 = (t: number): number => -Math.sin(t) * t * t + 4 * t * Math.cos(t) + 2 * Math.sin(t);
    const want = xs.map((t, i) => f2(t) * vs[i]!);
    assertClose(await gradOfJvp.data(), want, { rtol: 1e-5, atol: 1e-5 }, 'grad of jvp');
    assertClose(await jvpOfGrad.data(), want, { rtol: 1e-5, atol: 1e-5 }, 'jvp of grad');
  });

  it('builds small dense Jacobians', async () => {
    const A = tl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const J = tl.jacobian((x: tl.Tensor) => tl.matmul(A, tl.square(x)), tl.tensor([1, -2, 0.5]));
    expect(J.shape).toEqual([2, 3]);
    assertClose(await J.data(), [2, -8, 3, 8, -20, 6], { rtol: 1e-6 }, 'jacobian');
  });
});

describe('transform plumbing', () => {
  useDevice();

  it('differentiates pytrees and argnums lists', async () => {
    const p = { w: [tl.tensor([1, 2]), tl.tensor([3])], c: tl.tensor([0.5]) };
    const f = (q: typeof p, s: tl.Tensor): tl.Tensor => tl.sum(tl.mul(tl.add(tl.mul(tl.sum(q.w[0]!), q.w[1]!), q.c), s));
    const s = tl.tensor([2]);
    const [gp, gs] = tl.grad(f, [0, 1])(p, s) as [typeof p, tl.Tensor];
    expect(Array.from(await gp.w[0]!.data())).toEqual([6, 6]);
    expect(Array.from(await gp.w[1]!.data())).toEqual([6]);
    expect(Array.from(await gp.c.data())).toEqual([2]);
    expect(Array.from(await gs.data())).toEqual([9.5]);
  });

  it('walks a deep diamond once per node, not once per path', async () => {
    // 40 diamonds in a row have 2^40 paths; a per-path walk would never finish.
    const f = (x: tl.Tensor): tl.Tensor => {
      let y = x;
      for (let i = 0; i < 40; i++) y = tl.mul(tl.add(tl.mul(y, 1), tl.mul(y, 1)), 0.5);
      return tl.sum(y);
    };
    expect(Array.from(await (tl.grad(f)(tl.tensor([1, 2])) as tl.Tensor).data())).toEqual([1, 1]);
  });

  it('gives zeros for unused inputs and no gradient through stopGradient or noGrad', async () => {
    const x = tl.tensor([1, 2, 3]);
    const [a, b] = tl.grad((p: tl.Tensor, _q: tl.Tensor) => tl.sum(tl.mul(p, tl.stopGradient(p))), [0, 1])(x, x) as tl.Tensor[];
    expect(Array.from(await a!.data())).toEqual([1, 2, 3]);
    expect(Array.from(await b!.data())).toEqual([0, 0, 0]);
    const c = tl.grad((p: tl.Tensor) =>
      tl.add(
        tl.sum(p),
        tl.noGrad(() => tl.sum(tl.square(p))),
      ),
    )(x) as tl.Tensor;
    expect(Array.from(await c.data())).toEqual([1, 1, 1]);
  });

  it('rejects non-scalar outputs with the shape in the message', () => {
    expect(() => tl.grad((x: tl.Tensor) => tl.square(x))(tl.ones([3]))).toThrow(
      /grad\(f\): f's result: expected a float32 tensor with one element, got a float32 tensor of shape \[3\]/,
    );
  });

  it('vjp returns a reusable pullback', async () => {
    const x = tl.tensor([1, 2]);
    const [y, pull] = tl.vjp((t: tl.Tensor) => tl.mul(t, t), x);
    expect(Array.from(await (y as tl.Tensor).data())).toEqual([1, 4]);
    expect(Array.from(await pull(tl.tensor([1, 1]))[0]!.data())).toEqual([2, 4]);
    expect(Array.from(await pull(tl.tensor([0, 3]))[0]!.data())).toEqual([0, 12]);
    pull.dispose();
  });

  it('keeps memory flat over repeated gradient steps', async () => {
    const g = rng();
    const W = tl.tensor(randomFloats(g, 16 * 16), { shape: [16, 16] });
    const x = tl.tensor(randomFloats(g, 16), { shape: [1, 16] });
    const f = (w: tl.Tensor): tl.Tensor => tl.sum(tl.tanh(tl.matmul(tl.tanh(tl.matmul(x, w)), w)));
    let base = -1;
    for (let i = 0; i < 300; i++) {
      const gw = tl.grad(f)(W) as tl.Tensor;
      if (i % 100 === 99) {
        await gw.data();
        const m = tl.memory();
        if (base < 0) base = m.bytesLive;
        else expect(m.bytesLive).toBeLessThanOrEqual(base);
      }
      gw.dispose();
    }
  });
});

describe('customVjp', () => {
  useDevice();
  const cube = tl.customVjp(
    (_, x) => ({ out: tl.mul(tl.mul(x, x), x), saved: [x] }),
    (g, [x]) => [tl.mul(g, tl.mul(tl.square(x!), 3))],
    { name: 'cube' },
  );

  it('plugs a hand-written backward into a larger graph, to any order', async () => {
    const x = tl.tensor([0.5, -1, 2]);
    const f = (t: tl.Tensor): tl.Tensor => tl.sum(tl.sin(cube(tl.mul(t, 2))));
    const g1 = await (tl.grad(f)(x) as tl.Tensor).data();
    assertClose(
      g1,
      [0.5, -1, 2].map((t) => Math.cos(8 * t ** 3) * 24 * t * t),
      { rtol: 1e-5, atol: 1e-5 },
      'first order',
    );
    // The backward is built from differentiable ops, so second order works without a jvp rule.
    const g2 = await (tl.grad((t: tl.Tensor) => tl.sum(tl.grad((s: tl.Tensor) => tl.sum(cube(s)))(t) as tl.Tensor))(x) as tl.Tensor).data();
    assertClose(g2, [3, -6, 12], { rtol: 1e-6 }, 'second order');
  });

  it('needs a jvp rule to differentiate a backward that the tape cannot see', async () => {
    // Backward through a raw kernel (noGrad stands in for one): opaque to the tape.
    const opaque = tl.customVjp(
      (_, x) => ({ out: tl.square(x), saved: [x] }),
      (g, [x]) => [tl.noGrad(() => tl.mul(g, tl.mul(x!, 2)))],
    );
    const x = tl.tensor([1, 2]);
    expect(Array.from(await (tl.grad((t: tl.Tensor) => tl.sum(opaque(t)))(x) as tl.Tensor).data())).toEqual([2, 4]);
    expect(() => tl.jvp(opaque, [x], [tl.ones([2])])).toThrow(/needs a jvp rule/);
    const withJvp = tl.customVjp(
      (_, t) => ({ out: tl.square(t), saved: [t] }),
      (g, [s]) => [tl.noGrad(() => tl.mul(g, tl.mul(s!, 2)))],
      {
        jvp: ([dt], [s]) => tl.noGrad(() => tl.mul(dt!, tl.mul(s!, 2))),
      },
    );
    const [, t] = tl.jvp(withJvp, [x], [tl.tensor([1, -1])]);
    expect(Array.from(await t.data())).toEqual([2, -4]);
  });
});

describe('checkpoint', () => {
  useDevice();

  it('matches the plain gradient and lowers peak memory on a long chain', async () => {
    // A fresh device: the peak counts pooled bytes, and earlier files' buffers (or tensors a
    // runtime has not yet garbage-collected) would otherwise dominate both measurements.
    tl.destroy();
    await tl.init();
    const g = rng();
    const n = 4096;
    const x = tl.tensor(randomFloats(g, n));
    const layer = (t: tl.Tensor, k: number): tl.Tensor => tl.tanh(tl.add(tl.mul(t, 1 + 0.01 * k), 0.1));
    const segment = (t: tl.Tensor, s: number): tl.Tensor => {
      for (let k = 0; k < 8; k++) t = layer(t, 8 * s + k);
      return t;
    };
    const plain = (t: tl.Tensor): tl.Tensor => {
      for (let s = 0; s < 8; s++) t = segment(t, s);
      return tl.sum(t);
    };
    const segments = Array.from({ length: 8 }, (_, s) => tl.checkpoint((t) => segment(t, s)));
    const checkpointed = (t: tl.Tensor): tl.Tensor => {
      for (const seg of segments) t = seg(t);
      return tl.sum(t);
    };
    const peakOf = async (f: (t: tl.Tensor) => tl.Tensor): Promise<[Float32Array, number]> => {
      await tl.sync();
      tl.resetPeakMemory();
      const gr = tl.grad(f)(x) as tl.Tensor;
      const d = (await gr.data()) as Float32Array;
      gr.dispose();
      return [d, tl.memory().peakBytes];
    };
    tl.debug({ poisonOutputs: false });
    const [gPlain, peakPlain] = await peakOf(plain);
    const [gCkpt, peakCkpt] = await peakOf(checkpointed);
    tl.debug({ poisonOutputs: true });
    // Same arithmetic in the same order: equal to float32 round-off.
    expect(relL2(gCkpt, gPlain)).toBeLessThan(1e-6);
    // 64 saved activations versus 8 segment inputs plus one segment's 8 activations.
    expect(peakCkpt).toBeLessThan(0.6 * peakPlain);
  });
});
