// Bad input to the optimizers (issue 12): misspelt options, bad option values, and NaN gradients
// in an optimizer step. Each case asserts the whole message (function, argument, expected, got) and
// that the user's tensors are left unchanged.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { randomFloats, rng, useDevice } from './helpers.js';

/** Escapes a message for an exact-match RegExp. */
const exact = (msg: string): RegExp => new RegExp(`^${msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

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
