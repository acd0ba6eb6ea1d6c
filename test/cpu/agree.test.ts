// The cpu (Wasm SIMD) backend agrees with the interpreter on random graphs (the generator of the
// kernel executor's tests) and on chosen ones: on one thread (the module's own `run`), and on two
// (and three) threads with every step split however little work it has, so the ranges, their
// edges (shapes that the thread count does not divide, vector loops cut at multiples of 4) and the
// barrier are all exercised.
//
// Tolerances, per op class:
//   - elementwise ops, transcendental functions included (they call the host's Math functions in
//     float64 and round once, as the interpreter does), views, gathers, slices, pads, concatenations,
//     library kernels: exact, NaN matching NaN;
//   - anything downstream of a reduction or a matmul: |got − want| ≤ 1e-5·max(1, |want|) (f32 sums
//     accumulate in float64 but may add in another order; matmuls accumulate in f32).
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { printGraph, type Graph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { makeCpuBackend, type CpuBackend } from '../../runtime/cpu/backend.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { randomGraph, type OpClass, type RandomOptions } from '../kernel/random_graph.ts';
import { expectAgree } from './support.ts';

const context = (graph: Graph) => (): string => `${printGraph(graph)}\n${printKernels(schedule(graph))}`;

const choicesArb = fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100, size: 'max' });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

async function check(backend: CpuBackend, options: RandomOptions, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(choicesArb, seedArb, async (choices, seed) => {
      const { graph, inputs, approx } = randomGraph(choices, seed, options);
      const want = evaluate(graph, inputs);
      expectAgree(await backend.run(graph, inputs), want, approx, context(graph));
    }),
    { numRuns },
  );
}

const VARIANTS = [
  { name: 'one thread', backend: makeCpuBackend({ threads: 1 }), share: 0.5 },
  { name: 'two threads, every step split', backend: makeCpuBackend({ threads: 2, minParallelWork: 0 }), share: 1 },
] as const;
const three = makeCpuBackend({ threads: 3, minParallelWork: 0 });
afterAll(() => {
  for (const v of VARIANTS) v.backend.close();
  three.close();
});

describe.each(VARIANTS)('cpu backend vs interpreter on random graphs, $name', ({ backend, share }) => {
  const only = (...ops: OpClass[]): RandomOptions => ({ ops });
  const runs = (n: number): number => Math.ceil(n * share);
  it('elementwise chains with broadcasts (exact)', () => check(backend, only('elementwise', 'wide', 'broadcast'), runs(300)));
  it('reductions over random axes, with and without keepdims (1e-5)', () => check(backend, only('elementwise', 'reduce', 'broadcast'), runs(300)));
  it('matmuls with transposed and scaled operands, and their epilogues (1e-5)', () => check(backend, only('matmul', 'elementwise', 'layout'), runs(250)));
  it('gathers, take_along_axis, slices, pads, reshapes, transposes (exact)', () => check(backend, only('index', 'layout', 'elementwise'), runs(300)));
  it('concatenations (exact)', () => check(backend, only('concat', 'layout', 'elementwise'), runs(200)));
  it('library kernels among fused ones', () => check(backend, only('library', 'layout', 'elementwise'), runs(200)));
  it('everything mixed, longer graphs', () => check(backend, { steps: 10, seeds: 3 }, runs(400)));
});

describe('cpu backend vs interpreter on random graphs, three threads (more than the cores here)', () => {
  it('everything mixed, every step split in three', () => check(three, { steps: 10, seeds: 3 }, 150));
});
