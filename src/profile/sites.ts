// User-facing call sites for profiled graph nodes: the first stack frame outside Tellus's own code.
// Stacks are captured as Error objects at record time (cheap: engines format them lazily) and
// turned into 'file:line:col' only when a report is built.

// Frame locations in V8 ('at f (url:1:2)', 'at url:1:2'), SpiderMonkey and JavaScriptCore ('f@url:1:2').
// A query is dropped: Vite's dev server (vitest's browser mode) serves modules as 'x.ts?import&v=1'.
const FRAME = /(?:\(|\bat |@)((?:[a-z][a-z0-9+.-]*:\/\/|\/)[^()\s?]*?|[A-Za-z]:\\[^()\s?]*?)(?:\?[^()\s]*?)?:(\d+):(\d+)\)?\s*$/;

function location(line: string): string | null {
  const m = FRAME.exec(line.trim());
  return m ? `${m[1]}:${m[2]}:${m[3]}` : null;
}

/**
 * Where Tellus's own frames come from. Run from sources (tests, source maps), this file lives at
 * .../src/profile/sites.ts and every engine file sits under .../src/; run from a bundle, the bundle
 * file is the engine (and user code bundled into it cannot be told apart, so it has no sites).
 */
const ownCode: ((file: string) => boolean) | null = (() => {
  const here = (new Error().stack ?? '')
    .split('\n')
    .map(location)
    .find((l) => l !== null);
  if (!here) return null;
  const file = here.replace(/:\d+:\d+$/, '');
  const src = /^(.*[\\/]src[\\/])profile[\\/]sites\.[cm]?[jt]s$/.exec(file);
  return src ? (f: string) => f.startsWith(src[1]!) : (f: string) => f === file;
})();

const runtimeFrame = /node:internal|node_modules[\\/](vitest|@vitest|tinypool)|ext:(core|deno)|<anonymous>/;

/** 'path/to/user.ts:12:5' for the innermost frame that is neither Tellus nor a test runner's, else undefined. */
export function callSite(e: Error | undefined): string | undefined {
  if (!e || !ownCode) return undefined;
  for (const line of (e.stack ?? '').split('\n')) {
    const loc = location(line);
    if (!loc) continue;
    const file = loc.replace(/:\d+:\d+$/, '');
    if (ownCode(file) || runtimeFrame.test(file)) continue;
    return loc.replace(/^file:\/\//, '');
  }
  return undefined;
}
