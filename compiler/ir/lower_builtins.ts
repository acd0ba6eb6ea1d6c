// How each builtin of the checker's table becomes IR primitives. Composite builtins (mean,
// softmax, logsumexp, norm, one_hot, topk, …) are written here from primitives, so autodiff
// needs rules only for the primitives.
import type { Span } from '../syntax/ast.ts';
import type * as T from '../check/types.ts';
import type { Builder, DType } from './graph.ts';
import type { PrimName } from './prims.ts';
import type { Known, LV } from './lower.ts';

export interface LowerArgs {
  readonly get: (name: string) => LV | undefined;
  /** Whether the call gave the argument (without lowering it). */
  readonly has: (name: string) => boolean;
  readonly known: (name: string) => Known | undefined;
  readonly rest: readonly LV[];
  readonly span: Span;
  /** The checker's type of the call, where known (it fixes the dtype of literals). */
  readonly result: T.Type | undefined;
}

type Lower = (b: Builder, a: LowerArgs) => LV;

const t = (id: number): LV => ({ kind: 'tensor', id });

function id(a: LowerArgs, name: string): number {
  const v = a.get(name);
  if (v?.kind !== 'tensor') throw new Error(`lowering: argument '${name}' is not a tensor`);
  return v.id;
}

function ints(a: LowerArgs, name: string): number[] {
  const k = a.known(name);
  return (Array.isArray(k) ? k : [k]).map((x) => x as number);
}

const rankOf = (b: Builder, x: number): number => b.type(x).shape.length;
const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function axis(b: Builder, a: LowerArgs, x: number, name = 'axis', fallback = -1): number {
  const k = a.known(name);
  return norm(typeof k === 'number' ? k : fallback, rankOf(b, x));
}

function axesOr(b: Builder, a: LowerArgs, x: number): number[] {
  const r = rankOf(b, x);
  return !a.has('axis') ? [...Array(r).keys()] : [...new Set(ints(a, 'axis').map((v) => norm(v, r)))].sort((p, q) => p - q);
}

/** NumPy's result shape of broadcasting several shapes together. */
function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** The dtype a call computes in: the checker's, or the operands' widest (a literal adapts). */
function resultDType(b: Builder, a: LowerArgs, ids: readonly number[]): DType {
  if (a.result?.kind === 'tensor' && a.result.dtype !== 'bool') return a.result.dtype;
  const dts = ids.map((x) => b.type(x).dtype);
  return dts.includes('f32') ? 'f32' : dts[0]!;
}

const castTo = (b: Builder, x: number, dtype: DType): number => (b.type(x).dtype === dtype ? x : b.add('cast', [x], { dtype }));

/** Elementwise: operands converted to one dtype and broadcast to one shape. */
function elementwise(op: PrimName, names: readonly string[], compare = false): Lower {
  return (b, a) => {
    const xs = names.map((n) => id(a, n));
    const values = names[0] === 'cond' ? xs.slice(1) : xs;
    const dtype = compare ? widest(b, values) : resultDType(b, a, values);
    const shape = broadcastShape(xs.map((x) => b.type(x).shape));
    const ready = xs.map((x, i) => b.broadcast(names[i] === 'cond' ? x : castTo(b, x, dtype), shape));
    return t(b.add(op, ready));
  };
}

function widest(b: Builder, ids: readonly number[]): DType {
  const dts = ids.map((x) => b.type(x).dtype);
  return dts.includes('f32') ? 'f32' : dts.includes('i32') ? 'i32' : 'bool';
}

const unary = (op: PrimName): Lower => (b, a) => {
  const x = id(a, 'x');
  const float = !['neg', 'abs', 'sign', 'logical_not'].includes(op);
  return t(b.add(op, [float ? castTo(b, x, 'f32') : x]));
};

function reduce(b: Builder, op: 'sum' | 'max' | 'min', x: number, axes: readonly number[], keepdims: boolean): number {
  const out = b.add(op, [x], { axes });
  if (!keepdims) return out;
  return b.add('reshape', [out], { shape: b.type(x).shape.map((d, i) => (axes.includes(i) ? 1 : d)) });
}

/** Re-inserts reduced axes (size 1) so the result broadcasts against the input. */
function keep(b: Builder, r: number, axes: readonly number[], shape: readonly number[]): number {
  return b.broadcast(b.add('reshape', [r], { shape: shape.map((d, i) => (axes.includes(i) ? 1 : d)) }), shape);
}

function logsumexp(b: Builder, x: number, ax: number): number {
  const shape = b.type(x).shape;
  const m = b.add('stop_gradient', [b.add('max', [x], { axes: [ax] })]);
  const e = b.add('exp', [b.add('sub', [x, keep(b, m, [ax], shape)])]);
  return b.add('add', [b.add('log', [b.add('sum', [e], { axes: [ax] })]), m]);
}

function matmul(b: Builder, x0: number, y0: number): number {
  let x = x0;
  let y = y0;
  const xv = rankOf(b, x) === 1;
  const yv = rankOf(b, y) === 1;
  if (xv) x = b.add('reshape', [x], { shape: [1, ...b.type(x).shape] });
  if (yv) y = b.add('reshape', [y], { shape: [...b.type(y).shape, 1] });
  const xs = b.type(x).shape;
  const ys = b.type(y).shape;
  const batch = broadcastShape([xs.slice(0, -2), ys.slice(0, -2)]);
  x = b.broadcast(x, [...batch, ...xs.slice(-2)]);
  y = b.broadcast(y, [...batch, ...ys.slice(-2)]);
  let out = b.add('matmul', [x, y]);
  const os = b.type(out).shape;
  if (xv || yv) out = b.add('reshape', [out], { shape: [...batch, ...(xv ? [] : [os[os.length - 2]!]), ...(yv ? [] : [os[os.length - 1]!])] });
  return out;
}

function tupleIds(a: LowerArgs, name: string): number[] {
  const v = a.get(name);
  if (v?.kind !== 'tuple') throw new Error(`lowering: '${name}' is not a tuple`);
  return v.items.map((i) => (i as { id: number }).id);
}

function topkIndices(b: Builder, x: number, k: number): number {
  return b.add('topk_indices', [x], { k });
}

export const BUILTIN_LOWERING: Readonly<Record<string, Lower>> = {
  exp: unary('exp'), log: unary('log'), sqrt: unary('sqrt'), rsqrt: unary('rsqrt'), tanh: unary('tanh'),
  sigmoid: unary('sigmoid'), relu: unary('relu'), silu: unary('silu'), gelu: unary('gelu'),
  sin: unary('sin'), cos: unary('cos'), floor: unary('floor'),
  neg: unary('neg'), abs: unary('abs'), sign: unary('sign'), logical_not: unary('logical_not'),
  add: elementwise('add', ['a', 'b']), sub: elementwise('sub', ['a', 'b']), mul: elementwise('mul', ['a', 'b']),
  div: elementwise('div', ['a', 'b']), mod: elementwise('mod', ['a', 'b']), pow: elementwise('pow', ['a', 'b']),
  maximum: elementwise('maximum', ['a', 'b']), minimum: elementwise('minimum', ['a', 'b']),
  eq: elementwise('eq', ['a', 'b'], true), ne: elementwise('ne', ['a', 'b'], true),
  lt: elementwise('lt', ['a', 'b'], true), le: elementwise('le', ['a', 'b'], true),
  gt: elementwise('gt', ['a', 'b'], true), ge: elementwise('ge', ['a', 'b'], true),
  logical_and: elementwise('logical_and', ['a', 'b'], true), logical_or: elementwise('logical_or', ['a', 'b'], true),
  where: elementwise('where', ['cond', 'a', 'b']),
  // x − x is 0 exactly when x is finite (NaN and ±∞ give NaN).
  is_finite: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    return t(b.add('eq', [b.add('sub', [x, x]), b.constant(0, b.type(x))]));
  },
  f32: (b, a) => t(castTo(b, id(a, 'x'), 'f32')),
  i32: (b, a) => t(castTo(b, id(a, 'x'), 'i32')),
  bool: (b, a) => t(castTo(b, id(a, 'x'), 'bool')),

  sum: (b, a) => {
    const x = id(a, 'x');
    return t(reduce(b, 'sum', x, axesOr(b, a, x), a.known('keepdims') === true));
  },
  max: (b, a) => {
    const x = id(a, 'x');
    return t(reduce(b, 'max', x, axesOr(b, a, x), a.known('keepdims') === true));
  },
  min: (b, a) => {
    const x = id(a, 'x');
    return t(reduce(b, 'min', x, axesOr(b, a, x), a.known('keepdims') === true));
  },
  mean: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    const axes = axesOr(b, a, x);
    const n = axes.reduce((p, i) => p * b.type(x).shape[i]!, 1);
    const s = reduce(b, 'sum', x, axes, a.known('keepdims') === true);
    return t(b.add('mul', [s, b.broadcast(b.scalar(1 / n), b.type(s).shape)]));
  },
  argmax: (b, a) => {
    const x = id(a, 'x');
    return t(b.add('argmax', [x], { axis: axis(b, a, x) }));
  },
  logsumexp: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    const ax = axis(b, a, x);
    const r = logsumexp(b, x, ax);
    return t(a.known('keepdims') === true ? b.add('reshape', [r], { shape: b.type(x).shape.map((d, i) => (i === ax ? 1 : d)) }) : r);
  },
  softmax: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    const ax = axis(b, a, x);
    const shape = b.type(x).shape;
    const m = b.add('stop_gradient', [b.add('max', [x], { axes: [ax] })]);
    const e = b.add('exp', [b.add('sub', [x, keep(b, m, [ax], shape)])]);
    return t(b.add('div', [e, keep(b, b.add('sum', [e], { axes: [ax] }), [ax], shape)]));
  },
  log_softmax: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    const ax = axis(b, a, x);
    return t(b.add('sub', [x, keep(b, logsumexp(b, x, ax), [ax], b.type(x).shape)]));
  },
  cumsum: (b, a) => {
    const x = id(a, 'x');
    return t(b.add('cumsum', [x], { axis: axis(b, a, x), reverse: false }));
  },
  norm: (b, a) => {
    const x = castTo(b, id(a, 'x'), 'f32');
    return t(b.add('sqrt', [b.add('sum', [b.add('mul', [x, x])], { axes: [...Array(rankOf(b, x)).keys()] })]));
  },
  matmul: (b, a) => {
    const dtype = resultDType(b, a, [id(a, 'a'), id(a, 'b')]);
    return t(matmul(b, castTo(b, id(a, 'a'), dtype), castTo(b, id(a, 'b'), dtype)));
  },

  transpose: (b, a) => {
    const x = id(a, 'x');
    const r = rankOf(b, x);
    const perm = !a.has('perm') ? [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)) : ints(a, 'perm');
    return t(b.add('transpose', [x], { perm }));
  },
  reshape: (b, a) => t(b.add('reshape', [id(a, 'x')], { shape: ints(a, 'shape') })),
  rank: (b, a) => t(b.scalar(rankOf(b, id(a, 'x')), 'i32')),
  dim: (b, a) => {
    const x = id(a, 'x');
    return t(b.scalar(b.type(x).shape[axis(b, a, x)]!, 'i32'));
  },
  repeat: (b, a) => {
    const x = id(a, 'x');
    const shape = b.type(x).shape;
    return t(b.broadcast(b.add('reshape', [x], { shape: [1, ...shape] }), [a.known('n') as number, ...shape]));
  },
  broadcast_to: (b, a) => t(b.broadcast(id(a, 'x'), ints(a, 'shape'))),
  concat: (b, a) => {
    const xs = tupleIds(a, 'xs');
    return t(b.add('concat', xs, { axis: axis(b, a, xs[0]!, 'axis', 0) }));
  },
  stack: (b, a) => {
    const xs = tupleIds(a, 'xs');
    const shape = b.type(xs[0]!).shape;
    const ax = norm(typeof a.known('axis') === 'number' ? (a.known('axis') as number) : 0, shape.length + 1);
    const grown = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
    return t(b.add('concat', xs.map((x) => b.add('reshape', [x], { shape: grown })), { axis: ax }));
  },
  pad: (b, a) => {
    const x = id(a, 'x');
    const ax = axis(b, a, x);
    const r = rankOf(b, x);
    const before = [...Array(r)].map((_, i) => (i === ax ? (a.known('before') as number) : 0));
    const after = [...Array(r)].map((_, i) => (i === ax ? (a.known('after') as number) : 0));
    const known = a.known('value');
    if (!a.has('value') || typeof known === 'number') return t(b.add('pad', [x], { before, after, value: (known as number | undefined) ?? 0 }));
    // A value known only when running: pad with zeros, then fill the border through a mask.
    const padded = b.add('pad', [x], { before, after, value: 0 });
    const type = b.type(padded);
    const border = b.add('pad', [b.constant(0, { dtype: 'bool', shape: b.type(x).shape })], { before, after, value: 1 });
    const v = b.broadcast(castTo(b, id(a, 'value'), type.dtype), type.shape);
    return t(b.add('where', [border, v, padded]));
  },
  expand_dims: (b, a) => {
    const x = id(a, 'x');
    const shape = [...b.type(x).shape];
    shape.splice(norm(a.known('axis') as number, shape.length + 1), 0, 1);
    return t(b.add('reshape', [x], { shape }));
  },
  squeeze: (b, a) => {
    const x = id(a, 'x');
    const ax = axis(b, a, x);
    return t(b.add('reshape', [x], { shape: b.type(x).shape.filter((_, i) => i !== ax) }));
  },

  gather: (b, a) => {
    const x = id(a, 'x');
    return t(b.add('gather', [x, id(a, 'indices')], { axis: axis(b, a, x, 'axis', 0) }));
  },
  take_along_axis: (b, a) => {
    const x = id(a, 'x');
    return t(b.add('take_along_axis', [x, id(a, 'indices')], { axis: axis(b, a, x) }));
  },
  scatter_add: (b, a) => {
    const target = id(a, 'target');
    const updates = castTo(b, id(a, 'updates'), b.type(target).dtype);
    return t(b.add('scatter_add', [target, id(a, 'indices'), updates], { axis: axis(b, a, target, 'axis', 0) }));
  },
  one_hot: (b, a) => {
    const idx = id(a, 'indices');
    const n = a.known('n') as number;
    const shape = [...b.type(idx).shape, n];
    const expanded = b.broadcast(b.add('reshape', [idx], { shape: [...b.type(idx).shape, 1] }), shape);
    const iota = b.add('iota', [], { dtype: 'i32', shape, axis: shape.length - 1 });
    return t(b.add('cast', [b.add('eq', [expanded, iota])], { dtype: 'f32' }));
  },
  topk: (b, a) => {
    const x = id(a, 'x');
    const idx = topkIndices(b, x, a.known('k') as number);
    return { kind: 'tuple', items: [t(b.add('take_along_axis', [x, idx], { axis: rankOf(b, x) - 1 })), t(idx)] };
  },
  argsort: (b, a) => {
    const x = id(a, 'x');
    return t(b.add('argsort', [x], { axis: axis(b, a, x), descending: a.known('descending') === true }));
  },
  sort: (b, a) => {
    const x = id(a, 'x');
    const ax = axis(b, a, x);
    const idx = b.add('argsort', [x], { axis: ax, descending: a.known('descending') === true });
    return t(b.add('take_along_axis', [x, idx], { axis: ax }));
  },

  zeros: (b, a) => t(b.constant(0, { dtype: 'f32', shape: ints(a, 'shape') })),
  ones: (b, a) => t(b.constant(1, { dtype: 'f32', shape: ints(a, 'shape') })),
  full: (b, a) => {
    const v = id(a, 'value');
    return t(b.broadcast(v, ints(a, 'shape')));
  },
  zeros_like: (b, a) => t(b.constant(0, b.type(id(a, 'x')))),
  ones_like: (b, a) => t(b.constant(1, b.type(id(a, 'x')))),
  arange: (b, a) => t(b.add('iota', [], { dtype: 'i32', shape: [a.known('n') as number], axis: 0 })),
  eye: (b, a) => {
    const n = a.known('n') as number;
    const r = b.add('iota', [], { dtype: 'i32', shape: [n, n], axis: 0 });
    const c = b.add('iota', [], { dtype: 'i32', shape: [n, n], axis: 1 });
    return t(b.add('cast', [b.add('eq', [r, c])], { dtype: 'f32' }));
  },
  'rand.key': (b, a) => t(b.add('rand_key', [castTo(b, id(a, 'seed'), 'i32')])),
  'rand.split': (b, a) => t(b.add('rand_split', [id(a, 'key')], { n: (a.known('n') as number | undefined) ?? 2 })),
  'rand.fold_in': (b, a) => t(b.add('rand_fold_in', [id(a, 'key'), castTo(b, id(a, 'data'), 'i32')])),
  'rand.normal': (b, a) => t(b.add('rand_normal', [id(a, 'key')], { shape: ints(a, 'shape') })),
  'rand.uniform': (b, a) => t(b.add('rand_uniform', [id(a, 'key')], { shape: ints(a, 'shape') })),
};
