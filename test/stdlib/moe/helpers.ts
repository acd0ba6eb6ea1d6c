// Shared helpers of the std.moe tests: test programs over std.moe, seeded data, and float64
// TypeScript references of the router, the capacity-limited dispatch, the whole layer and the
// auxiliary loss.
import { compile, type MuProgram, type Tensor, type Value } from '../../../runtime/program.ts';
import { tensor } from '../../../runtime/interp/ops/tensor.ts';
import type { Graph } from '../../../compiler/ir/graph.ts';

/** One layer configuration: b sequences of t tokens, width d, e routed experts (hidden h), s shared (hidden hs), top k, capacity c. */
export interface Config {
  readonly b: number;
  readonly t: number;
  readonly d: number;
  readonly e: number;
  readonly h: number;
  readonly s: number;
  readonly hs: number;
  readonly k: number;
  readonly c: number;
  /** The auxiliary loss weight used by `layer` and `loss` (default 0.001). */
  readonly alpha?: number;
}

export const SCALE = 2.446;
/** Where the test sources are said to live, so diagnostics point inside the repo. */
export const FILE = new URL('./moe_test.mu', import.meta.url).pathname;

/** Capacity per expert for a capacity factor: ceil(factor · tokens · k / e). */
export const capacity = (cfg: Omit<Config, 'c'>, factor: number): number => Math.ceil((factor * cfg.b * cfg.t * cfg.k) / cfg.e);

const lit = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));

// Most tests call functions generic in every size, compiled once: sizes that no argument fixes
// (k, c, and the sizes of init) are passed by keyword through callWith.
const GENERIC = `
import std.moe

fn make[d, e, h, s, hs](seed: i32) -> moe.Moe[d, e, h, s, hs] = moe.init(rand.key(seed), d = d, e = e, h = h, s = s, hs = hs)
fn inputs[b, t, d](seed: i32) -> f32[b, t, d] = rand.normal(rand.key(seed), [b, t, d])

fn layer[b, t, d, e, h, s, hs, k, c](p: moe.Moe[d, e, h, s, hs], x: f32[b, t, d], alpha: f32) -> (f32[b, t, d], moe.Stats[e], f32) =
  moe.forward(p, x, k = k, c = c, alpha = alpha)

-- The router's choice, the dispatch plan and the stats on n tokens, and the combine of expert
-- outputs of all ones: per token, the sum of its kept combine weights.
fn inspect[n, d, e, h, s, hs, k, c](p: moe.Moe[d, e, h, s, hs], x: f32[n, d])
    -> (moe.Routing[n, e, k], moe.Plan[n * k], moe.Stats[e], f32[n, d]) =
  let r = moe.route(p.router, p.bias, x, k = k) in
  let (pl, stats) = moe.plan(r, c = c) in
  (r, pl, stats, moe.combine(ones([e, c, d]), pl, n = n))

fn update_bias[e](bias: f32[e], load: f32[e], u: f32) -> f32[e] = moe.update_bias(bias, load, u)

-- Repeated balancing with fixed inputs: the max/mean load ratio before each of the m updates.
fn balance_run[b, t, d, e, h, s, hs, k, c, m](p0: moe.Moe[d, e, h, s, hs], x: f32[b, t, d], u: f32) -> f32[m] {
  var p = p0
  var ratios = zeros([m])
  for i in 0..m do {
    let (_, stats, _) = moe.forward(p, x, k = k, c = c)
    ratios = ratios + one_hot(i, m) * stats.max_over_mean
    p = moe.balance(p, stats, u)
  }
  return ratios
}
`;

let generic: MuProgram | undefined;
/** The generic test program, compiled on first use. */
export function lib(): MuProgram {
  return (generic ??= compile(GENERIC, { file: FILE }));
}

/** The forward layer of a configuration: (y, stats, aux). */
export const layer = (cfg: Config, p: Params, x: Tensor, alpha = cfg.alpha ?? 0.001): Promise<Value> =>
  lib().callWith('layer', { p, x, alpha, k: cfg.k, c: cfg.c });

/** Routing, plan, stats and combined weights on n tokens x: f32[n, d]. */
export const inspect = (cfg: Config, p: Params, x: Tensor): Promise<Value> => lib().callWith('inspect', { p, x, k: cfg.k, c: cfg.c });

/** The max/mean load ratio before each of `steps` bias updates with step size u. */
export const balanceRun = (cfg: Config, p: Params, x: Tensor, steps: number, u: number): Promise<Value> =>
  lib().callWith('balance_run', { p0: p, x, u, k: cfg.k, c: cfg.c, m: steps });

/**
 * A program whose sizes are literals, for the tests that read graphs (`program.graph` takes
 * arguments but no size keywords): the layer, and a training loss with its gradient.
 */
export function source(cfg: Config): string {
  const { b, t, d, e, h, s, hs, k, c } = cfg;
  const alpha = lit(cfg.alpha ?? 0.001);
  return `
import std.moe

type P = moe.Moe[${d}, ${e}, ${h}, ${s}, ${hs}]
type Q = { p: P, x: f32[${b}, ${t}, ${d}] }

fn layer(p: P, x: f32[${b}, ${t}, ${d}]) -> (f32[${b}, ${t}, ${d}], moe.Stats[${e}], f32) =
  moe.forward(p, x, k = ${k}, c = ${c}, alpha = ${alpha})

-- The training loss of the gradient check: a fixed projection of the output plus the aux loss.
fn loss(q: Q, w: f32[${b}, ${t}, ${d}]) -> f32 =
  let (y, _, aux) = moe.forward(q.p, q.x, k = ${k}, c = ${c}, alpha = ${alpha}) in sum(y * w) + aux
fn dloss(q: Q, w: f32[${b}, ${t}, ${d}]) -> Q = grad(loss)(q, w)
fn step(q: Q, w: f32[${b}, ${t}, ${d}]) -> (f32, Q) = value_and_grad(loss)(q, w)

-- The same loss carrying the load stats out as value_and_grad's aux, as a training step does.
fn loss_aux(q: Q, w: f32[${b}, ${t}, ${d}]) -> (f32, moe.Stats[${e}]) =
  let (y, stats, aux) = moe.forward(q.p, q.x, k = ${k}, c = ${c}, alpha = ${alpha}) in (sum(y * w) + aux, stats)
fn step_aux(q: Q, w: f32[${b}, ${t}, ${d}]) -> ((f32, moe.Stats[${e}]), Q) = value_and_grad(loss_aux)(q, w)
`;
}

const cache = new Map<string, MuProgram>();
export function program(cfg: Config): MuProgram {
  const src = source(cfg);
  let p = cache.get(src);
  if (!p) cache.set(src, (p = compile(src, { file: FILE })));
  return p;
}

// ---- values ----

export type Ffn = { gate: Tensor; up: Tensor; down: Tensor };
export type Params = { router: Tensor; bias: Tensor; experts: Ffn; shared: Ffn };
export interface Stats {
  load: Tensor;
  dropped: Tensor;
  max_over_mean: Tensor;
}

export const f32 = (shape: readonly number[], values: ArrayLike<number>): Tensor => tensor('f32', shape, Array.from(values));
export const arr = (t: Value): number[] => Array.from((t as Tensor).data);

/** Parameters from the library's own init, and standard normal inputs, both from seeds. */
export async function data(cfg: Config, seed: number): Promise<{ p: Params; x: Tensor }> {
  const { b, t, d, e, h, s, hs } = cfg;
  const p = (await lib().callWith('make', { seed, d, e, h, s, hs })) as Params;
  const x = (await lib().callWith('inputs', { seed: seed + 1000, b, t, d })) as Tensor;
  return { p, x };
}

/** The same tensor reshaped (row-major, no copy). */
export const reshape = (t: Tensor, shape: readonly number[]): Tensor => ({ dtype: t.dtype, shape, data: t.data });

// ---- references (float64) ----

/** Row-major reader of a tensor. */
const at = (t: Tensor) => {
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return (...idx: number[]): number => t.data[idx.reduce((s, v, i) => s + v * strides[i]!, 0)]!;
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const silu = (z: number): number => z * sigmoid(z);

export interface RefRouting {
  /** scores[token][expert] */
  scores: number[][];
  /** the k chosen experts of each token, best first (by score + bias; ties to the lower index) */
  experts: number[][];
  /** their combine weights */
  weights: number[][];
  /** per token, the gap between the k-th and the (k+1)-th score + bias: how far the choice is from changing */
  margin: number[];
}

/** The router on n tokens x: f32[n, d]. */
export function refRoute(p: Params, x: Tensor, k: number, scale = SCALE): RefRouting {
  const [n, d] = x.shape as [number, number];
  const e = p.bias.shape[0]!;
  const X = at(x);
  const W = at(p.router);
  const scores: number[][] = [];
  const experts: number[][] = [];
  const weights: number[][] = [];
  const margin: number[] = [];
  for (let t = 0; t < n; t++) {
    const s = Array.from({ length: e }, (_, i) => {
      let z = 0;
      for (let j = 0; j < d; j++) z += X(t, j) * W(j, i);
      return sigmoid(z);
    });
    const biased = s.map((v, i) => v + p.bias.data[i]!);
    const order = [...biased.keys()].sort((a, b2) => biased[b2]! - biased[a]! || a - b2);
    const chosen = order.slice(0, k);
    const total = chosen.reduce((a, i) => a + s[i]!, 0);
    scores.push(s);
    experts.push(chosen);
    weights.push(chosen.map((i) => (scale * s[i]!) / total));
    margin.push(k < e ? biased[order[k - 1]!]! - biased[order[k]!]! : Infinity);
  }
  return { scores, experts, weights, margin };
}

export interface RefDispatch {
  /** kept[token][j]: whether the token's j-th choice fits its expert's capacity */
  kept: boolean[][];
  load: number[];
  dropped: number;
  maxOverMean: number;
}

/**
 * The capacity rule, written the obvious way: tokens in order, each token's choices in order; an
 * assignment is kept when its expert has taken fewer than c assignments so far.
 */
export function refDispatch(experts: number[][], e: number, c: number): RefDispatch {
  const taken = new Array<number>(e).fill(0);
  const kept = experts.map((row) => row.map((i) => taken[i]!++ < c));
  const load = taken;
  const dropped = kept.flat().filter((v) => !v).length;
  const mean = load.reduce((a, b) => a + b, 0) / e;
  return { kept, load, dropped, maxOverMean: Math.max(...load) / mean };
}

/** One SwiGLU network of a stack, on one token. */
function swiglu(f: Ffn, which: number, x: number[]): number[] {
  const [, d, h] = f.gate.shape as [number, number, number];
  const G = at(f.gate);
  const U = at(f.up);
  const D = at(f.down);
  const a = Array.from({ length: h }, (_, j) => {
    let g = 0;
    let u = 0;
    for (let i = 0; i < d; i++) {
      g += x[i]! * G(which, i, j);
      u += x[i]! * U(which, i, j);
    }
    return silu(g) * u;
  });
  return Array.from({ length: d }, (_, i) => a.reduce((acc, v, j) => acc + v * D(which, j, i), 0));
}

export interface RefLayer {
  y: number[];
  routing: RefRouting;
  dispatch: RefDispatch;
  aux: number;
}

/** The whole layer on x: f32[b, t, d], densely: a loop over tokens and their chosen experts. */
export function refLayer(cfg: Config, p: Params, x: Tensor, alpha = cfg.alpha ?? 0.001, scale = SCALE): RefLayer {
  const { b, t, d, e, s, k, c } = cfg;
  const n = b * t;
  const tokens = reshape(x, [n, d]);
  const routing = refRoute(p, tokens, k, scale);
  const dispatch = refDispatch(routing.experts, e, c);
  const y: number[] = [];
  for (let tok = 0; tok < n; tok++) {
    const xt = Array.from(tokens.data.subarray(tok * d, (tok + 1) * d));
    const out = new Array<number>(d).fill(0);
    routing.experts[tok]!.forEach((i, j) => {
      if (!dispatch.kept[tok]![j]) return;
      swiglu(p.experts, i, xt).forEach((v, q) => (out[q]! += routing.weights[tok]![j]! * v));
    });
    for (let r = 0; r < s; r++) swiglu(p.shared, r, xt).forEach((v, q) => (out[q]! += v));
    y.push(...out);
  }
  return { y, routing, dispatch, aux: refAux(routing, b, t, e, k, alpha) };
}

/** DeepSeek-V3's sequence-wise balance loss, averaged over the b sequences. */
export function refAux(r: RefRouting, b: number, t: number, e: number, k: number, alpha: number): number {
  let total = 0;
  for (let seq = 0; seq < b; seq++) {
    const rows = [...Array(t).keys()].map((i) => seq * t + i);
    let l = 0;
    for (let i = 0; i < e; i++) {
      const f = (e / (k * t)) * rows.filter((tok) => r.experts[tok]!.includes(i)).length;
      const P = rows.reduce((acc, tok) => acc + r.scores[tok]![i]! / r.scores[tok]!.reduce((a, v) => a + v, 0), 0) / t;
      l += f * P;
    }
    total += alpha * l;
  }
  return total / b;
}

// ---- FLOPs ----

/** FLOPs of the matmul nodes of a graph: 2·∏batch·m·k·n each. */
export function matmulFlops(g: Graph): number {
  const types = new Map(g.nodes.map((n) => [n.id, n.type]));
  return g.nodes
    .filter((n) => n.op === 'matmul')
    .reduce((sum, n) => {
      const a = types.get(n.inputs[0]!)!.shape;
      const out = n.type.shape;
      const inner = a[a.length - 1]!;
      return sum + 2 * out.reduce((p, v) => p * v, 1) * inner;
    }, 0);
}
