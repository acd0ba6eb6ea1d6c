// examples/mlp.mu trains on the cpu backend as on the interpreter: the same losses within 1e-4
// relative, step by step, through the TypeScript API (compile(src, { backend: cpuBackend })).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../runtime/cpu/backend.ts';
import { compile, type Tensor, type Value } from '../../runtime/program.ts';

const SOURCE = readFileSync(new URL('../../examples/mlp.mu', import.meta.url), 'utf8');

// One SGD step as a function the test can call, and the data main trains on.
const EXTRA = `
fn train_step[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> (f32, Mlp[d, h, c]) =
  let (l, g) = value_and_grad(loss)(p, x, y) in (l, sgd(p, g, 0.5))

fn setup() -> (Mlp[4, 16, 3], f32[64, 4], i32[64]) =
  let x = rand.normal(rand.key(1), [64, 4]) in
  (init(rand.key(0), d = 4, h = 16, c = 3), x, argmax(x[:, 0:3], axis = -1))
`;

const close = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-4 * Math.abs(want);

describe('the MLP example on the cpu backend', () => {
  it('main prints the same losses as on the interpreter', async () => {
    const run = async (backend: 'interp' | typeof cpuBackend): Promise<number[]> => {
      const lines: string[] = [];
      await compile(SOURCE, { file: 'examples/mlp.mu', backend }).main({ print: (l) => lines.push(l) });
      return lines.map((l) => Number(l.split(' ').pop()));
    };
    const [want, got] = [await run('interp'), await run(cpuBackend)];
    expect(got.length).toBe(5);
    got.forEach((l, i) => expect(close(l, want[i]!), `line ${i}: cpu ${l}, interp ${want[i]}`).toBe(true));
  });

  it('200 SGD steps: every loss within 1e-4 relative, and training converges', async () => {
    const ref = compile(SOURCE + EXTRA, { file: 'mlp_steps.mu' });
    const cpu = compile(SOURCE + EXTRA, { file: 'mlp_steps.mu', backend: cpuBackend });
    const [p0, x, y] = (await ref.call('setup')) as [Value, Tensor, Tensor];
    let [pr, pc] = [p0, p0];
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      const [lr, nr] = (await ref.call('train_step', pr, x, y)) as [Tensor, Value];
      const [lc, nc] = (await cpu.call('train_step', pc, x, y)) as [Tensor, Value];
      const [want, got] = [lr.data[0]!, lc.data[0]!];
      if (!close(got, want)) expect.fail(`step ${step}: cpu loss ${got}, interp ${want}`);
      losses.push(got);
      [pr, pc] = [nr, nc];
    }
    expect(losses[199]!).toBeLessThan(0.05 * losses[0]!);
  });
});
