-- A small model with every kind of leaf (a matrix, an expert stack, a gain, a bias, an embedding)
-- and shapes that do not divide by 2, 3 or 4, trained by dist.step (over the ranks it runs on) or
-- by optim.step (on one rank), on the same global batches.
import std.dist
import std.optim

fn model(seed: i32) =
  let key = rand.key(seed) in
  let ks = rand.split(key, 4) in
  {
    hidden: {
      w: rand.normal(ks[0], [5, 7]) * 0.3,
      experts: rand.normal(ks[1], [3, 7, 5]) * 0.3,
      gain: ones([7]),
      bias: zeros([5])
    },
    other: { embed: rand.normal(ks[2], [11, 5]) * 0.3 }
  }

fn loss[b, P: type](p: P, x: i32[b], y: f32[b, 5]) -> f32 =
  let h = gather(p.other.embed, x) @ p.hidden.w in
  let h2 = tanh(h * p.hidden.gain) in
  let z = sum(stack((h2, h2, h2)) @ p.hidden.experts, axis = 0) + p.hidden.bias in
  mean((z - y) * (z - y))

-- `steps` steps on global batches of 8 from p0; returns the parameters, this rank's optimizer state
-- and its size in bytes.
fn train[P: type](p0: P, steps: i32, distributed: bool) {
  var p = p0
  var s = dist.init(p)
  var s1 = optim.init(p)
  for i in 0..steps do {
    let key = rand.fold_in(rand.key(1), i)
    let xg = i32(rand.uniform(key, [8]) * 10.99)
    let yg = rand.normal(rand.fold_in(key, 1), [8, 5])
    if distributed then {
      let g = grad(loss)(p, comm.split(xg), comm.split(yg))
      let (p2, s2) = dist.step(p, g, s, lr = 0.02, max_norm = 1.0)
      p = p2
      s = s2
    } else {
      let g = optim.clip_by_global_norm(grad(loss)(p, xg, yg), 1.0)
      let (p2, s2) = optim.step(p, g, s1, lr = 0.02)
      p = p2
      s1 = s2
    }
  }
  return (p, s.moments, dist.state_bytes(s))
}
