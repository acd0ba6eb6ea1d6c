-- Muon's 5-step quintic Newton–Schulz orthogonalization, exactly as the optimizer runs it
-- (std.optim: X0 = G/(‖G‖_F + 1e-7), transposed first when rows > cols).
import std.optim

fn orthogonalize[rows, cols](g: f32[rows, cols]) -> f32[rows, cols] =
  optim.orthogonalize_matrix(g)
