// A VAE prior for channel facies and inversion in its latent space (issue 21 items 2 and 4,
// docs/generative-priors.md). Training set: binary channel models (tl.generateFaciesDataset, sand
// = 1). tl.VAE (conv encoder to (mu, log sigma^2), bilinear-upsampling decoder, Bernoulli
// likelihood) trained on the negative ELBO with Adam; reported: the held-out reconstruction error
// (pixel accuracy after thresholding the posterior-mean decoding, and its BCE), samples decoded
// from z ~ N(0, I) with their facies proportion, variograms and connectivity against the training
// set; then latent-space vs pixel-space inversions of held-out models (../generative/compare.ts).
// Imports only the package root, so the browser app can run it too.
import * as tl from '../../src/index.js';
import { comparePriors, type CompareOptions, type CompareResult } from '../generative/compare.js';
import { batchOrder, channelData, LossLog, sampleReport, type SampleReport } from '../generative/common.js';

export interface VaePriorOptions {
  /** Model side (cells; a multiple of 8). Default 32 (64 is the training sets' default, ~4x the time). */
  n?: number;
  /** Training and held-out models. Default 1000 and 3. */
  train?: number;
  heldOut?: number;
  epochs?: number;
  batch?: number;
  latent?: number;
  width?: number;
  /** KL weight (beta-VAE). Default 1. */
  beta?: number;
  lr?: number;
  seed?: number;
  /** Generated samples compared with the training set. Default 64. */
  samples?: number;
  compare?: CompareOptions;
  /** Where the training set lives (shards and a manifest); default in memory. */
  store?: tl.ShardStore;
  onProgress?: (p: { phase: 'train' | 'invert'; done: number; total: number; loss?: number; kl?: number; message?: string }) => void;
}

export interface VaePriorResult {
  n: number;
  parameters: number;
  steps: number;
  dataSeconds: number;
  trainSeconds: number;
  /** Per epoch: mean negative ELBO, reconstruction and KL (nats per image). */
  loss: number[];
  recon: number[];
  kl: number[];
  /** Held-out: pixel accuracy of the thresholded posterior-mean reconstruction, and its BCE per image. */
  heldOutAccuracy: number;
  heldOutBce: number;
  /** Held-out models and their reconstructions, for the figure. */
  reconstructions: { truth: Float32Array[]; recon: Float32Array[] };
  samples: SampleReport;
  inversions: CompareResult;
  /** The trained weights (safetensors). */
  checkpoint: Uint8Array;
}

export async function runVaePrior(opts: VaePriorOptions = {}): Promise<VaePriorResult> {
  const n = opts.n ?? 32;
  const [trainCount, heldOut] = [opts.train ?? 1000, opts.heldOut ?? 3];
  const [epochs, batch, latent, width] = [opts.epochs ?? 10, opts.batch ?? 16, opts.latent ?? 16, opts.width ?? 8];
  const [beta, lr, seed] = [opts.beta ?? 1, opts.lr ?? 1e-3, opts.seed ?? 0];
  const progress = opts.onProgress ?? (() => {});
  const data = await channelData(opts.store ?? new tl.MemoryStore(), n, trainCount, heldOut, seed);

  const vae = new tl.VAE({ size: n, latent, width, depth: 3, seed: seed + 1 });
  const params = vae.parameters();
  const stepsPerEpoch = Math.max(1, Math.floor(trainCount / batch));
  const opt = new tl.Adam({ lr: tl.cosineDecay(lr, epochs * stepsPerEpoch, lr / 10) });
  const next = batchOrder(trainCount, batch, seed + 2);
  // The ELBO's two terms ride along (kept past the transform's scope) for the log.
  let terms: tl.Tensor[] = [];
  const step = tl.valueAndGrad((p: tl.NamedTensors, x: tl.Tensor, eps: tl.Tensor) => {
    const t = tl.vaeLoss(vae, p, x, eps, { beta });
    terms = [tl.keep(t.recon), tl.keep(t.kl)];
    return t.loss;
  });
  const log = new LossLog();
  const [loss, recon, kl] = [[] as number[], [] as number[], [] as number[]];
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < stepsPerEpoch; s++) {
      const x = tl.faciesBatch(data.train, next());
      tl.tidy(() => {
        const eps = tl.randn([batch, latent], { seed: seed * 100_003 + e * stepsPerEpoch + s });
        const [value, g] = step(params, x, eps) as [tl.Tensor, tl.NamedTensors];
        opt.step(params, g);
        log.push(value, ...terms);
      });
      x.dispose();
    }
    const [l, r, k] = await log.flush();
    loss.push(l!);
    recon.push(r!);
    kl.push(k!);
    progress({ phase: 'train', done: e + 1, total: epochs, loss: l!, kl: k! });
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  opt.dispose();

  // Held-out reconstructions at the posterior mean.
  const cells = n * n;
  const xh = tl.tensor(concat(data.heldOut), { shape: [heldOut, 1, n, n] });
  const [probs, bce] = tl.tidy(() => {
    const logits = vae.decoder.forward(vae.encode(xh)[0]);
    return [tl.keep(tl.sigmoid(logits)), tl.keep(tl.mean(tl.bceWithLogits(logits, xh)))];
  });
  const pv = Float32Array.from(await probs.data());
  const heldOutBce = await bce.item();
  [probs, bce, xh].forEach((t) => t.dispose());
  let hit = 0;
  data.heldOut.forEach((m, k) => m.forEach((v, i) => (hit += pv[k * cells + i]! >= 0.5 === v >= 0.5 ? 1 : 0)));
  const reconstructions = {
    truth: data.heldOut,
    recon: data.heldOut.map((_, k) => pv.slice(k * cells, (k + 1) * cells)),
  };

  vae.eval();
  const decode = (z: tl.Tensor): tl.Tensor => vae.decode(z);
  const samples = await sampleReport(decode, latent, data.train, opts.samples ?? 64, seed + 3);
  const inversions = await comparePriors(decode, latent, data.heldOut, n, {
    seed: seed + 4,
    ...opts.compare,
    onProgress: (message) => {
      progress({ phase: 'invert', done: 0, total: 0, message });
      opts.compare?.onProgress?.(message);
    },
  });
  const checkpoint = await tl.saveSafetensors(vae, { model: 'tellus VAE', latent: String(latent), size: String(n), width: String(width) });
  const result: VaePriorResult = {
    n,
    parameters: vae.numParameters(),
    steps: epochs * stepsPerEpoch,
    dataSeconds: data.seconds,
    trainSeconds,
    loss,
    recon,
    kl,
    heldOutAccuracy: hit / (heldOut * cells),
    heldOutBce,
    reconstructions,
    samples,
    inversions,
    checkpoint,
  };
  vae.dispose();
  return result;
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
