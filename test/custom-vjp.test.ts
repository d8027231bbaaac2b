// customVjp's contract: the forward's saved pytree comes back to the backward (tensors as handles
// that outlive the forward, other leaves unchanged), the forward learns whether a backward pass
// will run, the backward's results are checked against the inputs, and a solver-like op (a time
// loop whose backward is a hand-written adjoint over saved states) passes gradient checks.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { HostArray, rng, upload, useDevice } from './helpers.js';
import { randomHost } from './ref.js';
import { checkGrad, checkTaylor } from './gradref.js';

class Marker {
  constructor(readonly tag: string) {}
}

describe('customVjp saved trees', () => {
  useDevice();

  it('returns the saved tree to the backward: tensors (inputs and forward-made ones) and extras', async () => {
    const g = rng();
    const [hx, hy] = [randomHost(g, [5]), randomHost(g, [5])];
    const marker = new Marker('m');
    const seen: unknown[] = [];
    let made: tl.Tensor | undefined;
    // f(x, y) = scale · x ⊙ tanh(y); tanh(y) is made by the forward and only reachable through saved.
    const op = tl.customVjp(
      (_, x, y) => {
        made = tl.tanh(y);
        return {
          out: tl.mul(tl.mul(x, made), 2),
          saved: { pair: [x, { th: made }], cfg: { scale: 2, label: 'k' }, n: 3, none: null, marker },
        };
      },
      (gOut, s) => {
        seen.push(s.cfg.label, s.cfg.scale, s.n, s.none, s.marker, s.pair.length, made!.isDisposed);
        const x = s.pair[0] as tl.Tensor;
        const { th } = s.pair[1] as { th: tl.Tensor };
        return tl.noGrad(() => [
          tl.mul(tl.mul(gOut, th), s.cfg.scale),
          tl.mul(tl.mul(tl.mul(gOut, x), tl.sub(1, tl.square(th))), s.cfg.scale),
        ]);
      },
      { name: 'scaledTanh' },
    );
    const [x, y] = [upload(hx), upload(hy)];
    const [gx, gy] = tl.grad((a: tl.Tensor, b: tl.Tensor) => tl.sum(op(a, b)), [0, 1])(x, y) as tl.Tensor[];
    // The forward's own handle of tanh(y) went when it returned; the tape's handle serves the backward.
    expect(seen).toEqual(['k', 2, 3, null, marker, 2, true]);
    const th = hy.data.map(Math.tanh);
    const [gxv, gyv] = [await gx!.data(), await gy!.data()];
    for (let i = 0; i < 5; i++) {
      expect(gxv[i]).toBeCloseTo(2 * th[i]!, 5);
      expect(gyv[i]).toBeCloseTo(2 * hx.data[i]! * (1 - th[i]! ** 2), 5);
    }
  });

  it('tells the forward whether a backward pass will run', async () => {
    const flags: boolean[] = [];
    const op = tl.customVjp(
      (ctx, x) => {
        flags.push(ctx.needsBackward);
        return { out: tl.square(x), saved: ctx.needsBackward ? { x: x } : undefined };
      },
      (gOut, s) => [tl.mul(gOut, tl.mul(s.x, 2))],
    );
    const x = tl.tensor([1, 2, 3]);
    const c = tl.tensor([0.5, 0.5, 0.5]);
    op(x).dispose(); // no transform
    tl.grad((t: tl.Tensor) =>
      tl.sum(
        tl.mul(
          t,
          tl.noGrad(() => op(t)),
        ),
      ),
    )(x); // under noGrad
    tl.grad((t: tl.Tensor) => tl.sum(tl.mul(t, op(c))))(x); // its input does not depend on the differentiated one
    const g = tl.grad((t: tl.Tensor) => tl.sum(op(t)))(x) as tl.Tensor; // differentiated
    expect(flags).toEqual([false, false, false, true]);
    expect(Array.from(await g.data())).toEqual([2, 4, 6]);
  });

  it('checks what the backward returns, naming the op, the input and the expected shape', async () => {
    const x = tl.tensor([1, 2, 3]);
    const y = tl.tensor([4, 5, 6]);
    const withBackward = (backward: (g: tl.Tensor) => unknown) =>
      tl.customVjp(
        (_, a, b) => ({ out: tl.mul(a, b) }),
        (g) => backward(g) as (tl.Tensor | null)[],
        { name: 'myOp' },
      );
    const gradOf = (backward: (g: tl.Tensor) => unknown) => () => tl.grad((a: tl.Tensor) => tl.sum(withBackward(backward)(a, y)))(x);
    expect(gradOf((g) => tl.mul(g, y))).toThrow(
      /^tellus: myOp: backward must return an array of 2 cotangents \(Tensor or null\), got a float32 tensor of shape \[3\]$/,
    );
    expect(gradOf((g) => [tl.mul(g, y)])).toThrow(/^tellus: myOp: backward returned 1 cotangents for 2 inputs$/);
    expect(gradOf(() => [3, null])).toThrow(
      /^tellus: myOp: backward returned a number for input 0, expected a Tensor of shape \[3\] or null$/,
    );
    expect(gradOf(() => [tl.tensor([1, 2, 3], { dtype: 'int32' }), null])).toThrow(
      /^tellus: myOp: backward returned an int32 tensor of shape \[3\] for input 0, expected float32$/,
    );
    expect(gradOf(() => [null, tl.zeros([1, 3])])).toThrow(
      /^tellus: myOp: backward returned a cotangent for input 1, expected shape \[3\], got \[1, 3\]$/,
    );
    expect(
      gradOf(() => {
        const t = tl.zeros([3]);
        t.dispose();
        return [t, null];
      }),
    ).toThrow(/^tellus: myOp: backward returned a disposed tensor for input 0$/);
    expect(() => tl.customVjp((() => 3) as never, (g) => [g], { name: 'bad' })(x)).toThrow(
      /^tellus: bad: forward must return \{ out: Tensor, saved\? \}, got number$/,
    );
    expect(() =>
      tl.customVjp(
        (_, a) => ({ out: a }),
        (g) => [g],
        { name: 'bad' },
      )(x, 1 as never),
    ).toThrow(/^tellus: bad: input 1: expected a Tensor, got 1$/);
    // A correct backward still works after the failures: the tape recovered.
    const g = tl.grad((a: tl.Tensor) => tl.sum(withBackward((gg) => [tl.mul(gg, y), null])(a, y)))(x) as tl.Tensor;
    expect(Array.from(await g.data())).toEqual([4, 5, 6]);
  });

  it('checks the shape of what the jvp rule returns', () => {
    const op = tl.customVjp(
      (_, a) => ({ out: tl.square(a), saved: [a] }),
      (g, [a]) => [tl.noGrad(() => tl.mul(g, tl.mul(a!, 2)))],
      {
        name: 'sq',
        jvp: () => tl.zeros([2]),
      },
    );
    expect(() => tl.jvp(op, [tl.tensor([1, 2, 3])], [tl.ones([3])])).toThrow(
      /^tellus: sq: the jvp rule returned a float32 tensor of shape \[2\], expected a tensor of the output's shape \[3\]$/,
    );
  });
});

describe('customVjp around a time loop', () => {
  useDevice();

  // u[t+1] = tanh(w ⊙ u[t]) for T steps, out = u[T]. The backward is a hand-written adjoint over
  // the states the forward saved (a list in the saved tree), opaque to the tape as a kernel would be.
  const T = 4;
  const loop = tl.customVjp(
    ({ needsBackward }, u0, w) => {
      const states: tl.Tensor[] = [];
      let u = u0;
      for (let t = 0; t < T; t++) {
        if (needsBackward) states.push(u);
        u = tl.tanh(tl.mul(w, u));
      }
      return { out: u, saved: { w: w, states, steps: T } };
    },
    (g, { w, states, steps }) =>
      tl.noGrad(() => {
        let lam = g;
        let gw = tl.zerosLike(w);
        for (let t = steps - 1; t >= 0; t--) {
          const u = states[t]!;
          const d = tl.mul(lam, tl.sub(1, tl.square(tl.tanh(tl.mul(w, u)))));
          gw = tl.add(gw, tl.mul(d, u));
          lam = tl.mul(d, w);
        }
        return [lam, gw];
      }),
    { name: 'tanhLoop' },
  );
  const loop64 = ([u0, w]: HostArray[]): HostArray => {
    let u = Float64Array.from(u0!.data);
    for (let t = 0; t < T; t++) u = u.map((v, i) => Math.tanh(w!.data[i]! * v));
    return new HostArray([...u0!.shape], u);
  };

  it('matches float64 central differences for both inputs and every input layout', async () => {
    const g = rng();
    await checkGrad(
      { name: 'tanhLoop', inputs: [randomHost(g, [3, 4]), randomHost(g, [3, 4])], gpu: (u, w) => loop(u, w), cpu: loop64, tol: 1e-5 },
      g,
    );
  });

  it('passes the Taylor test (remainder slope 2)', async () => {
    const g = rng();
    await checkTaylor(
      { name: 'tanhLoop', inputs: [randomHost(g, [16]), randomHost(g, [16])], gpu: (u, w) => loop(u, w), cpu: loop64, tol: 0 },
      g,
    );
  });

  it('fails the Taylor test when the adjoint is wrong', async () => {
    const g = rng();
    // The same loop with the adjoint off by 5% in the w-gradient: the check must see it.
    const wrong = tl.customVjp(
      (_, u0, w) => ({ out: loop(u0, w), saved: { u0: u0, w: w } }),
      (gOut, { u0, w }) => {
        const [, pull] = tl.vjp(loop, u0, w);
        const [gu, gw] = pull(gOut);
        pull.dispose();
        return [gu!, tl.mul(gw!, 1.05)];
      },
    );
    await expect(
      checkTaylor(
        { name: 'wrong tanhLoop', inputs: [randomHost(g, [16]), randomHost(g, [16])], gpu: (u, w) => wrong(u, w), cpu: loop64, tol: 0 },
        g,
      ),
    ).rejects.toThrow(/slope/);
  });
});
