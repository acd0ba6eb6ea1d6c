-- Passing test blocks of every kind, run by test/cli/test_command.test.ts.

-- Size parameters inferred from the inputs' shapes.
-- ==
-- input { [1.0, 2.0, 3.0] } output { 14.0 }
-- input { [0.0] } output { 0.0 }
-- structure { kernels 1 }
fn sumsq[n](x: f32[n]) -> f32 = sum(x * x)

-- ==
-- input { [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] } output { [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]] }
fn flip[m, n](x: f32[m, n]) -> f32[n, m] = transpose(x)

-- f32 results match within 1e-5 relative + 1e-6 absolute.
-- ==
-- input { 0.1 0.2 } output { 0.3 }
-- input { 1000.0 0.001 } output { 1000.001 }
fn add(x: f32, y: f32) -> f32 = x + y

-- i32 and bool results match exactly; integer literals are i32 for i32 parameters.
-- ==
-- input { [3, 1, 2] } output { 6 }
-- input { [7i32] } output { 7i32 }
fn total[n](x: i32[n]) -> i32 = sum(x)

-- ==
-- input { [1.0, -2.0, 3.0] 0 } output { [true, false, true] }
fn above[n](x: f32[n], t: f32) -> bool[n] = x > t

-- An error case: the call must fail with a matching message.
-- ==
-- input { [10.0, 20.0, 30.0] [2, 0] } output { [30.0, 10.0] }
-- input { [10.0, 20.0] [5] } error: out of range
fn pick[n, k](x: f32[n], i: i32[k]) -> f32[k] = gather(x, i)

-- Records and tuples, in inputs and outputs; several outputs are a tuple.
-- ==
-- input { { w: [1.0, 2.0], b: 0.5 } 2.0 } output { { w: [2.0, 4.0], b: 1.0 } }
fn scale_all[n](p: { w: f32[n], b: f32 }, s: f32) -> { w: f32[n], b: f32 } = tree.map(fn(x) = x * s, p)

-- ==
-- input { ([1.0, 2.0], 3) } output { 6 [2.0, 3.0] }
-- input { ([5.0], -1) } output { (-2, [6.0]) }
fn swap[n](p: (f32[n], i32)) -> (i32, f32[n]) = let (x, k) = p in (k * 2, x + 1.0)

-- One block for several functions.
fn double(x: f32) -> f32 = 2.0 * x
fn twice(x: f32) -> f32 = x + x

-- ==
-- entry: double twice
-- input { 1.5 } output { 3.0 }
-- input { -2f32 } output { -4.0 }

-- Sizes that disagree are an error when calling.
-- ==
-- input { [1.0, 2.0] [3.0, 4.0] } output { 11.0 }
-- input { [1.0] [1.0, 2.0] } error: size n is 1 here, but the argument has 2
fn dot[n](x: f32[n], y: f32[n]) -> f32 = sum(x * y)
