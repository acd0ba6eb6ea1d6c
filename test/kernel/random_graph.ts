// A generator of random well-typed tensor-IR graphs for fusion tests, built with `Builder`.
//
// Structure comes from a list of choices (natural numbers, drawn and shrunk by fast-check: a missing
// choice counts as 0, the simplest option); input values come from a seeded generator, on a grid of
// multiples of 1/256 in [-3, 3] so that sums and products of a few of them are exact in float64.
// Every step applies one operation from the allowed menu to values made so far and adds its result;
// the graph returns the last value and a few earlier ones (so values feed several kernels).
import { Builder, sizeOf, type DType, type Graph } from '../../compiler/ir/graph.ts';
import type { PrimName } from '../../compiler/ir/prims.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';

export type OpClass = 'elementwise' | 'wide' | 'broadcast' | 'reduce' | 'matmul' | 'layout' | 'index' | 'concat' | 'library';
export const ALL_OPS: readonly OpClass[] = ['elementwise', 'wide', 'broadcast', 'reduce', 'matmul', 'layout', 'index', 'concat', 'library'];

export interface RandomGraph {
  readonly graph: Graph;
  readonly inputs: Tensor[];
  /** Per output: whether a reduction or matmul lies upstream (compared with a tolerance). */
  readonly approx: boolean[];
}

export interface RandomOptions {
  readonly ops?: readonly OpClass[];
  readonly steps?: number;
  /** Graph inputs to start from. */
  readonly seeds?: number;
}

class Choices {
  private i = 0;
  constructor(private readonly xs: readonly number[]) {}
  pick(n: number): number {
    const v = this.xs[this.i++] ?? 0;
    return n <= 1 ? 0 : v % n;
  }
  coin(): boolean {
    return this.pick(2) === 1;
  }
  of<T>(xs: readonly T[]): T {
    return xs[this.pick(xs.length)]!;
  }
}

/** mulberry32: a small deterministic PRNG for input values. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Value {
  readonly id: number;
  readonly approx: boolean;
}

interface InputSpec {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Index inputs: values in [0, bound). */
  readonly bound?: number;
}

const UNARY: readonly PrimName[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'silu', 'gelu', 'sin', 'cos', 'abs', 'sign', 'floor'];
const BINARY: readonly PrimName[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'];
const MAX_ELEMENTS = 256;

/** NumPy broadcasting of two shapes, or null. */
function common(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

class Gen {
  readonly b = new Builder();
  readonly specs: InputSpec[] = [];
  readonly pool: Value[] = [];

  constructor(private readonly c: Choices) {}

  shapeOf(v: Value): readonly number[] {
    return this.b.type(v.id).shape;
  }

  input(dtype: DType, shape: readonly number[], bound?: number): number {
    const spec: InputSpec = bound === undefined ? { dtype, shape } : { dtype, shape, bound };
    this.specs.push(spec);
    return this.b.input({ dtype, shape }, this.specs.length - 1, `x${this.specs.length - 1}`);
  }

  randomShape(maxRank = 3): number[] {
    return Array.from({ length: this.c.pick(maxRank + 1) }, () => 1 + this.c.pick(4));
  }

  /** A shape that broadcasts to s: some leading axes dropped, some set to 1. */
  broadcastFrom(s: readonly number[]): number[] {
    return s.slice(this.c.pick(s.length + 1)).map((d) => (this.c.coin() ? 1 : d));
  }

  /** Mostly one of the latest values, so that operations chain into deeper expressions. */
  any(): Value {
    const k = this.c.pick(5);
    return k < 3 ? this.pool[Math.max(0, this.pool.length - 1 - k)]! : this.c.of(this.pool);
  }

  /** A value of rank >= min, or undefined. */
  ranked(min: number): Value | undefined {
    const ok = this.pool.filter((v) => this.shapeOf(v).length >= min);
    return ok.length === 0 ? undefined : ok[Math.max(0, ok.length - 1 - this.c.pick(ok.length + 2))]!;
  }

  /** A second operand for x: another value, a new input, or a constant, broadcast together with x. */
  pair(x: Value): [number, number, boolean] {
    const xs = this.shapeOf(x);
    const other = this.any();
    const kind = this.c.pick(3);
    let y: Value;
    if (kind === 0 && common(xs, this.shapeOf(other)) !== null) y = other;
    else if (kind === 1) y = { id: this.b.scalar(this.c.of([0.5, -2, 1.5, 0])), approx: false };
    else y = { id: this.input('f32', this.broadcastFrom(xs)), approx: false };
    const s = common(xs, this.shapeOf(y))!;
    return [this.b.broadcast(x.id, s), this.b.broadcast(y.id, s), x.approx || y.approx];
  }

  step(op: OpClass): Value | undefined {
    const b = this.b;
    const c = this.c;
    switch (op) {
      case 'elementwise': {
        const x = this.any();
        const k = c.pick(4);
        if (k === 0) return { id: b.add(c.of(UNARY), [x.id]), approx: x.approx };
        const [p, q, approx] = this.pair(x);
        if (k === 1) return { id: b.add('where', [b.add(c.of<PrimName>(['gt', 'le', 'eq']), [p, q]), p, q]), approx };
        if (k === 2) return { id: b.add('cast', [b.add('cast', [p], { dtype: 'i32' })], { dtype: 'f32' }), approx };
        return { id: b.add(c.of(BINARY), [p, q]), approx };
      }
      case 'wide': {
        // x ∘ y1 ∘ y2 ∘ …: one expression over many buffers (bias, residual, scale, gate, …).
        let acc = this.any();
        for (let n = 2 + c.pick(6); n > 0; n--) {
          const [p, q, approx] = this.pair(acc);
          acc = { id: b.add(c.of<PrimName>(['add', 'mul', 'sub', 'maximum']), [p, q]), approx };
        }
        return acc;
      }
      case 'broadcast': {
        const x = this.any();
        const s = this.shapeOf(x);
        const target = [...(c.coin() && s.length < 3 ? [1 + c.pick(3)] : []), ...s.map((d) => (d === 1 ? 1 + c.pick(3) : d))];
        if (c.coin()) {
          // one_hot of an index input: iota, compare and cast (what `one_hot` lowers to).
          const n = 1 + c.pick(4);
          const k = 1 + c.pick(4);
          const idx = this.input('i32', [n], k);
          const wide = b.broadcast(b.add('reshape', [idx], { shape: [n, 1] }), [n, k]);
          const iota = b.add('iota', [], { dtype: 'i32', shape: [n, k], axis: 1 });
          return { id: b.add('cast', [b.add('eq', [wide, iota])], { dtype: 'f32' }), approx: false };
        }
        return { id: b.broadcast(x.id, target), approx: x.approx };
      }
      case 'reduce': {
        const x = this.ranked(1);
        if (x === undefined) return undefined;
        const s = this.shapeOf(x);
        const axes = s.flatMap((_, i) => (c.coin() ? [i] : []));
        const r = b.add(c.of<PrimName>(['sum', 'max', 'min']), [x.id], { axes });
        const keep = c.coin() ? b.add('reshape', [r], { shape: s.map((d, i) => (axes.includes(i) ? 1 : d)) }) : r;
        return { id: keep, approx: true };
      }
      case 'matmul': {
        const x = this.ranked(2);
        if (x === undefined || this.shapeOf(x).length > 3) return undefined;
        const s = this.shapeOf(x);
        const r = s.length;
        const swap = [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
        let a = c.coin() ? b.add('transpose', [x.id], { perm: swap }) : x.id;
        const [m, k] = b.type(a).shape.slice(-2) as [number, number];
        const batch = b.type(a).shape.slice(0, -2);
        const n = 1 + c.pick(4);
        const w = c.coin() ? b.add('transpose', [this.input('f32', [...batch, n, k])], { perm: swap }) : this.input('f32', [...batch, k, n]);
        if (c.coin()) a = b.add('mul', [a, b.broadcast(b.scalar(c.of([0.5, 2, -1.5, 3])), [...batch, m, k])]);
        return { id: b.add('matmul', [a, w]), approx: true };
      }
      case 'layout': {
        const x = this.any();
        const s = this.shapeOf(x);
        const k = c.pick(5);
        if (k === 0 || k === 4) {
          const perm = [...Array(s.length).keys()];
          for (let i = perm.length - 1; i > 0; i--) {
            const j = c.pick(i + 1);
            [perm[i], perm[j]] = [perm[j]!, perm[i]!];
          }
          const t = b.add('transpose', [x.id], { perm });
          if (k === 0 || s.length < 2) return { id: t, approx: x.approx };
          // A merge of permuted axes: no strides express it (the loads index with div/mod).
          const ts = b.type(t).shape;
          const i = c.pick(ts.length - 1);
          return { id: b.add('reshape', [t], { shape: [...ts.slice(0, i), ts[i]! * ts[i + 1]!, ...ts.slice(i + 2)] }), approx: x.approx };
        }
        if (k === 1) {
          const starts = s.map((d) => c.pick(d));
          const ends = s.map((d, i) => starts[i]! + 1 + c.pick(d - starts[i]!));
          return { id: b.add('slice', [x.id], { starts, ends }), approx: x.approx };
        }
        if (k === 2) {
          const before = s.map(() => c.pick(3));
          const after = s.map(() => c.pick(3));
          return { id: b.add('pad', [x.id], { before, after, value: c.of([0, -1.5]) }), approx: x.approx };
        }
        return { id: b.add('reshape', [x.id], { shape: this.reshaped(s) }), approx: x.approx };
      }
      case 'index': {
        const x = this.ranked(1);
        if (x === undefined) return undefined;
        const s = this.shapeOf(x);
        const axis = c.pick(s.length);
        if (c.coin()) {
          const idx = this.input('i32', this.randomShape(2), s[axis]!);
          return { id: b.add('gather', [x.id, idx], { axis }), approx: x.approx };
        }
        const idx = this.input('i32', s.map((d, i) => (i === axis ? 1 + c.pick(4) : d)), s[axis]!);
        return { id: b.add('take_along_axis', [x.id, idx], { axis }), approx: x.approx };
      }
      case 'concat': {
        const x = this.ranked(1);
        if (x === undefined) return undefined;
        const s = this.shapeOf(x);
        const axis = c.pick(s.length);
        const parts = [x.id];
        for (let n = 1 + c.pick(3); n > 0; n--) {
          const k = c.pick(3);
          if (k === 0) parts.push(x.id);
          else if (k === 1) parts.push(b.add('slice', [x.id], { starts: s.map(() => 0), ends: s.map((d, i) => (i === axis ? 1 : d)) }));
          else parts.push(this.input('f32', s.map((d, i) => (i === axis ? 1 + c.pick(3) : d))));
        }
        return { id: b.add('concat', c.coin() ? parts.reverse() : parts, { axis }), approx: x.approx };
      }
      case 'library': {
        const x = this.ranked(1);
        if (x === undefined) return undefined;
        const s = this.shapeOf(x);
        const axis = c.pick(s.length);
        const last = s.length - 1;
        const along = (idx: number, ax: number): Value => ({ id: b.add('take_along_axis', [x.id, idx], { axis: ax }), approx: x.approx });
        switch (c.pick(6)) {
          case 0: return along(b.add('topk_indices', [x.id], { k: 1 + c.pick(s[last]!) }), last);
          case 1: return { id: b.add('cumsum', [x.id], { axis, reverse: c.coin() }), approx: true };
          case 2: return { id: b.add('cast', [b.add('argmax', [x.id], { axis })], { dtype: 'f32' }), approx: x.approx };
          case 3: return along(b.add('argsort', [x.id], { axis, descending: c.coin() }), axis);
          case 4: {
            const m = 1 + c.pick(4);
            const target = c.coin() ? b.constant(0, { dtype: 'f32', shape: s.map((d, i) => (i === axis ? m : d)) }) : this.input('f32', s.map((d, i) => (i === axis ? m : d)));
            const idx = this.input('i32', [s[axis]!], m);
            return { id: b.add('scatter_add', [target, idx, x.id], { axis }), approx: true };
          }
          default: {
            const key = b.add('rand_key', [this.input('i32', [], 1000)]);
            return { id: b.add('rand_normal', [key], { shape: this.randomShape() }), approx: false };
          }
        }
      }
    }
  }

  /** Same size, new shape: merge two neighbours, split an axis, or add or drop a 1. */
  reshaped(s: readonly number[]): number[] {
    const out = [...s];
    const k = this.c.pick(4);
    const i = this.c.pick(Math.max(out.length, 1));
    if (k === 0 && out.length >= 2 && i < out.length - 1) out.splice(i, 2, out[i]! * out[i + 1]!);
    else if (k === 1 && out[i] === 4) out.splice(i, 1, 2, 2);
    else if (k === 2 && out.includes(1)) out.splice(out.indexOf(1), 1);
    else out.splice(this.c.pick(out.length + 1), 0, 1);
    return out;
  }
}

export function randomGraph(choices: readonly number[], seed: number, options: RandomOptions = {}): RandomGraph {
  const c = new Choices(choices);
  const gen = new Gen(c);
  const ops = options.ops ?? ALL_OPS;
  for (let n = 1 + c.pick(options.seeds ?? 2); n > 0; n--) gen.pool.push({ id: gen.input('f32', gen.randomShape()), approx: false });
  const steps = 1 + c.pick(options.steps ?? 6);
  for (let k = 0; k < steps; k++) {
    const v = gen.step(c.of(ops)) ?? gen.step('elementwise')!;
    if (sizeOf(gen.shapeOf(v)) <= MAX_ELEMENTS) gen.pool.push(v);
  }
  const last = gen.pool[gen.pool.length - 1]!;
  const outs = [last, ...Array.from({ length: c.pick(3) }, () => gen.any())];
  const graph = gen.b.graph('random', outs.map((v) => v.id));
  const next = prng(seed);
  const inputs = gen.specs.map((sp) => {
    const n = sizeOf(sp.shape);
    const values = Array.from({ length: n }, () =>
      sp.bound !== undefined ? Math.floor(next() * sp.bound) : Math.round((next() * 6 - 3) * 256) / 256);
    return tensor(sp.dtype, sp.shape, values);
  });
  return { graph, inputs, approx: outs.map((v) => v.approx) };
}
