-- A tiny model trained with std.optim the way a real one is: Moonlight's groups built with
-- init_with (AdamW for the embedding, the final norm and the head; the rule inside the layer),
-- global-norm clipping, a warmup-cosine schedule and the metrics per group.
import std.optim

type Net = {
  embed: f32[8, 4],
  layer: { w1: f32[4, 6], w2: f32[6, 4], experts: f32[3, 4, 4], gain: f32[4] },
  norm: f32[4],
  head: f32[4, 8]
}

fn loss(p: Net, x: i32[5], y: i32[5]) -> f32 =
  let h = gather(p.embed, x) * p.norm in
  let e = transpose(mean(p.layer.experts @ transpose(h), axis = 0)) in
  let h2 = h + (relu(h @ p.layer.w1) @ p.layer.w2) * p.layer.gain + e in
  let logits = h2 @ p.head in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, 8), axis = -1))

fn init(key: i32[2]) -> Net =
  let ks = rand.split(key, 5) in
  { embed: rand.normal(ks[0], [8, 4]),
    layer: { w1: rand.normal(ks[1], [4, 6]) * 0.3, w2: rand.normal(ks[2], [6, 4]) * 0.3,
             experts: rand.normal(ks[3], [3, 4, 4]) * 0.3, gain: ones([4]) },
    norm: ones([4]),
    head: rand.normal(ks[4], [4, 8]) * 0.3 }

-- Trains on one batch; gives the first loss, the last loss and the update RMS of each group at the
-- first step (Muon's is about 0.2·η; AdamW's about η).
fn train(steps: i32) -> (f32, f32, f32, f32) {
  var p = init(rand.key(0))
  var s = optim.init_with({ embed: optim.adamw_moments(p.embed), layer: optim.group_moments(p.layer),
                            norm: optim.adamw_moments(p.norm), head: optim.adamw_moments(p.head) })
  let x = [0, 1, 2, 3, 4]
  let y = [1, 2, 3, 4, 5]
  let first = loss(p, x, y)
  var muon_rms: f32 = 0
  var adamw_rms: f32 = 0
  for i in 0..steps do {
    let (_, g) = value_and_grad(loss)(p, x, y)
    let before = p
    (p, s) = optim.step(p, optim.clip_by_global_norm(g, 1.0), s, lr = optim.warmup_cosine(i + 1, 3e-2, 5, steps))
    if i == 0 then {
      let m = optim.metrics(before, p, g, s)
      muon_rms = m.muon_update_rms
      adamw_rms = m.adamw_update_rms
    }
  }
  return (first, loss(p, x, y), muon_rms, adamw_rms)
}
