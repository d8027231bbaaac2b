// The examples' command lines: `--name value` pairs, unknown names rejected with the closest known one.
import { closestName } from '../../src/graph/options.js';

export function parseArgs(program: string, argv: readonly string[], known: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    if (!flag.startsWith('--')) throw new Error(`${program}: expected an option --name, got ${flag}`);
    const k = flag.slice(2);
    if (!known.includes(k)) {
      const near = closestName(k, known);
      throw new Error(
        `${program}: unknown option --${k}${near ? ` (did you mean --${near}?)` : ''}; known: ${known.map((a) => `--${a}`).join(' ')}`,
      );
    }
    if (i + 1 >= argv.length) throw new Error(`${program}: --${k} needs a value`);
    args.set(k, argv[i + 1]!);
  }
  return args;
}

/** A positive number from --k, or the fallback. */
export function positive(program: string, args: Map<string, string>, k: string, fallback: number): number {
  const v = args.has(k) ? Number(args.get(k)) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${program}: --${k}: expected a positive number, got ${args.get(k)}`);
  return v;
}
