-- A file that must not check, with the messages it must give.

-- ==
-- error: do not broadcast
-- error: shapes \[n\] and \[m\]
fn bad[n, m](x: f32[n], y: f32[m]) -> f32[n] = x + y
