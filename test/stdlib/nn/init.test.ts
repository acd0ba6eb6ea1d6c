// std.nn's initializers: the shape of every parameter, the std of the random ones within 10% of
// the requested std (and the mean within 10% of std of zero), the depth-scaled std of output
// projections, and the deterministic parts (norm gains 1, biases 0). Stds are measured on matrices
// of at least 4096 elements, where the sample std's relative standard error, 1/√(2n), is at most
// 1.1% and the mean's, 1/√n, at most 1.6%: 10% is 6 standard errors or more, so a correct
// initializer never fails, while a wrong factor (√2, a missing depth scaling) always does.
import { describe, expect, it } from 'vitest';
import { i32, nn } from './helpers.ts';
import type { Tensor, Value } from '../../../runtime/program.ts';

const program = nn(`
fn norm(key: i32[2], std: f32) -> f32[256, 128] = nn.normal(key, std, m = 256, n = 128)
fn scaled(std: f32, layers: i32) -> f32 = nn.scaled_std(std, layers)
fn lin(key: i32[2]) -> nn.Linear[3, 5] = nn.linear_init(key, i = 3, o = 5)
fn lin_b(key: i32[2]) -> nn.LinearBias[3, 5] = nn.linear_bias_init(key, 0.5, i = 3, o = 5)
fn emb(key: i32[2]) -> nn.Embedding[256, 64] = nn.embedding_init(key, v = 256, d = 64)
fn rms() -> nn.RmsNorm[6] = nn.rms_norm_init(d = 6)
fn mlp(key: i32[2]) -> nn.SwiGlu[128, 256] = nn.swiglu_init(key, 0.1, 8, d = 128, h = 256)
fn att(key: i32[2]) -> nn.Attention[8, 16] = nn.attention_init(key, 0.05, 2, nh = 8, dh = 16)
fn mla(key: i32[2]) -> nn.Mla[8, 16, 4, 32] = nn.mla_init(key, layers = 4, nh = 8, dh = 16, dr = 4, dc = 32)
fn mlaq(key: i32[2]) -> nn.MlaQLatent[8, 16, 4, 32, 48] = nn.mla_q_latent_init(key, nh = 8, dh = 16, dr = 4, dc = 32, dq = 48)
`, 'init');

const key = i32([2], [7, 11]);

function stats(t: Tensor): { mean: number; std: number } {
  const xs = Array.from(t.data);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length) };
}

/** The std is within 10% of `std` and the mean within 10% of `std` of zero. */
function expectStd(t: Tensor, std: number, label: string): void {
  const s = stats(t);
  expect(Math.abs(s.std - std), `${label}: std ${s.std}, want ${std}`).toBeLessThanOrEqual(0.1 * std);
  expect(Math.abs(s.mean), `${label}: mean ${s.mean}`).toBeLessThanOrEqual(0.1 * std);
}

/** Every leaf's shape, by its path. */
function shapes(v: Value, path = ''): Record<string, readonly number[]> {
  if (v !== null && typeof v === 'object' && 'data' in v) return { [path]: (v as Tensor).shape };
  return Object.assign({}, ...Object.entries(v as Record<string, Value>).map(([k, x]) => shapes(x, path ? `${path}.${k}` : k)));
}

/** A parameter record as the API returns it: tensors, or records of them, by field. */
type Params = { readonly [field: string]: Tensor & Params };
const call = async (fn: string, ...args: Value[]) => (await program.call(fn, ...args)) as Params;

describe('std.nn initializers', () => {
  it('normal: the requested shape and std; another key gives other values', async () => {
    for (const std of [1, 0.02]) {
      const t = (await program.call('norm', key, std)) as Tensor;
      expect(t.shape).toEqual([256, 128]);
      expectStd(t, std, `normal(std = ${std})`);
    }
    const a = (await program.call('norm', key, 1)) as Tensor;
    const b = (await program.call('norm', i32([2], [7, 12]), 1)) as Tensor;
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
  });

  it('scaled_std is std / sqrt(2·layers)', async () => {
    for (const [std, layers] of [[0.02, 1], [0.02, 8], [1, 27]] as const) {
      const got = ((await program.call('scaled', std, layers)) as Tensor).data[0]!;
      expect(got).toBeCloseTo(Math.fround(std) / Math.sqrt(2 * layers), 7);
    }
  });

  it('linear, linear_bias, embedding, rms_norm: shapes, std (0.02 by default), zero bias, unit gain', async () => {
    expect(shapes(await call('lin', key))).toEqual({ w: [3, 5] });
    const lb = await call('lin_b', key);
    expect(shapes(lb)).toEqual({ w: [3, 5], b: [5] });
    expect(Array.from(lb.b.data)).toEqual([0, 0, 0, 0, 0]);
    const e = await call('emb', key);
    expect(shapes(e)).toEqual({ table: [256, 64] });
    expectStd(e.table, 0.02, 'embedding table');
    const r = await call('rms');
    expect(shapes(r)).toEqual({ gain: [6] });
    expect(Array.from(r.gain.data)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('swiglu: gate and up at std, down at std / sqrt(2·layers)', async () => {
    const p = await call('mlp', key);
    expect(shapes(p)).toEqual({ gate: [128, 256], up: [128, 256], down: [256, 128] });
    expectStd(p.gate, 0.1, 'gate');
    expectStd(p.up, 0.1, 'up');
    expectStd(p.down, 0.1 / 4, 'down');
    expect(Array.from(p.gate.data.slice(0, 8))).not.toEqual(Array.from(p.up.data.slice(0, 8)));
  });

  it('attention: d×d projections (d = nh·dh = 128), wo depth-scaled', async () => {
    const p = await call('att', key);
    expect(shapes(p)).toEqual({ wq: [128, 128], wk: [128, 128], wv: [128, 128], wo: [128, 128] });
    for (const k of ['wq', 'wk', 'wv']) expectStd(p[k]!, 0.05, k);
    expectStd(p.wo, 0.05 / 2, 'wo');
  });

  it('mla and mla_q_latent: shapes of every projection, latent norms at 1, wo depth-scaled', async () => {
    // d = 128, nh·(dh + dr) = 160 query features, dr = 4, dc = 32, dq = 48.
    const kv = { 'kv.down': [128, 32], 'kv.norm.gain': [32], 'kv.k_up': [32, 128], 'kv.v_up': [32, 128], 'kv.k_rope': [128, 4] };
    const p = await call('mla', key);
    expect(shapes(p)).toEqual({ wq: [128, 160], ...kv, wo: [128, 128] });
    expectStd(p.wq, 0.02, 'wq');
    expectStd(p.kv.down, 0.02, 'kv.down');
    expectStd(p.kv.k_up, 0.02, 'kv.k_up');
    expectStd(p.wo, 0.02 / Math.sqrt(8), 'wo');
    expect(new Set(p.kv.norm.gain.data)).toEqual(new Set([1]));
    const q = await call('mlaq', key);
    expect(shapes(q)).toEqual({ q_down: [128, 48], 'q_norm.gain': [48], q_up: [48, 160], ...kv, wo: [128, 128] });
    expectStd(q.q_up, 0.02, 'q_up');
    expectStd(q.wo, 0.02 / Math.sqrt(2), 'wo');
  });
});
