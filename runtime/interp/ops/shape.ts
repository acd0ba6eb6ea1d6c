/** Shape manipulation: every op copies into a fresh row-major tensor. */
import {
  type Shape, type Tensor, broadcastShapes, broadcastStrides, forEachIndex, lanes, normAxis, offset, sameShape, size,
  stridesOf, zeros,
} from './tensor.ts';

const fmt = (s: Shape): string => `[${s.join(', ')}]`;

/** Copies x's elements, read through `strides` (one per output axis), into a tensor of `shape`. */
function gatherStrided(x: Tensor, shape: Shape, strides: readonly number[], base = 0): Tensor {
  const out = zeros(x.dtype, shape);
  forEachIndex(shape, (idx, flat) => { out.data[flat] = x.data[base + offset(idx, strides)]; });
  return out;
}

function swapLastTwo(rank: number): number[] {
  const p = [...Array(rank).keys()];
  if (rank >= 2) [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

/**
 * Permutes axes: output axis d is input axis perm[d]. Without `perm` the last
 * two axes are swapped (the matrix transpose, batched); rank < 2 is copied as is.
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const rank = x.shape.length;
  const p = perm?.map((a) => normAxis(a, rank)) ?? swapLastTwo(rank);
  if (p.length !== rank || new Set(p).size !== rank) throw new RangeError(`transpose: ${fmt(perm ?? [])} is not a permutation of ${rank} axes`);
  const strides = stridesOf(x.shape);
  return gatherStrided(x, p.map((a) => x.shape[a]), p.map((a) => strides[a]));
}

/** Same elements, new shape; one dimension may be -1 and is then inferred. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = size(shape.filter((d) => d !== -1));
  const holes = shape.filter((d) => d === -1).length;
  const n = size(x.shape);
  const inferred = holes === 1 && known > 0 && n % known === 0 ? n / known : -1;
  const resolved = shape.map((d) => (d === -1 ? inferred : d));
  if (holes > 1 || size(resolved) !== n || resolved.some((d) => d < 0)) {
    throw new RangeError(`reshape: cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  return { dtype: x.dtype, shape: resolved, data: x.data.slice() };
}

export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (!sameShape(broadcastShapes(x.shape, shape), shape)) throw new RangeError(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  return gatherStrided(x, shape, broadcastStrides(x.shape, shape));
}

/** Joins tensors of one dtype and rank, equal in every dimension except `axis`. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new RangeError('concat: no tensors');
  const first = xs[0];
  const ax = normAxis(axis, first.shape.length);
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new TypeError(`concat: dtype mismatch ${first.dtype} vs ${t.dtype}`);
    if (t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new RangeError(`concat: shapes ${fmt(first.shape)} and ${fmt(t.shape)} differ off axis ${ax}`);
    }
  }
  const shape = first.shape.map((d, i) => (i === ax ? xs.reduce((s, t) => s + t.shape[ax], 0) : d));
  const out = zeros(first.dtype, shape);
  // Row-major: for each outer index, the inputs' blocks (n_t × inner) follow one another.
  const { outer } = lanes(shape, ax);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of xs) {
      const block = t.data.length / outer;
      out.data.set(t.data.subarray(o * block, (o + 1) * block), pos);
      pos += block;
    }
  }
  return out;
}

/**
 * Python-style slicing x[start:end:step] per axis (missing trailing axes are
 * taken whole). Negative start/end count from the end; both are clamped to
 * [0, dim]. Steps must be >= 1.
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (starts.length > rank || ends.length !== starts.length || (steps && steps.length !== starts.length)) {
    throw new RangeError(`slice: need equally long starts/ends/steps of at most ${rank} entries`);
  }
  const clamp = (v: number, d: number): number => Math.min(d, Math.max(0, v < 0 ? v + d : v));
  const begin = x.shape.map((d, i) => (i < starts.length ? clamp(starts[i], d) : 0));
  const stop = x.shape.map((d, i) => (i < ends.length ? clamp(ends[i], d) : d));
  const step = x.shape.map((_, i) => steps?.[i] ?? 1);
  if (step.some((s) => !Number.isInteger(s) || s < 1)) throw new RangeError(`slice: steps must be integers >= 1, got ${fmt(step)}`);
  const shape = begin.map((b, i) => Math.max(0, Math.ceil((stop[i] - b) / step[i])));
  const strides = stridesOf(x.shape);
  return gatherStrided(x, shape, strides.map((s, i) => s * step[i]), offset(begin, strides));
}

/** Pads each axis with widths[i] = [before, after] copies of `value`. */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value: number | boolean = 0): Tensor {
  if (widths.length !== x.shape.length || widths.flat().some((w) => !Number.isInteger(w) || w < 0)) {
    throw new RangeError(`pad: need ${x.shape.length} [before, after] pairs of non-negative integers`);
  }
  const out = zeros(x.dtype, x.shape.map((d, i) => d + widths[i][0] + widths[i][1]));
  out.data.fill(Number(value));
  const strides = stridesOf(out.shape);
  const base = offset(widths.map((w) => w[0]), strides);
  forEachIndex(x.shape, (idx, flat) => { out.data[base + offset(idx, strides)] = x.data[flat]; });
  return out;
}

/** Inserts a size-1 axis at `axis` (in the result's numbering, so -1 appends). */
export function expandDims(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.shape.length + 1);
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/** Removes the given size-1 axes, or every size-1 axis when none are given. */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = axes ? axes.map((a) => normAxis(a, x.shape.length)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of drop) if (x.shape[a] !== 1) throw new RangeError(`squeeze: axis ${a} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)));
}
