// The suite in headless Debian Chromium, WebGPU on SwiftShader, via vitest's browser mode:
//   vitest run --config vitest.chromium.config.ts [files]
// Playwright drives the system browser (scripts/chromium.mjs: $CHROMIUM, else /usr/bin/chromium,
// and its flags), so no Playwright browser download is needed. See docs/testing.md.
import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './scripts/chromium.mjs';
import base, { nodeOnly } from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...nodeOnly],
      // The page has no environment: test/browser/setup.ts hands TELLUS_TEST_SEED over.
      setupFiles: ['test/browser/setup.ts'],
      provide: { TELLUS_TEST_SEED: process.env.TELLUS_TEST_SEED ?? '' },
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } }),
        instances: [{ browser: 'chromium' }],
      },
    },
  }),
);
