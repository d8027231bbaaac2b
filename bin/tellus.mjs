#!/usr/bin/env node
// Tellus command line.
//   tellus profile <script.ts|.js> [--trace out.json] [--calibrate]
//       Runs the script inside profile() and prints the per-kernel report (and a Chrome trace).
//   tellus bench [--all]
//       Runs the benchmarks in Node (side by side with jax-js and tfjs) and writes bench/results/;
//       with --all, in Node, Deno and headless Chromium one after another.
import * as esbuild from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [cmd, ...rest] = process.argv.slice(2);

async function profileCmd(args) {
  const script = args.find((a) => !a.startsWith('--'));
  if (!script) throw new Error('usage: tellus profile <script> [--trace out.json] [--calibrate]');
  const traceAt = args.indexOf('--trace');
  const trace = traceAt >= 0 ? args[traceAt + 1] : null;
  // One bundle holds the wrapper and the script, so both see the same engine instance.
  const wrapper = `
    import * as tl from ${JSON.stringify(join(root, 'src/index.ts'))};
    await tl.init();
    ${args.includes('--calibrate') ? 'await tl.calibrate();' : ''}
    const report = await tl.profile(() => import(${JSON.stringify(resolve(script))}));
    console.log(tl.formatProfile(report));
    export const trace = tl.chromeTrace(report);
  `;
  const outfile = join(root, 'dist/run/profile-cli.mjs');
  await esbuild.build({
    stdin: { contents: wrapper, resolveDir: root, loader: 'ts' },
    bundle: true, format: 'esm', platform: 'node', target: 'es2022', outfile, logLevel: 'warning',
    loader: { '.wgsl': 'text' }, external: ['webgpu', '@jax-js/jax'],
    alias: { tellus: join(root, 'src/index.ts') },
  });
  const mod = await import(pathToFileURL(outfile).href);
  if (trace) {
    writeFileSync(trace, JSON.stringify(mod.trace));
    console.log(`wrote ${trace} (open it in Perfetto or chrome://tracing)`);
  }
}

try {
  if (cmd === 'profile') await profileCmd(rest);
  else if (cmd === 'bench') {
    // --all: Node, Deno and headless Chromium one after another; otherwise Node only.
    const args = rest.includes('--all') ? [join(root, 'bench/all.mjs')] : [join(root, 'dist/bench/node.js'), ...rest];
    if (!rest.includes('--all')) await (await import(pathToFileURL(join(root, 'bench/build.mjs')).href)).buildBench('node');
    process.exit(spawnSync('node', args, { stdio: 'inherit', cwd: root }).status ?? 1);
  }
  else {
    console.error('usage: tellus profile <script> [--trace out.json] [--calibrate] | tellus bench [--all]');
    process.exit(2);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
process.exit(0);
