// The elementwise op table (src/autodiff/optable.ts) against what runs: the generated WGSL holds one
// OP_ constant per registered op carrying the registry's code, and each op's case, with the table's
// expression, in exactly the functions of the dtypes it accepts; every entry is a public op and a
// Tensor method, and records its VJP on the tape. Accuracy of each op is in elementwise.test.ts,
// its gradients in grad-unary.test.ts and grad-binary.test.ts.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { registeredShaders } from '../src/gpu/kernels.js';
import elementwiseTemplate from '../shaders/elementwise.wgsl';
import { opConstant, registeredOps, registerUnary } from '../src/ops/elementwise.js';
import type { BinaryEntry, UnaryEntry } from '../src/autodiff/optable.js';
import { randomFloats, rng, useDevice } from './helpers.js';

// A table entry without its VJP rule does not compile (tsc -p . checks the tests too).
// @ts-expect-error: vjp is missing
const noRule = { f32: 'x', saves: 'x' } satisfies UnaryEntry;
// @ts-expect-error: a comparison must say that it has no gradient
const noMark = { compare: '<' } satisfies BinaryEntry;
void [noRule, noMark];

/** The body of WGSL function `name` in `src` (up to its closing brace at column 0). */
function fnBody(src: string, name: string): string {
  const start = src.indexOf(`fn ${name}(`);
  expect(start, `fn ${name} in the generated source`).toBeGreaterThanOrEqual(0);
  return src.slice(start, src.indexOf('\n}', start));
}

describe('op table and generated WGSL', () => {
  const src = registeredShaders().find(([file]) => file === 'elementwise.wgsl')![1];
  const { unary, binary } = registeredOps();

  it('the op constants come only from the table, one per op, with the registry code', () => {
    expect(elementwiseTemplate).not.toMatch(/const OP_/);
    const consts = new Map([...src.matchAll(/const (OP_\w+) = (\d+)u;/g)].map((m) => [m[1]!, Number(m[2])]));
    const want = new Map([...unary.values(), ...binary.values()].map((d) => [opConstant(d.name), d.code]));
    expect(consts).toEqual(want);
    // Unary code 0 is the copy that contiguous() and clone() use.
    expect(new Set([...unary.values()].map((d) => d.code)).size).toBe(unary.size);
    expect([...unary.values()].every((d) => d.code > 0)).toBe(true);
    expect(new Set([...binary.values()].map((d) => d.code)).size).toBe(binary.size);
  });

  it("each op's case holds the table's expression in exactly the dtypes it accepts", () => {
    const bodies = { f32: fnBody(src, 'unary_f32'), i32: fnBody(src, 'unary_i32'), u32: fnBody(src, 'unary_u32') };
    for (const d of unary.values()) {
      for (const dt of ['f32', 'i32', 'u32'] as const) {
        const expr = d[dt];
        const at = `${d.name} (${dt})`;
        if (expr === undefined) expect(bodies[dt], at).not.toContain(`case ${opConstant(d.name)}:`);
        else expect(bodies[dt], at).toContain(`case ${opConstant(d.name)}: { return ${expr}; }`);
      }
      if (d.helper) expect(src).toContain(d.helper.trim());
    }
    for (const dt of ['f32', 'i32', 'u32'] as const) {
      const body = fnBody(src, `binary_${dt}`);
      for (const d of binary.values()) {
        const expr =
          'compare' in d ? (d.compare === '!=' ? 'select(1u, 0u, a == b)' : `select(0u, 1u, a ${d.compare} b)`) : `bitcast<u32>(${d[dt]})`;
        expect(body, `${d.name} (${dt})`).toContain(`case ${opConstant(d.name)}: { return ${expr}; }`);
      }
    }
  });

  it('an op registered after the shader was built is refused, naming it', () => {
    expect(() => registerUnary('late', { f32: 'x' })).toThrow(
      /registerUnary\(name, kernel\): op 'late' registered after the elementwise shader was built/,
    );
  });
});

describe('every table entry is a public op, a method, and records its VJP', () => {
  useDevice();
  const { unary, binary } = registeredOps();
  const api = tl as unknown as Record<string, (...a: unknown[]) => tl.Tensor>;
  const proto = tl.Tensor.prototype as unknown as Record<string, unknown>;
  const nodeName = (t: tl.Tensor): string | undefined => (t.tape as { name?: string } | undefined)?.name;

  it('unary ops', async () => {
    const g = rng();
    // (0.5, 1.5) is inside every unary op's domain (log, sqrt, rsqrt, reciprocal, log1p).
    const x = tl.tensor(randomFloats(g, 6, 0.5, 1.5));
    for (const name of unary.keys()) {
      expect(typeof api[name], `tl.${name}`).toBe('function');
      expect(typeof proto[name], `Tensor.prototype.${name}`).toBe('function');
      let recorded: string | undefined;
      const gr = tl.grad((y: tl.Tensor) => {
        const out = api[name]!(y);
        recorded = nodeName(out);
        return tl.sum(out);
      })(x) as tl.Tensor;
      expect(recorded, `${name} records a tape node`).toBe(name);
      expect(gr.shape).toEqual([6]);
      expect(Array.from(await gr.data()).every(Number.isFinite), `${name}: finite gradient`).toBe(true);
      gr.dispose();
    }
    x.dispose();
  });

  it('binary ops (comparisons are constant and record nothing)', async () => {
    const g = rng();
    const [a, b] = [tl.tensor(randomFloats(g, 6, 0.5, 1.5)), tl.tensor(randomFloats(g, 6, 0.5, 1.5))];
    for (const [name, d] of binary) {
      expect(typeof api[name], `tl.${name}`).toBe('function');
      expect(typeof proto[name], `Tensor.prototype.${name}`).toBe('function');
      let recorded: string | undefined;
      const grads = tl.grad(
        (p: tl.Tensor, q: tl.Tensor) => {
          const out = api[name]!(p, q);
          recorded = nodeName(out);
          return tl.sum(tl.cast(out, 'float32'));
        },
        [0, 1],
      )(a, b) as tl.Tensor[];
      expect(recorded, `${name}'s tape node`).toBe('compare' in d ? undefined : name);
      for (const gr of grads) expect(Array.from(await gr.data()).every(Number.isFinite), `${name}: finite gradient`).toBe(true);
      // add's rule hands the same cotangent to both operands.
      for (const gr of new Set(grads)) gr.dispose();
    }
    a.dispose();
    b.dispose();
  });
});
