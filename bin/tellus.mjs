#!/usr/bin/env node
// Tellus command line.
//   tellus profile <script.ts|.js> [--trace out.json] [--json out.json] [--every N] [--no-sites] [--calibrate]
//       Runs the script inside profile() and prints the per-kernel report with each kernel's call
//       site in the script (and a Chrome trace, and the whole report as JSON).
//   tellus calibrate
//       Measures this adapter's roofline and stores it; later profiles report efficiencies against it.
//   tellus bench [--all]
//       Runs the benchmarks in Node (side by side with jax-js and tfjs) and writes bench/results/;
//       with --all, in Node, Deno and headless Chromium one after another.
//   tellus worker --redis redis://host:port [--concurrency N] [--shared DIR] [--tasks my-tasks.ts] [--queue NAME]
//       Starts a scale-out worker (docs/scale-out.md): WebGPU once, then tasks from the BullMQ queue
//       until SIGTERM; --tasks adds the task kinds a script defines with defineTask.
//   tellus serve [--port N]
//       Builds the browser app (app/) into dist/app/ and serves it on http://localhost:N (default 8080).
import * as esbuild from 'esbuild';
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [cmd, ...rest] = process.argv.slice(2);
// Packages that stay imports in a bundle: native (webgpu, resvg) or CommonJS that requires Node
// built-ins at load time (bullmq, ioredis), which an ESM bundle cannot inline.
const nodeExternals = [
  'webgpu',
  'bullmq',
  'ioredis',
  '@jax-js/jax',
  '@tensorflow/*',
  'cli-progress',
  '@resvg/resvg-js',
  'vega',
  'vega-lite',
];

/** Bundles TypeScript source text for Node (shaders inlined as text) into `outfile`. */
const bundleForNode = (contents, outfile, extra = {}) =>
  esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    outfile,
    logLevel: 'warning',
    loader: { '.wgsl': 'text' },
    external: ['webgpu'],
    ...extra,
  });

async function profileCmd(args) {
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : null);
  const flagValues = new Set(['--trace', '--every', '--json'].map(value));
  const script = args.find((a) => !a.startsWith('--') && !flagValues.has(a));
  if (!script) throw new Error(usage);
  const trace = value('--trace');
  const json = value('--json');
  const every = value('--every');
  if (every !== null && !/^[1-9]\d*$/.test(every)) throw new Error(`tellus profile --every: expected a positive integer, got ${every}`);
  // One bundle holds the wrapper and the script, so both see the same engine instance.
  const wrapper = `
    import * as tl from ${JSON.stringify(join(root, 'src/index.ts'))};
    await tl.init();
    ${args.includes('--calibrate') ? 'await tl.calibrate();' : ''}
    const report = await tl.profile(() => import(${JSON.stringify(resolve(script))}), { callSites: ${!args.includes('--no-sites')}${every ? `, every: ${every}` : ''} });
    console.log(tl.formatProfile(report));
    export const trace = tl.chromeTrace(report);
    export const json = JSON.stringify(report, null, 1);
  `;
  const outfile = join(root, 'dist/run/profile-cli.mjs');
  await bundleForNode(wrapper, outfile, {
    // Source maps let the report name the script's own lines as call sites, not the bundle's.
    sourcemap: 'inline',
    external: nodeExternals,
    alias: { tellus: join(root, 'src/index.ts') },
    // The built bundle imported by its path would be a second copy of the engine that the profile
    // cannot see: point it at the same source as the package name.
    plugins: [
      {
        name: 'one-engine',
        setup(build) {
          build.onResolve({ filter: /(^|\/)dist\/tellus(\.js)?$/ }, () => ({ path: join(root, 'src/index.ts') }));
        },
      },
    ],
  });
  process.setSourceMapsEnabled(true);
  // The script parses its own flags from process.argv: hand it the arguments after its name, less
  // the profiler's (`tellus profile examples/fwi/main.ts --iterations 2 --trace t.json`).
  const own = new Set(['--no-sites', '--calibrate']);
  const scriptArgs = [];
  for (let i = args.indexOf(script) + 1; i < args.length; i++) {
    if (['--trace', '--every', '--json'].includes(args[i])) i++;
    else if (!own.has(args[i])) scriptArgs.push(args[i]);
  }
  process.argv = [process.argv[0], resolve(script), ...scriptArgs];
  const mod = await import(pathToFileURL(outfile).href);
  if (trace) {
    writeFileSync(trace, JSON.stringify(mod.trace));
    console.log(`wrote ${trace} (open it in Perfetto or chrome://tracing)`);
  }
  if (json) {
    writeFileSync(json, mod.json);
    console.log(`wrote ${json}`);
  }
}

async function calibrateCmd() {
  const outfile = join(root, 'dist/run/calibrate-cli.mjs');
  const entry = `
    import * as tl from ${JSON.stringify(join(root, 'src/index.ts'))};
    import { saveRoofline } from ${JSON.stringify(join(root, 'src/profile/store.ts'))};
    await tl.init();
    const r = await tl.calibrate({ save: false });
    const where = saveRoofline(r);
    console.log(\`\${r.device}: copy kernel \${r.copyKernelGBs.toFixed(2)} GB/s, copyBufferToBuffer \${r.copyBufferGBs.toFixed(2)} GB/s, peak \${r.peakGflops.toFixed(1)} GFLOP/s (\${r.timing})\`);
    console.log(where ? \`stored in \${where}\` : 'could not store it (no writable cache directory)');
    tl.destroy();
  `;
  await bundleForNode(entry, outfile);
  await import(pathToFileURL(outfile).href);
}

async function workerCmd(args) {
  const i = args.indexOf('--tasks');
  const tasks = i >= 0 ? args[i + 1] : null;
  if (i >= 0 && !tasks) throw new Error('tellus worker --tasks: expected a script that calls defineTask');
  const rest = i >= 0 ? [...args.slice(0, i), ...args.slice(i + 2)] : args;
  // One bundle holds the worker and the user's task script, so both see one engine and one task registry.
  const entry = `
    import { workerMain } from ${JSON.stringify(join(root, 'src/scale/node/worker-main.ts'))};
    ${tasks ? `import ${JSON.stringify(resolve(tasks))};` : ''}
    await workerMain(${JSON.stringify(rest)});
  `;
  // Several workers may start at once from one checkout: each writes its own bundle and removes it once loaded.
  const outfile = join(root, `dist/run/worker-${process.pid}.mjs`);
  await bundleForNode(entry, outfile, {
    external: nodeExternals,
    alias: { tellus: join(root, 'src/index.ts') },
  });
  try {
    await import(pathToFileURL(outfile).href);
  } finally {
    unlinkSync(outfile);
  }
  // The worker exits on SIGTERM/SIGINT once its tasks are done.
  await new Promise(() => {});
}

async function serveCmd(args) {
  const i = args.indexOf('--port');
  const port = i >= 0 ? args[i + 1] : '8080';
  if (!/^\d+$/.test(port ?? '') || Number(port) > 65535) throw new Error(`tellus serve --port: expected a port number, got ${port}`);
  const { buildApp, serveApp } = await import(pathToFileURL(join(root, 'app/build.mjs')).href);
  const dir = await buildApp();
  const { url } = await serveApp({ dir, port: Number(port) });
  console.log(`serving ${dir} on ${url} (Ctrl-C stops it)`);
  console.log('WebGPU: Chrome/Chromium on Linux needs --enable-unsafe-webgpu (and, without a GPU, --use-webgpu-adapter=swiftshader)');
  // The server keeps the process alive.
  await new Promise(() => {});
}

const usage =
  'usage: tellus profile <script> [--trace out.json] [--json report.json] [--every N] [--no-sites] [--calibrate] | tellus calibrate | tellus bench [--all] | tellus worker --redis URL [--concurrency N] [--shared DIR] [--tasks file.ts] | tellus serve [--port N]';

try {
  if (cmd === 'profile') await profileCmd(rest);
  else if (cmd === 'calibrate') await calibrateCmd();
  else if (cmd === 'serve') await serveCmd(rest);
  else if (cmd === 'worker') await workerCmd(rest);
  else if (cmd === 'bench') {
    // --all: Node, Deno and headless Chromium one after another; otherwise Node only.
    const args = rest.includes('--all') ? [join(root, 'bench/all.mjs')] : ['--expose-gc', join(root, 'dist/bench/node.js'), ...rest];
    if (!rest.includes('--all')) await (await import(pathToFileURL(join(root, 'bench/build.mjs')).href)).buildBench('node');
    process.exit(spawnSync('node', args, { stdio: 'inherit', cwd: root }).status ?? 1);
  } else {
    console.error(usage);
    process.exit(2);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
process.exit(0);
