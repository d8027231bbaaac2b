// Gradients of the reductions (sum, mean, prod, max, min over all axes, one axis, several axes,
// negative axes, keepDims) and of matmul (2-D, 1-D promotion, batch broadcasting): tl.grad against
// float64 central differences on every view layout, the GPU Taylor test, a mixed second-order check
// for matmul, and jvp of matmul and of reductions against a float64 directional derivative.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { forEachIndex, HostArray, rng, upload, useDevice, type Gen } from './helpers.js';
import { matmulRef, normAxes, randomHost, reduceRef, refMax, refMean, refMin, refProd, refSum } from './ref.js';
import {
  assertScaled,
  awayFromZero,
  checkGrad,
  checkHvp,
  checkTaylor,
  f32,
  fdDirectional,
  readAll,
  type Fn64,
  type GradCase,
} from './gradref.js';

type Axes = number | number[] | undefined;
type Reduce = (x: tl.Tensor, axes?: Axes, keepDims?: boolean) => tl.Tensor;

/**
 * Raises (max) or lowers (min) the extreme of every reduction group by 1, so it beats the runner-up
 * by >= 1: no ties (max/min are differentiable there), and the Taylor steps, which move each value
 * by <= 1/4, cannot change which element wins.
 */
function separateExtremes(h: HostArray, axes: Axes, kind: 'max' | 'min'): HostArray {
  const red = normAxes(h.shape.length, axes);
  const best = new Map<string, number>();
  forEachIndex(h.shape, (idx, flat) => {
    const key = idx.map((v, d) => (red.includes(d) ? 0 : v)).join(',');
    const b = best.get(key);
    if (b === undefined || (kind === 'max' ? h.data[flat]! > h.data[b]! : h.data[flat]! < h.data[b]!)) best.set(key, flat);
  });
  const out = Float64Array.from(h.data);
  for (const flat of best.values()) out[flat] = out[flat]! + (kind === 'max' ? 1 : -1);
  return new HostArray([...h.shape], out);
}

// Tolerances (relative to the gradient's scale). sum/mean/max/min: the gradient is w (or w/n) spread
// over the reduced elements, one rounding: 1e-6. prod: prod/x per element (a float32 product of up
// to 20 factors, ~20 roundings, then a division): 1e-5.
const REDUCTIONS: Record<string, { op: Reduce; ref: (v: number[]) => number; tol: number }> = {
  sum: { op: tl.sum, ref: refSum, tol: 1e-6 },
  mean: { op: tl.mean, ref: refMean, tol: 1e-6 },
  prod: { op: tl.prod, ref: refProd, tol: 1e-5 },
  max: { op: tl.max, ref: refMax, tol: 1e-6 },
  min: { op: tl.min, ref: refMin, tol: 1e-6 },
};
const AXES: [Axes, boolean][] = [
  [undefined, false],
  [1, false],
  [[0, 2], true],
  [-1, false],
  [[-2, -1], false],
];
const SHAPE = [3, 4, 5];

function reduceCase(name: string, axes: Axes, keepDims: boolean, g: Gen): GradCase {
  const r = REDUCTIONS[name]!;
  // prod: |x| in [0.5, 1.5] keeps prod/x away from 0/0.
  let hx = name === 'prod' ? awayFromZero(g, SHAPE, 0.5, 1.5) : randomHost(g, SHAPE);
  if (name === 'max' || name === 'min') hx = f32(separateExtremes(hx, axes, name));
  const cpu: Fn64 = ([x]) => reduceRef(x!, axes, keepDims, r.ref);
  // prod of up to 60 factors: Taylor steps of up to 1/4 per factor would be far from the quadratic
  // regime; vScale 1/8 keeps sum(h v / x) small.
  const vScale = name === 'prod' ? 0.125 : 1;
  return {
    name: `${name}(x [${SHAPE}], ${JSON.stringify(axes)}, keepDims ${keepDims})`,
    inputs: [hx],
    gpu: (x) => r.op(x, axes, keepDims),
    cpu,
    tol: r.tol,
    vScale,
  };
}

describe('reductions: first derivatives', () => {
  useDevice();
  for (const name of Object.keys(REDUCTIONS)) {
    it(`${name}: grad matches float64 finite differences for every axes choice and layout`, async () => {
      const g = rng();
      for (const [axes, keep] of AXES) await checkGrad(reduceCase(name, axes, keep, g), g);
    });
    it(`${name}: Taylor remainder falls as h^2`, async () => {
      const g = rng();
      for (const [axes, keep] of [AXES[0]!, AXES[2]!]) await checkTaylor(reduceCase(name, axes, keep, g), g);
    });
  }

  it('max and min share the gradient equally among tied elements', async () => {
    const x = tl.tensor([
      [1, 3, 3, 0],
      [2, 2, 2, 2],
    ]);
    const grads = tl.tidy(() => [tl.max, tl.min].map((op) => tl.grad((y: tl.Tensor) => tl.sum(op(y, 1)))(x) as tl.Tensor));
    const [gmax, gmin] = await readAll(grads);
    grads.forEach((t) => t.dispose());
    // Halves and quarters are exact.
    expect(Array.from(gmax!)).toEqual([0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(gmin!)).toEqual([0, 0, 0, 1, 0.25, 0.25, 0.25, 0.25]);
    x.dispose();
  });
});

// ---------------------------------------------------------------- matmul

// 1e-5: each gradient element is a float32 dot product of <= 12 terms (K, N, or a broadcast batch
// folded in by the sum): rounding <= 12·2^-24·sum|terms|, and sum|terms| is within a few times the
// gradient's scale for these random inputs.
const MATMUL_TOL = 1e-5;
const MATMULS: [number[], number[]][] = [
  [
    [3, 4],
    [4, 2],
  ],
  [
    [2, 1, 3, 4],
    [3, 4, 2],
  ],
  [[4], [4, 2]],
  [[3, 4], [4]],
  [[4], [4]],
  [[4], [2, 4, 3]],
  [[2, 3, 4], [4]],
];

function matmulCase(sa: number[], sb: number[], g: Gen): GradCase {
  return {
    name: `matmul([${sa}], [${sb}])`,
    inputs: [randomHost(g, sa), randomHost(g, sb)],
    gpu: (a, b) => tl.matmul(a, b),
    cpu: ([a, b]) => matmulRef(a!, b!).c,
    tol: MATMUL_TOL,
  };
}

describe('matmul: first derivatives', () => {
  useDevice();
  it('grad matches float64 finite differences for 1-D, 2-D and broadcast-batched operands on every layout', async () => {
    const g = rng();
    for (const [sa, sb] of MATMULS) await checkGrad(matmulCase(sa, sb, g), g);
  });
  it('Taylor remainder falls as h^2', async () => {
    const g = rng();
    for (const [sa, sb] of MATMULS) await checkTaylor(matmulCase(sa, sb, g), g);
  });
});

describe('matmul: second order', () => {
  useDevice();
  it('hvp of sum(w * (a @ b)^2) (mixed a-b block) matches a Richardson difference of device gradients', async () => {
    const g = rng();
    // x [2, 3, 3] packs a = x[0] and b = x[1]; squaring makes the Hessian depend on x.
    const w = randomHost(g, [3, 3]);
    const wt = upload(w);
    const f = (x: tl.Tensor): tl.Tensor => tl.sum(tl.mul(wt, tl.square(tl.matmul(tl.slice(x, [0]), tl.slice(x, [1])))));
    // f is quartic: Richardson removes the ε² term and the ε⁴ term vanishes (the 5th derivative is 0),
    // so only gradient rounding remains (~1e-7 relative, amplified ~100x): 1e-4 of the scale.
    await checkHvp('matmul', f, randomHost(g, [2, 3, 3]), g, 1e-4);
    wt.dispose();
  });
});

describe('jvp of matmul and reductions', () => {
  useDevice();
  const cases: {
    name: string;
    shapes: number[][];
    gpu: (...xs: tl.Tensor[]) => tl.Tensor;
    cpu: Fn64;
    tol: number;
    make?: (g: Gen) => HostArray[];
  }[] = [
    {
      name: 'matmul [2,3,4] @ [4,2]',
      shapes: [
        [2, 3, 4],
        [4, 2],
      ],
      gpu: (a, b) => tl.matmul(a, b),
      cpu: ([a, b]) => matmulRef(a!, b!).c,
      tol: MATMUL_TOL,
    },
    {
      name: 'sum(x, [0, 2])',
      shapes: [SHAPE],
      gpu: (x) => tl.sum(x, [0, 2]),
      cpu: ([x]) => reduceRef(x!, [0, 2], false, refSum),
      tol: 1e-6,
    },
    {
      name: 'max(x, 1, keepDims)',
      shapes: [SHAPE],
      gpu: (x) => tl.max(x, 1, true),
      cpu: ([x]) => reduceRef(x!, 1, true, refMax),
      tol: 1e-6,
      make: (g) => [f32(separateExtremes(randomHost(g, SHAPE), 1, 'max'))],
    },
    {
      name: 'prod(x, -1)',
      shapes: [SHAPE],
      gpu: (x) => tl.prod(x, -1),
      cpu: ([x]) => reduceRef(x!, -1, false, refProd),
      tol: 1e-5,
      make: (g) => [awayFromZero(g, SHAPE, 0.5, 1.5)],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: jvp matches the float64 directional derivative`, async () => {
      const g = rng();
      const xs = c.make ? c.make(g) : c.shapes.map((s) => randomHost(g, s));
      const ts = c.shapes.map((s) => randomHost(g, s));
      const want = fdDirectional(c.cpu, xs, ts);
      const [out, tan] = tl.tidy(() =>
        tl.jvp(
          c.gpu,
          xs.map((h) => upload(h)),
          ts.map((h) => upload(h)),
        ),
      );
      expect(tan.shape).toEqual(c.cpu(xs).shape);
      const [o, t] = await readAll([out, tan]);
      out.dispose();
      tan.dispose();
      assertScaled(o!, c.cpu(xs).data, c.tol, `seed ${g.seed}: jvp(${c.name}) primal`);
      assertScaled(t!, want, c.tol, `seed ${g.seed}: jvp(${c.name}) tangent`);
    });
  }
});
