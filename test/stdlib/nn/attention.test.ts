// std.nn's causal attention and MLA against float64 TypeScript references written from the
// formulas (per batch, per head, per query position), and their causality.
//
// Tolerances, |got − want| ≤ atol + rtol·|want|:
// - the graph evaluated in float64: rtol 1e-7, atol 1e-7 (outputs are sums of terms of order 1).
//   The arithmetic is float64 but the graph's constants are f32: eps, and the folded 1/3 of the
//   latent's mean and 1/√6 softmax scale of MLA, relative errors below 6e-8 (see layers.test.ts).
//   With those two constants rounded to f32 in the reference too, the two agree to 1e-12.
// - the float32 interpreter: rtol 1e-4, atol 1e-5 (values of order 1; a few float32 ulps per
//   operation through projections, softmax and the output projection).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attendRef, cols, data, expectClose, f32, flatRows, matmul, nn, rmsNormRef, rng, ropeRef, rows, run64, uniform,
  type Mat,
} from './helpers.ts';
import type { Tensor, Value } from '../../../runtime/program.ts';

const F64 = [1e-7, 1e-7] as const;
const F32 = [1e-4, 1e-5] as const;

// b = 2 sequences of t = 5 positions, d = nh·dh = 2·4 = 8; MLA adds dr = 2 rotary features, a
// key/value latent of dc = 3 and a query latent of dq = 5.
const B = 2;
const T = 5;
const NH = 2;
const DH = 4;
const D = NH * DH;
const DR = 2;
const DC = 3;
const DQ = 5;

const program = nn(`
fn att(p: nn.Attention[2, 4], x: f32[2, 5, 8]) -> (f32[2, 5, 8], f32) = nn.attention(p, x, nh = 2, dh = 4)
fn att10(p: nn.Attention[2, 4], x: f32[2, 5, 8]) -> (f32[2, 5, 8], f32) = nn.attention(p, x, 10.0, nh = 2, dh = 4)
fn mla(p: nn.Mla[2, 4, 2, 3], x: f32[2, 5, 8]) -> (f32[2, 5, 8], f32) = nn.mla(p, x, nh = 2, dh = 4)
fn mla10(p: nn.Mla[2, 4, 2, 3], x: f32[2, 5, 8]) -> (f32[2, 5, 8], f32) = nn.mla(p, x, theta = 10.0, nh = 2, dh = 4)
fn mlaq(p: nn.MlaQLatent[2, 4, 2, 3, 5], x: f32[2, 5, 8]) -> (f32[2, 5, 8], f32) = nn.mla_q_latent(p, x, nh = 2, dh = 4)
`, 'attention');

// ---- references ----

interface Out {
  readonly y: number[];
  readonly max: number;
}

/** The t×d rows of sequence s of an f32[b, t, d] tensor. */
const sequence = (x: Tensor, s: number): Mat => rows(x, B * T).slice(s * T, (s + 1) * T);

/** Rotates each row (one position) of a t×e matrix by its position. */
const ropeRows = (m: Mat, theta: number): Mat => m.map((v, pos) => ropeRef(v, pos, theta));

/**
 * Per sequence: heads[h] gives the (q, k, v) matrices of head h, one row per position; their
 * attention outputs are concatenated by head and projected by wo.
 */
function heads(x: Tensor, wo: Tensor, perSequence: (xs: Mat) => (h: number) => [Mat, Mat, Mat]): Out {
  let max = -Infinity;
  const y: number[] = [];
  for (let s = 0; s < B; s++) {
    const qkv = perSequence(sequence(x, s));
    const outs = Array.from({ length: NH }, (_, h) => {
      const r = attendRef(...qkv(h));
      max = Math.max(max, r.max);
      return r.out;
    });
    const o = outs[0]!.map((_, i) => outs.flatMap((oh) => oh[i]!));
    y.push(...flatRows(matmul(o, rows(wo, D))));
  }
  return { y, max };
}

type Params = Readonly<Record<string, Tensor>>;

function attentionRef(p: Params, x: Tensor, theta = 50000): Out {
  return heads(x, p.wo!, (xs) => {
    const [q, k, v] = [p.wq!, p.wk!, p.wv!].map((w) => matmul(xs, rows(w, D)));
    return (h) => [ropeRows(cols(q!, h * DH, (h + 1) * DH), theta), ropeRows(cols(k!, h * DH, (h + 1) * DH), theta), cols(v!, h * DH, (h + 1) * DH)];
  });
}

/**
 * MLA from its definition: per head, the query is [q_nope, rope(q_rope)] from columns
 * h·(dh+dr) … of the query projection; the key is [k_nope_h, rope(x @ k_rope)] where k_nope and v
 * come from the normalized latent rms_norm(x @ down); scores are scaled by 1/√(dh + dr).
 */
function mlaRef(kv: Params, wo: Tensor, queries: (xs: Mat) => Mat, x: Tensor, theta = 50000): Out {
  return heads(x, wo, (xs) => {
    const q = queries(xs);
    const c = rmsNormRef(matmul(xs, rows(kv.down!, D)), Array.from(kv.gain!.data));
    const kNope = matmul(c, rows(kv.k_up!, DC));
    const v = matmul(c, rows(kv.v_up!, DC));
    const kRope = ropeRows(matmul(xs, rows(kv.k_rope!, D)), theta);
    return (h) => {
      const at = h * (DH + DR);
      const qh = cols(q, at, at + DH).map((r, pos) => [...r, ...ropeRef(q[pos]!.slice(at + DH, at + DH + DR), pos, theta)]);
      const kh = cols(kNope, h * DH, (h + 1) * DH).map((r, pos) => [...r, ...kRope[pos]!]);
      return [qh, kh, cols(v, h * DH, (h + 1) * DH)];
    };
  });
}

// ---- parameters ----

/** Weights uniform in [-0.8, 0.8] (std ≈ 0.46): logits of order 1, so softmax is neither flat nor one-hot. */
const weight = (next: () => number, shape: number[]): Tensor => uniform(next, shape, 0.8);

function attentionParams(next: () => number): Params {
  return { wq: weight(next, [D, D]), wk: weight(next, [D, D]), wv: weight(next, [D, D]), wo: weight(next, [D, D]) };
}

function kvParams(next: () => number) {
  return {
    down: weight(next, [D, DC]),
    norm: { gain: uniform(next, [DC], 1.5) },
    k_up: weight(next, [DC, D]),
    v_up: weight(next, [DC, D]),
    k_rope: weight(next, [D, DR]),
  };
}

const flatKv = ({ norm, ...kv }: ReturnType<typeof kvParams>): Params => ({ ...kv, gain: norm.gain });

const resultOf = (v: Value): Out => {
  const [y, m] = v as readonly Tensor[];
  return { y: data(y), max: data(m)[0]! };
};

async function expectMatches(fn: string, args: Value[], want: Out): Promise<void> {
  const [y64, m64] = run64(program, fn, ...args);
  expectClose(data(y64), want.y, ...F64, `${fn} output (float64 graph)`);
  expectClose(data(m64), [want.max], ...F64, `${fn} max logit (float64 graph)`);
  const got = resultOf(await program.call(fn, ...args));
  expectClose(got.y, want.y, ...F32, `${fn} output (float32 run)`);
  expectClose([got.max], [want.max], ...F32, `${fn} max logit (float32 run)`);
}

describe('std.nn attention vs float64 references', () => {
  const next = rng(3);
  const x = uniform(next, [B, T, D]);

  it('attention: RoPE on q and k, causal softmax(q·k/√dh), heads concatenated, @ wo', async () => {
    const p = attentionParams(next);
    await expectMatches('att', [p, x], attentionRef(p, x));
    await expectMatches('att10', [p, x], attentionRef(p, x, 10));
  });

  it('mla: latent keys/values, decoupled shared rotary key, direct queries', async () => {
    const kv = kvParams(next);
    const p = { wq: weight(next, [D, NH * (DH + DR)]), kv, wo: weight(next, [D, D]) };
    const queries = (xs: Mat): Mat => matmul(xs, rows(p.wq, D));
    await expectMatches('mla', [p, x], mlaRef(flatKv(kv), p.wo, queries, x));
    await expectMatches('mla10', [p, x], mlaRef(flatKv(kv), p.wo, queries, x, 10));
  });

  it('mla_q_latent: queries through rms_norm(x @ q_down) @ q_up', async () => {
    const kv = kvParams(next);
    const p = {
      q_down: weight(next, [D, DQ]), q_norm: { gain: uniform(next, [DQ], 1.5) }, q_up: weight(next, [DQ, NH * (DH + DR)]),
      kv, wo: weight(next, [D, D]),
    };
    const queries = (xs: Mat): Mat => matmul(rmsNormRef(matmul(xs, rows(p.q_down, D)), Array.from(p.q_norm.gain.data)), rows(p.q_up, DQ));
    await expectMatches('mlaq', [p, x], mlaRef(flatKv(kv), p.wo, queries, x));
  });

  it('the max logit is that of the visible pairs only', async () => {
    // With wq = wk = I (rope aside) the future logits would dominate if they were not masked:
    // sequence values grow with position.
    const eye = f32([D, D], Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0)));
    const p = { wq: eye, wk: eye, wv: eye, wo: eye };
    const grow = f32([B, T, D], Array.from({ length: B * T * D }, (_, i) => (Math.floor(i / D) % T) + 1));
    const want = attentionRef(p, grow);
    await expectMatches('att', [p, grow], want);
  });
});

// Causality: output rows at positions < j must not depend on inputs at positions ≥ j. The masked
// weights are exactly zero (exp(-1e30 − max) underflows), so the rows before j are bitwise equal.
describe('std.nn attention is causal', () => {
  const next = rng(4);
  const cases: [string, Value][] = [
    ['att', attentionParams(next)],
    ['mla', { wq: weight(next, [D, NH * (DH + DR)]), kv: kvParams(next), wo: weight(next, [D, D]) }],
    ['mlaq', {
      q_down: weight(next, [D, DQ]), q_norm: { gain: uniform(next, [DQ], 1.5) }, q_up: weight(next, [DQ, NH * (DH + DR)]),
      kv: kvParams(next), wo: weight(next, [D, D]),
    }],
  ];
  for (const [fn, p] of cases) {
    it(`${fn}: changing positions ≥ j leaves positions < j unchanged`, async () => {
      const x = uniform(next, [B, T, D]);
      const before = data((await program.call(fn, p, x) as Tensor[])[0]);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: T - 1 }), fc.integer({ min: 0, max: 2 ** 31 }), async (j, seed) => {
          const r = rng(seed);
          // Positions ≥ j of both sequences get new values.
          const moved = f32([B, T, D], data(x).map((v, i) => (Math.floor(i / D) % T >= j ? Math.fround(4 * r() - 2) : v)));
          const after = data((await program.call(fn, p, moved) as Tensor[])[0]);
          for (let s = 0; s < B; s++) {
            const at = (pos: number) => [(s * T + pos) * D, (s * T + pos + 1) * D] as const;
            expect(after.slice(at(0)[0], at(j)[0]), `${fn}: rows < ${j}`).toEqual(before.slice(at(0)[0], at(j)[0]));
            expect(after.slice(...at(j)), `${fn}: row ${j} should see the change`).not.toEqual(before.slice(...at(j)));
          }
        }),
        { numRuns: 8 },
      );
    });
  }
});
