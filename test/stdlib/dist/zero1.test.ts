// std.dist's ZeRO-1 Muon and AdamW on N data-parallel ranks (worker threads joined by the shared-
// memory transport) against optim.step on one rank, on the same global batches: the model has a
// matrix, an expert stack, a gain, a bias and an embedding, none of whose sizes divides by 2 or 4.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../../compiler/check/program.ts';
import { compileFile, type Tensor, type Value } from '../../../index.ts';
import { runOnRanks } from '../../../runtime/distributed.ts';

const FILE = new URL('./zero1.mu', import.meta.url).pathname;
const STEPS = 3;

// The ranks' gradients are summed in another order than one rank's whole-batch gradient, and
// Newton–Schulz carries that float32 rounding on: after 3 steps parameters agree to ~1e-7.
const TOL = { rtol: 1e-5, atol: 1e-6 };

const LEAVES = { 'hidden.w': [5, 7], 'hidden.experts': [3, 7, 5], 'hidden.gain': [7], 'hidden.bias': [5], 'other.embed': [11, 5] } as const;
const MUON = new Set(['hidden.w', 'hidden.experts']);

type Tree = { readonly [k: string]: Tree | Tensor };

function leaf(v: Value, path: string): Tensor {
  return path.split('.').reduce<Value>((t, k) => (t as Tree)[k] as Value, v) as Tensor;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

async function single(): Promise<{ p0: Value; p: Value }> {
  const program = compileFile(FILE, { backend: 'interp' });
  const p0 = await program.call('model', 0);
  const [p] = (await program.call('train', p0, STEPS, false)) as Value[];
  return { p0, p: p! };
}

describe('dist.step (ZeRO-1) on N ranks', async () => {
  const reference = await single();

  for (const n of [1, 2, 4]) {
    it(`matches optim.step on one rank after ${STEPS} steps, with ${n} rank(s), and shards the state`, async () => {
      const results = (await runOnRanks({ file: FILE, ranks: n, backend: 'interp', call: { name: 'train', args: { p0: reference.p0, steps: STEPS, distributed: true } } })) as Value[][];
      expect(results).toHaveLength(n);
      for (const [rank, [p, moments, bytes]] of results.entries()) {
        for (const path of Object.keys(LEAVES)) {
          const got = leaf(p!, path);
          const want = leaf(reference.p, path);
          got.data.forEach((x, i) => expect(Math.abs(x - want.data[i]!), `${path}[${i}] on rank ${rank}`).toBeLessThanOrEqual(TOL.atol + TOL.rtol * Math.abs(want.data[i]!)));
          // Every rank ends with the same parameters, bit for bit (all-gathered).
          expect(Array.from(got.data)).toEqual(Array.from(leaf(results[0]![0]!, path).data));
        }
        // Each rank holds only its shard of every moment: ⌈size/N⌉ elements, one moment for Muon
        // leaves and two for AdamW's.
        let floats = 0;
        for (const [path, shape] of Object.entries(LEAVES)) {
          const k = Math.ceil(numel(shape) / n);
          const want = MUON.has(path) ? [k] : [2, k];
          expect(leaf(moments!, path).shape, path).toEqual(want);
          floats += numel(want);
        }
        expect((bytes as Tensor).data[0]).toBe(4 * floats);
      }
    }, 120_000);
  }

  it('moves the parameters (the comparison is not of two unchanged models)', () => {
    const moved = Object.keys(LEAVES).some((path) => leaf(reference.p, path).data.some((x, i) => Math.abs(x - leaf(reference.p0, path).data[i]!) > 1e-3));
    expect(moved).toBe(true);
  });
});

describe('comm collectives in .mu', () => {
  it('shard then all-gather gives the leaf back (leading axes kept); reduce-scatter sums; all-reduce averages', async () => {
    const s = { dtype: 'f32' as const, shape: [2, 5, 7], data: Float32Array.from({ length: 70 }, (_, i) => i * 0.5 - 7) };
    const x = { dtype: 'f32' as const, shape: [5, 7], data: Float32Array.from({ length: 35 }, (_, i) => Math.sin(i)) };
    const n = 3;
    const results = (await runOnRanks({ file: new URL('./roundtrip.mu', import.meta.url).pathname, ranks: n, backend: 'interp', call: { name: 'roundtrip', args: { s, x } } })) as Tensor[][];
    for (const [whole, summed, mean] of results) {
      expect(Array.from(whole!.data)).toEqual(Array.from(s.data));
      summed!.data.forEach((v, i) => expect(v).toBeCloseTo(n * x.data[i]!, 5));
      // The mean over ranks of x·(r + 1) is x·(N + 1)/2.
      mean!.data.forEach((v, i) => expect(v).toBeCloseTo((x.data[i]! * (n + 1)) / 2, 5));
    }
  }, 60_000);
});

describe('shard types', () => {
  const check = (text: string, ranks: number) => checkSource(text, '<t>', undefined, { ranks }).diagnostics.map((d) => d.message);

  it('gives a leaf of S elements a shard of ⌈S/N⌉, with leading axes kept', () => {
    const text = `fn f(x: f32[5, 7], s: f32[2, 5, 7]) {
  var a: f32[9] = comm.shard(x)
  var b: f32[2, 9] = comm.shard(s, like = x)
  var c: f32[5, 7] = comm.all_gather(a, like = x)
  var d: f32[2, 5, 7] = comm.all_gather(b, like = s)
  var e: f32[9] = comm.reduce_scatter(x)
}`;
    expect(check(text, 4)).toEqual([]);
    expect(check(text, 2).join('\n')).toMatch(/is declared f32\[9\], but its value is f32\[18\]/);
  });

  it('rejects a batch that the ranks cannot split evenly, and a shard of an unknown size', () => {
    expect(check('fn f(x: f32[6, 3]) {\n  let y = comm.split(x)\n}', 4).join('\n')).toMatch(/batch axis \(6\) must be a constant that divides by the 4 ranks/);
    expect(check('fn f[n](x: f32[n]) {\n  let y = comm.shard(x)\n}', 2).join('\n')).toMatch(/needs its size known when compiling, found f32\[n\]/);
    expect(check('fn f(x: f32[6], l: f32[5]) {\n  let y = comm.all_gather(x, like = l)\n}', 2).join('\n')).toMatch(/does not belong to a leaf f32\[5\] over 2 rank\(s\) \(its shard is f32\[3\]\)/);
  });
});
