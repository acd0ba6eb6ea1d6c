import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as E from '../../../runtime/interp/ops/elementwise.ts';
import { broadcastTo } from '../../../runtime/interp/ops/shape.ts';
import { shapes } from '../../../testing.ts';
import { bool, expectTensor, f32, i32, intF32Arb, values } from './helpers.ts';

const T = 1e-6;

describe('unary', () => {
  it('neg, abs, sign, floor, relu', () => {
    expectTensor(E.neg(f32([3], [1, -2, 0])), 'f32', [3], [-1, 2, 0]);
    expectTensor(E.neg(i32([2], [5, -2147483648])), 'i32', [2], [-5, -2147483648]); // wraps
    expectTensor(E.abs(f32([3], [-3, 0, 2.5])), 'f32', [3], [3, 0, 2.5]);
    expectTensor(E.sign(f32([4], [-3, 0, 2, NaN])), 'f32', [4], [-1, 0, 1, NaN]);
    expectTensor(E.sign(i32([3], [-7, 0, 9])), 'i32', [3], [-1, 0, 1]);
    expectTensor(E.floor(f32([4], [1.5, -1.5, 2, -0.25])), 'f32', [4], [1, -2, 2, -1]);
    expectTensor(E.relu(f32([4], [-1, 0, 3.5, NaN])), 'f32', [4], [0, 0, 3.5, NaN]);
    expectTensor(E.relu(i32([2], [-4, 4])), 'i32', [2], [0, 4]);
  });

  it('exp, log, sqrt, rsqrt, tanh', () => {
    expectTensor(E.exp(f32([3], [0, 1, -1])), 'f32', [3], [1, 2.718281828, 0.367879441], T);
    expectTensor(E.log(f32([4], [1, 0.5, 0, -1])), 'f32', [4], [0, -0.693147181, -Infinity, NaN], T);
    expectTensor(E.sqrt(f32([4], [4, 2, 0, -1])), 'f32', [4], [2, 1.414213562, 0, NaN], T);
    expectTensor(E.rsqrt(f32([3], [4, 0.25, 0])), 'f32', [3], [0.5, 2, Infinity]);
    expectTensor(E.tanh(f32([3], [0, 1, -20])), 'f32', [3], [0, 0.761594156, -1], T);
  });

  it('sigmoid, silu, gelu (tanh approximation)', () => {
    expectTensor(E.sigmoid(f32([4], [0, 2, -1000, 1000])), 'f32', [4], [0.5, 0.880797078, 0, 1], T);
    expectTensor(E.silu(f32([3], [0, 1, -1])), 'f32', [3], [0, 0.731058579, -0.268941421], T);
    expectTensor(E.gelu(f32([4], [0, 1, -1, 2])), 'f32', [4], [0, 0.841191991, -0.158808009, 1.954597694], T);
  });

  it('not, and dtype checks', () => {
    expectTensor(E.not(bool([2], [1, 0])), 'bool', [2], [0, 1]);
    expect(() => E.exp(i32([1], [1]))).toThrow(TypeError);
    expect(() => E.not(f32([1], [1]))).toThrow(TypeError);
    expect(() => E.neg(bool([1], [1]))).toThrow(TypeError);
  });
});

describe('binary', () => {
  it('add/sub/mul broadcast', () => {
    const col = f32([2, 1], [10, 20]);
    const row = f32([3], [1, 2, 3]);
    expectTensor(E.add(col, row), 'f32', [2, 3], [11, 12, 13, 21, 22, 23]);
    expectTensor(E.sub(col, row), 'f32', [2, 3], [9, 8, 7, 19, 18, 17]);
    expectTensor(E.mul(row, f32([], [2])), 'f32', [3], [2, 4, 6]);
    expect(() => E.add(f32([2], [1, 2]), f32([3], [1, 2, 3]))).toThrow(/cannot broadcast/);
    expect(() => E.add(f32([1], [1]), i32([1], [1]))).toThrow(TypeError);
  });

  it('f32 results are rounded to float32', () => {
    expectTensor(E.div(f32([2], [1, 1]), f32([2], [4, 3])), 'f32', [2], [0.25, 0.3333333432674408]);
    expectTensor(E.add(f32([1], [16777216]), f32([1], [1])), 'f32', [1], [16777216]);
  });

  it('i32 arithmetic wraps', () => {
    expectTensor(E.mul(i32([2], [65536, 46341]), i32([2], [65536, 46341])), 'i32', [2], [0, -2147479015]);
    expectTensor(E.add(i32([1], [2147483647]), i32([1], [1])), 'i32', [1], [-2147483648]);
  });

  it('div: f32 true division, i32 floor division', () => {
    expectTensor(E.div(f32([3], [1, -1, 0]), f32([], [0])), 'f32', [3], [Infinity, -Infinity, NaN]);
    expectTensor(E.div(i32([4], [7, -7, 7, -7]), i32([4], [2, 2, -2, -2])), 'i32', [4], [3, -4, -4, 3]);
    expect(() => E.div(i32([1], [1]), i32([1], [0]))).toThrow(/division by zero/);
  });

  it('mod is floored (sign of the divisor)', () => {
    expectTensor(E.mod(i32([4], [7, -7, 7, -7]), i32([4], [2, 2, -2, -2])), 'i32', [4], [1, 1, -1, -1]);
    expectTensor(E.mod(f32([4], [5.5, -5.5, 5.5, 1]), f32([4], [2, 2, -2, 0])), 'f32', [4], [1.5, 0.5, -0.5, NaN]);
    expect(() => E.mod(i32([1], [1]), i32([1], [0]))).toThrow(RangeError);
  });

  it('pow', () => {
    expectTensor(E.pow(f32([3], [2, 4, 9]), f32([3], [3, 0.5, -1])), 'f32', [3], [8, 2, 0.111111111], T);
    expectTensor(E.pow(i32([4], [2, 3, 2, 3]), i32([4], [10, 2, 31, 20])), 'i32', [4], [1024, 9, -2147483648, -808182895]);
    expect(() => E.pow(i32([1], [2]), i32([1], [-1]))).toThrow(/negative/);
  });

  it('max/min propagate NaN', () => {
    expectTensor(E.max(f32([3], [1, 5, NaN]), f32([3], [2, 3, 0])), 'f32', [3], [2, 5, NaN]);
    expectTensor(E.min(i32([2], [1, 5]), i32([], [3])), 'i32', [2], [1, 3]);
  });

  it('comparisons give bool', () => {
    const a = f32([4], [1, 2, 3, NaN]);
    const b = f32([], [2]);
    expectTensor(E.lt(a, b), 'bool', [4], [1, 0, 0, 0]);
    expectTensor(E.le(a, b), 'bool', [4], [1, 1, 0, 0]);
    expectTensor(E.gt(a, b), 'bool', [4], [0, 0, 1, 0]);
    expectTensor(E.ge(a, b), 'bool', [4], [0, 1, 1, 0]);
    expectTensor(E.eq(a, b), 'bool', [4], [0, 1, 0, 0]);
    expectTensor(E.ne(a, b), 'bool', [4], [1, 0, 1, 1]);
    expectTensor(E.eq(bool([2], [1, 0]), bool([2], [1, 1])), 'bool', [2], [1, 0]);
  });

  it('and/or', () => {
    const p = bool([4], [0, 0, 1, 1]);
    const q = bool([4], [0, 1, 0, 1]);
    expectTensor(E.and(p, q), 'bool', [4], [0, 0, 0, 1]);
    expectTensor(E.or(p, q), 'bool', [4], [0, 1, 1, 1]);
    expect(() => E.and(i32([1], [1]), i32([1], [1]))).toThrow(TypeError);
  });

  it('where broadcasts all three', () => {
    const r = E.where(bool([2, 1], [1, 0]), f32([3], [1, 2, 3]), f32([], [-1]));
    expectTensor(r, 'f32', [2, 3], [1, 2, 3, -1, -1, -1]);
    expect(() => E.where(f32([1], [1]), f32([1], [1]), f32([1], [1]))).toThrow(TypeError);
  });

  it('cast', () => {
    expectTensor(E.cast(f32([6], [1.9, -1.9, NaN, 3e9, -3e9, -0.5]), 'i32'), 'i32', [6], [1, -1, 0, 2147483647, -2147483648, 0]);
    expectTensor(E.cast(f32([4], [0, -0, 2, NaN]), 'bool'), 'bool', [4], [0, 0, 1, 1]);
    expectTensor(E.cast(bool([2], [1, 0]), 'f32'), 'f32', [2], [1, 0]);
    expectTensor(E.cast(i32([2], [16777217, -3]), 'f32'), 'f32', [2], [16777216, -3]);
    expectTensor(E.cast(i32([2], [0, 7]), 'bool'), 'bool', [2], [0, 1]);
  });
});

describe('elementwise properties', () => {
  // b's shape is a suffix of a's with some dims set to 1, so it broadcasts to a's.
  const pair = shapes().chain((s) =>
    fc.tuple(fc.nat(s.length), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }))
      .chain(([drop, ones]) => fc.tuple(intF32Arb(s), intF32Arb(s.map((d, i) => (ones[i] ? 1 : d)).slice(drop)))));

  it('add commutes and broadcasting equals explicit broadcastTo', () => {
    fc.assert(fc.property(pair, ([a, b]) => {
      const s = E.add(a, b);
      expect(values(E.add(b, a))).toEqual(values(s));
      expect(values(E.add(a, broadcastTo(b, a.shape)))).toEqual(values(s));
    }));
  });

  it('i32 floor division and modulo satisfy a == (a // b) * b + a % b', () => {
    const int = fc.integer({ min: -1000, max: 1000 });
    fc.assert(fc.property(int, int.filter((b) => b !== 0), (a, b) => {
      const [q] = values(E.div(i32([], [a]), i32([], [b])));
      const [r] = values(E.mod(i32([], [a]), i32([], [b])));
      expect(q * b + r).toBe(a);
      expect(r === 0 || Math.sign(r) === Math.sign(b)).toBe(true);
      expect(Math.abs(r)).toBeLessThan(Math.abs(b));
    }));
  });

  it('cast f32 -> i32 -> f32 is the identity on small integers', () => {
    fc.assert(fc.property(shapes().chain(intF32Arb), (x) => {
      expect(values(E.cast(E.cast(x, 'i32'), 'f32'))).toEqual(values(x));
    }));
  });
});
