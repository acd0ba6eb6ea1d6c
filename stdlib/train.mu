-- std.train: the training loop every model shares, written once with function parameters.
--
--   let (p, s) = train.fit(loss, update, params, state, data, steps, b = 8, t = 64)
--
-- trains for `steps` steps on batches of `b` windows of `t` byte tokens of a corpus opened with
-- text.open. The model and the optimizer come in as two functions:
--
--   loss(p, x: i32[b, t], y: i32[b, t]) -> (f32, A)
--       the loss of a batch, and anything else the update needs (a mixture-of-experts layer's
--       load statistics; `()` when there is nothing);
--   update(p, g, s, aux: A, step: i32, steps: i32) -> (P, S, M)
--       the optimizer step with its schedule (step of steps) and clipping: new parameters, new
--       state, and a record of scalar metrics (learning rate, update RMS, …) to show and log.
--
-- With `stop_at`, the run stops after that step, as if interrupted: the schedule still spans all
-- `steps`, and a later call with `resume` continues it (how an experiment records a curve).
--
-- Every `eval_every` steps the mean loss over `eval_batches` batches of the held-out split is
-- printed and logged. Every `checkpoint_every` steps, and at the end, the parameters, the optimizer
-- state and the step are saved to `checkpoint` (a safetensors file, written atomically). With
-- `resume`, the loop starts from that checkpoint: batch i and every random key depend only on the
-- step, so a resumed run continues bit for bit as the uninterrupted one would. A loss or a
-- parameter that is NaN or infinite stops the run before anything is saved, so the last
-- checkpoint stays a good one.
--
-- On N data-parallel ranks (`muc run --ranks N`) each rank trains on its b/N rows of every batch
-- of b windows, the loss and `aux` shown and given to `update` are their means over the ranks, and
-- `update` must combine the ranks' gradients: dist.step does (with dist.init's sharded state).
-- After every step the ranks' parameters are compared, so an update that forgets to stops the run
-- at once. Each rank checkpoints to its own file (comm.path), as its optimizer state is its own.

fn fit[b, t, P: type, S: type](
  loss: fn,
  update: fn,
  params: P,
  state: S,
  data: Text,
  steps: i32,
  seed: i32 = 0,
  eval_every: i32 = 100,
  eval_batches: i32 = 4,
  checkpoint: str = "checkpoint.safetensors",
  checkpoint_every: i32 = 100,
  resume: bool = false,
  stop_at: i32 = -1
) -> (P, S) {
  var p = params
  var s = state
  var start = 0
  let ckpt = comm.path(checkpoint)
  if resume then {
    if file.exists(ckpt) then {
      let saved = load(ckpt, { params: params, state: state, step: 0 })
      p = saved.params
      s = saved.state
      start = saved.step
      print("resumed from", ckpt, "at step", start)
    } else {
      print("no checkpoint at", ckpt, "yet: starting at step 0")
    }
  }
  let end = if stop_at >= 0 then minimum(stop_at, steps) else steps
  for i in start..end do {
    let (xs, ys) = text.batch(data, i, b, t, seed = seed)
    let x = comm.split(xs)
    let y = comm.split(ys)
    let ((local, aux), g) = value_and_grad(loss)(p, x, y)
    let l = comm.all_reduce(local)
    if not is_finite(l) then {
      fail("the loss is", l, "at step", i, "so the run stops; the last checkpoint is intact")
    }
    let (p2, s2, m) = update(p, g, s, comm.all_reduce(aux), i, steps)
    if non_finite(p2) > 0 then {
      fail(
        "the parameters became NaN or infinite at step",
        i,
        "so the run stops; the last checkpoint is intact"
      )
    }
    let ranks = comm.size()
    if ranks > 1 then {
      let mine = checksum(p2)
      let mean = comm.all_reduce(mine)
      let spread = comm.all_reduce(abs(mine - mean), op = "sum")
      if spread > 1e-5 * (abs(mean) + 1.0) then {
        fail(
          "the ranks' parameters differ after step",
          i,
          "; on several ranks the update must combine their gradients, as dist.step does"
        )
      }
    }
    p = p2
    s = s2
    progress(i, steps, { loss: l, tokens: b * t }, m)
    log_metrics({ step: i, loss: l }, m)
    if (i + 1) % eval_every == 0 then {
      let v = validation_loss(loss, p, data, eval_batches, b = b, t = t)
      print("step", i + 1, "val_loss", v)
      log_metrics({ step: i + 1, val_loss: v })
    }
    if (i + 1) % checkpoint_every == 0 or i + 1 == steps then {
      save(ckpt, { params: p, state: s, step: i + 1 })
    }
  }
  return (p, s)
}

-- The mean loss over the first `batches` batches of the held-out split.
fn validation_loss[b, t, P: type](loss: fn, p: P, data: Text, batches: i32) -> f32 {
  var total = 0.0
  for j in 0..batches do {
    let (x, y) = text.batch(data, j, b, t, split = "valid")
    let (l, _) = loss(p, x, y)
    total = total + l
  }
  return total / f32(batches)
}

-- A number that differs between two parameter records that differ (almost surely).
fn checksum[P: type](p: P) -> f32 =
  tree.sum(fn(w) = sum(w * (1.0 + w)), p)

-- How many elements of a parameter record are NaN or infinite.
fn non_finite[P: type](p: P) -> f32 =
  tree.sum(fn(w) = sum(f32(not is_finite(w))), p)
