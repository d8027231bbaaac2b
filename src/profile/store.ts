// Where calibrate() keeps its measurements between sessions, keyed by adapter description: a JSON
// file in Node and Deno ($TELLUS_CACHE_DIR, else $XDG_CACHE_HOME/tellus, else ~/.cache/tellus), and
// localStorage in browsers. Every access is synchronous, so roofline() stays synchronous, and every
// failure (no permission, no home, private browsing) degrades to "not stored", never to an error.
import { context } from '../graph/context.js';

const KEY = 'tellus.roofline';

interface Fs {
  readFileSync(path: string, enc: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
  mkdirSync(path: string, opts: { recursive: true }): unknown;
}
interface Host {
  process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
  Deno?: {
    env: { get(k: string): string | undefined };
    readTextFileSync(p: string): string;
    writeTextFileSync(p: string, d: string): void;
    mkdirSync(p: string, o: { recursive: true }): void;
  };
  localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void };
}
const host = globalThis as Host;

function fileStore(): { dir: string; fs: Fs } | null {
  const deno = host.Deno;
  const env = (k: string): string | undefined => {
    try {
      return deno ? deno.env.get(k) : host.process?.env?.[k];
    } catch {
      return undefined; // Deno without --allow-env
    }
  };
  const fs: Fs | null = deno
    ? {
        readFileSync: (p) => deno.readTextFileSync(p),
        writeFileSync: (p, d) => deno.writeTextFileSync(p, d),
        mkdirSync: (p, o) => deno.mkdirSync(p, o),
      }
    : ((host.process?.getBuiltinModule?.('node:fs') as Fs | undefined) ?? null);
  const base = env('TELLUS_CACHE_DIR') ?? (env('XDG_CACHE_HOME') ?? (env('HOME') ? `${env('HOME')}/.cache` : undefined))?.concat('/tellus');
  return fs && base ? { dir: base, fs } : null;
}

/** Web Storage only in pages: Deno and newer Node have a localStorage of their own, but files suit them better. */
const browserStorage = (): Host['localStorage'] | null => (host.Deno || host.process ? null : (host.localStorage ?? null));

type Stored = Record<string, Roofline>;

function readAll(): Stored {
  try {
    const f = fileStore();
    if (f) return JSON.parse(f.fs.readFileSync(`${f.dir}/roofline.json`, 'utf8')) as Stored;
    return JSON.parse(browserStorage()?.getItem(KEY) ?? '{}') as Stored;
  } catch {
    return {};
  }
}

/** The stored calibration of `device`, if any (checked field by field: the file is user-editable). */
export function loadRoofline(device: string): Roofline | null {
  const r = readAll()[device];
  const ok =
    r &&
    r.device === device &&
    [r.copyKernelGBs, r.copyBufferGBs, r.peakGflops].every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v));
  return ok ? r : null;
}

/** Stores `r` next to other adapters' calibrations. Returns where, or null where nothing could be written. */
export function saveRoofline(r: Roofline): string | null {
  const all = { ...readAll(), [r.device]: r };
  try {
    const f = fileStore();
    if (f) {
      f.fs.mkdirSync(f.dir, { recursive: true });
      f.fs.writeFileSync(`${f.dir}/roofline.json`, JSON.stringify(all, null, 2));
      return `${f.dir}/roofline.json`;
    }
    const ls = browserStorage();
    if (!ls) return null;
    ls.setItem(KEY, JSON.stringify(all));
    return `localStorage['${KEY}']`;
  } catch {
    return null;
  }
}

// ---- this session's calibration (calibrate() measures, the profiler reads) ----

export interface Roofline {
  device: string;
  /** GB/s moved (read + write) by a streaming vec4 copy kernel. */
  copyKernelGBs: number;
  /** GB/s moved (read + write) by copyBufferToBuffer. */
  copyBufferGBs: number;
  /** Peak float32 GFLOP/s (an FMA counts 2). */
  peakGflops: number;
  timing: 'timestamp' | 'wall';
  /** When it was measured (ISO 8601). */
  date: string;
}

let last: Roofline | null = null;
/** Devices whose stored calibration has been looked up this session (found or not). */
const looked = new Set<string>();

/** Forgets this session's calibration, as a new session would (tests). */
export function forgetRoofline(): void {
  last = null;
  looked.clear();
}

/** Called by calibrate() with its fresh measurement. */
export function rememberRoofline(r: Roofline): void {
  last = r;
}

/** This device's ceilings: from calibrate() in this session, else as stored by an earlier one; null if never measured. */
export function roofline(): Roofline | null {
  const device = context().info.description;
  if (last?.device === device) return last;
  if (looked.has(device)) return null;
  looked.add(device);
  return (last = loadRoofline(device) ?? last);
}
