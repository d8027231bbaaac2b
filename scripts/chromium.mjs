// Headless Debian chromium with WebGPU on SwiftShader: the binary and flags shared by the Chromium
// benchmark runner (puppeteer, launchChromium below) and vitest's browser mode
// (vitest.chromium.config.ts, through Playwright). Chromium brings its own SwiftShader, picked by
// --use-webgpu-adapter=swiftshader; no VK_ICD_FILENAMES is involved (that is Dawn-on-Node's).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The browser binary: $CHROMIUM, else Debian's. */
export const chromiumPath = () => process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet headless run with WebGPU on SwiftShader (the launcher adds --headless). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
];

/** Launches it with puppeteer; returns the browser and a close() that also removes its profile dir. */
export async function launchChromium({ prefix, timeoutMs, extraArgs = [] }) {
  const { default: puppeteer } = await import('puppeteer-core');
  const userDataDir = mkdtempSync(join(tmpdir(), prefix));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    userDataDir,
    protocolTimeout: timeoutMs + 60_000,
    args: ['--headless', ...chromiumArgs, ...extraArgs],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
