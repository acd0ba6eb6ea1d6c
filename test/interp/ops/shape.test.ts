import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as S from '../../../runtime/interp/ops/shape.ts';
import { bool, expectTensor, f32, i32, intTensorArb, values } from './helpers.ts';

const x23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);
const range = (n: number): number[] => [...Array(n).keys()];

describe('transpose', () => {
  it('default swaps the last two axes', () => {
    expectTensor(S.transpose(x23), 'f32', [3, 2], [1, 4, 2, 5, 3, 6]);
    const x = f32([2, 2, 3], range(12));
    expectTensor(S.transpose(x), 'f32', [2, 3, 2], [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
    expectTensor(S.transpose(f32([3], [1, 2, 3])), 'f32', [3], [1, 2, 3]);
  });

  it('explicit permutation', () => {
    const x = f32([2, 2, 3], range(12));
    // out[i, j, k] = x[j, k, i]
    expectTensor(S.transpose(x, [2, 0, 1]), 'f32', [3, 2, 2], [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
    expectTensor(S.transpose(x, [-1, 1, 0]), 'f32', [3, 2, 2], [0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11]);
    expect(() => S.transpose(x, [0, 0, 1])).toThrow(/not a permutation/);
    expect(() => S.transpose(x, [0, 1])).toThrow(/not a permutation/);
  });
});

describe('reshape / broadcastTo / expandDims / squeeze', () => {
  it('reshape', () => {
    expectTensor(S.reshape(x23, [3, 2]), 'f32', [3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(S.reshape(x23, [-1]), 'f32', [6], [1, 2, 3, 4, 5, 6]);
    expectTensor(S.reshape(x23, [1, -1, 2]), 'f32', [1, 3, 2], [1, 2, 3, 4, 5, 6]);
    expectTensor(S.reshape(f32([1], [7]), []), 'f32', [], [7]);
    expect(() => S.reshape(x23, [4])).toThrow(/cannot reshape/);
    expect(() => S.reshape(x23, [-1, -1])).toThrow(/cannot reshape/);
    expect(() => S.reshape(x23, [4, -1])).toThrow(/cannot reshape/);
  });

  it('broadcastTo', () => {
    expectTensor(S.broadcastTo(f32([3], [1, 2, 3]), [2, 3]), 'f32', [2, 3], [1, 2, 3, 1, 2, 3]);
    expectTensor(S.broadcastTo(i32([2, 1], [1, 2]), [2, 2]), 'i32', [2, 2], [1, 1, 2, 2]);
    expectTensor(S.broadcastTo(bool([], [1]), [2]), 'bool', [2], [1, 1]);
    expect(() => S.broadcastTo(f32([3], [1, 2, 3]), [1])).toThrow(/cannot broadcast/);
    expect(() => S.broadcastTo(f32([2, 1], [1, 2]), [2])).toThrow(/cannot broadcast/);
  });

  it('expandDims and squeeze', () => {
    expect(S.expandDims(x23, 0).shape).toEqual([1, 2, 3]);
    expect(S.expandDims(x23, -1).shape).toEqual([2, 3, 1]);
    expect(S.expandDims(x23, 1).shape).toEqual([2, 1, 3]);
    expect(() => S.expandDims(x23, 3)).toThrow(RangeError);
    const y = f32([1, 2, 1], [8, 9]);
    expectTensor(S.squeeze(y), 'f32', [2], [8, 9]);
    expectTensor(S.squeeze(y, [-1]), 'f32', [1, 2], [8, 9]);
    expect(() => S.squeeze(y, [1])).toThrow(/size 2/);
  });
});

describe('concat / slice / pad', () => {
  it('concat', () => {
    expectTensor(S.concat([x23, f32([1, 3], [7, 8, 9])], 0), 'f32', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectTensor(S.concat([x23, f32([2, 1], [7, 8])], -1), 'f32', [2, 4], [1, 2, 3, 7, 4, 5, 6, 8]);
    expectTensor(S.concat([f32([0, 2], []), f32([1, 2], [1, 2])], 0), 'f32', [1, 2], [1, 2]);
    expect(() => S.concat([x23, f32([2, 2], [1, 2, 3, 4])], 0)).toThrow(/differ/);
    expect(() => S.concat([x23, i32([2, 3], [1, 2, 3, 4, 5, 6])], 0)).toThrow(TypeError);
    expect(() => S.concat([], 0)).toThrow(RangeError);
  });

  it('slice', () => {
    const r = f32([10], range(10));
    expectTensor(S.slice(r, [1], [8], [3]), 'f32', [3], [1, 4, 7]);
    expectTensor(S.slice(r, [-3], [100]), 'f32', [3], [7, 8, 9]);
    expectTensor(S.slice(r, [5], [2]), 'f32', [0], []);
    expectTensor(S.slice(r, [0], [-8]), 'f32', [2], [0, 1]);
    const m = f32([3, 4], range(12));
    expectTensor(S.slice(m, [1, 1], [3, 4], [1, 2]), 'f32', [2, 2], [5, 7, 9, 11]);
    expectTensor(S.slice(m, [2], [3]), 'f32', [1, 4], [8, 9, 10, 11]);
    expect(() => S.slice(r, [0], [5], [0])).toThrow(/steps/);
  });

  it('pad', () => {
    expectTensor(S.pad(f32([1, 2], [1, 2]), [[1, 0], [0, 2]], 9), 'f32', [2, 4], [9, 9, 9, 9, 1, 2, 9, 9]);
    expectTensor(S.pad(i32([2], [5, 6]), [[2, 1]]), 'i32', [5], [0, 0, 5, 6, 0]);
    expectTensor(S.pad(bool([1], [0]), [[0, 1]], true), 'bool', [2], [0, 1]);
    expect(() => S.pad(x23, [[0, 1]])).toThrow(RangeError);
    expect(() => S.pad(x23, [[0, 1], [-1, 0]])).toThrow(RangeError);
  });
});

describe('shape properties', () => {
  const withPerm = intTensorArb(0, 4).chain((x) =>
    fc.shuffledSubarray(range(x.shape.length), { minLength: x.shape.length, maxLength: x.shape.length }).map((p) => [x, p] as const));

  it('transpose twice is the identity', () => {
    fc.assert(fc.property(withPerm, ([x, p]) => {
      expect(values(S.transpose(S.transpose(x)))).toEqual(values(x));
      const inverse = p.map((_, i) => p.indexOf(i));
      const back = S.transpose(S.transpose(x, p), inverse);
      expect(back.shape).toEqual(x.shape);
      expect(values(back)).toEqual(values(x));
    }));
  });

  it('concat then slice recovers the parts; pad then slice recovers the input', () => {
    const arb = intTensorArb(1, 3).chain((x) => fc.tuple(fc.constant(x), fc.nat(x.shape.length - 1), fc.nat(x.shape[0])));
    fc.assert(fc.property(arb, ([x, axis, w]) => {
      const y = S.concat([x, x], axis);
      const n = x.shape[axis];
      const starts = x.shape.map((_, i) => (i === axis ? n : 0));
      const second = S.slice(y, starts, y.shape);
      expect(values(second)).toEqual(values(x));
      const padded = S.pad(x, x.shape.map((_, i) => [i === axis ? w : 0, 1] as const), 5);
      const inner = S.slice(padded, x.shape.map((_, i) => (i === axis ? w : 0)), x.shape.map((d, i) => (i === axis ? w + d : d)));
      expect(values(inner)).toEqual(values(x));
    }));
  });

  it('reshape, expandDims and squeeze keep the data', () => {
    fc.assert(fc.property(intTensorArb(), (x) => {
      expect(values(S.reshape(x, [-1]))).toEqual(values(x));
      expect(S.squeeze(S.expandDims(x, 0), [0]).shape).toEqual(x.shape);
    }));
  });
});
