-- Entry points for the std.optim tests. The TypeScript API cannot call a generic function (one
-- with type parameters) directly, so each entry point here has concrete types or sizes only. The
-- optimizer steps run in a host loop: each graph is compiled once and reused across steps.
import std.optim

-- k Muon steps on one matrix, with the gradients gs[0], …, gs[k − 1]; gives the parameters and
-- the momentum.
fn muon_matrix[k, a, b](w: f32[a, b], gs: f32[k, a, b], nesterov: bool, scale: str) -> (f32[a, b], f32[a, b]) {
  var p = w
  var m = optim.zeros_of(w)
  for i in 0..k do {
    (p, m) = optim.muon(p, gs[i], m, lr = 0.02, weight_decay = 0.1, nesterov = nesterov, scale = scale)
  }
  return (p, m)
}

-- The same for a stack of e expert matrices.
fn muon_experts[k, e, a, b](w: f32[e, a, b], gs: f32[k, e, a, b], nesterov: bool, scale: str) -> (f32[e, a, b], f32[e, a, b]) {
  var p = w
  var m = optim.zeros_of(w)
  for i in 0..k do {
    (p, m) = optim.muon(p, gs[i], m, lr = 0.02, weight_decay = 0.1, nesterov = nesterov, scale = scale)
  }
  return (p, m)
}

-- The Newton–Schulz result and Muon's scaled direction (match_rms_adamw) for one matrix.
fn orthogonalize[a, b](g: f32[a, b]) -> f32[a, b] = optim.orthogonalize_matrix(g)
fn direction[a, b](g: f32[a, b]) -> f32[a, b] = optim.muon_direction(g)
fn orthogonalize_stack[e, a, b](g: f32[e, a, b]) -> f32[e, a, b] = optim.orthogonalize_experts(g)
fn scale_of(rows: i32, cols: i32, name: str) -> f32 = optim.muon_scale(rows, cols, name)

-- k AdamW steps on a record with a matrix and a vector.
type Pair[a, b] = { w: f32[a, b], v: f32[b] }

fn adamw_steps[k, a, b](p0: Pair[a, b], gw: f32[k, a, b], gv: f32[k, b]) -> (Pair[a, b], { step: i32, m: Pair[a, b], v: Pair[a, b] }) {
  var p = p0
  var s = optim.adamw_init(p0)
  for i in 0..k do {
    (p, s) = optim.adamw(p, { w: gw[i], v: gv[i] }, s, lr = 0.01, weight_decay = 0.1)
  }
  return (p, s)
}

-- k steps of SGD with momentum on the same record.
fn sgd_steps[k, a, b](p0: Pair[a, b], gw: f32[k, a, b], gv: f32[k, b], nesterov: bool) -> (Pair[a, b], Pair[a, b]) {
  var p = p0
  var buf = optim.zeros_of(p0)
  for i in 0..k do {
    (p, buf) = optim.sgd(p, { w: gw[i], v: gv[i] }, buf, 0.05, momentum = 0.9, nesterov = nesterov, weight_decay = 0.01)
  }
  return (p, buf)
}

-- The schedules with fixed settings: peak 1e-3, warmup 10, total 100 (WSD: decay over the last 20).
fn cosine(step: i32) -> f32 = optim.warmup_cosine(step, 1e-3, 10, 100)
fn cosine_no_warmup(step: i32) -> f32 = optim.warmup_cosine(step, 1e-3, 0, 100, min_ratio = 0.0)
fn wsd(step: i32) -> f32 = optim.warmup_stable_decay(step, 1e-3, 10, 100, 20, min_ratio = 0.1)

-- Clipping a two-leaf record by its global norm.
type Grads = { a: f32[3], b: f32[2, 2] }

fn clip(g: Grads, max_norm: f32) -> Grads = optim.clip_by_global_norm(g, max_norm)
fn norm_of(g: Grads) -> f32 = optim.global_norm(g)

-- Parameter groups: Muon for the hidden matrix and the expert stack, AdamW for the hidden gain and
-- bias (vectors) and for the embedding (a matrix, but in `other`).
type Model = {
  hidden: { w: f32[4, 6], experts: f32[2, 3, 4], gain: f32[6], bias: f32[6] },
  other: { embed: f32[10, 4] }
}

-- The state that init gives, written out: one moment for the Muon leaves, two stacked for AdamW.
type Moments = {
  hidden: { w: f32[4, 6], experts: f32[2, 3, 4], gain: f32[2, 6], bias: f32[2, 6] },
  other: { embed: f32[2, 10, 4] }
}

fn group_steps(p0: Model, gs: (Model, Model, Model)) -> (Model, { step: i32, moments: Moments }) {
  var p = p0
  var s = optim.init(p0)
  let (g0, g1, g2) = gs
  (p, s) = optim.step(p, g0, s, lr = 0.02, weight_decay = 0.1)
  (p, s) = optim.step(p, g1, s, lr = 0.02, weight_decay = 0.1)
  (p, s) = optim.step(p, g2, s, lr = 0.02, weight_decay = 0.1)
  return (p, s)
}

-- One step from a fresh state, and its metrics per group.
fn one_step(p: Model, g: Model) =
  let (q, s) = optim.step(p, g, optim.init(p), lr = 0.02, weight_decay = 0.1) in
  (q, optim.metrics(p, q, g, s))

-- Any other layout: the moments record is built beside the parameters with the two rules.
type Net = { embed: f32[6, 4], layer: { w: f32[4, 4], gain: f32[4] }, head: f32[4, 6] }

fn custom_state(p: Net) =
  optim.init_with({ embed: optim.adamw_moments(p.embed), layer: optim.group_moments(p.layer), head: optim.adamw_moments(p.head) })

fn custom_step(p: Net, g: Net) = optim.step(p, g, custom_state(p), lr = 0.02, weight_decay = 0.1)
