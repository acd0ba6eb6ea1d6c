// Reductions and the normalizations built on them, and matmul.
import { broadcast } from '../check/broadcast.ts';
import * as S from '../check/size.ts';
import { f32, i32, show, showShape, tensor, type TensorType } from '../check/types.ts';
import {
  axesOf, axisOf, requireFloat, requireNumeric, RuleError, staticBool,
  type Args, type Builtin,
} from './builtin.ts';

function reducedShape(args: Args, t: TensorType, axes: readonly number[]): S.Size[] {
  const keep = staticBool(args, 'keepdims', false);
  return t.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [S.constant(1)] : []) : [d]));
}

const reduction = (name: string, doc: string, float: boolean): Builtin => ({
  name, doc,
  params: [{ name: 'x' }, { name: 'axis', default: 'every axis' }, { name: 'keepdims', default: 'false' }],
  type: (args) => {
    const t = float ? requireFloat(args, 'x') : requireNumeric(args, 'x');
    return tensor(t.dtype, reducedShape(args, t, axesOf(args, 'axis', t.shape.length)));
  },
});

const alongAxis = (name: string, doc: string): Builtin => ({
  name, doc, params: [{ name: 'x' }, { name: 'axis', default: '-1' }],
  type: (args) => {
    const t = requireFloat(args, 'x');
    axisOf(args, 'axis', t.shape.length, -1);
    return t;
  },
});

function matmulType(args: Args): TensorType {
  const a = requireNumeric(args, 'a');
  const b = requireNumeric(args, 'b');
  if (a.shape.length === 0 || b.shape.length === 0)
    throw new RuleError(`matmul: operands must have at least one axis, found ${show(a)} and ${show(b)}; use * for scalars`);
  if (a.dtype !== b.dtype && !a.weak && !b.weak) throw new RuleError(`matmul: operands have different element types, ${show(a)} and ${show(b)}`);
  // NumPy's rule: a vector operand gains an axis for the product and loses it after.
  const as = a.shape.length === 1 ? [S.constant(1), a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, S.constant(1)] : b.shape;
  const k1 = as[as.length - 1]!;
  const k2 = bs[bs.length - 2]!;
  if (!S.equal(k1, k2))
    throw new RuleError(
      `matmul: inner dimensions differ: ${show(a)} has ${S.show(k1)} columns but ${show(b)} has ${S.show(k2)} rows`,
    );
  const batch = broadcast(as.slice(0, -2), bs.slice(0, -2));
  if (!batch.ok)
    throw new RuleError(`matmul: batch dimensions ${showShape(as.slice(0, -2))} and ${showShape(bs.slice(0, -2))} do not broadcast`);
  const rows = a.shape.length === 1 ? [] : [as[as.length - 2]!];
  const cols = b.shape.length === 1 ? [] : [bs[bs.length - 1]!];
  return tensor(a.weak ? b.dtype : a.dtype, [...batch.shape, ...rows, ...cols]);
}

export const REDUCE: readonly Builtin[] = [
  reduction('sum', 'sum over axes (all by default)', false),
  reduction('mean', 'mean over axes (all by default)', true),
  reduction('max', 'largest element over axes (all by default)', false),
  reduction('min', 'smallest element over axes (all by default)', false),
  {
    name: 'argmax', doc: 'index of the largest element along an axis (the first on ties)',
    params: [{ name: 'x' }, { name: 'axis', default: '-1' }],
    type: (args) => {
      const t = requireNumeric(args, 'x');
      const axis = axisOf(args, 'axis', t.shape.length, -1);
      return i32(t.shape.filter((_, i) => i !== axis));
    },
  },
  {
    name: 'logsumexp', doc: 'log(sum(exp(x))) along an axis, computed stably',
    params: [{ name: 'x' }, { name: 'axis', default: '-1' }, { name: 'keepdims', default: 'false' }],
    type: (args) => {
      const t = requireFloat(args, 'x');
      return f32(reducedShape(args, t, [axisOf(args, 'axis', t.shape.length, -1)]));
    },
  },
  alongAxis('softmax', 'exp(x) / sum(exp(x)) along an axis, computed stably'),
  alongAxis('log_softmax', 'x - logsumexp(x) along an axis'),
  {
    name: 'cumsum', doc: 'running sum along an axis',
    params: [{ name: 'x' }, { name: 'axis', default: '-1' }],
    type: (args) => {
      const t = requireNumeric(args, 'x');
      axisOf(args, 'axis', t.shape.length, -1);
      return t;
    },
  },
  {
    name: 'norm', doc: 'Frobenius norm: the square root of the sum of squares of every element',
    params: [{ name: 'x' }],
    type: (args) => {
      requireFloat(args, 'x');
      return f32();
    },
  },
  {
    name: 'matmul', doc: 'matrix product (the @ operator), batched over leading axes that broadcast',
    params: [{ name: 'a' }, { name: 'b' }],
    type: matmulType,
  },
];

