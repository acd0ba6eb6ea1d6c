// The scalar operations of the kernel IR, one element at a time, with the reference interpreter's
// rules (runtime/interp/ops/elementwise.ts): float64 arithmetic on stored values, rounded by the
// caller to the node's dtype. Kept separate from the interpreter on purpose: the executor checks the
// kernel IR's meaning, and a shared helper would hide a mismatch between the two.
import type { DType } from '../../compiler/ir/graph.ts';
import type { BinaryOp, UnaryOp } from '../../compiler/kernel/ir.ts';

const GELU_C = Math.sqrt(2 / Math.PI);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const bit = (c: boolean): number => (c ? 1 : 0);

export function unary(op: UnaryOp, v: number): number {
  switch (op) {
    case 'neg': return -v;
    case 'exp': return Math.exp(v);
    case 'log': return Math.log(v);
    case 'sqrt': return Math.sqrt(v);
    case 'rsqrt': return 1 / Math.sqrt(v);
    case 'tanh': return Math.tanh(v);
    case 'sigmoid': return sigmoid(v);
    case 'relu': return Math.max(v, 0);
    case 'silu': return v * sigmoid(v);
    case 'gelu': return 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
    case 'sin': return Math.sin(v);
    case 'cos': return Math.cos(v);
    case 'abs': return Math.abs(v);
    case 'sign': return Math.sign(v);
    case 'floor': return Math.floor(v);
    case 'logical_not': return 1 - v;
  }
}

function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

function nonZero(op: string, d: number): number {
  if (d === 0) throw new RangeError(`${op}: i32 division by zero`);
  return d;
}

function ipow(base: number, e: number): number {
  if (e < 0) throw new RangeError(`pow: negative i32 exponent ${e}`);
  let result = 1;
  for (let b = base; e > 0; e = Math.floor(e / 2), b = Math.imul(b, b)) if (e % 2 === 1) result = Math.imul(result, b);
  return result;
}

/** `dtype` is the operands' dtype: i32 multiplication, division, modulo and power differ from f32's. */
export function binary(op: BinaryOp, dtype: DType, x: number, y: number): number {
  const int = dtype === 'i32';
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return int ? Math.imul(x, y) : x * y;
    case 'div': return int ? Math.floor(x / nonZero('div', y)) : x / y;
    case 'mod': return int ? floorMod(x, nonZero('mod', y)) : floorMod(x, y);
    case 'pow': return int ? ipow(x, y) : Math.pow(x, y);
    case 'maximum': return Math.max(x, y);
    case 'minimum': return Math.min(x, y);
    case 'eq': return bit(x === y);
    case 'ne': return bit(x !== y);
    case 'lt': return bit(x < y);
    case 'le': return bit(x <= y);
    case 'gt': return bit(x > y);
    case 'ge': return bit(x >= y);
    case 'logical_and': return x & y;
    case 'logical_or': return x | y;
  }
}

/** f32 → i32 truncates toward zero and saturates, NaN → 0; anything → bool is x ≠ 0. */
export function cast(v: number, from: DType, to: DType): number {
  if (to === 'bool') return bit(v !== 0);
  if (to === 'i32' && from === 'f32') return Number.isNaN(v) ? 0 : Math.min(0x7fffffff, Math.max(-0x80000000, Math.trunc(v)));
  return v;
}

/** One step of a max/min reduction as the interpreter folds it (NaN sticks once seen). */
export function extremeStep(op: 'max' | 'min', acc: number, v: number): number {
  const better = op === 'max' ? v > acc : v < acc;
  return better || Number.isNaN(v) ? v : acc;
}
