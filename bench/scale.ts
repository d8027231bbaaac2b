// Scale-out on this machine: the FWI demo's iteration (64 x 64 cells, 20 shots, 240 steps,
// receivers at every node; misfit and gradient) and FNO-wave simulations (64 x 64, 240 steps, 30
// snapshots) in-process and over BullMQ with 1 and 2 worker processes, plus the coordination
// overhead per task (no-op tasks through Redis). Each configuration runs once to warm (pipelines
// compile in every new process) and is then timed.
// Run: `npm run bench:scale` (needs redis-server: npm run setup); writes bench/results/scale.json and scale.md.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';
import './scale-tasks.js';
import { BullBackend } from '../src/scale/node/bullmq.js';
import { freePort, type Spawned, startRedis, startWorkerProcess } from '../src/scale/node/cluster.js';
import { fwiTrueModel } from '../examples/fwi/model.js';
import { fwiSurvey } from '../examples/fwi/segy.js';

const N = 64;
const SHOTS_PER_TASK = 4;
const SIMS = 8;
const NOOPS = 200;

await tl.init();
const adapter = tl.deviceInfo().description;
const { sources, receivers } = fwiSurvey(N, 'all');
const survey: tl.ShotSurvey = {
  shape: [N, N],
  dx: 160,
  dt: 0.02,
  nt: 240,
  freq: 1,
  sources,
  receivers: sources.map(() => receivers),
  accuracy: 4,
  pmlWidth: 8,
  maxVel: 4500,
};
const obs = tl.tidy(() => tl.acoustic2d(tl.tensor(fwiTrueModel(N), { shape: [N, N] }), tl.surveyOptions(survey, 0, sources.length)));
const observed = (await obs.data()) as Float32Array;
obs.dispose();
const v0 = new Float32Array(N * N).fill(3000);
const wave = { samples: SIMS, samplesPerShard: 1, seed: 1 };

interface Row {
  backend: string;
  workers: number;
  fwiIterationS: number;
  simulationsPerMinute: number;
  overheadMsPerTask: number | null;
}

async function measure(backend: tl.WorkBackend, label: string, workers: number, tag: string): Promise<Row> {
  const misfit = await tl.ShotMisfit.create(backend, survey, observed, SHOTS_PER_TASK, `bench-${tag}`);
  await misfit.evaluate(v0, 'warm');
  let t = performance.now();
  await misfit.evaluate(v0, 'timed');
  const fwiIterationS = (performance.now() - t) / 1000;
  const produce = (name: string) => ({ produce: tl.shardTasks(backend, 'wave-shard', wave, { name }) });
  await tl.generateWaveDataset(new tl.MemoryStore(), { ...wave, samples: 2 }, produce(`warm-${tag}`));
  t = performance.now();
  await tl.generateWaveDataset(new tl.MemoryStore(), wave, produce(`sims-${tag}`));
  const simulationsPerMinute = SIMS / ((performance.now() - t) / 60000);
  const noops = (k: string) =>
    Array.from({ length: NOOPS }, (_, i) => ({ kind: 'noop', id: `${k}-${tag}-${i}`, seed: 0, params: i, blobs: {} }));
  await backend.run(noops('warm'));
  t = performance.now();
  await backend.run(noops('noop'));
  const overheadMsPerTask = (performance.now() - t) / NOOPS;
  const row = { backend: label, workers, fwiIterationS, simulationsPerMinute, overheadMsPerTask };
  console.log(JSON.stringify(row));
  return row;
}

const rows: Row[] = [];
rows.push(await measure(new tl.LocalBackend(), 'in-process', 0, 'local'));
const port = await freePort();
const redis = await startRedis(port);
const url = `redis://127.0.0.1:${port}`;
const shared = mkdtempSync('/tmp/tellus-bench-');
const workers: Spawned[] = [];
try {
  for (const n of [1, 2]) {
    while (workers.length < n)
      workers.push(await startWorkerProcess(['--redis', url, '--shared', shared, '--tasks', 'bench/scale-tasks.ts']));
    const bull = BullBackend.connect({ redis: url, shared, timeoutMs: 1_800_000 });
    rows.push(await measure(bull, 'bullmq', n, `w${n}`));
    await bull.close();
  }
} finally {
  for (const w of workers) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited(60_000)));
  redis.proc.kill('SIGTERM');
}

const local = rows[0]!;
const md = [
  `Scale-out on one machine (2 cores; ${adapter}); ${new Date().toISOString().slice(0, 10)}. FWI: the demo's misfit and gradient (64 x 64, 20 shots, ${SHOTS_PER_TASK} shots per task); simulations: FNO-wave samples (64 x 64, 240 steps), one per task; overhead: ${NOOPS} no-op tasks, one at a time per worker.`,
  '',
  '| backend | workers | FWI iteration (s) | vs in-process | simulations / min | vs in-process | overhead per task (ms) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.backend} | ${r.workers || '-'} | ${r.fwiIterationS.toFixed(2)} | ${(local.fwiIterationS / r.fwiIterationS).toFixed(2)}x | ${r.simulationsPerMinute.toFixed(1)} | ${(r.simulationsPerMinute / local.simulationsPerMinute).toFixed(2)}x | ${r.overheadMsPerTask!.toFixed(2)} |`,
  ),
].join('\n');
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/scale.json',
  JSON.stringify({ adapter, shotsPerTask: SHOTS_PER_TASK, simulations: SIMS, noops: NOOPS, rows }, null, 2),
);
writeFileSync('bench/results/scale.md', md + '\n');
console.log(md);
tl.destroy();
process.exit(0);
