// Runs the portable test bundle (dist-test/tests.js) in headless Debian Chromium
// with WebGPU on SwiftShader, streaming the page console to stdout.
//   node test/portable/chromium.mjs [name filter]
// Env: CHROMIUM (browser binary, default /usr/bin/chromium), TEST_TIMEOUT_MS (default 30 min).
import http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../scripts/chromium.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const served = ['dist-test', 'dist'].map((d) => join(root, d) + sep);
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 30 * 60_000);
const filter = process.argv[2] ?? '';
const types = { '.js': 'text/javascript', '.map': 'application/json', '.wgsl': 'text/plain', '.html': 'text/html' };

const page_html = `<!doctype html><meta charset="utf-8"><title>tellus tests</title><link rel="icon" href="data:,">
<script type="module">
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned ' + (navigator.gpu ? 'null' : 'no navigator.gpu'));
    const { vendor, architecture, description } = adapter.info;
    console.log('adapter: ' + [vendor, architecture, description].filter(Boolean).join(' / '));
    // The page has no environment: pass the test seed setting on (see test/helpers.ts).
    globalThis.TELLUS_TEST_SEED = ${JSON.stringify(process.env.TELLUS_TEST_SEED ?? '')};
    const { run } = await import('/dist-test/tests.js');
    const { passed, failed, skipped } = await run({ filter: ${JSON.stringify(filter)} || undefined });
    await window.__tellusDone({ passed, failed, skipped });
  } catch (e) {
    await window.__tellusDone({ error: String(e?.stack ?? e) });
  }
</script>`;

// Serve the page at / and files under dist-test/ and dist/ only.
const server = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page_html);
  const file = resolve(root, '.' + path);
  try {
    if (!served.some((d) => file.startsWith(d)) || !statSync(file).isFile()) throw new Error();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
// 127.0.0.1 counts as a secure context, which navigator.gpu requires.
const origin = `http://127.0.0.1:${server.address().port}`;

// Stack frames point into the bundle; map them back to test/*.ts and src/*.ts.
let sourceMap;
try {
  sourceMap = new SourceMap(JSON.parse(readFileSync(join(root, 'dist-test/tests.js.map'), 'utf8')));
} catch {}
const bundleFrame = new RegExp(`${origin.replace(/[.:/]/g, '\\$&')}/dist-test/tests\\.js:(\\d+):(\\d+)`, 'g');
const mapStack = (text) =>
  !sourceMap ? text : text
    .replace(bundleFrame, (m, line, col) => {
      const e = sourceMap.findEntry(line - 1, col - 1);
      return e?.originalSource ? `${e.originalSource.replace(/^(\.\.\/)+/, '')}:${e.originalLine + 1}:${e.originalColumn + 1}` : m;
    })
    // Runner frames (the shim, the page's bootstrap script) are noise.
    .split('\n').filter((l) => !/^\s+at .*(vitest-shim\.ts|127\.0\.0\.1:\d+\/):\d+/.test(l)).join('\n');

const { browser, close } = await launchChromium({ prefix: 'tellus-chromium-', timeoutMs });

let exitCode = 1;
try {
  const page = await browser.newPage();
  let finish, abort;
  const done = new Promise((ok, fail) => ((finish = ok), (abort = fail)));
  // Uncaught errors fail the run (as in vitest) but do not stop it; a crash does.
  const pageErrors = [];
  await page.exposeFunction('__tellusDone', (result) => finish(result));
  page.on('console', (msg) => console.log(mapStack(msg.text())));
  page.on('pageerror', (err) => {
    pageErrors.push(err);
    console.log(`✗ uncaught error in page:\n${mapStack(err.stack ?? String(err)).replace(/^/gm, '    ')}`);
  });
  page.on('error', (err) => abort(new Error(`page crashed: ${err.message}`)));
  browser.on('disconnected', () => abort(new Error('browser exited unexpectedly')));
  page.on('requestfailed', (req) => console.log(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  setTimeout(() => abort(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref();
  await page.goto(`${origin}/`);
  const result = await done;
  if (result.error) throw new Error(mapStack(result.error));
  if (pageErrors.length) {
    // Restate the summary so the last line counts the uncaught errors as failures.
    const { passed, failed, skipped } = result;
    console.log(`${pageErrors.length} uncaught error(s) in page`);
    console.log(`${passed} passed, ${failed + pageErrors.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
  exitCode = result.failed || pageErrors.length ? 1 : 0;
} catch (err) {
  console.log(`✗ chromium run aborted: ${err.message}`);
  console.log('0 passed, 1 failed');
} finally {
  await close();
  server.close();
}
process.exit(exitCode);
