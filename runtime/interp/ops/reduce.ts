/**
 * Reductions. Accumulation is in float64 and the result is rounded once when
 * stored, so an f32 sum is the float64 sum of the float32 inputs (in row-major
 * order), rounded to float32.
 */
import {
  type DType, type Shape, type Tensor, forEachIndex, lanes, normAxis, offset, requireDType, size, stridesOf, zeros,
} from './tensor.ts';

const NUMERIC: readonly DType[] = ['f32', 'i32'];

/** Normalised, sorted, duplicate-free axes; `undefined` means all axes. */
function normAxes(axes: readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const norm = [...new Set(axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
  if (norm.length !== axes.length) throw new RangeError(`duplicate axis in [${axes.join(', ')}]`);
  return norm;
}

/**
 * Folds every element of x into its output slot: acc[o] = step(acc[o], v).
 * Returns the float64 accumulators, the output shape and the number of
 * elements folded into each slot.
 */
function fold(x: Tensor, axes: readonly number[] | undefined, keepdims: boolean, init: number, step: (acc: number, v: number) => number) {
  const reduced = normAxes(axes, x.shape.length);
  const keepShape: Shape = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  // Reading output strides with stride 0 on reduced axes maps an input index to its slot.
  const slot = stridesOf(keepShape).map((s, i) => (reduced.includes(i) ? 0 : s));
  const acc = new Float64Array(size(keepShape)).fill(init);
  forEachIndex(x.shape, (idx, flat) => {
    const o = offset(idx, slot);
    acc[o] = step(acc[o], x.data[flat]);
  });
  const shape = keepdims ? keepShape : x.shape.filter((_, i) => !reduced.includes(i));
  return { acc, shape, count: size(reduced.map((a) => x.shape[a])) };
}

function store(dtype: DType, shape: Shape, values: ArrayLike<number>): Tensor {
  const out = zeros(dtype, shape);
  for (let i = 0; i < values.length; i++) out.data[i] = values[i];
  return out;
}

/** bool sums count trues, as i32. */
export function sum(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const { acc, shape } = fold(x, axes, keepdims, 0, (s, v) => s + v);
  return store(x.dtype === 'f32' ? 'f32' : 'i32', shape, acc);
}

/** Always f32. The mean over zero elements is NaN. */
export function mean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  requireDType('mean', x, NUMERIC);
  const { acc, shape, count } = fold(x, axes, keepdims, 0, (s, v) => s + v);
  return store('f32', shape, acc.map((s) => s / count));
}

function extreme(op: string, x: Tensor, axes: readonly number[] | undefined, keepdims: boolean, sign: 1 | -1): Tensor {
  // NaN propagates (like NumPy): once the accumulator is NaN every comparison is false.
  const { acc, shape, count } = fold(x, axes, keepdims, -sign * Infinity, (m, v) => (sign * v > sign * m || Number.isNaN(v) ? v : m));
  if (count === 0 && acc.length > 0) throw new RangeError(`${op}: reduction over an empty axis`);
  return store(x.dtype, shape, acc);
}

export const max = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor => extreme('max', x, axes, keepdims, 1);
export const min = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor => extreme('min', x, axes, keepdims, -1);

/**
 * Calls fn once per lane along `axis`, with a reader for the lane and the
 * lane's flat position in the output (x's shape with `axis` removed).
 */
function forEachLane(shape: Shape, axis: number, fn: (at: (k: number) => number, n: number, lane: number) => void): void {
  const { outer, n, inner } = lanes(shape, axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) fn((k) => (o * n + k) * inner + i, n, o * inner + i);
  }
}

const dropAxis = (shape: Shape, axis: number, keepdims: boolean): number[] =>
  keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);

/** Index of the first maximum along `axis`, as i32. NaN counts as the maximum. */
export function argmax(x: Tensor, axis: number, keepdims = false): Tensor {
  const ax = normAxis(axis, x.shape.length);
  if (x.shape[ax] === 0) throw new RangeError('argmax: empty axis');
  const out = zeros('i32', dropAxis(x.shape, ax, keepdims));
  forEachLane(x.shape, ax, (at, n, lane) => {
    let best = 0;
    for (let k = 1; k < n; k++) {
      const v = x.data[at(k)];
      const b = x.data[at(best)];
      if (Number.isNaN(b)) break;
      if (v > b || Number.isNaN(v)) best = k;
    }
    out.data[lane] = best;
  });
  return out;
}

/** Largest value of the lane, NaN if any is NaN (-Inf for an empty lane). */
function laneMax(x: Tensor, at: (k: number) => number, n: number): number {
  let m = -Infinity;
  for (let k = 0; k < n; k++) m = Math.max(m, x.data[at(k)]);
  return m;
}

/** log Σ exp(x) along `axis`, computed as m + log Σ exp(x - m) so it cannot overflow. */
export function logsumexp(x: Tensor, axis: number, keepdims = false): Tensor {
  requireDType('logsumexp', x, ['f32']);
  const ax = normAxis(axis, x.shape.length);
  const out = zeros('f32', dropAxis(x.shape, ax, keepdims));
  forEachLane(x.shape, ax, (at, n, lane) => {
    const m = laneMax(x, at, n);
    // ±Inf / NaN maxima: shifting by m would produce Inf - Inf; the answer is m itself.
    if (!Number.isFinite(m)) { out.data[lane] = m; return; }
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.exp(x.data[at(k)] - m);
    out.data[lane] = m + Math.log(s);
  });
  return out;
}

/** exp(x - m) / Σ exp(x - m) along `axis` (default last). A lane that is all -Inf gives NaN. */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireDType('softmax', x, ['f32']);
  const ax = normAxis(axis, x.shape.length);
  const out = zeros('f32', x.shape);
  forEachLane(x.shape, ax, (at, n) => {
    const m = laneMax(x, at, n);
    const e = Array.from({ length: n }, (_, k) => Math.exp(x.data[at(k)] - m));
    const s = e.reduce((a, b) => a + b, 0);
    for (let k = 0; k < n; k++) out.data[at(k)] = e[k] / s;
  });
  return out;
}

/** Inclusive prefix sum along `axis`; each prefix is a float64 sum rounded once. bool → i32. */
export function cumsum(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.shape.length);
  const out = zeros(x.dtype === 'f32' ? 'f32' : 'i32', x.shape);
  forEachLane(x.shape, ax, (at, n) => {
    let s = 0;
    for (let k = 0; k < n; k++) out.data[at(k)] = s += x.data[at(k)];
  });
  return out;
}

/** Frobenius norm √(Σ x²) over all elements, as an f32 scalar. */
export function norm(x: Tensor): Tensor {
  requireDType('norm', x, NUMERIC);
  let s = 0;
  for (const v of x.data) s += v * v;
  return store('f32', [], [Math.sqrt(s)]);
}
