// grad and value_and_grad of whole `.mu` programs, end to end: the gradient a `.mu` function
// `fn d(...) = grad(loss)(...)` computes (lowering, autodiff, simplification and the interpreter, all
// in float32) is compared with central finite differences of the loss graph
// (`program.graph('loss', ...)`) evaluated by the reference interpreter in float64.
//
// Tolerance, per element: |grad − fd| ≤ TOL·(1 + |fd|) with TOL = 1e-3. The gradient is computed in
// float32, so each operation adds rounding errors of about 1e-7 relative, amplified by cancellation
// and by the length of the chain (the five Newton–Schulz steps are the longest here, which is why
// TOL is 1e-3 and not 1e-5). The finite difference is taken in float64 with step
// h = 1e-4·max(|x|, 0.1): its truncation error is O(h²) and its rounding error O(1e-16/h), both below
// 1e-6. A wrong derivative rule (a sign, a missing factor, a cotangent sent to the wrong element) is
// off by O(|fd|), far above the tolerance. Points near a kink (the condition of an `if`, ties in
// topk) are kept away from it by more than the step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type MuProgram, type Tensor, type Value } from '../../runtime/program.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { size, tensor } from '../../runtime/interp/ops/tensor.ts';
import { allclose } from '../../testing.ts';

const TOL = 1e-3;
const REL_STEP = 1e-4;
const STEP_FLOOR = 0.1;
const RUNS = 25;

// ---- values ----

const isTensor = (v: Value): v is Tensor =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v && ArrayBuffer.isView((v as Tensor).data);

/** The tensors of a value in the order lowering numbers the graph inputs (records in the order of `like`'s keys). */
function flatten(v: Value, like: Value = v): Tensor[] {
  if (isTensor(v)) return [v];
  if (Array.isArray(v)) return v.flatMap((x, i) => flatten(x, (like as readonly Value[])[i]));
  if (typeof v === 'object' && v !== null) {
    const obj = v as Readonly<Record<string, Value>>;
    return Object.keys(like as object).flatMap((k) => flatten(obj[k], (like as Readonly<Record<string, Value>>)[k]));
  }
  throw new Error(`not a tensor tree: ${String(v)}`);
}

const f32 = (shape: readonly number[], values: readonly number[]): Tensor => tensor('f32', shape, values);
const i32 = (shape: readonly number[], values: readonly number[]): Tensor => tensor('i32', shape, values);
const wide = (t: Tensor, values: readonly number[] = Array.from(t.data)): Tensor =>
  t.dtype === 'f32' ? { dtype: 'f32', shape: t.shape, data: Float64Array.from(values) } : t;

// ---- the check ----

interface Check {
  readonly program: MuProgram;
  /** The loss function: its first argument is differentiated. */
  readonly loss: string;
  /** A function of the same parameters returning grad(loss)(…) or value_and_grad(loss)(…). */
  readonly grad: string;
  readonly args: readonly Value[];
  readonly valueAndGrad?: boolean;
}

/** Runs the gradient function and compares it (and the value) with float64 finite differences. Returns the gradient. */
async function gradCheck(c: Check): Promise<Value> {
  const result = await c.program.call(c.grad, ...c.args);
  const [value, gradient] = c.valueAndGrad ? (result as readonly Value[]) : [undefined, result];
  const graph = c.program.graph(c.loss, ...c.args);
  const wrt = flatten(c.args[0], gradient);
  const rest = c.args.slice(1).flatMap((a) => flatten(a));
  const base = [...wrt, ...rest].map((t) => wide(t));
  expect(graph.inputs.length).toBe(base.length);
  const lossAt = (inputs: readonly Tensor[]): number => {
    const out = evaluate(graph, inputs, { float64: true });
    expect(out[0]!.shape).toEqual([]);
    return out[0]!.data[0]!;
  };
  // |got − want| ≤ TOL·(1 + |want|) is allclose with atol = rtol = TOL.
  const tol = { rtol: TOL, atol: TOL };
  if (value !== undefined) {
    const r = allclose(value, lossAt(base), tol);
    if (!r.ok) throw new Error(`value: value_and_grad vs the loss graph: ${r.message}`);
  }
  const grads = flatten(gradient);
  expect(grads.length).toBe(wrt.length);
  wrt.forEach((x, k) => {
    const g = grads[k]!;
    expect(g.dtype).toBe('f32');
    const xs = Array.from(x.data);
    const fd = xs.map((v, j) => {
      const h = REL_STEP * Math.max(Math.abs(v), STEP_FLOOR);
      const at = (u: number): number => {
        const moved = base.slice();
        moved[k] = wide(x, xs.map((w, i) => (i === j ? u : w)));
        return lossAt(moved);
      };
      return (at(v + h) - at(v - h)) / (2 * h);
    });
    const r = allclose(g, wide(x, fd), tol);
    if (!r.ok) throw new Error(`d${c.loss}/d(leaf ${k}): grad vs finite differences: ${r.message}, at ${JSON.stringify(c.args.map((a) => flatten(a).map((t) => Array.from(t.data))))}`);
  });
  return gradient;
}

// ---- arbitraries ----

const GRID = 1024;
/** Reals in [-r, r] on a 2^-10 grid: exact in float32, so both sides see the same point. */
const real = (r = 2): fc.Arbitrary<number> => fc.integer({ min: -r * GRID, max: r * GRID }).map((k) => k / GRID);
const valuesArb = (n: number, elem: fc.Arbitrary<number> = real()): fc.Arbitrary<number[]> => fc.array(elem, { minLength: n, maxLength: n });
const tensorArb = (shape: readonly number[], elem?: fc.Arbitrary<number>): fc.Arbitrary<Tensor> =>
  valuesArb(size(shape), elem).map((v) => f32(shape, v));
/** Values at least 0.01 apart (no ties within a finite-difference step). */
const distinctArb = (n: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: -200, max: 200 }), { minLength: n, maxLength: n }).map((v) => v.map((k) => k / 100));
const dim = (max = 4): fc.Arbitrary<number> => fc.integer({ min: 1, max });

const property = <T,>(arb: fc.Arbitrary<T>, check: (t: T) => Promise<void>, numRuns = RUNS): Promise<void> =>
  fc.assert(fc.asyncProperty(arb, check), { numRuns });

// ---- programs ----

describe('grad of .mu programs vs float64 finite differences', () => {
  it('a record of parameters with a broadcast bias add', async () => {
    const program = compile(`
      type Layer[i, o] = { w: f32[i, o], b: f32[o] }
      fn loss[b, i, o](p: Layer[i, o], x: f32[b, i], y: f32[b, o]) -> f32 =
        mean((tanh(x @ p.w + p.b) - y) ** 2)
      fn dloss[b, i, o](p: Layer[i, o], x: f32[b, i], y: f32[b, o]) -> Layer[i, o] = grad(loss)(p, x, y)
      fn vg[b, i, o](p: Layer[i, o], x: f32[b, i], y: f32[b, o]) = value_and_grad(loss)(p, x, y)
    `, { file: 'record.mu' });
    // The shape of the brief: w: f32[3, 4], b: f32[4], a batch of 2.
    const p = { w: f32([3, 4], [0.5, -0.25, 1, 0.75, -1, 0.5, 0.25, -0.5, 0.125, 1, -0.75, 0.25]), b: f32([4], [0.1, -0.2, 0.3, 0]) };
    const x = f32([2, 3], [1, -0.5, 2, 0.25, 1.5, -1]);
    const y = f32([2, 4], [0.5, -0.5, 0, 1, -1, 0.25, 0.5, 0]);
    const g = (await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [p, x, y] })) as Record<string, Tensor>;
    expect(Object.keys(g).sort()).toEqual(['b', 'w']);
    await gradCheck({ program, loss: 'loss', grad: 'vg', args: [p, x, y], valueAndGrad: true });
    // Random sizes (the size variables b, i, o) and values.
    const arb = fc.tuple(dim(3), dim(), dim()).chain(([b, i, o]) =>
      fc.tuple(tensorArb([i, o]), tensorArb([o]), tensorArb([b, i]), tensorArb([b, o], real(1))));
    await property(arb, async ([w, bias, xs, ys]) => {
      await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [{ w, b: bias }, xs, ys] });
    });
  });

  it('a tuple of parameters', async () => {
    const program = compile(`
      fn loss[b, d, h](p: (f32[d, h], f32[h]), x: f32[b, d]) -> f32 =
        let (w, c) = p in sum(sigmoid(x @ w) * c) + 0.5 * sum(c * c)
      fn dloss[b, d, h](p: (f32[d, h], f32[h]), x: f32[b, d]) -> (f32[d, h], f32[h]) = grad(loss)(p, x)
    `, { file: 'tuple.mu' });
    const arb = fc.tuple(dim(3), dim(), dim()).chain(([b, d, h]) => fc.tuple(tensorArb([d, h]), tensorArb([h]), tensorArb([b, d])));
    await property(arb, async ([w, c, x]) => {
      const g = await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [[w, c], x] });
      expect(Array.isArray(g)).toBe(true);
    });
  });

  it('let, calls between functions, and an if on a runtime scalar comparison (both branches)', async () => {
    const program = compile(`
      fn sq[n](x: f32[n]) -> f32[n] = x * x
      fn soft[n](x: f32[n]) -> f32 = log(sum(exp(x)))
      fn loss[n](x: f32[n], y: f32[n]) -> f32 =
        let s = sum(x * y) in
        let a = sq(x) in
        if s > 0.0 then sum(a * y) + s * s else soft(x) - 3.0 * s
      fn dloss[n](x: f32[n], y: f32[n]) -> f32[n] = grad(loss)(x, y)
      fn vg[n](x: f32[n], y: f32[n]) -> (f32, f32[n]) = value_and_grad(loss)(x, y)
    `, { file: 'branch.mu' });
    // Both branches are lowered and joined by where: the graph holds the two bodies.
    const ops = program.graph('loss', f32([2], [1, 2]), f32([2], [1, 1])).nodes.map((n) => n.op);
    expect(ops).toContain('where');
    expect(ops).toContain('exp');
    const arb = dim().chain((n) => fc.tuple(tensorArb([n]), valuesArb(n, real(2)), fc.boolean()));
    let positive = 0;
    let negative = 0;
    await property(arb, async ([x, yv, wantPositive]) => {
      const s = Array.from(x.data).reduce((acc, v, i) => acc + v * yv[i]!, 0);
      fc.pre(Math.abs(s) >= 0.05); // away from the switch by far more than a finite-difference step
      // Flip y so that both branches are exercised.
      const y = f32([yv.length], s > 0 === wantPositive ? yv : yv.map((v) => -v));
      if (wantPositive) positive++;
      else negative++;
      await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [x, y] });
      await gradCheck({ program, loss: 'loss', grad: 'vg', args: [x, y], valueAndGrad: true });
    }, 20);
    expect(positive).toBeGreaterThan(0);
    expect(negative).toBeGreaterThan(0);
  });

  it('the two branches by hand: d/dx of sum(x²·y) + s² and of log Σ exp(x) − 3s', async () => {
    const program = compile(`
      fn loss[n](x: f32[n], y: f32[n]) -> f32 =
        let s = sum(x * y) in
        if s > 0.0 then sum(x * x * y) + s * s else log(sum(exp(x))) - 3.0 * s
      fn dloss[n](x: f32[n], y: f32[n]) -> f32[n] = grad(loss)(x, y)
    `, { file: 'branch2.mu' });
    // x = [1, 2], y = [1, 0.5]: s = 2 > 0; d/dx = 2·x·y + 2·s·y = [2 + 4, 2 + 2] = [6, 4].
    expect(Array.from(((await program.call('dloss', f32([2], [1, 2]), f32([2], [1, 0.5]))) as Tensor).data)).toEqual([6, 4]);
    // x = [0, 0], y = [1, -1]: s = 0, not > 0; d/dx = softmax(x) − 3·y = [0.5 − 3, 0.5 + 3].
    expect(Array.from(((await program.call('dloss', f32([2], [0, 0]), f32([2], [1, -1]))) as Tensor).data)).toEqual([-2.5, 3.5]);
  });

  it('a device loop: Newton–Schulz orthogonalization', async () => {
    const program = compile(`
      fn orthogonalize[m, n](g: f32[m, n]) -> f32[m, n] =
        loop x = g / (norm(g) + 1e-7) for _ in 0..5 do
          let s = x @ transpose(x) in
          3.4445 * x + (-4.7750 * s + 2.0315 * (s @ s)) @ x
      fn loss[m, n](g: f32[m, n], w: f32[m, n]) -> f32 = sum(orthogonalize(g) * w)
      fn dloss[m, n](g: f32[m, n], w: f32[m, n]) -> f32[m, n] = grad(loss)(g, w)
    `, { file: 'ns.mu' });
    // The loop is unrolled: five steps, each with the two products x @ xᵀ, s @ s and one more @ x.
    const ops = program.graph('loss', f32([2, 2], [1, 0, 0, 1]), f32([2, 2], [1, 1, 1, 1])).nodes.map((n) => n.op);
    expect(ops.filter((o) => o === 'matmul').length).toBe(15);
    const arb = fc.tuple(dim(3), dim(3)).chain(([m, n]) => fc.tuple(tensorArb([m, n]), tensorArb([m, n])));
    await property(arb, async ([g, w]) => {
      fc.pre(Math.hypot(...Array.from(g.data)) >= 0.5);
      await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [g, w] });
    });
  });

  it("Newton–Schulz as the spec writes it (an if on sizes that transposes a tall matrix, steps as a default argument)", async () => {
    const program = compile(`
      fn orthogonalize[m, n](g: f32[m, n], steps: i32 = 5) -> f32[m, n] =
        if m > n then transpose(ns5(transpose(g), steps)) else ns5(g, steps)
      fn ns5[m, n](g: f32[m, n], steps: i32) -> f32[m, n] =
        let (a, b, c) = (3.4445, -4.7750, 2.0315) in
        loop x = g / (norm(g) + 1e-7) for _ in 0..steps do
          let s = x @ transpose(x) in
          a * x + (b * s + c * (s @ s)) @ x
      fn loss[m, n](g: f32[m, n], w: f32[m, n]) -> f32 = sum(orthogonalize(g) * w)
      fn dloss[m, n](g: f32[m, n], w: f32[m, n]) -> f32[m, n] = grad(loss)(g, w)
    `, { file: 'ns_spec.mu' });
    const g = f32([3, 2], [1, 0.5, -0.25, 2, 0.75, -1]);
    const w = f32([3, 2], [0.5, -1, 1, 0.25, -0.5, 2]);
    await gradCheck({ program, loss: 'loss', grad: 'dloss', args: [g, w] });
  });

  it('softmax cross-entropy with one_hot labels', async () => {
    const program = compile(`
      fn ce[b, c](logits: f32[b, c], y: i32[b]) -> f32 =
        mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))
      fn dce[b, c](logits: f32[b, c], y: i32[b]) -> f32[b, c] = grad(ce)(logits, y)
      fn ce2[b, c](logits: f32[b, c], y: i32[b]) -> f32 = -mean(sum(log(softmax(logits)) * one_hot(y, c), axis = -1))
      fn dce2[b, c](logits: f32[b, c], y: i32[b]) -> f32[b, c] = grad(ce2)(logits, y)
    `, { file: 'ce.mu' });
    const arb = fc.tuple(dim(3), fc.integer({ min: 2, max: 5 })).chain(([b, c]) =>
      fc.tuple(tensorArb([b, c], real(3)), fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: b, maxLength: b })));
    await property(arb, async ([logits, labels]) => {
      const y = i32([labels.length], labels);
      const g = (await gradCheck({ program, loss: 'ce', grad: 'dce', args: [logits, y] })) as Tensor;
      await gradCheck({ program, loss: 'ce2', grad: 'dce2', args: [logits, y] });
      // Each row of (softmax − one_hot) / b sums to zero.
      const [b, c] = logits.shape as [number, number];
      for (let r = 0; r < b; r++) expect(Math.abs(Array.from(g.data.slice(r * c, r * c + c)).reduce((s, v) => s + v, 0))).toBeLessThan(1e-6);
    });
  });

  it('gather with integer indices: repeated rows accumulate, rows not picked get zero', async () => {
    const program = compile(`
      fn emb[v, d, k](e: f32[v, d], idx: i32[k], w: f32[k, d]) -> f32 = sum(tanh(gather(e, idx)) * w)
      fn demb[v, d, k](e: f32[v, d], idx: i32[k], w: f32[k, d]) -> f32[v, d] = grad(emb)(e, idx, w)
      fn row[v, d](e: f32[v, d], i: i32) -> f32 = sum(e[i] * e[i])
      fn drow[v, d](e: f32[v, d], i: i32) -> f32[v, d] = grad(row)(e, i)
    `, { file: 'gather.mu' });
    const arb = fc.tuple(dim(5), dim(3), dim(5)).chain(([v, d, k]) =>
      fc.tuple(tensorArb([v, d]), fc.array(fc.integer({ min: 0, max: v - 1 }), { minLength: k, maxLength: k }), tensorArb([k, d])));
    await property(arb, async ([e, idx, w]) => {
      const g = (await gradCheck({ program, loss: 'emb', grad: 'demb', args: [e, i32([idx.length], idx), w] })) as Tensor;
      const d = e.shape[1]!;
      for (let r = 0; r < e.shape[0]!; r++)
        if (!idx.includes(r)) expect(Array.from(g.data.slice(r * d, r * d + d))).toEqual(Array(d).fill(0));
    });
    // A dynamic index x[i] with an i32 argument: d/de of sum(e[i]²) is 2·e[i] in row i, zero elsewhere.
    const e = f32([3, 2], [1, 2, 3, 4, 5, 6]);
    const g = (await gradCheck({ program, loss: 'row', grad: 'drow', args: [e, i32([], [1])] })) as Tensor;
    expect(Array.from(g.data)).toEqual([0, 0, 6, 8, 0, 0]);
  });

  it('topk-based selection: the gradient reaches the selected elements only', async () => {
    const program = compile(`
      fn top[n](x: f32[n]) -> f32 = let (v, i) = topk(x, 2) in sum(v)
      fn dtop[n](x: f32[n]) -> f32[n] = grad(top)(x)
      fn top2[b, n](x: f32[b, n]) -> f32 = let (v, i) = topk(x, 2) in sum(v * v * f32(i + 1))
      fn dtop2[b, n](x: f32[b, n]) -> f32[b, n] = grad(top2)(x)
    `, { file: 'topk.mu' });
    // By hand: x = [1, 3, 2, 0] selects 3 and 2.
    expect(Array.from(((await program.call('dtop', f32([4], [1, 3, 2, 0]))) as Tensor).data)).toEqual([0, 1, 1, 0]);
    const arb = fc.integer({ min: 2, max: 6 }).chain((n) => distinctArb(n));
    await property(arb, async (xs) => {
      const g = (await gradCheck({ program, loss: 'top', grad: 'dtop', args: [f32([xs.length], xs)] })) as Tensor;
      const sorted = [...xs].sort((a, b) => b - a);
      expect(Array.from(g.data)).toEqual(xs.map((v) => (v >= sorted[1]! ? 1 : 0)));
    });
    const arb2 = fc.tuple(dim(3), fc.integer({ min: 2, max: 5 })).chain(([b, n]) =>
      fc.array(distinctArb(n), { minLength: b, maxLength: b }).map((rows) => f32([b, n], rows.flat())));
    await property(arb2, async (x) => {
      await gradCheck({ program, loss: 'top2', grad: 'dtop2', args: [x] });
    });
  });
});
