// Runs every benchmark side by side with @jax-js/jax in one process, on the same WebGPU adapter.
//   npm run bench      (Node; writes bench/results/node.json and node.md)
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';
import { markdown, type Row, time } from './harness.js';
import { jaxCases, loadJax } from './jax.js';
import { tellusCases } from './tellus.js';

// Forward matmul plus the one backward matmul (x^T g) the gradient needs.
const FLOPS: Record<string, number> = { 'matmul 512x512': 2 * 512 ** 3, 'matmul 256x256': 2 * 256 ** 3, 'grad of sum(tanh(x @ W)), 512x512': 4 * 512 ** 3 };
/** Bytes each bandwidth-bound case must move (read + write), for GB/s against the calibrated copy rate. */
const BYTES: Record<string, number> = { 'sum of 4M floats': 4 * 4 * 2 ** 20, 'row sums of 1024x1024': 4 * 1024 * 1025, 'copy 16 MiB': 2 * 16 * 2 ** 20 };

async function main(): Promise<void> {
  // One Dawn instance for both libraries: jax-js looks for navigator.gpu, and so does tl.init().
  if (!(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) {
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create(['disable-dawn-features=timestamp_quantization']), userAgent: 'Node' }, configurable: true });
  }
  const info = await tl.init();
  const roof = await tl.calibrate();
  console.log(`roofline: copy kernel ${roof.copyKernelGBs.toFixed(2)} GB/s, copyBufferToBuffer ${roof.copyBufferGBs.toFixed(2)} GB/s, peak ${roof.peakGflops.toFixed(1)} GFLOP/s`);
  const jax = await loadJax();
  const ours = tellusCases();
  const theirs = jaxCases(jax);
  const rows: Row[] = [];
  const names = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])];
  for (const name of names) {
    for (const [library, cases] of [['tellus', ours], ['jax-js', theirs]] as const) {
      const c = cases[name];
      if (!c) continue;
      try {
        const timing = await time(c);
        rows.push({ benchmark: name, library, timing, flops: FLOPS[name], bytes: BYTES[name] });
        console.log(`${name.padEnd(46)} ${library.padEnd(7)} ${timing.medianMs.toFixed(2)} ms`);
      } catch (e) {
        rows.push({ benchmark: name, library, timing: null, note: `failed: ${(e as Error).message.slice(0, 80)}` });
        console.log(`${name} ${library} failed: ${(e as Error).message}`);
      }
    }
  }
  // Profiler overhead on a 1,000-dispatch run (each result kept, so nothing fuses away).
  const thousand = async (): Promise<void> => {
    const kept: tl.Tensor[] = [];
    let x = tl.ones([1024]);
    for (let i = 0; i < 1000; i++) kept.push((x = x.add(1)));
    await x.data();
    for (const t of kept) t.dispose();
  };
  const plain = await time(async () => thousand());
  const profiled = await time(async () => void (await tl.profile(thousand)));
  const overhead = profiled.medianMs / plain.medianMs - 1;
  rows.push({ benchmark: '1,000 dispatches', library: 'tellus', timing: plain }, { benchmark: '1,000 dispatches, profiled', library: 'tellus', timing: profiled, note: `${(100 * overhead).toFixed(0)}% overhead` });
  console.log(`profiler overhead on 1,000 dispatches: ${(100 * overhead).toFixed(1)}% (${plain.medianMs.toFixed(1)} -> ${profiled.medianMs.toFixed(1)} ms)`);

  const title = `Node ${process.versions.node}, ${info.description}${info.isSoftware ? ' (software adapter)' : ''}, ${new Date().toISOString().slice(0, 10)}`;
  const md = markdown(rows, title, roof);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/node.json', JSON.stringify({ runtime: 'node', adapter: info.description, isSoftware: info.isSoftware, date: new Date().toISOString(), roofline: roof, profilerOverhead: overhead, rows }, null, 2));
  writeFileSync('bench/results/node.md', md);
  console.log('\n' + md);
  tl.destroy();
  process.exit(0);
}

await main();
