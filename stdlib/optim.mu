-- std.optim: optimizers for parameter records — Muon in Moonlight's form, AdamW, SGD with
-- momentum — learning-rate schedules, gradient clipping and update metrics.
--
-- Everything is written once for any parameter record P (a type parameter), leaf by leaf with
-- tree.map. An optimizer is a pure function (params, grads, state, hyperparameters) → (params,
-- state); host code holds the state in a `var` and saves it with the parameters.
--
-- PARAMETER GROUPS (Moonlight, "Muon is Scalable for LLM Training", §2.2 and §3).
-- Muon is for the matrices of the hidden layers; AdamW (β = (0.9, 0.95), ε = 1e-8, the same η and
-- λ) is for the embeddings, the output head, the norm gains and the biases. Embeddings and the head
-- are matrices too, so the rank of a leaf cannot tell them apart: the model says which subtree is
-- "hidden", as Moonlight's own code does with two parameter lists. The rule, `group_moments`:
--
--   in a hidden subtree, a matrix f32[A, B] or any stack of them (experts f32[E, A, B], the
--   expert stacks of a stack of layers f32[L, E, A, B]) gets Muon, each matrix orthogonalized on
--   its own; any other leaf — a vector or a scalar (gain, bias) — gets AdamW; everywhere else
--   (`adamw_moments`), every leaf gets AdamW.
--
-- The rule decides the shape of each leaf's state, and the update reads the choice back from it:
--   Muon leaf:  one moment M, shaped like the parameter         (rank(state) == rank(w))
--   AdamW leaf: two moments stacked, stack((m, v)): f32[2, …]    (rank(state) == rank(w) + 1)
-- So Muon's state holds the momentum only, half of AdamW's, and the choice is written down in
-- exactly one place. The usual layout is a record { hidden: …, other: … } and `init(p)`; for any
-- other layout, build the moments record beside the parameters and call `init_with`:
--
--   var s = optim.init_with({ embed: optim.adamw_moments(p.embed), layers: optim.group_moments(p.layers),
--                             norm: optim.adamw_moments(p.norm), head: optim.adamw_moments(p.head) })
--   (p, s) = optim.step(p, optim.clip_by_global_norm(g, 1.0), s, lr = optim.warmup_cosine(i, 1e-3, 100, 1000))
--
-- To override the rule for one leaf, give it the other state: one_moment(w) for Muon (a matrix or
-- an expert stack only), two_moments(w) for AdamW; for a rule of your own, write it as a function
-- of one leaf and build the moments with tree.map:
--
--   fn my_rule[W: type](w: W) = if rank(w) == 2 then optim.one_moment(w) else optim.two_moments(w)
--   var s = optim.init_with(tree.map(my_rule, p))
--
-- The rule tests the leaf's rank inline: the checker decides an `if` on ranks, sizes and options,
-- but not on what a function returns, and the two branches here have different types.
-- Weight decay applies to every leaf, norm gains included (Moonlight found that it matters for
-- stability).

-- ===== Newton–Schulz orthogonalization =====

-- Five steps of the quintic iteration X ← a·X + (b·A + c·A·A)·X with A = X·Xᵀ, from
-- X₀ = G / (‖G‖_F + 1e-7). The coefficients (a, b, c) = (3.4445, −4.7750, 2.0315) push every
-- singular value of X₀ (all ≤ 1 after the normalization) into roughly [0.7, 1.2] in five steps:
-- U·S′·Vᵀ instead of the exact U·Vᵀ, which is all Muon needs. G is a matrix or a stack of matrices:
-- `@`, `transpose` and the norm over the last two axes act on each matrix of a stack on its own.
-- The iteration wants a wide matrix (rows ≤ cols) so that A is the smaller Gram matrix; the
-- callers below transpose tall ones.
fn newton_schulz[G: type](g: G, steps: i32 = 5) -> G =
  let (a, b, c) = (3.4445, -4.7750, 2.0315) in
  loop x = g / (frobenius(g) + 1e-7) for _ in 0..steps do
    let A = x @ transpose(x) in let B = b * A + c * (A @ A) in a * x + B @ x

-- ‖X‖_F of each matrix (the last two axes), kept as size-1 axes so that it divides X.
fn frobenius[G: type](x: G) =
  sqrt(sum(x * x, axis = [-2, -1], keepdims = true))

-- The orthogonalized matrix: transposed first when it has more rows than columns, and back after.
fn orthogonalize_matrix[rows, cols](g: f32[rows, cols], steps: i32 = 5) -> f32[rows, cols] =
  if rows > cols then transpose(newton_schulz(transpose(g), steps)) else newton_schulz(g, steps)

-- The same for a stack of expert matrices f32[E, A, B]: each expert's matrix on its own.
fn orthogonalize_experts[e, rows, cols](
  g: f32[e, rows, cols],
  steps: i32 = 5
) -> f32[e, rows, cols] =
  if rows > cols then transpose(newton_schulz(transpose(g), steps)) else newton_schulz(g, steps)

-- Muon's update direction for a matrix or an expert stack: O = NS(D), times the scale.
fn muon_direction[W: type](d: W, scale: str = "match_rms_adamw", ns_steps: i32 = 5) -> W =
  if rank(d) == 2 then
    muon_matrix(d, scale, ns_steps)
  else if rank(d) == 3 then
    muon_experts(d, scale, ns_steps)
  else
    muon_stack(d, scale, ns_steps)

-- Any deeper stack of matrices (the expert stacks of a stack of layers, f32[L, E, A, B]): every
-- matrix on its own, read off the last two axes.
fn muon_stack[W: type](d: W, scale: str, ns_steps: i32) -> W =
  muon_scale(dim(d, -2), dim(d, -1), scale) *
    (if dim(d, -2) > dim(d, -1) then
      transpose(newton_schulz(transpose(d), ns_steps))
    else
      newton_schulz(d, ns_steps))

fn muon_matrix[rows, cols](d: f32[rows, cols], scale: str, ns_steps: i32) -> f32[rows, cols] =
  muon_scale(rows, cols, scale) * orthogonalize_matrix(d, ns_steps)

fn muon_experts[e, rows, cols](
  d: f32[e, rows, cols],
  scale: str,
  ns_steps: i32
) -> f32[e, rows, cols] =
  muon_scale(rows, cols, scale) * orthogonalize_experts(d, ns_steps)

-- The factor on an orthogonalized A×B update (the names torch.optim.Muon uses):
--   "match_rms_adamw" (Moonlight, the default): 0.2·√max(A, B). A full-rank orthogonal A×B matrix
--     has RMS √(1/max(A, B)), so the update's RMS is 0.2, the range AdamW's updates have, and the
--     two groups can share η and λ.
--   "original" (Keller Jordan): √max(1, A/B).
-- Any other name gives NaN, so a misspelt option shows at the first step (muc run --check-nan).
fn muon_scale(rows: i32, cols: i32, scale: str = "match_rms_adamw") -> f32 =
  if scale == "match_rms_adamw" then
    0.2 * sqrt(f32(maximum(rows, cols)))
  else if scale == "original" then
    sqrt(maximum(1.0, f32(rows) / f32(cols)))
  else
    0.0 / 0.0

-- ===== Per-leaf rules =====

-- Muon's momentum: M_t = μ·M_{t−1} + G_t (no dampening).
fn muon_momentum[W: type](m: W, g: W, momentum: f32 = 0.95) -> W =
  momentum * m + g

-- Muon's step for one leaf, given the new momentum M_t:
--   O = NS(G_t + μ·M_t) with Nesterov (the default), NS(M_t) without;
--   W ← W·(1 − η·λ) − η·scale·O; the decay uses the unadjusted η.
fn muon_update[W: type](
  w: W,
  g: W,
  m: W,
  lr: f32 = 1e-3,
  weight_decay: f32 = 0.1,
  momentum: f32 = 0.95,
  nesterov: bool = true,
  scale: str = "match_rms_adamw",
  ns_steps: i32 = 5
) -> W =
  muon_apply(
    w,
    muon_direction(muon_input(g, m, momentum, nesterov), scale, ns_steps),
    lr,
    weight_decay
  )

-- What Newton–Schulz orthogonalizes: G_t + μ·M_t with Nesterov, M_t without.
fn muon_input[W: type](g: W, m: W, momentum: f32 = 0.95, nesterov: bool = true) -> W =
  if nesterov then g + momentum * m else m

-- W·(1 − η·λ) − η·O for an orthogonalized, scaled update O.
fn muon_apply[W: type](w: W, o: W, lr: f32 = 1e-3, weight_decay: f32 = 0.1) -> W =
  w * (1.0 - lr * weight_decay) - lr * o

-- AdamW's moments: m_t = β1·m_{t−1} + (1 − β1)·g, v_t = β2·v_{t−1} + (1 − β2)·g².
fn adamw_first[W: type](m: W, g: W, beta1: f32 = 0.9) -> W =
  beta1 * m + (1.0 - beta1) * g

fn adamw_second[W: type](v: W, g: W, beta2: f32 = 0.95) -> W =
  beta2 * v + (1.0 - beta2) * g * g

-- AdamW's step for one leaf at step t (counted from 1), given the new moments: bias correction
-- m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and decoupled decay W ← W − η·λ·W − η·m̂/(√v̂ + ε).
fn adamw_update[W: type](
  w: W,
  m: W,
  v: W,
  t: i32,
  lr: f32 = 1e-3,
  weight_decay: f32 = 0.1,
  beta1: f32 = 0.9,
  beta2: f32 = 0.95,
  eps: f32 = 1e-8
) -> W =
  let m_hat = m / (1.0 - beta1 ** f32(t)) in
  let v_hat = v / (1.0 - beta2 ** f32(t)) in
  w - lr * weight_decay * w - lr * m_hat / (sqrt(v_hat) + eps)

-- ===== Muon and AdamW together (Moonlight) =====

-- The state of `step`: the number of steps taken, and one moments record mirroring the
-- parameters (see PARAMETER GROUPS at the top).
fn init_with[M: type](moments: M) =
  { step: 0, moments: moments }

-- For parameters laid out as { hidden: …, other: … }: Muon's rule in `hidden`, AdamW in `other`.
fn init[P: type](p: P) =
  init_with({ hidden: group_moments(p.hidden), other: adamw_moments(p.other) })

-- Moonlight's rule for a subtree of hidden layers: Muon (one moment) for matrices and expert
-- stacks, AdamW (two moments) for every other leaf (norm gains, biases).
fn group_moments[P: type](p: P) =
  tree.map(fn(w) = if rank(w) >= 2 then one_moment(w) else two_moments(w), p)

-- AdamW (two moments) for every leaf: embeddings, the output head, gains, biases.
fn adamw_moments[P: type](p: P) =
  tree.map(two_moments, p)

-- A leaf's initial state: Muon's momentum M, or AdamW's stack((m, v)).
fn one_moment[W: type](w: W) -> W =
  zeros_like(w)

fn two_moments[W: type](w: W) =
  stack((zeros_like(w), zeros_like(w)))

-- One step of Muon + AdamW: each leaf by the optimizer its state names. The moments are advanced
-- first and the parameters updated from the new ones (tree.map gives one tree, so the two results
-- of a leaf are two maps; the compiler shares what they have in common).
fn step[P: type, M: type](
  p: P,
  g: P,
  s: { step: i32, moments: M },
  lr: f32 = 1e-3,
  weight_decay: f32 = 0.1,
  momentum: f32 = 0.95,
  nesterov: bool = true,
  scale: str = "match_rms_adamw",
  ns_steps: i32 = 5,
  beta1: f32 = 0.9,
  beta2: f32 = 0.95,
  eps: f32 = 1e-8
) =
  let t = s.step + 1 in
  let moments = tree.map(
    fn(w, dw, st) = next_moments(w, dw, st, momentum, beta1, beta2),
    p,
    g,
    s.moments
  ) in
  let params = tree.map(
    fn(w, dw, st) =
      if rank(st) == rank(w) then
        muon_update(w, dw, st, lr, weight_decay, momentum, nesterov, scale, ns_steps)
      else
        adamw_update(w, st[0], st[1], t, lr, weight_decay, beta1, beta2, eps),
    p,
    g,
    moments
  ) in
  (params, { step: t, moments: moments })

-- A leaf's moments after one more gradient: Muon's momentum, or AdamW's pair.
fn next_moments[W: type, S: type](w: W, g: W, s: S, momentum: f32, beta1: f32, beta2: f32) -> S =
  if rank(s) == rank(w) then
    muon_momentum(s, g, momentum)
  else
    stack((adamw_first(s[0], g, beta1), adamw_second(s[1], g, beta2)))

-- ===== Single optimizers, for every leaf of a record =====

-- Muon alone, for a record of matrices and expert stacks. State: the momentum, zeros_of(p).
fn muon[P: type](
  p: P,
  g: P,
  m: P,
  lr: f32 = 1e-3,
  weight_decay: f32 = 0.1,
  momentum: f32 = 0.95,
  nesterov: bool = true,
  scale: str = "match_rms_adamw",
  ns_steps: i32 = 5
) -> (P, P) =
  let m_t = tree.map(fn(mi, gi) = muon_momentum(mi, gi, momentum), m, g) in
  let p_t = tree.map(
    fn(w, gi, mi) = muon_update(w, gi, mi, lr, weight_decay, momentum, nesterov, scale, ns_steps),
    p,
    g,
    m_t
  ) in
  (p_t, m_t)

-- AdamW alone. State: adamw_init(p).
fn adamw_init[P: type](p: P) =
  { step: 0, m: zeros_of(p), v: zeros_of(p) }

fn adamw[P: type](
  p: P,
  g: P,
  s: { step: i32, m: P, v: P },
  lr: f32 = 1e-3,
  weight_decay: f32 = 0.1,
  beta1: f32 = 0.9,
  beta2: f32 = 0.95,
  eps: f32 = 1e-8
) -> (P, { step: i32, m: P, v: P }) =
  let t = s.step + 1 in
  let m = tree.map(fn(mi, gi) = adamw_first(mi, gi, beta1), s.m, g) in
  let v = tree.map(fn(vi, gi) = adamw_second(vi, gi, beta2), s.v, g) in
  (
    tree.map(
      fn(w, mi, vi) = adamw_update(w, mi, vi, t, lr, weight_decay, beta1, beta2, eps),
      p,
      m,
      v
    ),
    { step: t, m: m, v: v }
  )

-- SGD with momentum, as torch.optim.SGD (no dampening): d = g + λ·W; B_t = μ·B_{t−1} + d;
-- W ← W − η·(d + μ·B_t) with Nesterov, W − η·B_t without. State: the buffer, zeros_of(p).
fn sgd[P: type](
  p: P,
  g: P,
  buf: P,
  lr: f32,
  momentum: f32 = 0.9,
  nesterov: bool = false,
  weight_decay: f32 = 0.0
) -> (P, P) =
  let d = tree.map(fn(w, gi) = gi + weight_decay * w, p, g) in
  let b = tree.map(fn(bi, di) = momentum * bi + di, buf, d) in
  (tree.map(fn(w, di, bi) = w - lr * (if nesterov then di + momentum * bi else bi), p, d, b), b)

fn zeros_of[P: type](p: P) -> P =
  tree.map(zeros_like, p)

-- ===== Learning-rate schedules: pure functions of the step (counted from 0) =====

-- Linear warmup from 0 at step 0 to `peak` at step `warmup`, then a cosine from `peak` down to
-- min_ratio·peak at step `total`, and flat after. Moonlight decays to 10% of the peak.
fn warmup_cosine(step: i32, peak: f32, warmup: i32, total: i32, min_ratio: f32 = 0.1) -> f32 =
  let progress = clamp01(f32(step - warmup) / f32(maximum(total - warmup, 1))) in
  let cosine = 0.5 * (1.0 + cos(3.141592653589793 * progress)) in
  if step < warmup then
    warmup_ramp(step, peak, warmup)
  else
    peak * (min_ratio + (1.0 - min_ratio) * cosine)

-- Warmup-stable-decay: the same warmup, `peak` until step total − decay, then a linear decay to
-- min_ratio·peak at step `total`, and flat after.
fn warmup_stable_decay(
  step: i32,
  peak: f32,
  warmup: i32,
  total: i32,
  decay: i32,
  min_ratio: f32 = 0.0
) -> f32 =
  let progress = clamp01(f32(step - (total - decay)) / f32(maximum(decay, 1))) in
  if step < warmup then
    warmup_ramp(step, peak, warmup)
  else
    peak * (1.0 - (1.0 - min_ratio) * progress)

-- peak·step/warmup (the division is guarded: both branches of a run-time `if` are computed).
fn warmup_ramp(step: i32, peak: f32, warmup: i32) -> f32 =
  peak * f32(step) / f32(maximum(warmup, 1))

fn clamp01(x: f32) -> f32 =
  minimum(maximum(x, 0.0), 1.0)

-- ===== Gradient clipping and metrics =====

-- The global norm of a whole record: √(Σ over the leaves of Σ x²).
fn global_norm[P: type](g: P) -> f32 =
  sqrt(tree.sum(fn(x) = sum(x * x), g))

-- Scales every gradient by max_norm / ‖g‖ when the global norm ‖g‖ exceeds max_norm, so that the
-- result's norm is max_norm; leaves the gradients alone otherwise (the factor is then exactly 1).
fn clip_by_global_norm[P: type](g: P, max_norm: f32 = 1.0) -> P =
  let k = max_norm / maximum(global_norm(g), max_norm) in tree.map(fn(x) = k * x, g)

-- Metrics of one `step` per group, from the parameters before and after it, the gradient it was
-- given and its new state (which names each leaf's group, as in `step`):
--   grad_norm over every leaf, muon_grad_norm and adamw_grad_norm over each group;
--   muon_update_rms and adamw_update_rms, the RMS of new − old over each group's elements.
-- With "match_rms_adamw" Muon's is about 0.2·η, where Moonlight measured AdamW's (0.2 to 0.4·η;
-- η exactly at its first step). A group with no leaves reports 0.
fn metrics[P: type, M: type](old: P, new: P, g: P, s: { step: i32, moments: M }) =
  let du = tree.sum(fn(a, b, st) = by_group(b - a, st), old, new, s.moments) in
  let dg = tree.sum(fn(x, st) = by_group(x, st), g, s.moments) in
  {
    grad_norm: sqrt(dg[0] + dg[2]),
    muon_grad_norm: sqrt(dg[0]),
    adamw_grad_norm: sqrt(dg[2]),
    muon_update_rms: sqrt(du[0] / maximum(du[1], 1.0)),
    adamw_update_rms: sqrt(du[2] / maximum(du[3], 1.0))
  }

-- One leaf's share of the group sums: [Σ x², count] in the slots of its group, Muon's first.
fn by_group[X: type, S: type](x: X, s: S) -> f32[4] =
  let sq = sum(x * x) in
  let n = sum(ones_like(x)) in
  if rank(s) == rank(x) then [sq, n, 0.0, 0.0] else [0.0, 0.0, sq, n]
