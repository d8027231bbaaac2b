#!/usr/bin/env node
// Builds dist/tellus.js (library bundle) and, with --tests, dist-test/tests.js
// (every portable test/*.test.ts in one ESM bundle for Deno and Chromium).
//   node scripts/build.mjs [--tests] [--dts]
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shim = join(root, 'test/portable/vitest-shim.ts');

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
}

/** test/*.test.ts, minus files whose first line is `// @node-only`. */
export function portableTestFiles() {
  const dir = join(root, 'test');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .filter((f) => !/^\s*\/\/\s*@node-only\b/.test(readFileSync(join(dir, f), 'utf8').split('\n', 1)[0]))
    .map((f) => join(dir, f));
}

export async function buildTests() {
  // A failed build must not leave a stale bundle for the Deno/Chromium runs.
  rmSync(join(root, 'dist-test'), { recursive: true, force: true });
  const files = portableTestFiles();
  // Virtual entry: re-export the shim's run(), then import each test file so it
  // registers its tests, each preceded by a marker module telling the shim which
  // file is registering ("file > suite > test"). ES modules evaluate in import order.
  const entry = [
    `export { run } from ${JSON.stringify(shim)};`,
    ...files.map((f) => `import ${JSON.stringify(`begin-file:${relative(root, f)}`)};\nimport ${JSON.stringify(f)};`),
  ].join('\n');
  const vitestShim = {
    name: 'vitest-shim',
    setup(b) {
      b.onResolve({ filter: /^vitest$/ }, () => ({ path: shim }));
      b.onResolve({ filter: /^begin-file:/ }, (args) => ({ path: args.path.slice(11), namespace: 'begin-file' }));
      b.onLoad({ filter: /.*/, namespace: 'begin-file' }, (args) => ({
        contents: `import { __beginFile } from ${JSON.stringify(shim)}; __beginFile(${JSON.stringify(args.path)});`,
        resolveDir: root,
      }));
    },
  };
  await esbuild.build({
    ...common,
    stdin: { contents: entry, resolveDir: root, sourcefile: 'portable-tests-entry.js', loader: 'js' },
    outfile: join(root, 'dist-test/tests.js'),
    plugins: [vitestShim],
  });
  console.log(`build: dist-test/tests.js (${files.length} portable test files)`);
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
    if (args.includes('--tests')) await buildTests();
    if (args.includes('--dts')) buildTypes();
  } catch (e) {
    // esbuild already printed the diagnostics.
    if (!e?.errors) console.error(String(e?.message).startsWith('build:') ? e.message : e);
    process.exit(1);
  }
}
