// Elementwise builtins: math functions, the arithmetic, comparison and logical operators
// (each operator is the builtin of the same meaning: `a + b` is `add(a, b)`), where, and casts.
import { broadcast } from '../check/broadcast.ts';
import * as S from '../check/size.ts';
import { show, showShape, tensor, type TensorType } from '../check/types.ts';
import {
  need, requireDType, requireFloat, requireNumeric, RuleError, tensorArg,
  type Args, type Builtin,
} from './builtin.ts';

const unaryFloat = (name: string, doc: string): Builtin => ({
  name, doc, params: [{ name: 'x' }],
  type: (args) => requireFloat(args, 'x'),
});

const unaryNumeric = (name: string, doc: string): Builtin => ({
  name, doc, params: [{ name: 'x' }],
  type: (args) => requireNumeric(args, 'x'),
});

/** The dtype two operands share: a literal takes its partner's dtype. */
function joinDType(args: Args, a: TensorType, b: TensorType): TensorType['dtype'] {
  if (a.dtype === b.dtype) return a.dtype;
  if (a.weak && !b.weak && (a.dtype === 'i32' || b.dtype === 'f32')) return b.dtype;
  if (b.weak && !a.weak && (b.dtype === 'i32' || a.dtype === 'f32')) return a.dtype;
  if (a.weak && b.weak) return 'f32';
  throw new RuleError(
    `${args.callee}: operands have different element types, ${show(a)} and ${show(b)}; convert one with f32(...) or i32(...)`,
  );
}

export function broadcastShapes(args: Args, names: readonly string[]): S.Size[] {
  let shape: readonly S.Size[] = [];
  let from = '';
  for (const name of names) {
    const t = tensorArg(args, name);
    const r = broadcast(shape, t.shape);
    if (!r.ok)
      throw new RuleError(
        `${args.callee}: shapes ${showShape(shape)} and ${showShape(t.shape)} do not broadcast: ` +
          `dimension ${r.axis} is ${S.show(r.a)} in ${from} but ${S.show(r.b)} in ${args.label(name)}`,
      );
    shape = r.shape;
    from = from ? `${from} and ${args.label(name)}` : args.label(name);
  }
  return [...shape];
}

function binary(name: string, doc: string, accepts: 'numeric' | 'any' | 'bool', result: 'same' | 'bool'): Builtin {
  return {
    name, doc, params: [{ name: 'a' }, { name: 'b' }],
    type: (args) => {
      const a = tensorArg(args, 'a');
      const b = tensorArg(args, 'b');
      const dtype = joinDType(args, a, b);
      if (accepts === 'numeric' && dtype === 'bool') throw new RuleError(`${name}: operands must be f32 or i32, found ${show(a)} and ${show(b)}`);
      if (accepts === 'bool' && dtype !== 'bool') throw new RuleError(`${name}: operands must be bool, found ${show(a)} and ${show(b)}`);
      const shape = broadcastShapes(args, ['a', 'b']);
      const weak = a.weak === true && b.weak === true;
      return tensor(result === 'bool' ? 'bool' : dtype, shape, weak && result === 'same');
    },
  };
}

const cast = (dtype: 'f32' | 'i32' | 'bool'): Builtin => ({
  name: dtype, doc: `converts to ${dtype} (f32 → i32 truncates toward zero; bool is 0 or 1)`,
  params: [{ name: 'x' }],
  type: (args) => tensor(dtype, tensorArg(args, 'x').shape),
});

export const MATH: readonly Builtin[] = [
  unaryFloat('exp', 'e raised to x'),
  unaryFloat('log', 'natural logarithm'),
  unaryFloat('sqrt', 'square root'),
  unaryFloat('rsqrt', '1 / sqrt(x)'),
  unaryFloat('tanh', 'hyperbolic tangent'),
  unaryFloat('sigmoid', '1 / (1 + exp(-x))'),
  unaryFloat('relu', 'max(x, 0)'),
  unaryFloat('silu', 'x * sigmoid(x)'),
  unaryFloat('gelu', 'x * Φ(x), tanh approximation'),
  unaryFloat('sin', 'sine'),
  unaryFloat('cos', 'cosine'),
  unaryFloat('floor', 'largest integer not above x'),
  unaryNumeric('neg', '-x (the unary minus operator)'),
  unaryNumeric('abs', '|x|'),
  unaryNumeric('sign', '-1, 0 or 1'),
  binary('add', 'a + b, broadcasting', 'numeric', 'same'),
  binary('sub', 'a - b, broadcasting', 'numeric', 'same'),
  binary('mul', 'a * b, broadcasting', 'numeric', 'same'),
  binary('div', 'a / b, broadcasting; floor division on i32', 'numeric', 'same'),
  binary('mod', 'a % b, broadcasting; the result has the sign of b', 'numeric', 'same'),
  binary('pow', 'a ** b, broadcasting', 'numeric', 'same'),
  binary('maximum', 'elementwise larger of a and b', 'numeric', 'same'),
  binary('minimum', 'elementwise smaller of a and b', 'numeric', 'same'),
  binary('eq', 'a == b, elementwise', 'any', 'bool'),
  binary('ne', 'a != b, elementwise', 'any', 'bool'),
  binary('lt', 'a < b, elementwise', 'numeric', 'bool'),
  binary('le', 'a <= b, elementwise', 'numeric', 'bool'),
  binary('gt', 'a > b, elementwise', 'numeric', 'bool'),
  binary('ge', 'a >= b, elementwise', 'numeric', 'bool'),
  binary('logical_and', 'a and b', 'bool', 'bool'),
  binary('logical_or', 'a or b', 'bool', 'bool'),
  {
    name: 'logical_not', doc: 'not x', params: [{ name: 'x' }],
    type: (args) => requireDType(args, 'x', 'bool'),
  },
  {
    name: 'where', doc: 'picks a where cond holds, else b; all three broadcast',
    params: [{ name: 'cond' }, { name: 'a' }, { name: 'b' }],
    type: (args) => {
      requireDType(args, 'cond', 'bool');
      const a = tensorArg(args, 'a');
      const b = tensorArg(args, 'b');
      const dtype = joinDType(args, a, b);
      need(args, 'cond');
      return tensor(dtype, broadcastShapes(args, ['cond', 'a', 'b']));
    },
  },
  {
    name: 'is_finite', doc: 'true where x is neither NaN nor infinite', params: [{ name: 'x' }],
    type: (args) => tensor('bool', requireFloat(args, 'x').shape),
  },
  cast('f32'),
  cast('i32'),
  cast('bool'),
];

/** The builtin each operator means. */
export const BINARY_OPERATORS: Readonly<Record<string, string>> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '**': 'pow', '@': 'matmul',
  '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge',
  and: 'logical_and', or: 'logical_or',
};
export const UNARY_OPERATORS: Readonly<Record<string, string>> = { '-': 'neg', not: 'logical_not' };
