// Bucketed, capped buffer pool. Sizes round up to one of four steps per power of two (at most 25%
// waste); each bucket keeps a bounded number of buffers and the whole pool a bounded number of bytes,
// beyond which released buffers are destroyed rather than hoarded. Rounding never passes the device's
// largest buffer: there the exact size is allocated. A buffer whose allocation the device reports as
// out of memory is taken out of the figures (peakBytes counts only buffers that exist).

export interface PoolOptions {
  /** Most bytes kept idle in the pool. */
  maxPooledBytes: number;
  /** Most idle buffers kept per size bucket. */
  maxPerBucket: number;
  /** The device's largest buffer of this pool's usage, in bytes: no bucket rounds past it. */
  maxBufferBytes?: number;
}

export interface PoolStats {
  bytesLive: number;
  bytesPooled: number;
  peakBytes: number;
  buffersLive: number;
  buffersPooled: number;
  allocations: number;
  reuses: number;
  destroyed: number;
}

/** The pooled size for a request of `bytes`: a bucket, or the exact size (a multiple of 4) where the bucket would pass `cap`. */
export function bucketSize(bytes: number, cap = Infinity): number {
  const b = Math.max(256, bytes);
  const p = 2 ** Math.floor(Math.log2(b));
  if (b === p) return b;
  const step = p / 4;
  const bucket = Math.ceil(b / step) * step;
  return bucket > cap ? Math.ceil(b / 4) * 4 : bucket;
}

/** Bytes as messages show them: `1.04 GiB (1116691496 bytes)`, `1 GiB (1073741824 bytes, <note>)`, `300 bytes`. */
export function formatBytes(n: number, note?: string): string {
  const units = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ] as const;
  const extra = note ? `, ${note}` : '';
  for (const [u, name] of units) {
    if (n >= u) return `${n % u === 0 ? n / u : (n / u).toFixed(2)} ${name} (${n} bytes${extra})`;
  }
  return note ? `${n} bytes (${note})` : `${n} bytes`;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private stats: PoolStats = {
    bytesLive: 0,
    bytesPooled: 0,
    peakBytes: 0,
    buffersLive: 0,
    buffersPooled: 0,
    allocations: 0,
    reuses: 0,
    destroyed: 0,
  };

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly opts: PoolOptions,
  ) {}

  /** Buffers the device reported out of memory: never pooled, no longer counted. */
  private readonly failed = new WeakSet<GPUBuffer>();
  /** Messages (or null) for each new allocation, resolved once the device has answered; see takeChecks. */
  private checks: Promise<string | null>[] = [];

  acquire(bytes: number, label?: string): GPUBuffer {
    const cap = this.opts.maxBufferBytes ?? Infinity;
    // Callers check sizes first with a message naming the user's call; this is the backstop.
    if (bytes > cap) {
      throw new RangeError(
        `tellus: allocating a GPU buffer: expected at most ${formatBytes(cap, "this device's limit")}, got ${formatBytes(bytes)}`,
      );
    }
    const size = bucketSize(bytes, cap);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.reuses++;
      this.stats.bytesPooled -= size;
      this.stats.buffersPooled--;
    } else {
      // Its own scope, so an out-of-memory is pinned on this buffer (and read before the validation
      // errors that using the invalid buffer causes later).
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size, usage: this.usage, label });
      const peakBefore = this.stats.peakBytes;
      const created = buf;
      this.checks.push(
        this.device.popErrorScope().then((e) => {
          if (!e) return null;
          this.forget(created, peakBefore);
          return `tellus: the GPU is out of memory: allocating ${formatBytes(size)}${label ? ` for ${label}` : ''} failed (${e.message})`;
        }),
      );
      this.stats.allocations++;
    }
    this.stats.bytesLive += size;
    this.stats.buffersLive++;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.bytesLive + this.stats.bytesPooled);
    return buf;
  }

  /** Takes a buffer the device could not allocate out of the figures; peaks since then counted it. */
  private forget(buf: GPUBuffer, peakBefore: number): void {
    this.failed.add(buf);
    const size = buf.size;
    this.stats.peakBytes = Math.max(peakBefore, this.stats.peakBytes - size);
    const list = this.free.get(size);
    const at = list?.indexOf(buf) ?? -1;
    if (at >= 0) {
      list!.splice(at, 1);
      this.stats.bytesPooled -= size;
      this.stats.buffersPooled--;
    } else {
      this.stats.bytesLive -= size;
      this.stats.buffersLive--;
    }
  }

  /** The allocation checks made since the last call (each resolves to an error message or null). */
  takeChecks(): Promise<string | null>[] {
    const c = this.checks;
    this.checks = [];
    return c;
  }

  /**
   * Takes a buffer back for reuse. It may still be referenced by commands being encoded, so it is
   * never destroyed here: enforceCaps() destroys the excess once those commands are submitted.
   */
  release(buf: GPUBuffer): void {
    if (this.failed.has(buf)) {
      this.failed.delete(buf);
      buf.destroy();
      return;
    }
    const size = buf.size;
    this.stats.bytesLive -= size;
    this.stats.buffersLive--;
    const list = this.free.get(size) ?? [];
    list.push(buf);
    this.free.set(size, list);
    this.stats.bytesPooled += size;
    this.stats.buffersPooled++;
  }

  /** Destroys idle buffers beyond the per-bucket and total caps (oldest first). Call after a submit. */
  enforceCaps(): void {
    for (const list of this.free.values()) {
      while (list.length > 0 && (list.length > this.opts.maxPerBucket || this.stats.bytesPooled > this.opts.maxPooledBytes)) {
        const b = list.shift()!;
        this.stats.bytesPooled -= b.size;
        this.stats.buffersPooled--;
        this.stats.destroyed++;
        b.destroy();
      }
    }
  }

  /** Destroys every idle buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.stats.destroyed += this.stats.buffersPooled;
    this.free.clear();
    this.stats.bytesPooled = 0;
    this.stats.buffersPooled = 0;
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.bytesLive + this.stats.bytesPooled;
  }
}
