/**
 * Gradient checking for the tensor IR: builds L = sum(f(x…) · w) with a fixed pseudo-random weight
 * tensor w, appends the reverse pass with `vjp`, evaluates the gradient in float32 and compares it
 * with central finite differences of L evaluated in float64.
 */
import fc from 'fast-check';
import { Builder, printGraph, type DType, type Graph } from '../../compiler/ir/graph.ts';
import { vjp } from '../../compiler/transform/grad.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { size, tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';

/** One graph input: its dtype, shape and row-major values; f32 inputs are differentiated unless wrt is false. */
export interface Arg {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly number[];
  readonly wrt: boolean;
}

export const f32 = (shape: readonly number[], values: readonly number[], wrt = true): Arg => ({ dtype: 'f32', shape, values, wrt });
export const i32 = (shape: readonly number[], values: readonly number[]): Arg => ({ dtype: 'i32', shape, values, wrt: false });
export const bool = (shape: readonly number[], values: readonly boolean[]): Arg => ({ dtype: 'bool', shape, values: values.map(Number), wrt: false });

/**
 * What a test graph builds: the f32 value f(x…), and optionally f32 values that must stay at least
 * `margin` away from zero at the checked point (kinks and ties, e.g. x for relu, x − y for maximum);
 * a case where one does not is rejected with fc.pre.
 */
export interface Built {
  readonly out: number;
  readonly away?: readonly number[];
  readonly margin?: number;
}
export type Build = (b: Builder, xs: readonly number[]) => number | Built;

// The float32 gradient carries rounding errors of a few ulps (~1e-7 relative) per operation, amplified
// by cancellation in longer compositions; the float64 central difference with h = 1e-4·max(|x|, 0.1) has
// truncation error O(h²·f''') and rounding error O(1e-16·|L|/h), both far below 1e-3. So the check is
// |grad − fd| ≤ 1e-3·(1 + |fd|): loose enough for float32, tight enough to catch any wrong rule
// (a wrong sign, a missing factor, a cotangent routed to the wrong element is off by O(|fd|)).
export const TOL = 1e-3;
export const REL_STEP = 1e-4;
export const STEP_FLOOR = 0.1;
export const KINK_MARGIN = 1e-3;

/** The fixed weights: a mulberry32 stream from one seed, magnitudes in [0.5, 1.5] with random signs. */
export function weights(n: number, seed = 0x5eed): number[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: n }, () => Math.fround((0.5 + next()) * (next() < 0.5 ? -1 : 1)));
}

function toTensor(a: Arg, values: readonly number[] = a.values): Tensor {
  // f32 values travel as Float64Array: evaluate() rounds them to float32 or keeps them, by mode.
  if (a.dtype === 'f32') return { dtype: 'f32', shape: [...a.shape], data: Float64Array.from(values) };
  return tensor(a.dtype, a.shape, values);
}

export interface GradProblem {
  /** Outputs: L, then the `away` values. */
  readonly loss: Graph;
  /** Outputs: dL/dx for each differentiated input. */
  readonly grad: Graph;
  /** Indices (into args) of the differentiated inputs. */
  readonly wrt: readonly number[];
  /** The args as checked: f32 values rounded to float32, the weights appended. */
  readonly args: readonly Arg[];
  readonly margin: number;
}

export function gradProblem(build: Build, args: readonly Arg[]): GradProblem {
  const b = new Builder();
  const xs = args.map((a, i) => b.input({ dtype: a.dtype, shape: a.shape }, i, `x${i}`));
  const built = build(b, xs);
  const { out, away = [], margin = KINK_MARGIN } = typeof built === 'number' ? { out: built } : built;
  const y = b.type(out);
  if (y.dtype !== 'f32') throw new Error(`gradCheck: f(x…) must be f32, got ${y.dtype}`);
  const w = b.input({ dtype: 'f32', shape: y.shape }, args.length, 'w');
  const loss = b.add('sum', [b.add('mul', [out, w])], { axes: y.shape.map((_, i) => i) });
  const lossGraph = b.graph('loss', [loss, ...away]);
  const wrt = args.flatMap((a, i) => (a.wrt && a.dtype === 'f32' ? [i] : []));
  const grads = vjp(b, loss, wrt.map((i) => xs[i]!));
  const rounded = args.map((a) => (a.dtype === 'f32' ? { ...a, values: a.values.map(Math.fround) } : a));
  return {
    loss: lossGraph,
    grad: b.graph('grad', grads),
    wrt,
    args: [...rounded, f32(y.shape, weights(size(y.shape)), false)],
    margin,
  };
}

function describe(p: GradProblem): string {
  const args = p.args.map((a, i) => `  x${i}: ${a.dtype}[${a.shape.join(', ')}] = [${a.values.join(', ')}]`).join('\n');
  return `${printGraph(p.grad)}\nwith\n${args}`;
}

/**
 * Checks vjp against float64 central differences at the given point; rejects the case (fc.pre) when
 * an `away` value is within its margin of zero. Throws with the graph and inputs on a mismatch.
 */
export function gradCheck(build: Build, args: readonly Arg[]): void {
  const p = gradProblem(build, args);
  const base = p.args.map((a) => toTensor(a));
  const [, ...away] = evaluate(p.loss, base, { float64: true });
  fc.pre(away.every((t) => Array.from(t.data).every((v) => Math.abs(v) >= p.margin)));

  const grads = evaluate(p.grad, base);
  p.wrt.forEach((k, g) => {
    const a = p.args[k]!;
    const grad = grads[g]!;
    if (grad.dtype !== 'f32' || grad.shape.length !== a.shape.length || grad.shape.some((d, i) => d !== a.shape[i]))
      throw new Error(`gradient of x${k} is ${grad.dtype}[${grad.shape.join(', ')}], want f32[${a.shape.join(', ')}]\n${describe(p)}`);
    a.values.forEach((x, j) => {
      const h = REL_STEP * Math.max(Math.abs(x), STEP_FLOOR);
      const at = (v: number): number => {
        const moved = base.slice();
        moved[k] = toTensor(a, a.values.map((u, i) => (i === j ? v : u)));
        return evaluate(p.loss, moved, { float64: true })[0]!.data[0]!;
      };
      const fd = (at(x + h) - at(x - h)) / (x + h - (x - h));
      const got = grad.data[j]!;
      if (!(Math.abs(got - fd) <= TOL * (1 + Math.abs(fd))))
        throw new Error(`dL/dx${k}[${j}]: vjp gives ${got}, finite differences ${fd}\n${describe(p)}`);
    });
  });
}
