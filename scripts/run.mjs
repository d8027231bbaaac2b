#!/usr/bin/env node
// Runs a TypeScript entry point (an example or a benchmark) in Node: bundles it with esbuild, the
// same way as the library (WGSL inlined as text), then imports the bundle.
//   node scripts/run.mjs examples/velocity.ts [args...]
import * as esbuild from 'esbuild';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = join(root, 'dist/run', basename(entry).replace(/\.ts$/, '.mjs'));
await esbuild.build({
  entryPoints: [resolve(entry)],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  external: ['webgpu', 'bullmq', 'ioredis', '@jax-js/jax', '@tensorflow/*', 'cli-progress', '@resvg/resvg-js', 'vega', 'vega-lite'],
  sourcemap: 'inline',
  outfile,
  logLevel: 'warning',
});
process.argv.splice(2, 1);
await import(pathToFileURL(outfile).href);
