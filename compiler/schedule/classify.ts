// How fusion treats each primitive: the one place that sorts the primitive table into kernel roles.
import type { Graph, Node } from '../ir/graph.ts';
import type { PrimName } from '../ir/prims.ts';
import { isElementwise } from '../kernel/ops.ts';

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

export function classify(op: PrimName): NodeClass {
  if (op === 'input') return 'input';
  if (op === 'const' || op === 'iota') return 'source';
  if (isElementwise(op)) return 'elementwise';
  if (VIEWS.has(op)) return 'view';
  if (op === 'sum' || op === 'max' || op === 'min') return 'reduce';
  if (op === 'matmul') return 'matmul';
  return 'library';
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

/** The uniform value of a const, or of a broadcast/reshape of one (a scale a matmul can absorb). */
export function uniformValue(byId: ReadonlyMap<number, Node>, id: number): number | undefined {
  const n = byId.get(id)!;
  if (n.op === 'const') return n.type.dtype === 'f32' ? Math.fround(Number(n.attrs['value'])) : undefined;
  if (n.op === 'broadcast' || n.op === 'reshape') return uniformValue(byId, n.inputs[0]!);
  return undefined;
}
