// Runs the portable test bundle (dist-test/tests.js) in Deno, whose built-in
// navigator.gpu is wgpu (on llvmpipe without a GPU).
//   deno run -A test/portable/deno.mjs [name filter]
const strays = [];
// Deno exits on an uncaught error; count it as a failure instead and go on (as vitest does).
for (const type of ['error', 'unhandledrejection']) {
  globalThis.addEventListener(type, (e) => {
    e.preventDefault();
    const err = e.error ?? e.reason;
    strays.push(err);
    console.log(`✗ uncaught ${type === 'error' ? 'error' : 'rejection'}:\n${String(err?.stack ?? err).replace(/^/gm, '    ')}`);
  });
}

const { run } = await import(new URL('../../dist-test/tests.js', import.meta.url).href);
const { passed, failed, skipped } = await run({ filter: Deno.args[0] });
if (strays.length) {
  // Restate the summary so the last line counts the uncaught errors as failures.
  console.log(`${strays.length} uncaught error(s)`);
  console.log(`${passed} passed, ${failed + strays.length} failed${skipped ? `, ${skipped} skipped` : ''}`);
}
// Exit explicitly: an undestroyed GPU device would keep the event loop alive.
Deno.exit(failed || strays.length ? 1 : 0);
