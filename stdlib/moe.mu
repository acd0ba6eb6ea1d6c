-- std.moe: a Mixture-of-Experts feed-forward layer in the style of Moonlight / DeepSeek-V3, at a
-- small scale.
--
--   * a router gives each token a sigmoid score per routed expert;
--   * each token goes to its top k experts, chosen by score + bias (the bias only steers the choice);
--   * the chosen scores, normalized to sum to 1 and multiplied by `routed_scale` (2.446 in
--     Moonlight), weight the experts' outputs;
--   * dispatch is sparse: every expert has room for `c` tokens (its capacity), the experts run as
--     one batched matmul over [e, c, d], so the work grows with k·tokens, not with e·tokens;
--     assignments beyond an expert's capacity are dropped and counted in the stats;
--   * shared experts see every token, and their output is added;
--   * the load is balanced without an auxiliary loss: `update_bias` nudges the bias of overloaded
--     experts down and of underloaded ones up after each step; DeepSeek-V3's small sequence-wise
--     auxiliary loss (α = 0.001) is also returned, for the caller to add to its loss.
--
-- Sizes: d model width, e routed experts of hidden size h, s shared experts of hidden size hs,
-- k experts per token, c capacity per expert. Sizes have no division, so the capacity cannot be
-- derived from a capacity factor here: pick c = ceil(factor·tokens·k / e) and pass it as `c = …`
-- (c = tokens never drops anything, since a token picks k different experts).
--
-- A training step carries the stats out of the gradient's own forward pass, as value_and_grad's aux:
--
--   fn loss(p: Model, x: i32[b, t], y: i32[b, t]) -> (f32, moe.Stats[8]) =
--     let (h, stats, aux) = moe.forward(p.moe, embed(p, x), k = 2, c = 16) in (xent(p, h, y) + aux, stats)
--   …
--   let ((l, stats), g) = value_and_grad(loss)(p, x, y)
--   p = optimizer_step(p, g)
--   p = { p with moe: moe.balance(p.moe, stats) }

-- A stack of n SwiGLU networks, down(silu(x·gate) ⊙ (x·up)), one per index of the leading axis.
-- Stacking lets all experts run as one batched matmul; Muon orthogonalizes each [d, h] slice alone.
type Ffn[n, d, h] = { gate: f32[n, d, h], up: f32[n, d, h], down: f32[n, h, d] }

-- One MoE layer. `bias` is the balancing bias: it only shifts which experts are selected, so its
-- gradient is zero; it changes through `update_bias` (or `balance`), never through the optimizer
-- (keep it out of weight decay, which would otherwise shrink it).
type Moe[d, e, h, s, hs] = { router: f32[d, e], bias: f32[e], experts: Ffn[e, d, h], shared: Ffn[s, d, hs] }

-- The router's decision for n tokens: every token's scores, its k experts and their weights.
type Routing[n, e, k] = { scores: f32[n, e], experts: i32[n, k], weights: f32[n, k] }

-- Where each of the m = n·k (token, expert) assignments goes, listed in expert order: the token it
-- reads, its row in the flattened [e·c + 1, d] expert buffer (row e·c is the dump row of the
-- dropped assignments) and its routing weight.
type Plan[m] = { token: i32[m], row: i32[m], weight: f32[m] }

-- Load statistics of one step, all f32 so that they can be logged and summed over layers:
-- `load` counts the assignments routed to each expert (before capacity), `dropped` the assignments
-- that did not fit, `max_over_mean` is max(load) / mean(load) (1 when perfectly balanced).
type Stats[e] = { load: f32[e], dropped: f32, max_over_mean: f32 }

-- ---- parameters ----

-- Gaussian weights scaled by 1/√fan-in, so activations keep their size through each matmul.
fn init_ffn[n, d, h](key: i32[2]) -> Ffn[n, d, h] =
  {
    gate: rand.normal(rand.fold_in(key, 0), [n, d, h]) * rsqrt(f32(d)),
    up: rand.normal(rand.fold_in(key, 1), [n, d, h]) * rsqrt(f32(d)),
    down: rand.normal(rand.fold_in(key, 2), [n, h, d]) * rsqrt(f32(h))
  }

-- A fresh layer; the bias starts at zero (no preference). Sizes are given by keyword:
-- init(key, d = 64, e = 8, h = 128, s = 1, hs = 128).
fn init[d, e, h, s, hs](key: i32[2]) -> Moe[d, e, h, s, hs] =
  let keys = rand.split(key, 3) in
  {
    router: rand.normal(keys[0], [d, e]) * rsqrt(f32(d)),
    bias: zeros([e]),
    experts: init_ffn(keys[1], n = e, d = d, h = h),
    shared: init_ffn(keys[2], n = s, d = d, h = hs)
  }

-- ---- routing ----

-- Sigmoid scores (not softmax: each expert is judged on its own). The top k are chosen by
-- score + bias, but weighted by the score alone, so balancing never distorts the mixture.
fn route[n, d, e, k](
  router: f32[d, e],
  bias: f32[e],
  x: f32[n, d],
  routed_scale: f32 = 2.446
) -> Routing[n, e, k] =
  let scores = sigmoid(x @ router) in
  let (_, chosen) = topk(scores + bias, k) in
  let picked = take_along_axis(scores, chosen) in
  {
    scores: scores,
    experts: chosen,
    weights: routed_scale * picked / sum(picked, axis = -1, keepdims = true)
  }

-- ---- sparse dispatch ----

-- Sorts the n·k assignments by expert and gives each a slot in its expert's buffer. The sort is
-- stable, so within an expert earlier tokens come first and are the last to be dropped. A slot is
-- the assignment's rank within its expert: its position in the sorted list minus the position
-- where the expert's run starts (an exclusive prefix sum of the loads). All of this is O(n·k + e).
-- assignment a is token a / k, choice a % k
fn plan[n, e, k, c](r: Routing[n, e, k]) -> (Plan[n * k], Stats[e]) =
  let flat = reshape(r.experts, [n * k]) in
  let order = argsort(flat) in
  let expert = gather(flat, order) in
  let load = scatter_add(zeros([e]), flat, ones([n * k])) in
  let start = i32(cumsum(load) - load) in
  let slot = arange(n * k) - gather(start, expert) in
  let kept = slot < c in
  (
    {
      token: order / k,
      row: where(kept, expert * c + slot, e * c),
      weight: gather(reshape(r.weights, [n * k]), order)
    },
    { load: load, dropped: f32(n * k) - sum(f32(kept)), max_over_mean: max(load) / mean(load) }
  )

-- Copies each kept assignment's token into its slot; the dropped ones all land in the extra dump
-- row, which is cut off, so they cost nothing downstream.
fn dispatch[n, d, e, c, m](x: f32[n, d], p: Plan[m]) -> f32[e, c, d] =
  let rows = scatter_add(zeros([e * c + 1, d]), p.row, gather(x, p.token)) in
  reshape(rows[:e * c], [e, c, d])

-- The inverse trip: reads each assignment's expert output (a dropped one reads the zero dump row),
-- weights it, and sums the k contributions of every token.
fn combine[n, d, e, c, m](y: f32[e, c, d], p: Plan[m]) -> f32[n, d] =
  let rows = concat((reshape(y, [e * c, d]), zeros([1, d]))) in
  let out = gather(rows, p.row) * reshape(p.weight, [m, 1]) in
  scatter_add(zeros([n, d]), p.token, out)

-- ---- experts ----

-- Runs every network of the stack on its own rows: batched matmuls over the leading axis.
fn swiglu[m, c, d, h](f: Ffn[m, d, h], x: f32[m, c, d]) -> f32[m, c, d] =
  silu(x @ f.gate) * (x @ f.up) @ f.down

-- The shared experts see every token; their outputs add up.
fn shared[n, d, s, hs](f: Ffn[s, d, hs], x: f32[n, d]) -> f32[n, d] =
  sum(swiglu(f, broadcast_to(x, [s, n, d])), axis = 0)

-- ---- balancing ----

-- Auxiliary-loss-free balancing (DeepSeek-V3, Moonlight): b_i += u·(sign(e_i) − mean(sign(e))),
-- where e_i = mean(load) − load_i. An overloaded expert gets a lower bias, so it is chosen less
-- often next step; subtracting the mean sign keeps the biases from drifting as a whole.
--
-- ==
-- input { [0.0, 0.0, 0.0, 0.0] [16.0, 8.0, 4.0, 4.0] 0.25 } output { [-0.3125, -0.0625, 0.1875, 0.1875] }
-- input { [0.5, 0.0, 0.0, 0.0] [8.0, 8.0, 8.0, 8.0] 0.25 } output { [0.5, 0.0, 0.0, 0.0] }
fn update_bias[e](bias: f32[e], load: f32[e], u: f32 = 1e-3) -> f32[e] =
  let err = sign(mean(load) - load) in bias + u * (err - mean(err))

-- The layer with its bias updated from one step's stats; call it after the optimizer step.
fn balance[d, e, h, s, hs](
  p: Moe[d, e, h, s, hs],
  stats: Stats[e],
  u: f32 = 1e-3
) -> Moe[d, e, h, s, hs] =
  { p with bias: update_bias(p.bias, stats.load, u) }

-- DeepSeek-V3's sequence-wise balance loss α·Σ_i f_i·P_i, averaged over the b sequences, where for
-- one sequence of t tokens f_i = e/(k·t)·(tokens routed to i) and P_i is the mean over the tokens
-- of the scores normalized to sum 1. The counts f_i carry no gradient; the scores P_i do.
fn seq_aux_loss[b, t, e, k](
  scores: f32[b, t, e],
  experts: i32[b, t, k],
  alpha: f32 = 0.001
) -> f32 =
  let chosen = sum(one_hot(experts, e), axis = 2) in
  let f = f32(e) / f32(k * t) * sum(chosen, axis = 1) in
  let share = mean(scores / sum(scores, axis = -1, keepdims = true), axis = 1) in
  alpha * mean(sum(f * share, axis = -1))

-- ---- the layer ----

-- The layer on n tokens: routed experts (sparse, capacity c per expert) plus shared experts.
-- Returns the output, the step's load stats and the routing (for the auxiliary loss).
fn apply[n, d, e, h, s, hs, k, c](
  p: Moe[d, e, h, s, hs],
  x: f32[n, d],
  routed_scale: f32 = 2.446
) -> (f32[n, d], Stats[e], Routing[n, e, k]) =
  let r = route(p.router, p.bias, x, k = k, routed_scale = routed_scale) in
  let (pl, stats) = plan(r, c = c) in
  let routed = combine(swiglu(p.experts, dispatch(x, pl, e = e, c = c)), pl, n = n) in
  (routed + shared(p.shared, x), stats, r)

-- The layer on b sequences of t tokens, as a transformer block calls it:
--   let (y, stats, aux) = moe.forward(p, x, k = 2, c = 16)
-- gives the output, the load stats (for `balance` and the logs) and the sequence-wise auxiliary
-- loss, already multiplied by alpha (pass alpha = 0.0 to leave it out). The capacity c is per
-- expert over all b·t tokens.
fn forward[b, t, d, e, h, s, hs, k, c](
  p: Moe[d, e, h, s, hs],
  x: f32[b, t, d],
  routed_scale: f32 = 2.446,
  alpha: f32 = 0.001
) -> (f32[b, t, d], Stats[e], f32) =
  let (y, stats, r) = apply(p, reshape(x, [b * t, d]), k = k, c = c, routed_scale = routed_scale) in
  let aux = seq_aux_loss(reshape(r.scores, [b, t, e]), reshape(r.experts, [b, t, k]), alpha) in
  (reshape(y, [b, t, d]), stats, aux)
