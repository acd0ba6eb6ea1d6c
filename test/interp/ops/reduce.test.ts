import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as R from '../../../runtime/interp/ops/reduce.ts';
import { shapes, tensors } from '../../../testing.ts';
import { bool, expectTensor, f32, i32, intF32Arb, intTensorArb, lanesOf, values } from './helpers.ts';

const T = 1e-6;
const x23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);

describe('sum / mean / max / min', () => {
  it('sum over axes, negative axes, keepdims', () => {
    expectTensor(R.sum(x23), 'f32', [], [21]);
    expectTensor(R.sum(x23, [0]), 'f32', [3], [5, 7, 9]);
    expectTensor(R.sum(x23, [-1]), 'f32', [2], [6, 15]);
    expectTensor(R.sum(x23, [1], true), 'f32', [2, 1], [6, 15]);
    expectTensor(R.sum(x23, [0, 1], true), 'f32', [1, 1], [21]);
    expectTensor(R.sum(x23, []), 'f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const x222 = i32([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    expectTensor(R.sum(x222, [0, 2]), 'i32', [2], [10, 18]);
    expectTensor(R.sum(bool([3], [1, 0, 1])), 'i32', [], [2]);
    expectTensor(R.sum(f32([0, 2], [])), 'f32', [], [0]);
    expect(() => R.sum(x23, [0, -2])).toThrow(/duplicate/);
    expect(() => R.sum(x23, [2])).toThrow(RangeError);
  });

  it('sum accumulates in float64', () => {
    // A float32 running sum would give 0: 1e8 + 1 rounds back to 1e8.
    expectTensor(R.sum(f32([3], [1e8, 1, -1e8])), 'f32', [], [1]);
  });

  it('mean', () => {
    expectTensor(R.mean(x23, [0]), 'f32', [3], [2.5, 3.5, 4.5]);
    expectTensor(R.mean(i32([2], [1, 2])), 'f32', [], [1.5]);
    expectTensor(R.mean(f32([0], [])), 'f32', [], [NaN]);
  });

  it('max / min', () => {
    expectTensor(R.max(x23, [1]), 'f32', [2], [3, 6]);
    expectTensor(R.min(x23, [0], true), 'f32', [1, 3], [1, 2, 3]);
    expectTensor(R.max(f32([3], [1, NaN, 5])), 'f32', [], [NaN]);
    expectTensor(R.min(i32([3], [4, -2, 9])), 'i32', [], [-2]);
    expect(() => R.max(f32([2, 0], []), [1])).toThrow(/empty/);
    expectTensor(R.max(f32([0, 2], []), [1]), 'f32', [0], []);
  });

  it('argmax takes the first maximum', () => {
    const a = f32([2, 3], [1, 3, 3, 2, 0, -1]);
    expectTensor(R.argmax(a, 1), 'i32', [2], [1, 0]);
    expectTensor(R.argmax(a, 0, true), 'i32', [1, 3], [1, 0, 0]);
    expectTensor(R.argmax(f32([4], [1, NaN, 7, NaN]), 0), 'i32', [], [1]);
    expect(() => R.argmax(f32([0], []), 0)).toThrow(RangeError);
  });
});

describe('logsumexp / softmax / cumsum / norm', () => {
  it('logsumexp is stable', () => {
    expectTensor(R.logsumexp(f32([4], [0, 0, 0, 0]), 0), 'f32', [], [1.386294361], T);
    expectTensor(R.logsumexp(f32([2, 2], [1000, 1000, -1000, -1000]), 1), 'f32', [2], [1000.693147181, -999.306852819], T);
    expectTensor(R.logsumexp(f32([2], [-Infinity, -Infinity]), 0, true), 'f32', [1], [-Infinity]);
    expectTensor(R.logsumexp(f32([2], [Infinity, 1]), 0), 'f32', [], [Infinity]);
  });

  it('softmax is stable', () => {
    expectTensor(R.softmax(f32([3], [1, 2, 3])), 'f32', [3], [0.090030573, 0.244728471, 0.665240956], T);
    expectTensor(R.softmax(f32([2], [1000, 1000])), 'f32', [2], [0.5, 0.5]);
    expectTensor(R.softmax(f32([2, 2], [0, 0, 1000, 0]), 0), 'f32', [2, 2], [0, 0.5, 1, 0.5]);
  });

  it('cumsum', () => {
    expectTensor(R.cumsum(x23, 1), 'f32', [2, 3], [1, 3, 6, 4, 9, 15]);
    expectTensor(R.cumsum(x23, -2), 'f32', [2, 3], [1, 2, 3, 5, 7, 9]);
    expectTensor(R.cumsum(bool([3], [1, 1, 0]), 0), 'i32', [3], [1, 2, 2]);
  });

  it('norm', () => {
    expectTensor(R.norm(f32([2], [3, 4])), 'f32', [], [5]);
    expectTensor(R.norm(f32([2, 2], [1, 2, 2, 4])), 'f32', [], [5]);
    expectTensor(R.norm(i32([1], [-2])), 'f32', [], [2]);
  });
});

describe('reduction properties', () => {
  const withAxis = intTensorArb(1).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.shape.length, max: x.shape.length - 1 })));

  it('softmax lanes are in [0, 1] and sum to 1', () => {
    const arb = shapes({ rank: [1, 3] }).chain((s) => fc.tuple(tensors(s, { min: -50, max: 50 }), fc.integer({ min: -s.length, max: s.length - 1 })));
    fc.assert(fc.property(arb, ([x, axis]) => {
      const p = R.softmax(x, axis);
      for (const v of values(p)) expect(v >= 0 && v <= 1).toBe(true);
      for (const s of values(R.sum(p, [axis]))) expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }));
  });

  it('summing all axes equals summing one axis at a time', () => {
    fc.assert(fc.property(intTensorArb(), (x) => {
      let y = x;
      while (y.shape.length > 0) y = R.sum(y, [0]);
      expect(values(y)).toEqual(values(R.sum(x)));
    }));
  });

  it('max bounds every element and argmax points at its first occurrence', () => {
    fc.assert(fc.property(withAxis, ([x, axis]) => {
      const m = values(R.max(x, [axis]));
      const arg = values(R.argmax(x, axis));
      lanesOf(x, axis).forEach((lane, j) => {
        for (const v of lane) expect(v).toBeLessThanOrEqual(m[j]);
        expect(lane.indexOf(m[j])).toBe(arg[j]);
      });
    }));
  });

  it('cumsum ends with the sum; logsumexp matches log(sum(exp)) for moderate values', () => {
    fc.assert(fc.property(withAxis, ([x, axis]) => {
      const lastOfLanes = lanesOf(R.cumsum(x, axis), axis).map((lane) => lane[lane.length - 1]);
      expect(lastOfLanes).toEqual(values(R.sum(x, [axis])));
      const lse = values(R.logsumexp(x, axis));
      lanesOf(x, axis).forEach((lane, j) => {
        const naive = Math.log(lane.reduce((s, v) => s + Math.exp(v), 0));
        expect(Math.abs(lse[j] - naive)).toBeLessThan(1e-5 * Math.max(1, Math.abs(naive)));
      });
    }));
  });

  it('mean equals sum divided by the count', () => {
    fc.assert(fc.property(shapes({ rank: [1, 3] }).chain(intF32Arb), (x) => {
      const n = x.data.length;
      expect(Math.abs(values(R.mean(x))[0] - values(R.sum(x))[0] / n)).toBeLessThan(1e-6 * Math.max(1, Math.abs(values(R.sum(x))[0])));
    }));
  });
});
