// The static memory plan: every temporary buffer gets an offset in one arena, decided from liveness
// before anything runs. Graph inputs and outputs live in their own buffers (the caller's arrays).
//
// A temporary is live from the kernel that writes it to the last kernel that reads it, inclusive.
// Two temporaries may share bytes only if their lifetimes are disjoint; a buffer freed after kernel
// t can hold one written by kernel t+1 (never by t itself: a kernel reads its inputs while writing).
// Placement is greedy best-fit in kernel order: each new buffer takes the smallest gap between live
// buffers that fits it, or goes on top of them. Elements take 4 bytes whatever the dtype (WGSL has
// no 1-byte storage type, so bool is stored as a 32-bit integer), and offsets are multiples of
// `align` (256 bytes: WebGPU's minStorageBufferOffsetAlignment, so any buffer can be bound at its
// offset).
import { sizeOf } from '../ir/graph.ts';
import type { Schedule } from '../kernel/ir.ts';
import { showShape } from '../kernel/print.ts';

export const ELEMENT_BYTES = 4;
export const DEFAULT_ALIGN = 256;

export interface Placement {
  readonly buffer: number;
  readonly offset: number;
  readonly bytes: number;
  /** Kernel indices of the write and the last read. */
  readonly first: number;
  readonly last: number;
}

export interface MemoryPlan {
  /** The arena's size: the highest byte any temporary reaches (the planned peak). */
  readonly peakBytes: number;
  /** What the temporaries would take without sharing. */
  readonly totalBytes: number;
  readonly align: number;
  /** One per temporary buffer, in buffer order. */
  readonly placements: readonly Placement[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export const bufferBytes = (shape: readonly number[]): number => sizeOf(shape) * ELEMENT_BYTES;

/** Kernel indices of each temporary's write and last read. */
export function lifetimes(s: Schedule): Map<number, [number, number]> {
  const life = new Map<number, [number, number]>();
  s.kernels.forEach((k, t) => {
    for (const b of k.outputs) if (s.buffers[b]!.role === 'temp') life.set(b, [t, t]);
  });
  s.kernels.forEach((k, t) => {
    for (const b of k.inputs) {
      const l = life.get(b);
      if (l !== undefined) l[1] = Math.max(l[1], t);
    }
  });
  return life;
}

export function planMemory(s: Schedule, options: { readonly align?: number } = {}): MemoryPlan {
  const align = options.align ?? DEFAULT_ALIGN;
  const life = lifetimes(s);
  const placed: Placement[] = [];
  let live: Placement[] = [];
  let peak = 0;
  s.kernels.forEach((k, t) => {
    live = live.filter((p) => p.last >= t);
    for (const b of k.outputs) {
      const l = life.get(b);
      if (l === undefined) continue;
      const bytes = bufferBytes(s.buffers[b]!.shape);
      const need = alignUp(bytes, align);
      let best: { offset: number; gap: number } | null = null;
      let top = 0;
      for (const p of [...live].sort((x, y) => x.offset - y.offset)) {
        const gap = p.offset - top;
        if (gap >= need && (best === null || gap < best.gap)) best = { offset: top, gap };
        top = Math.max(top, alignUp(p.offset + p.bytes, align));
      }
      const p: Placement = { buffer: b, offset: best?.offset ?? top, bytes, first: l[0], last: l[1] };
      placed.push(p);
      live.push(p);
      peak = Math.max(peak, p.offset + bytes);
    }
  });
  placed.sort((x, y) => x.buffer - y.buffer);
  return { peakBytes: peak, totalBytes: placed.reduce((n, p) => n + p.bytes, 0), align, placements: placed };
}

/** The readable form printed by `muc build --emit plan`. */
export function printPlan(s: Schedule, plan: MemoryPlan): string {
  const lines = [
    `plan ${s.name}: peak ${plan.peakBytes} bytes in one arena for ${plan.placements.length} temporaries of ${plan.totalBytes} bytes (align ${plan.align})`,
  ];
  for (const p of plan.placements) {
    const b = s.buffers[p.buffer]!;
    lines.push(`  b${b.id} ${showShape(b.dtype, b.shape)} ${p.bytes} bytes @ ${p.offset}, live k${p.first}..k${p.last}`);
  }
  for (const b of s.buffers) if (b.role !== 'temp') lines.push(`  b${b.id} ${showShape(b.dtype, b.shape)} ${bufferBytes(b.shape)} bytes, ${b.role} (own buffer)`);
  return lines.join('\n');
}
