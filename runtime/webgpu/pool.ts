/// <reference types="@webgpu/types" />
// A pool of GPU buffers, by usage and size class, reused across graph calls.
//
// Buffers are handed back only after the call that used them has finished on the GPU (the runtime
// awaits onSubmittedWorkDone before it releases anything), and the pool destroys idle buffers only
// when it trims after such a call, so no buffer is ever destroyed with work pending on it.
//
// A free list is a stack: released in reverse order of acquisition, the buffers of one call come
// back in the same places the next time, so a graph called again and again gets the same buffers (and
// the runtime's cached bind groups). Trimming spares what the last few calls used, so a working set
// larger than `keepBytes` is reused rather than recreated each call.

const MiB = 1024 * 1024;

/** Sizes reused together: powers of two up to 1 MiB, then steps of 1/8 of the next power of two. */
export function sizeClass(bytes: number): number {
  const n = Math.max(256, bytes);
  const p = 2 ** Math.ceil(Math.log2(n));
  if (p <= MiB) return p;
  const step = p / 8;
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Idle buffers in release order, for trimming the oldest first. */
  private readonly idle: GPUBuffer[] = [];
  private idleBytes = 0;
  private readonly usageOf = new WeakMap<GPUBuffer, number>();
  /** The call that last acquired each buffer. */
  private readonly lastCall = new WeakMap<GPUBuffer, number>();
  private call = 0;
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Idle bytes kept for reuse; more are destroyed at the next trim. */
    private readonly keepBytes = 256 * MiB,
    /** Buffers acquired by this many most recent calls are kept whatever their size. */
    private readonly keepCalls = 4,
  ) {}

  /** Marks the start of a call (for trimming). */
  beginCall(): void {
    this.call++;
  }

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(`${usage}:${size}`);
    let b = list?.pop();
    if (b !== undefined) {
      this.idle.splice(this.idle.indexOf(b), 1);
      this.idleBytes -= b.size;
    } else {
      b = this.device.createBuffer({ size, usage });
      this.usageOf.set(b, usage);
      this.created++;
    }
    this.lastCall.set(b, this.call);
    return b;
  }

  release(b: GPUBuffer): void {
    const key = `${this.usageOf.get(b)!}:${b.size}`;
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, (list = []));
    list.push(b);
    this.idle.push(b);
    this.idleBytes += b.size;
  }

  /**
   * Destroys the oldest idle buffers beyond `keepBytes`, except those the last `keepCalls` calls
   * used. Call only when no GPU work is pending.
   */
  trim(): void {
    if (this.idleBytes <= this.keepBytes) return;
    for (let i = 0; i < this.idle.length && this.idleBytes > this.keepBytes; ) {
      const b = this.idle[i]!;
      if (this.call - (this.lastCall.get(b) ?? 0) < this.keepCalls) {
        i++;
        continue;
      }
      this.idle.splice(i, 1);
      const list = this.free.get(`${this.usageOf.get(b)!}:${b.size}`)!;
      list.splice(list.indexOf(b), 1);
      this.idleBytes -= b.size;
      b.destroy();
    }
  }
}
