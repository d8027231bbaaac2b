// Where dataset shards live: a tiny key-value interface over named byte arrays, so one generator
// writes to memory (tests), a directory (Node, examples/fno-wave/store-node.ts) or IndexedDB (the
// browser). A store's `put` must be all-or-nothing per name: resume trusts that a name it lists
// holds a whole file (the directory store writes a temporary file and renames it).
import { argError } from '../../graph/options.js';

export interface ShardStore {
  /** The bytes stored under `name`, or undefined when there are none. */
  get(name: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `name`, replacing what was there. */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The names stored, sorted. */
  list(): Promise<string[]>;
}

function checkName(fn: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || /[\\/]/.test(name))
    throw argError(fn, 'name', 'a non-empty string without slashes', name);
  return name;
}

/** A store in memory (copies in and out, so callers cannot alias what is stored). */
export class MemoryStore implements ShardStore {
  readonly files = new Map<string, Uint8Array>();
  get(name: string): Promise<Uint8Array | undefined> {
    const b = this.files.get(checkName('MemoryStore.get(name)', name));
    return Promise.resolve(b && b.slice());
  }
  put(name: string, bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw argError('MemoryStore.put(name, bytes)', 'bytes', 'a Uint8Array', bytes);
    this.files.set(checkName('MemoryStore.put(name, bytes)', name), bytes.slice());
    return Promise.resolve();
  }
  list(): Promise<string[]> {
    return Promise.resolve([...this.files.keys()].sort());
  }
}

const request = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('tellus: IndexedDB request failed'));
  });

/** A store in the browser's IndexedDB: database `dbName`, one object store `files` keyed by name. */
export class IndexedDBStore implements ShardStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(dbName: string): Promise<IndexedDBStore> {
    const fn = 'IndexedDBStore.open(dbName)';
    if (typeof dbName !== 'string' || dbName.length === 0) throw argError(fn, 'dbName', 'a non-empty string', dbName);
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!idb) throw new Error(`tellus: ${fn}: this runtime has no IndexedDB (use a directory store in Node or Deno)`);
    const req = idb.open(dbName, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    return new IndexedDBStore(await request(req));
  }

  private tx(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction('files', mode).objectStore('files');
  }
  async get(name: string): Promise<Uint8Array | undefined> {
    const v = (await request(this.tx('readonly').get(checkName('IndexedDBStore.get(name)', name)))) as ArrayBuffer | undefined;
    return v === undefined ? undefined : new Uint8Array(v);
  }
  async put(name: string, bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw argError('IndexedDBStore.put(name, bytes)', 'bytes', 'a Uint8Array', bytes);
    // One put is one transaction: it commits whole or not at all.
    await request(this.tx('readwrite').put(bytes.slice().buffer, checkName('IndexedDBStore.put(name, bytes)', name)));
  }
  async list(): Promise<string[]> {
    return ((await request(this.tx('readonly').getAllKeys())) as string[]).sort();
  }
  close(): void {
    this.db.close();
  }
  /** Deletes the whole database (tests, or starting over). */
  static async destroy(dbName: string): Promise<void> {
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (idb) await request(idb.deleteDatabase(dbName) as IDBRequest<unknown>);
  }
}
