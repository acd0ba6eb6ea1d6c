/** Indexing, scatter and sorting ops. Index tensors are i32 and must lie in [0, bound). */
import {
  type Shape, type Tensor, broadcastShapes, forEachIndex, lanes, normAxis, offset, requireDType, stridesOf, zeros,
} from './tensor.ts';
import { slice } from './shape.ts';

const fmt = (s: Shape): string => `[${s.join(', ')}]`;

function checkIndex(op: string, i: number, bound: number): number {
  if (i < 0 || i >= bound) throw new RangeError(`${op}: index ${i} out of range [0, ${bound})`);
  return i;
}

/**
 * Like np.take(x, indices, axis): result shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices are
 * rejected rather than wrapped, so an off-by-one upstream cannot hide.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  requireDType('gather', indices, ['i32']);
  const ax = normAxis(axis, x.shape.length);
  const { outer, n, inner } = lanes(x.shape, ax);
  const m = indices.data.length;
  const out = zeros(x.dtype, [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)]);
  for (let j = 0; j < m; j++) checkIndex('gather', indices.data[j], n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) out.data[(o * m + j) * inner + i] = x.data[(o * n + indices.data[j]) * inner + i];
    }
  }
  return out;
}

/**
 * The adjoint of gather: a copy of `target` where every update
 * updates[pre, j, post] is added into target[pre, indices[j], post]; repeated
 * indices accumulate. updates.shape must be target.shape[:axis] +
 * indices.shape + target.shape[axis+1:]. Sums are formed in float64 and
 * rounded once.
 */
export function scatterAdd(target: Tensor, indices: Tensor, updates: Tensor, axis = 0): Tensor {
  requireDType('scatterAdd', indices, ['i32']);
  requireDType('scatterAdd', target, ['f32', 'i32']);
  if (updates.dtype !== target.dtype) throw new TypeError(`scatterAdd: dtype mismatch ${target.dtype} vs ${updates.dtype}`);
  const ax = normAxis(axis, target.shape.length);
  const want = [...target.shape.slice(0, ax), ...indices.shape, ...target.shape.slice(ax + 1)];
  if (fmt(want) !== fmt(updates.shape)) throw new RangeError(`scatterAdd: updates shape ${fmt(updates.shape)}, expected ${fmt(want)}`);
  const { outer, n, inner } = lanes(target.shape, ax);
  const m = indices.data.length;
  for (let j = 0; j < m; j++) checkIndex('scatterAdd', indices.data[j], n);
  const acc = Float64Array.from(target.data);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) acc[(o * n + indices.data[j]) * inner + i] += updates.data[(o * m + j) * inner + i];
    }
  }
  const out = zeros(target.dtype, target.shape);
  out.data.set(acc);
  return out;
}

/**
 * Like np.take_along_axis: out[..., j, ...] = x[..., idx[..., j, ...], ...].
 * idx has x's rank; off `axis` its dims broadcast against x's.
 */
export function takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
  requireDType('takeAlongAxis', idx, ['i32']);
  const rank = x.shape.length;
  if (idx.shape.length !== rank) throw new RangeError(`takeAlongAxis: index rank ${idx.shape.length} != rank ${rank}`);
  const ax = normAxis(axis, rank);
  const offAxis = (s: Shape): number[] => s.map((d, i) => (i === ax ? 1 : d));
  const shape = broadcastShapes(offAxis(x.shape), offAxis(idx.shape)).map((d, i) => (i === ax ? idx.shape[ax] : d));
  // Broadcast dims (size 1) are read at position 0.
  const at = (s: Shape, p: readonly number[]): number[] => p.map((v, i) => (s[i] === 1 ? 0 : v));
  const xs = stridesOf(x.shape);
  const is = stridesOf(idx.shape);
  const out = zeros(x.dtype, shape);
  forEachIndex(shape, (p, flat) => {
    const src = at(x.shape, p);
    src[ax] = checkIndex('takeAlongAxis', idx.data[offset(at(idx.shape, p), is)], x.shape[ax]);
    out.data[flat] = x.data[offset(src, xs)];
  });
  return out;
}

/** indices.shape + [n], f32, with a 1 at each index. */
export function oneHot(indices: Tensor, n: number): Tensor {
  requireDType('oneHot', indices, ['i32']);
  const out = zeros('f32', [...indices.shape, n]);
  indices.data.forEach((v, j) => { out.data[j * n + checkIndex('oneHot', v, n)] = 1; });
  return out;
}

/** Total order with NaN above every number (NumPy sorts NaN last). */
function ascending(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Indices (i32) that sort each lane along `axis`. Stable in both directions:
 * equal values keep their original order, lower index first.
 */
export function argsort(x: Tensor, axis = -1, descending = false): Tensor {
  const ax = normAxis(axis, x.shape.length);
  const { outer, n, inner } = lanes(x.shape, ax);
  const out = zeros('i32', x.shape);
  const at = (o: number, k: number, i: number): number => (o * n + k) * inner + i;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const v = (k: number): number => x.data[at(o, k, i)];
      // Array.prototype.sort is stable (ES2019), which gives the tie rule.
      const order = [...Array(n).keys()].sort((p, q) => (descending ? ascending(v(q), v(p)) : ascending(v(p), v(q))));
      order.forEach((k, r) => { out.data[at(o, r, i)] = k; });
    }
  }
  return out;
}

export function sort(x: Tensor, axis = -1, descending = false): Tensor {
  return takeAlongAxis(x, argsort(x, axis, descending), axis);
}

/** The k largest along the last axis, descending; ties go to the lower index. */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const last = x.shape.length - 1;
  if (last < 0 || !Number.isInteger(k) || k < 0 || k > x.shape[last]) {
    throw new RangeError(`topk: k = ${k} out of range for shape ${fmt(x.shape)}`);
  }
  const indices = slice(argsort(x, -1, true), x.shape.map(() => 0), x.shape.map((d, i) => (i === last ? k : d)));
  return { values: takeAlongAxis(x, indices, -1), indices };
}
