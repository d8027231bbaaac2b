// Bad input to the optimizers and L-BFGS (issue 12): misspelt options, bad option values, a NaN
// loss or gradient in lbfgs, and NaN gradients in an optimizer step. Each case asserts the whole
// message (function, argument, expected, got) and that the user's tensors are left unchanged.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';

/** Escapes a message for an exact-match RegExp. */
const exact = (msg: string): RegExp => new RegExp(`^${msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** x * NaN (NaN scalars are rejected as op arguments, so the NaN comes from data). */
const poison = (x: tl.Tensor, v = NaN): tl.Tensor => tl.tidy(() => x.mul(tl.tensor(Float32Array.of(v))));

/** f(x) = sum((x - 1)^2) and its gradient, as lbfgs wants them. */
const quadratic = (x: tl.Tensor): [tl.Tensor, tl.Tensor] => tl.tidy(() => [x.sub(1).square().sum(), x.sub(1).mul(2)]);

describe('optimizer options', () => {
  useDevice();

  it('rejects misspelt option names with the closest valid one', () => {
    expect(() => new nn.SGD({ lr: 0.1, momentun: 0.9 } as never)).toThrow(
      exact(
        "tellus: SGD(opts): unknown option 'momentun' (did you mean 'momentum'?); valid options: lr, momentum, dampening, nesterov, weightDecay",
      ),
    );
    expect(() => new nn.Adam({ lr: 0.1, betas: [0.9, 0.99] } as never)).toThrow(
      exact("tellus: Adam(opts): unknown option 'betas' (did you mean 'beta1'?); valid options: lr, beta1, beta2, eps, weightDecay"),
    );
    expect(() => new nn.AdamW({ lr: 0.1, weight_decay: 0.1 } as never)).toThrow(
      exact(
        "tellus: AdamW(opts): unknown option 'weight_decay' (did you mean 'weightDecay'?); valid options: lr, beta1, beta2, eps, weightDecay",
      ),
    );
    expect(() => new nn.Adam(0.1 as never)).toThrow(
      exact('tellus: Adam(opts): options: expected an object with keys among lr, beta1, beta2, eps, weightDecay, got 0.1'),
    );
  });

  it('rejects bad option values naming the argument, the range and the value', () => {
    const cases: [() => unknown, string][] = [
      [() => new nn.SGD({ lr: 0 }), 'tellus: SGD(opts): lr: expected a finite number > 0 or a schedule step => lr, got 0'],
      [() => new nn.Adam({ lr: Infinity }), 'tellus: Adam(opts): lr: expected a finite number > 0 or a schedule step => lr, got Infinity'],
      [
        () => new nn.Adam({ lr: '0.1' as never }),
        'tellus: Adam(opts): lr: expected a finite number > 0 or a schedule step => lr, got "0.1"',
      ],
      [() => new nn.SGD({ lr: 0.1, momentum: -0.5 }), 'tellus: SGD(opts): momentum: expected a finite number >= 0, got -0.5'],
      [() => new nn.SGD({ lr: 0.1, weightDecay: NaN }), 'tellus: SGD(opts): weightDecay: expected a finite number >= 0, got NaN'],
      [() => new nn.SGD({ lr: 0.1, momentum: 0.9, nesterov: 1 as never }), 'tellus: SGD(opts): nesterov: expected a boolean, got 1'],
      [() => new nn.Adam({ lr: 0.1, beta2: 1 }), 'tellus: Adam(opts): beta2: expected a finite number in [0, 1), got 1'],
      [() => new nn.Adam({ lr: 0.1, beta1: -0.1 }), 'tellus: Adam(opts): beta1: expected a finite number in [0, 1), got -0.1'],
      [() => new nn.AdamW({ lr: 0.1, eps: 0 }), 'tellus: AdamW(opts): eps: expected a finite number > 0, got 0'],
      [() => new nn.AdamW({ lr: 0.1, weightDecay: -1 }), 'tellus: AdamW(opts): weightDecay: expected a finite number >= 0, got -1'],
    ];
    for (const [f, msg] of cases) expect(f).toThrow(exact(msg));
  });

  it('rejects misspelt lbfgs options and bad values before evaluating fg', async () => {
    const x = tl.tensor([3, -2]);
    let calls = 0;
    const fg = (v: tl.Tensor): [tl.Tensor, tl.Tensor] => (calls++, quadratic(v));
    const what = 'tellus: lbfgs(fg, x0, opts)';
    const valid = 'history, maxIter, maxEvals, maxLineSearch, tolGrad, tolStep, tolLoss, epsLoss, c1, c2, onIteration';
    await expect(nn.lbfgs(fg, x, { maxiter: 1 } as never)).rejects.toThrow(
      exact(`${what}: unknown option 'maxiter' (did you mean 'maxIter'?); valid options: ${valid}`),
    );
    await expect(nn.lbfgs(fg, x, { maxIter: 0 })).rejects.toThrow(exact(`${what}: maxIter: expected an integer >= 1, got 0`));
    await expect(nn.lbfgs(fg, x, { maxIter: 2.5 })).rejects.toThrow(exact(`${what}: maxIter: expected an integer >= 1, got 2.5`));
    await expect(nn.lbfgs(fg, x, { maxEvals: '9' as never })).rejects.toThrow(
      exact(`${what}: maxEvals: expected an integer >= 1, got "9"`),
    );
    await expect(nn.lbfgs(fg, x, { tolGrad: -1 })).rejects.toThrow(exact(`${what}: tolGrad: expected a number in [0, Infinity], got -1`));
    await expect(nn.lbfgs(fg, x, { tolLoss: NaN })).rejects.toThrow(exact(`${what}: tolLoss: expected a number in [0, Infinity], got NaN`));
    await expect(nn.lbfgs(fg, x, { c1: 1.5 })).rejects.toThrow(exact(`${what}: c1: expected a number in [0, 1], got 1.5`));
    expect(calls).toBe(0);
    // The correctly spelt option is honoured: one iteration.
    const r = await nn.lbfgs(fg, x, { maxIter: 1, tolGrad: 0 });
    expect(r.iterations).toBe(1);
    expect(r.reason).toBe('maxIter');
    r.x.dispose();
    x.dispose();
  });
});

describe('lbfgs with a non-finite loss or gradient', () => {
  useDevice();
  const what = 'tellus: lbfgs(fg, x0, opts)';

  it('rejects a NaN loss at the starting point, leaving x0 unchanged', async () => {
    const x0v = randomFloats(rng(), 5, -1, 1);
    const x0 = tl.tensor(Float32Array.from(x0v));
    await tl.sync();
    const live = tl.memory().buffersLive;
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] => tl.tidy(() => [poison(x.sum()), x.mul(2)]);
    await expect(nn.lbfgs(fg, x0, { maxIter: 1 })).rejects.toThrow(
      exact(
        `${what}: fg(x0): expected a finite loss and gradient at the starting point (iteration 0), got loss NaN; a non-finite loss is a bug in the objective`,
      ),
    );
    await tl.sync();
    expect(tl.memory().buffersLive).toBe(live);
    expect(Array.from(await x0.data())).toEqual(Array.from(Float32Array.from(x0v)));
    x0.dispose();
  });

  it('rejects an Inf gradient at the starting point', async () => {
    const x0 = tl.tensor([1, 2, 3]);
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] => tl.tidy(() => [x.square().sum(), x.div(0)]);
    await expect(nn.lbfgs(fg, x0)).rejects.toThrow(
      exact(
        `${what}: fg(x0): expected a finite loss and gradient at the starting point (iteration 0), got loss 14 and a gradient holding NaN or Inf; a non-finite loss is a bug in the objective`,
      ),
    );
    x0.dispose();
  });

  it('rejects a NaN gradient at a finite loss mid-run, naming the iteration, without leaking', async () => {
    const x0 = tl.tensor([3, -2, 0.5]);
    await tl.sync();
    const live = tl.memory().buffersLive;
    let n = 0;
    // Finite at the start, then the gradient turns NaN from the third evaluation on.
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] => {
      n++;
      const [f, g] = quadratic(x);
      if (n < 3) return [f, g];
      const bad = poison(g);
      g.dispose();
      return [f, bad];
    };
    await expect(nn.lbfgs(fg, x0, { tolGrad: 0 })).rejects.toThrow(
      /^tellus: lbfgs\(fg, x0, opts\): fg\(x\): expected a finite gradient, got one holding NaN or Inf at a finite loss [0-9.e-]+ \(iteration 2, evaluation 3\); a non-finite gradient is a bug in the objective$/,
    );
    await tl.sync();
    expect(tl.memory().buffersLive).toBe(live);
    expect(Array.from(await x0.data())).toEqual([3, -2, 0.5]);
    x0.dispose();
  });

  it('rejects when every trial point of a line search has a NaN loss', async () => {
    const x0 = tl.tensor([3, -2]);
    await tl.sync();
    const live = tl.memory().buffersLive;
    let n = 0;
    const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] => {
      n++;
      const [f, g] = quadratic(x);
      if (n === 1) return [f, g];
      const bad = poison(f);
      f.dispose();
      return [bad, g];
    };
    await expect(nn.lbfgs(fg, x0, { maxLineSearch: 4 })).rejects.toThrow(
      exact(
        `${what}: fg(x): expected a finite loss, got NaN or Inf at every one of the 4 trial points of iteration 1 (the loss was 13 at the last finite iterate); a non-finite loss is a bug in the objective`,
      ),
    );
    await tl.sync();
    expect(tl.memory().buffersLive).toBe(live);
    expect(Array.from(await x0.data())).toEqual([3, -2]);
    x0.dispose();
  });

  it('backtracks from an Inf loss outside the domain and still converges', async () => {
    // f = (x0 - 1)^2 + 100 (x1 - 0.5)^2, Inf where x1 >= 0.9. From 0 the first trial step is
    // g / |g|_1 = [2, 100] / 102, to x1 = 0.98: outside, so the search must backtrack.
    const [w, t] = [tl.tensor([1, 100]), tl.tensor([1, 0.5])];
    const run = async (edge: tl.Tensor): Promise<nn.LbfgsResult> => {
      const fg = (x: tl.Tensor): [tl.Tensor, tl.Tensor] =>
        tl.tidy(() => {
          const r = x.sub(t);
          const wall = tl.where(tl.lt(x, edge), tl.zerosLike(x), tl.tensor(Float32Array.of(Infinity))).sum();
          return [w.mul(r.square()).sum().add(wall), w.mul(r).mul(2)];
        });
      const x0 = tl.zeros([2]);
      const r = await nn.lbfgs(fg, x0, { tolGrad: 1e-4 });
      x0.dispose();
      edge.dispose();
      return r;
    };
    const free = await run(tl.tensor([2, 2]));
    const r = await run(tl.tensor([2, 0.9]));
    expect(r.converged).toBe(true);
    expect(r.history.every(Number.isFinite)).toBe(true);
    // The wall cost evaluations: the search did meet the Inf region and backtracked out of it.
    expect(r.evaluations).toBeGreaterThan(free.evaluations);
    const x = await r.x.data();
    expect(Math.abs(x[0]! - 1)).toBeLessThan(1e-3);
    expect(Math.abs(x[1]! - 0.5)).toBeLessThan(1e-3);
    [r.x, free.x, w, t].forEach((v) => v.dispose());
  });
});

describe('optimizer step with NaN gradients', () => {
  useDevice();

  for (const name of ['SGD', 'Adam', 'AdamW'] as const) {
    it(`${name}.step leaves NaN/Inf-gradient elements unchanged and reports at the next read-back`, async () => {
      const g = rng();
      const pv = Float32Array.from(randomFloats(g, 100, -1, 1));
      const gv = Float32Array.from(randomFloats(g, 100, -1, 1));
      gv[7] = NaN;
      gv[42] = Infinity;
      gv[99] = -Infinity;
      const p = tl.tensor(pv);
      const grad = tl.tensor(gv);
      const opt = name === 'SGD' ? new nn.SGD({ lr: 0.1, momentum: 0.9 }) : new nn[name]({ lr: 0.1 });
      opt.step({ p }, { p: grad });
      const msg = `tellus: ${name}.step: a gradient holds NaN or Inf; the parameter elements where it does were left unchanged (look for a loss that overflowed or a NaN input) (detected on the device in work submitted since the previous read-back)`;
      await expect(p.data()).rejects.toThrow(exact(msg));
      // The flag is cleared by the report: the next read succeeds.
      const after = await p.data();
      for (let i = 0; i < 100; i++) {
        if (i === 7 || i === 42 || i === 99) expect(after[i]).toBe(pv[i]);
        else expect(after[i]).not.toBe(pv[i]);
        expect(Number.isFinite(after[i])).toBe(true);
      }
      // A later step with finite gradients works and raises nothing.
      grad.dispose();
      const fine = tl.tensor(Float32Array.from(randomFloats(g, 100, -1, 1)));
      opt.step({ p }, { p: fine });
      expect((await p.data()).every(Number.isFinite)).toBe(true);
      opt.dispose();
      [p, fine].forEach((t) => t.dispose());
    });
  }
});
