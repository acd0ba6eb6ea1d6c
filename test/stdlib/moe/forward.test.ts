// std.moe's layer against a dense float64 TypeScript reference: a loop over the tokens and their
// chosen experts (with the same capacity rule), plus the shared experts; the load stats and the
// sequence-wise auxiliary loss against their direct definitions.
//
// Tolerance: |y − ref| ≤ 1e-5·(1 + |ref|) per element. The layer runs in float32: each output is a
// few sums of at most 16 products of O(1) values, so its rounding error is a few 1e-7; a wrong
// weight, a token sent to the wrong expert or a dropped assignment that leaks is off by O(0.1–1).
// The float64 reference chooses the experts itself; the seeds used keep every token's k-th and
// (k+1)-th biased scores more than 1e-5 apart (asserted), so float32 cannot choose differently.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../runtime/program.ts';
import { arr, data, layer, refLayer, type Config, type Stats } from './helpers.ts';

const TOL = 1e-5;

async function compare(cfg: Config, seed: number): Promise<{ dropped: number }> {
  const { p, x } = await data(cfg, seed);
  const [y, stats, aux] = (await layer(cfg, p, x)) as [Tensor, Stats, Tensor];
  const ref = refLayer(cfg, p, x);
  expect(Math.min(...ref.routing.margin)).toBeGreaterThan(1e-5);
  expect(y.shape).toEqual([cfg.b, cfg.t, cfg.d]);
  arr(y).forEach((v, i) => {
    const want = ref.y[i]!;
    if (!(Math.abs(v - want) <= TOL * (1 + Math.abs(want)))) throw new Error(`y[${i}] = ${v}, reference ${want} (seed ${seed})`);
  });
  expect(arr(stats.load)).toEqual(ref.dispatch.load);
  expect(arr(stats.dropped)).toEqual([ref.dispatch.dropped]);
  expect(arr(stats.max_over_mean)[0]).toBeCloseTo(ref.dispatch.maxOverMean, 6);
  expect(Math.abs(arr(aux)[0]! - ref.aux)).toBeLessThanOrEqual(TOL * ref.aux);
  return { dropped: ref.dispatch.dropped };
}

describe('std.moe forward vs a dense float64 reference', () => {
  const base: Config = { b: 2, t: 8, d: 8, e: 4, h: 16, s: 1, hs: 16, k: 2, c: 16 };

  it('matches with a capacity large enough for nothing to drop', async () => {
    for (const seed of [1, 2, 3]) expect((await compare(base, seed)).dropped).toBe(0);
  });

  it('matches when the capacity drops assignments (they add nothing; the shared experts still apply)', async () => {
    let dropped = 0;
    for (const seed of [1, 2, 3]) dropped += (await compare({ ...base, c: 5 }, seed)).dropped;
    expect(dropped).toBeGreaterThan(0);
    // Capacity 1: at most e assignments survive; most tokens get only the shared experts.
    expect((await compare({ ...base, c: 1 }, 4)).dropped).toBe(16 * 2 - 4);
  });

  it('matches with more experts, top-3 and two shared experts', async () => {
    await compare({ b: 1, t: 16, d: 8, e: 8, h: 16, s: 2, hs: 8, k: 3, c: 6 }, 5);
  });

  it('returns the sequence-wise aux loss scaled by alpha (zero when alpha is 0)', async () => {
    const cfg = { ...base, alpha: 0.5 };
    await compare(cfg, 6);
    const { p, x } = await data(cfg, 6);
    const [, , off] = (await layer(cfg, p, x, 0)) as [Tensor, Stats, Tensor];
    expect(arr(off)).toEqual([0]);
  });
});
