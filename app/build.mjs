// Builds the browser app into dist/app/ (esbuild: one module per page plus shared chunks, the HTML
// and CSS copied) and serves it over a small local http server. `tellus serve` and
// test/app.test.ts use both.
import * as esbuild from 'esbuild';
import http from 'node:http';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

/** The pages: app/<name>.html and its script app/<name>.ts. */
export const PAGES = ['index', 'wavefield', 'fwi', 'fno', 'workflows', 'profiler'];

/** Builds the app into `outdir` (default dist/app) and returns that directory. */
export async function buildApp({ outdir = join(root, 'dist/app') } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: PAGES.map((p) => join(here, `${p}.ts`)),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    mainFields: ['browser', 'module', 'main'],
    loader: { '.wgsl': 'text' },
    // Dawn for Node loads only on Node, via a dynamic import the browser never reaches.
    external: ['webgpu', 'node:*'],
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    keepNames: true,
    logLevel: 'warning',
  });
  for (const f of [...PAGES.map((p) => `${p}.html`), 'style.css']) copyFileSync(join(here, f), join(outdir, f));
  return outdir;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
};

/**
 * Serves `dir` on http://localhost:port (port 0: a free one) from 127.0.0.1 only, which browsers
 * count as a secure context (navigator.gpu needs one). Returns the URL and close().
 */
export async function serveApp({ dir = join(root, 'dist/app'), port = 8080, host = '127.0.0.1' } = {}) {
  const base = resolve(dir) + sep;
  const server = http.createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return res.writeHead(400).end('bad request');
    }
    const file = resolve(base, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    try {
      if (!file.startsWith(base) || !statSync(file).isFile()) throw new Error('not found');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(undefined));
  });
  const url = `http://localhost:${server.address().port}/`;
  return { url, server, close: () => new Promise((ok) => server.close(() => ok(undefined))) };
}
