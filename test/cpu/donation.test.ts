// Donation on the cpu backend: a training loop's old parameters and optimizer state go back to the
// backend (the host runner knows they died), which writes the next step's outputs into them, so a
// step after the first allocates no output arrays — with results identical to a run that keeps
// every array.
import { describe, expect, it } from 'vitest';
import { compile, type Tensor, type Value } from '../../index.ts';
import { makeCpuBackend } from '../../runtime/cpu/backend.ts';

const SOURCE = `import std.optim

fn loss(p: { w: f32[8, 4], b: f32[4] }, x: f32[16, 8], y: f32[16, 4]) -> f32 =
  mean((x @ p.w + p.b - y) ** 2.0)

fn train(steps: i32) -> ({ w: f32[8, 4], b: f32[4] }, f32, { w: f32[8, 4], b: f32[4] }) {
  let x = rand.normal(rand.key(1), [16, 8])
  let y = rand.normal(rand.key(2), [16, 4])
  var p = { w: rand.normal(rand.key(0), [8, 4]) * 0.1, b: zeros([4]) }
  let p0 = p
  var s = optim.adamw_init(p)
  var last = 0.0
  for i in 0..steps do {
    let (l, g) = value_and_grad(loss)(p, x, y)
    let (p2, s2) = optim.adamw(p, g, s, lr = 0.05)
    p = p2
    s = s2
    last = l
  }
  -- p0 is still in scope, so its arrays were never given back: it must be intact.
  return (p, last, p0)
}
`;

const flat = (v: Value): number[] => (ArrayBuffer.isView((v as Tensor).data) ? Array.from((v as Tensor).data) : Object.values(v as Record<string, Value>).flatMap(flat));

describe('donated arrays on the cpu backend', () => {
  it('allocates no output arrays after the first step, and computes what a run without donation does', async () => {
    const backend = makeCpuBackend({ threads: 1 });
    const program = compile(SOURCE, { backend });
    await program.call('train', 1); // compiles every graph
    const counts = new Map<number, number>();
    const results = new Map<number, Value>();
    for (const steps of [2, 12, 22]) {
      const before = backend.arrays.allocated;
      results.set(steps, await program.call('train', steps));
      counts.set(steps, backend.arrays.allocated - before);
    }
    // Ten and twenty more steps, not one more array: each step writes into the arrays of the
    // step before (a call's first step may still take new ones, so more steps may need fewer).
    expect(counts.get(12)!).toBeLessThanOrEqual(counts.get(2)!);
    expect(counts.get(22)!).toBe(counts.get(12)!);

    // Without release every output is a new array: the same run allocates per step.
    const keeper = makeCpuBackend({ threads: 1 });
    const plain = compile(SOURCE, { backend: { name: 'cpu', run: (g, i) => keeper.run(g, i) } });
    await plain.call('train', 1);
    const before = keeper.arrays.allocated;
    const reference = await plain.call('train', 12);
    expect(keeper.arrays.allocated - before).toBeGreaterThan(10 * 4);
    expect(flat(results.get(12)!)).toEqual(flat(reference));
    backend.close();
    keeper.close();
  });
});
