-- This file fails to check, but not with the message its block expects.
-- ==
-- error: an entirely different message
fn bad(x: f32[2]) -> f32[3] = x
