-- The f32 matmul the benchmark times: one n×n by n×n product.
fn matmul[n](a: f32[n, n], b: f32[n, n]) -> f32[n, n] =
  a @ b
