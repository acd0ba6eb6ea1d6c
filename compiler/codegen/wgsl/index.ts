// WGSL code generation: one compute shader per kernel of a schedule (compiler/kernel/CODEGEN.md).
//   fused   → fused.ts   (elementwise; reductions in a loop or across a workgroup)
//   matmul  → matmul.ts  (16×16 tiles in workgroup memory, fused epilogue)
//   library → library.ts (sorts, scans, scatters, random numbers)
// Every kernel binds its buffers as storage arrays, plus the status buffer when it can fail at run
// time (checks.ts), within `maxStorageBindings` (default 8, WebGPU's default
// maxStorageBuffersPerShaderStage), plus one uniform (helpers.ts).
import type { Graph } from '../../ir/graph.ts';
import { bindings, type Kernel, type Schedule } from '../../kernel/ir.ts';
import { schedule, type ScheduleOptions } from '../../schedule/schedule.ts';
import { printKernel } from './print.ts';
import { emitFused, type FusedOptions } from './fused.ts';
import { emitLibrary } from './library.ts';
import { emitMatmul } from './matmul.ts';
import { storageBindings, type WgslKernel } from './module.ts';

export type { WgslKernel } from './module.ts';
export type { IndexSite } from './checks.ts';
export { FIRST_INDEX_SITE, SITE_DIV, SITE_MOD, SITE_POW, STATUS_WORDS } from './checks.ts';
export { storageBindings } from './module.ts';
export { DEFAULT_WORKGROUP_REDUCE_MIN } from './fused.ts';

export interface WgslOptions extends FusedOptions {
  /** Storage bindings a kernel may use (WebGPU's default limit). */
  readonly maxStorageBindings?: number;
}

export const MAX_STORAGE_BINDINGS = 8;

function emit(k: Kernel, s: Schedule, options: WgslOptions): WgslKernel {
  switch (k.kind) {
    case 'fused': return emitFused(k, s, options);
    case 'matmul': return emitMatmul(k, s, options);
    case 'library': return emitLibrary(k, s, options);
  }
}

/**
 * One kernel's shader. A kernel that can fail needs one more storage binding for the status buffer;
 * one with no room left is emitted without run-time checks (bad indices are still clamped), which
 * `scheduleForWgsl` avoids by leaving that room.
 */
export function emitKernel(k: Kernel, s: Schedule, options: WgslOptions = {}): WgslKernel {
  const limit = options.maxStorageBindings ?? MAX_STORAGE_BINDINGS;
  if (bindings(k) > limit) throw new Error(`wgsl: ${k.name} binds ${bindings(k)} buffers (limit ${limit}); schedule with maxBindings ≤ ${limit}`);
  const w = emit(k, s, options);
  return storageBindings(w) <= limit ? w : emit(k, s, { ...options, checks: false });
}

/** Whether some kernel would lose its run-time checks for want of a binding. */
function lacksRoom(s: Schedule, options: WgslOptions, limit: number): boolean {
  if (options.checks === false) return false;
  return s.kernels.some((k) => bindings(k) >= limit && storageBindings(emit(k, s, options)) > limit);
}

/**
 * The schedule the WebGPU backend runs: `schedule(graph)` within the binding limit, or, when a kernel
 * that can fail would have no binding left for the status buffer, within one binding less (every
 * kernel then has room; slightly less fusion, only for such graphs).
 */
export function scheduleForWgsl(graph: Graph, options: ScheduleOptions & WgslOptions = {}): Schedule {
  const limit = Math.min(options.maxBindings ?? MAX_STORAGE_BINDINGS, options.maxStorageBindings ?? MAX_STORAGE_BINDINGS);
  const s = schedule(graph, { ...options, maxBindings: limit });
  // The scheduler needs at least 4 bindings (a scatter binds 4); below that, go without checks.
  if (limit - 1 < 4 || !lacksRoom(s, options, limit)) return s;
  return schedule(graph, { ...options, maxBindings: limit - 1 });
}

/**
 * The WGSL of every kernel of a schedule, in order (for `muc build --emit wgsl`): each module is
 * preceded by a comment naming the kernel, its dispatch size and the buffer of each binding.
 */
export function emitWgsl(s: Schedule, options: WgslOptions = {}): string[] {
  return s.kernels.map((k) => printKernel(emitKernel(k, s, options), k, s));
}
