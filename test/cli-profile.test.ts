// @node-only
// `tellus profile <script> [script flags] [--trace f] [--json f]`: the script sees only its own
// flags in process.argv (the FWI demo rejected 'profile' as one), an example that imports the
// BullMQ backend bundles (bullmq and ioredis stay external), and the report names the script's kernels.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('tellus profile (command line)', () => {
  it('passes the script its own flags, keeps bullmq external, and writes the JSON report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tellus-profile-'));
    const script = join(dir, 'script.ts');
    writeFileSync(
      script,
      [
        `import * as tl from ${JSON.stringify(join(root, 'src/index.ts'))};`,
        `import { BullBackend } from ${JSON.stringify(join(root, 'src/scale/node/bullmq.ts'))};`,
        `console.log('argv ' + JSON.stringify(process.argv.slice(2)) + ' ' + typeof BullBackend);`,
        'const y = tl.add(tl.ones([1024]), 2);',
        'console.log("value " + (await y.data())[0]);',
      ].join('\n'),
    );
    const json = join(dir, 'report.json');
    const r = spawnSync(
      process.execPath,
      [join(root, 'bin/tellus.mjs'), 'profile', script, '--iterations', '2', '--json', json, '--no-sites'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('argv ["--iterations","2"] function');
    expect(r.stdout).toContain('value 3');
    const report = JSON.parse(readFileSync(json, 'utf8')) as { rows: { label: string }[] };
    expect(report.rows.map((k) => k.label)).toContain('add');
  }, 120_000);
});
