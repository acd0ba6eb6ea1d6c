// Builtins that make tensors: constants, ranges, and counter-based random numbers. A random key
// is an i32[2]; the same key gives the same numbers on every backend.
import * as S from '../check/size.ts';
import { f32, i32, show, tensor } from '../check/types.ts';
import { need, requireDType, RuleError, staticSize, staticSizes, tensorArg, type Builtin } from './builtin.ts';

const KEY = [S.constant(2)];

function requireKey(args: Parameters<Builtin['type']>[0]): void {
  const k = requireDType(args, 'key', 'i32');
  if (k.shape.length !== 1 || S.constValue(k.shape[0]!) !== 2)
    throw new RuleError(`${args.callee}: key must be i32[2] (made by rand.key), found ${show(k)}`, need(args, 'key'));
}

export const CREATE: readonly Builtin[] = [
  { name: 'zeros', doc: 'an f32 tensor of zeros', params: [{ name: 'shape' }], type: (args) => f32(staticSizes(args, 'shape')) },
  { name: 'ones', doc: 'an f32 tensor of ones', params: [{ name: 'shape' }], type: (args) => f32(staticSizes(args, 'shape')) },
  {
    name: 'full', doc: 'a tensor filled with a scalar value',
    params: [{ name: 'shape' }, { name: 'value' }],
    type: (args) => {
      const v = tensorArg(args, 'value');
      if (v.shape.length !== 0) throw new RuleError(`full: value must be a scalar, found ${show(v)}`, need(args, 'value'));
      return tensor(v.dtype, staticSizes(args, 'shape'));
    },
  },
  { name: 'zeros_like', doc: 'zeros of the type of x', params: [{ name: 'x' }], type: (args) => ({ ...tensorArg(args, 'x'), weak: false }) },
  { name: 'ones_like', doc: 'ones of the type of x', params: [{ name: 'x' }], type: (args) => ({ ...tensorArg(args, 'x'), weak: false }) },
  { name: 'arange', doc: 'the i32 vector 0, 1, …, n-1', params: [{ name: 'n' }], type: (args) => i32([staticSize(args, 'n')]) },
  {
    name: 'eye', doc: 'the n×n identity matrix',
    params: [{ name: 'n' }],
    type: (args) => {
      const n = staticSize(args, 'n');
      return f32([n, n]);
    },
  },
  {
    name: 'rand.key', doc: 'a random key from an integer seed',
    params: [{ name: 'seed' }],
    type: (args) => {
      const s = requireDType(args, 'seed', 'i32');
      if (s.shape.length !== 0) throw new RuleError(`rand.key: seed must be a scalar, found ${show(s)}`, need(args, 'seed'));
      return i32(KEY);
    },
  },
  {
    name: 'rand.split', doc: 'n new independent keys, as the rows of an i32[n, 2]',
    params: [{ name: 'key' }, { name: 'n', default: '2' }],
    type: (args) => {
      requireKey(args);
      return i32([args.get('n') ? staticSize(args, 'n') : S.constant(2), S.constant(2)]);
    },
  },
  {
    name: 'rand.fold_in', doc: 'a new key derived from a key and an integer (a step number, a layer index)',
    params: [{ name: 'key' }, { name: 'data' }],
    type: (args) => {
      requireKey(args);
      requireDType(args, 'data', 'i32');
      return i32(KEY);
    },
  },
  {
    name: 'rand.normal', doc: 'standard normal samples of a given shape',
    params: [{ name: 'key' }, { name: 'shape' }],
    type: (args) => {
      requireKey(args);
      return f32(staticSizes(args, 'shape'));
    },
  },
  {
    name: 'rand.uniform', doc: 'uniform samples in [0, 1) of a given shape',
    params: [{ name: 'key' }, { name: 'shape' }],
    type: (args) => {
      requireKey(args);
      return f32(staticSizes(args, 'shape'));
    },
  },
];
