// Gradients of the whole MoE layer — router, routed experts, shared experts and the input — from
// `grad`/`value_and_grad` of a `.mu` loss, against central finite differences of the loss graph
// (`program.graph('loss', …)`) evaluated by the reference interpreter in float64.
//
// The loss is sum(y · w) for a fixed w, plus the sequence-wise auxiliary loss with α = 0.1 (large,
// so that its gradient through the normalized scores is visible), with a capacity that drops some
// assignments, so that the check also covers the dump row and the dropped tokens.
//
// Routing is held fixed: the top-k choice and the capacity drops are piecewise constant, and the
// finite differences are only meaningful away from their jumps. A step h = 1e-4·max(|v|, 0.1) on a
// router weight W[j, i] moves the score of expert i for token t by at most 0.25·h·|x[t, j]|
// (sigmoid' ≤ 1/4); on an input x[t, j] it moves each score of token t by at most 0.25·h·|W[j, i]|;
// on a bias it moves one biased score by h. So a gap between every token's k-th and (k+1)-th biased
// score above twice the largest such move keeps every choice unchanged; the test asserts it (the
// seed is the first one that satisfies it).
//
// Tolerance, as in test/ir/grad_language.test.ts: |grad − fd| ≤ 1e-3·(1 + |fd|). The gradient is
// computed in float32 (rounding of ~1e-7 relative per operation, amplified along the chain); the
// float64 central difference has truncation error O(h²) and rounding error O(1e-16/h), both below
// 1e-6. A wrong derivative rule or a cotangent sent to the wrong token or expert is off by O(|fd|).
import { describe, expect, it } from 'vitest';
import type { Tensor, Value } from '../../../runtime/program.ts';
import { evaluate } from '../../../runtime/interp/eval.ts';
import { arr, data, layer, program, refRoute, reshape, type Config, type Params } from './helpers.ts';

const TOL = 1e-3;
const REL_STEP = 1e-4;
const STEP_FLOOR = 0.1;

const isTensor = (v: Value): v is Tensor =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v && ArrayBuffer.isView((v as Tensor).data);

/** The leaves of a value, records in the order of `like`'s keys (the order lowering numbers graph inputs). */
function flatten(v: Value, like: Value = v, path = ''): { path: string; t: Tensor }[] {
  if (isTensor(v)) return [{ path, t: v }];
  const obj = v as Readonly<Record<string, Value>>;
  return Object.keys(like as object).flatMap((k) => flatten(obj[k], (like as Readonly<Record<string, Value>>)[k], path ? `${path}.${k}` : k));
}

const wide = (t: Tensor, values: ArrayLike<number> = t.data): Tensor => ({ dtype: 'f32', shape: t.shape, data: Float64Array.from(values) });

/** A fixed projection w for sum(y · w): magnitudes in [0.5, 1.5], alternating signs. */
const projection = (cfg: Config): Tensor => {
  const n = cfg.b * cfg.t * cfg.d;
  return { dtype: 'f32', shape: [cfg.b, cfg.t, cfg.d], data: Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (0.5 + ((i * 7919) % 101) / 100)) };
};

const maxAbs = (t: Tensor): number => Math.max(...Array.from(t.data, Math.abs));

/** The first seed from 1 whose routing is far enough from every jump (see the header). */
async function stableSeed(cfg: Config): Promise<{ p: Params; x: Tensor; margin: number; needed: number }> {
  for (let seed = 1; seed <= 50; seed++) {
    const { p, x } = await data(cfg, seed);
    const r = refRoute(p, reshape(x, [cfg.b * cfg.t, cfg.d]), cfg.k);
    const move = 0.25 * REL_STEP * Math.max(maxAbs(p.router), STEP_FLOOR) * Math.max(maxAbs(x), STEP_FLOOR);
    const needed = 2 * Math.max(move, REL_STEP * STEP_FLOOR);
    const margin = Math.min(...r.margin);
    if (margin > needed) return { p, x, margin, needed };
  }
  throw new Error('no seed in 1..50 keeps the routing away from its jumps');
}

interface Checked {
  /** checked coordinates per leaf path */
  readonly counts: Record<string, number>;
  readonly grad: Record<string, Tensor>;
}

/**
 * Compares the gradient of `loss` at (q, w), computed by the program's `fn` (grad or value_and_grad),
 * with finite differences: along every coordinate of every leaf (`coords = 'all'`), or along
 * `coords` coordinates per leaf plus `directions` random directions per leaf.
 */
async function check(cfg: Config, fn: 'dloss' | 'step', coords: 'all' | number, directions = 0): Promise<Checked> {
  const prog = program(cfg);
  const { p, x, margin, needed } = await stableSeed(cfg);
  expect(margin).toBeGreaterThan(needed);
  const q = { p, x };
  const w = projection(cfg);
  const result = await prog.call(fn, q, w);
  const [value, gradient] = fn === 'step' ? (result as [Tensor, Value]) : [undefined, result];
  const graph = prog.graph('loss', q, w);
  const leaves = flatten(q, gradient);
  const grads = flatten(gradient);
  const base = [...leaves.map((l) => wide(l.t)), wide(w)];
  expect(graph.inputs.length).toBe(base.length);
  const lossAt = (inputs: readonly Tensor[]): number => evaluate(graph, inputs, { float64: true })[0]!.data[0]!;
  if (value !== undefined) {
    const l = lossAt(base);
    expect(Math.abs(arr(value)[0]! - l)).toBeLessThanOrEqual(TOL * (1 + Math.abs(l)));
  }
  let rng = 12345;
  const random = (): number => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const counts: Record<string, number> = {};
  leaves.forEach(({ path, t }, k) => {
    const g = grads[k]!;
    expect(g.path).toBe(path);
    expect(g.t.shape).toEqual(t.shape);
    const xs = Array.from(t.data);
    const lossMoved = (values: number[]): number => {
      const moved = base.slice();
      moved[k] = wide(t, values);
      return lossAt(moved);
    };
    const picks = coords === 'all' ? xs.map((_, j) => j) : Array.from({ length: coords }, () => Math.floor(random() * xs.length));
    for (const j of picks) {
      const h = REL_STEP * Math.max(Math.abs(xs[j]!), STEP_FLOOR);
      const fd = (lossMoved(xs.map((v, i) => (i === j ? v + h : v))) - lossMoved(xs.map((v, i) => (i === j ? v - h : v)))) / (2 * h);
      const got = g.t.data[j]!;
      if (!(Math.abs(got - fd) <= TOL * (1 + Math.abs(fd)))) throw new Error(`d loss / d ${path}[${j}]: grad gives ${got}, finite differences ${fd}`);
    }
    // A random ±1 direction v: the directional derivative ⟨grad, v⟩ against (L(x + h·v) − L(x − h·v)) / 2h.
    for (let r = 0; r < directions; r++) {
      const v = xs.map(() => (random() < 0.5 ? -1 : 1));
      const h = REL_STEP * Math.max(maxAbs(t), STEP_FLOOR) * 0.1;
      const fd = (lossMoved(xs.map((u, i) => u + h * v[i]!)) - lossMoved(xs.map((u, i) => u - h * v[i]!))) / (2 * h);
      const got = v.reduce((acc, vi, i) => acc + vi * g.t.data[i]!, 0);
      if (!(Math.abs(got - fd) <= TOL * (1 + Math.abs(fd)))) throw new Error(`d loss / d ${path} along a direction: grad gives ${got}, finite differences ${fd}`);
    }
    counts[path] = picks.length;
  });
  return { counts, grad: Object.fromEntries(grads.map((g) => [g.path, g.t])) };
}

describe('std.moe gradients vs float64 finite differences (routing held fixed)', () => {
  it('every coordinate of router, routed experts, shared experts and input, at a small size with drops', async () => {
    const cfg: Config = { b: 2, t: 4, d: 4, e: 4, h: 8, s: 1, hs: 8, k: 2, c: 3, alpha: 0.1 };
    const { counts, grad } = await check(cfg, 'dloss', 'all');
    expect(Object.keys(counts).sort()).toEqual([
      'p.bias', 'p.experts.down', 'p.experts.gate', 'p.experts.up', 'p.router', 'p.shared.down', 'p.shared.gate', 'p.shared.up', 'x',
    ]);
    // The bias only steers the choice: its gradient is exactly zero (and so are its finite differences).
    expect(arr(grad['p.bias']!)).toEqual([0, 0, 0, 0]);
    // The router and the input do get gradient (through the weights, the aux loss, the experts).
    expect(maxAbs(grad['p.router']!)).toBeGreaterThan(1e-3);
    expect(maxAbs(grad['x']!)).toBeGreaterThan(1e-3);
  });

  it('value_and_grad at the brief size (16 tokens, d 8, h 16, 4 experts, top-2): sampled coordinates and random directions', async () => {
    const cfg: Config = { b: 2, t: 8, d: 8, e: 4, h: 16, s: 1, hs: 16, k: 2, c: 6, alpha: 0.1 };
    const { grad } = await check(cfg, 'step', 16, 3);
    expect(arr(grad['p.bias']!)).toEqual([0, 0, 0, 0]);
  });

  it('carries the load stats out of the same forward pass as value_and_grad aux (no second forward)', async () => {
    const cfg: Config = { b: 2, t: 8, d: 8, e: 4, h: 16, s: 1, hs: 16, k: 2, c: 6, alpha: 0.1 };
    const prog = program(cfg);
    const { p, x } = await data(cfg, 1);
    const q = { p, x };
    const w = projection(cfg);
    const [[value, stats], g] = (await prog.call('step_aux', q, w)) as [[Tensor, Record<string, Tensor>], Value];
    const [plainValue, plainGrad] = (await prog.call('step', q, w)) as [Tensor, Value];
    const [, layerStats] = (await layer(cfg, p, x)) as [Tensor, Record<string, Tensor>];
    expect(arr(value)).toEqual(arr(plainValue));
    for (const key of ['load', 'dropped', 'max_over_mean']) expect(arr(stats[key]!)).toEqual(arr(layerStats[key]!));
    const a = flatten(g);
    const b = flatten(plainGrad);
    a.forEach((leaf, i) => expect(arr(leaf.t)).toEqual(arr(b[i]!.t)));
    // The stats cost no extra matmul: the graph has the same products as the plain step's.
    const matmuls = (name: string): number => prog.graph(name, q, w).nodes.filter((n) => n.op === 'matmul').length;
    expect(matmuls('step_aux')).toBe(matmuls('step'));
  });
});
