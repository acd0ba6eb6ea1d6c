// Where a matmul or library kernel reads an operand from: the buffer under a chain of views.
// Matmul tiles need plain strided operands, so a matmul operand may pass through transpose,
// broadcast, slice, reshape and a multiplication by a uniform constant (absorbed as the kernel's
// alpha), and nothing else; the first node that is not such a view must be a buffer.
import type { Node } from '../ir/graph.ts';
import { classify, isAffineView, uniformValue } from './classify.ts';
import { broadcastMap, identityMap, isAffine, reshapeMap, sliceMap, transposeMap, type IndexMap } from './index_map.ts';

export interface OperandPlan {
  /** The node whose buffer is read. */
  readonly head: number;
  /** Its index as a function of the operand's own axes. */
  readonly map: IndexMap;
  /** The operand's shape: the loop extents of `map`. */
  readonly shape: readonly number[];
  /** Product of the uniform factors passed on the way (f32 only). */
  readonly alpha: number;
  /** Whether `head` is not yet a buffer and must be materialized. */
  readonly needsBuffer: boolean;
}

const nums = (n: Node, k: string): readonly number[] => n.attrs[k] as readonly number[];

/**
 * Follows operand `id` down through affine views and uniform scales until `isBuffer` holds. A reshape
 * that produces a non-affine map stops the walk at its input (which a buffer makes affine again).
 */
export function matmulOperand(byId: ReadonlyMap<number, Node>, id: number, isBuffer: (id: number) => boolean): OperandPlan {
  const shape = byId.get(id)!.type.shape;
  let map: IndexMap = identityMap(shape.length);
  let alpha = 1;
  let x = id;
  const stop = (needsBuffer: boolean): OperandPlan => ({ head: x, map, shape, alpha, needsBuffer });
  for (;;) {
    if (isBuffer(x)) return stop(false);
    if (!map.every(isAffine)) return stop(true);
    const n = byId.get(x)!;
    const src = n.inputs[0]!;
    if (isAffineView(n.op)) {
      const from = byId.get(src)!.type.shape;
      if (n.op === 'transpose') map = transposeMap(map, nums(n, 'perm'));
      else if (n.op === 'broadcast') map = broadcastMap(map, from);
      else if (n.op === 'slice') map = sliceMap(map, nums(n, 'starts'));
      else map = reshapeMap(map, n.type.shape, from, shape);
      x = src;
      continue;
    }
    const k1 = n.op === 'mul' ? uniformValue(byId, n.inputs[1]!) : undefined;
    const k0 = n.op === 'mul' && k1 === undefined ? uniformValue(byId, src) : undefined;
    if (k1 !== undefined || k0 !== undefined) {
      alpha *= (k1 ?? k0)!;
      x = k1 !== undefined ? src : n.inputs[1]!;
      continue;
    }
    return stop(true);
  }
}

/** A library kernel reads dense buffers: only reshapes (which keep the layout) may lie between. */
export function libraryOperand(byId: ReadonlyMap<number, Node>, id: number, isBuffer: (id: number) => boolean): OperandPlan {
  const shape = byId.get(id)!.type.shape;
  let x = id;
  while (!isBuffer(x) && byId.get(x)!.op === 'reshape') x = byId.get(x)!.inputs[0]!;
  return { head: x, map: [], shape, alpha: 1, needsBuffer: !isBuffer(x) };
}

/** Nodes that are buffers by their nature (inputs, and the results of reductions, matmuls, library ops). */
export const isKernelResult = (n: Node): boolean => {
  const c = classify(n.op);
  return c === 'input' || c === 'reduce' || c === 'matmul' || c === 'library';
};
