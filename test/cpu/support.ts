// Comparing the cpu backend's outputs with the interpreter's.
import { expect } from 'vitest';
import type { Tensor } from '../../runtime/interp/ops/tensor.ts';

export const REL_TOL = 1e-5;

/** Equal (NaN matching NaN), or with `approx` within REL_TOL·max(1, |want|). */
export function same(got: number, want: number, approx: boolean): boolean {
  if (got === want || (Number.isNaN(got) && Number.isNaN(want))) return true;
  return approx && Math.abs(got - want) <= REL_TOL * Math.max(1, Math.abs(want));
}

export function expectAgree(got: readonly Tensor[], want: readonly Tensor[], approx: readonly boolean[], context: () => string): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, k) => {
    const g = got[k]!;
    expect([g.dtype, ...g.shape]).toEqual([w.dtype, ...w.shape]);
    for (let i = 0; i < w.data.length; i++) {
      if (!same(g.data[i]!, w.data[i]!, approx[k]!)) expect.fail(`output ${k} element ${i}: cpu ${g.data[i]}, interpreter ${w.data[i]}\n${context()}`);
    }
  });
}
