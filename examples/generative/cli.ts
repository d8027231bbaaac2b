// The generative examples' command lines (Node): the flags both share, the set-up (output folder,
// progress sink, device, the cached training set) and results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../../src/index.js';
import { parseArgs, positive } from '../common/args.js';
import { nodeSink, type NodeSink } from '../common/sink-node.js';
import { DirStore } from '../fno-wave/store-node.js';
import type { CompareResult } from './compare.js';
import type { SampleReport } from './common.js';

const SHARED = [
  'n',
  'train',
  'held-out',
  'batch',
  'latent',
  'width',
  'lr',
  'restarts',
  'iterations',
  'fwi-iterations',
  'seed',
  'data',
  'out',
];

export interface PriorCli {
  num: (k: string, fallback: number) => number;
  n: number;
  out: string;
  sink: NodeSink;
  info: Awaited<ReturnType<typeof tl.init>>;
  t0: number;
  /** The options both runners take, from the shared flags. */
  common: {
    n: number;
    train: number;
    heldOut: number;
    batch: number;
    latent: number;
    width: number;
    lr: number;
    seed: number;
    store: tl.ShardStore;
    compare: { restarts: number; iterations: number; fwiIterations: number };
  };
}

/** Parses the shared flags and `own` ones, makes --out, starts the sink and the device. */
export async function priorCli(program: string, title: string, own: readonly string[], lr: number): Promise<PriorCli> {
  const args = parseArgs(program, process.argv.slice(2), [...SHARED, ...own]);
  const num = (k: string, fallback: number): number => positive(program, args, k, fallback);
  const n = num('n', 32);
  const out = args.get('out') ?? `examples/${program}/output`;
  mkdirSync(out, { recursive: true });
  const sink = nodeSink(out);
  const info = await tl.init();
  sink.log(`${title} on ${info.runtime}, ${info.description}`);
  const common = {
    n,
    train: num('train', 1000),
    heldOut: num('held-out', 3),
    batch: num('batch', 16),
    latent: num('latent', 16),
    width: num('width', 8),
    lr: num('lr', lr),
    seed: args.has('seed') ? Number(args.get('seed')) : 0,
    store: new DirStore(args.get('data') ?? `examples/output/facies-channels-${n}`),
    compare: { restarts: num('restarts', 4), iterations: num('iterations', 150), fwiIterations: num('fwi-iterations', 40) },
  };
  return { num, n, out, sink, info, t0: performance.now(), common };
}

/** Writes results.json (the run's numbers, the statistics and the scores) and returns the run's seconds. */
export function writePriorResults(
  cli: PriorCli,
  numbers: Record<string, unknown>,
  samples: SampleReport,
  inversions: CompareResult,
): number {
  const seconds = (performance.now() - cli.t0) / 1000;
  const json = {
    runtime: cli.info.runtime,
    adapter: cli.info.description,
    seconds,
    ...numbers,
    statistics: samples.statistics,
    curves: samples.curves,
    scores: inversions.scores,
  };
  writeFileSync(`${cli.out}/results.json`, JSON.stringify(json, null, 2));
  return seconds;
}
