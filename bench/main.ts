// Every benchmark, side by side with @jax-js/jax and TensorFlow.js (WebGPU backend) in one process on
// the same WebGPU adapter. Runtime-neutral: bench/run.ts (Node), bench/deno.ts and bench/chromium.mjs
// (headless Chromium) call it and write the results.
import * as tl from '../src/index.js';
import { defaultSampling } from '../src/profile/profiler.js';
import { type Case, countDispatches, markdown, type Row, time } from './harness.js';
import { jaxCases, loadJax } from './jax.js';
import { checkSpectralAgreement, jaxSpectralCases, tellusSpectralCases, tfjsSpectralCases } from './spectral.js';
import { waveBenchmarks } from './wave.js';
import { CHECKED, checkCase } from './check.js';
import { DALEMBERT_CASE, dalembertRow, DENSE_BYTES, DENSE_CASES, DENSE_FLOPS, jaxDenseCases, tellusDenseCases } from './dense.js';
import { checkConvAgreement, jaxConvCases, tellusConvCases, tfjsConvCases } from './conv.js';
import {
  checkGenerativeAgreement,
  GENERATIVE_CASES,
  jaxGenerativeCases,
  tellusGenerativeCases,
  tfjsGenerativeCases,
} from './generative.js';
import { tellusCases } from './tellus.js';
import { tellusTomographyCases, tomographyBytes } from './tomography.js';
import { loadTfjs, tfjsCases } from './tfjs.js';

// Forward matmul plus the one backward matmul (x^T g) the gradient needs.
const FLOPS: Record<string, number> = {
  'matmul 512x512': 2 * 512 ** 3,
  'matmul 256x256': 2 * 256 ** 3,
  'grad of sum(tanh(x @ W)), 512x512': 4 * 512 ** 3,
  ...DENSE_FLOPS,
};
/** Cases of seconds per run: one warm-up and three timed runs. */
const SLOW = new Set<string>([...Object.values(DENSE_CASES), ...Object.values(GENERATIVE_CASES)]);
/** Bytes each bandwidth-bound case must move (read + write), for GB/s against the calibrated copy rate. */
const BYTES: Record<string, number> = {
  'sum of 4M floats': 4 * 4 * 2 ** 20,
  'row sums of 1024x1024': 4 * 1024 * 1025,
  'copy 16 MiB': 2 * 16 * 2 ** 20,
  ...DENSE_BYTES,
};

export interface BenchOutput {
  md: string;
  json: string;
}

/** A library's cases, or why it could not be loaded (then each of its rows says so). */
interface Library {
  name: string;
  cases: Record<string, Case> | null;
  error?: string;
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 80);

async function load(name: string, f: () => Promise<Record<string, Case>>): Promise<Library> {
  try {
    return { name, cases: await f() };
  } catch (e) {
    console.log(`${name} is not available: ${e instanceof Error ? e.message : String(e)}`);
    return { name, cases: null, error: reason(e) };
  }
}

/** `filter` (env BENCH_FILTER in the runners, alternatives separated by |) keeps the cases whose names contain one; the runners then write no files. */
/** `repeat` (env BENCH_RUNS / BENCH_WARMUP in the Node runner) overrides the harness's 2 warm-up and 7 timed runs per case. */
export async function runBenchmarks(
  runtime: string,
  filter?: string,
  repeat: { warmup?: number; runs?: number } = {},
): Promise<BenchOutput> {
  const selected = (name: string): boolean => !filter || filter.split('|').some((f) => name.includes(f));
  const info = await tl.init();
  const roof = await tl.calibrate();
  const counted = countDispatches();
  console.log(`${runtime} on ${info.description}${counted ? '' : ' (dispatches not counted: no global GPUComputePassEncoder)'}`);
  console.log(
    `roofline: copy kernel ${roof.copyKernelGBs.toFixed(2)} GB/s, copyBufferToBuffer ${roof.copyBufferGBs.toFixed(2)} GB/s, peak ${roof.peakGflops.toFixed(1)} GFLOP/s`,
  );
  const jax = await loadJax().catch(() => null);
  const tf = await loadTfjs().catch(() => null);
  const libraries: Library[] = [
    {
      name: 'tellus',
      cases: {
        ...tellusCases(),
        ...tellusSpectralCases(),
        ...tellusConvCases(),
        ...tellusGenerativeCases(),
        ...tellusDenseCases(),
        ...tellusTomographyCases(),
      },
    },
    await load('jax-js', async () =>
      ((j) => ({ ...jaxCases(j), ...jaxSpectralCases(j), ...jaxConvCases(j), ...jaxGenerativeCases(j), ...jaxDenseCases(j) }))(
        jax ?? (await loadJax()),
      ),
    ),
    await load('tfjs', async () =>
      ((t) => ({ ...tfjsCases(t), ...tfjsSpectralCases(t), ...tfjsConvCases(t), ...tfjsGenerativeCases(t) }))(tf ?? (await loadTfjs())),
    ),
  ];
  // The FFT cases compare like with like only if the libraries compute the same transform.
  const agreement = await checkSpectralAgreement(jax, tf).then(
    (n) => `agree (relative L2 differences: ${n})`,
    (e) => `DISAGREE: ${reason(e)}`,
  );
  console.log(`spectral cases ${agreement}`);
  const convAgreement = await checkConvAgreement(jax, tf).then(
    (n) => `agree (relative differences: ${n})`,
    (e) => `DISAGREE: ${reason(e)}`,
  );
  console.log(`conv cases ${convAgreement}`);
  // The generative cases' check runs two training losses per library: only when one is timed.
  const generativeAgreement = Object.values(GENERATIVE_CASES).some(selected)
    ? await checkGenerativeAgreement(jax, tf).then(
        (n) => `agree (relative L2 differences, worst per case: ${n})`,
        (e) => `DISAGREE: ${reason(e)}`,
      )
    : 'not checked (no generative case selected)';
  console.log(`generative cases ${generativeAgreement}`);
  const ours = Object.keys(libraries[0]!.cases!);
  // Every case name, a peer-only variant (e.g. jax-js's jit) right after the case it varies.
  const union = [...new Set(libraries.flatMap((l) => Object.keys(l.cases ?? {})))];
  const base = (n: string): number => ours.findIndex((o) => n.startsWith(o));
  const names = union
    .map((n, i) => [n, base(n) < 0 ? ours.length + i : base(n)] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([n]) => n);
  const rows: Row[] = [];
  // The tomography cases' bytes need their ray matrix's nnz: traced only when one is selected.
  const bytes = { ...BYTES, ...(names.some((n) => n.startsWith('tomography') && selected(n)) ? tomographyBytes() : {}) };
  for (const name of names.filter(selected)) {
    for (const lib of libraries) {
      if (!lib.cases) {
        if (ours.includes(name)) rows.push({ benchmark: name, library: lib.name, timing: null, note: `failed: ${lib.error}` });
        continue;
      }
      const c = lib.cases[name];
      if (!c) continue;
      try {
        const wrong = await checkCase(name, lib.name, c);
        if (wrong) console.log(`${name} ${lib.name}: ${wrong}`);
        const timing = await time(c, SLOW.has(name) ? { warmup: 1, runs: 3, ...repeat } : repeat);
        rows.push({ benchmark: name, library: lib.name, timing, flops: FLOPS[name], bytes: bytes[name], ...(wrong ? { wrong } : {}) });
        console.log(`${name.padEnd(46)} ${lib.name.padEnd(7)} ${timing.medianMs.toFixed(2)} ms`);
      } catch (e) {
        rows.push({ benchmark: name, library: lib.name, timing: null, note: `failed: ${reason(e)}` });
        console.log(`${name} ${lib.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  // Profiler overhead on a 1,000-dispatch run (each result kept, so nothing fuses away).
  let overhead: number | null = null;
  if (selected('1,000 dispatches')) {
    const thousand = async (): Promise<void> => {
      const kept: tl.Tensor[] = [];
      let x = tl.ones([1024]);
      for (let i = 0; i < 1000; i++) kept.push((x = x.add(1)));
      await x.data();
      for (const t of kept) t.dispose();
    };
    // Alternate plain and profiled runs so drift on a busy machine hits both alike.
    const tp: number[] = [];
    const tq: number[] = [];
    for (let k = 0; k < 11; k++) {
      for (const [list, f] of [
        [tp, thousand],
        [tq, async () => void (await tl.profile(thousand))],
      ] as [number[], () => Promise<unknown>][]) {
        const t0 = performance.now();
        await f();
        if (k > 1) list.push(performance.now() - t0);
      }
    }
    const stat = (v: number[]) => {
      const s = [...v].sort((a, b) => a - b);
      return { medianMs: s[Math.floor(s.length / 2)]!, minMs: s[0]!, maxMs: s[s.length - 1]!, runs: s.length };
    };
    const plain = stat(tp);
    const profiled = stat(tq);
    overhead = profiled.medianMs / plain.medianMs - 1;
    rows.push(
      { benchmark: '1,000 dispatches', library: 'tellus', timing: plain },
      {
        benchmark: '1,000 dispatches, profiled',
        library: 'tellus',
        timing: profiled,
        note: `${(100 * overhead).toFixed(0)}% overhead (default sampling, every = ${defaultSampling(info.description)})`,
      },
    );
    console.log(
      `profiler overhead on 1,000 dispatches: ${(100 * overhead).toFixed(1)}% (${plain.medianMs.toFixed(1)} -> ${profiled.medianMs.toFixed(1)} ms)`,
    );
  }

  // Wave propagation: acoustic2d against the same time loop in jax-js generic ops (bench/wave.ts).
  if (selected('acoustic2d')) rows.push(...(await waveBenchmarks(jax)));
  // Time to accuracy: one PINN training run, stopped at the target error (bench/dense.ts).
  if (selected(DALEMBERT_CASE)) {
    const row = await dalembertRow().catch((e: unknown): Row => ({
      benchmark: DALEMBERT_CASE,
      library: 'tellus',
      timing: null,
      note: `failed: ${reason(e)}`,
    }));
    rows.push(row);
    console.log(`${DALEMBERT_CASE}: ${row.timing ? (row.timing.medianMs / 1000).toFixed(1) + ' s, ' : ''}${row.note}`);
  }

  const title = `${runtime}, ${info.description}${info.isSoftware ? ' (software adapter)' : ''}, ${new Date().toISOString().slice(0, 10)}`;
  const wrong = rows.filter((r) => r.wrong).map((r) => `${r.library} on "${r.benchmark}" (${r.wrong})`);
  const checked = rows.some((r) => CHECKED[r.benchmark] || r.benchmark.startsWith('acoustic2d'))
    ? `Sums, copy, fused elementwise and matmul (bench/check.ts) and the jax-js leapfrog (bench/wave.ts), checked against float64 before timing: ${wrong.length ? `wrong results, left out of the fastest-peer table: ${wrong.join('; ')}` : 'every library agrees'}.\n`
    : '';
  const md = `${markdown(rows, title, roof)}\n${checked}FFT cases, checked before timing: the libraries ${agreement}.\nConv and U-Net cases, checked before timing: the libraries ${convAgreement}.\nVAE and WGAN-GP cases, checked before timing: the libraries ${generativeAgreement}.\n`;
  const loaded = Object.fromEntries(libraries.map((l) => [l.name, l.cases ? 'ok' : `failed: ${l.error}`]));
  const json = JSON.stringify(
    {
      runtime,
      adapter: info.description,
      isSoftware: info.isSoftware,
      date: new Date().toISOString(),
      roofline: roof,
      libraries: loaded,
      profilerOverhead: overhead,
      spectralAgreement: agreement,
      convAgreement,
      generativeAgreement,
      rows,
    },
    null,
    2,
  );
  console.log('\n' + md);
  tl.destroy();
  return { md, json };
}
