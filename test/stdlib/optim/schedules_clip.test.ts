// Learning-rate schedules at their boundary steps, and clipping by the global gradient norm.
import { describe, expect, it } from 'vitest';
import { compileFile, tensor, type Tensor } from '../../../index.ts';

const program = compileFile(new URL('./harness.mu', import.meta.url).pathname);

const at = async (f: string, step: number) => ((await program.call(f, step)) as Tensor).data[0]!;
// float32 values of O(1e-3): relative 1e-6.
const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-6 * Math.abs(y) + 1e-12);

describe('warmup_cosine (peak 1e-3, warmup 10, total 100, min 10%)', () => {
  it('starts at 0 and rises linearly to the peak at the end of warmup', async () => {
    expect(await at('cosine', 0)).toBe(0);
    close(await at('cosine', 5), 0.5e-3);
    close(await at('cosine', 9), 0.9e-3);
    close(await at('cosine', 10), 1e-3);
  });

  it('follows the cosine down to 10% of the peak at the end, and stays there', async () => {
    close(await at('cosine', 55), 1e-3 * (0.1 + 0.9 * 0.5)); // half way: cos(π/2) = 0
    close(await at('cosine', 100), 1e-4);
    close(await at('cosine', 150), 1e-4);
  });

  it('starts at the peak when there is no warmup', async () => {
    close(await at('cosine_no_warmup', 0), 1e-3);
    close(await at('cosine_no_warmup', 50), 0.5e-3);
    expect(await at('cosine_no_warmup', 100)).toBeCloseTo(0, 12);
  });
});

describe('warmup_stable_decay (peak 1e-3, warmup 10, total 100, decay 20, min 10%)', () => {
  it('warms up from 0 to the peak', async () => {
    expect(await at('wsd', 0)).toBe(0);
    close(await at('wsd', 5), 0.5e-3);
    close(await at('wsd', 10), 1e-3);
  });

  it('holds the peak through the stable phase, up to the start of the decay', async () => {
    for (const s of [11, 50, 79, 80]) close(await at('wsd', s), 1e-3);
  });

  it('decays linearly to 10% of the peak at the end, and stays there', async () => {
    close(await at('wsd', 90), 1e-3 * (1 - 0.9 * 0.5));
    close(await at('wsd', 100), 1e-4);
    close(await at('wsd', 120), 1e-4);
  });
});

describe('global_norm and clip_by_global_norm', () => {
  const grads = (a: number[], b: number[]) => ({ a: tensor('f32', [3], a), b: tensor('f32', [2, 2], b) });
  const values = (g: { a: Tensor; b: Tensor }) => [...g.a.data, ...g.b.data];
  const norm = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));

  it('measures the norm over every leaf of the record', async () => {
    const g = grads([3, -4, 12], [1, 2, -2, 0.5]);
    expect(((await program.call('norm_of', g)) as Tensor).data[0]).toBeCloseTo(norm(values(g)), 5);
  });

  it('leaves gradients under the max norm exactly as they are', async () => {
    const g = grads([0.1, -0.2, 0.3], [0.05, 0, -0.4, 0.1]);
    const out = (await program.call('clip', g, 1.0)) as { a: Tensor; b: Tensor };
    expect(values(out)).toEqual(values(g));
    // At the max norm too.
    const unit = grads([0.6, 0, 0], [0, 0.8, 0, 0]);
    expect(values((await program.call('clip', unit, 1.0)) as { a: Tensor; b: Tensor })).toEqual(values(unit));
  });

  it('scales large gradients to the max norm, keeping their direction', async () => {
    const g = grads([3, -4, 12], [1, 2, -2, 0.5]);
    const out = values((await program.call('clip', g, 0.5)) as { a: Tensor; b: Tensor });
    expect(Math.abs(norm(out) - 0.5)).toBeLessThan(1e-6);
    const k = 0.5 / norm(values(g));
    values(g).forEach((x, i) => expect(Math.abs(out[i]! - k * x)).toBeLessThan(1e-7));
  });
});
