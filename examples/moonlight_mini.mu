-- Moonlight-mini: a small Mixture-of-Experts language model in Moonlight's shape, trained on the
-- text of Moby Dick with Muon (hidden matrices) and AdamW (embeddings, head, norms).
--
--   muc run examples/moonlight_mini.mu                      about 75 seconds on a 2-core CPU (1000 steps)
--   muc run examples/moonlight_mini.mu --arg steps=20       a quick look
--   muc run examples/moonlight_mini.mu --arg corpus=my.txt  any other text
--   muc run examples/moonlight_mini.mu --resume             continue from the last checkpoint
--   muc run examples/moonlight_mini.mu --ranks 2            data-parallel on 2 ranks (ZeRO-1 Muon)
--
-- The model: byte tokens, width 64 (4 heads of 16), a dense first layer, then 2 MoE layers of 8
-- routed experts (top 2, sigmoid router, auxiliary-loss-free balancing) and 1 shared expert.
import std.dist

import std.lm

import std.optim

import std.train

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
    dc = 32
  )

-- Batches of 64-byte sequences (8 of them, or 8/N on each of N ranks); each expert has room for
-- 1.25 × its even share of the b·64·2 choices.
fn loss[b, M: type](p: M, x: i32[b, 64], y: i32[b, 64]) =
  lm.loss(p, x, y, "mha", nh = 4, dh = 16, e = 8, l = 2, k = 2, c = 20 * b, dr = 8, dc = 32)

-- Muon for the hidden matrices and AdamW for the rest, by std.dist: on one rank exactly
-- optim.step, on the ranks of `muc run --ranks N` its ZeRO-1 form (each rank keeps a shard of the
-- optimizer state).
fn update[M: type, S: type, A: type](p: M, g: M, s: S, aux: A, step: i32, steps: i32) {
  let rate = optim.warmup_cosine(step, 1e-2, steps / 20, steps)
  let (p2, s2) = dist.step(p, g, s, lr = rate, weight_decay = 0.1, max_norm = 1.0)
  return (
    lm.balance(p2, p, aux.load),
    s2,
    { lr: rate, dropped: aux.dropped, max_logit: aux.max_logit }
  )
}

fn main(steps: i32 = 1000, corpus: str = "moby-dick", seed: i32 = 0, resume: bool = false) {
  let data = text.open(corpus, holdout = 0.05)
  let p0 = model(seed)
  let (p, s) = train.fit(
    loss,
    update,
    p0,
    dist.init(p0),
    data,
    steps,
    b = 8,
    t = 64,
    seed = seed,
    eval_every = 100,
    eval_batches = 4,
    checkpoint = "moonlight_mini.safetensors",
    checkpoint_every = 100,
    resume = resume
  )
  print("validation loss", train.validation_loss(loss, p, data, 8, b = 8, t = 64))
  let (vx, vy) = text.batch(data, 0, 8, 64, split = "valid")
  let (l, st) = loss(p, vx, vy)
  print("tokens per expert, layer by layer:", st.load)
  print("dropped assignments:", st.dropped)
  let (prompt, more) = lm.sample(
    p,
    data,
    seed,
    0.8,
    "mha",
    n = 200,
    t = 64,
    top = 8,
    nh = 4,
    dh = 16,
    e = 8,
    l = 2,
    k = 2,
    c = 160,
    dr = 8,
    dc = 32
  )
  print("--- prompt (held-out text):")
  print(prompt)
  print("--- sample:")
  print(more)
}
