// Shared by the std.nn tests: compiling `.mu` snippets that import std.nn, deterministic inputs,
// running a function's graph in float64, closeness checks, a float64 gradient check, and the plain
// float64 reference formulas the layers are compared with.
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type * as Ty from '../../../compiler/check/types.ts';
import { evaluate } from '../../../runtime/interp/eval.ts';
import { tensor } from '../../../runtime/interp/ops/tensor.ts';
import { compile, type MuProgram, type Tensor, type Value } from '../../../runtime/program.ts';

// ---- programs ----

/** Compiles a snippet with `import std.nn` prepended, as a file in this folder. */
export function nn(source: string, name = 'snippet'): MuProgram {
  return compile(`import std.nn\n${source}`, { file: fileURLToPath(new URL(`./${name}.mu`, import.meta.url)) });
}

// ---- values ----

export const f32 = (shape: readonly number[], values: ArrayLike<number>): Tensor => tensor('f32', shape, values);
export const i32 = (shape: readonly number[], values: ArrayLike<number>): Tensor => tensor('i32', shape, values);
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A mulberry32 stream: the same inputs on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Uniform values in [-scale, scale], rounded to float32, so that the float32 run, the float64 graph
 * and the float64 reference all see exactly the same point.
 */
export function uniform(next: () => number, shape: readonly number[], scale = 1): Tensor {
  return f32(shape, Array.from({ length: numel(shape) }, () => Math.fround((2 * next() - 1) * scale)));
}

export const data = (v: Value): number[] => Array.from((v as Tensor).data);

// ---- graphs in float64 ----

/** The tensors of a value in the order the lowering numbers graph inputs: the declared field order. */
function leavesOf(v: Value, t: Ty.Type, where: string): Tensor[] {
  switch (t.kind) {
    case 'tensor':
      return [v as Tensor];
    case 'tuple':
      return t.items.flatMap((it, i) => leavesOf((v as readonly Value[])[i], it, `${where}[${i}]`));
    case 'record':
      return t.fields.flatMap((f) => {
        const field = (v as Readonly<Record<string, Value>>)[f.name];
        if (field === undefined) throw new Error(`${where}: no field '${f.name}'`);
        return leavesOf(field, f.type, `${where}.${f.name}`);
      });
    default:
      return [];
  }
}

/** The graph inputs of `fn(...args)`, as float64 tensors. */
export function graphInputs(program: MuProgram, fn: string, args: readonly Value[]): Tensor[] {
  const module = program.checked.module!;
  const decl = module.fns.get(fn)!;
  const sig = program.checked.checker.signature(decl, module);
  return args.flatMap((a, i) => leavesOf(a, sig.params[i]!.type, `${fn}(${sig.params[i]!.name})`)).map((t) => wide(t));
}

/** An f32 tensor re-stored as float64 (values unchanged), for evaluate(…, { float64: true }). */
export const wide = (t: Tensor, values: ArrayLike<number> = t.data): Tensor =>
  t.dtype === 'f32' ? { dtype: 'f32', shape: t.shape, data: Float64Array.from(values) } : t;

/** Evaluates `fn(...args)` by the reference interpreter in float64: every leaf of the result, in order. */
export function run64(program: MuProgram, fn: string, ...args: Value[]): Tensor[] {
  return evaluate(program.graph(fn, ...args), graphInputs(program, fn, args), { float64: true });
}

// ---- closeness ----

/** |got − want| ≤ atol + rtol·|want|, element by element, with the worst element in the message. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (Number.isNaN(err)) {
      worst = i;
      break;
    }
    if (err > excess) [worst, excess] = [i, err];
  }
  if (worst >= 0) throw new Error(`${label}: element ${worst} is ${got[worst]}, want ${want[worst]} (rtol ${rtol}, atol ${atol})`);
}

// ---- gradient check ----

// Tolerances. The gradient graph evaluated in float64 differs from the float64 central difference
// only by the difference's truncation error, O(h²·f''') with h = 1e-4·max(|x|, 0.1), and rounding,
// O(1e-16·|L|/h): both below 1e-7 here, so GRAD64_TOL = 1e-6 catches any wrong derivative rule
// while never failing a right one. The float32 run of the same `.mu` grad function adds float32
// rounding (~1e-7 relative per operation, amplified along the chain): GRAD32_TOL = 1e-3, as in
// test/ir/grad_language.test.ts. Both are |grad − fd| ≤ TOL·(1 + |fd|).
export const GRAD64_TOL = 1e-6;
export const GRAD32_TOL = 1e-3;
const REL_STEP = 1e-4;
const STEP_FLOOR = 0.1;

/**
 * Checks `grad` (a `.mu` function returning grad(loss)(args…)) against central differences of
 * `loss` evaluated in float64, for every element of every leaf of the first argument: the gradient
 * as the float32 interpreter runs it, and the same gradient graph evaluated in float64.
 */
export async function gradCheck(program: MuProgram, loss: string, grad: string, args: readonly Value[]): Promise<{ checked: number }> {
  const lossGraph = program.graph(loss, ...args);
  const base = graphInputs(program, loss, args);
  const nWrt = graphInputs(program, loss, args.slice(0, 1)).length;
  const lossAt = (inputs: readonly Tensor[]): number => {
    const [out] = evaluate(lossGraph, inputs, { float64: true });
    expect(out!.shape).toEqual([]);
    return out!.data[0]!;
  };
  const g64 = evaluate(program.graph(grad, ...args), graphInputs(program, grad, args), { float64: true });
  const gradType = (await program.call(grad, ...args)) as Value;
  const g32 = leavesOfGradient(gradType);
  expect(g64.length).toBe(nWrt);
  expect(g32.length).toBe(nWrt);
  let checked = 0;
  for (let k = 0; k < nWrt; k++) {
    const x = base[k]!;
    expect(g64[k]!.shape).toEqual(x.shape);
    const xs = Array.from(x.data);
    xs.forEach((v, j) => {
      const h = REL_STEP * Math.max(Math.abs(v), STEP_FLOOR);
      const at = (u: number): number => {
        const moved = base.slice();
        moved[k] = wide(x, xs.map((w, i) => (i === j ? u : w)));
        return lossAt(moved);
      };
      const fd = (at(v + h) - at(v - h)) / (2 * h);
      for (const [name, g, tol] of [['float64', g64[k]!, GRAD64_TOL], ['float32', g32[k]!, GRAD32_TOL]] as const) {
        const got = g.data[j]!;
        if (!(Math.abs(got - fd) <= tol * (1 + Math.abs(fd))))
          throw new Error(`d${loss}/d(leaf ${k})[${j}]: ${name} gradient ${got}, finite differences ${fd}`);
      }
      checked++;
    });
  }
  return { checked };
}

/** The leaves of a gradient returned by program.call: records come back with fields in declared order. */
function leavesOfGradient(v: Value): Tensor[] {
  if (v !== null && typeof v === 'object' && 'data' in v && ArrayBuffer.isView((v as Tensor).data)) return [v as Tensor];
  if (Array.isArray(v)) return v.flatMap(leavesOfGradient);
  if (v !== null && typeof v === 'object') return Object.values(v as Record<string, Value>).flatMap(leavesOfGradient);
  throw new Error(`not a tensor tree: ${String(v)}`);
}

// ---- float64 reference formulas, written from the definitions, one element at a time ----

/** A row-major matrix of float64 rows. */
export type Mat = number[][];

export const rows = (t: Tensor, n: number): Mat => {
  const d = t.data.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(t.data.slice(i * d, (i + 1) * d)));
};
export const flatRows = (m: Mat): number[] => m.flat();

export function matmul(a: Mat, w: Mat): Mat {
  return a.map((row) => w[0]!.map((_, j) => row.reduce((s, x, k) => s + x * w[k]![j]!, 0)));
}

export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** eps as the `.mu` literal 1e-5 is: an f32. */
export const EPS = Math.fround(1e-5);

/** x / sqrt(mean(x²) + eps) · gain, per row. */
export function rmsNormRef(x: Mat, gain: readonly number[], eps = EPS): Mat {
  return x.map((row) => {
    const ms = row.reduce((s, v) => s + v * v, 0) / row.length;
    return row.map((v, i) => (v / Math.sqrt(ms + eps)) * gain[i]!);
  });
}

export const silu = (z: number): number => z / (1 + Math.exp(-z));

/** RoPE of one head vector at a position: pair (i, i + e/2) rotated by pos·θ^(−2i/e). */
export function ropeRef(v: readonly number[], pos: number, theta = 50000): number[] {
  const e = v.length;
  const h = e / 2;
  const out = v.slice();
  for (let i = 0; i < h; i++) {
    const a = pos * theta ** ((-2 * i) / e);
    out[i] = v[i]! * Math.cos(a) - v[i + h]! * Math.sin(a);
    out[i + h] = v[i + h]! * Math.cos(a) + v[i]! * Math.sin(a);
  }
  return out;
}

/**
 * Causal attention of one head: position i attends to j ≤ i with weights softmax_j(q_i·k_j/√e).
 * Returns the outputs and the largest scaled logit among the visible pairs.
 */
export function attendRef(q: Mat, k: Mat, v: Mat): { out: Mat; max: number } {
  const scale = 1 / Math.sqrt(q[0]!.length);
  let max = -Infinity;
  const out = q.map((qi, i) => {
    const logits = k.slice(0, i + 1).map((kj) => dot(qi, kj) * scale);
    const m = Math.max(...logits);
    max = Math.max(max, m);
    const w = logits.map((l) => Math.exp(l - m));
    const z = w.reduce((s, x) => s + x, 0);
    return v[0]!.map((_, c) => w.reduce((s, wj, j) => s + (wj / z) * v[j]![c]!, 0));
  });
  return { out, max };
}

export const cols = (m: Mat, from: number, to: number): Mat => m.map((r) => r.slice(from, to));
