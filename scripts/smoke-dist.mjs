// Smoke test of the shipped bundle, dist/tellus.js (build it first: `node scripts/build.mjs`): load
// it in the runtime running this script and compute one op on the device. The test suite runs the
// TypeScript sources through vitest; this checks that the esbuild bundle itself loads and works.
//   deno run -A scripts/smoke-dist.mjs      (or: node scripts/smoke-dist.mjs)
const exit = (code) => (globalThis.Deno ? globalThis.Deno.exit(code) : process.exit(code));
try {
  const tl = await import(new URL('../dist/tellus.js', import.meta.url).href);
  const info = await tl.init();
  const a = tl.tensor([1, 2, 3, 4], { shape: [2, 2] });
  const got = Array.from(await tl.matmul(a, a).data());
  tl.destroy();
  if (JSON.stringify(got) !== '[7,10,15,22]') throw new Error(`matmul([[1,2],[3,4]]) squared gave ${JSON.stringify(got)}`);
  console.log(`dist/tellus.js on ${info.runtime} (${info.description}): ok`);
  exit(0);
} catch (e) {
  console.log(`✗ dist/tellus.js smoke test: ${e?.stack ?? e}`);
  exit(1);
}
