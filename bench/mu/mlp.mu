-- One training step of a two-layer perceptron: forward, backward (value_and_grad) and AdamW.
import std.optim

type Layer[i, o] = { w: f32[i, o], b: f32[o] }

type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }

-- Mean softmax cross-entropy of the logits against integer labels.
fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =
  let logits = relu(x @ p.l1.w + p.l1.b) @ p.l2.w + p.l2.b in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))

fn train_step[b, d, h, c](
  p: Mlp[d, h, c],
  s: { step: i32, m: Mlp[d, h, c], v: Mlp[d, h, c] },
  x: f32[b, d],
  y: i32[b]
) =
  let (l, g) = value_and_grad(loss)(p, x, y) in
  let (p2, s2) = optim.adamw(p, g, s, lr = 1e-3, weight_decay = 0.1) in
  (l, p2, s2)
