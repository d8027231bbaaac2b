// The wave-propagation cases alone, in Node (Dawn), side by side with jax-js; writes
// bench/results/wave-node.json and .md. The full harness (npm run bench) runs them too.
//   node scripts/run.mjs bench/wave-node.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';
import { markdown } from './harness.js';
import { loadJax } from './jax.js';
import { waveBenchmarks } from './wave.js';

if (!(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create(['disable-dawn-features=timestamp_quantization']), userAgent: 'Node' }, configurable: true });
}
const info = await tl.init();
const roof = await tl.calibrate();
const rows = await waveBenchmarks(await loadJax().catch(() => null));
const md = markdown(rows, `Node ${process.versions.node}, ${info.description}, wave propagation, ${new Date().toISOString().slice(0, 10)}`, roof);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/wave-node.md', md);
writeFileSync('bench/results/wave-node.json', JSON.stringify({ adapter: info.description, roofline: roof, rows }, null, 2));
console.log('\n' + md);
tl.destroy();
process.exit(0);
