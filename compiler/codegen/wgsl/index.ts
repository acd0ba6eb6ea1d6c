// WGSL code generation: one compute shader per kernel of a schedule (compiler/kernel/CODEGEN.md).
//   fused   → fused.ts   (elementwise; reductions in a loop or across a workgroup)
//   matmul  → matmul.ts  (16×16 tiles in workgroup memory, fused epilogue)
//   library → library.ts (sorts, scans, scatters, random numbers)
// Every kernel binds its buffers as storage arrays, at most `bindings(kernel)` ≤ 8 of them (the
// scheduler's limit, WebGPU's default maxStorageBuffersPerShaderStage), plus one uniform (helpers.ts).
import { bindings, type Kernel, type Schedule } from '../../kernel/ir.ts';
import { printKernel } from './print.ts';
import { emitFused, type FusedOptions } from './fused.ts';
import { emitLibrary } from './library.ts';
import { emitMatmul } from './matmul.ts';
import type { WgslKernel } from './module.ts';

export type { WgslKernel } from './module.ts';
export { DEFAULT_WORKGROUP_REDUCE_MIN } from './fused.ts';

export interface WgslOptions extends FusedOptions {
  /** Storage bindings a kernel may use (WebGPU's default limit). */
  readonly maxStorageBindings?: number;
}

export const MAX_STORAGE_BINDINGS = 8;

export function emitKernel(k: Kernel, s: Schedule, options: WgslOptions = {}): WgslKernel {
  const limit = options.maxStorageBindings ?? MAX_STORAGE_BINDINGS;
  if (bindings(k) > limit) throw new Error(`wgsl: ${k.name} binds ${bindings(k)} buffers (limit ${limit}); schedule with maxBindings ≤ ${limit}`);
  switch (k.kind) {
    case 'fused': return emitFused(k, s, options);
    case 'matmul': return emitMatmul(k, s);
    case 'library': return emitLibrary(k, s);
  }
}

/**
 * The WGSL of every kernel of a schedule, in order (for `muc build --emit wgsl`): each module is
 * preceded by a comment naming the kernel, its dispatch size and the buffer of each binding.
 */
export function emitWgsl(s: Schedule, options: WgslOptions = {}): string[] {
  return s.kernels.map((k) => printKernel(emitKernel(k, s, options), k, s));
}
