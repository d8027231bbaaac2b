// Browser mode (vitest.chromium.config.ts): the page has no environment, so hand TELLUS_TEST_SEED
// over where test/helpers.ts looks for it.
import { inject } from 'vitest';

(globalThis as { TELLUS_TEST_SEED?: string }).TELLUS_TEST_SEED = inject('TELLUS_TEST_SEED');

declare module 'vitest' {
  export interface ProvidedContext {
    TELLUS_TEST_SEED: string;
  }
}
