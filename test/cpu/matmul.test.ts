// Matmuls on the cpu backend: random shapes (tile edges, several k- and m-blocks), transposed
// operands (strides only: the packing reads through the views), batches (own and broadcast) and
// epilogues (bias, relu, scale, a second output), against the interpreter within 1e-5 relative.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { cpuBackend } from '../../runtime/cpu/backend.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { expectAgree } from './support.ts';

interface Case {
  readonly batch: readonly number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** b shared by the batch (a broadcast: batch stride 0). */
  readonly shareB: boolean;
  /** 0: plain; 1: + bias, relu; 2: scaled operand (alpha), and the relu mask as a second output; 3: i32. */
  readonly epilogue: number;
  /** Inputs on a grid of 1/64 (products and sums exact in f32) or arbitrary floats. */
  readonly grid: boolean;
  readonly seed: number;
}

function values(n: number, seed: number, grid: boolean, int: boolean): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const u = a / 2 ** 32;
    if (int) return Math.floor(u * 17) - 8;
    return grid ? Math.round((u * 2 - 1) * 64) / 64 : u * 2 - 1;
  });
}

function build(c: Case): { graph: Graph; inputs: Tensor[] } {
  const b = new Builder();
  const dtype = c.epilogue === 3 ? 'i32' : 'f32';
  const swapLast = (r: number): number[] => [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
  const r = c.batch.length + 2;
  const aShape = [...c.batch, ...(c.transA ? [c.k, c.m] : [c.m, c.k])];
  const bOwn = c.shareB ? [] : c.batch;
  const bShape = [...bOwn, ...(c.transB ? [c.n, c.k] : [c.k, c.n])];
  const xa = b.input({ dtype, shape: aShape }, 0, 'a');
  const xb = b.input({ dtype, shape: bShape }, 1, 'b');
  let a = c.transA ? b.add('transpose', [xa], { perm: swapLast(r) }) : xa;
  let w = c.transB ? b.add('transpose', [xb], { perm: swapLast(bShape.length) }) : xb;
  if (c.shareB) w = b.broadcast(w, [...c.batch, c.k, c.n]);
  const outShape = [...c.batch, c.m, c.n];
  const inputs = [
    tensor(dtype, aShape, values(aShape.reduce((p, q) => p * q, 1), c.seed, c.grid, dtype === 'i32')),
    tensor(dtype, bShape, values(bShape.reduce((p, q) => p * q, 1), c.seed + 1, c.grid, dtype === 'i32')),
  ];
  if (c.epilogue === 2) a = b.add('mul', [a, b.broadcast(b.scalar(0.5), [...c.batch, c.m, c.k])]);
  const mm = b.add('matmul', [a, w]);
  const outs: number[] = [];
  if (c.epilogue === 1) {
    const bias = b.input({ dtype, shape: [c.n] }, 2, 'bias');
    inputs.push(tensor(dtype, [c.n], values(c.n, c.seed + 2, c.grid, false)));
    outs.push(b.add('relu', [b.add('add', [mm, b.broadcast(bias, outShape)])]));
  } else if (c.epilogue === 2) {
    outs.push(b.add('relu', [mm]), b.add('gt', [mm, b.broadcast(b.scalar(0), outShape)]));
  } else outs.push(mm);
  return { graph: b.graph('mm', outs), inputs };
}

async function agree(c: Case): Promise<void> {
  const { graph, inputs } = build(c);
  const got = await cpuBackend.run(graph, inputs);
  const want = evaluate(graph, inputs);
  // A bool output compares exactly except where the product is within rounding of the threshold.
  const approx = want.map((t) => t.dtype !== 'bool');
  if (want.length === 2) {
    const mm = want[0]!;
    want[1] = { ...want[1]!, data: Uint8Array.from(want[1]!.data, (v, i) => (Math.abs(mm.data[i]!) < 1e-5 ? got[1]!.data[i]! : v)) };
  }
  expectAgree(got, want, approx, () => `${JSON.stringify(c)}\n${printKernels(schedule(graph))}`);
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  m: fc.integer({ min: 1, max: 40 }),
  k: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 40 }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  shareB: fc.boolean(),
  epilogue: fc.integer({ min: 0, max: 3 }),
  grid: fc.boolean(),
  seed: fc.nat(),
});

describe('cpu matmul', () => {
  it('random shapes, transposes, batches and epilogues agree with the interpreter', async () => {
    await fc.assert(fc.asyncProperty(caseArb, agree), { numRuns: 150 });
  });

  it('several k-blocks and m-blocks, with tile edges, for every transpose', async () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await agree({ batch: [], m: 301, k: 600, n: 37, transA, transB, shareB: false, epilogue: 0, grid: true, seed: 1 });
    }
    await agree({ batch: [2], m: 136, k: 513, n: 24, transA: false, transB: true, shareB: true, epilogue: 1, grid: false, seed: 2 });
  });

  it('exact tiles write the output directly; a 256-cube matches', async () => {
    await agree({ batch: [], m: 256, k: 256, n: 256, transA: false, transB: false, shareB: false, epilogue: 0, grid: false, seed: 3 });
    await agree({ batch: [3], m: 64, k: 300, n: 64, transA: true, transB: true, shareB: false, epilogue: 0, grid: true, seed: 4 });
  });

  it('an empty contraction gives zeros, an empty output nothing', async () => {
    const b = new Builder();
    const z = b.input({ dtype: 'f32', shape: [3, 0] }, 0, 'z');
    const w = b.input({ dtype: 'f32', shape: [0, 5] }, 1, 'w');
    const e = b.input({ dtype: 'f32', shape: [0, 4] }, 2, 'e');
    const mm = b.add('matmul', [z, w]);
    const g = b.graph('empty', [mm, b.add('relu', [b.add('add', [mm, b.broadcast(b.scalar(1), [3, 5])])]), b.add('matmul', [e, b.input({ dtype: 'f32', shape: [4, 2] }, 3, 'f')])]);
    const inputs = [tensor('f32', [3, 0], []), tensor('f32', [0, 5], []), tensor('f32', [0, 4], []), tensor('f32', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])];
    const got = await cpuBackend.run(g, inputs);
    expect([...got[0]!.data]).toEqual(new Array(15).fill(0));
    expect([...got[1]!.data]).toEqual(new Array(15).fill(1));
    expect(got[2]!.shape).toEqual([0, 2]);
  });
});
