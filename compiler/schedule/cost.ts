// The cost rule fusion uses to choose between recomputing a value in each kernel that needs it and
// materializing it once in a buffer.
//
// A value that is neither a graph input nor the result of a reduction, matmul or library kernel is
// an inline expression (elementwise arithmetic, views, constants, iota). Inline expressions are
// recomputed in every kernel that uses them, which costs ALU time but no memory traffic and no
// kernel launch. Its cost is
//     cost(v) = Σ op costs of the inline nodes it consists of + the number of buffers it reads
// with op costs: 0 for views, constants, iota and stop_gradient; 4 for exp, log, sqrt, rsqrt,
// tanh, sigmoid, silu, gelu, sin, cos, div, mod, pow; 2 for a dense scatter computed inline (a
// comparison and an addition, classify.ts); 1 for every other elementwise operation.
// An inline value is materialized instead when
//   (a) it must be a buffer: it is a graph output, or a matmul or library kernel reads it;
//   (b) it flows into at least two kernel boundaries (reductions, matmuls, library ops, outputs and
//       values of (a), reached through other inline nodes) and cost(v) > maxRecomputeCost;
//   (c) a broadcast, gather or dense scatter (its update) that makes more elements than it has
//       reads it, and it does any arithmetic (ALU cost > 0): recomputing it would repeat that work
//       for every copy;
//   (d) a kernel would otherwise bind more than maxBindings buffers (the largest inline operand is cut).
// Softmax's exp(x - max) (cost 7: exp 4, sub 1, two buffers) is recomputed by the sum and by the
// division; a long gelu-derivative chain used by two reductions is stored once.
import type { Node } from '../ir/graph.ts';
import { isCostly, isElementwise } from '../kernel/ops.ts';

export interface ScheduleOptions {
  /** Storage buffers one kernel may bind, inputs and outputs together (WebGPU's default is 8). */
  readonly maxBindings?: number;
  /** The largest cost(v) recomputed in several kernels (see above). */
  readonly maxRecomputeCost?: number;
}

export const DEFAULT_MAX_BINDINGS = 8;
export const DEFAULT_MAX_RECOMPUTE_COST = 8;

/** ALU cost of one node when it is part of an inline expression. */
export function opCost(n: Node): number {
  // Only dense scatters are ever inline: the others are library kernels.
  if (n.op === 'scatter_add' || n.op === 'scatter_along_axis') return 2;
  if (!isElementwise(n.op) || n.op === 'stop_gradient') return 0;
  return isCostly(n.op) ? 4 : 1;
}

/** Inline expressions whose node set grows past this are treated as too costly to recompute. */
export const MAX_TRACKED_INLINE_NODES = 64;
