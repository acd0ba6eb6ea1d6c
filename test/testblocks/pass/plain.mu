-- No test blocks here.
fn id(x: f32) -> f32 = x
