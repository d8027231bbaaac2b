// The process-wide engine context: one device, its kernel registry and its scheduler. Owned by the
// graph layer, so ops and everything above reach the device without importing the package root.
import { acquire, type DeviceInfo, type InitOptions } from '../gpu/device.js';
import { KernelRegistry, registeredShaders } from '../gpu/kernels.js';
import { type MemoryStats, Scheduler } from './scheduler.js';
import { argError, checkOptions, optionNames } from './options.js';

export interface Context {
  device: GPUDevice;
  info: DeviceInfo;
  kernels: KernelRegistry;
  scheduler: Scheduler;
  /** Bumped on every init(): tensors from an earlier device are rejected, not silently misused. */
  generation: number;
}

export interface TellusInitOptions extends InitOptions {
  /** Most bytes the buffer pool keeps idle (default 256 MiB). */
  poolBytes?: number;
}

const INIT_OPTIONS = optionNames<TellusInitOptions>()('powerPreference', 'dawnToggles', 'vulkanIcd', 'poolBytes');
const DEBUG_OPTIONS = optionNames<DebugOptions>()('poisonOutputs', 'reductions', 'matmulBlocks');

let ctx: Context | null = null;
let deferredDestroy = false;

/** profile() calls this when it ends: a destroy() requested inside it happens now. */
export function finishDeferredDestroy(): void {
  if (!deferredDestroy) return;
  deferredDestroy = false;
  destroy();
}
let generation = 0;
let starting: Promise<DeviceInfo> | null = null;
// Bumped by destroy(): an init() that was in flight then does not install the device it acquires.
let epoch = 0;

/**
 * Acquires a device (hardware first, software otherwise), compiles every registered kernel, and reports what it got.
 * `destroy(); init()` needs no await in between: destroy() is synchronous, so init() starts a fresh device. A destroy()
 * while an init() is still starting wins: that init() releases what it acquired and rejects, and a later init() starts anew.
 */
export function init(opts: TellusInitOptions = {}): Promise<DeviceInfo> {
  try {
    checkOptions(opts, INIT_OPTIONS, 'init(opts)');
  } catch (e) {
    return Promise.reject(e);
  }
  // Inside profile() a destroy() waits for the profile to end: handing back that device would give a dead context soon after.
  if (deferredDestroy) {
    return Promise.reject(
      new Error(
        'tellus: init(): destroy() was called inside profile() and happens when the profile ends; call init() after profile() resolves',
      ),
    );
  }
  if (ctx && !ctx.scheduler.lostInfo()) return Promise.resolve(ctx.info);
  if (starting) return starting;
  const mine = epoch;
  const cancelled = (device: GPUDevice): Error => {
    device.destroy();
    return new Error(
      'tellus: init(): destroy() was called before this init() finished; the device it acquired is released, call init() again',
    );
  };
  let p: Promise<DeviceInfo> | null = null;
  p = (async () => {
    try {
      // Yield first, so `starting` holds this promise before anything below can finish it.
      await Promise.resolve();
      const gpu = await acquire(opts);
      if (epoch !== mine) throw cancelled(gpu.device);
      const kernels = new KernelRegistry(gpu.device);
      for (const [file, code] of registeredShaders()) kernels.addSource(file, code, `shaders/${file}`);
      await kernels.compileAll();
      if (epoch !== mine) throw cancelled(gpu.device);
      const scheduler = new Scheduler(gpu, kernels, opts.poolBytes ?? 256 << 20);
      ctx = { device: gpu.device, info: gpu.info, kernels, scheduler, generation: ++generation };
      return gpu.info;
    } finally {
      // Only this start's own slot: after a destroy() a newer init() may own it.
      if (starting === p) starting = null;
    }
  })();
  starting = p;
  return p;
}

/**
 * Every copy of the engine loaded in this process (a bundle imported by path beside the package, a
 * second bundle), so that profile() can tell when the work it was asked to watch ran through another
 * copy, which it cannot see. Keyed on a global symbol, the one thing all copies share.
 */
interface EngineCopy {
  readonly id: number;
  dispatches(): number;
}
const copies: EngineCopy[] = ((globalThis as Record<symbol, EngineCopy[]>)[Symbol.for('tellus.engines')] ??= []);
const self: EngineCopy = { id: copies.length, dispatches: () => ctx?.scheduler.stats().dispatches ?? 0 };
copies.push(self);

/** Dispatches recorded so far by each other copy of the engine in this process. */
export function otherEngineDispatches(): number[] {
  return copies.filter((c) => c !== self).map((c) => c.dispatches());
}

export function context(): Context {
  if (!ctx) throw new Error('tellus: no device yet: call `await init()` before creating tensors');
  ctx.scheduler.checkAlive();
  return ctx;
}

export function hasContext(): boolean {
  return ctx !== null;
}

/** Releases every GPU resource; tensors created before become unusable. */
export function destroy(): void {
  if (starting && !ctx?.scheduler.profiler) {
    epoch++;
    starting = null;
  }
  if (!ctx) return;
  // Inside profile() the report still needs the device: destroy when the profile ends.
  if (ctx.scheduler.profiler) {
    deferredDestroy = true;
    return;
  }
  ctx.scheduler.destroy();
  ctx.device.destroy();
  ctx = null;
}

/** The underlying GPUDevice, for interop with other WebGPU code. */
export function getDevice(): GPUDevice {
  return context().device;
}

/** What init() acquired. */
export function deviceInfo(): DeviceInfo {
  return context().info;
}

/** Submits pending work without waiting for it. */
export function flush(): void {
  context().scheduler.flush();
}

/** Submits pending work, waits for the device to finish it, and reports GPU errors. */
export async function sync(): Promise<void> {
  await context().scheduler.sync();
}

export interface DebugOptions {
  /** Fill every new output buffer with a NaN pattern before its kernel runs (tests use this to catch unwritten elements). */
  poisonOutputs?: boolean;
  /**
   * Reduction kernels: 'auto' picks per adapter (workgroup tree reductions on GPUs, one thread per
   * output on CPU adapters); the others force one path, so tests cover both on any machine.
   */
  reductions?: 'auto' | 'thread' | 'workgroup';
  /**
   * matmul's vec4 kernel: 'auto' takes 8x8 blocks of the output per invocation on CPU adapters and
   * for large outputs, else 4x4; the others force one, so tests cover both on any machine.
   */
  matmulBlocks?: 'auto' | '4x4' | '8x8';
}

export function debug(opts: DebugOptions): void {
  checkOptions(opts, DEBUG_OPTIONS, 'debug(opts)');
  const s = context().scheduler;
  if (opts.poisonOutputs !== undefined) s.poisonOutputs = opts.poisonOutputs;
  if (opts.reductions !== undefined) s.reductions = opts.reductions;
  if (opts.matmulBlocks !== undefined) {
    if (!['auto', '4x4', '8x8'].includes(opts.matmulBlocks)) {
      throw argError('debug(opts)', 'matmulBlocks', "'auto', '4x4' or '8x8'", opts.matmulBlocks);
    }
    s.matmulBlocks = opts.matmulBlocks;
  }
}

/** Starts a new peak: memory().peakBytes then reports the high-water mark from now on. */
export function resetPeakMemory(): void {
  context().scheduler.pool.resetPeak();
}

/** Memory and scheduling statistics: bytes live in tensors, bytes idle in the pool, peak, counts. */
export function memory(): MemoryStats {
  return context().scheduler.stats();
}
