// Builtins that move elements by integer indices: gather, take_along_axis, scatter_add, one_hot,
// topk, argsort, sort. Gradients flow through the values, never through the indices.
import * as S from '../check/size.ts';
import { f32, i32, show, showShape, tensor, tuple } from '../check/types.ts';
import {
  axisOf, need, requireDType, requireNumeric, RuleError, staticBool, staticSize, tensorArg,
  type Builtin,
} from './builtin.ts';

export const INDEX: readonly Builtin[] = [
  {
    name: 'gather', doc: 'picks slices of x along an axis by index, like numpy.take',
    params: [{ name: 'x' }, { name: 'indices' }, { name: 'axis', default: '0' }],
    type: (args) => {
      const x = tensorArg(args, 'x');
      const idx = requireDType(args, 'indices', 'i32');
      const axis = axisOf(args, 'axis', x.shape.length, 0);
      return tensor(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)]);
    },
  },
  {
    name: 'take_along_axis', doc: 'picks one element of x along an axis per index, like numpy.take_along_axis',
    params: [{ name: 'x' }, { name: 'indices' }, { name: 'axis', default: '-1' }],
    type: (args) => {
      const x = tensorArg(args, 'x');
      const idx = requireDType(args, 'indices', 'i32');
      const axis = axisOf(args, 'axis', x.shape.length, -1);
      const ok = idx.shape.length === x.shape.length && x.shape.every((d, i) => i === axis || S.equal(d, idx.shape[i]!));
      if (!ok) throw new RuleError(`take_along_axis: indices ${show(idx)} must match x ${show(x)} in every axis but ${axis}`, need(args, 'indices'));
      return tensor(x.dtype, idx.shape);
    },
  },
  {
    name: 'scatter_add', doc: 'adds updates into target at indices along an axis (the transpose of gather)',
    params: [{ name: 'target' }, { name: 'indices' }, { name: 'updates' }, { name: 'axis', default: '0' }],
    type: (args) => {
      const t = requireNumeric(args, 'target');
      const idx = requireDType(args, 'indices', 'i32');
      const u = tensorArg(args, 'updates');
      const axis = axisOf(args, 'axis', t.shape.length, 0);
      const want = [...t.shape.slice(0, axis), ...idx.shape, ...t.shape.slice(axis + 1)];
      const ok = u.shape.length === want.length && want.every((d, i) => S.equal(d, u.shape[i]!));
      if (!ok || (u.dtype !== t.dtype && !u.weak))
        throw new RuleError(`scatter_add: updates must be ${t.dtype}${showShape(want)}, found ${show(u)}`, need(args, 'updates'));
      return t;
    },
  },
  {
    name: 'one_hot', doc: 'f32 vectors of length n with a 1 at each index',
    params: [{ name: 'indices' }, { name: 'n' }],
    type: (args) => f32([...requireDType(args, 'indices', 'i32').shape, staticSize(args, 'n')]),
  },
  {
    name: 'topk', doc: 'the k largest values along the last axis, descending, and their indices',
    params: [{ name: 'x' }, { name: 'k' }],
    type: (args) => {
      const x = requireNumeric(args, 'x');
      if (x.shape.length === 0) throw new RuleError(`topk: x must have at least one axis, found ${show(x)}`, need(args, 'x'));
      const k = staticSize(args, 'k');
      const n = x.shape[x.shape.length - 1]!;
      const kc = S.constValue(k);
      const nc = S.constValue(n);
      if (kc !== null && (kc < 1 || (nc !== null && kc > nc)))
        throw new RuleError(`topk: k = ${kc} must be between 1 and the last dimension ${S.show(n)}`, need(args, 'k'));
      const shape = [...x.shape.slice(0, -1), k];
      return tuple([tensor(x.dtype, shape), i32(shape)]);
    },
  },
  {
    name: 'argsort', doc: 'the indices that sort x along an axis (stable)',
    params: [{ name: 'x' }, { name: 'axis', default: '-1' }, { name: 'descending', default: 'false' }],
    type: (args) => {
      const x = requireNumeric(args, 'x');
      axisOf(args, 'axis', x.shape.length, -1);
      staticBool(args, 'descending', false);
      return i32(x.shape);
    },
  },
  {
    name: 'sort', doc: 'x sorted along an axis',
    params: [{ name: 'x' }, { name: 'axis', default: '-1' }, { name: 'descending', default: 'false' }],
    type: (args) => {
      const x = requireNumeric(args, 'x');
      axisOf(args, 'axis', x.shape.length, -1);
      staticBool(args, 'descending', false);
      return x;
    },
  },
];
