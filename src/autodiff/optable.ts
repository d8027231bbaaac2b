// The elementwise op table: one entry per unary or binary op gives everything about it: its WGSL
// (float32, and the integer paths it accepts), the VJP rule written with differentiable ops, and
// what the rule saves. Registering an entry (src/ops/elementwise.ts) assigns its op code and puts it
// in the generated elementwise shader; the differentiable op, the public export and the chainable
// Tensor method (src/methods.ts) all come from here. No entry needs a JVP: rules are built from
// differentiable ops, so jvp (two reverse passes) and higher derivatives differentiate through them.
import { type Tensor } from '../graph/tensor.js';
import type { TensorLike } from '../ops/emit.js';
import { type BinaryKernel, type RawBinary, type RawUnary, type UnaryKernel, registerBinary, registerUnary } from '../ops/elementwise.js';
import { record, save } from './tape.js';
import { cast, isT, unbroadcast, where } from './core.js';

// Tensor's methods are typed from this table, so a rule whose type TypeScript must infer from Tensor's
// members (x.shape, g.dtype, a narrowed number | Tensor) is a cycle: such a rule declares its return type.
type T = Tensor;

export interface UnaryEntry extends UnaryKernel {
  /** Which tensors the rule reads: they are saved at record time (before any dispose). */
  saves: 'x' | 'out' | 'both' | 'none';
  /** Cotangent of x given the output's cotangent g; `param` is the op's parameter (if it has one). */
  vjp: (g: T, x: T, out: T, param: number) => T;
}

export type BinaryEntry =
  | (Extract<BinaryKernel, { f32: string }> & {
      saves: { a?: boolean; b?: boolean; out?: boolean };
      /** Cotangents of a and b (null: none); either operand may be a JS number. Broadcasting is undone for you. */
      vjp: (g: T, a: TensorLike, b: TensorLike, out: T) => [T | null, T | null];
    })
  // Piecewise constant: no gradient, and nothing recorded.
  | (Extract<BinaryKernel, { compare: string }> & { vjp: 'constant' });

// d/dx x·Φ(x) = Φ(x) + x·φ(x), with Φ from erf and φ the normal density.
const geluGrad = (x: T): T =>
  add(mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5), mul(x, mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI))));

// Kahan's trick: u = e^x carries a rounding error that (u - 1) / log(u) cancels, with log(u) taken
// as log1p_f32(u - 1) (u - 1 is exact near 1, where the builtin log is not accurate enough). Above
// x = 20, e^x - 1 rounds to e^x (and the quotient would turn an overflow into NaN).
const EXPM1_WGSL = `fn expm1_f32(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (x > 20.0) { return u; }
  return um1 * (x / log1p_f32(um1));
}`;

const UNARY = {
  // uint32: neg keeps its input (as before the table); abs and relu are the identity.
  neg: { f32: '-x', i32: '-x', u32: 'x', saves: 'none', vjp: (g) => neg(g) },
  abs: { f32: 'abs(x)', i32: 'abs(x)', u32: 'x', saves: 'x', vjp: (g, x) => mul(g, sign(x)) },
  exp: { f32: 'exp(x)', saves: 'out', vjp: (g, _x, o) => mul(g, o) },
  log: { f32: 'log(x)', saves: 'x', vjp: (g, x) => div(g, x) },
  sqrt: { f32: 'sqrt(x)', saves: 'out', vjp: (g, _x, o) => div(mul(g, 0.5), o) },
  rsqrt: { f32: 'inverseSqrt(x)', saves: 'out', vjp: (g, _x, o) => mul(g, mul(pow(o, 3), -0.5)) },
  sin: { f32: 'sincos_f32(x).x', saves: 'x', vjp: (g, x) => mul(g, cos(x)) },
  cos: { f32: 'sincos_f32(x).y', saves: 'x', vjp: (g, x) => neg(mul(g, sin(x))) },
  // tanh through exp overflows for |x| > 44 on some drivers; tanh(±9) is ±1 in float32.
  tanh: { f32: 'tanh(clamp(x, -9.0, 9.0))', saves: 'out', vjp: (g, _x, o) => mul(g, sub(1, square(o))) },
  sigmoid: {
    f32: 'sigmoid_f32(x)',
    helper: 'fn sigmoid_f32(x: f32) -> f32 {\n  let e = exp(-abs(x));\n  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);\n}',
    saves: 'out',
    vjp: (g, _x, o) => mul(g, mul(o, sub(1, o))),
  },
  relu: { f32: 'max(x, 0.0)', i32: 'max(x, 0)', u32: 'x', saves: 'x', vjp: (g, x) => where(gt(x, 0), g, 0) },
  leakyRelu: {
    f32: 'select(alpha * x, x, x >= 0.0)',
    param: { name: 'alpha', default: 0.01 },
    saves: 'x',
    vjp: (g, x, _o, alpha) => mul(g, where(ge(x, 0), 1, alpha)),
  },
  gelu: { f32: '0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752))', saves: 'x', vjp: (g, x) => mul(g, geluGrad(x)) },
  // log(1 + e^x) without overflow or underflow: max(x, 0) + log1p(e^-|x|).
  softplus: { f32: 'max(x, 0.0) + log1p_f32(exp(-abs(x)))', saves: 'x', vjp: (g, x) => mul(g, sigmoid(x)) },
  square: { f32: 'x * x', i32: 'x * x', u32: 'x * x', saves: 'x', vjp: (g, x) => mul(g, mul(x, 2)) },
  reciprocal: { f32: '1.0 / x', saves: 'out', vjp: (g, _x, o) => neg(mul(g, square(o))) },
  sign: { f32: 'sign(x)', i32: 'sign(x)', u32: 'min(x, 1u)', saves: 'none', vjp: (g) => mul(g, 0) },
  erf: { f32: 'erf_f32(x)', saves: 'x', vjp: (g, x) => mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))) },
  // log(1 + x) and e^x - 1 keep full float32 accuracy for tiny |x|, where 1 + x rounds x away.
  log1p: { f32: 'log1p_f32(x)', saves: 'x', vjp: (g, x) => div(g, add(x, 1)) },
  expm1: { f32: 'expm1_f32(x)', helper: EXPM1_WGSL, saves: 'out', vjp: (g, _x, o) => mul(g, add(o, 1)) },
} satisfies Record<string, UnaryEntry>;

const BINARY = {
  add: { f32: 'a + b', i32: 'a + b', u32: 'a + b', commutative: true, saves: {}, vjp: (g) => [g, g] },
  sub: { f32: 'a - b', i32: 'a - b', u32: 'a - b', saves: {}, vjp: (g) => [g, neg(g)] },
  mul: {
    f32: 'a * b',
    i32: 'a * b',
    u32: 'a * b',
    commutative: true,
    saves: { a: true, b: true },
    vjp: (g, a, b) => [mul(g, b), mul(g, a)],
  },
  // Integer division by zero gives 0 (WGSL leaves it to the driver otherwise).
  div: {
    f32: 'a / b',
    i32: 'select(0, a / b, b != 0)',
    u32: 'select(0u, a / b, b != 0u)',
    saves: { b: true, out: true },
    vjp: (g, _a, b, o) => [div(g, b), neg(mul(div(g, b), o))],
  },
  pow: {
    f32: 'pow_f32(a, b)',
    i32: 'pow_int(a, b)',
    u32: 'bitcast<u32>(pow_int(bitcast<i32>(a), bitcast<i32>(b)))',
    saves: { a: true, b: true, out: true },
    // d/da a^b = b a^(b-1); d/db a^b = a^b log a, taken as 0 where a <= 0 (the real branch has no derivative there).
    vjp: (g, a, b, o): [T | null, T | null] => [
      isT(a) ? mul(g, mul(b, pow(a, isT(b) ? sub(b, 1) : b - 1))) : null,
      isT(b) ? mul(g, mul(o, isT(a) ? where(gt(a, 0), log(where(gt(a, 0), a, 1)), 0) : a > 0 ? Math.log(a) : 0)) : null,
    ],
  },
  minimum: {
    f32: 'min(a, b)',
    i32: 'min(a, b)',
    u32: 'min(a, b)',
    commutative: true,
    saves: { a: true, b: true },
    vjp: (g, a, b) => [mul(g, tieMask(a, b, 'lt')), mul(g, tieMask(b, a, 'lt'))],
  },
  maximum: {
    f32: 'max(a, b)',
    i32: 'max(a, b)',
    u32: 'max(a, b)',
    commutative: true,
    saves: { a: true, b: true },
    vjp: (g, a, b) => [mul(g, tieMask(a, b, 'gt')), mul(g, tieMask(b, a, 'gt'))],
  },
  // NaN compares false with everything, except !=.
  eq: { compare: '==', vjp: 'constant' },
  ne: { compare: '!=', vjp: 'constant' },
  lt: { compare: '<', vjp: 'constant' },
  le: { compare: '<=', vjp: 'constant' },
  gt: { compare: '>', vjp: 'constant' },
  ge: { compare: '>=', vjp: 'constant' },
} satisfies Record<string, BinaryEntry>;

// Ties split the gradient evenly, so the rule stays symmetric.
const tieMask = (a: TensorLike, b: TensorLike, pick: 'gt' | 'lt'): T =>
  add(cast(pick === 'gt' ? gt(a, b) : lt(a, b), 'float32'), mul(cast(eq(a, b), 'float32'), 0.5));

// Types only: this module's values are all public ops (src/index.ts re-exports it), so code that
// loops over the table takes the names from the registry (registeredOps() in src/ops/elementwise.ts).
export type UnaryName = keyof typeof UNARY;
export type BinaryName = keyof typeof BINARY;
/** An op with a parameter takes it as an optional second argument (leakyRelu(x, alpha)). */
type UnaryFn<E> = E extends { param: object } ? (x: T, alpha?: number) => T : (x: T) => T;
export type UnaryOps = { [K in UnaryName]: UnaryFn<(typeof UNARY)[K]> };

function differentiableUnary(name: string, e: UnaryEntry): (x: T, param?: number) => T {
  const raw: RawUnary = registerUnary(name, e);
  return (x, param) => {
    const out = raw(x, param);
    return record(name, out, [x], () => {
      const sx = e.saves === 'x' || e.saves === 'both' ? save(x) : x;
      const so = e.saves === 'out' || e.saves === 'both' ? save(out) : out;
      const p = param ?? e.param?.default ?? 0;
      return (g) => [e.vjp(g, sx, so, p)];
    });
  };
}

const operandShape = (v: TensorLike): readonly number[] => (isT(v) ? v.shape : []);

function differentiableBinary(name: string, e: BinaryEntry): RawBinary {
  const raw = registerBinary(name, e);
  if (e.vjp === 'constant') return raw;
  const { saves, vjp } = e;
  return (a, b) => {
    const out = raw(a, b);
    return record(name, out, [isT(a) ? a : null, isT(b) ? b : null], () => {
      const sa = isT(a) && saves.a ? save(a) : a;
      const sb = isT(b) && saves.b ? save(b) : b;
      const so = saves.out ? save(out) : out;
      const [sha, shb] = [operandShape(a), operandShape(b)];
      return (g) => {
        const [ga, gb] = vjp(g, sa, sb, so);
        return [ga && isT(a) ? unbroadcast(ga, sha) : null, gb && isT(b) ? unbroadcast(gb, shb) : null];
      };
    });
  };
}

const unaryOps = Object.fromEntries(Object.entries(UNARY).map(([n, e]) => [n, differentiableUnary(n, e as UnaryEntry)])) as Record<
  string,
  (x: T, param?: number) => T
>;
const binaryOps = Object.fromEntries(Object.entries(BINARY).map(([n, e]) => [n, differentiableBinary(n, e as BinaryEntry)])) as Record<
  string,
  RawBinary
>;

// Declared, not inferred: the rules above call these ops, so their types cannot come from the table.
// A name missing here or not in the table is caught by test/optable.test.ts.
type Unary = (x: T) => T;
type Binary = (a: TensorLike, b: TensorLike) => T;
type UnaryExport =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'softplus'
  | 'square'
  | 'reciprocal'
  | 'sign'
  | 'erf'
  | 'log1p'
  | 'expm1';
type BinaryExport = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'minimum' | 'maximum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export const {
  neg,
  abs,
  exp,
  log,
  sqrt,
  rsqrt,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  gelu,
  softplus,
  square,
  reciprocal,
  sign,
  erf,
  log1p,
  expm1,
} = unaryOps as Record<UnaryExport, Unary>;
export const leakyRelu = unaryOps.leakyRelu as (x: T, alpha?: number) => T;
export const { add, sub, mul, div, pow, minimum, maximum, eq, ne, lt, le, gt, ge } = binaryOps as Record<BinaryExport, Binary>;
