/**
 * Elementwise ops. Values are computed in float64 and rounded once when
 * stored (Float32Array / Int32Array stores do the rounding / int32 wrapping),
 * so +, -, *, /, sqrt on f32 are correctly rounded.
 *
 * Dtype rules: binary ops need both operands of the same dtype (no implicit
 * promotion; use `cast`). i32 arithmetic wraps modulo 2^32 like C/NumPy.
 */
import {
  type DType, type Tensor, broadcastShapes, broadcastStrides, forEachIndex, offset, requireDType, zeros,
} from './tensor.ts';

const FLOAT: readonly DType[] = ['f32'];
const NUMERIC: readonly DType[] = ['f32', 'i32'];
const ANY: readonly DType[] = ['f32', 'i32', 'bool'];
const BOOL: readonly DType[] = ['bool'];

type Fn1 = (v: number) => number;
type Fn2 = (a: number, b: number) => number;

function unary(op: string, x: Tensor, allowed: readonly DType[], f: Fn1, outDType: DType = x.dtype): Tensor {
  requireDType(op, x, allowed);
  const out = zeros(outDType, x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

/** Applies f to the broadcast of all inputs (used by binary ops and `where`). */
function broadcastMap(inputs: readonly Tensor[], outDType: DType, f: (vals: number[]) => number): Tensor {
  const shape = inputs.map((t) => t.shape).reduce(broadcastShapes);
  // Inputs of the output's own shape (what the tensor IR always gives: broadcasts are explicit)
  // are read at the same flat index, with no index arithmetic.
  if (inputs.every((t) => t.data.length === inputs[0]!.data.length && t.shape.length === shape.length)) {
    const out = zeros(outDType, shape);
    const vals = new Array<number>(inputs.length);
    const n = out.data.length;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < inputs.length; k++) vals[k] = inputs[k]!.data[i]!;
      out.data[i] = f(vals);
    }
    return out;
  }
  const strides = inputs.map((t) => broadcastStrides(t.shape, shape));
  const out = zeros(outDType, shape);
  const vals = new Array<number>(inputs.length);
  forEachIndex(shape, (idx, flat) => {
    for (let k = 0; k < inputs.length; k++) vals[k] = inputs[k].data[offset(idx, strides[k])];
    out.data[flat] = f(vals);
  });
  return out;
}

function binary(op: string, a: Tensor, b: Tensor, allowed: readonly DType[], f: Fn2, outDType: DType = a.dtype): Tensor {
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: dtype mismatch ${a.dtype} vs ${b.dtype}`);
  requireDType(op, a, allowed);
  if (a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])) {
    const out = zeros(outDType, a.shape);
    const [x, y, o] = [a.data, b.data, out.data];
    for (let i = 0; i < o.length; i++) o[i] = f(x[i]!, y[i]!);
    return out;
  }
  return broadcastMap([a, b], outDType, ([x, y]) => f(x!, y!));
}

/** Numeric binary op with a separate i32 rule where float64 would be inexact or wrong. */
function arith(op: string, a: Tensor, b: Tensor, f: Fn2, fInt: Fn2 = f): Tensor {
  return binary(op, a, b, NUMERIC, a.dtype === 'i32' ? fInt : f);
}

const sigmoidF: Fn1 = (v) => 1 / (1 + Math.exp(-v));
const bit = (c: boolean): number => (c ? 1 : 0);

// ---- unary -------------------------------------------------------------------

export const neg = (x: Tensor): Tensor => unary('neg', x, NUMERIC, (v) => -v);
export const abs = (x: Tensor): Tensor => unary('abs', x, NUMERIC, Math.abs);
export const sign = (x: Tensor): Tensor => unary('sign', x, NUMERIC, Math.sign);
/** floor on i32 is the identity. */
export const floor = (x: Tensor): Tensor => unary('floor', x, NUMERIC, Math.floor);
export const relu = (x: Tensor): Tensor => unary('relu', x, NUMERIC, (v) => Math.max(v, 0)); // NaN stays NaN
export const exp = (x: Tensor): Tensor => unary('exp', x, FLOAT, Math.exp);
export const log = (x: Tensor): Tensor => unary('log', x, FLOAT, Math.log);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, FLOAT, Math.sqrt);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x, FLOAT, (v) => 1 / Math.sqrt(v));
export const tanh = (x: Tensor): Tensor => unary('tanh', x, FLOAT, Math.tanh);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, FLOAT, sigmoidF);
export const silu = (x: Tensor): Tensor => unary('silu', x, FLOAT, (v) => v * sigmoidF(v));

const GELU_C = Math.sqrt(2 / Math.PI);
/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export const gelu = (x: Tensor): Tensor =>
  unary('gelu', x, FLOAT, (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))));

export const not = (x: Tensor): Tensor => unary('not', x, BOOL, (v) => 1 - v);

// ---- binary arithmetic ---------------------------------------------------------

function nonZero(op: string, d: number): number {
  if (d === 0) throw new RangeError(`${op}: i32 division by zero`);
  return d;
}

/** Floored modulo (Python `%`): the result takes the sign of the divisor. */
function floorMod(a: number, b: number): number {
  const r = a % b; // truncated (C fmod): exact for doubles
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** i32 power by squaring with wrapping multiplies (Math.pow loses bits past 2^53). */
function ipow(base: number, e: number): number {
  if (e < 0) throw new RangeError(`pow: negative i32 exponent ${e}`);
  let result = 1;
  for (let b = base; e > 0; e = Math.floor(e / 2), b = Math.imul(b, b)) {
    if (e % 2 === 1) result = Math.imul(result, b);
  }
  return result;
}

export const add = (a: Tensor, b: Tensor): Tensor => arith('add', a, b, (x, y) => x + y);
export const sub = (a: Tensor, b: Tensor): Tensor => arith('sub', a, b, (x, y) => x - y);
export const mul = (a: Tensor, b: Tensor): Tensor => arith('mul', a, b, (x, y) => x * y, Math.imul);
/**
 * f32: true division. i32: floor division like Python `//` (-7 // 2 == -4);
 * division by zero throws a RangeError (x / 0 on f32 gives ±Inf / NaN).
 * Math.floor(x / y) is exact for int32 operands: the float64 quotient error is
 * below the 1/|y| distance to the next integer.
 */
export const div = (a: Tensor, b: Tensor): Tensor =>
  arith('div', a, b, (x, y) => x / y, (x, y) => Math.floor(x / nonZero('div', y)));
/** Floored modulo like Python `%` for both dtypes; f32 x mod 0 is NaN, i32 throws. */
export const mod = (a: Tensor, b: Tensor): Tensor =>
  arith('mod', a, b, floorMod, (x, y) => floorMod(x, nonZero('mod', y)));
/** i32: wrapping integer power; a negative exponent throws. */
export const pow = (a: Tensor, b: Tensor): Tensor => arith('pow', a, b, Math.pow, ipow);
/** NaN-propagating, like NumPy `maximum`. */
export const max = (a: Tensor, b: Tensor): Tensor => arith('max', a, b, Math.max);
export const min = (a: Tensor, b: Tensor): Tensor => arith('min', a, b, Math.min);

// ---- comparisons and logic (results are bool) -------------------------------------

export const eq = (a: Tensor, b: Tensor): Tensor => binary('eq', a, b, ANY, (x, y) => bit(x === y), 'bool');
export const ne = (a: Tensor, b: Tensor): Tensor => binary('ne', a, b, ANY, (x, y) => bit(x !== y), 'bool');
export const lt = (a: Tensor, b: Tensor): Tensor => binary('lt', a, b, ANY, (x, y) => bit(x < y), 'bool');
export const le = (a: Tensor, b: Tensor): Tensor => binary('le', a, b, ANY, (x, y) => bit(x <= y), 'bool');
export const gt = (a: Tensor, b: Tensor): Tensor => binary('gt', a, b, ANY, (x, y) => bit(x > y), 'bool');
export const ge = (a: Tensor, b: Tensor): Tensor => binary('ge', a, b, ANY, (x, y) => bit(x >= y), 'bool');
export const and = (a: Tensor, b: Tensor): Tensor => binary('and', a, b, BOOL, (x, y) => x & y);
export const or = (a: Tensor, b: Tensor): Tensor => binary('or', a, b, BOOL, (x, y) => x | y);

/** cond ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  requireDType('where', cond, BOOL);
  if (a.dtype !== b.dtype) throw new TypeError(`where: dtype mismatch ${a.dtype} vs ${b.dtype}`);
  return broadcastMap([cond, a, b], a.dtype, ([c, x, y]) => (c ? x : y));
}

/**
 * Converts dtype. f32 → i32 truncates toward zero and saturates at the int32
 * bounds, NaN → 0 (the semantics of PTX cvt.rzi.s32.f32). Anything → bool is
 * `x != 0` (so NaN → true); bool → number is 0/1; i32 → f32 rounds to nearest.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype === 'bool') return unary('cast', x, ANY, (v) => bit(v !== 0), 'bool');
  if (dtype === 'i32' && x.dtype === 'f32') {
    return unary('cast', x, FLOAT, (v) => (Number.isNaN(v) ? 0 : Math.min(0x7fffffff, Math.max(-0x80000000, Math.trunc(v)))), 'i32');
  }
  return unary('cast', x, ANY, (v) => v, dtype);
}

