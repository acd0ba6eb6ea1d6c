// The package's main export: compile `.mu` sources and run their functions from TypeScript.
export { compile, compileFile, CompileError, MuProgram, MuRuntimeError, type CompileOptions, type Tensor, type Value } from './runtime/program.ts';
export { tensor, zeros, scalar } from './runtime/interp/ops/tensor.ts';
export { checkSource, checkFile, type CheckResult } from './compiler/check/program.ts';
export { renderDiagnostic } from './compiler/diag/render.ts';
export type { Diagnostic } from './compiler/diag/diagnostic.ts';
