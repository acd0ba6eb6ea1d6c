// The dispatch is sparse: the matmul FLOPs of a step grow with k (through the capacity), not with
// the number of experts. FLOPs are counted on the tensor IR (`program.graph`): 2·∏batch·m·k·n per
// matmul node, for the forward layer and for a whole training step (value_and_grad of the loss).
//
// The graph's matmuls are of two kinds, told apart by rank:
//   * unbatched [·, ·] @ [·, ·]: the router, x @ W with W: [d, e] (and, in a step, its two backward
//     products). Scoring every expert for every token is inherent to routing: 2·T·d·e each, small
//     beside the experts (d·e against 3·k·d·h per token);
//   * batched [n, ·, ·] @ [n, ·, ·]: the routed experts on their [e, c, d] buffer, and the shared
//     experts on [s, T, d]. Their cost is 2·e·c·d·h per product: with c = ceil(factor·T·k/e), e·c is
//     factor·T·k, whatever e is. This is what must not grow with e.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.ts';
import { capacity, data, program, type Config } from './helpers.ts';

/** Matmul FLOPs of a graph, split into the unbatched (router) and batched (experts) products. */
function flops(g: Graph): { router: number; experts: number; count: { router: number; experts: number } } {
  const types = new Map(g.nodes.map((n) => [n.id, n.type]));
  const out = { router: 0, experts: 0, count: { router: 0, experts: 0 } };
  for (const n of g.nodes) {
    if (n.op !== 'matmul') continue;
    const a = types.get(n.inputs[0]!)!.shape;
    const b = types.get(n.inputs[1]!)!.shape;
    const f = 2 * n.type.shape.reduce((p, v) => p * v, 1) * a[a.length - 1]!;
    const kind = a.length === 2 && b.length === 2 ? 'router' : 'experts';
    out[kind] += f;
    out.count[kind]++;
  }
  return out;
}

const T = 16;
const D = 8;
const H = 16;
const HS = 16;
const FACTOR = 1;

async function measure(e: number, k: number) {
  const base = { b: 2, t: 8, d: D, e, h: H, s: 1, hs: HS, k };
  const cfg: Config = { ...base, c: capacity(base, FACTOR) };
  const prog = program(cfg);
  const { p, x } = await data(cfg, 1);
  return { c: cfg.c, layer: flops(prog.graph('layer', p, x)), step: flops(prog.graph('step', { p, x }, x)) };
}

describe('std.moe compute', () => {
  it('stays constant in the expert count at fixed k and capacity factor (only the router grows)', async () => {
    const k = 2;
    const runs = await Promise.all([4, 8, 16].map(async (e) => ({ e, ...(await measure(e, k)) })));
    for (const { e, c, layer, step } of runs) {
      expect(e * c).toBe(FACTOR * T * k); // c = 8, 4, 2
      // Forward: 3 routed-expert and 3 shared-expert products, exactly 6·e·c·d·h + 6·s·T·d·hs.
      expect(layer.count).toEqual({ router: 1, experts: 6 });
      expect(layer.experts).toBe(6 * e * c * D * H + 6 * T * D * HS);
      expect(layer.router).toBe(2 * T * D * e);
      // A step: the forward products and two backward products for each (three times the FLOPs).
      expect(step.count).toEqual({ router: 3, experts: 18 });
      expect(step.experts).toBe(3 * layer.experts);
      expect(step.router).toBe(3 * layer.router);
    }
    // The expert FLOPs are the same for 4, 8 and 16 experts; the total grows only by the router's
    // 2·T·d per expert and product, 10% from 4 to 16 experts here.
    expect(new Set(runs.map((r) => r.layer.experts)).size).toBe(1);
    expect(new Set(runs.map((r) => r.step.experts)).size).toBe(1);
    const total = (r: (typeof runs)[number]): number => r.step.experts + r.step.router;
    expect(total(runs[2]!) / total(runs[0]!)).toBeLessThan(1.12);
  });

  it('grows linearly with k at a fixed expert count and capacity factor', async () => {
    const e = 8;
    const runs = await Promise.all([1, 2, 4].map(async (k) => ({ k, ...(await measure(e, k)) })));
    const shared = 6 * T * D * HS;
    const routed = runs.map((r) => r.layer.experts - shared);
    // The routed experts' FLOPs: 6·(factor·T·k)·d·h, proportional to k (c = 2, 4, 8).
    runs.forEach((r, i) => expect(routed[i]).toBe(6 * FACTOR * T * r.k * D * H));
    expect(routed[1]! / routed[0]!).toBe(2);
    expect(routed[2]! / routed[0]!).toBe(4);
    // The router does not depend on k; a whole step grows with k too.
    expect(new Set(runs.map((r) => r.layer.router)).size).toBe(1);
    expect(runs[0]!.step.experts).toBeLessThan(runs[1]!.step.experts);
    expect(runs[1]!.step.experts).toBeLessThan(runs[2]!.step.experts);
  });
});
