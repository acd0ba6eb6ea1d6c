/// <reference types="@webgpu/types" />
// A pool of GPU buffers, by usage and size class, reused across graph calls.
//
// Buffers are handed back only after the call that used them has finished on the GPU (the runtime
// awaits onSubmittedWorkDone before it releases anything), and the pool destroys idle buffers only
// when it trims after such a call, so no buffer is ever destroyed with work pending on it.

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
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Idle bytes kept for reuse; more are destroyed at the next trim. */
    private readonly keepBytes = 256 * MiB,
  ) {}

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(`${usage}:${size}`);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.idle.splice(this.idle.indexOf(reused), 1);
      this.idleBytes -= reused.size;
      return reused;
    }
    const b = this.device.createBuffer({ size, usage });
    this.usageOf.set(b, usage);
    this.created++;
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

  /** Destroys the oldest idle buffers beyond `keepBytes`. Call only when no GPU work is pending. */
  trim(): void {
    while (this.idleBytes > this.keepBytes && this.idle.length > 0) {
      const b = this.idle.shift()!;
      const list = this.free.get(`${this.usageOf.get(b)!}:${b.size}`)!;
      list.splice(list.indexOf(b), 1);
      this.idleBytes -= b.size;
      b.destroy();
    }
  }
}
