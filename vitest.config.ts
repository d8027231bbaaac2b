// Node (Dawn): `vitest run`. The same config runs the suite under Deno (its workers are then Deno
// processes with Deno's navigator.gpu): `deno run -A node_modules/vitest/vitest.mjs run`.
// Headless Chromium: vitest.chromium.config.ts. See docs/testing.md.
import { readdirSync, readFileSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/** Test files whose first line is `// @node-only ...`: they run on Node only. */
export const nodeOnly = readdirSync('test')
  .filter((f) => f.endsWith('.test.ts') && /^[ \t]*\/\/[ \t]*@node-only\b/.test(readFileSync(`test/${f}`, 'utf8')))
  .map((f) => `test/${f}`);

export default defineConfig({
  plugins: [
    {
      // `import src from './foo.wgsl'` -> the file's text, as esbuild's text loader does.
      name: 'wgsl-text',
      enforce: 'pre',
      transform(code, id) {
        if (id.endsWith('.wgsl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    exclude: 'Deno' in globalThis ? [...configDefaults.exclude, ...nodeOnly] : configDefaults.exclude,
    // Dawn is a native addon: keep it in child processes, not worker threads.
    pool: 'forks',
    // Two files at a time on CI's 2 cores. Measured on this 2-core machine (2026-12-07), against one
    // at a time: Node 817 -> 648 s, Deno 347 -> 211 s, Chromium 595 -> 550 s. (One at a time was
    // needed while Dawn's Node binding spun a core during every GPU wait: src/gpu/dawn-poll.ts.)
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
