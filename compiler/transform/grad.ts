// Reverse-mode differentiation on the tensor IR: appends to the builder the nodes that compute
// the gradient of one scalar value with respect to some earlier values. The result is again
// plain IR, so it prints, simplifies and runs like any other graph.
import type { Builder } from '../ir/graph.ts';
import { PRIMS } from '../ir/prims.ts';

/**
 * Gradients of `out` (an f32 value of any shape, seeded with ones) with respect to `wrt`.
 * Only f32 values carry gradients: integer results (indices from topk, argsort) stop them.
 */
export function vjp(b: Builder, out: number, wrt: readonly number[]): number[] {
  const forward = [...b.nodes];
  // Nodes that depend on some wrt value, in topological order.
  const live = new Set<number>(wrt);
  for (const n of forward) if (n.inputs.some((i) => live.has(i)) && n.type.dtype === 'f32' && PRIMS[n.op].vjp) live.add(n.id);
  const cts = new Map<number, number>();
  if (live.has(out)) cts.set(out, b.constant(1, b.type(out)));
  for (let k = forward.length - 1; k >= 0; k--) {
    const n = forward[k]!;
    const ct = cts.get(n.id);
    if (ct === undefined || !n.inputs.some((i) => live.has(i))) continue;
    const contributions = PRIMS[n.op].vjp!(b, n, ct);
    n.inputs.forEach((input, i) => {
      const c = contributions[i];
      if (c === null || c === undefined || !live.has(input)) return;
      const prev = cts.get(input);
      cts.set(input, prev === undefined ? c : b.add('add', [prev, c]));
    });
  }
  return wrt.map((w) => cts.get(w) ?? b.constant(0, b.type(w)));
}
