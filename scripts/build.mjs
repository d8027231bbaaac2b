#!/usr/bin/env node
// Builds dist/tellus.js (library bundle), dist/tellus-node.js (the same plus Node-only scale-out) and, with --dts, its type declarations.
//   node scripts/build.mjs [--dts]
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  loader: { '.wgsl': 'text' },
  // Dawn for Node (and node: builtins) load only on Node, via dynamic import.
  external: ['webgpu', 'node:*'],
  sourcemap: true,
  keepNames: true,
  logLevel: 'warning',
};

export async function buildLib() {
  const entry = join(root, 'src/index.ts');
  if (!existsSync(entry)) {
    console.warn('build: src/index.ts not found, skipping dist/tellus.js');
    return;
  }
  await esbuild.build({ ...common, entryPoints: [entry], outfile: join(root, 'dist/tellus.js') });
  // Node: the same library plus the BullMQ backend and worker (src/node.ts), BullMQ and ioredis external.
  await esbuild.build({
    ...common,
    platform: 'node',
    entryPoints: [join(root, 'src/node.ts')],
    outfile: join(root, 'dist/tellus-node.js'),
    external: [...common.external, 'bullmq', 'ioredis'],
  });
}

export function buildTypes() {
  if (!existsSync(join(root, 'src/index.ts'))) return;
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build: declaration emit failed');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    await buildLib();
    if (args.includes('--dts')) buildTypes();
  } catch (e) {
    // esbuild already printed the diagnostics.
    if (!e?.errors) console.error(String(e?.message).startsWith('build:') ? e.message : e);
    process.exit(1);
  }
}
