// Runs the benchmarks in Deno (its built-in WebGPU) and writes bench/results/deno.json and deno.md.
//   npm run bench:deno   (bundles it with bench/build.mjs, then runs dist/bench/deno.js)
import { runBenchmarks } from './main.js';

declare const Deno: {
  version: { deno: string };
  env: { get(k: string): string | undefined };
  mkdirSync(p: string, o: object): void;
  writeTextFileSync(p: string, s: string): void;
};
const filter = Deno.env.get('BENCH_FILTER');
const { md, json } = await runBenchmarks(`Deno ${Deno.version.deno}`, filter);
if (!filter) {
  Deno.mkdirSync('bench/results', { recursive: true });
  Deno.writeTextFileSync('bench/results/deno.json', json);
  Deno.writeTextFileSync('bench/results/deno.md', md);
}
