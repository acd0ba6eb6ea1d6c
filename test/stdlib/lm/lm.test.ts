// std.lm: a Moonlight-shaped model (dense first layer, stacked MoE layers, MHA or MLA) that
// starts at the uniform loss, trains with Muon + AdamW through std.train, balances its experts,
// and samples text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile, type Tensor } from '../../../runtime/program.ts';
import { tensor } from '../../../runtime/interp/ops/tensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'muc-lm-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'abcabcabd '.repeat(200));
const program = compileFile(new URL('./tiny.mu', import.meta.url).pathname);
const quiet = { print: () => {}, progressStream: { write: () => true } as unknown as NodeJS.WritableStream };
const num = (v: unknown): number => (v as Tensor).data[0]!;

describe('std.lm', () => {
  it('starts near the uniform loss ln 256 with either attention', async () => {
    const [mha, mla] = (await program.call('first_loss', corpus)) as [Tensor, Tensor];
    // Small initial weights make the logits nearly equal; the auxiliary loss adds a little.
    expect(Math.abs(num(mha) - Math.log(256))).toBeLessThan(0.05);
    expect(Math.abs(num(mla) - Math.log(256))).toBeLessThan(0.05);
  });

  it('learns a repetitive text with Muon on the hidden matrices and AdamW elsewhere', async () => {
    const [before, after] = (await program.callWith('train_mha', { corpus, steps: 40 }, quiet)) as [Tensor, Tensor];
    expect(num(after)).toBeLessThan(0.5 * num(before));
  });

  it('moves every layer’s bias toward balance: down for overloaded experts, up for the rest', async () => {
    const loads = tensor('f32', [2, 4], [10, 2, 2, 2, 4, 4, 4, 4]);
    const bias = (await program.call('bias_after', loads)) as Tensor;
    const u = 1e-3;
    // Layer 0: err = 4 − load = [−6, 2, 2, 2]: signs [−1, 1, 1, 1], mean 0.5 → [−1.5u, 0.5u, 0.5u, 0.5u].
    // Layer 1: balanced, err = 0, sign 0 → unchanged.
    const want = [-1.5 * u, 0.5 * u, 0.5 * u, 0.5 * u, 0, 0, 0, 0];
    [...bias.data].forEach((b, i) => expect(b).toBeCloseTo(want[i]!, 9));
  });

  it('samples a continuation of the held-out text', async () => {
    const [prompt, continuation] = (await program.call('generate', corpus)) as [string, string];
    expect(prompt).toHaveLength(8);
    expect(Buffer.from(continuation, 'utf8').length).toBeGreaterThanOrEqual(1);
  });
});
