// How fusion treats each primitive: the one place that sorts the primitive table into kernel roles.
import { sizeOf, type Graph, type Node } from '../ir/graph.ts';
import type { PrimName } from '../ir/prims.ts';
import { isElementwise } from '../kernel/ops.ts';
import { isInvolution, staticIndices } from './static_index.ts';

export type NodeClass =
  /** A graph input: a buffer the caller provides. */
  | 'input'
  /** const, iota: scalar expressions of the loop index. */
  | 'source'
  /** One output element from the same element of each input. */
  | 'elementwise'
  /** Index arithmetic only: folded into the loads of whatever reads them. */
  | 'view'
  | 'reduce'
  | 'matmul'
  /** A kernel of its own, on dense inputs. */
  | 'library';

const VIEWS: ReadonlySet<PrimName> = new Set<PrimName>(['transpose', 'broadcast', 'reshape', 'slice', 'pad', 'concat', 'gather', 'take_along_axis']);

/**
 * How fusion treats node `n` (`byId` gives its operands' types). A scatter that adds a single
 * update at each position it reaches (see isDenseScatter) is index arithmetic too, a `view`: every
 * output element is its target's, plus the update where the index points at it.
 */
export function classify(n: Node, byId: ReadonlyMap<number, Node>): NodeClass {
  const op = n.op;
  if (op === 'input') return 'input';
  if (op === 'const' || op === 'iota') return 'source';
  if (isElementwise(op)) return 'elementwise';
  if (VIEWS.has(op) || isDenseScatter(n, byId)) return 'view';
  if (op === 'sum' || op === 'max' || op === 'min') return 'reduce';
  if (op === 'matmul') return 'matmul';
  return 'library';
}

/**
 * A scatter in which each target element receives at most one update, so that it is an
 * elementwise `where(position == index, target + update, target)` with no order of summation to
 * keep: `scatter_add` with a single index (the gradient of picking one slice, as a stacked layer's
 * `layers[i]`) or with a permuting one (below), and `scatter_along_axis` whose indices have extent 1
 * along the axis and the target's extents elsewhere (the gradient of take_along_axis picking one
 * element per row). The interpreter adds in float64 and rounds once, which for one f32 or i32
 * addend is the f32 or wrapping i32 addition.
 */
export function isDenseScatter(n: Node, byId: ReadonlyMap<number, Node>): boolean {
  if (n.op !== 'scatter_add' && n.op !== 'scatter_along_axis') return false;
  if (n.type.dtype !== 'f32' && n.type.dtype !== 'i32') return false;
  const target = n.type.shape;
  const idx = byId.get(n.inputs[1]!)!.type.shape;
  if (n.op === 'scatter_add') return sizeOf(idx) === 1 || permutingScatter(n, byId);
  const axis = n.attrs['axis'] as number;
  const upd = byId.get(n.inputs[2]!)!.type.shape;
  return (
    idx.length === target.length && idx[axis] === 1 && idx.every((d, i) => i === axis || d === target[i]) &&
    upd.length === idx.length && upd.every((d, i) => d === idx[i])
  );
}

/** Views that keep a load affine (no mask, no data-dependent index): what a matmul operand may use. */
export const isAffineView = (op: PrimName): boolean => op === 'transpose' || op === 'broadcast' || op === 'reshape' || op === 'slice';

/** The nodes every output depends on (inputs always count: they are the signature). */
export function liveNodes(g: Graph): Set<number> {
  const byId = new Map(g.nodes.map((n) => [n.id, n] as const));
  const live = new Set<number>(g.inputs);
  const stack = [...g.outputs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue; // inputs are already in: they read nothing
    live.add(id);
    for (const i of byId.get(id)!.inputs) if (!live.has(i)) stack.push(i);
  }
  return live;
}

/** Distinct live users of each live node, in graph order. */
export function usersOf(g: Graph, live: ReadonlySet<number>): Map<number, number[]> {
  const users = new Map<number, number[]>();
  for (const n of g.nodes) if (live.has(n.id)) users.set(n.id, []);
  for (const n of g.nodes) {
    if (!live.has(n.id)) continue;
    for (const i of new Set(n.inputs)) users.get(i)!.push(n.id);
  }
  return users;
}

/**
 * A scatter_add whose indices are known when compiling, one per position of the axis, and a
 * permutation that is its own inverse (rotate_half's (i + d/2) mod d, a reversal): the target at
 * position j receives the update at position idx[j], a gather with the same index expression.
 */
export function permutingScatter(n: Node, byId: ReadonlyMap<number, Node>): boolean {
  if (n.op !== 'scatter_add') return false;
  const idx = byId.get(n.inputs[1]!)!.type.shape;
  if (idx.length !== 1 || idx[0] !== n.type.shape[n.attrs['axis'] as number]) return false;
  const values = staticIndices(byId, n.inputs[1]!);
  return values !== null && isInvolution(values);
}

/** The uniform value of a const, or of a broadcast/reshape of one (a scale a matmul can absorb). */
export function uniformValue(byId: ReadonlyMap<number, Node>, id: number): number | undefined {
  const n = byId.get(id)!;
  if (n.op === 'const') return n.type.dtype === 'f32' ? Math.fround(Number(n.attrs['value'])) : undefined;
  if (n.op === 'broadcast' || n.op === 'reshape') return uniformValue(byId, n.inputs[0]!);
  return undefined;
}

/** The same for an i32 constant (an index known when compiling, as an unrolled loop's `layers[i]`). */
export function uniformIndex(byId: ReadonlyMap<number, Node>, id: number): number | undefined {
  const n = byId.get(id)!;
  if (n.op === 'const') return n.type.dtype === 'i32' ? Number(n.attrs['value']) | 0 : undefined;
  if (n.op === 'broadcast' || n.op === 'reshape') return uniformIndex(byId, n.inputs[0]!);
  return undefined;
}

/**
 * A gather whose indices are all one constant within range: a slice of its operand, so an affine
 * view (a matmul may read a stacked weight's layer in place).
 */
export function constantGather(byId: ReadonlyMap<number, Node>, n: Node): number | undefined {
  if (n.op !== 'gather') return undefined;
  const c = uniformIndex(byId, n.inputs[1]!);
  const extent = byId.get(n.inputs[0]!)!.type.shape[n.attrs['axis'] as number]!;
  return c !== undefined && c >= 0 && c < extent ? c : undefined;
}
