// The values of test blocks (compiler/syntax/testblocks.ts) as API values, the comparison of a
// result with the expected one, and how both are shown.
//
// An input is converted to the type of the parameter it is given to: `[1.0, 2.0]` is f32[2] for an
// f32[n] parameter, `[1, 2]` is i32[2] for an i32[k] one; nested arrays give the shape, records
// `{ a: … }` and tuples `(…)` give records (objects) and tuples (arrays). A suffix (`1i32`, `2f32`)
// fixes the element type whatever the parameter says. An expected output is converted the same
// way, guided by the result it is compared with; f32 elements match within F32_TOLERANCE, i32 and
// bool elements exactly.
import * as S from '../../compiler/check/size.ts';
import * as T from '../../compiler/check/types.ts';
import type { TestValue } from '../../compiler/syntax/testblocks.ts';
import { zeros, type DType, type Tensor } from '../interp/ops/tensor.ts';
import type { Value } from '../program.ts';

/** A test value that cannot be given to its parameter (wrong structure, type or shape). */
export class TestValueError extends Error {}

/** An f32 element matches when |actual − expected| ≤ absolute + relative·|expected|. */
export const F32_TOLERANCE = { relative: 1e-5, absolute: 1e-6 } as const;

type Scalar = Extract<TestValue, { kind: 'number' | 'bool' }>;

export function isTensor(v: Value): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dtype' in v && 'data' in v && ArrayBuffer.isView((v as Tensor).data);
}

function isRecord(v: Value): v is { readonly [k: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTensor(v);
}

// ---- test values → tensors ----

/** The shape and row-major elements of a (nested) array of scalars. */
function flatten(tv: TestValue): { shape: number[]; leaves: Scalar[] } {
  switch (tv.kind) {
    case 'number':
    case 'bool':
      return { shape: [], leaves: [tv] };
    case 'array': {
      if (tv.items.length === 0) return { shape: [0], leaves: [] };
      const parts = tv.items.map(flatten);
      const inner = parts[0]!.shape;
      for (const p of parts)
        if (p.shape.length !== inner.length || p.shape.some((d, i) => d !== inner[i]))
          throw new TestValueError(`${formatTest(tv)} is irregular: its elements have shapes ${showDims(inner)} and ${showDims(p.shape)}`);
      return { shape: [tv.items.length, ...inner], leaves: parts.flatMap((p) => p.leaves) };
    }
    default:
      throw new TestValueError(`an array holds numbers or booleans, not ${tv.kind === 'record' ? 'a record' : 'a tuple'}: ${formatTest(tv)}`);
  }
}

const isI32 = (x: number): boolean => Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff;

/**
 * The tensor a literal (a scalar or nested array) spells. Its element type is the suffix when the
 * literal has one, else `want` when the elements fit it, else what the literal looks like: bool
 * for true/false, f32 for numbers with a point or an exponent (or outside i32), i32 otherwise.
 */
export function literalTensor(tv: TestValue, want: DType | null): Tensor {
  const { shape, leaves } = flatten(tv);
  const numbers = leaves.filter((l): l is Extract<Scalar, { kind: 'number' }> => l.kind === 'number');
  if (numbers.length > 0 && numbers.length < leaves.length) throw new TestValueError(`${formatTest(tv)} mixes numbers and booleans`);
  const suffixes = new Set(numbers.flatMap((n) => (n.dtype ? [n.dtype] : [])));
  if (suffixes.size > 1) throw new TestValueError(`${formatTest(tv)} mixes the suffixes f32 and i32`);
  const forced = [...suffixes][0];
  let dtype: DType;
  if (leaves.length > 0 && numbers.length === 0) dtype = 'bool';
  else if (forced) dtype = forced;
  else if (want === 'f32' || (want === 'i32' && numbers.every((n) => isI32(n.value)))) dtype = want;
  else if (leaves.length === 0) dtype = want ?? 'f32';
  else dtype = numbers.some((n) => n.isFloat || !isI32(n.value)) ? 'f32' : 'i32';
  if (dtype === 'i32') {
    const bad = numbers.find((n) => !isI32(n.value));
    if (bad) throw new TestValueError(`${formatTest(bad)} is not an i32`);
  }
  const values = leaves.map((l) => (l.kind === 'bool' ? (l.value ? 1 : 0) : l.value));
  const data = dtype === 'f32' ? Float32Array.from(values) : dtype === 'i32' ? Int32Array.from(values) : Uint8Array.from(values);
  return { dtype, shape, data };
}

/** A value of no declared type (a generic parameter): tensors take the type their literals spell. */
function inferValue(tv: TestValue): Value {
  if (tv.kind === 'tuple') return tv.items.map(inferValue);
  if (tv.kind === 'record') return Object.fromEntries(tv.fields.map((f) => [f.name, inferValue(f.value)]));
  return literalTensor(tv, null);
}

/**
 * An input as an argument for a parameter of this type. `name` is the parameter (and the path
 * into it, as in `p.w`), for messages.
 */
export function inputValue(tv: TestValue, type: T.Type, name: string): Value {
  const mismatch = (what: string) => new TestValueError(`'${name}' is ${T.show(type)}, but the input ${formatTest(tv)} is ${what}`);
  switch (type.kind) {
    case 'tensor': {
      if (tv.kind === 'record' || tv.kind === 'tuple') throw mismatch(`a ${tv.kind}`);
      const t = literalTensor(tv, type.dtype);
      if (t.dtype !== type.dtype || t.shape.length !== type.shape.length) throw mismatch(showType(t));
      if (type.shape.some((d, i) => S.constValue(d) !== null && S.constValue(d) !== t.shape[i])) throw mismatch(showType(t));
      return t;
    }
    case 'tuple': {
      if (tv.kind !== 'tuple') throw mismatch(tv.kind === 'record' ? 'a record' : 'not a tuple');
      if (tv.items.length !== type.items.length) throw mismatch(`a tuple of ${tv.items.length}`);
      return type.items.map((t, i) => inputValue(tv.items[i]!, t, `${name}.${i}`));
    }
    case 'record': {
      if (tv.kind !== 'record') throw mismatch(tv.kind === 'tuple' ? 'a tuple' : 'not a record');
      const extra = tv.fields.find((f) => !type.fields.some((g) => g.name === f.name));
      if (extra) throw new TestValueError(`'${name}' is ${T.show(type)}, which has no field '${extra.name}'`);
      return Object.fromEntries(
        type.fields.map((f) => {
          const given = tv.fields.find((g) => g.name === f.name);
          if (!given) throw new TestValueError(`'${name}' is ${T.show(type)}, but the input ${formatTest(tv)} has no field '${f.name}'`);
          return [f.name, inputValue(given.value, f.type, `${name}.${f.name}`)];
        }),
      );
    }
    case 'typevar':
    case 'error':
      return inferValue(tv);
    default:
      throw new TestValueError(`'${name}' is ${T.show(type)}, which a test cannot give`);
  }
}

/** Zeros of a parameter type whose sizes are all constants (what a structure block without cases schedules). */
export function zeroValue(type: T.Type, name: string): Value {
  switch (type.kind) {
    case 'tensor': {
      const shape = type.shape.map((d) => S.constValue(d));
      if (shape.some((d) => d === null)) throw new TestValueError(`'${name}' is ${T.show(type)}, whose sizes only a case's inputs can tell`);
      return zeros(type.dtype, shape as number[]);
    }
    case 'tuple':
      return type.items.map((t, i) => zeroValue(t, `${name}.${i}`));
    case 'record':
      return Object.fromEntries(type.fields.map((f) => [f.name, zeroValue(f.type, `${name}.${f.name}`)]));
    default:
      throw new TestValueError(`'${name}' is ${T.show(type)}, whose value only a case can give`);
  }
}

/**
 * An expected output as a value to compare `actual` with: its tensors take the element types of
 * the result's where their literals fit them, so `[1, 2]` expects i32 of an i32 result and f32 of
 * an f32 one, while `[1.5]` compared with an i32 result stays f32 (and the comparison says so).
 */
export function expectedValue(tv: TestValue, actual: Value): Value {
  if (tv.kind === 'tuple') return tv.items.map((x, i) => expectedValue(x, Array.isArray(actual) ? (actual as readonly Value[])[i] : undefined));
  if (tv.kind === 'record') return Object.fromEntries(tv.fields.map((f) => [f.name, expectedValue(f.value, isRecord(actual) ? actual[f.name] : undefined)]));
  return literalTensor(tv, isTensor(actual) ? actual.dtype : null);
}

/** What a case's `output { … }` expects: no values is (), one is itself, several are a tuple. */
export function expectedOutput(outputs: readonly TestValue[], actual: Value): Value {
  if (outputs.length === 0) return undefined;
  if (outputs.length === 1) return expectedValue(outputs[0]!, actual);
  return expectedValue({ kind: 'tuple', items: outputs }, actual);
}

// ---- comparison ----

export interface Mismatch {
  /** Where in the result: `result`, `result.w`, `result.1[0, 2]`. */
  readonly path: string;
  readonly message: string;
}

export function closeEnough(actual: number, expected: number, dtype: DType): boolean {
  if (actual === expected) return true;
  if (dtype !== 'f32') return false;
  return Math.abs(actual - expected) <= F32_TOLERANCE.absolute + F32_TOLERANCE.relative * Math.abs(expected);
}

/** The first place where `actual` differs from `expected`, or null when it matches. */
export function compareValues(actual: Value, expected: Value, path = 'result'): Mismatch | null {
  const at = (message: string): Mismatch => ({ path, message });
  if (isTensor(expected)) {
    if (!isTensor(actual)) return at(`expected a tensor ${showType(expected)}, got ${kindOf(actual)}`);
    if (actual.dtype !== expected.dtype) return at(`expected ${showType(expected)}, got ${showType(actual)}`);
    if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i]))
      return at(`expected shape ${showDims(expected.shape)}, got ${showDims(actual.shape)}`);
    for (let i = 0; i < expected.data.length; i++) {
      const a = actual.data[i]!;
      const e = expected.data[i]!;
      if (!closeEnough(a, e, expected.dtype)) {
        const where = expected.shape.length === 0 ? path : `${path}${showDims(multiIndex(i, expected.shape))}`;
        return { path: where, message: `expected ${formatScalar(e, expected.dtype)}, got ${formatScalar(a, actual.dtype)}` };
      }
    }
    return null;
  }
  if (Array.isArray(expected)) {
    const items = expected as readonly Value[];
    if (!Array.isArray(actual)) return at(`expected a tuple of ${items.length}, got ${kindOf(actual)}`);
    const got = actual as readonly Value[];
    if (got.length !== items.length) return at(`expected a tuple of ${items.length}, got a tuple of ${got.length}`);
    for (let i = 0; i < items.length; i++) {
      const m = compareValues(got[i], items[i], `${path}.${i}`);
      if (m) return m;
    }
    return null;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return at(`expected a record, got ${kindOf(actual)}`);
    const missing = Object.keys(expected).find((k) => !(k in actual));
    if (missing !== undefined) return at(`the result has no field '${missing}'`);
    const extra = Object.keys(actual).find((k) => !(k in expected));
    if (extra !== undefined) return at(`the result has a field '${extra}' that the expected output lacks`);
    for (const k of Object.keys(expected)) {
      const m = compareValues(actual[k], expected[k], `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  if (expected === undefined) return actual === undefined ? null : at(`expected no value, got ${kindOf(actual)}`);
  return actual === expected ? null : at(`expected ${formatValue(expected)}, got ${formatValue(actual)}`);
}

function multiIndex(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return out;
}

function kindOf(v: Value): string {
  if (isTensor(v)) return showType(v);
  if (Array.isArray(v)) return `a tuple of ${v.length}`;
  if (isRecord(v)) return 'a record';
  if (v === undefined) return 'no value';
  return typeof v === 'string' ? 'a string' : `the ${typeof v} ${String(v)}`;
}

// ---- showing values ----

const showDims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** `f32[2, 3]`, or `f32` for a scalar. */
export function showType(t: Tensor): string {
  return t.shape.length === 0 ? t.dtype : `${t.dtype}${showDims(t.shape)}`;
}

export function formatScalar(x: number, dtype: DType): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (dtype === 'i32') return String(x);
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = String(Number(x.toPrecision(7)));
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** At most this many elements of an axis are shown; the rest are `…`. */
const AXIS_LIMIT = 8;

function formatElements(t: Tensor, axis: number, offset: number, stride: number): string {
  if (axis === t.shape.length) return formatScalar(t.data[offset]!, t.dtype);
  const n = t.shape[axis]!;
  const inner = stride / Math.max(n, 1);
  const parts: string[] = [];
  for (let i = 0; i < Math.min(n, AXIS_LIMIT); i++) parts.push(formatElements(t, axis + 1, offset + i * inner, inner));
  if (n > AXIS_LIMIT) parts.push(`… ${n - AXIS_LIMIT} more`);
  return `[${parts.join(', ')}]`;
}

/** A value with its types and shapes: `f32[2] [1.5, 2.0]`, `{ w: f32[2] [1.0, 2.0], b: f32 0.5 }`. */
export function formatValue(v: Value): string {
  if (isTensor(v)) {
    const total = v.shape.reduce((a, d) => a * d, 1);
    return `${showType(v)} ${formatElements(v, 0, 0, total)}`;
  }
  if (Array.isArray(v)) return `(${(v as readonly Value[]).map(formatValue).join(', ')})`;
  if (isRecord(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')} }`;
  if (v === undefined) return '()';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A test value as it is written in a test block. */
export function formatTest(tv: TestValue): string {
  switch (tv.kind) {
    case 'number': {
      const digits = String(tv.value);
      return (tv.isFloat && /^-?\d+$/.test(digits) ? `${digits}.0` : digits) + (tv.dtype ?? '');
    }
    case 'bool':
      return String(tv.value);
    case 'array':
      return `[${tv.items.map(formatTest).join(', ')}]`;
    case 'tuple':
      return `(${tv.items.map(formatTest).join(', ')})`;
    case 'record':
      return `{ ${tv.fields.map((f) => `${f.name}: ${formatTest(f.value)}`).join(', ')} }`;
  }
}
