/** Shared test helpers for the reference ops: literal checks and fast-check arbitraries. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type DType, type Shape, type Tensor, size, tensor } from '../../../runtime/interp/ops/tensor.ts';
import { expectAllclose, shapes } from '../../../testing.ts';

export const f32 = (shape: Shape, values: readonly number[]): Tensor => tensor('f32', shape, values);
export const i32 = (shape: Shape, values: readonly number[]): Tensor => tensor('i32', shape, values);
export const bool = (shape: Shape, values: readonly (number | boolean)[]): Tensor => tensor('bool', shape, values);

/**
 * Asserts dtype, shape and values. With tol = 0 values must match exactly (NaN matches NaN);
 * otherwise within allclose's atol + rtol·|want| with atol = rtol = tol/2, which is never looser
 * than tol·max(1, |want|). `want` is compared unrounded (float64).
 */
export function expectTensor(t: Tensor, dtype: DType, shape: Shape, want: readonly number[], tol = 0): void {
  expect(t.dtype).toBe(dtype);
  expectAllclose(t, { dtype, shape, data: Float64Array.from(want) }, { rtol: tol / 2, atol: tol / 2, equalNan: true });
}

export const values = (t: Tensor): number[] => Array.from(t.data);

/** Small integers stored as f32: sums and products of them are exact, so order never matters. */
export const intF32Arb = (shape: Shape): fc.Arbitrary<Tensor> =>
  fc.array(fc.integer({ min: -8, max: 8 }), { minLength: size(shape), maxLength: size(shape) }).map((v) => f32(shape, v));

export const intTensorArb = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<Tensor> =>
  shapes({ rank: [minRank, maxRank], dim: [1, maxDim] }).chain(intF32Arb);

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
