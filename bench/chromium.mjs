#!/usr/bin/env node
// Runs the benchmarks in headless Debian Chromium (WebGPU on SwiftShader) and writes
// bench/results/chromium.json and chromium.md, streaming the page console to stdout.
//   node bench/chromium.mjs        (npm run bench:chromium)
// Env: CHROMIUM (browser binary, default /usr/bin/chromium), BENCH_TIMEOUT_MS (default 60 min),
// BENCH_FILTER (only the cases whose names contain it; nothing is written then).
import http from 'node:http';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/chromium.mjs';
import { buildBench } from './build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 60 * 60_000);
const bundle = await buildBench('browser');
const served = dirname(bundle) + sep;
const types = { '.js': 'text/javascript', '.map': 'application/json' };

// Serve an empty page at / and the bundle (dist/bench/) only.
const server = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/')
    return res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><meta charset="utf-8"><title>tellus bench</title><link rel="icon" href="data:,">');
  const file = resolve(root, '.' + path);
  try {
    if (!file.startsWith(served) || !statSync(file).isFile()) throw new Error();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
// 127.0.0.1 counts as a secure context, which navigator.gpu requires.
const origin = `http://127.0.0.1:${server.address().port}`;

// gc() in the page: bench/harness.ts collects before each library's timed runs.
const { browser, close } = await launchChromium({ prefix: 'tellus-bench-chromium-', timeoutMs, extraArgs: ['--js-flags=--expose-gc'] });

let exitCode = 1;
try {
  const runtime = `Chromium ${(await browser.version()).replace(/^.*\//, '')}`;
  const page = await browser.newPage();
  page.on('console', (msg) => console.log(msg.text()));
  page.on('pageerror', (err) => console.log(`uncaught error in page: ${err.stack ?? err}`));
  const crashed = new Promise((_, fail) => {
    page.on('error', (err) => fail(new Error(`page crashed: ${err.message}`)));
    browser.on('disconnected', () => fail(new Error('browser exited unexpectedly')));
    setTimeout(() => fail(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref();
  });
  await page.goto(`${origin}/`);
  const url = `${origin}/dist/bench/${bundle.split(sep).pop()}`;
  const { md, json } = await Promise.race([
    crashed,
    page.evaluate(
      async (url, runtime, filter) => {
        const { runBenchmarks } = await import(url);
        return runBenchmarks(runtime, filter);
      },
      url,
      runtime,
      process.env.BENCH_FILTER ?? '',
    ),
  ]);
  if (!process.env.BENCH_FILTER) {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/chromium.json'), json);
    writeFileSync(join(root, 'bench/results/chromium.md'), md);
  } else console.log(md);
  exitCode = 0;
} catch (err) {
  console.log(`chromium bench aborted: ${err.message}`);
} finally {
  await close();
  server.close();
}
process.exit(exitCode);
