// Graph rewrites before fusion, each turning a pattern that would cost a kernel of its own into
// one that fuses with its neighbours. They keep the meaning of the graph up to the rounding of
// sums (noted at each), keep every existing node's id (buffers and printouts name them), and give
// the nodes they add fresh ids above the graph's largest; a replaced node's id goes to the node
// that now computes its value.
//
//   - A reduction over axes whose extents multiply to 1 is a reshape (a sum also adds 0, which
//     turns -0 into +0 as the interpreter's sum from 0 does): it then joins its operand's kernel
//     as an epilogue, or its consumer's, instead of being a loop of one.
//   - A sum over batch axes of a batched matmul that nothing else reads is one matmul over a
//     longer contraction: Σ_s Σ_k a[s, i, k]·b[s, k, j] with (s, k) merged into one axis, when both
//     operands' strides let the merged axis be one stride (a weight gradient summed over the batch,
//     xᵀ·dy for x of [b, t, d]). The interpreter rounds each batch's product to f32 before summing
//     them; the merged matmul rounds once (within the 1e-5 the kernels are held to).
import { sizeOf, type Attrs, type Graph, type Node, type TType } from '../ir/graph.ts';
import { PRIMS, type PrimName } from '../ir/prims.ts';
import { isKernelResult, matmulOperand } from './operand.ts';
import { liveNodes, usersOf } from './classify.ts';

export function rewriteForFusion(g: Graph): Graph {
  const byId = new Map(g.nodes.map((n) => [n.id, n] as const));
  const users = usersOf(g, liveNodes(g));
  const outputs = new Set(g.outputs);
  let next = g.nodes.reduce((m, n) => Math.max(m, n.id), -1) + 1;
  const nodes: Node[] = [];
  let pending: Node[] = [];
  let changed = false;

  /** Adds a node (pending until its rewrite is kept); with `id`, it takes that id (the node it replaces). */
  const add = (op: PrimName, inputs: readonly number[], attrs: Attrs, id?: number): number => {
    const type: TType = PRIMS[op].type(inputs.map((i) => byId.get(i)!.type), attrs);
    const n: Node = { id: id ?? next++, op, inputs, attrs, type };
    byId.set(n.id, n);
    pending.push(n);
    return n.id;
  };

  for (const n of g.nodes) {
    pending = [];
    if (reductionOfOne(n, byId, add) || batchSumMatmul(n, byId, users, outputs, add)) {
      nodes.push(...pending);
      changed = true;
      continue;
    }
    for (const p of pending) byId.delete(p.id);
    byId.set(n.id, n);
    nodes.push(n);
  }
  return changed ? { ...g, nodes } : g;
}

type Add = (op: PrimName, inputs: readonly number[], attrs: Attrs, id?: number) => number;

/** A reduction's axes, sorted, over its operand of rank `rank`. */
const axesOf = (n: Node, rank: number): number[] => (n.attrs['axes'] as readonly number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);

/** sum/max/min over extents multiplying to 1 → reshape (+ 0 for a sum). */
function reductionOfOne(n: Node, byId: ReadonlyMap<number, Node>, add: Add): boolean {
  if (n.op !== 'sum' && n.op !== 'max' && n.op !== 'min') return false;
  const x = byId.get(n.inputs[0]!)!;
  if (x.type.dtype !== n.type.dtype || n.type.dtype === 'bool') return false;
  if (sizeOf(axesOf(n, x.type.shape.length).map((a) => x.type.shape[a]!)) !== 1) return false;
  if (n.op !== 'sum') {
    add('reshape', [x.id], { shape: n.type.shape }, n.id);
    return true;
  }
  const flat = add('reshape', [x.id], { shape: n.type.shape });
  const zero = add('const', [], { value: 0, dtype: n.type.dtype, shape: n.type.shape });
  add('add', [flat, zero], {}, n.id);
  return true;
}

/** sum(matmul(a, b), batch axes S) → matmul(a', b') with the S axes merged into the contraction. */
function batchSumMatmul(n: Node, byId: Map<number, Node>, users: ReadonlyMap<number, number[]>, outputs: ReadonlySet<number>, add: Add): boolean {
  if (n.op !== 'sum' || n.type.dtype !== 'f32') return false;
  const m = byId.get(n.inputs[0]!)!;
  if (m.op !== 'matmul' || outputs.has(m.id) || users.get(m.id)?.length !== 1) return false;
  const rank = m.type.shape.length;
  const summed = axesOf(n, rank);
  if (summed.length === 0 || summed.some((a) => a >= rank - 2)) return false;
  const kept = [...Array(rank - 2).keys()].filter((a) => !summed.includes(a));
  const [aId, bId] = m.inputs as [number, number];
  const aShape = byId.get(aId)!.type.shape;
  const bShape = byId.get(bId)!.type.shape;
  const merged = sizeOf(summed.map((a) => aShape[a]!)) * aShape[rank - 1]!;
  const batch = kept.map((a) => aShape[a]!);
  // The operands' heads before: the rewrite is kept only if the merged views reach them (affine).
  const before = [aId, bId].map((id) => matmulOperand(byId, id, (x) => isKernelResult(byId.get(x)!, byId)).head);
  const a2 = add('reshape', [add('transpose', [aId], { perm: [...kept, rank - 2, ...summed, rank - 1] })], { shape: [...batch, aShape[rank - 2]!, merged] });
  const b2 = add('reshape', [add('transpose', [bId], { perm: [...kept, ...summed, rank - 2, rank - 1] })], { shape: [...batch, merged, bShape[rank - 1]!] });
  const after = [a2, b2].map((id) => matmulOperand(byId, id, (x) => isKernelResult(byId.get(x)!, byId)).head);
  if (after.some((h, k) => h !== before[k])) return false;
  add('matmul', [a2, b2], {}, n.id);
  return true;
}
