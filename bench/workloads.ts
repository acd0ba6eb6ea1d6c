// The workloads, one definition for every implementation: sizes and FLOP counts.
import type { MlpShape } from './protocol.ts';

export const MATMUL_SIZES: readonly number[] = [256, 512, 1024];

/** Newton–Schulz inputs, rows × cols. */
export const NS_SHAPES: readonly (readonly [number, number])[] = [
  [1024, 1024],
  [768, 3072],
];

export const MLP_SHAPE: MlpShape = { batch: 128, d: 784, h: 1024, c: 10 };

/** Muon's quintic coefficients and step count. */
export const NS_COEFFS = { a: 3.4445, b: -4.775, c: 2.0315, steps: 5 } as const;

/** The AdamW step every MLP implementation takes (decoupled decay, bias correction from t = 1). */
export const ADAMW = { lr: 1e-3, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8 } as const;

export const matmulFlops = (n: number): number => 2 * n ** 3;

/** 5 steps of A = X Xᵀ (2m²n), A·A (2m³), B·X (2m²n) on the wide orientation (m ≤ n). */
export function nsFlops(rows: number, cols: number): number {
  const m = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  return NS_COEFFS.steps * (4 * m * m * n + 2 * m ** 3);
}

/** Forward (2 matmuls) and backward (4 matmuls, less dX of the first layer: 3) of the MLP. */
export function mlpFlops(s: MlpShape): number {
  return 2 * s.batch * (s.d * s.h + s.h * s.c) * 3 - 2 * s.batch * s.d * s.h;
}
