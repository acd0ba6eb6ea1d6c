// What the runtime needs to know to share a kernel between threads. A kernel is one or more steps
// run in order (a matmul: its products, then the mirror of a symmetric product, then its epilogue);
// between two steps every thread has finished the first. A Wasm step is an exported function
//   (func $name (param $begin i32) (param $end i32) (param $tid i32))
// that does units [begin, end) of its work: thread `tid` (0 = the main thread) may call it on any
// range, and the ranges of one step, called on different threads, never write the same bytes.

/** How much work the units of a step carry, relative to each other. */
export type Weight =
  | { readonly kind: 'flat' }
  /** Unit u weighs about (period − u mod period) (upper triangles) or (u mod period + 1) (lower). */
  | { readonly kind: 'falling' | 'rising'; readonly period: number };

export const FLAT: Weight = { kind: 'flat' };

export interface WasmStep {
  readonly kind: 'wasm';
  /** The kernel's index in the schedule. */
  readonly kernel: number;
  /** The export's name. */
  readonly name: string;
  /** What [begin, end) counts; 1 for a step that runs whole on one thread. */
  readonly units: number;
  /** Ranges should begin at multiples of this (vector loops stay aligned to the data). */
  readonly granule: number;
  /** Element operations in all, roughly (flops/8 for a GEMM): whether threads are worth waking. */
  readonly work: number;
  /** Work that every call does again whatever its range (a GEMM packing its B panel), same units. */
  readonly repeat: number;
  readonly weight: Weight;
}

/** A library kernel: runs on the main thread (JavaScript on views of the memory), all of it. */
export interface LibraryStep {
  readonly kind: 'library';
  readonly kernel: number;
}

export type Step = WasmStep | LibraryStep;

/** The parameters every step function takes. */
export const STEP_PARAMS: readonly (readonly [string, 'i32'])[] = [['begin', 'i32'], ['end', 'i32'], ['tid', 'i32']];
