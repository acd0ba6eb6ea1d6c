-- A bigram language model trained by std.train: the test subject of fit's checkpoints and resume.
import std.train

type Bigram = { table: f32[256, 256] }

fn loss[b, t](p: Bigram, x: i32[b, t], y: i32[b, t]) -> (f32, ()) =
  let logits = gather(p.table, x) in
  (mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, 256), axis = -1)), ())

fn sgd(p: Bigram, g: Bigram, s: { step: i32 }, aux: (), step: i32, steps: i32) -> (Bigram, { step: i32 }, { lr: f32 }) =
  let lr = if step < 2 then 10.0 else 5.0 in
  ({ table: p.table - lr * g.table }, { step: s.step + 1 }, { lr: lr })

fn exploding(p: Bigram, g: Bigram, s: { step: i32 }, aux: (), step: i32, steps: i32) -> (Bigram, { step: i32 }, { lr: f32 }) =
  ({ table: p.table - 1e38 * g.table * 1e38 }, s, { lr: 1e38 })

fn run(corpus: str, steps: i32, checkpoint: str, resume: bool, explode: bool, poison: bool = false) -> Bigram {
  let data = text.open(corpus, holdout = 0.25)
  -- poison starts from NaN parameters, so the very first loss is NaN.
  let p0 = { table: zeros([256, 256]) / (if poison then 0.0 else 1.0) }
  if explode then {
    let (p, s) = train.fit(loss, exploding, p0, { step: 0 }, data, steps, b = 4, t = 16, checkpoint = checkpoint, checkpoint_every = 1, resume = resume)
    return p
  }
  let (p, s) = train.fit(loss, sgd, p0, { step: 0 }, data, steps, b = 4, t = 16, checkpoint = checkpoint, checkpoint_every = 2, eval_every = 3, eval_batches = 2, resume = resume)
  return p
}
