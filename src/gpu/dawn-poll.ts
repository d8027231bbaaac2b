// Dawn's Node binding (npm 'webgpu') completes mapAsync and onSubmittedWorkDone by calling
// instance.ProcessEvents() from a setImmediate loop for as long as any such promise is pending:
// the JS thread spins at 100% of a core while the GPU works. On a software adapter the GPU *is*
// the CPU, so the spinning thread takes a core from SwiftShader's two workers: measured on 2 cores,
// a wait on three chained 2048^2 matmuls cost 15.8 s of main-thread CPU in 24.8 s, against 0.7 s
// in 16.6 s with the loop throttled as below; the FWI demo went from 6.3 to 3.9 s per iteration
// (docs/design.md, "Waiting on Dawn").
//
// The binding looks setImmediate up on the global object each time it re-arms its loop, so the
// loop can be slowed there: Dawn's callback (JavaScript callers are left alone) keeps real
// setImmediate for the first SPIN_MS of a wait, so short waits (a tiny op's read-back, 0.2 ms)
// keep their latency, and after that is re-armed with a POLL_MS timer, which sleeps in the event
// loop. A wait is one chain of re-arms: the callback re-arms from inside itself while work is
// pending, so a run that does not re-arm ends the chain, and the next re-arm starts a new wait.
// (A first version guessed wait boundaries from 20 ms gaps between re-arms: back-to-back waits of
// other Dawn users in the process, jax-js and tfjs in the benchmark, then polled on the timer from
// their first re-arm, 1.6 ms per tiny read-back instead of 0.2.)
const SPIN_MS = 2;
const POLL_MS = 1;

let installed = false;
let waitStart = 0;
let chainLive = false;
let rearmed = false;

/**
 * Marks the start of a wait the caller expects to be short (a read-back): Dawn's loop spins for
 * SPIN_MS from here, even when it was already polling for earlier work.
 */
export function beginWait(): void {
  waitStart = performance.now();
}

// Dawn's callback is an anonymous native function of no parameters (napi_create_function). A
// promise's resolve is native too but takes one, and bound functions have names: neither is slowed.
const isDawnPoll = (fn: unknown): boolean =>
  typeof fn === 'function' && fn.name === '' && fn.length === 0 && Function.prototype.toString.call(fn).endsWith('{ [native code] }');

/** Installs the throttle once per process (Node with Dawn only). */
export function throttleDawnPolling(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as {
    setImmediate: (fn: (...a: unknown[]) => void, ...args: unknown[]) => unknown;
    setTimeout: (fn: (...a: unknown[]) => void, ms: number, ...args: unknown[]) => unknown;
  };
  const realImmediate = g.setImmediate.bind(globalThis);
  const realTimeout = g.setTimeout.bind(globalThis);
  const throttled = (fn: (...a: unknown[]) => void, ...args: unknown[]): unknown => {
    if (!isDawnPoll(fn)) return realImmediate(fn, ...args);
    const now = performance.now();
    if (!chainLive) waitStart = now;
    chainLive = true;
    rearmed = true;
    const run = (): void => {
      rearmed = false;
      try {
        fn(...args);
      } finally {
        if (!rearmed) chainLive = false;
      }
    };
    return now - waitStart < SPIN_MS ? realImmediate(run) : realTimeout(run, POLL_MS);
  };
  // util.promisify(setImmediate) and friends keep working through the original's properties.
  Object.assign(throttled, g.setImmediate);
  g.setImmediate = throttled;
}
