-- A file that does not parse; its block expects the syntax error.
-- ==
-- error: syntax error: expected .*, found '\)'
fn f(x: f32) -> f32 = (x,)
