-- std.nn: the layers of a Moonlight-style (DeepSeek-V3) transformer, written once in mu.
--
-- Each layer is a record type of its parameters, an init function from a random key, and a pure
-- forward function. Activations are laid out f32[b, t, ·]: batch, sequence, features. Weights are
-- stored input-major (x @ w), so every projection is a plain batched matmul and every projection
-- weight a 2-D matrix that Muon can orthogonalize. (The layers take rank-3 activations rather than
-- any rank: a generic function's size parameters stay symbolic in its instances, so
-- `fn rms_norm[d, X: type](p: RmsNorm[d], x: X)` cannot broadcast x against the gain.)
--
-- Sizes that no argument determines (the heads nh and head dim dh of attention, the shape of a
-- fresh weight) are passed by keyword: attention(p, x, nh = 4, dh = 16).

-- ---- initializers ----

-- Shapes cannot be passed as values, so the size keywords are the shape: normal(key, 0.02, m = 4, n = 8).
fn normal[m, n](key: i32[2], std: f32) -> f32[m, n] =
  std * rand.normal(key, [m, n])

-- Each residual branch adds its output projection to the stream once per layer (attention and MLP:
-- 2·layers additions); shrinking their init by sqrt(2·layers) keeps the stream's variance at init
-- independent of depth (GPT-2).
fn scaled_std(std: f32, layers: i32) -> f32 =
  std / sqrt(2.0 * f32(layers))

-- ---- linear ----

type Linear[i, o] = { w: f32[i, o] }

type LinearBias[i, o] = { w: f32[i, o], b: f32[o] }

fn linear[b, t, i, o](p: Linear[i, o], x: f32[b, t, i]) -> f32[b, t, o] =
  x @ p.w

fn linear_bias[b, t, i, o](p: LinearBias[i, o], x: f32[b, t, i]) -> f32[b, t, o] =
  x @ p.w + p.b

fn linear_init[i, o](key: i32[2], std: f32 = 0.02) -> Linear[i, o] =
  { w: normal(key, std, m = i, n = o) }

fn linear_bias_init[i, o](key: i32[2], std: f32 = 0.02) -> LinearBias[i, o] =
  { w: normal(key, std, m = i, n = o), b: zeros([o]) }

-- ---- embedding ----

type Embedding[v, d] = { table: f32[v, d] }

-- A token id outside 0..v-1 is an error at run time (gather checks its indices).
fn embedding[b, t, v, d](p: Embedding[v, d], ids: i32[b, t]) -> f32[b, t, d] =
  gather(p.table, ids)

fn embedding_init[v, d](key: i32[2], std: f32 = 0.02) -> Embedding[v, d] =
  { table: normal(key, std, m = v, n = d) }

-- ---- RMSNorm ----

type RmsNorm[d] = { gain: f32[d] }

-- Like LayerNorm without the centering and the bias: cheaper, and as good in transformers.
-- eps keeps an all-zero vector finite.
fn rms_norm[b, t, d](p: RmsNorm[d], x: f32[b, t, d], eps: f32 = 1e-5) -> f32[b, t, d] =
  x * rsqrt(mean(x * x, axis = -1, keepdims = true) + eps) * p.gain

-- No randomness: a norm starts as the identity scaling.
fn rms_norm_init[d]() -> RmsNorm[d] =
  { gain: ones([d]) }

-- ---- SwiGLU MLP ----

type SwiGlu[d, h] = { gate: f32[d, h], up: f32[d, h], down: f32[h, d] }

-- The gate decides, per hidden unit, how much of the linear "up" feature passes (Shazeer 2020).
fn swiglu[b, t, d, h](p: SwiGlu[d, h], x: f32[b, t, d]) -> f32[b, t, d] =
  silu(x @ p.gate) * (x @ p.up) @ p.down

-- `down` writes into the residual stream, so it gets the depth-scaled std.
fn swiglu_init[d, h](key: i32[2], std: f32 = 0.02, layers: i32 = 1) -> SwiGlu[d, h] =
  let ks = rand.split(key, 3) in
  {
    gate: normal(ks[0], std, m = d, n = h),
    up: normal(ks[1], std, m = d, n = h),
    down: normal(ks[2], scaled_std(std, layers), m = h, n = d)
  }

-- ---- rotary position embedding ----

-- RoPE in the half-split form (GPT-NeoX, Llama): feature i of a head is paired with feature
-- i + e/2, and the pair is rotated by the angle pos · θ^(−2i/e). Rotating queries and keys by their
-- own positions makes their dot product depend only on the distance between them. e must be even.
fn rope[b, n, t, e](x: f32[b, n, t, e], theta: f32 = 50000.0) -> f32[b, n, t, e] =
  let (c, s) = rope_angles(theta, t = t, e = e) in x * c + rotate_half(x) * s

-- cos and sin of the angles, for positions 0..t-1 (rows) and features 0..e-1 (each pair's angle twice).
fn rope_angles[t, e](theta: f32) -> (f32[t, e], f32[t, e]) =
  let pair = arange(e) % (e / 2) in
  let inv_freq = theta ** (-2.0 * f32(pair) / f32(e)) in
  let angle = expand_dims(f32(arange(t)), 1) * inv_freq in
  (cos(angle), sin(angle))

-- (x1, x2) -> (-x2, x1) on the two halves of the last axis. Sizes have no division, so the halves
-- cannot be sliced as x[…, :e/2]; a gather with a computed permutation does the same.
fn rotate_half[b, n, t, e](x: f32[b, n, t, e]) -> f32[b, n, t, e] =
  let half = e / 2 in
  let i = arange(e) in
  gather(x, (i + half) % e, axis = -1) * where(i < half, -1.0, 1.0)

-- ---- attention ----

-- f32[b, t, nh·dh] -> f32[b, nh, t, dh]: heads become a batch axis for the matmuls.
fn split_heads[b, t, nh, dh](x: f32[b, t, nh * dh]) -> f32[b, nh, t, dh] =
  transpose(reshape(x, [b, t, nh, dh]), perm = [0, 2, 1, 3])

fn merge_heads[b, nh, t, dh](x: f32[b, nh, t, dh]) -> f32[b, t, nh * dh] =
  reshape(transpose(x, perm = [0, 2, 1, 3]), [b, t, nh * dh])

-- Scaled dot-product attention where position i sees positions 0..i only. Also returns the largest
-- logit the softmax sees: its growth is what destabilizes Muon-trained attention (MuonClip caps it),
-- so it is worth logging. Masked logits are -1e30 rather than -inf so that no inf - inf can appear;
-- every row sees at least its own position, so the max is always a real logit.
fn causal_attention[b, h, t, e, f](
  q: f32[b, h, t, e],
  k: f32[b, h, t, e],
  v: f32[b, h, t, f]
) -> (f32[b, h, t, f], f32) =
  let logits = q @ transpose(k) * rsqrt(f32(e)) in
  let pos = arange(t) in
  let visible = expand_dims(pos, 1) >= expand_dims(pos, 0) in
  let masked = where(visible, logits, -1e30) in
  (softmax(masked, axis = -1) @ v, max(masked))

-- Standard multi-head attention with RoPE on queries and keys; d = nh·dh.
type Attention[nh, dh] = { wq: f32[nh * dh, nh * dh], wk: f32[nh * dh, nh * dh], wv: f32[nh * dh, nh * dh], wo: f32[nh * dh, nh * dh] }

-- Returns the output and the max attention logit. MLA (mla, mla_q_latent) has the same call shape.
fn attention[b, t, nh, dh](
  p: Attention[nh, dh],
  x: f32[b, t, nh * dh],
  theta: f32 = 50000.0
) -> (f32[b, t, nh * dh], f32) =
  let q = rope(split_heads(x @ p.wq, nh = nh, dh = dh), theta) in
  let k = rope(split_heads(x @ p.wk, nh = nh, dh = dh), theta) in
  let v = split_heads(x @ p.wv, nh = nh, dh = dh) in
  let (o, max_logit) = causal_attention(q, k, v) in
  (merge_heads(o) @ p.wo, max_logit)

fn attention_init[nh, dh](key: i32[2], std: f32 = 0.02, layers: i32 = 1) -> Attention[nh, dh] =
  let d = nh * dh in
  let ks = rand.split(key, 4) in
  {
    wq: normal(ks[0], std, m = d, n = d),
    wk: normal(ks[1], std, m = d, n = d),
    wv: normal(ks[2], std, m = d, n = d),
    wo: normal(ks[3], scaled_std(std, layers), m = d, n = d)
  }

-- ---- multi-head latent attention (DeepSeek-V2/V3, Moonlight) ----
--
-- Keys and values are rebuilt per head from a latent c of dc ≪ d features: all a decoder would
-- need to cache. RoPE cannot go through that up-projection (a position-dependent rotation does not
-- commute with it, so it could not be folded into the query at inference), so position enters through
-- a separate dr-feature rotary key shared by all heads, concatenated to each head's non-rotary key;
-- queries get a matching dr-feature rotary part per head. Heads score over dh + dr features and
-- return dh-feature values, so d = nh·dh as in standard attention.

-- The key/value path: down to the latent, normalize it (its scale is otherwise free to drift), up to
-- per-head keys and values; plus the shared rotary key.
type MlaKv[nh, dh, dr, dc] = { down: f32[nh * dh, dc], norm: RmsNorm[dc], k_up: f32[dc, nh * dh], v_up: f32[dc, nh * dh], k_rope: f32[nh * dh, dr] }

-- Queries projected directly, as in Moonlight.
type Mla[nh, dh, dr, dc] = { wq: f32[nh * dh, nh * (dh + dr)], kv: MlaKv[nh, dh, dr, dc], wo: f32[nh * dh, nh * dh] }

-- Queries through their own dq-feature latent, as in DeepSeek-V3 (it saves activation memory in
-- training, not cache).
type MlaQLatent[nh, dh, dr, dc, dq] = { q_down: f32[nh * dh, dq], q_norm: RmsNorm[dq], q_up: f32[dq, nh * (dh + dr)], kv: MlaKv[nh, dh, dr, dc], wo: f32[nh * dh, nh * dh] }

fn mla[b, t, nh, dh, dr, dc](
  p: Mla[nh, dh, dr, dc],
  x: f32[b, t, nh * dh],
  theta: f32 = 50000.0
) -> (f32[b, t, nh * dh], f32) =
  mla_attend(p.kv, p.wo, x @ p.wq, x, theta, nh = nh, dh = dh)

fn mla_q_latent[b, t, nh, dh, dr, dc, dq](
  p: MlaQLatent[nh, dh, dr, dc, dq],
  x: f32[b, t, nh * dh],
  theta: f32 = 50000.0
) -> (f32[b, t, nh * dh], f32) =
  let q = rms_norm(p.q_norm, x @ p.q_down) @ p.q_up in
  mla_attend(p.kv, p.wo, q, x, theta, nh = nh, dh = dh)

-- The attention shared by both MLA variants, from the queries' projection q (per head: dh
-- non-rotary features, then dr rotary ones).
fn mla_attend[b, t, nh, dh, dr, dc](
  kv: MlaKv[nh, dh, dr, dc],
  wo: f32[nh * dh, nh * dh],
  q: f32[b, t, nh * (dh + dr)],
  x: f32[b, t, nh * dh],
  theta: f32
) -> (f32[b, t, nh * dh], f32) =
  let qh = split_heads(q, nh = nh, dh = dh + dr) in
  let q_full = concat((qh[:, :, :, :dh], rope(qh[:, :, :, dh:], theta)), axis = -1) in
  let c = rms_norm(kv.norm, x @ kv.down) in
  let k_nope = split_heads(c @ kv.k_up, nh = nh, dh = dh) in
  let v = split_heads(c @ kv.v_up, nh = nh, dh = dh) in
  let k_rope = rope(expand_dims(x @ kv.k_rope, 1), theta) in
  let k_full = concat((k_nope, broadcast_to(k_rope, [b, nh, t, dr])), axis = -1) in
  let (o, max_logit) = causal_attention(q_full, k_full, v) in
  (merge_heads(o) @ wo, max_logit)

fn mla_kv_init[nh, dh, dr, dc](key: i32[2], std: f32) -> MlaKv[nh, dh, dr, dc] =
  let d = nh * dh in
  let ks = rand.split(key, 4) in
  {
    down: normal(ks[0], std, m = d, n = dc),
    norm: rms_norm_init(d = dc),
    k_up: normal(ks[1], std, m = dc, n = d),
    v_up: normal(ks[2], std, m = dc, n = d),
    k_rope: normal(ks[3], std, m = d, n = dr)
  }

fn mla_init[nh, dh, dr, dc](key: i32[2], std: f32 = 0.02, layers: i32 = 1) -> Mla[nh, dh, dr, dc] =
  let d = nh * dh in
  let ks = rand.split(key, 3) in
  {
    wq: normal(ks[0], std, m = d, n = nh * (dh + dr)),
    kv: mla_kv_init(ks[1], std, nh = nh, dh = dh, dr = dr, dc = dc),
    wo: normal(ks[2], scaled_std(std, layers), m = d, n = d)
  }

fn mla_q_latent_init[nh, dh, dr, dc, dq](
  key: i32[2],
  std: f32 = 0.02,
  layers: i32 = 1
) -> MlaQLatent[nh, dh, dr, dc, dq] =
  let d = nh * dh in
  let ks = rand.split(key, 4) in
  {
    q_down: normal(ks[0], std, m = d, n = dq),
    q_norm: rms_norm_init(d = dq),
    q_up: normal(ks[1], std, m = dq, n = nh * (dh + dr)),
    kv: mla_kv_init(ks[2], std, nh = nh, dh = dh, dr = dr, dc = dc),
    wo: normal(ks[3], scaled_std(std, layers), m = d, n = d)
  }

-- ---- loss ----

-- Mean negative log-likelihood of the targets. logsumexp subtracts the row max first, so large
-- logits do not overflow.
fn cross_entropy[n, v](logits: f32[n, v], targets: i32[n]) -> f32 =
  let picked = squeeze(take_along_axis(logits, expand_dims(targets, -1), axis = -1), -1) in
  mean(logsumexp(logits, axis = -1) - picked)
