-- std.dist: data-parallel training with a ZeRO-1 optimizer — Moonlight's distributed Muon
-- ("Muon is Scalable for LLM Training", Algorithm 1) and AdamW, over the ranks of
-- `muc run FILE --ranks N`.
--
-- Every rank holds the whole parameter record and takes its own part of each global batch
-- (train.fit does this with comm.split). The optimizer state is partitioned: each rank keeps only
-- its shard of every moment, ⌈size/N⌉ elements of each leaf (the layout is comm.shard's). A step:
--
--   1. reduce-scatter the gradients: each rank receives its shard of the mean gradient;
--   2. advance the moments on the local shard (Muon's momentum, AdamW's pair), by optim's rules;
--   3. Muon leaves only: all-gather the Nesterov input into whole matrices, orthogonalize each with
--      Newton–Schulz (every rank does the same work), and keep the local shard of the result;
--   4. update the local shard of the parameters;
--   5. all-gather the parameters, so every rank holds the whole record again.
--
-- AdamW leaves skip step 3, so a run where every leaf is AdamW is plain ZeRO-1 AdamW. The leaf
-- rules are optim's own (next_moments, muon_input, muon_direction, muon_apply, adamw_update), so
-- the optimizer is written once and this file holds only the data-parallel part. With one rank
-- every collective is the identity and `step` computes exactly what optim.step does.
--
--   var s = dist.init(p)                       -- instead of optim.init(p)
--   (p, s) = dist.step(p, g, s, lr = rate)     -- instead of optim.step(p, g, s, lr = rate)
import std.optim

-- optim.init's state, sharded: each rank keeps its shard of every moment.
fn init[P: type](p: P) {
  return shard_state(optim.init(p), p)
}

-- Any state of optim's form (from optim.init_with, say), sharded like the parameters p.
fn shard_state[P: type, M: type](s: { step: i32, moments: M }, p: P) {
  return { step: s.step, moments: comm.shard(s.moments, like = p) }
}

-- One ZeRO-1 step of Muon and AdamW; the hyperparameters are optim.step's. The gradients g are
-- this rank's (of its part of the batch); their mean over the ranks is what the step follows.
-- With max_norm > 0 they are clipped to that global norm first (optim.clip_by_global_norm).
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
  eps: f32 = 1e-8,
  max_norm: f32 = 0.0
) -> (P, { step: i32, moments: M }) {
  let t = s.step + 1
  let raw = comm.reduce_scatter(g)
  let squares = comm.all_reduce(tree.sum(fn(x) = sum(x * x), raw), op = "sum")
  let clip = if max_norm > 0.0 then max_norm / maximum(sqrt(squares), max_norm) else 1.0
  let gs = tree.map(fn(x) = clip * x, raw)
  let ps = comm.shard(p)
  let moments = tree.map(
    fn(w, dw, st) = optim.next_moments(w, dw, st, momentum, beta1, beta2),
    ps,
    gs,
    s.moments
  )
  -- Muon leaves gather their whole matrix; the others gather nothing (a leaf of no elements).
  let whole = tree.map(
    fn(w, ws, st) = if rank(st) == rank(ws) then w else zeros([0]),
    p,
    ps,
    moments
  )
  let input = tree.map(
    fn(ws, dw, st) =
      if rank(st) == rank(ws) then optim.muon_input(dw, st, momentum, nesterov) else zeros([0]),
    ps,
    gs,
    moments
  )
  let gathered = comm.all_gather(input, like = whole)
  let direction = tree.map(
    fn(x) = if rank(x) >= 2 then optim.muon_direction(x, scale, ns_steps) else x,
    gathered
  )
  let local = comm.shard(direction)
  let updated = tree.map(
    fn(ws, st, o) =
      if rank(st) == rank(ws) then
        optim.muon_apply(ws, o, lr, weight_decay)
      else
        optim.adamw_update(ws, st[0], st[1], t, lr, weight_decay, beta1, beta2, eps),
    ps,
    moments,
    local
  )
  let next = comm.all_gather(updated, like = p)
  return (next, { step: t, moments: moments })
}

-- Bytes of optimizer state this rank holds (its shards).
fn state_bytes[M: type](s: { step: i32, moments: M }) -> f32 =
  4.0 * tree.sum(fn(x) = sum(ones_like(x)), s.moments)
