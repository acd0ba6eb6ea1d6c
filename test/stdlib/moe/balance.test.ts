// Auxiliary-loss-free balancing: the bias update rule itself, and its effect when applied step
// after step to a router that prefers one expert for every token.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../../runtime/program.ts';
import { arr, balanceRun, data, f32, layer, lib, type Config } from './helpers.ts';

const STEPS = 120;

const U = 1e-3;

/** b_i + u·(sign(e_i) − mean(sign(e))) with e_i = mean(load) − load_i, in float64. */
function refUpdate(bias: number[], load: number[], u: number): number[] {
  const mean = load.reduce((a, b) => a + b, 0) / load.length;
  const sign = load.map((l) => Math.sign(mean - l));
  const ms = sign.reduce((a, b) => a + b, 0) / sign.length;
  return bias.map((b, i) => b + u * (sign[i]! - ms));
}

describe('std.moe bias update', () => {
  const cfg: Config = { b: 2, t: 8, d: 8, e: 4, h: 16, s: 1, hs: 16, k: 2, c: 16 };

  it('follows b_i += u·(sign(mean − load_i) − mean(sign)): overloaded experts go down, the biases keep their sum', async () => {
    const cases: [number[], number[]][] = [
      [[0, 0, 0, 0], [16, 8, 4, 4]],
      [[0.1, -0.2, 0.05, 0], [8, 8, 8, 8]], // balanced: nothing moves
      [[0, 0, 0, 0], [9, 8, 8, 7]],         // one exactly at the mean: sign 0
      [[0.3, 0.1, -0.4, 0], [0, 0, 0, 32]],
    ];
    for (const [bias, load] of cases) {
      const got = arr(await lib().call('update_bias', f32([4], bias), f32([4], load), U));
      const want = refUpdate(bias, load, U);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 7));
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(bias.reduce((a, b) => a + b, 0), 6);
      const max = load.indexOf(Math.max(...load));
      const min = load.indexOf(Math.min(...load));
      if (load[max] !== load[min]) {
        expect(got[max]!).toBeLessThan(bias[max]!);
        expect(got[min]!).toBeGreaterThan(bias[min]!);
      }
    }
  });

  it('brings a router skewed towards one expert back to balance (max/mean load falls from 2 to about 1)', async () => {
    const { p, x } = await data(cfg, 1);
    // Feature 0 of every token is 1, and the router adds 0.5 to expert 0's logit through it: expert 0's
    // sigmoid score is about 0.1 above the others for every token, so all 16 tokens pick it first.
    const xs = f32(x.shape, arr(x).map((v, i) => (i % cfg.d === 0 ? 1 : v)));
    const router = f32(p.router.shape, arr(p.router).map((v, i) => 0.3 * v + (i === 0 ? 0.5 : 0)));
    const skewed = { ...p, router };
    const ratios = arr(await balanceRun(cfg, skewed, xs, STEPS, U));
    // Expert 0 takes all 16 tokens while the mean load is 16·2/4 = 8.
    expect(ratios[0]).toBe(2);
    const late = ratios.slice(-20);
    expect(Math.max(...late)).toBeLessThanOrEqual(1.25);
    // The fall is steady: each block of 20 steps is on average no worse than the one before.
    const blocks = Array.from({ length: STEPS / 20 }, (_, i) => ratios.slice(20 * i, 20 * i + 20).reduce((a, b) => a + b, 0) / 20);
    blocks.slice(1).forEach((m, i) => expect(m).toBeLessThanOrEqual(blocks[i]! + 1e-6));
    // Without the update (u = 0) nothing changes.
    const frozen = arr(await balanceRun(cfg, skewed, xs, 10, 0));
    expect(frozen).toEqual(new Array(10).fill(2));
  });

  it('lowers the bias of the favoured expert below the others', async () => {
    const { p, x } = await data(cfg, 1);
    const [, stats] = (await layer(cfg, p, x)) as [Tensor, { load: Tensor }];
    const load = arr(stats.load);
    const next = arr(await lib().call('update_bias', p.bias, stats.load, U));
    const busiest = load.indexOf(Math.max(...load));
    const idlest = load.indexOf(Math.min(...load));
    expect(load[busiest]).toBeGreaterThan(load[idlest]!);
    expect(next[busiest]!).toBeLessThan(next[idlest]!);
  });
});
