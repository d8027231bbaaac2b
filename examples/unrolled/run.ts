// Unrolled proximal gradient against classical solvers at the same number of operator applications.
// Models are random blocky/layered perturbations (dipping interfaces plus rectangular bodies,
// values in [-1, 1]); data b = A x + noise (Gaussian, `noise` times the RMS of A x). The operator is
// a Gaussian blur (deconvolution) or Born modelling around a smooth background (linearized
// reflection imaging; A = born2d, AT = rtm2d). Methods, all from x = 0 with K AT and K - 1 A
// applications per model batch:
//   - gradient descent, step 1 / ||A||^2 (power iteration), K iterations;
//   - Tikhonov by CG on (A^T A + lambda L^T L) x = A^T b, K - 1 CG iterations, lambda and
//     L (identity or gradient) chosen on a validation set;
//   - UnrolledPG with K iterations (learned steps and per-iteration residual CNN prox), trained with
//     Adam on freshly generated models, each iteration checkpointed.
// Reported on held-out models: relative model error and SSIM (data range 2, the models' range).
// Imports only the package root, so the browser app can run it too.
import * as tl from '../../src/index.js';
import { mulberry32 } from '../common/random.js';

export interface UnrolledRunOptions {
  /** 'blur' (default) or 'born'. */
  operator?: 'blur' | 'born';
  /** Models are size x size cells. Default 24 (blur), 16 (born). */
  size?: number;
  /** Unrolled iterations K (also the budget of the baselines). Default 5. */
  iterations?: number;
  /** Adam steps. Default 150 (blur), 10 (born). */
  trainSteps?: number;
  /** Models per training batch. Default 4 (blur), 2 (born). */
  batch?: number;
  /** Held-out test models (and as many validation models for Tikhonov's lambda). Default 8 (blur), 4 (born). */
  test?: number;
  /** Hidden channels of each prox CNN. Default 8. */
  channels?: number;
  /** Noise level relative to the RMS of A x. Default 0.02. */
  noise?: number;
  /** Adam learning rate (cosine decay to 1/20 of it). Default 2e-3. */
  lr?: number;
  seed?: number;
  /** Called after each training step with the loss when it was read (every 10 steps), else NaN. */
  onProgress?: (step: number, total: number, loss: number) => void;
}

export interface MethodScore {
  /** Mean over the test models. */
  relativeError: number;
  ssim: number;
  /** Per test model. */
  relativeErrors: number[];
  ssims: number[];
}

export interface UnrolledRunResult {
  operator: 'blur' | 'born';
  size: number;
  iterations: number;
  applications: { A: number; AT: number; total: number };
  normSquared: number;
  tikhonov: { lambda: number; regularizer: 'identity' | 'gradient'; cgIterations: number; validationError: number };
  scores: { gradientDescent: MethodScore; tikhonov: MethodScore; unrolled: MethodScore };
  /** Learned alpha_k relative to 1 / ||A||^2. */
  alphas: number[];
  parameters: number;
  trainSeconds: number;
  curve: { step: number[]; loss: number[] };
  /** The first test model and each method's estimate, [size, size] row-major; cell size in metres. */
  figure: { shape: [number, number]; dx: number; truth: Float32Array; gd: Float32Array; tikhonov: Float32Array; unrolled: Float32Array };
}

/** n models [n, 1, s, s]: 2-4 dipping interfaces between layers of random value, plus 0-2 boxes; clipped to [-1, 1]. */
export function blockyModels(rnd: () => number, n: number, s: number): Float32Array {
  const v = new Float32Array(n * s * s);
  for (let m = 0; m < n; m++) {
    const cuts = Array.from({ length: 2 + Math.floor(3 * rnd()) }, () => ({ z: s * (0.1 + 0.85 * rnd()), dip: 0.5 * (rnd() - 0.5) })).sort(
      (a, b) => a.z - b.z,
    );
    const vals = Array.from({ length: cuts.length + 1 }, () => 1.6 * rnd() - 0.8);
    const boxes = Array.from({ length: Math.floor(3 * rnd()) }, () => {
      const [i0, j0] = [Math.floor(s * rnd()), Math.floor(s * rnd())];
      return { i0, j0, i1: i0 + 2 + Math.floor((s / 3) * rnd()), j1: j0 + 2 + Math.floor((s / 3) * rnd()), a: 1.6 * rnd() - 0.8 };
    });
    for (let i = 0; i < s; i++)
      for (let j = 0; j < s; j++) {
        const layer = cuts.filter((c) => i > c.z + c.dip * (j - s / 2)).length;
        let x = vals[layer]!;
        for (const b of boxes) if (i >= b.i0 && i < b.i1 && j >= b.j0 && j < b.j1) x = b.a;
        v[(m * s + i) * s + j] = Math.max(-1, Math.min(1, x));
      }
  }
  return v;
}

const check = <T>(o: T, keys: (keyof T)[]): void => {
  for (const k of Object.keys(o as object))
    if (!keys.includes(k as keyof T)) throw new Error(`runUnrolled: unknown option '${k}'; valid options: ${keys.join(', ')}`);
};

/** The Born setup: a background increasing with depth, sources and receivers along the top row. */
function bornSetup(s: number): { op: tl.LinearOperator; dx: number; dispose: () => void } {
  const [dx, dt, freq] = [5, 0.0012, 20];
  const nt = Math.ceil((2 * s * dx) / 1800 / dt + 1.5 / freq / dt + 10);
  const v0 = tl.tensor(
    Float32Array.from({ length: s * s }, (_, i) => 1800 + 8 * Math.floor(i / s)),
    { shape: [s, s] },
  );
  const shots = [Math.floor(s / 4), Math.floor(s / 2), Math.floor((3 * s) / 4)];
  const amps = tl.expand(tl.reshape(tl.ricker(freq, nt, dt), [1, 1, nt]), [shots.length, 1, nt]);
  const born = tl.bornOperator(v0, {
    dx,
    dt,
    pmlWidth: 8,
    sourceAmplitudes: amps,
    sourceLocations: shots.map((x) => [[1, x]]),
    receiverLocations: shots.map(() => Array.from({ length: s }, (_, j) => [1, j])),
  });
  // Models are perturbations in units of 100 m/s.
  const op = { A: (x: tl.Tensor) => born.A(tl.mul(x, 100)), AT: (y: tl.Tensor) => tl.mul(born.AT(y), 100) };
  return { op, dx, dispose: () => [v0, amps].forEach((t) => t.dispose()) };
}

export async function runUnrolled(opts: UnrolledRunOptions = {}): Promise<UnrolledRunResult> {
  check(opts, ['operator', 'size', 'iterations', 'trainSteps', 'batch', 'test', 'channels', 'noise', 'lr', 'seed', 'onProgress']);
  const operator = opts.operator ?? 'blur';
  if (operator !== 'blur' && operator !== 'born')
    throw new Error(`runUnrolled: operator must be 'blur' or 'born', got ${String(operator)}`);
  const isBlur = operator === 'blur';
  const s = opts.size ?? (isBlur ? 24 : 16);
  const K = opts.iterations ?? 5;
  const steps = opts.trainSteps ?? (isBlur ? 150 : 10);
  const batch = opts.batch ?? (isBlur ? 4 : 2);
  const nTest = opts.test ?? (isBlur ? 8 : 4);
  const noise = opts.noise ?? 0.02;
  const lr = opts.lr ?? 2e-3;
  const seed = opts.seed ?? 1;
  const rnd = mulberry32(seed);
  tl.seed(seed);

  const setup = isBlur ? { op: tl.gaussianBlur({ sigma: 2 }), dx: 10, dispose: () => {} } : bornSetup(s);
  const { op } = setup;
  const { value: normSquared } = await tl.operatorNormSquared(op, [1, 1, s, s], { iterations: isBlur ? 30 : 10, seed });
  const step0 = 1 / normSquared;

  /** A batch: true models and noisy data, on the device. */
  const makeBatch = (n: number): { x: tl.Tensor; b: tl.Tensor } => {
    const x = tl.tensor(blockyModels(rnd, n, s), { shape: [n, 1, s, s] });
    const b = tl.tidy(() => {
      const ax = op.A(x);
      return tl.add(ax, tl.mul(tl.randn(ax.shape), tl.mul(tl.sqrt(tl.mean(tl.square(ax))), noise)));
    });
    return { x, b };
  };
  const val = makeBatch(nTest);
  const test = makeBatch(nTest);

  // Tikhonov: the best (lambda, L) on the validation models, at K - 1 CG iterations.
  const cgIterations = K - 1;
  let best = { lambda: 0, regularizer: 'identity' as 'identity' | 'gradient', validationError: Infinity };
  for (const regularizer of ['identity', 'gradient'] as const)
    for (const rel of [1e-3, 1e-2, 3e-2, 1e-1, 3e-1]) {
      const lambda = rel * normSquared;
      const { x } = tl.tikhonovCG(op, val.b, { lambda, regularizer, iterations: cgIterations });
      const err = await tl.tidy(() => tl.mean(tl.relativeModelError(x, val.x))).item();
      x.dispose();
      if (err < best.validationError) best = { lambda, regularizer, validationError: err };
    }

  // Training: fresh models every step, so the network never sees the test set.
  const model = new tl.UnrolledPG(op, { iterations: K, step: step0, channels: opts.channels ?? 8, checkpoint: true, seed });
  const params = model.parameters();
  const adam = new tl.Adam({ lr: tl.cosineDecay(lr, steps, lr / 20) });
  const lossAndGrad = tl.valueAndGrad((p: tl.NamedTensors, b: tl.Tensor, x: tl.Tensor) => tl.mse(model.call(p, b), x));
  const curve = { step: [] as number[], loss: [] as number[] };
  let acc: tl.Tensor | null = null;
  let accN = 0;
  const t0 = performance.now();
  for (let k = 1; k <= steps; k++) {
    const { x, b } = makeBatch(batch);
    const [loss, grads] = lossAndGrad(params, b, x) as [tl.Tensor, tl.NamedTensors];
    adam.step(params, grads);
    const next: tl.Tensor = acc ? tl.add(acc, loss) : tl.clone(loss);
    acc?.dispose();
    acc = next;
    accN++;
    for (const t of [x, b, loss, ...tl.tree.leaves(grads)]) t.dispose();
    let read = NaN;
    // One read-back every 10 steps: the mean loss since the last one.
    if (k % 10 === 0 || k === steps) {
      read = (await acc.item()) / accN;
      acc.dispose();
      acc = null;
      accN = 0;
      curve.step.push(k);
      curve.loss.push(read);
    }
    opts.onProgress?.(k, steps, read);
  }
  const trainSeconds = (performance.now() - t0) / 1000;

  // Evaluation on the test models at the same budget.
  const gd = tl.gradientDescent(op, test.b, { iterations: K, step: step0 });
  const tk = tl.tikhonovCG(op, test.b, { lambda: best.lambda, regularizer: best.regularizer, iterations: cgIterations });
  const un = tl.noGrad(() => model.forward(test.b));
  const score = async (x: tl.Tensor): Promise<MethodScore> => {
    const both = tl.tidy(() => tl.stack([tl.relativeModelError(x, test.x), tl.reshape(tl.ssim(x, test.x, { dataRange: 2 }), [-1])]));
    const d = await both.data();
    both.dispose();
    const relativeErrors = Array.from(d.subarray(0, nTest));
    const ssims = Array.from(d.subarray(nTest));
    const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
    return { relativeError: mean(relativeErrors), ssim: mean(ssims), relativeErrors, ssims };
  };
  const scores = { gradientDescent: await score(gd.x), tikhonov: await score(tk.x), unrolled: await score(un) };
  const first = async (t: tl.Tensor): Promise<Float32Array> => {
    const f = tl.slice(t, [[0, 1]]);
    const d = (await f.data()) as Float32Array;
    f.dispose();
    return d;
  };
  const figure = {
    shape: [s, s] as [number, number],
    dx: setup.dx,
    truth: await first(test.x),
    gd: await first(gd.x),
    tikhonov: await first(tk.x),
    unrolled: await first(un),
  };
  const alphas = Array.from(await model.alphas().data()).map((a) => a / step0);
  const applications = model.applications();
  if (gd.applications.total !== applications.total || tk.applications.total !== applications.total)
    throw new Error(
      `runUnrolled: budgets differ: GD ${gd.applications.total}, CG ${tk.applications.total}, unrolled ${applications.total}`,
    );
  const parameters = model.numParameters();
  for (const t of [gd.x, tk.x, un, val.x, val.b, test.x, test.b]) t.dispose();
  model.dispose();
  setup.dispose();
  return {
    operator,
    size: s,
    iterations: K,
    applications,
    normSquared,
    tikhonov: { ...best, cgIterations },
    scores,
    alphas,
    parameters,
    trainSeconds,
    curve,
    figure,
  };
}
