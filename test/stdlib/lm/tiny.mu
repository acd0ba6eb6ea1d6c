-- A tiny Moonlight-shaped model for the tests of std.lm: both attentions, a training run with
-- Muon and AdamW through std.train, balancing, and sampling.
import std.lm
import std.optim
import std.train

fn model(seed: i32, attention: str) =
  lm.init(rand.key(seed), attention, nh = 2, dh = 4, f = 16, e = 4, h = 8, s = 1, hs = 8, l = 2, dr = 2, dc = 4)

fn loss_mha[M: type](p: M, x: i32[2, 8], y: i32[2, 8]) =
  lm.loss(p, x, y, "mha", nh = 2, dh = 4, e = 4, l = 2, k = 2, c = 8, dr = 2, dc = 4)

fn loss_mla[M: type](p: M, x: i32[2, 8], y: i32[2, 8]) =
  lm.loss(p, x, y, "mla", nh = 2, dh = 4, e = 4, l = 2, k = 2, c = 8, dr = 2, dc = 4)

fn update[M: type, S: type, A: type](p: M, g: M, s: S, aux: A, step: i32, steps: i32) =
  let lr = optim.warmup_cosine(step, 1e-2, 5, steps) in
  let (p2, s2) = optim.step(p, g, s, lr = lr, weight_decay = 0.01) in
  (lm.balance(p2, p, aux.load), s2, { lr: lr, dropped: aux.dropped })

-- The loss at the start and after `steps` steps of Muon on the hidden matrices, AdamW elsewhere.
fn train_mha(corpus: str, steps: i32) -> (f32, f32) {
  let data = text.open(corpus, holdout = 0.2)
  let p0 = model(0, "mha")
  let (x, y) = text.batch(data, 0, 2, 8, split = "valid")
  let (before, _) = loss_mha(p0, x, y)
  let (p, s) = train.fit(loss_mha, update, p0, optim.init(p0), data, steps, b = 2, t = 8, eval_every = 1000, checkpoint = "/tmp/muc-lm-test.safetensors", checkpoint_every = 1000)
  let (after, _) = loss_mha(p, x, y)
  return (before, after)
}

fn first_loss(corpus: str) -> (f32, f32) {
  let data = text.open(corpus, holdout = 0.2)
  let (x, y) = text.batch(data, 0, 2, 8)
  let (a, _) = loss_mha(model(0, "mha"), x, y)
  let (b, _) = loss_mla(model(0, "mla"), x, y)
  return (a, b)
}

fn bias_after(loads: f32[2, 4]) -> f32[2, 4] {
  let p = model(0, "mha")
  let q = lm.balance(p, p, loads)
  return q.hidden.layers.moe.bias
}

fn generate(corpus: str) -> (str, str) {
  let data = text.open(corpus, holdout = 0.2)
  return lm.sample(model(0, "mha"), data, 0, 0.8, "mha", n = 12, t = 8, top = 5, nh = 2, dh = 4, e = 4, l = 2, k = 2, c = 8, dr = 2, dc = 4)
}
