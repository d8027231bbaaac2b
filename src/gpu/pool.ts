// Bucketed, capped buffer pool. Sizes round up to one of four steps per power of two (at most 25%
// waste); each bucket keeps a bounded number of buffers and the whole pool a bounded number of bytes,
// beyond which released buffers are destroyed rather than hoarded.

export interface PoolOptions {
  /** Most bytes kept idle in the pool. */
  maxPooledBytes: number;
  /** Most idle buffers kept per size bucket. */
  maxPerBucket: number;
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

export function bucketSize(bytes: number): number {
  const b = Math.max(256, bytes);
  const p = 2 ** Math.floor(Math.log2(b));
  if (b === p) return b;
  const step = p / 4;
  return Math.ceil(b / step) * step;
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

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.reuses++;
      this.stats.bytesPooled -= size;
      this.stats.buffersPooled--;
    } else {
      buf = this.device.createBuffer({ size, usage: this.usage, label });
      this.stats.allocations++;
    }
    this.stats.bytesLive += size;
    this.stats.buffersLive++;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.bytesLive + this.stats.bytesPooled);
    return buf;
  }

  /**
   * Takes a buffer back for reuse. It may still be referenced by commands being encoded, so it is
   * never destroyed here: enforceCaps() destroys the excess once those commands are submitted.
   */
  release(buf: GPUBuffer): void {
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
