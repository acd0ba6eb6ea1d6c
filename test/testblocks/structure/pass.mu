-- Structure blocks that hold, run by test/testblocks/structure.test.ts: each entry's graph is
-- scheduled by the fusion scheduler, whatever the backend, and its kernels are counted.

-- The sizes come from the first case's inputs: the square is the sum's prologue.
-- ==
-- input { [1.0, 2.0, 3.0] } output { 14.0 }
-- structure { kernels 1 reduce 1 }
fn sumsq[n](x: f32[n]) -> f32 = sum(x * x)

-- Without a case, constant sizes are enough; the bias and gelu are the matmul's epilogue.
-- ==
-- structure { kernels 1 matmul 1 fused 0 }
fn linear_gelu(x: f32[8, 4], w: f32[4, 16], b: f32[16]) -> f32[8, 16] = gelu(x @ w + b)

-- Softmax: the max, the sum of exp(x - max), and the division (exp is recomputed, not stored).
-- ==
-- input { [[1.0, 2.0], [3.0, 5.0]] } output { [[0.26894142, 0.7310586], [0.11920292, 0.8807971]] }
-- structure { kernels 3 reduce 2 elementwise 1 }
fn soft[m, n](x: f32[m, n]) -> f32[m, n] = softmax(x, axis = -1)

-- One block for several entries: each is counted.
fn scaled(x: f32[4]) -> f32[4] = 2.0 * x + 1.0
fn shifted(x: f32[4]) -> f32[4] = exp(x - 1.0)

-- ==
-- entry: scaled shifted
-- structure { kernels 1 elementwise 1 library 0 }
