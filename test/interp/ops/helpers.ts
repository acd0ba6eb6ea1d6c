/** Shared test helpers for the reference ops: literal checks and fast-check arbitraries. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type DType, type Shape, type Tensor, size, tensor } from '../../../runtime/interp/ops/tensor.ts';

export const f32 = (shape: Shape, values: readonly number[]): Tensor => tensor('f32', shape, values);
export const i32 = (shape: Shape, values: readonly number[]): Tensor => tensor('i32', shape, values);
export const bool = (shape: Shape, values: readonly (number | boolean)[]): Tensor => tensor('bool', shape, values);

/**
 * Asserts dtype, shape and values. With tol = 0 values must match exactly
 * (NaN matches NaN); otherwise |got - want| <= tol * max(1, |want|).
 */
export function expectTensor(t: Tensor, dtype: DType, shape: Shape, want: readonly number[], tol = 0): void {
  expect(t.dtype).toBe(dtype);
  expect([...t.shape]).toEqual([...shape]);
  expect(t.data.length).toBe(want.length);
  want.forEach((w, i) => {
    const g = t.data[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w));
    if (!ok) expect.fail(`element ${i}: got ${g}, want ${w} (tol ${tol}) in [${Array.from(t.data).join(', ')}]`);
  });
}

export const values = (t: Tensor): number[] => Array.from(t.data);

export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** Small integers stored as f32: sums and products of them are exact, so order never matters. */
export const intF32Arb = (shape: Shape): fc.Arbitrary<Tensor> =>
  fc.array(fc.integer({ min: -8, max: 8 }), { minLength: size(shape), maxLength: size(shape) }).map((v) => f32(shape, v));

/** Arbitrary finite f32 values of moderate magnitude. */
export const f32Arb = (shape: Shape, bound = 10): fc.Arbitrary<Tensor> =>
  fc.array(fc.float({ min: Math.fround(-bound), max: Math.fround(bound), noNaN: true }), { minLength: size(shape), maxLength: size(shape) })
    .map((v) => f32(shape, v));

export const intTensorArb = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<Tensor> =>
  shapeArb(minRank, maxRank, maxDim).chain(intF32Arb);

/** x's lanes along `axis` as plain arrays, in the order of the reduced output. */
export function lanesOf(x: Tensor, axis: number): number[][] {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const n = x.shape[ax];
  const inner = size(x.shape.slice(ax + 1));
  const outer = size(x.shape.slice(0, ax));
  const out: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.push(Array.from({ length: n }, (_, k) => x.data[(o * n + k) * inner + i]));
  }
  return out;
}
