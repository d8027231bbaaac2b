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
// setImmediate for the first SPIN_MS of a burst, so short waits (a tiny op's read-back, 0.2 ms)
// keep their latency, and after that is re-armed with a POLL_MS timer, which sleeps in the event loop.
const SPIN_MS = 2;
const POLL_MS = 1;
/** A gap this long between native re-arms means the previous burst of polling ended. */
const BURST_GAP_MS = 20;

let installed = false;
let burstStart = 0;
let last = -Infinity;

/**
 * Marks the start of a wait the caller expects to be short (a read-back): Dawn's loop spins for
 * SPIN_MS from here, even when the previous wait ended a moment ago.
 */
export function beginWait(): void {
  burstStart = performance.now();
  last = burstStart;
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
    if (now - last > BURST_GAP_MS) burstStart = now;
    last = now;
    return now - burstStart < SPIN_MS ? realImmediate(fn, ...args) : realTimeout(fn, POLL_MS, ...args);
  };
  // util.promisify(setImmediate) and friends keep working through the original's properties.
  Object.assign(throttled, g.setImmediate);
  g.setImmediate = throttled;
}
