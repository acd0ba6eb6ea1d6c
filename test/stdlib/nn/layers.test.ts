// std.nn's token-wise layers, RoPE and the loss, each against a float64 TypeScript reference
// written from its formula.
//
// Tolerances, |got − want| ≤ atol + rtol·|want|:
// - the layer's IR graph evaluated in float64 (`run64`): rtol 1e-7, atol 1e-12. The arithmetic is
//   float64, but constants are f32 values, as in the language: eps = 1e-5 (the reference uses the
//   same f32 eps), and constants the simplifier folds (1/n of a mean, 1/√e of attention) are
//   rounded to f32, a relative error below 6e-8 each. Summation order adds ~1e-15. A formula that
//   is not the reference's is off by far more (1e-3 and up on these inputs).
// - the float32 interpreter (`program.call`): rtol 1e-4, atol 1e-5, a few float32 ulps per
//   operation over chains of at most a few dozen operations on values of order 1.
import { describe, expect, it } from 'vitest';
import {
  data, dot, expectClose, f32, flatRows, i32, matmul, nn, rmsNormRef, rng, ropeRef, rows, run64, silu, uniform,
} from './helpers.ts';

const F64 = [1e-7, 1e-12] as const;
const F32 = [1e-4, 1e-5] as const;

const B = 2;
const T = 3;

const program = nn(`
fn lin(p: nn.Linear[4, 3], x: f32[2, 3, 4]) -> f32[2, 3, 3] = nn.linear(p, x)
fn lin_b(p: nn.LinearBias[4, 3], x: f32[2, 3, 4]) -> f32[2, 3, 3] = nn.linear_bias(p, x)
fn emb(p: nn.Embedding[5, 4], ids: i32[2, 3]) -> f32[2, 3, 4] = nn.embedding(p, ids)
fn norm(p: nn.RmsNorm[4], x: f32[2, 3, 4]) -> f32[2, 3, 4] = nn.rms_norm(p, x)
fn norm_eps(p: nn.RmsNorm[4], x: f32[2, 3, 4]) -> f32[2, 3, 4] = nn.rms_norm(p, x, eps = 0.5)
fn mlp(p: nn.SwiGlu[4, 6], x: f32[2, 3, 4]) -> f32[2, 3, 4] = nn.swiglu(p, x)
fn rope(x: f32[2, 2, 5, 8]) -> f32[2, 2, 5, 8] = nn.rope(x)
fn rope10(x: f32[2, 2, 5, 8]) -> f32[2, 2, 5, 8] = nn.rope(x, 10.0)
fn ce(logits: f32[6, 5], y: i32[6]) -> f32 = nn.cross_entropy(logits, y)
`, 'layers');

/** Checks a function both ways: its graph in float64 (tight) and the float32 interpreter (loose). */
async function both(fn: string, args: Parameters<typeof program.call>[1][], want: readonly number[]): Promise<void> {
  expectClose(data(run64(program, fn, ...args)[0]!), want, ...F64, `${fn} (float64 graph)`);
  expectClose(data(await program.call(fn, ...args)), want, ...F32, `${fn} (float32 run)`);
}

describe('std.nn token-wise layers vs float64 references', () => {
  const next = rng(1);
  const x = uniform(next, [B, T, 4], 2);
  const X = rows(x, B * T);

  it('linear and linear_bias: x @ w (+ b)', async () => {
    const w = uniform(next, [4, 3]);
    const b = uniform(next, [3]);
    const xw = matmul(X, rows(w, 4));
    await both('lin', [{ w }, x], flatRows(xw));
    await both('lin_b', [{ w, b }, x], flatRows(xw.map((r) => r.map((v, j) => v + b.data[j]!))));
  });

  it('embedding: row ids[i] of the table', async () => {
    const table = uniform(next, [5, 4]);
    const ids = [4, 0, 2, 2, 1, 3];
    const want = ids.flatMap((id) => Array.from(table.data.slice(id * 4, id * 4 + 4)));
    await both('emb', [{ table }, i32([B, T], ids)], want);
  });

  it('embedding: an id outside the vocabulary is a run-time error', async () => {
    const table = uniform(next, [5, 4]);
    await expect(program.call('emb', { table }, i32([B, T], [0, 1, 2, 3, 4, 5]))).rejects.toThrow(/range/);
  });

  it('rms_norm: x / sqrt(mean(x²) + 1e-5) · gain, and a given eps', async () => {
    const gain = uniform(next, [4]);
    const g = Array.from(gain.data);
    // One row far below eps in scale, where eps matters.
    const small = f32([B, T, 4], data(x).map((v, i) => (i < 4 ? v * 1e-3 : v)));
    await both('norm', [{ gain }, x], flatRows(rmsNormRef(X, g)));
    await both('norm', [{ gain }, small], flatRows(rmsNormRef(rows(small, B * T), g)));
    await both('norm_eps', [{ gain }, x], flatRows(rmsNormRef(X, g, 0.5)));
  });

  it('swiglu: (silu(x @ gate) · (x @ up)) @ down', async () => {
    const p = { gate: uniform(next, [4, 6]), up: uniform(next, [4, 6]), down: uniform(next, [6, 4]) };
    const gate = matmul(X, rows(p.gate, 4));
    const up = matmul(X, rows(p.up, 4));
    const h = gate.map((r, i) => r.map((v, j) => silu(v) * up[i]![j]!));
    await both('mlp', [p, x], flatRows(matmul(h, rows(p.down, 6))));
  });

  it('cross_entropy: mean of logsumexp(logits) − logits[target], stable for large logits', async () => {
    const logits = uniform(next, [6, 5], 3);
    const y = [0, 4, 2, 2, 1, 3];
    const ref = (l: readonly number[][]): number =>
      l.reduce((s, row, i) => {
        const m = Math.max(...row);
        return s + m + Math.log(row.reduce((z, v) => z + Math.exp(v - m), 0)) - row[y[i]!]!;
      }, 0) / l.length;
    await both('ce', [logits, i32([6], y)], [ref(rows(logits, 6))]);
    // Logits of 1e4 overflow exp in float32 (and in float64 past 710); the loss must not.
    const big = f32([6, 5], data(logits).map((v) => v * 1e4));
    const got = data(await program.call('ce', big, i32([6], y)))[0]!;
    expect(Number.isFinite(got)).toBe(true);
    expectClose([got], [ref(rows(big, 6))], 1e-4, 1e-2, 'ce with large logits');
    // A uniform prediction costs log(v).
    expectClose(data(await program.call('ce', f32([6, 5], new Array(30).fill(0.25)), i32([6], y))), [Math.log(5)], ...F32, 'uniform');
  });
});

describe('std.nn.rope', () => {
  const next = rng(2);
  const x = uniform(next, [2, 2, 5, 8]);
  /** The reference applied to every head vector of an f32[b, n, t, e] tensor at its position. */
  const ref = (theta: number): number[] => rows(x, 2 * 2 * 5).flatMap((v, r) => ropeRef(v, r % 5, theta));

  it('rotates feature pairs (i, i + e/2) by pos·θ^(−2i/e), θ = 50000 by default', async () => {
    await both('rope', [x], ref(50000));
    await both('rope10', [x], ref(10));
  });

  it('is the identity at position 0 and keeps every pair norm', () => {
    const out = run64(program, 'rope10', x)[0]!;
    const outRows = rows(out, 20);
    rows(x, 20).forEach((v, r) => {
      const o = outRows[r]!;
      if (r % 5 === 0) expectClose(o, v, ...F64, `position 0, row ${r}`);
      for (let i = 0; i < 4; i++)
        expectClose([Math.hypot(o[i]!, o[i + 4]!)], [Math.hypot(v[i]!, v[i + 4]!)], ...F64, `pair ${i} of row ${r}`);
    });
  });

  // The relative-position property: with the same q at every position and the same k at every
  // position, rope(q)[p] · rope(k)[p + r] depends on r alone. Checked on the float64 graph (1e-9)
  // and the float32 run (1e-4 relative to |q|·|k|, angles up to 11 rad in float32).
  it('rotated q at p and rotated k at p + r have a dot product that depends only on r', async () => {
    const n = 12;
    const rel = nn(`
      fn pair(q: f32[8], k: f32[8]) -> (f32[1, 1, 12, 8], f32[1, 1, 12, 8]) =
        (nn.rope(broadcast_to(q, [1, 1, 12, 8]), 10.0), nn.rope(broadcast_to(k, [1, 1, 12, 8]), 10.0))
    `, 'relative');
    const q = uniform(next, [8]);
    const k = uniform(next, [8]);
    const scaleQK = Math.hypot(...q.data) * Math.hypot(...k.data);
    const check = (qr: readonly number[][], kr: readonly number[][], tol: number, label: string): void => {
      const byDistance = new Map<number, number[]>();
      for (let p = 0; p < n; p++) for (let r = -p; p + r < n; r++) byDistance.set(r, [...(byDistance.get(r) ?? []), dot(qr[p]!, kr[p + r]!)]);
      for (const [r, dots] of byDistance) for (const d of dots) expect(Math.abs(d - dots[0]!), `${label}: r = ${r}`).toBeLessThanOrEqual(tol * scaleQK);
      // Not trivially constant: the dot product does change with the distance.
      const firsts = [...byDistance.values()].map((ds) => ds[0]!);
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(0.01 * scaleQK);
    };
    const [q64, k64] = run64(rel, 'pair', q, k);
    check(rows(q64!, n), rows(k64!, n), 1e-9, 'float64');
    const [q32, k32] = (await rel.call('pair', q, k)) as Parameters<typeof data>[0][];
    check(rows(q32 as never, n), rows(k32 as never, n), 1e-4, 'float32');
  });
});
