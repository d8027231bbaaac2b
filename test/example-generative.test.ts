// @node-only: the VAE and WGAN-GP prior examples end to end at a tiny size (examples/vae-prior,
// examples/wgan-prior): training with progress, samples and their statistics, latent vs
// pixel-space inversions (tomography for the VAE, FWI for the WGAN), figure specs that render, and
// checkpoints that load back into fresh modules.
import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';
import { toSvg } from '../src/viz/render-node.js';
import { inversionFigure, samplesFigure, statisticsFigure } from '../examples/generative/figures.js';
import { runVaePrior } from '../examples/vae-prior/run.js';
import { runWganPrior } from '../examples/wgan-prior/run.js';
import { useDevice } from './helpers.js';

const finite = (o: Record<string, unknown>, what: string): void => {
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') expect(Number.isFinite(v), `${what}.${k} = ${v}`).toBe(true);
};

describe('generative prior examples (tiny)', () => {
  useDevice();
  const common = { n: 16, train: 32, heldOut: 1, batch: 8, latent: 4, width: 2, samples: 8, seed: 5 };

  it('vae-prior: ELBO falls, statistics and a tomography comparison, figures render, the checkpoint loads', async () => {
    const phases: string[] = [];
    const r = await runVaePrior({
      ...common,
      epochs: 3,
      compare: { restarts: 2, iterations: 20, tomoIterations: 3, physics: ['tomography'] },
      onProgress: (p) => phases.push(p.phase),
    });
    expect(phases.filter((p) => p === 'train')).toHaveLength(3);
    expect(r.loss.at(-1)!).toBeLessThan(r.loss[0]!);
    expect(r.heldOutAccuracy).toBeGreaterThan(0);
    finite(r.samples.statistics.proportion, 'proportion');
    expect(r.inversions.scores.map((s) => s.method)).toEqual(['latent', 'tikhonov', 'tv']);
    for (const s of r.inversions.scores) finite({ ...s }, s.method);
    const f = r.inversions.fields[0]!;
    for (const spec of [
      samplesFigure(r.samples, 16, 40, 'VAE samples'),
      statisticsFigure(r.samples, 40, 'VAE statistics'),
      inversionFigure(f, r.inversions.scores, 2, 2.5),
    ])
      expect(await toSvg(spec)).toMatch(/^<svg/);
    const vae = new tl.VAE({ size: 16, latent: 4, width: 2, depth: 3, seed: 99 });
    tl.loadSafetensorsInto(vae, r.checkpoint);
    expect(vae.numParameters()).toBe(r.parameters);
    vae.dispose();
  });

  it('wgan-prior: critic and generator steps run, FWI comparison on the held-out model, checkpoints load', async () => {
    const r = await runWganPrior({
      ...common,
      steps: 4,
      critic: 2,
      readEvery: 2,
      compare: { restarts: 2, fwiIterations: 2, fwiPixelIterations: 1, fwiSteps: 120, physics: ['fwi'] },
    });
    expect(r.history.map((h) => h.step)).toEqual([2, 4]);
    for (const h of r.history) finite({ ...h }, `step ${h.step}`);
    expect(r.inversions.scores.map((s) => `${s.physics} ${s.method}`)).toEqual(['fwi latent', 'fwi tikhonov', 'fwi tv']);
    for (const s of r.inversions.scores) finite({ ...s }, s.method);
    const gen = new tl.ConvDecoder(4, { size: 16, width: 2, depth: 3 });
    tl.loadSafetensorsInto(gen, r.generatorCheckpoint);
    const critic = new tl.ConvEncoder(1, { size: 16, width: 2, depth: 3 });
    tl.loadSafetensorsInto(critic, r.criticCheckpoint);
    expect([gen.numParameters(), critic.numParameters()]).toEqual([r.generatorParameters, r.criticParameters]);
    gen.dispose();
    critic.dispose();
  });
});
