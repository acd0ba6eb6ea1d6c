// The Wasm (CPU) code generator: kernel IR → WebAssembly text with 128-bit SIMD → binary.
export { assemble } from './assemble.ts';
export { emitWat, lowerSchedule, MAX_PAGES, PAGE_BYTES, type LowerOptions, type WasmLayout, type WasmProgram } from './module.ts';
export { failMessage, type HostImport } from './ops.ts';
export type { LibraryStep, Step, WasmStep, Weight } from './step.ts';
