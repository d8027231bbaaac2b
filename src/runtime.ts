// The process-wide engine context: one device, its kernel registry and its scheduler.
import { acquire, type DeviceInfo, type InitOptions } from './gpu/device.js';
import { KernelRegistry } from './gpu/kernels.js';
import { shaderSources } from './gpu/shaders.js';
import { type MemoryStats, Scheduler } from './graph/scheduler.js';

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

/** Acquires a device (hardware first, software otherwise), compiles every kernel, and reports what it got. */
export function init(opts: TellusInitOptions = {}): Promise<DeviceInfo> {
  if (ctx && !ctx.scheduler.lostInfo()) return Promise.resolve(ctx.info);
  starting ??= (async () => {
    try {
      const gpu = await acquire(opts);
      const kernels = new KernelRegistry(gpu.device);
      for (const [file, code] of Object.entries(shaderSources())) kernels.addSource(file, code, `shaders/${file}`);
      await kernels.compileAll();
      const scheduler = new Scheduler(gpu, kernels, opts.poolBytes ?? 256 << 20);
      ctx = { device: gpu.device, info: gpu.info, kernels, scheduler, generation: ++generation };
      return gpu.info;
    } finally {
      starting = null;
    }
  })();
  return starting;
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
}

export function debug(opts: DebugOptions): void {
  const s = context().scheduler;
  if (opts.poisonOutputs !== undefined) s.poisonOutputs = opts.poisonOutputs;
  if (opts.reductions !== undefined) s.reductions = opts.reductions;
}

/** Starts a new peak: memory().peakBytes then reports the high-water mark from now on. */
export function resetPeakMemory(): void {
  context().scheduler.pool.resetPeak();
}

/** Memory and scheduling statistics: bytes live in tensors, bytes idle in the pool, peak, counts. */
export function memory(): MemoryStats {
  return context().scheduler.stats();
}
