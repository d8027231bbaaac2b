// Runs the benchmarks in Node (Dawn) and writes bench/results/node.json and node.md.
//   npm run bench   (bundles it with bench/build.mjs, then runs dist/bench/node.js)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { runBenchmarks } from './main.js';

// One Dawn instance for all three libraries: jax-js and tfjs-backend-webgpu look for navigator.gpu, and so does tl.init().
if (!(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) {
  // SwiftShader only where there is no GPU (as tl.init() decides): on a GPU machine the loader finds its driver.
  const hardware = existsSync('/dev/dri/renderD128') || existsSync('/dev/nvidia0');
  if (!hardware) process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: create(['disable-dawn-features=timestamp_quantization']), userAgent: 'Node' },
    configurable: true,
  });
}
const filter = process.env.BENCH_FILTER;
const count = (k: string): number | undefined => (process.env[k] ? Number(process.env[k]) : undefined);
const repeat = { warmup: count('BENCH_WARMUP'), runs: count('BENCH_RUNS') };
const { md, json } = await runBenchmarks(`Node ${process.versions.node}`, filter, repeat);
// BENCH_OUT / BENCH_NAME: where the GPU run kit (scripts/gpu-pack.sh) wants the results.
const outDir = process.env.BENCH_OUT ?? 'bench/results';
const name = process.env.BENCH_NAME ?? 'node';
if (!filter || process.env.BENCH_OUT) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/${name}.json`, json);
  writeFileSync(`${outDir}/${name}.md`, md);
}
process.exit(0);
