// FWI over shots on any backend. Each iteration sends the model to tasks that each compute the
// misfit and its exact adjoint gradient for a batch of shots; the coordinator adds the batches'
// gradients in batch order (float64, then float32), so the result is bitwise the same whatever the
// number of workers or the order they finish in. The optimizer (Adam) runs on the coordinator and
// its state is checkpointed after every iteration: a restarted coordinator resumes where it stopped.
import { argError, checkOptions, integerArg, optionNames, positiveArg } from '../graph/options.js';
import { keep, type Tensor, tidy } from '../graph/tensor.js';
import { tensor } from '../ops/creation.js';
import { expand, mul, reshape, square, sub, sum } from '../autodiff/ops.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import { acoustic2d, type Acoustic2dOptions } from '../physics/acoustic/index.js';
import { ricker } from '../physics/common/wavelets.js';
import { Adam } from '../nn/optim.js';
import { decodeSafetensors, encodeSafetensors } from '../nn/safetensors.js';
import type { ShardStore } from '../inverse/fnowave/store.js';
import type { WorkBackend } from './backend.js';
import { type BlobRef, defineTask, type Json } from './task.js';

/** An acquisition in plain numbers (it travels in every task): one Ricker source per shot. */
export interface ShotSurvey {
  /** Model cells [nz, nx], spacing (m), time step (s) and steps. */
  shape: [number, number];
  dx: number;
  dt: number;
  nt: number;
  /** Ricker peak frequency (Hz). */
  freq: number;
  /** Source cell [z, x] per shot. */
  sources: [number, number][];
  /** Receiver cells per shot (every shot the same count). */
  receivers: [number, number][][];
  accuracy?: 2 | 4 | 6 | 8;
  pmlWidth?: number;
  /** Velocity bound (m/s) for the CFL check and the PML while the model evolves. */
  maxVel: number;
}

function checkSurvey(fn: string, s: ShotSurvey): ShotSurvey {
  if (s === null || typeof s !== 'object') throw argError(fn, 'survey', 'a ShotSurvey object', s);
  const [nz, nx] = s.shape ?? [];
  integerArg(fn, 'survey.shape[0]', nz, 1);
  integerArg(fn, 'survey.shape[1]', nx, 1);
  for (const k of ['dx', 'dt', 'freq', 'maxVel'] as const) positiveArg(fn, `survey.${k}`, s[k]);
  integerArg(fn, 'survey.nt', s.nt, 1);
  if (!Array.isArray(s.sources) || s.sources.length === 0)
    throw argError(fn, 'survey.sources', 'a non-empty array of [z, x] cells', s.sources);
  if (!Array.isArray(s.receivers) || s.receivers.length !== s.sources.length)
    throw argError(fn, 'survey.receivers', `one receiver list per shot (${s.sources.length})`, s.receivers);
  const nr = s.receivers[0]!.length;
  s.receivers.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== nr) throw argError(fn, `survey.receivers[${i}]`, `${nr} receivers (as shot 0)`, r);
  });
  return s;
}

/** acoustic2d's options for shots [first, first + count) of the survey. */
export function surveyOptions(s: ShotSurvey, first: number, count: number): Acoustic2dOptions {
  const wavelet = ricker(s.freq, s.nt, s.dt);
  return {
    dx: s.dx,
    dt: s.dt,
    accuracy: s.accuracy ?? 4,
    pmlWidth: s.pmlWidth ?? 8,
    pmlFreq: s.freq,
    maxVel: s.maxVel,
    sourceAmplitudes: expand(reshape(wavelet, [1, 1, s.nt]), [count, 1, s.nt]),
    sourceLocations: s.sources.slice(first, first + count).map((p) => [p]),
    receiverLocations: s.receivers.slice(first, first + count),
  };
}

const f32 = (shape: number[], data: Float32Array) => ({ dtype: 'float32' as const, shape, data });
const arrayOf = (bytes: Uint8Array, name: string): Float32Array => {
  const a = decodeSafetensors(bytes).arrays[name];
  if (!a || !(a.data instanceof Float32Array)) throw new Error(`tellus: fwi-shots: input blob has no float32 array '${name}'`);
  return a.data;
};

interface ShotTaskParams {
  survey: ShotSurvey;
  first: number;
  count: number;
}

// Misfit 0.5 ||d - d_obs||^2 of a shot batch and its gradient with respect to the model (m/s).
defineTask('fwi-shots', async (params, inputs) => {
  const { survey, first, count } = params as unknown as ShotTaskParams;
  const [nz, nx] = survey.shape;
  const model = arrayOf(inputs.model!, 'v');
  const observed = arrayOf(inputs.observed!, 'd');
  const [loss, grad] = tidy(() => {
    const opts = surveyOptions(survey, first, count);
    const obs = tensor(observed, { shape: [count, survey.receivers[0]!.length, survey.nt] });
    const f = (v: Tensor) => mul(sum(square(sub(acoustic2d(v, opts), obs))), 0.5);
    return valueAndGrad(f)(tensor(model, { shape: [nz, nx] })) as [Tensor, Tensor];
  });
  const [misfit, g] = await Promise.all([loss.item(), grad.data() as Promise<Float32Array>]);
  loss.dispose();
  grad.dispose();
  return { value: { misfit }, blobs: { gradient: encodeSafetensors({ g: f32([nz, nx], g) }) } };
});

export interface ShotFwiOptions {
  /** Shots per task (default 4). */
  shotsPerTask?: number;
  iterations?: number;
  /** Adam step (m/s). Default 50. */
  lr?: number;
  /** Checkpoint store: the model, Adam's state and the misfits after each iteration; resumed from when present. */
  state?: ShardStore;
  /** Tag of the run in task ids (default 'fwi'). */
  name?: string;
  onIteration?: (it: {
    iteration: number;
    iterations: number;
    misfit: number;
    seconds: number;
    model: Float32Array;
  }) => void | Promise<void>;
  /** Shots finished in the current iteration (progress). */
  onShots?: (done: number, total: number, iteration: number) => void;
}
const FWI_OPTIONS = optionNames<ShotFwiOptions>()('shotsPerTask', 'iterations', 'lr', 'state', 'name', 'onIteration', 'onShots');

/** Splits `shots` into consecutive batches of at most `perTask`: [first, count] each. */
export function shotBatches(shots: number, perTask: number): [number, number][] {
  const out: [number, number][] = [];
  for (let first = 0; first < shots; first += perTask) out.push([first, Math.min(perTask, shots - first)]);
  return out;
}

/** Distributed misfit and gradient at a model: one task per shot batch, reduced in batch order. */
export class ShotMisfit {
  readonly batches: [number, number][];
  private observedRefs: BlobRef[] = [];
  private constructor(
    readonly backend: WorkBackend,
    readonly survey: ShotSurvey,
    shotsPerTask: number,
    readonly name: string,
  ) {
    this.batches = shotBatches(survey.sources.length, shotsPerTask);
  }

  /** Stores each batch's observed traces once (they travel by reference in every iteration). */
  static async create(
    backend: WorkBackend,
    survey: ShotSurvey,
    observed: Float32Array,
    shotsPerTask = 4,
    name = 'fwi',
  ): Promise<ShotMisfit> {
    const fn = 'ShotMisfit.create(backend, survey, observed, shotsPerTask)';
    checkSurvey(fn, survey);
    const per = survey.receivers[0]!.length * survey.nt;
    if (!(observed instanceof Float32Array) || observed.length !== survey.sources.length * per)
      throw argError(
        fn,
        'observed',
        `a Float32Array of shots x receivers x nt = ${survey.sources.length} x ${survey.receivers[0]!.length} x ${survey.nt}`,
        observed,
      );
    const m = new ShotMisfit(backend, survey, integerArg(fn, 'shotsPerTask', shotsPerTask, 1), name);
    for (const [first, count] of m.batches)
      m.observedRefs.push(
        await backend.store.put(encodeSafetensors({ d: f32([count * per], observed.slice(first * per, (first + count) * per)) })),
      );
    return m;
  }

  async evaluate(
    v: Float32Array,
    tag: string,
    onShots?: (done: number, total: number) => void,
  ): Promise<{ misfit: number; gradient: Float32Array }> {
    const [nz, nx] = this.survey.shape;
    if (!(v instanceof Float32Array) || v.length !== nz * nx)
      throw argError('ShotMisfit.evaluate(v)', 'v', `a Float32Array of ${nz} x ${nx}`, v);
    const model = await this.backend.store.put(encodeSafetensors({ v: f32([nz, nx], v) }));
    const tasks = this.batches.map(([first, count], b) => ({
      kind: 'fwi-shots',
      id: `${this.name}-${tag}-b${b}`,
      seed: 0,
      params: { survey: this.survey, first, count } as unknown as Json,
      blobs: { model, observed: this.observedRefs[b]! },
    }));
    let shots = 0;
    const total = this.survey.sources.length;
    const batchOf = new Map(tasks.map((t, b) => [t.id, b]));
    const results = await this.backend.run(tasks, {
      onResult: (r) => onShots?.((shots += this.batches[batchOf.get(r.id)!]![1]), total),
    });
    const acc = new Float64Array(nz * nx);
    let misfit = 0;
    for (const r of results) {
      const g = arrayOf(await this.backend.store.get(r.blobs.gradient!), 'g');
      for (let i = 0; i < acc.length; i++) acc[i]! += g[i]!;
      misfit += (r.value as { misfit: number }).misfit;
      this.backend.store.release?.(r.blobs.gradient!);
    }
    this.backend.store.release?.(model);
    return { misfit, gradient: Float32Array.from(acc) };
  }
}

const STATE = 'fwi-state.safetensors';

/**
 * FWI with Adam on the velocity over a backend: returns the model and the misfit per iteration.
 * With opts.state, resumes from the last completed iteration stored there.
 */
export async function shotFwi(
  backend: WorkBackend,
  survey: ShotSurvey,
  observed: Float32Array,
  v0: Float32Array,
  opts: ShotFwiOptions = {},
): Promise<{ model: Float32Array; misfits: number[]; resumedFrom: number }> {
  const fn = 'shotFwi(backend, survey, observed, v0, opts)';
  const o = checkOptions(opts, FWI_OPTIONS, fn);
  const iterations = integerArg(fn, 'opts.iterations', o.iterations ?? 10, 1);
  const lr = positiveArg(fn, 'opts.lr', o.lr ?? 50);
  const name = o.name ?? 'fwi';
  const misfit = await ShotMisfit.create(backend, survey, observed, o.shotsPerTask ?? 4, name);
  const [nz, nx] = survey.shape;
  if (!(v0 instanceof Float32Array) || v0.length !== nz * nx) throw argError(fn, 'v0', `a Float32Array of ${nz} x ${nx}`, v0);
  const opt = new Adam({ lr });
  let v: Float32Array = v0.slice();
  let misfits: number[] = [];
  let start = 0;
  const saved = await o.state?.get(STATE);
  if (saved) {
    const { arrays, metadata } = decodeSafetensors(saved);
    if (metadata.name !== name || !(arrays.v?.data instanceof Float32Array) || arrays.v.data.length !== nz * nx)
      throw argError(fn, 'opts.state', `a store holding this run's checkpoint ('${name}', ${nz} x ${nx})`, `run '${metadata.name}'`);
    v = arrays.v.data;
    start = Number(metadata.iteration);
    misfits = JSON.parse(metadata.misfits!) as number[];
    if (arrays.m && arrays.s) {
      const st = [arrays.m, arrays.s].map((a) => tensor(a.data, { shape: [nz, nx] }));
      opt.loadStateDict({ stepCount: Number(metadata.stepCount), m: [st[0]!], v: [st[1]!] });
      for (const t of st) t.dispose();
    }
  }
  const t0 = performance.now();
  for (let it = start + 1; it <= iterations; it++) {
    const { misfit: value, gradient } = await misfit.evaluate(v, `i${it}`, (d, n) => o.onShots?.(d, n, it));
    const p = keep(tensor(v, { shape: [nz, nx] }));
    const g = tensor(gradient, { shape: [nz, nx] });
    opt.step(p, g);
    v = (await p.data()) as Float32Array;
    p.dispose();
    g.dispose();
    misfits.push(value);
    if (o.state) {
      const sd = opt.stateDict();
      const [m, s] = await Promise.all([(sd.m as Tensor[])[0]!.data(), (sd.v as Tensor[])[0]!.data()]);
      for (const t of [...(sd.m as Tensor[]), ...(sd.v as Tensor[])]) t.dispose();
      const bytes = encodeSafetensors(
        { v: f32([nz, nx], v), m: f32([nz, nx], m as Float32Array), s: f32([nz, nx], s as Float32Array) },
        { name, iteration: String(it), stepCount: String(sd.stepCount), misfits: JSON.stringify(misfits) },
      );
      await o.state.put(STATE, bytes);
    }
    await o.onIteration?.({ iteration: it, iterations, misfit: value, seconds: (performance.now() - t0) / 1000, model: v });
  }
  opt.dispose();
  return { model: v, misfits, resumedFrom: start };
}
