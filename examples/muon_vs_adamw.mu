-- Muon vs AdamW on the same Moonlight-shaped MoE model and the same data (Moby Dick), at the same
-- learning rate and weight decay — Muon's update is scaled to AdamW's RMS, so the two can share
-- them — over several seeds and equal token budgets.
--
--   muc run examples/muon_vs_adamw.mu                    the experiment: 3 seeds per optimizer,
--                                                        10 evaluations, 200 steps apart
--   muc run examples/muon_vs_adamw.mu --arg quick=true   a smoke run in well under 3 minutes
--
-- It writes results/muon_vs_adamw.json (the validation curves of every run, the settings and the
-- machine) and results/muon_vs_adamw.svg (validation loss against tokens: each optimizer's mean
-- over its seeds, with a band from the best to the worst seed), and prints how many tokens each
-- optimizer needs to reach AdamW's final validation loss, and their ratio (the paper: about 0.52).
import std.lm

import std.optim

import std.train

-- Moonlight-mini's shape (examples/moonlight_mini.mu): width 64 (4 heads of 16), a dense first
-- layer, then 2 MoE layers of 8 routed experts (top 2) with a shared expert. Six runs of 2000
-- steps take about 6 minutes on a 2-core CPU.
fn model(seed: i32) =
  lm.init(
    rand.key(seed),
    "mha",
    nh = 4,
    dh = 16,
    f = 128,
    e = 8,
    h = 32,
    s = 1,
    hs = 64,
    l = 2,
    dr = 8,
    dc = 16
  )

-- Batches of 8 sequences of 32 bytes; each expert has room for 1.25 × its share of the 512
-- choices (c = 80).
fn loss[M: type](p: M, x: i32[8, 32], y: i32[8, 32]) =
  lm.loss(p, x, y, "mha", nh = 4, dh = 16, e = 8, l = 2, k = 2, c = 80, dr = 8, dc = 16)

-- The same step for both: the optimizer state decides, leaf by leaf, Muon (one moment) or AdamW
-- (two), so the runs differ only in the state they start from.
fn update[M: type, S: type, A: type](p: M, g: M, s: S, aux: A, step: i32, steps: i32) =
  let lr = optim.warmup_cosine(step, 3e-3, steps / 20, steps) in
  let (p2, s2) = optim.step(p, optim.clip_by_global_norm(g, 1.0), s, lr = lr, weight_decay = 0.1) in
  (lm.balance(p2, p, aux.load), s2, { lr: lr })

-- One run of n × every steps: the validation loss after every `every` steps.
fn run[n, M: type, S: type](
  p0: M,
  s0: S,
  data: Text,
  every: i32,
  seed: i32,
  checkpoint: str
) -> f32[n] {
  var curve = zeros([n])
  for j in 0..n do {
    let (p, s) = train.fit(
      loss,
      update,
      p0,
      s0,
      data,
      n * every,
      b = 8,
      t = 32,
      seed = seed,
      eval_every = n * every + 1,
      checkpoint = checkpoint,
      checkpoint_every = every,
      resume = j > 0,
      stop_at = (j + 1) * every
    )
    curve = where(arange(n) == j, train.validation_loss(loss, p, data, 8, b = 8, t = 32), curve)
  }
  return curve
}

-- The tokens a curve needs to reach a loss (at the resolution of the evaluations; NaN if never).
fn tokens_to_reach[n](curve: f32[n], tokens: f32[n], target: f32) -> f32 =
  let hit = f32(curve <= target) in if max(hit) > 0.0 then tokens[argmax(hit)] else 0.0 / 0.0

fn experiment[r, n](data: Text, every: i32) {
  var muon = zeros([r, n])
  var adamw = zeros([r, n])
  for seed in 0..r do {
    let p0 = model(seed)
    print("seed", seed, "Muon")
    muon = scatter_add(
      muon,
      full([1], seed),
      expand_dims(run(p0, optim.init(p0), data, every, seed, "results/muon.safetensors", n = n), 0)
    )
    print("seed", seed, "AdamW")
    let all_adamw = optim.init_with(optim.adamw_moments(p0))
    adamw = scatter_add(
      adamw,
      full([1], seed),
      expand_dims(run(p0, all_adamw, data, every, seed, "results/adamw.safetensors", n = n), 0)
    )
  }
  let tokens = f32((arange(n) + 1) * every * 8 * 32)
  let target = mean(adamw, axis = 0)[n - 1]
  let muon_tokens = tokens_to_reach(mean(muon, axis = 0), tokens, target)
  let adamw_tokens = tokens_to_reach(mean(adamw, axis = 0), tokens, target)
  json.write(
    "results/muon_vs_adamw.json",
    {
      machine: machine(),
      settings: {
        seeds: r,
        steps: n * every,
        eval_every: every,
        tokens_per_step: 8 * 32,
        peak_lr: 3e-3,
        weight_decay: 0.1
      },
      tokens: tokens,
      muon: muon,
      adamw: adamw,
      target: target,
      muon_tokens: muon_tokens,
      adamw_tokens: adamw_tokens,
      ratio: muon_tokens / adamw_tokens
    }
  )
  plot.curves(
    "results/muon_vs_adamw.svg",
    "Muon vs AdamW on Moby Dick",
    "tokens",
    "validation loss",
    tokens,
    { Muon: muon, AdamW: adamw }
  )
  print(
    "final validation loss (mean over seeds): Muon",
    mean(muon, axis = 0)[n - 1],
    "AdamW",
    target
  )
  print(
    "tokens to reach AdamW's final loss: Muon",
    muon_tokens,
    "AdamW",
    adamw_tokens,
    "ratio",
    muon_tokens / adamw_tokens
  )
  print("wrote results/muon_vs_adamw.json and results/muon_vs_adamw.svg")
}

fn main(quick: bool = false, corpus: str = "moby-dick", every: i32 = 200) {
  let data = text.open(corpus, holdout = 0.05)
  if quick then {
    experiment(data, 5, r = 1, n = 3)
  } else {
    experiment(data, every, r = 3, n = 10)
  }
}
