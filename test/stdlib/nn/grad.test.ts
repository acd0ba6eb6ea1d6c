// Gradients of every std.nn layer: a `.mu` function `grad(loss)(…)`, where the loss is
// sum(layer(…) · w) for fixed random weights w (so every output element matters), against central
// finite differences of the loss graph evaluated in float64. Every element of every parameter and
// of the input is checked, twice: the gradient graph evaluated in float64, |grad − fd| ≤
// 1e-6·(1 + |fd|), and the float32 interpreter's run of the same function, ≤ 1e-3·(1 + |fd|)
// (the reasons for both are in helpers.ts).
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../runtime/program.ts';
import { gradCheck, i32, nn, rng, uniform } from './helpers.ts';

// b = 2, t = 3, d = nh·dh = 2·4 = 8; MLA: dr = 2, dc = 3, dq = 5.
const program = nn(`
type X = f32[2, 3, 8]

fn lin(px: (nn.Linear[8, 3], X), w: f32[2, 3, 3]) -> f32 = let (p, x) = px in sum(nn.linear(p, x) * w)
fn d_lin(px: (nn.Linear[8, 3], X), w: f32[2, 3, 3]) = grad(lin)(px, w)

fn lin_b(px: (nn.LinearBias[8, 3], X), w: f32[2, 3, 3]) -> f32 = let (p, x) = px in sum(nn.linear_bias(p, x) * w)
fn d_lin_b(px: (nn.LinearBias[8, 3], X), w: f32[2, 3, 3]) = grad(lin_b)(px, w)

fn emb(p: nn.Embedding[5, 8], ids: i32[2, 3], w: X) -> f32 = sum(nn.embedding(p, ids) * w)
fn d_emb(p: nn.Embedding[5, 8], ids: i32[2, 3], w: X) = grad(emb)(p, ids, w)

fn norm(px: (nn.RmsNorm[8], X), w: X) -> f32 = let (p, x) = px in sum(nn.rms_norm(p, x) * w)
fn d_norm(px: (nn.RmsNorm[8], X), w: X) = grad(norm)(px, w)

fn mlp(px: (nn.SwiGlu[8, 6], X), w: X) -> f32 = let (p, x) = px in sum(nn.swiglu(p, x) * w)
fn d_mlp(px: (nn.SwiGlu[8, 6], X), w: X) = grad(mlp)(px, w)

fn rope(x: f32[2, 2, 3, 4], w: f32[2, 2, 3, 4]) -> f32 = sum(nn.rope(x, 10.0) * w)
fn d_rope(x: f32[2, 2, 3, 4], w: f32[2, 2, 3, 4]) = grad(rope)(x, w)

fn att(px: (nn.Attention[2, 4], X), w: X) -> f32 =
  let (p, x) = px in let (y, _) = nn.attention(p, x, 10.0, nh = 2, dh = 4) in sum(y * w)
fn d_att(px: (nn.Attention[2, 4], X), w: X) = grad(att)(px, w)

fn mla(px: (nn.Mla[2, 4, 2, 3], X), w: X) -> f32 =
  let (p, x) = px in let (y, _) = nn.mla(p, x, 10.0, nh = 2, dh = 4) in sum(y * w)
fn d_mla(px: (nn.Mla[2, 4, 2, 3], X), w: X) = grad(mla)(px, w)

fn mlaq(px: (nn.MlaQLatent[2, 4, 2, 3, 5], X), w: X) -> f32 =
  let (p, x) = px in let (y, _) = nn.mla_q_latent(p, x, 10.0, nh = 2, dh = 4) in sum(y * w)
fn d_mlaq(px: (nn.MlaQLatent[2, 4, 2, 3, 5], X), w: X) = grad(mlaq)(px, w)

fn ce(logits: f32[6, 5], y: i32[6]) -> f32 = nn.cross_entropy(logits, y)
fn d_ce(logits: f32[6, 5], y: i32[6]) -> f32[6, 5] = grad(ce)(logits, y)
`, 'grad');

const next = rng(5);
const u = (shape: number[], scale = 1) => uniform(next, shape, scale);
const x = u([2, 3, 8]);
const w = u([2, 3, 8]);
const kv = () => ({ down: u([8, 3], 0.8), norm: { gain: u([3], 1.5) }, k_up: u([3, 8], 0.8), v_up: u([3, 8], 0.8), k_rope: u([8, 2], 0.8) });

const cases: [string, Value[], number][] = [
  ['lin', [[{ w: u([8, 3]) }, x], u([2, 3, 3])], 24 + 48],
  ['lin_b', [[{ w: u([8, 3]), b: u([3]) }, x], u([2, 3, 3])], 24 + 3 + 48],
  // Token 4 twice and token 3 never: repeated rows add, unused rows get zero.
  ['emb', [{ table: u([5, 8]) }, i32([2, 3], [4, 0, 2, 4, 1, 2]), w], 40],
  ['norm', [[{ gain: u([8], 1.5) }, x], w], 8 + 48],
  ['mlp', [[{ gate: u([8, 6]), up: u([8, 6]), down: u([6, 8]) }, x], w], 3 * 48 + 48],
  ['rope', [u([2, 2, 3, 4]), u([2, 2, 3, 4])], 48],
  ['att', [[{ wq: u([8, 8], 0.8), wk: u([8, 8], 0.8), wv: u([8, 8], 0.8), wo: u([8, 8], 0.8) }, x], w], 4 * 64 + 48],
  ['mla', [[{ wq: u([8, 12], 0.8), kv: kv(), wo: u([8, 8], 0.8) }, x], w], 96 + 24 + 3 + 24 + 24 + 16 + 64 + 48],
  ['mlaq', [[{ q_down: u([8, 5], 0.8), q_norm: { gain: u([5], 1.5) }, q_up: u([5, 12], 0.8), kv: kv(), wo: u([8, 8], 0.8) }, x], w],
    40 + 5 + 60 + 24 + 3 + 24 + 24 + 16 + 64 + 48],
  ['ce', [u([6, 5], 3), i32([6], [0, 4, 2, 2, 1, 3])], 30],
];

describe('std.nn gradients vs float64 central differences', () => {
  for (const [fn, args, n] of cases) {
    it(fn, async () => {
      const { checked } = await gradCheck(program, fn, `d_${fn}`, args);
      expect(checked).toBe(n);
    });
  }
});
