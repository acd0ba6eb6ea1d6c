-- A two-layer perceptron trained with plain SGD on a synthetic task (the label is the largest of
-- the first three inputs): the smallest complete model. Run it with `muc run examples/mlp.mu`.

type Layer[i, o] = { w: f32[i, o], b: f32[o] }

type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }

fn linear[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] =
  x @ p.w + p.b

fn forward[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d]) -> f32[b, c] =
  linear(p.l2, relu(linear(p.l1, x)))

-- Mean cross-entropy of the logits against integer labels.
fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =
  let logits = forward(p, x) in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))

fn init[d, h, c](key: i32[2]) -> Mlp[d, h, c] =
  let ks = rand.split(key, 2) in
  {
    l1: { w: rand.normal(ks[0], [d, h]) * 0.1, b: zeros([h]) },
    l2: { w: rand.normal(ks[1], [h, c]) * 0.1, b: zeros([c]) }
  }

-- Written once for any parameter record: P is a type parameter.
fn sgd[P: type](p: P, g: P, lr: f32) -> P =
  tree.map(fn(w, dw) = w - lr * dw, p, g)

fn main() {
  var p = init(rand.key(0), d = 4, h = 16, c = 3)
  let x = rand.normal(rand.key(1), [64, 4])
  let y = argmax(x[:, 0:3], axis = -1)
  for step in 0..200 do {
    let (l, g) = value_and_grad(loss)(p, x, y)
    p = sgd(p, g, 0.5)
    if step % 50 == 0 then {
      print("step", step, "loss", l)
    }
  }
  print("final loss", loss(p, x, y))
}
