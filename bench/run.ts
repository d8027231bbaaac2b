// Runs the benchmarks in Node (Dawn) and writes bench/results/node.json and node.md.
//   npm run bench   (bundles it with bench/build.mjs, then runs dist/bench/node.js)
import { mkdirSync, writeFileSync } from 'node:fs';
import { runBenchmarks } from './main.js';

// One Dawn instance for all three libraries: jax-js and tfjs-backend-webgpu look for navigator.gpu, and so does tl.init().
if (!(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: create(['disable-dawn-features=timestamp_quantization']), userAgent: 'Node' },
    configurable: true,
  });
}
const filter = process.env.BENCH_FILTER;
const { md, json } = await runBenchmarks(`Node ${process.versions.node}`, filter);
if (!filter) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/node.json', json);
  writeFileSync('bench/results/node.md', md);
}
process.exit(0);
