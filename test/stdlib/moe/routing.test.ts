// std.moe routing and dispatch: every token gets exactly k experts, the combine weights of a token
// sum to the routed scaling factor, the bias steers the choice but not the weights, and with a
// small capacity the dropped assignments are exactly those a plain TypeScript loop drops.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../runtime/program.ts';
import { arr, data, f32, inspect, refDispatch, refRoute, reshape, SCALE, type Config, type Params, type Stats } from './helpers.ts';

type Routing = { scores: Tensor; experts: Tensor; weights: Tensor };
type Plan = { token: Tensor; row: Tensor; weight: Tensor };

/** Rows of a 2-D tensor as arrays. */
const rows = (t: Tensor): number[][] => {
  const [n, m] = t.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * m, (i + 1) * m)));
};

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol * (1 + Math.abs(b));

/** The routing, plan, stats and combined weights of a configuration on the n = b·t tokens of x. */
async function route(cfg: Config, p: Params, x: Tensor) {
  const tokens = reshape(x, [cfg.b * cfg.t, cfg.d]);
  const [r, plan, stats, combined] = (await inspect(cfg, p, tokens)) as [Routing, Plan, Stats, Tensor];
  const sums = rows(combined).map((row) => row[0]!);
  return { r, plan, stats, sums, ref: refRoute(p, tokens, cfg.k) };
}

// A few layer shapes: e experts, top k, 16 tokens (2 sequences of 8).
const shapes = fc.record({ e: fc.constantFrom(4, 8), k: fc.constantFrom(1, 2, 3), seed: fc.integer({ min: 0, max: 1000 }) });
const config = (e: number, k: number, c: number): Config => ({ b: 2, t: 8, d: 8, e, h: 16, s: 1, hs: 16, k, c });

describe('std.moe routing', () => {
  it('gives every token exactly k distinct experts whose combine weights sum to the routed scale (capacity = tokens: nothing drops)', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, async ({ e, k, seed }) => {
        const cfg = config(e, k, 16);
        const { p, x } = await data(cfg, seed);
        const { r, plan, stats, sums, ref } = await route(cfg, p, x);
        const experts = rows(r.experts);
        const weights = rows(r.weights);
        experts.forEach((chosen, t) => {
          expect(chosen).toHaveLength(k);
          expect(new Set(chosen).size).toBe(k);
          chosen.forEach((i) => expect(i >= 0 && i < e).toBe(true));
          // The same experts as the float64 reference, where float32 cannot break a near-tie.
          if (ref.margin[t]! > 1e-5) expect(chosen).toEqual(ref.experts[t]);
          expect(close(weights[t]!.reduce((a, b) => a + b, 0), SCALE)).toBe(true);
        });
        // The plan lists every (token, expert) pair once: each token k times, none in the dump row.
        const tokens = arr(plan.token);
        expect(tokens).toHaveLength(16 * k);
        for (let t = 0; t < 16; t++) expect(tokens.filter((v) => v === t)).toHaveLength(k);
        expect(arr(plan.row).every((row) => row < e * cfg.c)).toBe(true);
        expect(arr(stats.dropped)).toEqual([0]);
        expect(arr(stats.load).reduce((a, b) => a + b, 0)).toBe(16 * k);
        // Through the real combine: expert outputs of ones come back as the sum of each token's weights.
        sums.forEach((s) => expect(close(s, SCALE)).toBe(true));
      }),
      { numRuns: 16 },
    );
  });

  it('weights the chosen experts by their scores normalized to sum 1, times the scale', async () => {
    const cfg = config(8, 2, 16);
    const { p, x } = await data(cfg, 7);
    const { r, ref } = await route(cfg, p, x);
    const got = rows(r.weights);
    ref.weights.forEach((w, t) => w.forEach((v, j) => expect(close(got[t]![j]!, v)).toBe(true)));
    const scores = rows(r.scores);
    ref.scores.forEach((s, t) => s.forEach((v, i) => expect(close(scores[t]![i]!, v)).toBe(true)));
  });

  it('lets the bias steer the choice but not the weights', async () => {
    const cfg = config(4, 2, 16);
    const { p, x } = await data(cfg, 3);
    // A large bias on expert 2 puts it first for every token; the weights still use the raw scores.
    const biased = { ...p, bias: f32([4], [0, 0, 10, 0]) };
    const { r, ref } = await route(cfg, biased, x);
    const experts = rows(r.experts);
    const weights = rows(r.weights);
    const scores = rows(r.scores);
    experts.forEach((chosen, t) => {
      expect(chosen[0]).toBe(2);
      expect(chosen).toEqual(ref.experts[t]);
      const [i, j] = chosen as [number, number];
      const total = scores[t]![i]! + scores[t]![j]!;
      expect(close(weights[t]![0]!, (SCALE * scores[t]![i]!) / total)).toBe(true);
      expect(close(weights[t]![1]!, (SCALE * scores[t]![j]!) / total)).toBe(true);
    });
    // The scores themselves do not see the bias.
    const plain = await route(cfg, p, x);
    expect(arr(r.scores)).toEqual(arr(plain.r.scores));
  });
});

describe('std.moe dispatch with a capacity', () => {
  it('drops exactly the assignments a TypeScript loop over tokens drops, and counts them', async () => {
    let dropping = 0;
    await fc.assert(
      fc.asyncProperty(shapes, fc.integer({ min: 1, max: 6 }), async ({ e, k, seed }, c) => {
        const cfg = config(e, k, c);
        const { p, x } = await data(cfg, seed);
        const { r, plan, stats, sums } = await route(cfg, p, x);
        const experts = rows(r.experts);
        const want = refDispatch(experts, e, c);
        if (want.dropped > 0) dropping++;
        expect(arr(stats.load)).toEqual(want.load);
        expect(arr(stats.dropped)).toEqual([want.dropped]);
        expect(close(arr(stats.max_over_mean)[0]!, want.maxOverMean)).toBe(true);
        // Read the plan back: a kept assignment sits in row expert·c + slot, a dropped one in row e·c.
        const tokens = arr(plan.token);
        const rowsOf = arr(plan.row);
        const seen = new Set<number>();
        const kept = experts.map((chosen) => chosen.map(() => false));
        rowsOf.forEach((row, a) => {
          if (row === e * c) return;
          expect(row >= 0 && row < e * c).toBe(true);
          expect(seen.has(row)).toBe(false); // no two kept assignments share a slot
          seen.add(row);
          const t = tokens[a]!;
          const j = experts[t]!.indexOf(Math.floor(row / c));
          expect(j).toBeGreaterThanOrEqual(0);
          kept[t]![j] = true;
        });
        expect(kept).toEqual(want.kept);
        expect(rowsOf.filter((row) => row === e * c)).toHaveLength(want.dropped);
        // The combine weight of a token is the sum of its kept weights only.
        const weights = rows(r.weights);
        sums.forEach((s, t) => {
          const keptWeight = weights[t]!.reduce((acc, w, j) => acc + (want.kept[t]![j] ? w : 0), 0);
          expect(close(s, keptWeight)).toBe(true);
        });
      }),
      { numRuns: 24 },
    );
    expect(dropping).toBeGreaterThan(0);
  });
});
