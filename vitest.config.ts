import { defineConfig } from 'vitest/config';

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
    // Dawn is a native addon: keep it in child processes, not worker threads.
    pool: 'forks',
    // 2 cores, and Dawn busy-spins a core while a GPU promise is pending.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
