// Lazy graph scheduler. Ops record nodes; flush() encodes every pending node into one command
// encoder and one compute pass, plans intermediate buffers by liveness (a buffer whose last reader
// has been encoded is reused by later nodes of the same pass: dispatches in a pass run in order),
// packs every node's uniforms into one buffer, and submits once. Nodes whose results nobody can
// observe are dropped before encoding.
import {
  checkUniforms,
  type DType,
  type Kernel,
  type KernelRegistry,
  type UniformValues,
  elementAccepts,
  packUniforms,
} from '../gpu/kernels.js';
import { BufferPool, formatBytes, type PoolStats } from '../gpu/pool.js';
import { DeviceLostError, type Gpu } from '../gpu/device.js';
import { type Elementwise, fuseElementwise } from './fusion.js';
import { beginWait } from '../gpu/dawn-poll.js';

/** What the scheduler asks of a profiler: timestamp slots per dispatch, and hooks around the submit. */
export interface FlushProfiler {
  beginFlush(encoder: GPUCommandEncoder, nodes: Node[]): { writes(i: number): GPUComputePassTimestampWrites | undefined } | undefined;
  /** Whether record() should capture the user's call stack on each node (formatted only at report time). */
  readonly callSites: boolean;
  endFlush(encoder: GPUCommandEncoder): void;
  submitted(): void;
}

let nextStorageId = 1;

/** A GPU buffer-to-be: written by pending nodes, referenced by tensors (refs) and pending nodes (uses). */
export class Storage {
  readonly id = nextStorageId++;
  buffer: GPUBuffer | null = null;
  /** Tensor handles that can still read this storage. */
  refs = 0;
  /** Pending (unsubmitted) nodes that read or write it. */
  uses = 0;
  /** Host copy of uploaded data (see hostValues); dropped once a kernel writes the storage. */
  host?: Float32Array | Int32Array | Uint32Array;
  constructor(
    readonly bytes: number,
    readonly dtype: DType,
  ) {}
}

export interface Node {
  kernel: Kernel;
  overrides: Record<string, number>;
  /** Storage bound to each non-uniform binding, by the shader's variable name. */
  bind: Record<string, Storage>;
  uniforms: UniformValues;
  grid: [number, number, number];
  label: string;
  /** Declared traffic and arithmetic, for the profiler's roofline figures. */
  bytes: number;
  flops: number;
  /** Elementwise ops carry their description; fusion turns them into program nodes at flush time. */
  ew?: Elementwise;
  /** Generated body for the kernel's `// <program>` section (fused elementwise programs). */
  body?: string;
  /**
   * Zero the one storage the kernel writes with the encoder's clearBuffer instead of dispatching it
   * (the kernel and uniforms describe the equivalent dispatch). A memset on CPU adapters: measured
   * 50x the fill kernel's bandwidth on SwiftShader.
   */
  clear?: boolean;
  /**
   * Copy bytes between the storages bound as `src` and `dst` with the encoder's copyBufferToBuffer
   * instead of dispatching the (equivalent) kernel: a memcpy on CPU adapters.
   */
  copy?: BufferCopy;
  /** Stack at record time, captured only while a profile with call sites records (see src/profile/sites.ts). */
  site?: Error;
}

/** A buffer-to-buffer copy node: binding names and byte offsets (multiples of 4). */
export interface BufferCopy {
  src: string;
  dst: string;
  srcOffset: number;
  dstOffset: number;
  bytes: number;
}

export interface MemoryStats extends PoolStats {
  pendingNodes: number;
  flushes: number;
  dispatches: number;
  /** Buffer-to-buffer copies encoded in place of a dispatch (Node.copy). */
  copies: number;
  pipelines: number;
}

/**
 * Device-side error flags that kernels set (atomicOr) instead of writing garbage; checked at every
 * read-back. Each op module registers its own messages and passes the bit to its kernel as a constant.
 */
const statusMessages: string[] = [];

/** Allocates a status bit for `message` (the same message gets the same bit); returns the bit's value. */
export function registerStatusFlag(message: string): number {
  let k = statusMessages.indexOf(message);
  if (k < 0) {
    if (statusMessages.length === 32)
      throw new Error(`tellus: registerStatusFlag(message): all 32 status bits are taken, cannot add "${message}"`);
    k = statusMessages.push(message) - 1;
  }
  return (1 << k) >>> 0;
}

/** The registered messages whose bits are set in `flags`. */
export function statusMessagesOf(flags: number): string[] {
  return statusMessages.filter((_, k) => (flags >>> k) & 1);
}

const MAX_PENDING = 4096;

/**
 * The current stack, deep enough to reach user code from inside a backward pass (V8 keeps 10 frames
 * by default). Engines capture frames here but format them only when .stack is read, at report time.
 */
function captureStack(): Error {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 64;
  const e = new Error();
  E.stackTraceLimit = limit;
  return e;
}

/** Word written over every freshly planned output when poisoning is on: a NaN as float32, an unlikely int. */
export const POISON_WORD = 0x7fbadbad;

export class Scheduler {
  readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly uniformPool: BufferPool;
  private pending: Node[] = [];
  private flushes = 0;
  private dispatches = 0;
  private copies = 0;
  /** Submits issued, and how many of them are known to have finished (a read-back or sync() saw it). */
  private submitsIssued = 0;
  private submitsDone = 0;
  private errorChecks: Promise<string | null>[] = [];
  /** Debug aid for tests: fill each output buffer with POISON_WORD before its kernel runs, so unwritten elements show. */
  poisonOutputs = false;
  /** Set while a profile() scope is recording. */
  profiler: FlushProfiler | null = null;
  /** See DebugOptions.reductions. */
  reductions: 'auto' | 'thread' | 'workgroup' = 'auto';
  /** See DebugOptions.matmulBlocks. */
  matmulBlocks: 'auto' | '4x4' | '8x8' = 'auto';
  /** One word of status flags (see registerStatusFlag), bound to kernels that validate data on the device. */
  readonly status: Storage;

  constructor(
    private readonly gpu: Gpu,
    readonly kernels: KernelRegistry,
    poolBytes: number,
  ) {
    const U = GPUBufferUsage;
    const device = gpu.device;
    const maxBuffer = gpu.info.limits.maxBufferSize ?? 268435456;
    const maxBufferBytes = this.largestTensor().bytes;
    this.pool = new BufferPool(device, U.STORAGE | U.COPY_SRC | U.COPY_DST, {
      maxPooledBytes: poolBytes,
      maxPerBucket: 32,
      maxBufferBytes,
    });
    this.staging = new BufferPool(device, U.MAP_READ | U.COPY_DST, {
      maxPooledBytes: 64 << 20,
      maxPerBucket: 4,
      maxBufferBytes: maxBuffer,
    });
    this.uniformPool = new BufferPool(device, U.UNIFORM | U.COPY_DST, {
      maxPooledBytes: 16 << 20,
      maxPerBucket: 4,
      maxBufferBytes: maxBuffer,
    });
    this.status = new Storage(4, 'uint32');
    this.status.refs = 1;
    this.status.buffer = this.pool.acquire(4, 'status');
    device.queue.writeBuffer(this.status.buffer, 0, new Uint32Array([0]));
    // One listener for the device's life; each read-back registers its reject here while it waits.
    // (A listener per read, or a race against one long-pending promise, keeps a closure per read.)
    void device.lost.then((i) => {
      const err = new DeviceLostError(i.reason, i.message || 'no message');
      for (const reject of this.waitingReads) reject(err);
      this.waitingReads.clear();
    });
  }

  /** Rejecters of the read-backs now waiting on the device: a device loss fails them at once. */
  private readonly waitingReads = new Set<(e: Error) => void>();

  get device(): GPUDevice {
    return this.gpu.device;
  }

  lostInfo(): GPUDeviceLostInfo | null {
    return this.gpu.lost;
  }

  checkAlive(): void {
    const lost = this.gpu.lost;
    if (lost) throw new DeviceLostError(lost.reason, lost.message || 'no message');
  }

  /** The most bytes one tensor may take: a storage buffer must be both bindable and creatable. */
  largestTensor(): { bytes: number; limit: string } {
    const lim = this.gpu.info.limits;
    const binding = lim.maxStorageBufferBindingSize ?? 134217728;
    const buffer = lim.maxBufferSize ?? 268435456;
    return buffer < binding ? { bytes: buffer, limit: 'maxBufferSize' } : { bytes: binding, limit: 'maxStorageBufferBindingSize' };
  }

  /** Throws, naming `what` (the user's call), if a tensor of `bytes` cannot exist on this device. */
  checkBytes(bytes: number, what: string): void {
    const max = this.largestTensor();
    if (bytes > max.bytes) {
      throw new RangeError(
        `tellus: ${what}: expected at most ${formatBytes(max.bytes, `this device's ${max.limit}`)}, got ${formatBytes(bytes)}`,
      );
    }
  }

  /** A storage that a node will write; its buffer is planned at flush time. */
  allocate(bytes: number, dtype: DType, what = 'a tensor'): Storage {
    this.checkAlive();
    this.checkBytes(bytes, what);
    return new Storage(Math.max(4, bytes), dtype);
  }

  /** Creates a storage whose buffer exists now and holds `data` (uploads happen at once, in queue order). */
  upload(data: ArrayBufferView, dtype: DType, what = 'tensor(data)'): Storage {
    this.checkAlive();
    this.checkBytes(data.byteLength, what);
    const s = new Storage(Math.max(4, data.byteLength), dtype);
    s.buffer = this.pool.acquire(s.bytes);
    if (data.byteLength > 0) this.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return s;
  }

  record(node: Node): void {
    this.checkAlive();
    if (!node.ew) this.validate(node);
    if (this.profiler?.callSites) node.site = captureStack();
    for (const s of new Set(Object.values(node.bind))) s.uses++;
    for (const b of node.kernel.bindings) if (b.kind === 'read_write') delete node.bind[b.name]!.host;
    this.pending.push(node);
    if (this.pending.length >= MAX_PENDING) this.flush();
  }

  /** Checks bindings by name and element type, aliasing, uniforms and grid size before anything reaches the driver. */
  private validate(node: Node): void {
    const k = node.kernel;
    for (const b of k.bindings) {
      if (b.kind === 'uniform') continue;
      const s = node.bind[b.name];
      if (!s) {
        throw new Error(`tellus: dispatch of ${k.file}:${k.entry} (${node.label}) is missing binding '${b.name}'`);
      }
      if (!elementAccepts(b.element, s.dtype)) {
        throw new Error(
          `tellus: binding '${b.name}' of ${k.file}:${k.entry} expects array<${b.element}>, got a ${s.dtype} buffer (${node.label})`,
        );
      }
      if (b.kind === 'read_write') {
        for (const o of k.bindings) {
          if (o !== b && o.kind !== 'uniform' && node.bind[o.name] === s) {
            throw new Error(
              `tellus: ${k.file}:${k.entry} would read and write the same buffer through '${o.name}' and '${b.name}' (${node.label})`,
            );
          }
        }
      }
    }
    checkUniforms(k, node.uniforms, node.label);
    for (const name of Object.keys(node.bind)) {
      if (!k.bindings.some((b) => b.name === name)) throw new Error(`tellus: ${k.file}:${k.entry} has no binding '${name}'`);
    }
    const lim = this.gpu.info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    for (const x of node.grid) {
      if (x > lim) throw new Error(`tellus: ${node.label} needs ${x} workgroups in one dimension; the device allows ${lim}`);
    }
  }

  /** Gives a storage back once neither tensors nor pending nodes refer to it. */
  maybeFree(s: Storage): void {
    if (s.refs === 0 && s.uses === 0 && s.buffer) {
      if (this.deferred) this.deferred.push(s.buffer);
      else this.pool.release(s.buffer);
      s.buffer = null;
      // Outside a flush nothing unsubmitted refers to the buffer, so the caps can apply at once.
      if (!this.inFlush) this.pool.enforceCaps();
    }
  }

  private inFlush = false;

  /** While poisoning, buffers freed mid-flush wait for the submit: a reused buffer's poison would land too early. */
  private deferred: GPUBuffer[] | null = null;

  /** Encodes and submits all pending work; `copies` are appended after the compute pass. */
  flush(copies: { src: Storage; dst: GPUBuffer; bytes: number; dstOffset?: number }[] = []): void {
    this.checkAlive();
    const nodes = fuseElementwise(this.liveNodes(), {
      kernel: this.kernels.get('elementwise.wgsl', 'run'),
      sumKernel: this.kernels.get('elementwise.wgsl', 'run_sum4'),
      grid: this.grid1d,
    });
    // Nothing to encode: an empty submit would only give waiters on the queue something to wait for.
    if (nodes.length === 0 && copies.length === 0) return;
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: 'tellus.flush' });
    this.inFlush = true;
    if (this.poisonOutputs) this.deferred = [];
    let uniformBuf: GPUBuffer | null = null;
    if (nodes.length > 0) {
      const align = this.gpu.info.limits.minUniformBufferOffsetAlignment ?? 256;
      const offsets: number[] = [];
      let total = 0;
      for (const n of nodes) {
        offsets.push(total);
        total += Math.ceil(Math.max(16, n.kernel.uniform?.size ?? 0) / align) * align;
      }
      const bytes = new ArrayBuffer(total);
      const view = new DataView(bytes);
      nodes.forEach((n, i) => packUniforms(n.kernel, n.uniforms, view, offsets[i]!));
      uniformBuf = this.uniformPool.acquire(total, 'uniforms');
      device.queue.writeBuffer(uniformBuf, 0, bytes);

      // A timed dispatch gets a pass of its own, because WebGPU writes timestamps per pass; the
      // untimed dispatches between timed ones share a pass.
      const timing = this.profiler?.beginFlush(encoder, nodes);
      let pass: GPUComputePassEncoder | null = null;
      let passTimed = false;
      nodes.forEach((n, i) => {
        const k = n.kernel;
        const storages = new Set(Object.values(n.bind));
        for (const s of storages) {
          if (s.buffer) continue;
          s.buffer = this.pool.acquire(s.bytes, n.label);
          // writeBuffer is ordered before this submit on the queue, so the kernel overwrites the poison.
          if (this.poisonOutputs) device.queue.writeBuffer(s.buffer, 0, new Uint32Array(s.buffer.size / 4).fill(POISON_WORD));
        }
        if (n.clear || n.copy) {
          // An encoder command: it ends the current pass (the profiler never times these).
          pass?.end();
          pass = null;
          const c = n.copy;
          if (c) {
            encoder.copyBufferToBuffer(n.bind[c.src]!.buffer!, c.srcOffset, n.bind[c.dst]!.buffer!, c.dstOffset, c.bytes);
            this.copies++;
          } else for (const s of storages) encoder.clearBuffer(s.buffer!, 0, s.bytes);
          for (const s of storages) {
            s.uses--;
            this.maybeFree(s);
          }
          return;
        }
        const writes = timing?.writes(i);
        if (writes || !pass || passTimed) {
          pass?.end();
          pass = encoder.beginComputePass({ label: writes ? n.label : 'tellus.pass', timestampWrites: writes });
          passTimed = writes !== undefined;
        }
        const entries: GPUBindGroupEntry[] = k.bindings.map((b) =>
          b.kind === 'uniform'
            ? { binding: b.binding, resource: { buffer: uniformBuf!, offset: offsets[i]!, size: k.uniform!.size } }
            : { binding: b.binding, resource: { buffer: n.bind[b.name]!.buffer! } },
        );
        const p = pass;
        p.setPipeline(n.body ? this.kernels.generated(k, n.body, n.overrides) : this.kernels.pipeline(k, n.overrides));
        p.setBindGroup(0, device.createBindGroup({ layout: k.layout, entries }));
        p.dispatchWorkgroups(n.grid[0], n.grid[1], n.grid[2]);
        this.dispatches++;
        for (const s of storages) {
          s.uses--;
          this.maybeFree(s);
        }
      });
      (pass as GPUComputePassEncoder | null)?.end();
    }
    this.profiler?.endFlush(encoder);
    // A storage nothing wrote (empty()) still reads back: give it a buffer.
    for (const c of copies)
      encoder.copyBufferToBuffer((c.src.buffer ??= this.pool.acquire(c.src.bytes)), 0, c.dst, c.dstOffset ?? 0, c.bytes);
    device.queue.submit([encoder.finish()]);
    this.submitsIssued++;
    this.profiler?.submitted();
    this.inFlush = false;
    const deferred = this.deferred ?? [];
    this.deferred = null;
    for (const b of deferred) this.pool.release(b);
    if (uniformBuf) this.uniformPool.release(uniformBuf);
    for (const p of [this.pool, this.staging, this.uniformPool]) p.enforceCaps();
    this.flushes++;
    const labels = nodes
      .slice(0, 8)
      .map((n) => n.label)
      .join(', ');
    const check = Promise.all([device.popErrorScope(), device.popErrorScope()]).then(([v, m]) => {
      // Out of memory first: using a buffer that could not be allocated also raises validation errors.
      const e = m ?? v;
      return e
        ? `tellus: the GPU rejected a flush of ${nodes.length} nodes (${labels}${nodes.length > 8 ? ', …' : ''}): ${e.message}`
        : null;
    });
    this.errorChecks.push(check);
  }

  /** Workgroups for `n` invocations of a 64-wide 1D kernel, folded into y past the per-dimension limit. */
  readonly grid1d = (n: number, width = 64): [number, number, number] => {
    const groups = Math.max(1, Math.ceil(n / width));
    const limit = this.gpu.info.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    return groups <= limit ? [groups, 1, 1] : [limit, Math.ceil(groups / limit), 1];
  };

  /** Drops nodes whose outputs nobody can read; releases their storages' pending uses. */
  private liveNodes(): Node[] {
    const all = this.pending;
    this.pending = [];
    const needed = new Set<Storage>();
    const keep: boolean[] = new Array(all.length).fill(false);
    for (let i = all.length - 1; i >= 0; i--) {
      const n = all[i]!;
      const outs = n.kernel.bindings
        .filter((b) => b.kind === 'read_write')
        .map((b) => n.bind[b.name]!)
        .filter((s) => s !== this.status);
      // A node that writes only the status word is a device-side check: always run it.
      if (outs.length === 0 || outs.some((s) => s.refs > 0 || needed.has(s))) {
        keep[i] = true;
        for (const b of n.kernel.bindings) if (b.kind === 'read') needed.add(n.bind[b.name]!);
      }
    }
    const live: Node[] = [];
    all.forEach((n, i) => {
      if (keep[i]) live.push(n);
      else
        for (const s of new Set(Object.values(n.bind))) {
          s.uses--;
          this.maybeFree(s);
        }
    });
    return live;
  }

  /** Flushes, then copies `bytes` of `s` back to the CPU. */
  async read(s: Storage, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    // The status word rides behind the data in the same staging buffer: one copy batch, one map.
    const statusAt = Math.ceil(size / 8) * 8;
    const stage = this.staging.acquire(statusAt + 8, 'readback');
    s.uses++;
    try {
      this.flush([
        { src: s, dst: stage, bytes: size },
        { src: this.status, dst: stage, bytes: 4, dstOffset: statusAt },
      ]);
    } finally {
      s.uses--;
    }
    const submit = this.submitsIssued;
    let onLost: ((e: Error) => void) | undefined;
    const lost = new Promise<never>((_, reject) => (onLost = reject));
    this.waitingReads.add(onLost!);
    const gone = this.gpu.lost; // lost before this read registered: its listener has already run
    if (gone) onLost!(new DeviceLostError(gone.reason, gone.message || 'no message'));
    try {
      beginWait();
      await Promise.race([stage.mapAsync(GPUMapMode.READ, 0, statusAt + 8), lost]);
    } catch (e) {
      // Chromium aborts a pending map ("unmapped before mapping was resolved") before it reports the
      // loss: give the loss a moment to arrive, so the caller sees why.
      if (e instanceof DeviceLostError) throw e;
      const info = await Promise.race([this.gpu.device.lost, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      if (info) throw new DeviceLostError(info.reason, info.message || 'no message');
      throw new Error(`tellus: data(): the read-back failed: ${(e as Error).message}`);
    } finally {
      this.waitingReads.delete(onLost!);
    }
    // The queue runs in order: every submit up to this one has finished.
    this.submitsDone = Math.max(this.submitsDone, submit);
    const mapped = stage.getMappedRange(0, statusAt + 8);
    const out = mapped.slice(0, bytes);
    const flags = new Uint32Array(mapped, statusAt, 1)[0]!;
    stage.unmap();
    this.staging.release(stage);
    await this.throwPendingErrors();
    if (flags !== 0) {
      this.device.queue.writeBuffer(this.status.buffer!, 0, new Uint32Array([0]));
      const msgs = statusMessagesOf(flags);
      throw new RangeError(`tellus: ${msgs.join('; ')} (detected on the device in work submitted since the previous read-back)`);
    }
    return out;
  }

  async throwPendingErrors(): Promise<void> {
    // Allocation failures first: they explain the flush errors that follow from them.
    const checks = [this.pool, this.staging, this.uniformPool].flatMap((p) => p.takeChecks()).concat(this.errorChecks);
    this.errorChecks = [];
    const msgs = (await Promise.all(checks)).filter((m): m is string => m !== null);
    if (msgs.length > 0) throw new Error(msgs.join('\n'));
  }

  /** Waits for all submitted work and reports any GPU error. */
  async sync(): Promise<void> {
    this.flush();
    const submit = this.submitsIssued;
    beginWait();
    await this.device.queue.onSubmittedWorkDone();
    this.submitsDone = Math.max(this.submitsDone, submit);
    await this.throwPendingErrors();
  }

  /**
   * Nothing pending and every submit known to have finished: waiting for the queue would find it
   * empty. (Deno answers any wait on the queue after ~11 ms, so the profiler skips such waits.)
   */
  idle(): boolean {
    return this.pending.length === 0 && this.submitsDone === this.submitsIssued;
  }

  stats(): MemoryStats {
    return {
      ...this.pool.snapshot(),
      pendingNodes: this.pending.length,
      flushes: this.flushes,
      dispatches: this.dispatches,
      copies: this.copies,
      pipelines: this.kernels.pipelineCount,
    };
  }

  destroy(): void {
    this.pending = [];
    this.pool.trim();
    this.staging.trim();
    this.uniformPool.trim();
  }
}
