// Builtins that rearrange elements without computing: transpose, reshape, broadcast_to, concat,
// stack, pad, expand_dims, squeeze. (Slicing is the indexing syntax `x[a:b]`.)
import { broadcast } from '../check/broadcast.ts';
import * as S from '../check/size.ts';
import { i32, show, showShape, tensor, type TensorType } from '../check/types.ts';
import {
  axisOf, need, RuleError, staticInt, staticSize, staticSizes, tensorArg,
  type Args, type Builtin,
} from './builtin.ts';

function tupleOfTensors(args: Args, name: string): TensorType[] {
  const a = need(args, name);
  const items = a.type.kind === 'tuple' ? a.type.items : null;
  if (items === null || items.length === 0 || items.some((t) => t.kind !== 'tensor'))
    throw new RuleError(`${args.callee}: '${name}' must be a tuple of tensors such as (a, b), found ${show(a.type)}`, a);
  const ts = items as TensorType[];
  for (const t of ts)
    if (t.dtype !== ts[0]!.dtype || t.shape.length !== ts[0]!.shape.length)
      throw new RuleError(`${args.callee}: every tensor must have the same element type and rank, found ${show(ts[0]!)} and ${show(t)}`, a);
  return ts;
}

export const SHAPE: readonly Builtin[] = [
  {
    name: 'rank', doc: 'the number of axes of x, known when compiling (so `if rank(w) == 2` picks a branch statically)',
    params: [{ name: 'x' }],
    type: (args) => {
      tensorArg(args, 'x');
      return i32();
    },
  },
  {
    name: 'transpose', doc: 'permutes axes; by default swaps the last two',
    params: [{ name: 'x' }, { name: 'perm', default: 'the last two axes swapped' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const r = t.shape.length;
      if (args.get('perm') === undefined) {
        if (r < 2) throw new RuleError(`transpose: needs at least 2 axes, found ${show(t)}`, need(args, 'x'));
        return tensor(t.dtype, [...t.shape.slice(0, -2), t.shape[r - 1]!, t.shape[r - 2]!]);
      }
      const perm = staticSizes(args, 'perm').map(S.constValue);
      const ok = perm.length === r && perm.every((p) => p !== null && p >= 0 && p < r) && new Set(perm).size === r;
      if (!ok) throw new RuleError(`transpose: perm must be a permutation of 0..${r - 1} for ${show(t)}`, need(args, 'perm'));
      return tensor(t.dtype, perm.map((p) => t.shape[p!]!));
    },
  },
  {
    name: 'dim', doc: 'the size of an axis of x, known when compiling (a size: usable in shapes and static conditions)',
    params: [{ name: 'x' }, { name: 'axis' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      axisOf(args, 'axis', t.shape.length);
      return i32();
    },
  },
  {
    name: 'repeat', doc: 'n copies of x stacked along a new first axis',
    params: [{ name: 'x' }, { name: 'n' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      return tensor(t.dtype, [staticSize(args, 'n'), ...t.shape]);
    },
  },
  {
    name: 'reshape', doc: 'the same elements in row-major order under a new shape of equal size',
    params: [{ name: 'x' }, { name: 'shape' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const shape = staticSizes(args, 'shape');
      if (!S.equal(S.product(t.shape), S.product(shape)))
        throw new RuleError(
          `reshape: cannot reshape ${show(t)} (${S.show(S.product(t.shape))} elements) to ${showShape(shape)} (${S.show(S.product(shape))} elements)`,
          need(args, 'shape'),
        );
      return tensor(t.dtype, shape);
    },
  },
  {
    name: 'broadcast_to', doc: 'repeats x along new or size-1 axes to a given shape',
    params: [{ name: 'x' }, { name: 'shape' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const shape = staticSizes(args, 'shape');
      const r = broadcast(t.shape, shape);
      if (!r.ok || !r.shape.every((d, i) => S.equal(d, shape[i] ?? S.constant(-1))) || r.shape.length !== shape.length)
        throw new RuleError(`broadcast_to: ${show(t)} does not broadcast to ${showShape(shape)}`, need(args, 'shape'));
      return tensor(t.dtype, shape);
    },
  },
  {
    name: 'concat', doc: 'joins a tuple of tensors along an existing axis',
    params: [{ name: 'xs' }, { name: 'axis', default: '0' }],
    type: (args) => {
      const ts = tupleOfTensors(args, 'xs');
      const axis = axisOf(args, 'axis', ts[0]!.shape.length, 0);
      const shape = [...ts[0]!.shape];
      for (const t of ts.slice(1)) {
        t.shape.forEach((d, i) => {
          if (i !== axis && !S.equal(d, shape[i]!))
            throw new RuleError(`concat: ${show(ts[0]!)} and ${show(t)} differ in dimension ${i}, which is not the axis ${axis}`, need(args, 'xs'));
        });
        shape[axis] = S.add(shape[axis]!, t.shape[axis]!);
      }
      return tensor(ts[0]!.dtype, shape);
    },
  },
  {
    name: 'stack', doc: 'joins a tuple of same-shaped tensors along a new axis',
    params: [{ name: 'xs' }, { name: 'axis', default: '0' }],
    type: (args) => {
      const ts = tupleOfTensors(args, 'xs');
      for (const t of ts)
        if (!ts[0]!.shape.every((d, i) => S.equal(d, t.shape[i]!)))
          throw new RuleError(`stack: every tensor must have the same shape, found ${show(ts[0]!)} and ${show(t)}`, need(args, 'xs'));
      const axis = axisOf(args, 'axis', ts[0]!.shape.length + 1, 0);
      const shape = [...ts[0]!.shape];
      shape.splice(axis, 0, S.constant(ts.length));
      return tensor(ts[0]!.dtype, shape);
    },
  },
  {
    name: 'pad', doc: 'adds `before` and `after` elements of `value` along an axis',
    params: [{ name: 'x' }, { name: 'before' }, { name: 'after' }, { name: 'axis', default: '-1' }, { name: 'value', default: '0' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const axis = axisOf(args, 'axis', t.shape.length, -1);
      const before = staticInt(args, 'before');
      const after = staticInt(args, 'after');
      if (before < 0 || after < 0) throw new RuleError('pad: before and after must not be negative', need(args, 'before'));
      const value = args.get('value');
      if (value !== undefined && (value.type.kind !== 'tensor' || value.type.shape.length !== 0))
        throw new RuleError(`pad: value must be a scalar, found ${show(value.type)}`, value);
      const shape = [...t.shape];
      shape[axis] = S.add(shape[axis]!, S.constant(before + after));
      return tensor(t.dtype, shape);
    },
  },
  {
    name: 'expand_dims', doc: 'inserts an axis of size 1',
    params: [{ name: 'x' }, { name: 'axis' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const axis = axisOf(args, 'axis', t.shape.length + 1);
      const shape = [...t.shape];
      shape.splice(axis, 0, S.constant(1));
      return tensor(t.dtype, shape);
    },
  },
  {
    name: 'squeeze', doc: 'removes an axis of size 1',
    params: [{ name: 'x' }, { name: 'axis' }],
    type: (args) => {
      const t = tensorArg(args, 'x');
      const axis = axisOf(args, 'axis', t.shape.length);
      if (S.constValue(t.shape[axis]!) !== 1)
        throw new RuleError(`squeeze: axis ${axis} of ${show(t)} has size ${S.show(t.shape[axis]!)}, not 1`, need(args, 'axis'));
      return tensor(t.dtype, t.shape.filter((_, i) => i !== axis));
    },
  },
];
