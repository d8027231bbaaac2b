// Inversion in a generator's latent space (issue 21 item 4, docs/generative-priors.md):
//   z* = argmin_z 1/2 ||(F(G(z)) - d) / sigma||^2 + lambda/2 ||z||^2
// for a trained decoder or generator G and any differentiable forward map F (straight-ray
// tomography, acoustic2d). Several restarts from z0 ~ N(0, I) run together as a batch [R, latent]:
// the loss is their sum and Adam is elementwise, so each restart follows its own path, and their
// spread is a cheap picture of the posterior's modes. One read-back per `readEvery` iterations.
import { argError, checkOptions, integerArg, optionNames, positiveArg } from '../../graph/options.js';
import { keep, type Tensor, tidy } from '../../graph/tensor.js';
import { randn } from '../../ops/creation.js';
import { checkTensor } from '../../ops/emit.js';
import { add, div, mul, stack, square, sub, sum } from '../../autodiff/ops.js';
import { valueAndGrad } from '../../autodiff/transforms.js';
import { Adam, type LearningRate } from '../../nn/optim.js';

export interface LatentInversionOptions {
  /** Weight of the prior term lambda/2 ||z||^2 (z ~ N(0, I) a priori: lambda = 1 is the MAP). Default 1. */
  lambda?: number;
  /** Data standard deviation sigma (the misfit is in units of it). Default 1. */
  noiseStd?: number;
  /** Restarts (batch rows). Default 4. */
  restarts?: number;
  /** Adam iterations and learning rate (a number or a schedule step => lr, e.g. tl.cosineDecay). Default 200, 0.05. */
  iterations?: number;
  lr?: LearningRate;
  /** Seed of the starting points z0 ~ N(0, I). Default 0. */
  seed?: number;
  /** Iterations between read-backs of the per-restart losses (history and progress). Default 10. */
  readEvery?: number;
  onProgress?: (p: LatentProgress) => void;
}

export interface LatentProgress {
  iteration: number;
  iterations: number;
  /** Per restart: the objective and the data misfit 1/2 ||(F(G(z)) - d) / sigma||^2. */
  loss: number[];
  misfit: number[];
}

export interface LatentInversionResult {
  /** The latent codes [R, latent] and their models G(z) [R, ...]; the caller disposes both. */
  z: Tensor;
  models: Tensor;
  /** Per restart at the end: objective, data misfit, chi = 2 misfit / nData. */
  loss: number[];
  misfit: number[];
  chi: number[];
  /** The restart with the lowest objective. */
  best: number;
  /** Read-backs: iteration and per-restart objective. */
  history: { iteration: number; loss: number[] }[];
}

const OPTIONS = optionNames<LatentInversionOptions>()(
  'lambda',
  'noiseStd',
  'restarts',
  'iterations',
  'lr',
  'seed',
  'readEvery',
  'onProgress',
);

/**
 * Latent-space inversion: `generator(z [R, latent]) -> models [R, ...]`, `forward(models) -> data
 * [R, nData]` (both differentiable; a forward that takes one model at a time can stack its calls),
 * `dObs` [nData].
 */
export async function latentInversion(
  generator: (z: Tensor) => Tensor,
  forward: (models: Tensor) => Tensor,
  dObs: Tensor,
  latent: number,
  opts: LatentInversionOptions = {},
): Promise<LatentInversionResult> {
  const fn = 'latentInversion(generator, forward, dObs, latent, opts)';
  checkOptions(opts, OPTIONS, fn);
  if (typeof generator !== 'function') throw argError(fn, 'generator', 'a function z => models', generator);
  if (typeof forward !== 'function') throw argError(fn, 'forward', 'a function models => data', forward);
  checkTensor(dObs, fn, 'dObs');
  if (dObs.rank !== 1) throw argError(fn, 'dObs', 'a tensor [nData]', dObs, Error);
  integerArg(fn, 'latent', latent, 1);
  const lambda = opts.lambda ?? 1;
  if (typeof lambda !== 'number' || !(lambda >= 0) || !Number.isFinite(lambda))
    throw argError(fn, 'opts.lambda', 'a finite number >= 0', lambda, RangeError);
  const sigma = positiveArg(fn, 'opts.noiseStd', opts.noiseStd ?? 1);
  const R = integerArg(fn, 'opts.restarts', opts.restarts ?? 4, 1);
  const iterations = integerArg(fn, 'opts.iterations', opts.iterations ?? 200, 1);
  const lr = typeof opts.lr === 'function' ? opts.lr : positiveArg(fn, 'opts.lr', opts.lr ?? 0.05);
  const seed = integerArg(fn, 'opts.seed', opts.seed ?? 0, 0);
  const readEvery = integerArg(fn, 'opts.readEvery', opts.readEvery ?? 10, 1);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
    throw argError(fn, 'opts.onProgress', 'a function', opts.onProgress);

  const nData = dObs.shape[0]!;
  const terms = (z: Tensor): [Tensor, Tensor] => {
    const d = forward(generator(z));
    if (d.rank !== 2 || d.shape[0] !== R || d.shape[1] !== nData)
      throw new Error(`tellus: ${fn}: forward returned shape [${d.shape.join(', ')}], expected [${R}, ${nData}] (one row per restart)`);
    const misfit = mul(sum(square(div(sub(d, dObs), sigma)), [1]), 0.5);
    return [misfit, add(misfit, mul(sum(square(z), [1]), lambda / 2))];
  };
  const step = valueAndGrad((z: Tensor) => sum(terms(z)[1]));
  const z = keep(randn([R, latent], { seed }));
  const opt = new Adam({ lr });
  const history: LatentInversionResult['history'] = [];
  // One read-back: the per-restart misfit and objective at the current z.
  const read = async (): Promise<{ misfit: number[]; loss: number[] }> => {
    const both = tidy(() => stack(terms(z)));
    const v = await both.data();
    both.dispose();
    return { misfit: Array.from(v.subarray(0, R)), loss: Array.from(v.subarray(R)) };
  };
  try {
    for (let it = 0; it < iterations; it++) {
      tidy(() => {
        const [, g] = step(z);
        opt.step(z, g);
      });
      if ((it + 1) % readEvery === 0 && it + 1 < iterations) {
        const r = await read();
        history.push({ iteration: it + 1, loss: r.loss });
        opts.onProgress?.({ iteration: it + 1, iterations, loss: r.loss, misfit: r.misfit });
      }
    }
    const { misfit, loss } = await read();
    history.push({ iteration: iterations, loss });
    opts.onProgress?.({ iteration: iterations, iterations, loss, misfit });
    const models = tidy(() => generator(z));
    const best = loss.indexOf(Math.min(...loss));
    return { z, models, loss, misfit, chi: misfit.map((m) => (2 * m) / nData), best, history };
  } catch (e) {
    z.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
}
