#!/usr/bin/env node
// Bundles the benchmarks for one runtime with esbuild (WGSL inlined as text, as in the library):
//   node bench/build.mjs node|deno|browser   -> dist/bench/<target>.js
// TensorFlow.js is bundled from its ES modules in every runtime: its gradient registrations
// (@tensorflow/tfjs-core/dist/register_all_gradients) exist only in that form. In Node and Deno
// tfjs-core takes its Node platform, which calls require('util'); the banner supplies require.
import * as esbuild from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeRequire =
  "import { createRequire as __tellusCreateRequire } from 'node:module'; const require = __tellusCreateRequire(import.meta.url);";

const targets = {
  // Dawn (the npm `webgpu` addon) and jax-js load from node_modules at run time.
  node: { entry: 'bench/run.ts', platform: 'node', external: ['webgpu', '@jax-js/jax', 'node-fetch'], banner: nodeRequire },
  deno: {
    entry: 'bench/deno.ts',
    platform: 'neutral',
    external: ['webgpu', 'node:*', 'node-fetch', 'util', 'crypto', 'worker_threads'],
    banner: nodeRequire,
  },
  // The browser field of tfjs's packages drops util, node-fetch and crypto.
  browser: { entry: 'bench/main.ts', platform: 'browser', external: ['webgpu', 'node:*'], banner: '' },
};

/** Builds dist/bench/<target>.js and returns its path. */
export async function buildBench(target) {
  const t = targets[target];
  if (!t) throw new Error(`bench/build.mjs: unknown target '${target}' (node, deno or browser)`);
  const outfile = join(root, 'dist/bench', `${target}.js`);
  await esbuild.build({
    entryPoints: [join(root, t.entry)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: t.platform,
    mainFields: t.platform === 'browser' ? ['browser', 'module', 'main'] : ['module', 'main'],
    loader: { '.wgsl': 'text' },
    external: t.external,
    banner: { js: t.banner },
    sourcemap: 'linked',
    logLevel: 'warning',
    outfile,
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildBench(process.argv[2]);
  } catch (e) {
    if (!e?.errors) console.error(e?.message ?? e);
    process.exit(1);
  }
}
