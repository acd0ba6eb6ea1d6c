// The kernel IR's scalar operations as Wasm, one element (scalar) or four (f32x4 / i32x4) at a time,
// with the reference interpreter's results (runtime/kernels/scalar.ts):
//   - f32 +, −, ×, ÷, sqrt, floor, abs, min, max and comparisons are native and exact (a float64
//     operation on float32 values rounded once to float32 gives the correctly rounded result);
//   - transcendental functions, pow and f32 mod call the host's Math functions in float64 and round
//     once, exactly as the interpreter does, so they agree bit for bit (Wasm has none of them);
//     sigmoid, silu, gelu and rsqrt are evaluated in float64 in the interpreter's order;
//   - i32 wraps; div and mod are floored and raise on a zero divisor (Wasm would trap); pow calls the
//     host's wrapping integer power;
//   - bool is an i32 0 or 1 in scalars and a lane mask (0 or −1) in vectors.
// Arguments are side-effect-free expressions (local reads), so an operation may use one twice.
// exp, sigmoid and silu have vector forms computed in float64 that agree bit for bit
// (transcendental.ts). A vector form returns null where Wasm has no lane-wise instruction: the
// caller applies the scalar form to each lane.
import type { DType } from '../../ir/graph.ts';
import type { BinaryOp, UnaryOp } from '../../kernel/ir.ts';
import { VECTOR_MATH, vectorMath, type VectorMath } from './transcendental.ts';
import { f32, f64, i32, ZERO_V128 } from './wat.ts';

/** Host functions a module imports (module "math"), and helper functions it defines. */
export type HostImport = 'exp' | 'log' | 'tanh' | 'sin' | 'cos' | 'pow' | 'fmod' | 'ipow';
export type Helper = 'idiv' | 'imod' | 'gemm' | 'exp2x' | 'vexp' | 'vsigmoid' | 'vsilu';

export interface Needs {
  readonly imports: Set<HostImport>;
  readonly helpers: Set<Helper>;
}

export const newNeeds = (): Needs => ({ imports: new Set(), helpers: new Set() });

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * Error codes of the `fail` import, `fail(code, a, b)`: the runtime (runtime/cpu/) turns them into a
 * RangeError with `failMessage`, on whichever thread the kernel ran. `a` and `b` carry the offending
 * values where there are some (an index and its bound).
 */
export const FAIL = { divZero: 1, modZero: 2, emptyMax: 3, emptyMin: 4, index: 5 } as const;

/** The message of a failure, worded as the interpreter words the same error. */
export function failMessage(code: number, a: number, b: number): string {
  switch (code) {
    case FAIL.divZero: return 'div: i32 division by zero';
    case FAIL.modZero: return 'mod: i32 division by zero';
    case FAIL.emptyMax: return 'max: reduction over an empty axis';
    case FAIL.emptyMin: return 'min: reduction over an empty axis';
    // The kernel IR does not say which primitive made a data-dependent index, so name all three.
    case FAIL.index: return `index ${a} out of range [0, ${b}) (in a gather, take_along_axis or x[i])`;
    default: return `cpu kernel failure ${code}`;
  }
}

/** A call of the `fail` import (it throws, so code after it never runs). */
export const failCall = (code: number, a = i32(0), b = i32(0)): string => `(call $fail ${i32(code)} ${a} ${b})`;

function call(needs: Needs, f: HostImport, ...args: string[]): string {
  needs.imports.add(f);
  return `(call $${f} ${args.join(' ')})`;
}

const promote = (x: string): string => `(f64.promote_f32 ${x})`;
const demote = (x: string): string => `(f32.demote_f64 ${x})`;
const sigmoid64 = (needs: Needs, p: string): string => `(f64.div ${f64(1)} (f64.add ${f64(1)} ${call(needs, 'exp', `(f64.neg ${p})`)}))`;

export function scalarUnary(op: UnaryOp, dtype: DType, x: string, needs: Needs): string {
  if (dtype === 'bool') {
    if (op === 'logical_not') return `(i32.xor ${x} ${i32(1)})`;
    throw new Error(`wasm codegen: ${op} on bool`);
  }
  if (dtype === 'i32') {
    switch (op) {
      case 'neg': return `(i32.sub ${i32(0)} ${x})`;
      case 'abs': return `(select ${x} (i32.sub ${i32(0)} ${x}) (i32.ge_s ${x} ${i32(0)}))`;
      case 'sign': return `(i32.sub (i32.gt_s ${x} ${i32(0)}) (i32.lt_s ${x} ${i32(0)}))`;
      case 'relu': return `(select ${x} ${i32(0)} (i32.gt_s ${x} ${i32(0)}))`;
      case 'floor': return x;
      default: throw new Error(`wasm codegen: ${op} on i32`);
    }
  }
  const p = promote(x);
  switch (op) {
    case 'neg': return `(f32.neg ${x})`;
    case 'abs': return `(f32.abs ${x})`;
    case 'floor': return `(f32.floor ${x})`;
    case 'sqrt': return `(f32.sqrt ${x})`;
    case 'relu': return `(f32.max ${x} ${f32(0)})`;
    case 'sign': return `(select ${f32(1)} (select ${f32(-1)} ${x} (f32.lt ${x} ${f32(0)})) (f32.gt ${x} ${f32(0)}))`;
    case 'rsqrt': return demote(`(f64.div ${f64(1)} (f64.sqrt ${p}))`);
    case 'exp': case 'log': case 'tanh': case 'sin': case 'cos': return demote(call(needs, op, p));
    case 'sigmoid': return demote(sigmoid64(needs, p));
    case 'silu': return demote(`(f64.mul ${p} ${sigmoid64(needs, p)})`);
    case 'gelu': {
      // 0.5 * v * (1 + tanh(C * (v + 0.044715 * v * v * v))), left to right as JavaScript evaluates it.
      const cube = `(f64.mul (f64.mul (f64.mul ${f64(0.044715)} ${p}) ${p}) ${p})`;
      const t = call(needs, 'tanh', `(f64.mul ${f64(GELU_C)} (f64.add ${p} ${cube}))`);
      return demote(`(f64.mul (f64.mul ${f64(0.5)} ${p}) (f64.add ${f64(1)} ${t}))`);
    }
    case 'logical_not': throw new Error('wasm codegen: logical_not on f32');
  }
}

const CMP: Readonly<Record<string, string>> = { eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge' };

/** `dtype` is the operands' dtype. */
export function scalarBinary(op: BinaryOp, dtype: DType, x: string, y: string, needs: Needs): string {
  if (dtype === 'f32') {
    switch (op) {
      case 'add': case 'sub': case 'mul': case 'div': return `(f32.${op} ${x} ${y})`;
      case 'maximum': return `(f32.max ${x} ${y})`;
      case 'minimum': return `(f32.min ${x} ${y})`;
      case 'mod': return demote(call(needs, 'fmod', promote(x), promote(y)));
      case 'pow': return demote(call(needs, 'pow', promote(x), promote(y)));
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': return `(f32.${CMP[op]} ${x} ${y})`;
      default: throw new Error(`wasm codegen: ${op} on f32`);
    }
  }
  const signed = dtype === 'i32' ? '_s' : '_u';
  switch (op) {
    case 'eq': return `(i32.eq ${x} ${y})`;
    case 'ne': return `(i32.ne ${x} ${y})`;
    case 'lt': case 'le': case 'gt': case 'ge': return `(i32.${op}${signed} ${x} ${y})`;
    case 'logical_and': return `(i32.and ${x} ${y})`;
    case 'logical_or': return `(i32.or ${x} ${y})`;
    default: break;
  }
  if (dtype !== 'i32') throw new Error(`wasm codegen: ${op} on ${dtype}`);
  switch (op) {
    case 'add': case 'sub': case 'mul': return `(i32.${op} ${x} ${y})`;
    case 'maximum': return `(select ${x} ${y} (i32.gt_s ${x} ${y}))`;
    case 'minimum': return `(select ${x} ${y} (i32.lt_s ${x} ${y}))`;
    case 'div': needs.helpers.add('idiv'); return `(call $idiv ${x} ${y})`;
    case 'mod': needs.helpers.add('imod'); return `(call $imod ${x} ${y})`;
    case 'pow': return call(needs, 'ipow', x, y);
    default: throw new Error(`wasm codegen: ${op} on i32`);
  }
}

/** Floored i32 division and modulo by a positive constant, inline. */
export function divByConstant(op: 'div' | 'mod', x: string, c: number): string {
  if (op === 'div') return `(i32.sub (i32.div_s ${x} ${i32(c)}) (i32.lt_s (i32.rem_s ${x} ${i32(c)}) ${i32(0)}))`;
  return `(i32.add (i32.rem_s ${x} ${i32(c)}) (select ${i32(c)} ${i32(0)} (i32.lt_s (i32.rem_s ${x} ${i32(c)}) ${i32(0)})))`;
}

export function scalarCast(from: DType, to: DType, x: string): string {
  if (from === to) return x;
  if (to === 'bool') return from === 'f32' ? `(f32.ne ${x} ${f32(0)})` : `(i32.ne ${x} ${i32(0)})`;
  if (to === 'i32') return from === 'f32' ? `(i32.trunc_sat_f32_s ${x})` : x;
  return from === 'i32' ? `(f32.convert_i32_s ${x})` : `(f32.convert_i32_u ${x})`;
}

export function scalarConst(dtype: DType, v: number): string {
  return dtype === 'f32' ? f32(v) : i32(v);
}

// ---- four lanes ---------------------------------------------------------------------------------

export const splat = (dtype: DType, x: string): string =>
  dtype === 'f32' ? `(f32x4.splat ${x})` : dtype === 'i32' ? `(i32x4.splat ${x})` : `(i32x4.splat (i32.sub ${i32(0)} ${x}))`;

const F0 = `(f32x4.splat ${f32(0)})`;

export function vectorUnary(op: UnaryOp, dtype: DType, x: string, needs: Needs): string | null {
  if (dtype === 'bool') return op === 'logical_not' ? `(v128.not ${x})` : null;
  if (dtype === 'i32') {
    switch (op) {
      case 'neg': return `(i32x4.neg ${x})`;
      case 'abs': return `(i32x4.abs ${x})`;
      case 'sign': return `(i32x4.sub (i32x4.lt_s ${x} ${ZERO_V128}) (i32x4.gt_s ${x} ${ZERO_V128}))`;
      case 'relu': return `(i32x4.max_s ${x} ${ZERO_V128})`;
      case 'floor': return x;
      default: return null;
    }
  }
  switch (op) {
    case 'neg': case 'abs': case 'floor': case 'sqrt': return `(f32x4.${op} ${x})`;
    case 'relu': return `(f32x4.max ${x} ${F0})`;
    case 'sign': return `(v128.bitselect (f32x4.splat ${f32(1)}) (v128.bitselect (f32x4.splat ${f32(-1)}) ${x} (f32x4.lt ${x} ${F0})) (f32x4.gt ${x} ${F0}))`;
    default: return VECTOR_MATH.has(op) ? vectorMath(op as VectorMath, x, needs) : null;
  }
}

export function vectorBinary(op: BinaryOp, dtype: DType, x: string, y: string): string | null {
  if (dtype === 'f32') {
    switch (op) {
      case 'add': case 'sub': case 'mul': case 'div': return `(f32x4.${op} ${x} ${y})`;
      case 'maximum': return `(f32x4.max ${x} ${y})`;
      case 'minimum': return `(f32x4.min ${x} ${y})`;
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': return `(f32x4.${op} ${x} ${y})`;
      default: return null;
    }
  }
  if (dtype === 'bool') {
    // Masks: true is −1, so bool x < y (0 < 1) is mask x > mask y.
    switch (op) {
      case 'logical_and': return `(v128.and ${x} ${y})`;
      case 'logical_or': return `(v128.or ${x} ${y})`;
      case 'eq': return `(i32x4.eq ${x} ${y})`;
      case 'ne': return `(i32x4.ne ${x} ${y})`;
      case 'lt': return `(i32x4.gt_s ${x} ${y})`;
      case 'le': return `(i32x4.ge_s ${x} ${y})`;
      case 'gt': return `(i32x4.lt_s ${x} ${y})`;
      case 'ge': return `(i32x4.le_s ${x} ${y})`;
      default: return null;
    }
  }
  switch (op) {
    case 'add': case 'sub': case 'mul': return `(i32x4.${op} ${x} ${y})`;
    case 'maximum': return `(i32x4.max_s ${x} ${y})`;
    case 'minimum': return `(i32x4.min_s ${x} ${y})`;
    case 'eq': return `(i32x4.eq ${x} ${y})`;
    case 'ne': return `(i32x4.ne ${x} ${y})`;
    case 'lt': case 'le': case 'gt': case 'ge': return `(i32x4.${op}_s ${x} ${y})`;
    default: return null;
  }
}

export function vectorCast(from: DType, to: DType, x: string): string {
  if (from === to) return x;
  if (to === 'bool') return from === 'f32' ? `(f32x4.ne ${x} ${F0})` : `(i32x4.ne ${x} ${ZERO_V128})`;
  if (to === 'i32') return from === 'f32' ? `(i32x4.trunc_sat_f32x4_s ${x})` : `(i32x4.neg ${x})`;
  return from === 'i32' ? `(f32x4.convert_i32x4_s ${x})` : `(v128.and ${x} (f32x4.splat ${f32(1)}))`;
}

/** Lane k of a vector value, as the scalar form of its dtype (bool: 0 or 1). */
export function lane(dtype: DType, v: string, k: number): string {
  if (dtype === 'f32') return `(f32x4.extract_lane ${k} ${v})`;
  const x = `(i32x4.extract_lane ${k} ${v})`;
  return dtype === 'bool' ? `(i32.and ${x} ${i32(1)})` : x;
}

/** Four scalar results (lane 0..3) as one vector of `dtype`. */
export function fromLanes(dtype: DType, lanes: readonly string[]): string {
  const shape = dtype === 'f32' ? 'f32x4' : 'i32x4';
  let v = `(${shape}.splat ${lanes[0]})`;
  for (let k = 1; k < 4; k++) v = `(${shape}.replace_lane ${k} ${v} ${lanes[k]})`;
  return dtype === 'bool' ? `(i32x4.neg ${v})` : v;
}
