// The primitive table of the tensor IR: each primitive's result type and its derivative rule
// (a vector-Jacobian product written as IR). The reference implementation of each primitive is
// in runtime/interp/eval.ts, keyed by the same names; TypeScript checks that none is missing.
import type { Attrs, Builder, DType, Node, TType } from './graph.ts';

/** Cotangents of a node's inputs given the cotangent of its output; null where none flows. */
type Vjp = (b: Builder, n: Node, ct: number) => readonly (number | null)[];

export interface Prim {
  readonly type: (inputs: readonly TType[], attrs: Attrs) => TType;
  /** Absent: no gradient flows through this primitive (integer results, random numbers). */
  readonly vjp?: Vjp;
}

const num = (a: Attrs, k: string): number => a[k] as number;
const nums = (a: Attrs, k: string): readonly number[] => a[k] as readonly number[];

function fail(msg: string): never {
  throw new Error(`IR type error: ${msg}`);
}

const same = (ts: readonly TType[]): TType => {
  const t = ts[0]!;
  for (const u of ts) {
    if (u.shape.length !== t.shape.length || u.shape.some((d, i) => d !== t.shape[i])) fail(`shapes differ: [${t.shape}] vs [${u.shape}]`);
    if (u.dtype !== t.dtype) fail(`dtypes differ: ${t.dtype} vs ${u.dtype}`);
  }
  return t;
};
const withDType = (t: TType, dtype: DType): TType => ({ dtype, shape: t.shape });
const fromAttrs = (a: Attrs): TType => ({ dtype: a['dtype'] as DType, shape: nums(a, 'shape') });

// ---- builders used by the derivative rules ----
const mul = (b: Builder, x: number, y: number) => b.add('mul', [x, y]);
const scale = (b: Builder, x: number, k: number) => b.add('mul', [x, b.broadcast(b.scalar(k), b.type(x).shape)]);
const fill = (b: Builder, like: number, v: number) => b.constant(v, b.type(like));
const zerosLike = (b: Builder, like: number) => fill(b, like, 0);

/** Sums a cotangent of `shape` back to `target` (the transpose of NumPy broadcasting). */
export function unbroadcast(b: Builder, ct: number, target: readonly number[]): number {
  const shape = b.type(ct).shape;
  const lead = shape.length - target.length;
  const axes = shape.map((_, i) => i).filter((i) => i < lead || (target[i - lead] === 1 && shape[i] !== 1));
  if (axes.length === 0) return ct;
  return b.add('reshape', [b.add('sum', [ct], { axes })], { shape: target });
}

/** Re-inserts reduced axes as size 1 and broadcasts back to the input's shape. */
function expandReduced(b: Builder, ct: number, axes: readonly number[], shape: readonly number[]): number {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return b.broadcast(b.add('reshape', [ct], { shape: kept }), shape);
}

// ---- families ----

const unary = (vjp?: Vjp): Prim => ({ type: ([x]) => x!, ...(vjp ? { vjp } : {}) });
const binary = (vjp?: Vjp): Prim => ({ type: (ts) => same(ts), ...(vjp ? { vjp } : {}) });
const compare: Prim = { type: (ts) => withDType(same(ts), 'bool') };
const source: Prim = { type: (_, a) => fromAttrs(a) };

function reduceType([x]: readonly TType[], a: Attrs): TType {
  const axes = nums(a, 'axes');
  return { dtype: x!.dtype, shape: x!.shape.filter((_, i) => !axes.includes(i)) };
}

/** max/min over axes: the cotangent is shared evenly among the elements equal to the extreme. */
const extremeVjp: Vjp = (b, n, ct) => {
  const x = n.inputs[0]!;
  const shape = b.type(x).shape;
  const axes = nums(n.attrs, 'axes');
  const mask = b.add('cast', [b.add('eq', [x, expandReduced(b, n.id, axes, shape)])], { dtype: 'f32' });
  const count = b.add('sum', [mask], { axes });
  return [mul(b, expandReduced(b, b.add('div', [ct, count]), axes, shape), mask)];
};

function gelu(b: Builder, x: number, ct: number): number {
  // d/dx of 0.5·x·(1 + tanh(c·(x + 0.044715·x³))), c = √(2/π)
  const c = Math.sqrt(2 / Math.PI);
  const x2 = mul(b, x, x);
  const u = scale(b, b.add('add', [x, scale(b, mul(b, x2, x), 0.044715)]), c);
  const t = b.add('tanh', [u]);
  const one = fill(b, x, 1);
  const du = scale(b, b.add('add', [one, scale(b, x2, 3 * 0.044715)]), c);
  const sech2 = b.add('sub', [one, mul(b, t, t)]);
  const d = b.add('add', [scale(b, b.add('add', [one, t]), 0.5), mul(b, scale(b, x, 0.5), mul(b, sech2, du))]);
  return mul(b, ct, d);
}

export type PrimName =
  | 'input'
  | 'const'
  | 'iota'
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'silu'
  | 'gelu'
  | 'sin'
  | 'cos'
  | 'abs'
  | 'sign'
  | 'floor'
  | 'logical_not'
  | 'stop_gradient'
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'mod'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logical_and'
  | 'logical_or'
  | 'where'
  | 'cast'
  | 'sum'
  | 'max'
  | 'min'
  | 'argmax'
  | 'cumsum'
  | 'matmul'
  | 'transpose'
  | 'reshape'
  | 'broadcast'
  | 'concat'
  | 'slice'
  | 'pad'
  | 'gather'
  | 'scatter_add'
  | 'take_along_axis'
  | 'scatter_along_axis'
  | 'topk_indices'
  | 'argsort'
  | 'rand_key'
  | 'rand_split'
  | 'rand_fold_in'
  | 'rand_normal'
  | 'rand_uniform';

export const PRIMS: Record<PrimName, Prim> = {
  input: source,
  const: source,
  iota: source,

  neg: unary((b, _n, ct) => [b.add('neg', [ct])]),
  exp: unary((b, n, ct) => [mul(b, ct, n.id)]),
  log: unary((b, n, ct) => [b.add('div', [ct, n.inputs[0]!])]),
  sqrt: unary((b, n, ct) => [b.add('div', [scale(b, ct, 0.5), n.id])]),
  rsqrt: unary((b, n, ct) => [mul(b, scale(b, ct, -0.5), b.add('div', [n.id, n.inputs[0]!]))]),
  tanh: unary((b, n, ct) => [mul(b, ct, b.add('sub', [fill(b, n.id, 1), mul(b, n.id, n.id)]))]),
  sigmoid: unary((b, n, ct) => [mul(b, ct, mul(b, n.id, b.add('sub', [fill(b, n.id, 1), n.id])))]),
  relu: unary((b, n, ct) => [b.add('where', [b.add('gt', [n.inputs[0]!, zerosLike(b, ct)]), ct, zerosLike(b, ct)])]),
  silu: unary((b, n, ct) => {
    const x = n.inputs[0]!;
    const s = b.add('sigmoid', [x]);
    const one = fill(b, x, 1);
    return [mul(b, ct, mul(b, s, b.add('add', [one, mul(b, x, b.add('sub', [one, s]))])))];
  }),
  gelu: unary((b, n, ct) => [gelu(b, n.inputs[0]!, ct)]),
  sin: unary((b, n, ct) => [mul(b, ct, b.add('cos', [n.inputs[0]!]))]),
  cos: unary((b, n, ct) => [b.add('neg', [mul(b, ct, b.add('sin', [n.inputs[0]!]))])]),
  abs: unary((b, n, ct) => [mul(b, ct, b.add('sign', [n.inputs[0]!]))]),
  sign: unary(),
  floor: unary(),
  logical_not: unary(),
  stop_gradient: unary(),

  add: binary((_b, _n, ct) => [ct, ct]),
  sub: binary((b, _n, ct) => [ct, b.add('neg', [ct])]),
  mul: binary((b, n, ct) => [mul(b, ct, n.inputs[1]!), mul(b, ct, n.inputs[0]!)]),
  div: binary((b, n, ct) => {
    const [x, y] = n.inputs as [number, number];
    const dx = b.add('div', [ct, y]);
    return [dx, b.add('neg', [mul(b, dx, b.add('div', [x, y]))])];
  }),
  mod: binary((b, n, ct) => {
    const [x, y] = n.inputs as [number, number];
    return [ct, b.add('neg', [mul(b, ct, b.add('floor', [b.add('div', [x, y])]))])];
  }),
  pow: binary((b, n, ct) => {
    const [x, y] = n.inputs as [number, number];
    // y·x^(y−1), taken as 0 where y = 0 (x^0 is constant even at x = 0, where x^(−1) is infinite).
    const dxRaw = mul(b, ct, mul(b, y, b.add('pow', [x, b.add('sub', [y, fill(b, y, 1)])])));
    const dx = b.add('where', [b.add('eq', [y, zerosLike(b, y)]), zerosLike(b, ct), dxRaw]);
    // d/dy x^y = x^y·log x, defined where x > 0 (elsewhere 0, as in JAX for x = 0).
    const pos = b.add('gt', [x, zerosLike(b, x)]);
    const logx = b.add('log', [b.add('where', [pos, x, fill(b, x, 1)])]);
    return [dx, b.add('where', [pos, mul(b, ct, mul(b, n.id, logx)), zerosLike(b, ct)])];
  }),
  maximum: binary((b, n, ct) => {
    const pick = b.add('ge', [n.inputs[0]!, n.inputs[1]!]);
    return [b.add('where', [pick, ct, zerosLike(b, ct)]), b.add('where', [pick, zerosLike(b, ct), ct])];
  }),
  minimum: binary((b, n, ct) => {
    const pick = b.add('le', [n.inputs[0]!, n.inputs[1]!]);
    return [b.add('where', [pick, ct, zerosLike(b, ct)]), b.add('where', [pick, zerosLike(b, ct), ct])];
  }),
  eq: compare, ne: compare, lt: compare, le: compare, gt: compare, ge: compare,
  logical_and: compare, logical_or: compare,
  where: {
    type: ([c, x, y]) => same([withDType(c!, x!.dtype), x!, y!]),
    vjp: (b, n, ct) => [null, b.add('where', [n.inputs[0]!, ct, zerosLike(b, ct)]), b.add('where', [n.inputs[0]!, zerosLike(b, ct), ct])],
  },
  cast: {
    type: ([x], a) => withDType(x!, a['dtype'] as DType),
    vjp: (b, n, ct) => [b.type(n.inputs[0]!).dtype === 'f32' && n.type.dtype === 'f32' ? ct : null],
  },

  sum: { type: reduceType, vjp: (b, n, ct) => [expandReduced(b, ct, nums(n.attrs, 'axes'), b.type(n.inputs[0]!).shape)] },
  max: { type: reduceType, vjp: extremeVjp },
  min: { type: reduceType, vjp: extremeVjp },
  argmax: {
    type: ([x], a) => ({ dtype: 'i32', shape: x!.shape.filter((_, i) => i !== num(a, 'axis')) }),
  },
  cumsum: {
    type: ([x]) => x!,
    vjp: (b, n, ct) => [b.add('cumsum', [ct], { axis: num(n.attrs, 'axis'), reverse: !n.attrs['reverse'] })],
  },
  matmul: {
    type: ([x, y]) => {
      const [a, c] = [x!.shape, y!.shape];
      const r = a.length;
      if (r < 2 || c.length !== r || a[r - 1] !== c[r - 2] || a.slice(0, -2).some((d, i) => d !== c[i]))
        fail(`matmul of [${a}] and [${c}]`);
      return { dtype: x!.dtype, shape: [...a.slice(0, -1), c[r - 1]!] };
    },
    vjp: (b, n, ct) => {
      const [x, y] = n.inputs as [number, number];
      const swap = (v: number) => {
        const r = b.type(v).shape.length;
        const perm = [...Array(r).keys()];
        [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
        return b.add('transpose', [v], { perm });
      };
      return [b.add('matmul', [ct, swap(y)]), b.add('matmul', [swap(x), ct])];
    },
  },

  transpose: {
    type: ([x], a) => ({ dtype: x!.dtype, shape: nums(a, 'perm').map((p) => x!.shape[p]!) }),
    vjp: (b, n, ct) => {
      const perm = nums(n.attrs, 'perm');
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [b.add('transpose', [ct], { perm: inv })];
    },
  },
  reshape: {
    type: ([x], a) => ({ dtype: x!.dtype, shape: nums(a, 'shape') }),
    vjp: (b, n, ct) => [b.add('reshape', [ct], { shape: b.type(n.inputs[0]!).shape })],
  },
  broadcast: {
    type: ([x], a) => ({ dtype: x!.dtype, shape: nums(a, 'shape') }),
    vjp: (b, n, ct) => [unbroadcast(b, ct, b.type(n.inputs[0]!).shape)],
  },
  concat: {
    type: (ts, a) => {
      const axis = num(a, 'axis');
      const shape = [...ts[0]!.shape];
      shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0);
      return { dtype: ts[0]!.dtype, shape };
    },
    vjp: (b, n, ct) => {
      const axis = num(n.attrs, 'axis');
      const shape = n.type.shape;
      let at = 0;
      return n.inputs.map((i) => {
        const d = b.type(i).shape[axis]!;
        const starts = shape.map((_, k) => (k === axis ? at : 0));
        const ends = shape.map((s, k) => (k === axis ? at + d : s));
        at += d;
        return b.add('slice', [ct], { starts, ends });
      });
    },
  },
  slice: {
    type: ([x], a) => ({ dtype: x!.dtype, shape: nums(a, 'ends').map((e, i) => e - nums(a, 'starts')[i]!) }),
    vjp: (b, n, ct) => {
      const shape = b.type(n.inputs[0]!).shape;
      return [b.add('pad', [ct], { before: nums(n.attrs, 'starts'), after: shape.map((d, i) => d - nums(n.attrs, 'ends')[i]!), value: 0 })];
    },
  },
  pad: {
    type: ([x], a) => ({ dtype: x!.dtype, shape: x!.shape.map((d, i) => d + nums(a, 'before')[i]! + nums(a, 'after')[i]!) }),
    vjp: (b, n, ct) => {
      const before = nums(n.attrs, 'before');
      const shape = b.type(n.inputs[0]!).shape;
      return [b.add('slice', [ct], { starts: before, ends: shape.map((d, i) => d + before[i]!) })];
    },
  },

  gather: {
    type: ([x, idx], a) => {
      const axis = num(a, 'axis');
      return { dtype: x!.dtype, shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)] };
    },
    vjp: (b, n, ct) => [b.add('scatter_add', [zerosLike(b, n.inputs[0]!), n.inputs[1]!, ct], { axis: num(n.attrs, 'axis') }), null],
  },
  scatter_add: {
    type: ([t]) => t!,
    vjp: (b, n, ct) => [ct, null, b.add('gather', [ct, n.inputs[1]!], { axis: num(n.attrs, 'axis') })],
  },
  take_along_axis: {
    type: ([x, idx], a) => {
      const axis = num(a, 'axis');
      if (idx!.shape.length !== x!.shape.length || x!.shape.some((d, i) => i !== axis && d !== idx!.shape[i]))
        fail(`take_along_axis: indices [${idx!.shape}] must match [${x!.shape}] off axis ${axis}`);
      return { dtype: x!.dtype, shape: idx!.shape };
    },
    vjp: (b, n, ct) => [b.add('scatter_along_axis', [zerosLike(b, n.inputs[0]!), n.inputs[1]!, ct], { axis: num(n.attrs, 'axis') }), null],
  },
  scatter_along_axis: {
    type: ([t]) => t!,
    vjp: (b, n, ct) => [ct, null, b.add('take_along_axis', [ct, n.inputs[1]!], { axis: num(n.attrs, 'axis') })],
  },
  topk_indices: {
    type: ([x], a) => ({ dtype: 'i32', shape: [...x!.shape.slice(0, -1), num(a, 'k')] }),
  },
  argsort: { type: ([x]) => withDType(x!, 'i32') },

  rand_key: { type: () => ({ dtype: 'i32', shape: [2] }) },
  rand_split: { type: (_, a) => ({ dtype: 'i32', shape: [num(a, 'n'), 2] }) },
  rand_fold_in: { type: () => ({ dtype: 'i32', shape: [2] }) },
  rand_normal: { type: (_, a) => ({ dtype: 'f32', shape: nums(a, 'shape') }) },
  rand_uniform: { type: (_, a) => ({ dtype: 'f32', shape: nums(a, 'shape') }) },
};
