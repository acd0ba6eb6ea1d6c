-- This file checks, so its block's compile error fails.
-- ==
-- error: do not broadcast
fn fine[n](x: f32[n], y: f32[n]) -> f32[n] = x + y
