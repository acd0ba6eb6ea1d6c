// Where a matmul or library kernel reads an operand from: the buffer under a chain of views.
// Matmul tiles need plain strided operands, so a matmul operand may pass through transpose,
// broadcast, slice, reshape, a gather of one constant index (a slice) and a multiplication by a
// uniform constant (absorbed as the kernel's alpha), and nothing else; the first node that is not
// such a view must be a buffer.
import type { Node } from '../ir/graph.ts';
import { classify, constantGather, isAffineView, uniformValue } from './classify.ts';
import { broadcastMap, constIx, identityMap, isAffine, offsetIx, reshapeMap, rowMajor, sliceMap, transposeMap, type IndexMap } from './index_map.ts';

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
 * Follows operand `id` down through affine views and uniform scales until `isBuffer` holds or a node
 * that is not such a view is reached (the head, to be materialized). A reshape may make the map
 * non-affine (digits of a flat position); the walk goes on, and the head is read in place if its
 * row-major layout recombines the digits into an affine offset (a reshape that splits what another
 * reshape merged, as the matmuls of rewrite.ts do). Otherwise the deepest node passed on the way
 * whose layout does recombine them becomes the head, to be materialized (normally the input of the
 * reshape that first made the map non-affine is one, laid out as that reshape reads it; that node is
 * the head when none is).
 */
export function matmulOperand(byId: ReadonlyMap<number, Node>, id: number, isBuffer: (id: number) => boolean): OperandPlan {
  const shape = byId.get(id)!.type.shape;
  let map: IndexMap = identityMap(shape.length);
  let alpha = 1;
  let x = id;
  let candidate: OperandPlan | null = null;
  let first: OperandPlan | null = null;
  const stop = (needsBuffer: boolean): OperandPlan => ({ head: x, map, shape, alpha, needsBuffer });
  const recombines = (): boolean => map.every(isAffine) || offsetIx(map, rowMajor(byId.get(x)!.type.shape), shape).atoms.length === 0;
  const head = (): OperandPlan => (recombines() ? stop(!isBuffer(x)) : (candidate ?? first!));
  for (;;) {
    if (isBuffer(x)) return head();
    if (!map.every(isAffine)) {
      first ??= stop(true);
      if (recombines()) candidate = stop(true);
    }
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
    const c = constantGather(byId, n);
    if (c !== undefined) {
      const axis = n.attrs['axis'] as number;
      const rank = byId.get(n.inputs[1]!)!.type.shape.length;
      map = [...map.slice(0, axis), constIx(c), ...map.slice(axis + rank)];
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
    return head();
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
export const isKernelResult = (n: Node, byId: ReadonlyMap<number, Node>): boolean => {
  const c = classify(n, byId);
  return c === 'input' || c === 'reduce' || c === 'matmul' || c === 'library';
};
