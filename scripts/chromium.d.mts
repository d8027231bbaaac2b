// Types for scripts/chromium.mjs (imported by vitest.chromium.config.ts).
import type { Browser } from 'puppeteer-core';

export function chromiumPath(): string;
export const chromiumArgs: string[];
export function launchChromium(opts: { prefix: string; timeoutMs: number }): Promise<{ browser: Browser; close: () => Promise<void> }>;
