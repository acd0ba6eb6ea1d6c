// The cpu (Wasm SIMD) backend agrees with the interpreter on random graphs (the generator of the
// kernel executor's tests) and on chosen ones.
//
// Tolerances, per op class:
//   - elementwise ops, transcendental functions included (they call the host's Math functions in
//     float64 and round once, as the interpreter does), views, gathers, slices, pads, concatenations,
//     library kernels: exact, NaN matching NaN;
//   - anything downstream of a reduction or a matmul: |got − want| ≤ 1e-5·max(1, |want|) (f32 sums
//     accumulate in float64 but may add in another order; matmuls accumulate in f32).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { printGraph, type Graph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { cpuBackend } from '../../runtime/cpu/backend.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { randomGraph, type OpClass, type RandomOptions } from '../kernel/random_graph.ts';
import { expectAgree } from './support.ts';

const context = (graph: Graph) => (): string => `${printGraph(graph)}\n${printKernels(schedule(graph))}`;

const choicesArb = fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100, size: 'max' });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

async function check(options: RandomOptions, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(choicesArb, seedArb, async (choices, seed) => {
      const { graph, inputs, approx } = randomGraph(choices, seed, options);
      const want = evaluate(graph, inputs);
      expectAgree(await cpuBackend.run(graph, inputs), want, approx, context(graph));
    }),
    { numRuns },
  );
}

describe('cpu backend vs interpreter on random graphs', () => {
  const only = (...ops: OpClass[]): RandomOptions => ({ ops });
  it('elementwise chains with broadcasts (exact)', () => check(only('elementwise', 'wide', 'broadcast'), 300));
  it('reductions over random axes, with and without keepdims (1e-5)', () => check(only('elementwise', 'reduce', 'broadcast'), 300));
  it('matmuls with transposed and scaled operands, and their epilogues (1e-5)', () => check(only('matmul', 'elementwise', 'layout'), 250));
  it('gathers, take_along_axis, slices, pads, reshapes, transposes (exact)', () => check(only('index', 'layout', 'elementwise'), 300));
  it('concatenations (exact)', () => check(only('concat', 'layout', 'elementwise'), 200));
  it('library kernels among fused ones', () => check(only('library', 'layout', 'elementwise'), 200));
  it('everything mixed, longer graphs', () => check({ steps: 10, seeds: 3 }, 400));
});
