// The kernel IR: what fusion (compiler/schedule/) produces and code generation (WGSL, Wasm) consumes.
// Plain readonly data. A schedule is a list of kernels over numbered buffers; a kernel is one of
//   - `fused`:   an index space (its output shape), a scalar expression DAG over loads through views,
//                at most one reduction, and one or more contiguous stores;
//   - `matmul`:  a batched matrix product of two views, a scale factor and a fused elementwise epilogue;
//   - `library`: one primitive that does not fit the templates (sorting, scans, scatters, random numbers),
//                run as a whole on dense row-major inputs.
//
// Semantics shared by every expression (the reference interpreter's, runtime/interp/):
//   - every node's value is rounded to its dtype when it is produced (f32: to nearest float32; i32:
//     wrapped to 32 bits; bool: 0 or 1), exactly as the interpreter stores each intermediate tensor;
//   - i32 `div`/`mod` are floored (Python `//`, `%`), i32 `mul` wraps (Math.imul);
//   - `maximum`/`minimum` and the max/min reductions propagate NaN.
import type { Attrs, DType } from '../ir/graph.ts';
import type { PrimName } from '../ir/prims.ts';

/** The position of a node in its kernel's `exprs` table; a node's arguments always come before it. */
export type ExprId = number;

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'sigmoid' | 'relu' | 'silu' | 'gelu'
  | 'sin' | 'cos' | 'abs' | 'sign' | 'floor' | 'logical_not';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logical_and' | 'logical_or';

/**
 * How a load finds its element: for loop index (i_0, …, i_{r-1}),
 *   offset = view.offset + Σ_a view.strides[a]·i_a + Σ_d d.stride·value(d.index)
 * in elements of the input buffer. Transpose, broadcast (stride 0), slice (offset) and reshapes that
 * keep the layout affine are all strides; `dynamic` terms carry data-dependent indices (gather,
 * take_along_axis: `index` is an i32 expression of the same kernel) and the rare non-affine reshape
 * (an index built with i32 div/mod).
 */
export interface View {
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dynamic: readonly DynamicTerm[];
}

export interface DynamicTerm {
  readonly index: ExprId;
  readonly stride: number;
}

export type Expr =
  | { readonly op: 'const'; readonly dtype: DType; readonly value: number }
  /** The loop index along one axis (i32). Axes 0..rank-1 are the output's; in a fused kernel with a
   *  reduction, axes rank.. are the reduction's (usable only inside the reduced expression). */
  | { readonly op: 'index'; readonly dtype: 'i32'; readonly axis: number }
  /** Reads element `view` of input slot `input`. With `valid` (a bool expression), the read happens
   *  only where it holds and gives 0 elsewhere: padding and concatenation never read out of bounds,
   *  so both branches of a `where` may be evaluated. */
  | { readonly op: 'load'; readonly dtype: DType; readonly input: number; readonly view: View; readonly valid: ExprId | null }
  /** The reduced (fused) or multiplied (matmul) value, rounded to dtype; only in the epilogue. */
  | { readonly op: 'acc'; readonly dtype: DType }
  | { readonly op: UnaryOp; readonly dtype: DType; readonly args: readonly [ExprId] }
  | { readonly op: BinaryOp; readonly dtype: DType; readonly args: readonly [ExprId, ExprId] }
  | { readonly op: 'where'; readonly dtype: DType; readonly args: readonly [ExprId, ExprId, ExprId] }
  | { readonly op: 'cast'; readonly dtype: DType; readonly args: readonly [ExprId] };

/** Writes `value` at the loop index into output slot `output`, contiguously (row-major over `shape`). */
export interface Store {
  readonly output: number;
  readonly value: ExprId;
}

/**
 * One reduction: for each output index, folds `value` over the loop axes rank..rank+shape.length-1
 * (row-major, so a sum adds in the interpreter's order) starting from 0 (sum), -∞ (max) or +∞ (min).
 * The accumulator is float64 in the reference executor and rounded once to `dtype`.
 */
export interface Reduction {
  readonly op: 'sum' | 'max' | 'min';
  readonly shape: readonly number[];
  readonly value: ExprId;
  readonly dtype: DType;
}

interface KernelBase {
  /** k0, k1, … in execution order. */
  readonly name: string;
  /** The tensor-IR node the kernel was formed around (for reading printouts and debugging). */
  readonly root: number;
  /** Buffer ids bound to input slots 0.. and output slots 0..; together they are the kernel's bindings. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

export interface FusedKernel extends KernelBase {
  readonly kind: 'fused';
  /** The output index space (loop axes 0..rank-1). */
  readonly shape: readonly number[];
  readonly exprs: readonly Expr[];
  readonly reduce: Reduction | null;
  readonly stores: readonly Store[];
}

/** A matmul operand: input slot and view over its own axes ([...batch, m, k] for a, [...batch, k, n] for b). */
export interface Operand {
  readonly input: number;
  readonly view: View;
}

/**
 * out[...batch, i, j] = epilogue(acc) with acc = alpha · Σ_p a[...batch, i, p]·b[...batch, p, j]
 * (float64 in the reference executor, p ascending, rounded once to dtype). Its `exprs` use loop axes
 * [...batch, i, j] and read `acc`; `alpha` is a scale folded out of an operand (x·c @ w).
 */
export interface MatmulKernel extends KernelBase {
  readonly kind: 'matmul';
  readonly shape: readonly number[];
  readonly k: number;
  readonly a: Operand;
  readonly b: Operand;
  readonly alpha: number;
  readonly dtype: DType;
  readonly exprs: readonly Expr[];
  readonly stores: readonly Store[];
}

/** One primitive run on whole dense row-major inputs (of `inputShapes`) into one output. */
export interface LibraryKernel extends KernelBase {
  readonly kind: 'library';
  readonly op: PrimName;
  readonly attrs: Attrs;
  readonly inputShapes: readonly (readonly number[])[];
}

export type Kernel = FusedKernel | MatmulKernel | LibraryKernel;

export type BufferRole = 'input' | 'output' | 'temp';

/** A dense row-major buffer holding one tensor-IR value (`node`). */
export interface Buffer {
  readonly id: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly role: BufferRole;
  readonly node: number;
}

export interface Schedule {
  readonly name: string;
  /** Indexed by buffer id. */
  readonly buffers: readonly Buffer[];
  /** In execution order: a kernel reads only graph inputs and buffers written by earlier kernels. */
  readonly kernels: readonly Kernel[];
  /** Buffer ids of the graph's inputs and outputs, in order (an output may be an input's buffer). */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** Storage bindings of a kernel: what WebGPU's maxStorageBuffersPerShaderStage limits. */
export const bindings = (k: Kernel): number => k.inputs.length + k.outputs.length;
