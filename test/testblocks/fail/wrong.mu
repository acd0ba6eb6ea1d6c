-- Failing cases, run by test/cli/test_command.test.ts.

-- ==
-- input { [1.0, 2.0] } output { 5.0 }
-- input { [1.0, 2.0] } output { 5.1 }
-- input { [1.0, 2.0] } output { [5.0] }
fn sumsq[n](x: f32[n]) -> f32 = sum(x * x)

-- ==
-- input { [1, 2, 3] } output { [2, 4, 7] }
-- input { [1, 2] } output { [2.0, 4.0] }
-- input { [1, 2] } output { [true, false] }
fn double[n](x: i32[n]) -> i32[n] = 2 * x

-- ==
-- input { { w: [1.0], b: 2.0 } } output { { w: [1.0], b: 3.0 } }
-- input { { w: [1.0] } } output { { w: [1.0], b: 2.0 } }
fn keep[n](p: { w: f32[n], b: f32 }) -> { w: f32[n], b: f32 } = p

-- ==
-- input { [10.0, 20.0] [1] } error: out of range
-- input { [10.0, 20.0] [7] } error: no such thing
-- input { [10.0, 20.0] [7] } output { [1.0] }
fn pick[n, k](x: f32[n], i: i32[k]) -> f32[k] = gather(x, i)

-- Inputs that do not fit the parameters fail the case, error case or not.
-- ==
-- input { [[-1.0]] } error: expected f32
-- input { 1.5 } output { 1.5 }
-- input { } output { 1.0 }
-- input { 1 2 } output { 1.0 }
-- input { [1.0, [2.0]] } output { 1.0 }
fn first(x: f32) -> f32 = x

-- ==
-- entry: nowhere
-- input { 1.0 } output { 1.0 }

-- A type parameter takes the input's own type (this case passes among the failing ones).
-- ==
-- input { { a: [1.0, 2.0], b: 2.0 } 3.0 } output { { a: [3.0, 6.0], b: 6.0 } }
fn scale[W: type](p: W, s: f32) -> W = tree.map(fn(x) = x * s, p)
