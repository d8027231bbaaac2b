// A ShardStore on a directory (Node): each name is a file; put writes a temporary file and renames
// it, so an interrupted write never leaves a partial file under the real name.
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tl from '../../src/index.js';

export class DirStore implements tl.ShardStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  get(name: string): Promise<Uint8Array | undefined> {
    const p = join(this.dir, name);
    return Promise.resolve(existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined);
  }
  put(name: string, bytes: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.dir, name));
    return Promise.resolve();
  }
  list(): Promise<string[]> {
    return Promise.resolve(
      readdirSync(this.dir)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    );
  }
}
