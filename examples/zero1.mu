-- What distributed Muon costs, measured: Moonlight-mini's model trained data-parallel for a few
-- steps with ZeRO-1 Muon (std.dist, Moonlight's groups) and with ZeRO-1 AdamW (every leaf), on the
-- same batches. Prints, per rank: optimizer-state bytes, bytes sent by the collectives per step,
-- and the optimizer's share of the step time; writes them to results/zero1_<N>ranks.json.
--
--   muc run examples/zero1.mu --ranks 4
--   muc run examples/zero1.mu --ranks 2 --arg steps=10
import moonlight_mini

import std.dist

import std.optim

-- `steps` steps from p0 and the sharded state s0; the first step (compiling) is not timed.
fn measure[P: type, S: type](p0: P, s0: S, data: Text, steps: i32) {
  var p = p0
  var s = s0
  var sent = 0.0
  var grads = 0.0
  var optimizer = 0.0
  var last = 0.0
  for i in 0..steps + 1 do {
    let (xs, ys) = text.batch(data, i, 8, 64)
    let x = comm.split(xs)
    let y = comm.split(ys)
    let t0 = clock()
    let ((local, aux), g) = value_and_grad(moonlight_mini.loss)(p, x, y)
    let t1 = clock()
    let before = comm.stats()
    let (p2, s2) = dist.step(p, g, s, lr = 1e-2, max_norm = 1.0)
    let after = comm.stats()
    let t2 = clock()
    p = p2
    s = s2
    last = comm.all_reduce(local)
    if i > 0 then {
      sent = sent + after.bytes - before.bytes
      grads = grads + t1 - t0
      optimizer = optimizer + t2 - t1
    }
  }
  let n = f32(steps)
  return {
    state_bytes: dist.state_bytes(s),
    bytes_per_step: sent / n,
    grad_ms: 1000.0 * grads / n,
    optimizer_ms: 1000.0 * optimizer / n,
    optimizer_share: optimizer / (grads + optimizer),
    loss: last
  }
}

fn main(steps: i32 = 5) {
  let data = text.open("moby-dick", holdout = 0.05)
  let p0 = moonlight_mini.model(0)
  let muon = measure(p0, dist.init(p0), data, steps)
  let adamw = measure(
    p0,
    dist.shard_state(optim.init_with(optim.adamw_moments(p0)), p0),
    data,
    steps
  )
  let ranks = comm.size()
  print("ranks", ranks, "| parameter bytes", 4.0 * tree.sum(fn(w) = sum(ones_like(w)), p0))
  print("                          Muon        AdamW       Muon/AdamW")
  print(
    "optimizer state / rank  ",
    muon.state_bytes,
    adamw.state_bytes,
    muon.state_bytes / adamw.state_bytes
  )
  print(
    "bytes sent / step / rank",
    muon.bytes_per_step,
    adamw.bytes_per_step,
    muon.bytes_per_step / maximum(adamw.bytes_per_step, 1.0)
  )
  print("forward+backward ms     ", muon.grad_ms, adamw.grad_ms)
  print("optimizer ms            ", muon.optimizer_ms, adamw.optimizer_ms)
  print("optimizer share of step ", muon.optimizer_share, adamw.optimizer_share)
  print("loss after the steps    ", muon.loss, adamw.loss)
  json.write(
    "results/zero1.json",
    { ranks: f32(ranks), steps: f32(steps), machine: machine(), muon: muon, adamw: adamw }
  )
}
