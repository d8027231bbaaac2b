// The inversion workflows of examples/ in the page: ?example=<name> runs that example's run.ts at a
// browser-sized setting and embeds its figures.ts specs; without it, the list. The numbers go to
// the page's table and to window.tellusPage (test/app.test.ts checks them).
import type { VegaLiteSpec } from '../src/viz/index.js';
import { runUnrolled } from '../examples/unrolled/run.js';
import { unrolledFigures } from '../examples/unrolled/figures.js';
import { runUNetExample } from '../examples/unet/run.js';
import { wave1d } from '../examples/pinn-wave/run.js';
import { wave1dFigure } from '../examples/pinn-wave/figures.js';
import { unetFigures } from '../examples/unet/figures.js';
import { runCase } from '../examples/tomography/run.js';
import { tomographyFigures } from '../examples/tomography/figures.js';
import { runDc } from '../examples/dc/run.js';
import { dcFigures } from '../examples/dc/figures.js';
import { runNfInv } from '../examples/nf-inv/run.js';
import { nfFigures } from '../examples/nf-inv/figures.js';
import { METHODS, METHOD_NAMES, runUqExample } from '../examples/uq/run.js';
import { uqFigures } from '../examples/uq/figures.js';
import * as tl from '../src/index.js';
import { PRESETS, evaluateStage, generateStage, invertStage, trainStage, type Sink } from '../examples/fno-wave/pipeline.js';
import * as ji from '../examples/ji-fno/pipeline.js';
import { runVaePrior } from '../examples/vae-prior/run.js';
import { runWganPrior } from '../examples/wgan-prior/run.js';
import { inversionFigure, samplesFigure, statisticsFigure } from '../examples/generative/figures.js';
import { byId, el, publish, run, show, startPage, status } from './ui.js';

interface Workflow {
  title: string;
  about: string;
  run(progress: (text: string) => void): Promise<{ numbers: Record<string, number | string>; figures: Record<string, VegaLiteSpec> }>;
}

const WORKFLOWS: Record<string, Workflow> = {
  unrolled: {
    title: 'Unrolled proximal gradient',
    about:
      'A learned iterative scheme (K = 3 steps of z = x − α_k Aᵀ(Ax − b), x = prox_k(z), a small CNN per step) trained on random ' +
      'blocky models against a Gaussian blur, compared on held-out models with gradient descent and Tikhonov-CG at the same number ' +
      'of operator applications.',
    async run(progress) {
      const r = await runUnrolled({
        size: 16,
        iterations: 3,
        trainSteps: 30,
        batch: 2,
        test: 3,
        channels: 4,
        onProgress: (k, total) => progress(`training: Adam step ${k} of ${total}`),
      });
      const s = r.scores;
      return {
        numbers: {
          'relative error, gradient descent': s.gradientDescent.relativeError,
          'relative error, Tikhonov-CG': s.tikhonov.relativeError,
          'relative error, unrolled': s.unrolled.relativeError,
          'SSIM, gradient descent': s.gradientDescent.ssim,
          'SSIM, Tikhonov-CG': s.tikhonov.ssim,
          'SSIM, unrolled': s.unrolled.ssim,
          'operator applications': r.applications.total,
          'training seconds': r.trainSeconds,
        },
        figures: unrolledFigures(r, 160),
      };
    },
  },
  'pinn-wave': {
    title: "PINN: the 1D wave equation against d'Alembert",
    about:
      'A tanh network u(x, t) trained on the residual of u_tt = u_xx on [0, 1] x [0, 1] with u = 0 at the ends and ' +
      "u(x, 0) = sin(πx) at rest, by Adam then L-BFGS (examples/pinn-wave, part a), compared with d'Alembert's solution " +
      'sin(πx) cos(πt). Browser-sized: 150 Adam and 150 L-BFGS steps (the CLI runs 500 + 500 and reaches 1.7e-4).',
    async run(progress) {
      const r = await wave1d({ adam: 150, lbfgs: 150, points: 200, hidden: [16, 16], logEvery: 25 }, progress);
      return {
        numbers: {
          "relative L2 against d'Alembert": r.relL2,
          'Adam steps': r.train.adamSteps,
          'L-BFGS iterations': r.train.lbfgs?.iterations ?? 0,
          'training seconds': r.train.seconds,
        },
        figures: { wave1d: wave1dFigure(r, 180) },
      };
    },
  },
  unet: {
    title: 'U-Net: RTM image to reflectivity',
    about:
      'A U-Net learns to map RTM images (JᵀJ dv from gaussNewton2d, three surface shots) of random layered models with dips and ' +
      'faults to the high-passed velocity perturbation, with Adam; compared on validation samples with the RTM image at its ' +
      'best single scale. Browser-sized: 16 training models of 16×16 cells, 3 epochs.',
    async run(progress) {
      const r = await runUNetExample({
        n: 16,
        train: 16,
        val: 4,
        epochs: 3,
        batch: 4,
        width: 4,
        seed: 3,
        onProgress: (p) => progress(p.phase === 'data' ? `simulating: ${p.done} of ${p.total}` : `training: epoch ${p.done} of ${p.total}`),
      });
      return {
        numbers: {
          'validation relative L2, U-Net': r.final.valRelL2,
          'validation relative L2, scaled RTM': r.final.baselineRelL2,
          'SSIM, U-Net': r.final.valSsim,
          'SSIM, scaled RTM': r.final.baselineSsim,
          'Adam steps': r.steps,
          parameters: r.parameters,
        },
        figures: unetFigures(r, 160),
      };
    },
  },
  tomography: {
    title: 'Cross-hole travel-time tomography (cases 1 and 2)',
    about:
      'Straight rays (Siddon lengths in a CSR matrix on the GPU) between two boreholes, 20 ms noise, inverted without ' +
      'regularization (CGLS stopped at chi = 1, and run past it) and with smoothness only (Gauss-Newton, beta cooling to ' +
      'chi = 1), as in the NFs-Inv paper; "none" stops CGLS at chi = 1, "overfit" runs it 10 iterations, "smooth" is ' +
      'Gauss-Newton. Browser-sized: 32 x 64 cells of 2 m (the CLI runs the paper’s 64 x 128 of 1 m).',
    async run(progress) {
      const numbers: Record<string, number | string> = {};
      const figures: Record<string, VegaLiteSpec> = {};
      for (const which of [1, 2] as const) {
        const c = await runCase(which, { nx: 32, nz: 64, h: 2, onProgress: progress });
        numbers[`case ${which}: rays`] = c.nData;
        for (const inv of c.inversions) {
          numbers[`case ${which}, ${inv.name}: chi`] = inv.chi;
          numbers[`case ${which}, ${inv.name}: model error`] = inv.errors.relativeL2;
        }
        const f = tomographyFigures(c, 110);
        figures[`case${which}-models`] = f.models;
        figures[`case${which}-convergence`] = f.convergence;
      }
      return { numbers, figures };
    },
  },
  dc: {
    title: 'DC resistivity: a dipping dike (case 3)',
    about:
      '2.5D cell-centred DC resistivity (ky quadrature fitted as SimPEG does, Robin sides and bottom, multigrid-preconditioned ' +
      'PCG on the GPU, adjoint J v and Jᵀw) over a 0.1 S/m dike dipping 45° under a 0.02 S/m layer in 0.01 S/m, dipole-dipole ' +
      'data with 5% noise, inverted with sparse norms (IRLS) and sensitivity weighting. Browser-sized: 25 m cells, 29 electrodes ' +
      'with up to 4 receivers each, 5 wavenumbers, 4 Gauss-Newton iterations (the CLI runs up to 24 receivers, 11 wavenumbers, ' +
      'to chi = 1).',
    async run(progress) {
      const r = await runDc({
        caseId: 3,
        h: 25,
        padding: 3,
        electrodes: 29,
        maxReceivers: 4,
        nKy: 5,
        maxIterations: 4,
        onIteration: (i) => progress(`Gauss-Newton iteration ${i.iteration}: chi ${i.chi.toFixed(2)}`),
      });
      return {
        numbers: {
          data: r.nData,
          cells: r.mesh.cells,
          'chi, start': r.history[0]!.chi,
          'chi, end': r.chi,
          'RMS log10 model error, start': r.startError.rmsLog10,
          'RMS log10 model error, end': r.modelError.rmsLog10,
          'mean PCG iterations per solve': r.solves.meanIterations,
          stop: r.stopReason,
        },
        figures: dcFigures(r, 300),
      };
    },
  },
  'nf-inv': {
    title: 'Neural-field inversion, NFs-Inv (case 1)',
    about:
      'The slowness model is a coordinate network (LeakyReLU MLP, basic positional encoding, 10 tanh output) trained by Adam ' +
      'through the straight-ray tomography operator without regularization, as in Xu & Heagy, beside the conventional ' +
      'inversions on the same data; then a randomized SVD of dm/dw at the final weights (the paper’s implicit-bias analysis). ' +
      'Browser-sized: 16 x 32 cells of 4 m, a 32-64-32 network, 150 epochs (the CLI runs 32 x 64 and more; docs/nf-inv.md).',
    async run(progress) {
      const r = await runNfInv({ caseId: 1, cells: 16, hidden: [32, 64, 32], epochs: 150, svd: 5, onProgress: progress });
      const e = r.errors as { relativeL2: number };
      const numbers: Record<string, number | string> = {
        rays: r.nData,
        weights: r.parameters,
        'NFs-Inv: chi, start': r.history[0]!.chi,
        'NFs-Inv: chi, end': r.chi,
        'NFs-Inv: model error': e.relativeL2,
        'largest singular value of dm/dw': r.svd!.values[0]!,
      };
      for (const c of r.conventional) {
        numbers[`${c.name}: chi`] = c.chi;
        numbers[`${c.name}: model error`] = (c.errors as { relativeL2: number }).relativeL2;
      }
      const f = nfFigures(r, 110);
      return { numbers, figures: { models: f.models, convergence: f.convergence, 'singular-vectors': f.singularVectors! } };
    },
  },
  'fno-wave': {
    title: 'FNO wave surrogate and FNO-FWI',
    about:
      'The FNO-wave pipeline at its tiny preset: von Karman models and acoustic2d snapshots written as shards to IndexedDB ' +
      '(a reload resumes), an FNO2d trained on them, evaluated on held-out samples, a finer grid and a square anomaly, then ' +
      'FWI through the surrogate beside adjoint FWI. A tiny run: its numbers show the pipeline works, not the paper’s accuracy.',
    async run(progress) {
      const cfg = PRESETS.tiny;
      const data = await tl.IndexedDBStore.open('tellus-fno-wave-tiny');
      const out = new tl.MemoryStore();
      const figures: Record<string, VegaLiteSpec> = {};
      const sink: Sink = {
        log: (m) => progress(m),
        progress: (label, done, total) => progress(`${label}: ${done} of ${total}`),
        figure: async (name, spec) => void (figures[name] = spec),
      };
      await generateStage(data, cfg, sink);
      const t = await trainStage(data, out, cfg, sink);
      const e = await evaluateStage(data, out, cfg, sink);
      const r = await invertStage(out, cfg, sink);
      return {
        numbers: {
          'validation relative L2': e.validation.mean,
          [`relative L2 at ${e.refined.grid}`]: e.refined.perSample.reduce((a, b) => a + b, 0) / e.refined.perSample.length,
          'square anomaly relative L2': e.square.relL2,
          'final training loss': t.trainLoss.at(-1)!,
          'FNO-FWI model error': r.fno.finalError,
          'adjoint FWI model error': r.adjoint.finalError,
          'time per iteration, adjoint / FNO': r.speedup,
        },
        figures,
      };
    },
  },
  uq: {
    title: 'Uncertainty: heteroscedastic nets, ensembles, MC dropout',
    about:
      'U-Nets map a blurred, subsampled velocity model to the model plus noise of a known depth-dependent sigma: a ' +
      'heteroscedastic net (Gaussian NLL), a deep ensemble, MC dropout and a heteroscedastic ensemble, scored on held-out ' +
      'pairs by NLL, 68/95% coverage, ECE and the aleatoric sigma against the known one. Browser-sized: 8×8 images, 32 ' +
      'training pairs, 2 epochs, ensembles of 2 (the CLI runs 16×16, 192 pairs, ensembles of 5; docs/uncertainty.md).',
    async run(progress) {
      const r = await runUqExample({
        n: 8,
        train: 32,
        val: 8,
        test: 8,
        epochs: 2,
        batch: 8,
        members: 2,
        passes: 10,
        seed: 3,
        onProgress: (p) => progress(`${p.phase}: ${p.label} ${Math.floor(p.done)} of ${p.total}`),
      });
      const numbers: Record<string, number> = {};
      for (const m of METHODS) {
        const x = r.methods[m];
        numbers[`${METHOD_NAMES[m]}: NLL`] = x.nll;
        numbers[`${METHOD_NAMES[m]}: 95% coverage`] = x.coverage95;
        numbers[`${METHOD_NAMES[m]}: ECE`] = x.ece;
        numbers[`${METHOD_NAMES[m]}: aleatoric / known sigma`] = x.sigmaRatio;
      }
      return { numbers, figures: uqFigures(r, 110) };
    },
  },
  'ji-fno': {
    title: 'Jacobian-informed FNO for image-domain inversion',
    about:
      'The JI-FNO pipeline (Park et al.) at its tiny preset: layered models and randomized backgrounds, the leading eigenvectors ' +
      'of the averaged Gauss-Newton Hessian, RTM images and exact Jacobian actions as shards in IndexedDB (a reload resumes), an ' +
      'FNO and two Jacobian-informed FNOs trained on them, then TV-constrained inversions with each surrogate and with the physics. ' +
      'A tiny run: its numbers show the pipeline works; the scaled run and the paper’s table are in docs/ji-fno.md.',
    async run(progress) {
      const cfg = ji.PRESETS.tiny;
      const data = await tl.IndexedDBStore.open('tellus-ji-fno-tiny');
      const out = new tl.MemoryStore();
      const figures: Record<string, VegaLiteSpec> = {};
      const sink: ji.Sink = {
        log: (m) => progress(m),
        progress: (label, done, total) => progress(`${label}: ${done} of ${total}`),
        figure: async (name, spec) => void (figures[name] = spec),
      };
      await ji.modelsStage(cfg, out, sink);
      await ji.eigsStage(cfg, out, sink);
      await ji.dataStage(cfg, data, out, sink);
      const t = (await ji.trainStage(cfg, data, out, sink)) as {
        networks: { name: string; testForwardError: number; testJacobianError: number }[];
      };
      const r = (await ji.invertStage(cfg, data, out, sink)) as { table: { method: string; modelError: number; ssim: number }[] };
      const numbers: Record<string, number> = {};
      for (const n of t.networks) {
        numbers[`${n.name}: held-out forward error`] = n.testForwardError;
        numbers[`${n.name}: held-out Jacobian error`] = n.testJacobianError;
      }
      for (const row of r.table) {
        numbers[`${row.method} inversion: model error`] = row.modelError;
        numbers[`${row.method} inversion: SSIM`] = row.ssim;
      }
      return { numbers, figures };
    },
  },
  'generative-priors': {
    title: 'Generative priors: VAE and WGAN-GP, latent-space tomography',
    about:
      'A VAE and a WGAN-GP (gradient penalty, 5 critic steps per generator step) trained on channel facies models, samples ' +
      'decoded from z ~ N(0, I) with their variograms and connectivity against the training set, then cross-hole tomography of a ' +
      'held-out model inverted in each latent space beside pixel-space Tikhonov and TV. A tiny run (16×16 models, a few dozen ' +
      'steps): its numbers show the pipeline works; the CLI runs and their numbers are in docs/generative-priors.md.',
    async run(progress) {
      const common = { n: 16, train: 64, heldOut: 1, batch: 8, latent: 4, width: 4, samples: 16, seed: 2 };
      const compare = { restarts: 2, iterations: 30, physics: ['tomography' as const] };
      const v = await runVaePrior({
        ...common,
        epochs: 3,
        compare,
        onProgress: (p) => progress(p.phase === 'train' ? `VAE: epoch ${p.done} of ${p.total}` : `VAE: ${p.message}`),
      });
      const w = await runWganPrior({
        ...common,
        steps: 6,
        readEvery: 3,
        compare,
        onProgress: (p) => progress(p.phase === 'train' ? `WGAN-GP: step ${p.done} of ${p.total}` : `WGAN-GP: ${p.message}`),
      });
      const dx = 640 / 16;
      const numbers: Record<string, number> = {
        'VAE: held-out pixel accuracy': v.heldOutAccuracy,
        'VAE: sand proportion of samples': v.samples.statistics.proportion.generated,
        'WGAN-GP: sand proportion of samples': w.samples.statistics.proportion.generated,
        'training sand proportion': v.samples.statistics.proportion.training,
      };
      for (const [name, r] of [
        ['VAE', v.inversions],
        ['WGAN-GP', w.inversions],
      ] as const)
        for (const s of r.scores) numbers[`${name} run, ${s.method}: velocity rel. L2`] = s.relativeL2;
      return {
        numbers,
        figures: {
          'vae-samples': samplesFigure(v.samples, 16, dx, 'VAE: models decoded from z ~ N(0, I)', 4, 120),
          'vae-statistics': statisticsFigure(v.samples, dx, 'VAE: generated vs training statistics', 160),
          'vae-inversion': inversionFigure(v.inversions.fields[0]!, v.inversions.scores, 2, 2.5, 120),
          'wgan-samples': samplesFigure(w.samples, 16, dx, 'WGAN-GP: models decoded from z ~ N(0, I)', 4, 120),
          'wgan-inversion': inversionFigure(w.inversions.fields[0]!, w.inversions.scores, 2, 2.5, 120),
        },
      };
    },
  },
};

run(async () => {
  const name = new URLSearchParams(location.search).get('example');
  await startPage('workflows.html');
  if (name === null) {
    for (const [key, w] of Object.entries(WORKFLOWS)) {
      const li = el('li');
      li.append(el('a', { href: `./workflows.html?example=${key}` }, w.title), ` — ${w.about}`);
      byId('list').append(li);
    }
    status('pick a workflow');
    publish({ ready: true, workflows: Object.keys(WORKFLOWS) });
    return;
  }
  const w = WORKFLOWS[name];
  if (!w) throw new Error(`unknown example "${name}"; the workflows are ${Object.keys(WORKFLOWS).join(', ')}`);
  byId('title').textContent = w.title;
  byId('about').textContent = w.about;
  const t0 = performance.now();
  const { numbers, figures } = await w.run(status);
  const table = byId('numbers');
  for (const [k, v] of Object.entries(numbers)) {
    const tr = el('tr');
    tr.append(el('th', {}, k), el('td', {}, typeof v === 'number' ? v.toPrecision(4) : v));
    table.append(tr);
  }
  for (const [id, spec] of Object.entries(figures)) {
    byId('figures').append(el('div', { id: `fig-${id}` }));
    await show(`fig-${id}`, spec);
  }
  const seconds = (performance.now() - t0) / 1000;
  status(`done in ${seconds.toFixed(1)} s`);
  publish({ ready: true, example: name, numbers, figures: Object.keys(figures), seconds });
});
