// A straightforward JavaScript executor for the kernel IR: loops over each kernel's index space and
// evaluates its expression per element. It exists to prove the kernel IR, the scheduler and the
// memory plan right before the Wasm/WGSL code generators exist, so it favours plainness over speed:
//   - temporaries live in one ArrayBuffer at the plan's offsets (a wrong plan corrupts results);
//   - reductions and matmul accumulate in float64 and round once, like the interpreter, so fused
//     results equal the interpreter's bit for bit (up to a matmul's folded alpha);
//   - `where` evaluates only the branch it picks, and a load outside its buffer throws.
import type { DType } from '../../compiler/ir/graph.ts';
import { storedValue } from '../../compiler/kernel/exprs.ts';
import type { Expr, ExprId, FusedKernel, Kernel, LibraryKernel, MatmulKernel, Schedule, View } from '../../compiler/kernel/ir.ts';
import { isBinaryExpr, isUnaryExpr } from '../../compiler/kernel/ops.ts';
import { ELEMENT_BYTES, type MemoryPlan } from '../../compiler/schedule/plan.ts';
import { EVAL } from '../interp/eval.ts';
import { size, type Tensor, type TensorData } from '../interp/ops/tensor.ts';
import * as S from './scalar.ts';

type Data = TensorData;

/** Evaluates one kernel's expression table at the current loop index, memoized per element. */
class Evaluator {
  private readonly vals: number[];
  private readonly stamp: Int32Array;
  private gen = 1;
  acc = 0;

  constructor(
    private readonly exprs: readonly Expr[],
    private readonly inputs: readonly Data[],
    private readonly idx: Int32Array,
  ) {
    this.vals = new Array<number>(exprs.length).fill(0);
    this.stamp = new Int32Array(exprs.length);
  }

  /** Forgets the values of the previous element. */
  next(): void {
    this.gen++;
  }

  eval(id: ExprId): number {
    if (this.stamp[id] === this.gen) return this.vals[id]!;
    const e = this.exprs[id]!;
    const v = storedValue(e.dtype, this.compute(e));
    this.vals[id] = v;
    this.stamp[id] = this.gen;
    return v;
  }

  private compute(e: Expr): number {
    switch (e.op) {
      case 'const': return e.value;
      case 'index': return this.idx[e.axis]!;
      case 'acc': return this.acc;
      case 'load': {
        if (e.valid !== null && this.eval(e.valid) === 0) return 0;
        let at = e.view.offset;
        e.view.strides.forEach((s, a) => (at += s * this.idx[a]!));
        for (const d of e.view.dynamic) at += d.stride * this.eval(d.index);
        return read(this.inputs[e.input]!, at);
      }
      case 'where': return this.eval(e.args[0]) !== 0 ? this.eval(e.args[1]) : this.eval(e.args[2]);
      case 'cast': return S.cast(this.eval(e.args[0]), this.exprs[e.args[0]]!.dtype, e.dtype);
      default:
        if (isUnaryExpr(e)) return S.unary(e.op, this.eval(e.args[0]));
        if (isBinaryExpr(e)) return S.binary(e.op, this.exprs[e.args[0]]!.dtype, this.eval(e.args[0]), this.eval(e.args[1]));
        throw new Error(`kernel IR: unknown node ${JSON.stringify(e)}`);
    }
  }
}

function read(data: Data, at: number): number {
  if (!(at >= 0 && at < data.length)) throw new RangeError(`kernel load at ${at} outside a buffer of ${data.length} elements`);
  return data[at]!;
}

/** Calls fn for every row-major index of `shape`, written into idx[from..]. */
function forEach(shape: readonly number[], idx: Int32Array, from: number, fn: (flat: number) => void): void {
  const n = size(shape);
  for (let d = 0; d < shape.length; d++) idx[from + d] = 0;
  for (let flat = 0; flat < n; flat++) {
    fn(flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[from + d]! < shape[d]!) break;
      idx[from + d] = 0;
    }
  }
}

function runFused(k: FusedKernel, ins: readonly Data[], outs: readonly Data[]): void {
  const rank = k.shape.length;
  const red = k.reduce;
  const idx = new Int32Array(rank + (red?.shape.length ?? 0));
  const ev = new Evaluator(k.exprs, ins, idx);
  const count = red === null ? 1 : size(red.shape);
  forEach(k.shape, idx, 0, (flat) => {
    if (red !== null) {
      if (count === 0 && red.op !== 'sum') throw new RangeError(`${red.op}: reduction over an empty axis`);
      let acc = red.op === 'sum' ? 0 : red.op === 'max' ? -Infinity : Infinity;
      forEach(red.shape, idx, rank, () => {
        ev.next();
        const v = ev.eval(red.value);
        acc = red.op === 'sum' ? acc + v : S.extremeStep(red.op, acc, v);
      });
      ev.acc = storedValue(red.dtype, acc);
    }
    ev.next();
    for (const s of k.stores) outs[s.output]![flat] = ev.eval(s.value);
  });
}

function offsetOf(v: View, idx: ArrayLike<number>): number {
  let at = v.offset;
  v.strides.forEach((s, a) => (at += s * idx[a]!));
  return at;
}

function runMatmul(k: MatmulKernel, ins: readonly Data[], outs: readonly Data[]): void {
  const nb = k.shape.length - 2;
  const idx = new Int32Array(k.shape.length);
  const ev = new Evaluator(k.exprs, ins, idx);
  const [A, B] = [ins[k.a.input]!, ins[k.b.input]!];
  const [pa, pb] = [k.a.view.strides[nb + 1]!, k.b.view.strides[nb]!];
  const ai = new Int32Array(nb + 2);
  const bi = new Int32Array(nb + 2);
  const int = k.dtype === 'i32';
  forEach(k.shape, idx, 0, (flat) => {
    for (let d = 0; d < nb; d++) ai[d] = bi[d] = idx[d]!;
    ai[nb] = idx[nb]!;
    ai[nb + 1] = 0;
    bi[nb] = 0;
    bi[nb + 1] = idx[nb + 1]!;
    const [a0, b0] = [offsetOf(k.a.view, ai), offsetOf(k.b.view, bi)];
    let acc = 0;
    for (let p = 0; p < k.k; p++) {
      const x = read(A, a0 + p * pa);
      const y = read(B, b0 + p * pb);
      acc = int ? (acc + Math.imul(x, y)) | 0 : acc + x * y;
    }
    ev.next();
    ev.acc = storedValue(k.dtype, k.alpha === 1 ? acc : k.alpha * acc);
    for (const s of k.stores) outs[s.output]![flat] = ev.eval(s.value);
  });
}

function runLibrary(k: LibraryKernel, s: Schedule, ins: readonly Data[], outs: readonly Data[]): void {
  const tensors = ins.map((data, i) => ({ dtype: s.buffers[k.inputs[i]!]!.dtype, shape: k.inputShapes[i]!, data }));
  const result = EVAL[k.op](tensors, k.attrs);
  const out = outs[0]!;
  if (result.data.length !== out.length) throw new Error(`library ${k.op}: ${result.data.length} elements for a buffer of ${out.length}`);
  out.set(result.data);
}

function allocate(dtype: DType, n: number): Data {
  return dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
}

/** Buffer storage: inputs as given (f32 as float32), outputs fresh, temporaries in the arena. */
function bind(s: Schedule, plan: MemoryPlan, inputs: readonly Tensor[]): Data[] {
  if (inputs.length !== s.inputs.length) throw new Error(`${s.name}: expected ${s.inputs.length} inputs, got ${inputs.length}`);
  const arena = new ArrayBuffer(plan.peakBytes);
  const data: (Data | undefined)[] = new Array<Data | undefined>(s.buffers.length);
  s.inputs.forEach((b, i) => {
    const t = inputs[i]!;
    const want = s.buffers[b]!;
    if (t.dtype !== want.dtype || t.data.length !== size(want.shape)) throw new Error(`${s.name}: input ${i} must be ${want.dtype}[${want.shape.join(', ')}]`);
    data[b] = t.dtype === 'f32' && !(t.data instanceof Float32Array) ? Float32Array.from(t.data) : t.data;
  });
  for (const p of plan.placements) {
    const n = p.bytes / ELEMENT_BYTES;
    data[p.buffer] = s.buffers[p.buffer]!.dtype === 'f32' ? new Float32Array(arena, p.offset, n) : new Int32Array(arena, p.offset, n);
  }
  for (const b of s.buffers) if (data[b.id] === undefined) data[b.id] = allocate(b.dtype, size(b.shape));
  return data as Data[];
}

function run(k: Kernel, s: Schedule, data: readonly Data[]): void {
  const ins = k.inputs.map((b) => data[b]!);
  const outs = k.outputs.map((b) => data[b]!);
  if (k.kind === 'fused') runFused(k, ins, outs);
  else if (k.kind === 'matmul') runMatmul(k, ins, outs);
  else runLibrary(k, s, ins, outs);
}

/** Runs a schedule on concrete inputs (one per graph input, in order) and returns its outputs. */
export function execute(s: Schedule, plan: MemoryPlan, inputs: readonly Tensor[]): Tensor[] {
  const data = bind(s, plan, inputs);
  for (const k of s.kernels) run(k, s, data);
  return s.outputs.map((b) => {
    const buf = s.buffers[b]!;
    const d = data[b]!;
    return { dtype: buf.dtype, shape: [...buf.shape], data: buf.role === 'input' ? d.slice() : d };
  });
}
