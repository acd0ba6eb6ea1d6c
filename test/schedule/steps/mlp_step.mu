-- One training step of examples/mlp.mu, for counting its kernels and bytes:
--
--   muc build test/schedule/steps/mlp_step.mu --emit stats --entry step
--
-- runs `step` and shows every graph it computes. The model, the loss and the update are copied
-- from the example (an import reads only files below the importing one); the example's loop runs
-- twice, so the graphs of a step are those run twice (value_and_grad(loss), then the update), and
-- `--emit stats` sums them per step.

type Layer[i, o] = { w: f32[i, o], b: f32[o] }

type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }

fn linear[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] =
  x @ p.w + p.b

fn forward[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d]) -> f32[b, c] =
  linear(p.l2, relu(linear(p.l1, x)))

fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =
  let logits = forward(p, x) in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))

fn init[d, h, c](key: i32[2]) -> Mlp[d, h, c] =
  let ks = rand.split(key, 2) in
  {
    l1: { w: rand.normal(ks[0], [d, h]) * 0.1, b: zeros([h]) },
    l2: { w: rand.normal(ks[1], [h, c]) * 0.1, b: zeros([c]) }
  }

fn sgd[P: type](p: P, g: P, lr: f32) -> P =
  tree.map(fn(w, dw) = w - lr * dw, p, g)

fn step() {
  var p = init(rand.key(0), d = 4, h = 16, c = 3)
  let x = rand.normal(rand.key(1), [64, 4])
  let y = argmax(x[:, 0:3], axis = -1)
  for i in 0..2 do {
    let (l, g) = value_and_grad(loss)(p, x, y)
    p = sgd(p, g, 0.5)
  }
}
