import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as I from '../../../runtime/interp/ops/index.ts';
import { matmul } from '../../../runtime/interp/ops/matmul.ts';
import { zeros } from '../../../runtime/interp/ops/tensor.ts';
import { shapes } from '../../../testing.ts';
import { expectTensor, f32, i32, intF32Arb, lanesOf, values } from './helpers.ts';

const x32 = f32([3, 2], [1, 2, 3, 4, 5, 6]);

describe('gather / scatterAdd / takeAlongAxis / oneHot', () => {
  it('gather like np.take', () => {
    expectTensor(I.gather(x32, i32([3], [2, 0, 2])), 'f32', [3, 2], [5, 6, 1, 2, 5, 6]);
    expectTensor(I.gather(x32, i32([1, 2], [1, 0]), 1), 'f32', [3, 1, 2], [2, 1, 4, 3, 6, 5]);
    expectTensor(I.gather(x32, i32([], [1]), 0), 'f32', [2], [3, 4]);
    expectTensor(I.gather(x32, i32([0], []), -1), 'f32', [3, 0], []);
    expect(() => I.gather(x32, i32([2], [0, 3]))).toThrow(RangeError);
    expect(() => I.gather(x32, i32([2], [0, 3]))).toThrow(/index 3 out of range \[0, 3\)/);
    expect(() => I.gather(x32, i32([1], [-1]))).toThrow(/index -1/);
    expect(() => I.gather(x32, f32([1], [0]))).toThrow(TypeError);
  });

  it('scatterAdd accumulates duplicates', () => {
    expectTensor(I.scatterAdd(f32([3], [0, 0, 0]), i32([3], [0, 2, 0]), f32([3], [1, 2, 3])), 'f32', [3], [4, 0, 2]);
    const t = f32([2, 3], [1, 1, 1, 1, 1, 1]);
    // axis 1: updates[r, j] is added to t[r, idx[j]].
    expectTensor(I.scatterAdd(t, i32([2], [2, 2]), f32([2, 2], [10, 20, 30, 40]), 1), 'f32', [2, 3], [1, 1, 31, 1, 1, 71]);
    expectTensor(I.scatterAdd(i32([2], [5, 5]), i32([1], [1]), i32([1], [-5])), 'i32', [2], [5, 0]);
    expect(() => I.scatterAdd(t, i32([1], [0]), f32([2], [1, 2]))).toThrow(/updates shape/);
    expect(() => I.scatterAdd(t, i32([1], [2]), f32([1, 3], [1, 2, 3]))).toThrow(/index 2 out of range \[0, 2\)/);
  });

  it('takeAlongAxis', () => {
    const a = f32([2, 3], [10, 30, 20, 60, 40, 50]);
    expectTensor(I.takeAlongAxis(a, i32([2, 1], [1, 0]), 1), 'f32', [2, 1], [30, 60]);
    expectTensor(I.takeAlongAxis(a, i32([1, 3], [1, 0, 1]), 0), 'f32', [1, 3], [60, 30, 50]);
    // Off-axis dims broadcast: one index row applies to both rows.
    expectTensor(I.takeAlongAxis(a, i32([1, 2], [2, 2]), 1), 'f32', [2, 2], [20, 20, 50, 50]);
    expect(() => I.takeAlongAxis(a, i32([2, 1], [0, 3]), 1)).toThrow(/index 3 out of range \[0, 3\)/);
    expect(() => I.takeAlongAxis(a, i32([2], [0, 1]), 1)).toThrow(/rank/);
  });

  it('oneHot', () => {
    expectTensor(I.oneHot(i32([2], [2, 0]), 3), 'f32', [2, 3], [0, 0, 1, 1, 0, 0]);
    expectTensor(I.oneHot(i32([], [1]), 2), 'f32', [2], [0, 1]);
    expect(() => I.oneHot(i32([1], [3]), 3)).toThrow(/index 3 out of range \[0, 3\)/);
  });
});

describe('argsort / sort / topk', () => {
  it('argsort is stable in both directions', () => {
    expectTensor(I.argsort(f32([4], [3, 1, 2, 1])), 'i32', [4], [1, 3, 2, 0]);
    expectTensor(I.argsort(f32([4], [3, 1, 2, 1]), -1, true), 'i32', [4], [0, 2, 1, 3]);
    expectTensor(I.argsort(f32([4], [1, 5, 1, 5]), 0, true), 'i32', [4], [1, 3, 0, 2]);
    expectTensor(I.argsort(f32([3], [NaN, 1, 0])), 'i32', [3], [2, 1, 0]);
    expectTensor(I.argsort(f32([2, 2], [4, 1, 2, 3]), 0), 'i32', [2, 2], [1, 0, 0, 1]);
  });

  it('sort', () => {
    expectTensor(I.sort(f32([2, 3], [3, 1, 2, 0, 9, -1])), 'f32', [2, 3], [1, 2, 3, -1, 0, 9]);
    expectTensor(I.sort(i32([2, 2], [4, 1, 2, 3]), 0, true), 'i32', [2, 2], [4, 3, 2, 1]);
  });

  it('topk', () => {
    const { values: v, indices } = I.topk(f32([1, 4], [1, 3, 2, 3]), 2);
    expectTensor(v, 'f32', [1, 2], [3, 3]);
    expectTensor(indices, 'i32', [1, 2], [1, 3]);
    const r = I.topk(f32([2, 3], [5, 9, 7, -1, -3, -2]), 1);
    expectTensor(r.values, 'f32', [2, 1], [9, -1]);
    expectTensor(r.indices, 'i32', [2, 1], [1, 0]);
    expectTensor(I.topk(f32([3], [1, 2, 3]), 0).values, 'f32', [0], []);
    expect(() => I.topk(f32([3], [1, 2, 3]), 4)).toThrow(/k = 4/);
  });
});

describe('index properties', () => {
  const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

  it('scatterAdd is the adjoint of gather: <gather(x, i), u> == <x, scatterAdd(0, i, u)>', () => {
    const arb = shapes({ rank: [1, 3] }).chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), shapes({ rank: [0, 2] })))
      .chain(([s, axis, is]) => fc.tuple(
        intF32Arb(s),
        fc.array(fc.nat(s[axis] - 1), { minLength: is.reduce((a, b) => a * b, 1), maxLength: is.reduce((a, b) => a * b, 1) }).map((v) => i32(is, v)),
        fc.constant(axis),
      ))
      .chain(([x, idx, axis]) => fc.tuple(fc.constant(x), fc.constant(idx), fc.constant(axis),
        intF32Arb([...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)])));
    fc.assert(fc.property(arb, ([x, idx, axis, u]) => {
      const left = dot(values(I.gather(x, idx, axis)), values(u));
      const right = dot(values(x), values(I.scatterAdd(zeros('f32', x.shape), idx, u, axis)));
      expect(left).toBe(right);
    }));
  });

  it('gather along axis 0 equals oneHot(i) @ x', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 })).chain(([n, d]) =>
      fc.tuple(intF32Arb([n, d]), fc.array(fc.nat(n - 1), { maxLength: 6 }).map((v) => i32([v.length], v))));
    fc.assert(fc.property(arb, ([x, idx]) => {
      expect(values(matmul(I.oneHot(idx, x.shape[0]), x))).toEqual(values(I.gather(x, idx)));
    }));
  });

  const lanesArb = shapes({ rank: [1, 3], dim: [1, 5] }).chain((s) => fc.tuple(
    fc.array(fc.integer({ min: -3, max: 3 }), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }).map((v) => f32(s, v)),
    fc.integer({ min: -s.length, max: s.length - 1 }),
    fc.boolean(),
  ));

  it('argsort gives a permutation that sorts, stably', () => {
    fc.assert(fc.property(lanesArb, ([x, axis, desc]) => {
      const perm = lanesOf(I.argsort(x, axis, desc), axis);
      lanesOf(x, axis).forEach((lane, j) => {
        const p = perm[j];
        expect([...p].sort((a, b) => a - b)).toEqual(lane.map((_, k) => k));
        for (let r = 1; r < p.length; r++) {
          const [prev, cur] = [lane[p[r - 1]], lane[p[r]]];
          expect(desc ? prev >= cur : prev <= cur).toBe(true);
          if (prev === cur) expect(p[r - 1]).toBeLessThan(p[r]);
        }
      });
    }));
  });

  it('topk values are the first k of a descending sort', () => {
    const arb = lanesArb.chain(([x]) => fc.tuple(fc.constant(x), fc.nat(x.shape[x.shape.length - 1])));
    fc.assert(fc.property(arb, ([x, k]) => {
      const { values: v, indices } = I.topk(x, k);
      const sorted = lanesOf(I.sort(x, -1, true), -1);
      const lanes = lanesOf(x, -1);
      lanesOf(v, -1).forEach((lane, j) => expect(lane).toEqual(sorted[j].slice(0, k)));
      lanesOf(indices, -1).forEach((ix, j) => expect(ix.map((i) => lanes[j][i])).toEqual(sorted[j].slice(0, k)));
    }));
  });
});
