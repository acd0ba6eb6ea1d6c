-- One training step of examples/moonlight_mini.mu, as std.train.fit runs it, for counting its
-- kernels and bytes:
--
--   muc build test/schedule/steps/moonlight_step.mu --emit stats --entry step
--
-- runs `step` and shows every graph it computes. The model, the loss and the update are copied
-- from the example (an import reads only files below the importing one). train.fit runs two steps
-- (stop_at = 2 of 3, so nothing is evaluated or saved): the graphs of a step are those run twice,
-- and `--emit stats` sums them per step. The largest are value_and_grad(loss) and the update
-- (clipping, Muon and AdamW, balancing).
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

fn loss[M: type](p: M, x: i32[8, 64], y: i32[8, 64]) =
  lm.loss(p, x, y, "mha", nh = 4, dh = 16, e = 8, l = 2, k = 2, c = 160, dr = 8, dc = 32)

fn update[M: type, S: type, A: type](p: M, g: M, s: S, aux: A, step: i32, steps: i32) =
  let rate = optim.warmup_cosine(step, 1e-2, steps / 20, steps) in
  let (p2, s2) = optim.step(
    p,
    optim.clip_by_global_norm(g, 1.0),
    s,
    lr = rate,
    weight_decay = 0.1
  ) in
  (lm.balance(p2, p, aux.load), s2, { lr: rate, dropped: aux.dropped, max_logit: aux.max_logit })

fn step() {
  let data = text.open("moby-dick", holdout = 0.05)
  let p0 = model(0)
  let (p, s) = train.fit(
    loss,
    update,
    p0,
    optim.init(p0),
    data,
    3,
    b = 8,
    t = 64,
    eval_every = 1000,
    checkpoint_every = 1000,
    stop_at = 2
  )
}
