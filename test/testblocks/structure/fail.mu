-- Structure blocks that fail, run by test/testblocks/structure.test.ts, and why.

-- Counted wrong: the message names expected and found, and lists the kernels.
-- ==
-- input { [[1.0, 2.0], [3.0, 5.0]] } output { [[0.26894142, 0.7310586], [0.11920292, 0.8807971]] }
-- structure { kernels 1 reduce 2 }
fn soft[m, n](x: f32[m, n]) -> f32[m, n] = softmax(x, axis = -1)

-- A count with no such name.
-- ==
-- structure { kernel 1 }
fn one(x: f32[4]) -> f32[4] = x + 1.0

-- Sizes that no case gives.
-- ==
-- structure { kernels 1 }
fn sized[n](x: f32[n]) -> f32[n] = x + 1.0

-- Host code has no kernels of its own to count.
-- ==
-- structure { kernels 1 }
fn host() {
  print(1)
}
