// Ensemble members as tasks. A member is a network built from a named recipe (defineModel: the
// built-in 'unet', or one a worker's --tasks script adds) and trained by trainRegressor with its
// own seed and bootstrap draw; its weights come back as safetensors and load into a copy built on
// the coordinator. Same recipe, seed and data: the same weights on any backend.
import { argError, checkOptions, integerArg, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { tensor } from '../ops/creation.js';
import { Module } from '../nn/module.js';
import { UNet, type UNetOptions } from '../nn/unet.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensorsInto, saveSafetensors } from '../nn/safetensors.js';
import { memberOptions, trainRegressor, type UqTrainOptions, type UqTrainResult } from '../inverse/uq/train.js';
import type { WorkBackend } from './backend.js';
import { defineTask, type Json } from './task.js';

export type ModelRecipe = (config: Json, member: number) => Module;
const recipes = new Map<string, ModelRecipe>();

/** Registers a network recipe by name (workers and the coordinator must both define it). */
export function defineModel(name: string, recipe: ModelRecipe): void {
  if (typeof name !== 'string' || name.length === 0) throw argError('defineModel(name, recipe)', 'name', 'a non-empty string', name);
  if (typeof recipe !== 'function') throw argError('defineModel(name, recipe)', 'recipe', 'a function (config, member) => Module', recipe);
  recipes.set(name, recipe);
}

/** config: { in, out, ...UNetOptions }; member k is initialized with seed (config.seed ?? 0) + k. */
defineModel('unet', (config, k) => {
  const { in: cin, out, seed, ...opts } = config as unknown as { in: number; out: number; seed?: number } & UNetOptions;
  return new UNet(cin, out, { ...opts, seed: (seed ?? 0) + k });
});

export interface ModelSpec {
  recipe: string;
  config: Json;
}

function build(spec: ModelSpec, k: number, fn: string): Module {
  const recipe = recipes.get(spec?.recipe);
  if (!recipe) throw argError(fn, 'model.recipe', `a recipe defined with defineModel (${[...recipes.keys()].join(', ')})`, spec?.recipe);
  const m = recipe(spec.config, k);
  if (!(m instanceof Module)) throw argError(fn, 'model', `a recipe returning a Module (member ${k} did not)`, m);
  return m;
}

/** Training options that travel in a task (no callbacks). */
export type MemberTrainOptions = Omit<UqTrainOptions, 'onEpoch'>;

interface MemberParams {
  model: ModelSpec;
  member: number;
  seed: number;
  train: MemberTrainOptions;
}

const hostTensor = (bytes: Uint8Array, name: string) => {
  const a = decodeSafetensors(bytes).arrays[name];
  if (!a) throw new Error(`tellus: ensemble-member: the data blob has no array '${name}'`);
  return tensor(a.data, { shape: a.shape, dtype: a.dtype });
};

defineTask('ensemble-member', async (params, inputs) => {
  const { model, member, seed, train } = params as unknown as MemberParams;
  const net = build(model, member, 'ensemble-member');
  const [x, y] = [hostTensor(inputs.data!, 'x'), hostTensor(inputs.data!, 'y')];
  try {
    const result = await trainRegressor(net, x, y, memberOptions(train, seed, member));
    return { value: result as unknown as Json, blobs: { weights: await saveSafetensors(net) } };
  } finally {
    x.dispose();
    y.dispose();
    for (const p of Object.values(net.parameters())) p.dispose();
  }
});

export interface EnsembleTaskOptions extends MemberTrainOptions {
  members?: number;
  /** Tags the task ids (default 'ensemble'). */
  name?: string;
  onMember?: (member: number, result: UqTrainResult) => void;
}
const OPTIONS = optionNames<EnsembleTaskOptions>()(
  'members',
  'name',
  'onMember',
  'loss',
  'beta',
  'epochs',
  'batch',
  'lr',
  'seed',
  'bootstrap',
  'minLogVar',
  'maxLogVar',
);

/**
 * trainEnsemble with each member a task on `backend`: the members come back as modules built here
 * from the same recipe with the trained weights loaded.
 */
export async function trainEnsembleTasks(
  backend: WorkBackend,
  model: ModelSpec,
  x: Tensor,
  y: Tensor,
  opts: EnsembleTaskOptions = {},
): Promise<{ members: Module[]; results: UqTrainResult[] }> {
  const fn = 'trainEnsembleTasks(backend, model, x, y, opts)';
  const { members: count0, name, onMember, ...train } = checkOptions(opts, OPTIONS, fn);
  const count = integerArg(fn, 'opts.members', count0 ?? 5, 1);
  const seed = integerArg(fn, 'opts.seed', train.seed ?? 0, 0);
  build(model, 0, fn).parameters(); // the recipe exists here too, before any task runs
  const [xs, ys] = await Promise.all([x.data(), y.data()]);
  const data = await backend.store.put(
    encodeSafetensors({
      x: { dtype: x.dtype, shape: [...x.shape], data: xs },
      y: { dtype: y.dtype, shape: [...y.shape], data: ys },
    }),
  );
  const tasks = Array.from({ length: count }, (_, k) => ({
    kind: 'ensemble-member',
    id: `${name ?? 'ensemble'}-m${k}`,
    seed: seed + k,
    params: { model, member: k, seed, train } as unknown as Json,
    blobs: { data },
  }));
  const memberOf = new Map(tasks.map((t, k) => [t.id, k]));
  const results = await backend.run(tasks, {
    onResult: (r) => onMember?.(memberOf.get(r.id)!, r.value as unknown as UqTrainResult),
  });
  backend.store.release?.(data);
  const members: Module[] = [];
  for (let k = 0; k < count; k++) {
    const weights = results[k]!.blobs.weights!;
    members.push(loadSafetensorsInto(build(model, k, fn), await backend.store.get(weights)));
    backend.store.release?.(weights);
  }
  return { members, results: results.map((r) => r.value as unknown as UqTrainResult) };
}
