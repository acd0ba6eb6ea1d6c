import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul } from '../../../runtime/interp/ops/matmul.ts';
import { type Tensor, broadcastShapes, broadcastStrides, forEachIndex, offset, size } from '../../../runtime/interp/ops/tensor.ts';
import { tensors } from '../../../testing.ts';
import { expectTensor, f32, i32, values } from './helpers.ts';

describe('matmul', () => {
  it('2-D @ 2-D', () => {
    expectTensor(matmul(f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [5, 6, 7, 8])), 'f32', [2, 2], [19, 22, 43, 50]);
    expectTensor(matmul(f32([1, 3], [1, 2, 3]), f32([3, 1], [4, 5, 6])), 'f32', [1, 1], [32]);
    expectTensor(matmul(i32([2, 0], []), i32([0, 3], [])), 'i32', [2, 3], [0, 0, 0, 0, 0, 0]);
  });

  it('1-D operands are promoted and the extra axis dropped', () => {
    expectTensor(matmul(f32([3], [1, 2, 3]), f32([3], [4, 5, 6])), 'f32', [], [32]);
    expectTensor(matmul(f32([2], [1, 2]), f32([2, 3], [1, 2, 3, 4, 5, 6])), 'f32', [3], [9, 12, 15]);
    expectTensor(matmul(f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [1, 0, -1])), 'f32', [2], [-2, -2]);
    // 1-D @ batched: the vector broadcasts over the batch.
    expectTensor(matmul(f32([2], [1, 1]), f32([2, 2, 1], [1, 2, 3, 4])), 'f32', [2, 1], [3, 7]);
  });

  it('batch dims broadcast', () => {
    const a = f32([2, 1, 2], [1, 2, 3, 4]); // [[1, 2]] and [[3, 4]]
    expectTensor(matmul(a, f32([2, 1], [1, 1])), 'f32', [2, 1, 1], [3, 7]);
    const b = f32([3, 2, 1], [1, 0, 0, 1, 1, 1]);
    expectTensor(matmul(f32([1, 1, 2], [5, 7]), b), 'f32', [3, 1, 1], [5, 7, 12]);
    expectTensor(matmul(a, f32([3, 1, 2, 1], [1, 0, 0, 1, 1, 1])), 'f32', [3, 2, 1, 1], [1, 3, 2, 4, 3, 7]);
  });

  it('i32 wraps; errors', () => {
    expectTensor(matmul(i32([2], [65536, 1]), i32([2], [65536, 5])), 'i32', [], [5]);
    expect(() => matmul(f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2]))).toThrow(/inner dimensions/);
    expect(() => matmul(f32([], [1]), f32([1], [1]))).toThrow(RangeError);
    expect(() => matmul(f32([2, 1, 1], [1, 2]), f32([3, 1, 1], [1, 2, 3]))).toThrow(/cannot broadcast/);
    expect(() => matmul(f32([1], [1]), i32([1], [1]))).toThrow(TypeError);
  });
});

/** Textbook triple loop in float64, each dot product rounded to float32 once. */
function naive(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const sa = broadcastStrides(a.shape.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), batch);
  const out: number[] = [];
  forEachIndex(batch, (idx) => {
    const A = offset(idx, sa) * m * k;
    const B = offset(idx, sb) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[A + i * k + p] * b.data[B + p * n + j];
        out.push(Math.fround(s));
      }
    }
  });
  return out;
}

describe('matmul properties', () => {
  it('agrees with a float64 triple loop on random (broadcast) batches', () => {
    const dim = fc.integer({ min: 1, max: 5 });
    const batchPair = fc.array(fc.tuple(dim, fc.constantFrom('both', 'a1', 'b1')), { maxLength: 3 }).map((ds) => ({
      a: ds.map(([d, w]) => (w === 'a1' ? 1 : d)),
      b: ds.map(([d, w]) => (w === 'b1' ? 1 : d)),
    }));
    const arb = fc.tuple(batchPair, dim, dim, dim, fc.nat(2), fc.nat(2)).chain(([bt, m, k, n, dropA, dropB]) => {
      // Randomly drop leading batch axes from either side to exercise rank broadcasting.
      const sa = [...bt.a.slice(dropA), m, k];
      const sb = [...bt.b.slice(dropB), k, n];
      return fc.tuple(tensors(sa, { min: -10, max: 10 }), tensors(sb, { min: -10, max: 10 }));
    });
    fc.assert(fc.property(arb, ([a, b]) => {
      const c = matmul(a, b);
      expect(size(c.shape)).toBe(naive(a, b).length);
      expect(values(c)).toEqual(naive(a, b));
    }));
  });
});
