// Headless Debian chromium with WebGPU on SwiftShader, shared by the Chromium test runner and the
// Chromium benchmark runner. Returns the browser and a close() that also removes its profile dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export async function launchChromium({ prefix, timeoutMs }) {
  const userDataDir = mkdtempSync(join(tmpdir(), prefix));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    protocolTimeout: timeoutMs + 60_000,
    args: [
      '--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
    ],
  });
  return { browser, close: async () => { await browser.close().catch(() => {}); rmSync(userDataDir, { recursive: true, force: true }); } };
}
