// The standard library on the compiled backends: the Moonlight-shaped model (std.lm over std.nn,
// std.moe, std.optim and std.train) gives the interpreter's numbers on cpu and on webgpu.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile, type Tensor } from '../../runtime/program.ts';
import { webgpuAvailable } from '../../runtime/webgpu/device.ts';

const dir = mkdtempSync(join(tmpdir(), 'muc-backends-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'abcabcabd '.repeat(200));
const source = new URL('./lm/tiny.mu', import.meta.url).pathname;
const quiet = { print: () => {}, progressStream: { write: () => true } as unknown as NodeJS.WritableStream };
const values = (v: unknown): number[] => (v as Tensor[]).map((t) => t.data[0]!);
const gpu = await webgpuAvailable();
if (!gpu && process.env['CI'] === 'true') throw new Error('CI=true but no WebGPU adapter: install Mesa lavapipe (see .ci/run)');

// f32 kernels reassociate sums (matmul, reductions) differently from the float64-accumulating
// interpreter: agreement to 1e-4 relative per loss, and to 1e-3 after 10 training steps.
describe('std.lm on the compiled backends', () => {
  it('cpu: the same initial losses (MHA and MLA) and the same loss after 10 steps of Muon + AdamW', async () => {
    const ref = compileFile(source, { backend: 'interp' });
    const cpu = compileFile(source, { backend: 'cpu' });
    const [a, b] = [values(await ref.call('first_loss', corpus)), values(await cpu.call('first_loss', corpus))];
    a.forEach((x, i) => expect(Math.abs(b[i]! - x)).toBeLessThan(1e-4 * Math.abs(x)));
    const [ta, tb] = [
      values(await ref.callWith('train_mha', { corpus, steps: 10 }, quiet)),
      values(await cpu.callWith('train_mha', { corpus, steps: 10 }, quiet)),
    ];
    ta.forEach((x, i) => expect(Math.abs(tb[i]! - x)).toBeLessThan(1e-3 * Math.abs(x)));
  }, 120_000);

  it.skipIf(!gpu)('webgpu: the same initial losses (MHA and MLA) and the same loss after 10 steps', async () => {
    const ref = compileFile(source, { backend: 'interp' });
    const gpuProgram = compileFile(source, { backend: 'webgpu' });
    const [a, b] = [values(await ref.call('first_loss', corpus)), values(await gpuProgram.call('first_loss', corpus))];
    a.forEach((x, i) => expect(Math.abs(b[i]! - x)).toBeLessThan(1e-4 * Math.abs(x)));
    const [ta, tb] = [
      values(await ref.callWith('train_mha', { corpus, steps: 10 }, quiet)),
      values(await gpuProgram.callWith('train_mha', { corpus, steps: 10 }, quiet)),
    ];
    ta.forEach((x, i) => expect(Math.abs(tb[i]! - x)).toBeLessThan(1e-3 * Math.abs(x)));
  }, 300_000);
});
