// A WGAN-GP prior for channel facies and inversion in its latent space (issue 21 items 3 and 4,
// docs/generative-priors.md). Generator: tl.ConvDecoder (z -> logits, then a sigmoid: models in
// (0, 1)); critic: tl.ConvEncoder(1) (stride-2 convs, LeakyReLU, no normalization, as WGAN-GP
// requires of a critic whose input gradient is penalized). Gulrajani et al.'s defaults: lambda 10,
// 5 critic steps per generator step, Adam lr 1e-4 with betas (0, 0.9). Each critic step's loss is
// mean D(fake) - mean D(real) + lambda GP, the penalty's parameter gradient a double backward.
// Reported: the critic's Wasserstein estimate over training, samples' facies proportion,
// variograms and connectivity against the training set, then latent-space vs pixel-space
// inversions of held-out models (../generative/compare.ts). Imports only the package root.
import * as tl from '../../src/index.js';
import { comparePriors, type CompareOptions, type CompareResult } from '../generative/compare.js';
import { batchOrder, channelData, LossLog, sampleReport, type SampleReport } from '../generative/common.js';

export interface WganPriorOptions {
  /** Model side (cells; a multiple of 8). Default 32 (64 is the training sets' default, ~4x the time). */
  n?: number;
  /** Training and held-out models. Default 1000 and 3. */
  train?: number;
  heldOut?: number;
  /** Generator steps. Default 100. */
  steps?: number;
  /** Critic steps per generator step. Default 5. */
  critic?: number;
  batch?: number;
  latent?: number;
  width?: number;
  /** Gradient-penalty weight. Default 10. */
  lambda?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  seed?: number;
  /** Generator steps between read-backs of the losses. Default 20. */
  readEvery?: number;
  samples?: number;
  compare?: CompareOptions;
  store?: tl.ShardStore;
  onProgress?: (p: {
    phase: 'train' | 'invert';
    done: number;
    total: number;
    wasserstein?: number;
    penalty?: number;
    message?: string;
  }) => void;
}

export interface WganPriorResult {
  n: number;
  generatorParameters: number;
  criticParameters: number;
  steps: number;
  dataSeconds: number;
  trainSeconds: number;
  /** Per read-back: generator step, the critic's Wasserstein estimate mean D(real) - mean D(fake), and the penalty. */
  history: { step: number; wasserstein: number; penalty: number; generator: number }[];
  samples: SampleReport;
  inversions: CompareResult;
  generatorCheckpoint: Uint8Array;
  criticCheckpoint: Uint8Array;
}

export async function runWganPrior(opts: WganPriorOptions = {}): Promise<WganPriorResult> {
  const n = opts.n ?? 32;
  const [trainCount, heldOut] = [opts.train ?? 1000, opts.heldOut ?? 3];
  const [steps, nCritic, batch, latent, width] = [
    opts.steps ?? 100,
    opts.critic ?? 5,
    opts.batch ?? 16,
    opts.latent ?? 16,
    opts.width ?? 8,
  ];
  const [lambda, lr, seed, readEvery] = [opts.lambda ?? 10, opts.lr ?? 1e-4, opts.seed ?? 0, opts.readEvery ?? 20];
  const progress = opts.onProgress ?? (() => {});
  const data = await channelData(opts.store ?? new tl.MemoryStore(), n, trainCount, heldOut, seed);

  const gen = new tl.ConvDecoder(latent, { size: n, width, depth: 3, seed: seed + 1 });
  const critic = new tl.ConvEncoder(1, { size: n, width, depth: 3, seed: seed + 2 });
  const [gp, cp] = [gen.parameters(), critic.parameters()];
  const betas = { beta1: opts.beta1 ?? 0, beta2: opts.beta2 ?? 0.9 };
  const [gOpt, cOpt] = [new tl.Adam({ lr, ...betas }), new tl.Adam({ lr, ...betas })];
  const next = batchOrder(trainCount, batch, seed + 3);
  let seedAt = seed * 1_000_003;
  const fake = (p: tl.NamedTensors): tl.Tensor => tl.sigmoid(gen.call(p, tl.randn([batch, latent], { seed: seedAt++ })));

  let penalty: tl.Tensor | null = null;
  const criticStep = tl.valueAndGrad((p: tl.NamedTensors, real: tl.Tensor, f: tl.Tensor, t: tl.Tensor) => {
    const D = (x: tl.Tensor): tl.Tensor => critic.call(p, x);
    const pen = tl.gradientPenalty(D, real, f, t);
    penalty = tl.keep(pen);
    return tl.add(tl.sub(tl.mean(D(f)), tl.mean(D(real))), tl.mul(pen, lambda));
  });
  const genStep = tl.valueAndGrad((p: tl.NamedTensors) => tl.neg(tl.mean(critic.forward(fake(p)))));
  const log = new LossLog();
  const history: WganPriorResult['history'] = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < nCritic; k++) {
      const real = tl.faciesBatch(data.train, next());
      tl.tidy(() => {
        const f = tl.tidy(() => fake(gp));
        const t = tl.rand([batch], { seed: seedAt++ });
        const [loss, g] = criticStep(cp, real, f, t) as [tl.Tensor, tl.NamedTensors];
        cOpt.step(cp, g);
        // loss = -W + lambda GP, so W = lambda GP - loss.
        if (k === nCritic - 1) log.push(tl.sub(tl.mul(penalty!, lambda), loss), penalty!);
        else penalty!.dispose();
      });
      real.dispose();
    }
    tl.tidy(() => {
      const [gl, g] = genStep(gp) as [tl.Tensor, tl.NamedTensors];
      gOpt.step(gp, g);
      log.push(gl);
    });
    if ((s + 1) % readEvery === 0 || s + 1 === steps) {
      const rows = await readRows(log);
      history.push({ step: s + 1, ...rows });
      progress({ phase: 'train', done: s + 1, total: steps, wasserstein: rows.wasserstein, penalty: rows.penalty });
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  gOpt.dispose();
  cOpt.dispose();

  const decode = (z: tl.Tensor): tl.Tensor => tl.sigmoid(gen.forward(z));
  const samples = await sampleReport(decode, latent, data.train, opts.samples ?? 64, seed + 5);
  const inversions = await comparePriors(decode, latent, data.heldOut, n, {
    seed: seed + 6,
    ...opts.compare,
    onProgress: (message) => {
      progress({ phase: 'invert', done: 0, total: 0, message });
      opts.compare?.onProgress?.(message);
    },
  });
  const meta = { latent: String(latent), size: String(n), width: String(width) };
  const result: WganPriorResult = {
    n,
    generatorParameters: gen.numParameters(),
    criticParameters: critic.numParameters(),
    steps,
    dataSeconds: data.seconds,
    trainSeconds,
    history,
    samples,
    inversions,
    generatorCheckpoint: await tl.saveSafetensors(gen, { model: 'tellus WGAN-GP generator (ConvDecoder, sigmoid output)', ...meta }),
    criticCheckpoint: await tl.saveSafetensors(critic, { model: 'tellus WGAN-GP critic (ConvEncoder)', ...meta }),
  };
  gen.dispose();
  critic.dispose();
  return result;
}

/** The log's rows come as [W, GP] (critic) then [generator loss]: average each kind. */
async function readRows(log: LossLog): Promise<{ wasserstein: number; penalty: number; generator: number }> {
  const before = log.rows.length;
  await log.flush();
  const rows = log.rows.slice(before);
  const mean = (f: (r: number[]) => number | undefined, len: number): number => {
    const v = rows.filter((r) => r.length === len).map((r) => f(r)!);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  return { wasserstein: mean((r) => r[0], 2), penalty: mean((r) => r[1], 2), generator: mean((r) => r[0], 1) };
}
