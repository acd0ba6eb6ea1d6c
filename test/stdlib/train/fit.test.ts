// std.train.fit: training, checkpoints, bit-exact resume, and stopping at a NaN.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile, MuRuntimeError, type Tensor } from '../../../runtime/program.ts';
import { decodeSafetensors } from '../../../runtime/io/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'muc-train-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'the quick brown fox jumps over the lazy dog. '.repeat(40));
const program = compileFile(new URL('./bigram.mu', import.meta.url).pathname);

async function run(steps: number, checkpoint: string, resume = false, explode = false, poison = false): Promise<{ table: Tensor; out: string[] }> {
  const out: string[] = [];
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const p = (await program.callWith('run', { corpus, steps, checkpoint, resume, explode, poison }, { print: (l) => out.push(l), progressStream: sink })) as {
    table: Tensor;
  };
  return { table: p.table, out };
}

describe('train.fit', () => {
  it('lowers the loss, evaluates on the held-out split, and checkpoints', async () => {
    const ck = join(dir, 'a.safetensors');
    const { out } = await run(6, ck);
    const vals = out.filter((l) => l.startsWith('step')).map((l) => Number(l.split(' ')[3]));
    expect(vals).toHaveLength(2); // after steps 3 and 6
    expect(vals[0]!).toBeLessThan(Math.log(256));
    expect(vals[1]!).toBeLessThan(vals[0]!);
    const saved = decodeSafetensors(readFileSync(ck));
    expect([...saved.tensors.keys()].sort()).toEqual(['params.table', 'state.step', 'step']);
    expect(saved.tensors.get('step')!.data[0]).toBe(6);
  });

  it('trains N steps, saves, resumes for N more: the same parameters bit for bit as 2N at once', async () => {
    const straight = await run(6, join(dir, 'straight.safetensors'));
    const ck = join(dir, 'resumed.safetensors');
    await run(3, ck);
    const resumed = await run(6, ck, true);
    expect(resumed.out[0]).toBe(`resumed from ${ck} at step 3`);
    expect(Buffer.from(resumed.table.data.buffer).equals(Buffer.from(straight.table.data.buffer))).toBe(true);
  });

  it('starts from step 0 when asked to resume without a checkpoint', async () => {
    const ck = join(dir, 'none.safetensors');
    const { out } = await run(1, ck, true);
    expect(out[0]).toBe(`no checkpoint at ${ck} yet: starting at step 0`);
  });

  it('stops at non-finite parameters with a clear message and leaves the last checkpoint readable', async () => {
    const ck = join(dir, 'nan.safetensors');
    await run(2, ck); // a good checkpoint at step 2
    const before = readFileSync(ck);
    const err = await run(5, ck, true, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MuRuntimeError);
    expect((err as Error).message).toMatch(/error: the parameters became NaN or infinite at step 2 so the run stops; the last checkpoint is intact$/);
    expect(existsSync(ck)).toBe(true);
    expect(readFileSync(ck).equals(before)).toBe(true);
    expect(decodeSafetensors(readFileSync(ck)).tensors.get('step')!.data[0]).toBe(2);
  });

  it('stops at a NaN loss before any update or checkpoint', async () => {
    const ck = join(dir, 'poisoned.safetensors');
    const err = await run(3, ck, false, false, true).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/error: the loss is NaN at step 0 so the run stops; the last checkpoint is intact$/);
    expect(existsSync(ck)).toBe(false);
  });
});
