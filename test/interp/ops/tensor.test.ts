import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastShapes, broadcastStrides, forEachIndex, lanes, normAxis, scalar, size, stridesOf, tensor, zeros,
} from '../../../runtime/interp/ops/tensor.ts';
import { shapes } from '../../../testing.ts';
import { expectTensor } from './helpers.ts';

describe('tensor helpers', () => {
  it('size and strides are row-major', () => {
    expect(size([])).toBe(1);
    expect(size([2, 3, 4])).toBe(24);
    expect(size([2, 0])).toBe(0);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([])).toEqual([]);
  });

  it('tensor copies, rounds f32 and validates', () => {
    expectTensor(tensor('f32', [2], [0.1, 1]), 'f32', [2], [0.100000001490116119384765625, 1]);
    expectTensor(tensor('bool', [3], [true, false, 5]), 'bool', [3], [1, 0, 1]);
    expect(() => tensor('i32', [1], [1.5])).toThrow(RangeError);
    expect(() => tensor('i32', [1], [2 ** 31])).toThrow(RangeError);
    expect(() => tensor('f32', [2, 2], [1, 2, 3])).toThrow(/needs 4 values/);
    expect(() => zeros('f32', [-1])).toThrow(RangeError);
    expectTensor(zeros('i32', [2, 2]), 'i32', [2, 2], [0, 0, 0, 0]);
    expectTensor(scalar('f32', 3), 'f32', [], [3]);
  });

  it('broadcastShapes follows NumPy', () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes([], [5])).toEqual([5]);
    expect(broadcastShapes([0], [1])).toEqual([0]);
    expect(() => broadcastShapes([2, 3], [3, 2])).toThrow(/cannot broadcast/);
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
  });

  it('forEachIndex visits row-major', () => {
    const seen: string[] = [];
    forEachIndex([2, 2], (idx, flat) => seen.push(`${idx.join('')}:${flat}`));
    expect(seen).toEqual(['00:0', '01:1', '10:2', '11:3']);
    let n = 0;
    forEachIndex([], () => n++);
    expect(n).toBe(1);
  });

  it('normAxis and lanes', () => {
    expect(normAxis(-1, 3)).toBe(2);
    expect(() => normAxis(3, 3)).toThrow(/axis 3 out of range/);
    expect(lanes([2, 3, 4], 1)).toEqual({ outer: 2, n: 3, inner: 4 });
  });

  it('property: broadcasting is commutative and absorbs ones', () => {
    fc.assert(fc.property(shapes({ rank: [0, 4] }), (s) => {
      expect(broadcastShapes(s, s.map(() => 1))).toEqual(s);
      expect(broadcastShapes([1, ...s], s)).toEqual([1, ...s]);
    }));
  });
});
