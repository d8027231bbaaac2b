// `tellus worker`: a process that initializes WebGPU once and runs tasks from a BullMQ queue until
// SIGTERM or SIGINT, when it lets its current tasks finish and exits 0.
//   tellus worker --redis redis://host:6379 [--concurrency 1] [--shared DIR] [--queue tellus]
//                 [--lock-ms 30000] [--stalled-ms 30000] [--inline-limit 262144]
import { closestName } from '../../graph/options.js';
import { deviceInfo, destroy, init } from '../../graph/context.js';
import '../tasks.js';
import { taskKinds } from '../task.js';
import { startWorker } from './bullmq.js';

const FLAGS = ['redis', 'concurrency', 'shared', 'queue', 'lock-ms', 'stalled-ms', 'inline-limit'];

function parse(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '');
    if (!argv[i]!.startsWith('--') || !FLAGS.includes(k)) {
      const near = closestName(k, FLAGS);
      throw new Error(
        `tellus worker: unknown option ${argv[i]}${near ? ` (did you mean --${near}?)` : ''}; known: ${FLAGS.map((f) => `--${f}`).join(' ')}`,
      );
    }
    if (i + 1 >= argv.length) throw new Error(`tellus worker: --${k} needs a value`);
    args.set(k, argv[i + 1]!);
  }
  if (!args.has('redis')) throw new Error('tellus worker: --redis redis://host:port is required');
  return args;
}

const int = (args: Map<string, string>, k: string): number | undefined => {
  if (!args.has(k)) return undefined;
  const v = Number(args.get(k));
  if (!Number.isInteger(v) || v < 0) throw new Error(`tellus worker: --${k}: expected a non-negative integer, got ${args.get(k)}`);
  return v;
};

export async function workerMain(argv: string[]): Promise<void> {
  const args = parse(argv);
  const log = (m: string) => console.log(`[worker ${process.pid}] ${m}`);
  await init();
  const w = startWorker({
    redis: args.get('redis')!,
    queue: args.get('queue'),
    shared: args.get('shared'),
    concurrency: int(args, 'concurrency'),
    lockDurationMs: int(args, 'lock-ms'),
    stalledIntervalMs: int(args, 'stalled-ms'),
    inlineLimit: int(args, 'inline-limit'),
    log,
  });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      log(`${sig} again: exiting without waiting for current tasks (they run again elsewhere)`);
      process.exit(1);
    }
    stopping = true;
    log(`${sig}: finishing current tasks`);
    void w
      .close()
      .then(() => {
        log(`stopped after ${w.processed} tasks`);
        destroy();
        process.exit(0);
      })
      .catch((e: Error) => {
        log(`close failed: ${e.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log(`ready on ${deviceInfo().description}; task kinds: ${taskKinds().join(', ')}`);
}
