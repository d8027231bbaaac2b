#!/usr/bin/env node
// Runs the benchmarks in Node, Deno and headless Chromium, one after another (each in its own
// process), and says which runtimes failed.
//   node bench/all.mjs        (npm run bench:all)
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const failed = [];
for (const script of ['bench', 'bench:deno', 'bench:chromium']) {
  console.log(`\n=== npm run ${script}`);
  const r = spawnSync('npm', ['run', '--silent', script], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed.push(script);
}
console.log(failed.length ? `\nfailed: ${failed.join(', ')}` : '\nbench/results/{node,deno,chromium}.{json,md} written');
process.exit(failed.length ? 1 : 0);
