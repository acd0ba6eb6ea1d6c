// What a schedule costs, counted: kernels by kind, the bytes its kernels move, and the planned peak.
// `muc build --emit stats` prints it, and `muc test` checks a test block's `structure { … }` counts
// against it.
//
// Kernel kinds: `elementwise` (a fused kernel without a reduction), `reduce` (a fused kernel with
// one), `matmul` and `library`; `fused` counts the first two together and `kernels` all of them.
//
// Bytes moved = bytes read + bytes written, summed over kernels, 4 bytes an element (as stored).
// A kernel writes each output buffer whole. It reads, of each input buffer, at most the whole
// buffer, and at most what its loads can touch: a load touches one element per point of the loop
// axes it moves along (its nonzero strides; every loop axis when a data-dependent index is
// involved), so a broadcast row counts once and a gathered slice of a table counts as the rows
// gathered. A library kernel reads its inputs whole. Caches are ignored: a buffer read by two
// kernels counts twice.
import { sizeOf, type Graph } from '../ir/graph.ts';
import type { Kernel, Schedule, View } from '../kernel/ir.ts';
import { showShape } from '../kernel/print.ts';
import { ELEMENT_BYTES, planMemory, type MemoryPlan } from './plan.ts';

export type KernelKind = 'elementwise' | 'reduce' | 'matmul' | 'library';

export const KERNEL_KINDS: readonly KernelKind[] = ['elementwise', 'reduce', 'matmul', 'library'];

export function kernelKind(k: Kernel): KernelKind {
  if (k.kind === 'fused') return k.reduce === null ? 'elementwise' : 'reduce';
  return k.kind;
}

export interface KernelTraffic {
  readonly read: number;
  readonly written: number;
}

export interface ScheduleStats {
  readonly kernels: number;
  readonly byKind: Readonly<Record<KernelKind, number>>;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** bytesRead + bytesWritten. */
  readonly bytesMoved: number;
  /** The memory plan's arena (temporaries only). */
  readonly peakBytes: number;
  /** Graph inputs and outputs, in their own buffers. */
  readonly ioBytes: number;
  readonly perKernel: readonly KernelTraffic[];
}

/** Elements a load through `view` can touch over loop extents `sizes`. */
function touched(view: View, sizes: readonly number[]): number {
  if (view.dynamic.length > 0) return sizeOf(sizes);
  return view.strides.reduce((n, s, a) => (s === 0 ? n : n * sizes[a]!), 1);
}

/** Bytes one kernel reads and writes (see the top of this file). */
export function kernelTraffic(k: Kernel, s: Schedule): KernelTraffic {
  const bytes = (b: number): number => sizeOf(s.buffers[b]!.shape) * ELEMENT_BYTES;
  const written = k.outputs.reduce((n, b) => n + bytes(b), 0);
  if (k.kind === 'library') return { read: [...new Set(k.inputs)].reduce((n, b) => n + bytes(b), 0), written };
  const elements = new Array<number>(k.inputs.length).fill(0);
  const sizes = k.kind === 'fused' ? [...k.shape, ...(k.reduce?.shape ?? [])] : k.shape;
  for (const e of k.exprs) if (e.op === 'load') elements[e.input]! += touched(e.view, sizes);
  if (k.kind === 'matmul') {
    const batch = k.shape.slice(0, -2);
    const [m, n] = k.shape.slice(-2) as [number, number];
    elements[k.a.input]! += touched(k.a.view, [...batch, m, k.k]);
    elements[k.b.input]! += touched(k.b.view, [...batch, k.k, n]);
  }
  const read = k.inputs.reduce((total, b, slot) => total + Math.min(bytes(b), elements[slot]! * ELEMENT_BYTES), 0);
  return { read, written };
}

export function scheduleStats(s: Schedule, plan: MemoryPlan = planMemory(s)): ScheduleStats {
  const byKind: Record<KernelKind, number> = { elementwise: 0, reduce: 0, matmul: 0, library: 0 };
  for (const k of s.kernels) byKind[kernelKind(k)]++;
  const perKernel = s.kernels.map((k) => kernelTraffic(k, s));
  const bytesRead = perKernel.reduce((n, t) => n + t.read, 0);
  const bytesWritten = perKernel.reduce((n, t) => n + t.written, 0);
  const ioBytes = s.buffers.filter((b) => b.role !== 'temp').reduce((n, b) => n + sizeOf(b.shape) * ELEMENT_BYTES, 0);
  return { kernels: s.kernels.length, byKind, bytesRead, bytesWritten, bytesMoved: bytesRead + bytesWritten, peakBytes: plan.peakBytes, ioBytes, perKernel };
}

/** The counts a test block's `structure { … }` may state, by name. */
export const STRUCTURE_COUNTS: Readonly<Record<string, (s: ScheduleStats) => number>> = {
  kernels: (s) => s.kernels,
  fused: (s) => s.byKind.elementwise + s.byKind.reduce,
  elementwise: (s) => s.byKind.elementwise,
  reduce: (s) => s.byKind.reduce,
  matmul: (s) => s.byKind.matmul,
  library: (s) => s.byKind.library,
};

/** One line per kernel: its name, root (with its op when the graph is given), kind, loop space and buffers. */
export function kernelLines(s: Schedule, graph?: Graph): string[] {
  const ops = new Map(graph?.nodes.map((n) => [n.id, n.op] as const) ?? []);
  const buf = (b: number): string => `b${b} ${showShape(s.buffers[b]!.dtype, s.buffers[b]!.shape)}`;
  return s.kernels.map((k) => {
    let what: string;
    if (k.kind === 'fused') what = `fused [${k.shape.join(', ')}]${k.reduce ? ` reduce ${k.reduce.op} [${k.reduce.shape.join(', ')}]` : ''}`;
    else if (k.kind === 'matmul') what = `matmul [${k.shape.join(', ')}] k=${k.k}`;
    else what = `library ${k.op}`;
    const root = ops.has(k.root) ? `%${k.root} ${ops.get(k.root)}` : `%${k.root}`;
    return `${k.name} (root ${root}): ${what}; reads ${k.inputs.map(buf).join(', ') || 'nothing'}; writes ${k.outputs.map(buf).join(', ')}`;
  });
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The readable form printed by `muc build --emit stats`. */
export function printStats(s: Schedule, graph?: Graph, st: ScheduleStats = scheduleStats(s)): string {
  const kinds = KERNEL_KINDS.map((k) => `${st.byKind[k]} ${k}`).join(', ');
  return [
    `stats ${s.name}: ${plural(st.kernels, 'kernel')} (${kinds})`,
    `  bytes moved ${st.bytesMoved} (read ${st.bytesRead}, written ${st.bytesWritten})`,
    `  planned peak ${st.peakBytes} bytes of temporaries; inputs and outputs ${st.ioBytes} bytes`,
    ...kernelLines(s, graph).map((l, i) => `  ${l}; ${st.perKernel[i]!.read + st.perKernel[i]!.written} bytes`),
  ].join('\n');
}
