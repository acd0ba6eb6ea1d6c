-- std.lm: a decoder-only language model in the shape of Moonlight (DeepSeek-V3), at small scale:
-- byte tokens (a vocabulary of 256), a first layer that is dense, then `l` mixture-of-experts
-- layers with routed and shared experts, RMSNorm before each sublayer, and an untied output head.
--
-- Sizes, passed by keyword: nh heads of dh (the model width is d = nh·dh); f the dense layer's
-- SwiGLU width; l MoE layers, each with e routed experts of width h (k chosen per token, room for c
-- tokens per expert over a batch) and s shared experts of width hs; dr and dc the rotary and latent
-- widths of MLA. `attention` is "mha" (standard multi-head attention with RoPE) or "mla"
-- (DeepSeek-V3's multi-head latent attention); an option known when compiling, so the parameter
-- records of the two differ.
--
-- The parameters are laid out as std.optim expects, { hidden, other }: the blocks (Muon for their
-- matrices, AdamW for their norm gains) and the embedding, final norm and head (AdamW). The MoE
-- layers are stacked: every leaf of `hidden.layers` has a leading axis of size l, and the forward
-- pass loops over it. Each layer's router bias is not trained by the gradient: `balance` moves it
-- after each step, from the loads the forward pass reports (auxiliary-loss-free balancing).
import std.nn

import std.moe

-- ===== parameters =====

fn init[nh, dh, f, e, h, s, hs, l, dr, dc](key: i32[2], attention: str = "mha") =
  let d = nh * dh in
  let ks = rand.split(key, 4) in
  {
    hidden: {
      first: dense_init(ks[0], attention, l + 1, nh = nh, dh = dh, f = f, dr = dr, dc = dc),
      layers: stacked(
        ks[1],
        fn(k) =
          moe_block_init(
            k,
            attention,
            l + 1,
            nh = nh,
            dh = dh,
            e = e,
            h = h,
            s = s,
            hs = hs,
            dr = dr,
            dc = dc
          ),
        l = l
      )
    },
    other: {
      embed: nn.embedding_init(ks[2], v = 256, d = d),
      norm: nn.rms_norm_init(d = d),
      head: nn.linear_init(ks[3], i = d, o = 256)
    }
  }

fn dense_init[nh, dh, f, dr, dc](key: i32[2], attention: str, layers: i32) =
  let ks = rand.split(key, 2) in
  {
    norm1: nn.rms_norm_init(d = nh * dh),
    attn: attention_init(ks[0], attention, layers, nh = nh, dh = dh, dr = dr, dc = dc),
    norm2: nn.rms_norm_init(d = nh * dh),
    mlp: nn.swiglu_init(ks[1], layers = layers, d = nh * dh, h = f)
  }

fn moe_block_init[nh, dh, e, h, s, hs, dr, dc](key: i32[2], attention: str, layers: i32) =
  let ks = rand.split(key, 2) in
  {
    norm1: nn.rms_norm_init(d = nh * dh),
    attn: attention_init(ks[0], attention, layers, nh = nh, dh = dh, dr = dr, dc = dc),
    norm2: nn.rms_norm_init(d = nh * dh),
    moe: moe.init(ks[1], d = nh * dh, e = e, h = h, s = s, hs = hs)
  }

fn attention_init[nh, dh, dr, dc](key: i32[2], attention: str, layers: i32) =
  if attention == "mla" then
    nn.mla_init(key, layers = layers, nh = nh, dh = dh, dr = dr, dc = dc)
  else
    nn.attention_init(key, layers = layers, nh = nh, dh = dh)

-- l independent copies of what `one` makes from a key, stacked along a new first axis of every
-- leaf; copy i is made from the key folded with i.
fn stacked[l](key: i32[2], one: fn) =
  loop st = tree.map(fn(w) = repeat(zeros_like(w), l), one(key)) for i in 0..l do
    tree.map(
      fn(s, w) = scatter_add(s, full([1], i), expand_dims(w, 0)),
      st,
      one(rand.fold_in(key, i))
    )

-- Layer i of a stack.
fn layer[S: type](st: S, i: i32) =
  tree.map(fn(w) = w[i], st)

-- ===== the forward pass =====

fn attend[b, t, nh, dh, dr, dc, A: type](
  p: A,
  x: f32[b, t, nh * dh],
  attention: str
) -> (f32[b, t, nh * dh], f32) =
  if attention == "mla" then
    nn.mla(p, x, nh = nh, dh = dh, dr = dr, dc = dc)
  else
    nn.attention(p, x, nh = nh, dh = dh)

-- The dense block: x + attention(norm(x)), then + SwiGLU(norm(·)); also the max attention logit.
fn dense_block[b, t, nh, dh, dr, dc, B: type](
  p: B,
  x: f32[b, t, nh * dh],
  attention: str
) -> (f32[b, t, nh * dh], f32) =
  let (a, m) = attend(
    p.attn,
    nn.rms_norm(p.norm1, x),
    attention,
    nh = nh,
    dh = dh,
    dr = dr,
    dc = dc
  ) in
  let y = x + a in
  (y + nn.swiglu(p.mlp, nn.rms_norm(p.norm2, y)), m)

-- An MoE block: as the dense one with the MoE layer for the feed-forward; also its load stats and
-- sequence-wise auxiliary loss.
fn moe_block[b, t, nh, dh, k, c, dr, dc, B: type](p: B, x: f32[b, t, nh * dh], attention: str) =
  let (a, m) = attend(
    p.attn,
    nn.rms_norm(p.norm1, x),
    attention,
    nh = nh,
    dh = dh,
    dr = dr,
    dc = dc
  ) in
  let y = x + a in
  let (z, st, aux) = moe.forward(p.moe, nn.rms_norm(p.norm2, y), k = k, c = c) in
  (y + z, st, aux, m)

-- The logits of every position, and what the step needs besides: each MoE layer's load, the
-- dropped assignments, the summed auxiliary loss and the largest attention logit.
fn forward[b, t, nh, dh, e, l, k, c, dr, dc, M: type](p: M, x: i32[b, t], attention: str = "mha") =
  let x0 = nn.embedding(p.other.embed, x) in
  let (x1, m1) = dense_block(p.hidden.first, x0, attention, nh = nh, dh = dh, dr = dr, dc = dc) in
  let (xl, load, dropped, aux, mx) =
    loop (xi, load, dropped, aux, mx) = (x1, zeros([l, e]), 0.0, 0.0, m1) for i in 0..l do
      let (xn, st, a, m) = moe_block(
        layer(p.hidden.layers, i),
        xi,
        attention,
        nh = nh,
        dh = dh,
        k = k,
        c = c,
        dr = dr,
        dc = dc
      ) in
      (
        xn,
        scatter_add(load, full([1], i), expand_dims(st.load, 0)),
        dropped + st.dropped,
        aux + a,
        maximum(mx, m)
      ) in
  (
    nn.linear(p.other.head, nn.rms_norm(p.other.norm, xl)),
    { load: load, dropped: dropped, aux: aux, max_logit: mx }
  )

-- The next-byte cross-entropy (plus the auxiliary loss), and the stats for `balance` and the logs.
fn loss[b, t, nh, dh, e, l, k, c, dr, dc, M: type](
  p: M,
  x: i32[b, t],
  y: i32[b, t],
  attention: str = "mha"
) =
  let (logits, st) = forward(
    p,
    x,
    attention,
    nh = nh,
    dh = dh,
    e = e,
    l = l,
    k = k,
    c = c,
    dr = dr,
    dc = dc
  ) in
  (nn.cross_entropy(reshape(logits, [b * t, 256]), reshape(y, [b * t])) + st.aux, st)

-- ===== balancing =====

-- The parameters after an optimizer step (`next`), with every MoE layer's bias moved from its value
-- before the step (`prev`) by the loads of that step: b += u·(sign(err) − mean(sign(err))),
-- err = mean load − load, so an overloaded expert is chosen a little less often next time. The
-- optimizer's own change to the bias (its gradient is zero; only weight decay would move it) is
-- discarded.
fn balance[l, e, M: type](next: M, prev: M, load: f32[l, e], u: f32 = 1e-3) =
  let layers = next.hidden.layers in
  let bias = rebalance(prev.hidden.layers.moe.bias, load, u) in
  { next with
    hidden: { next.hidden with layers: { layers with moe: { layers.moe with bias: bias } } }
  }

fn rebalance[l, e](bias: f32[l, e], load: f32[l, e], u: f32) -> f32[l, e] =
  let err = mean(load, axis = -1, keepdims = true) - load in
  bias + u * (sign(err) - mean(sign(err), axis = -1, keepdims = true))

-- ===== sampling =====

-- The next byte after a window: drawn from the `top` most likely, at a temperature (Gumbel-max).
fn next_token[t, top, nh, dh, e, l, k, c, dr, dc, M: type](
  p: M,
  window: i32[1, t],
  key: i32[2],
  temperature: f32,
  attention: str
) -> i32 =
  let (logits, _) = forward(
    p,
    window,
    attention,
    nh = nh,
    dh = dh,
    e = e,
    l = l,
    k = k,
    c = c,
    dr = dr,
    dc = dc
  ) in
  let (v, idx) = topk(logits[0, t - 1], top) in
  let gumbel = -log(-log(rand.uniform(key, [top]) * 0.999998 + 0.000001)) in
  idx[argmax(v / temperature + gumbel)]

-- n bytes generated after the first window of the held-out text: (that window, the continuation).
fn sample[n, t, top, nh, dh, e, l, k, c, dr, dc, M: type](
  p: M,
  data: Text,
  seed: i32,
  temperature: f32,
  attention: str
) -> (str, str) {
  let (prompt, _) = text.batch(data, 0, 1, t, split = "valid")
  var window = prompt
  var out = zeros([n])
  for i in 0..n do {
    let key = rand.fold_in(rand.key(seed), i)
    let tok = next_token(
      p,
      window,
      key,
      temperature,
      attention,
      t = t,
      top = top,
      nh = nh,
      dh = dh,
      e = e,
      l = l,
      k = k,
      c = c,
      dr = dr,
      dc = dc
    )
    window = concat((window[:, 1:], reshape(tok, [1, 1])), axis = 1)
    out = where(arange(n) == i, f32(tok), out)
  }
  return (text.decode(prompt[0]), text.decode(i32(out)))
}
