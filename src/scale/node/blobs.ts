// Blobs for processes that share nothing but Redis and a folder: arrays up to `inlineLimit` bytes
// travel inside the task as base64; larger ones are written once to the shared folder under their
// SHA-256 (write to a temporary name, then rename: a reader never sees half a file) and travel as a
// file name. Node only.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { argError } from '../../graph/options.js';
import type { BlobRef, BlobStore } from '../task.js';

/** Default inline limit: 256 KiB (a 256 x 256 float32 model), well under Redis's comfort zone for a value. */
export const INLINE_LIMIT = 256 * 1024;

export class FolderBlobs implements BlobStore {
  constructor(
    readonly dir: string | null,
    readonly inlineLimit = INLINE_LIMIT,
  ) {
    if (dir !== null && (typeof dir !== 'string' || dir.length === 0))
      throw argError(
        'new FolderBlobs(dir, inlineLimit)',
        'dir',
        'a folder path every worker can read and write (or null: inline only)',
        dir,
      );
    if (!Number.isInteger(inlineLimit) || inlineLimit < 0)
      throw argError('new FolderBlobs(dir, inlineLimit)', 'inlineLimit', 'a non-negative integer (bytes)', inlineLimit);
  }

  async put(bytes: Uint8Array): Promise<BlobRef> {
    if (!(bytes instanceof Uint8Array)) throw argError('FolderBlobs.put(bytes)', 'bytes', 'a Uint8Array', bytes);
    if (bytes.length <= this.inlineLimit)
      return { inline: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
    if (this.dir === null)
      throw new Error(
        `tellus: FolderBlobs.put(bytes): ${bytes.length} bytes is over the inline limit of ${this.inlineLimit} and no shared folder was given (--shared DIR)`,
      );
    const name = `${createHash('sha256').update(bytes).digest('hex')}.bin`;
    const path = join(this.dir, name);
    const have = await stat(path).catch(() => null);
    if (have?.size !== bytes.length) {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return { file: name, bytes: bytes.length };
  }

  async get(ref: BlobRef): Promise<Uint8Array> {
    if (ref && 'inline' in ref && typeof ref.inline === 'string') return new Uint8Array(Buffer.from(ref.inline, 'base64'));
    if (ref && 'file' in ref && typeof ref.file === 'string' && /^[0-9a-f]{64}\.bin$/.test(ref.file)) {
      if (this.dir === null)
        throw new Error(`tellus: FolderBlobs.get(ref): blob ${ref.file} is a file but this process has no shared folder (--shared DIR)`);
      const b = await readFile(join(this.dir, ref.file)).catch((e: Error) => {
        throw new Error(
          `tellus: FolderBlobs.get(ref): cannot read ${join(this.dir!, ref.file)} (is --shared the same folder on every machine?): ${e.message}`,
        );
      });
      if (b.length !== ref.bytes)
        throw new Error(`tellus: FolderBlobs.get(ref): ${ref.file} holds ${b.length} bytes, expected ${ref.bytes}`);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    throw argError('FolderBlobs.get(ref)', 'ref', 'an { inline } or { file, bytes } reference', ref);
  }
}
