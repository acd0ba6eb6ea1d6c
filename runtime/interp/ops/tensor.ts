/**
 * Dense row-major tensors for the reference interpreter.
 *
 * This is the oracle every later test compares against, so everything here
 * favours obviously-correct code over speed. Tensors are immutable by
 * convention: ops never write into their inputs, they allocate a fresh output.
 */

export type DType = 'f32' | 'i32' | 'bool';
/** f32 data is a Float32Array, or a Float64Array inside `evaluate(..., { float64: true })`. */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;
export type Shape = readonly number[];

export interface Tensor {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TensorData;
}

export function size(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Row-major strides: the last axis is contiguous. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

// Float64 mode exists for finite-difference gradient checks: a central difference (f(x+h) − f(x−h)) / 2h
// in float32 loses most of its digits to rounding, so the reference evaluator can instead store every
// f32 tensor in a Float64Array and skip the rounding. It is a scoped setting, switched on and restored
// by evaluate() around one (synchronous) graph run; everything else always sees float32 storage.
let float64 = false;

/** Sets the float64 mode and returns the previous setting, for a caller to restore in a `finally`. */
export function setFloat64(on: boolean): boolean {
  const previous = float64;
  float64 = on;
  return previous;
}

/** An f32 tensor re-stored in the current mode's array type (Float32Array or Float64Array); others as is. */
export function toStorage(t: Tensor): Tensor {
  if (t.dtype !== 'f32' || t.data instanceof (float64 ? Float64Array : Float32Array)) return t;
  return { dtype: t.dtype, shape: t.shape, data: float64 ? Float64Array.from(t.data) : Float32Array.from(t.data) };
}

function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'f32': return float64 ? new Float64Array(n) : new Float32Array(n);
    case 'i32': return new Int32Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
}

/** Converts a user-supplied value to the stored representation, rejecting silent truncation. */
function encode(dtype: DType, v: number | boolean): number {
  if (dtype === 'bool') return v ? 1 : 0;
  const n = Number(v);
  if (dtype === 'i32' && !(Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff)) {
    throw new RangeError(`value ${n} is not an i32`);
  }
  return n; // f32: the Float32Array store rounds to nearest float32 (not in float64 mode)
}

/** Builds a tensor by copying `values` (row-major). */
export function tensor(dtype: DType, shape: Shape, values: ArrayLike<number | boolean>): Tensor {
  checkShape(shape);
  const n = size(shape);
  if (values.length !== n) throw new RangeError(`shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = encode(dtype, values[i]);
  return { dtype, shape: [...shape], data };
}

/** A fresh zero-filled tensor; ops allocate their outputs with this and fill `data`. */
export function zeros(dtype: DType, shape: Shape): Tensor {
  checkShape(shape);
  return { dtype, shape: [...shape], data: allocate(dtype, size(shape)) };
}

export function scalar(dtype: DType, v: number | boolean): Tensor {
  return tensor(dtype, [], [v]);
}

/** NumPy broadcasting: align right, each pair of dims must be equal or contain a 1. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const x = a.length - i >= 0 ? a[a.length - i] : 1;
    const y = b.length - i >= 0 ? b[b.length - i] : 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`cannot broadcast shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    }
    out[rank - i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * Strides for reading a tensor of shape `from` as if it had the (broadcast)
 * shape `to`: one entry per axis of `to`, 0 where `from` is broadcast.
 * Assumes `from` broadcasts to `to` (checked by the caller via broadcastShapes).
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const own = stridesOf(from);
  const lead = to.length - from.length;
  return to.map((_, d) => (d < lead || from[d - lead] === 1 ? 0 : own[d - lead]));
}

/** Sum of idx[d] * strides[d]: the flat offset of a multi-index. */
export function offset(idx: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < idx.length; d++) o += idx[d] * strides[d];
  return o;
}

/**
 * Calls fn for every multi-index of `shape` in row-major order, together with
 * its flat row-major position. `idx` is reused between calls: copy it to keep it.
 */
export function forEachIndex(shape: Shape, fn: (idx: readonly number[], flat: number) => void): void {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/**
 * Splits `shape` around `axis` into outer × n × inner. Element k of lane
 * (o, i) lives at (o * n + k) * inner + i; the lane's own number o * inner + i
 * is its flat position in the shape with `axis` removed.
 */
export function lanes(shape: Shape, axis: number): { outer: number; n: number; inner: number } {
  return { outer: size(shape.slice(0, axis)), n: shape[axis], inner: size(shape.slice(axis + 1)) };
}

/** Resolves a possibly negative axis against `rank`. */
export function normAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function requireDType(op: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) throw new TypeError(`${op}: dtype ${t.dtype} not supported (expected ${allowed.join(' | ')})`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
