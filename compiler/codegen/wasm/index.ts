// The Wasm (CPU) code generator: kernel IR → WebAssembly text with 128-bit SIMD → binary.
export { assemble } from './assemble.ts';
export { emitWat, lowerSchedule, PAGE_BYTES, type WasmLayout, type WasmProgram } from './module.ts';
export { FAIL_MESSAGES, type HostImport } from './ops.ts';
