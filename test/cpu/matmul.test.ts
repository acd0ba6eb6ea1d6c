// Matmuls on the cpu backend: random shapes (tile edges, several k- and m-blocks), transposed
// operands (strides only: the packing reads through the views), batches (own and broadcast) and
// epilogues (bias, relu, scale, a second output), against the interpreter within 1e-5 relative,
// on one thread and on two or three (every step split: row panels, epilogue rows); symmetric
// products (x·xᵀ, xᵀ·x) that compute half the tiles and mirror the rest.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { emitWat } from '../../compiler/codegen/wasm/index.ts';
import { isSymmetric, symmetricProducts } from '../../compiler/codegen/wasm/symmetry.ts';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { cpuBackend, makeCpuBackend, type CpuBackend } from '../../runtime/cpu/backend.ts';
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

async function agree(c: Case, backend: CpuBackend = cpuBackend): Promise<void> {
  const { graph, inputs } = build(c);
  const got = await backend.run(graph, inputs);
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

const one = makeCpuBackend({ threads: 1 });
const two = makeCpuBackend({ threads: 2, minParallelWork: 0 });
const three = makeCpuBackend({ threads: 3, minParallelWork: 0 });
afterAll(() => [one, two, three].forEach((b) => b.close()));

describe('cpu matmul', () => {
  it('random shapes, transposes, batches and epilogues agree with the interpreter', async () => {
    await fc.assert(fc.asyncProperty(caseArb, (c) => agree(c)), { numRuns: 150 });
  });

  it.each([['one thread', one], ['two threads', two], ['three threads', three]] as const)('the same on %s, every step split', async (_, backend) => {
    await fc.assert(fc.asyncProperty(caseArb, (c) => agree(c, backend)), { numRuns: 100 });
  });

  it('several k- and m-blocks split between threads, for every transpose', async () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await agree({ batch: [], m: 301, k: 600, n: 37, transA, transB, shareB: false, epilogue: 0, grid: true, seed: 5 }, three);
    }
    await agree({ batch: [3], m: 133, k: 300, n: 40, transA: false, transB: false, shareB: false, epilogue: 1, grid: false, seed: 6 }, two);
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

interface SymCase {
  readonly batch: readonly number[];
  readonly n: number;
  readonly k: number;
  /** xᵀ·x (x is [k, n]) instead of x·xᵀ (x is [n, k]). */
  readonly gram: boolean;
  /** 0: plain; 1: scaled (alpha) and + 1; 2: relu. */
  readonly epilogue: number;
  readonly seed: number;
}

function buildSym(c: SymCase): { graph: Graph; inputs: Tensor[] } {
  const b = new Builder();
  const r = c.batch.length + 2;
  const perm = [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
  const shape = [...c.batch, ...(c.gram ? [c.k, c.n] : [c.n, c.k])];
  const x = b.input({ dtype: 'f32', shape }, 0, 'x');
  const xt = b.add('transpose', [x], { perm });
  let a = c.gram ? xt : x;
  const w = c.gram ? x : xt;
  const out = [...c.batch, c.n, c.n];
  if (c.epilogue === 1) a = b.add('mul', [a, b.broadcast(b.scalar(0.25), [...c.batch, c.n, c.k])]);
  const mm = b.add('matmul', [a, w]);
  const y = c.epilogue === 1 ? b.add('add', [mm, b.broadcast(b.scalar(1), out)]) : c.epilogue === 2 ? b.add('relu', [mm]) : mm;
  // Long contractions on a grid of 1/64, where f32 sums are exact (as in the blocks test above).
  const inputs = [tensor('f32', shape, values(shape.reduce((p, q) => p * q, 1), c.seed, c.k > 100, false))];
  return { graph: b.graph('sym', [y]), inputs };
}

const symArb: fc.Arbitrary<SymCase> = fc.record({
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 1 }),
  n: fc.integer({ min: 1, max: 45 }),
  k: fc.integer({ min: 1, max: 40 }),
  gram: fc.boolean(),
  epilogue: fc.integer({ min: 0, max: 2 }),
  seed: fc.nat(),
});

async function agreeSym(c: SymCase, backend: CpuBackend): Promise<void> {
  const { graph, inputs } = buildSym(c);
  const got = await backend.run(graph, inputs);
  const want = evaluate(graph, inputs);
  expectAgree(got, want, [true], () => `${JSON.stringify(c)}\n${printKernels(schedule(graph))}`);
  // Mirrored exactly: the lower triangle is the upper one's copy.
  const n = c.n;
  const g = got[0]!.data;
  for (let base = 0; base < g.length; base += n * n) {
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (g[base + i * n + j] !== g[base + j * n + i]) expect.fail(`${JSON.stringify(c)}: C[${i}, ${j}] != C[${j}, ${i}]`);
  }
}

describe('symmetric products', () => {
  it('x·xᵀ and xᵀ·x of one buffer are recognized, and only they', () => {
    const mm = (c: SymCase) => schedule(buildSym(c).graph).kernels.find((k) => k.kind === 'matmul');
    for (const gram of [false, true]) {
      const k = mm({ batch: [2], n: 9, k: 5, gram, epilogue: 0, seed: 1 });
      expect(k?.kind === 'matmul' && isSymmetric(k)).toBe(true);
    }
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [6, 4] }, 0, 'x');
    const y = b.input({ dtype: 'f32', shape: [6, 4] }, 1, 'y');
    const other = schedule(b.graph('xy', [b.add('matmul', [x, b.add('transpose', [y], { perm: [1, 0] })])])).kernels[0]!;
    expect(other.kind === 'matmul' && isSymmetric(other)).toBe(false);
    const wat = emitWat(schedule(buildSym({ batch: [], n: 9, k: 5, gram: false, epilogue: 0, seed: 1 }).graph));
    expect(wat).toContain('symmetric: the tiles on and above the diagonal');
    expect(wat).toContain('(export "k0_mirror" (func $k0_mirror))');
  });

  it.each([['one thread', one], ['two threads', two], ['three threads', three]] as const)('odd sizes, batches and epilogues agree with the interpreter on %s', async (_, backend) => {
    await fc.assert(fc.asyncProperty(symArb, (c) => agreeSym(c, backend)), { numRuns: 80 });
  });

  /** One Newton–Schulz step on x [n, m]: A = x·xᵀ, B = b·A + c·A·A, a·x + B·x; `bias` adds v[j] to A. */
  function nsStep(n: number, m: number, bias = false): Graph {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [n, m] }, 0, 'x');
    let a = b.add('matmul', [x, b.add('transpose', [x], { perm: [1, 0] })]);
    if (bias) a = b.add('add', [a, b.broadcast(b.input({ dtype: 'f32', shape: [n] }, 1, 'v'), [n, n])]);
    const s = (v: number, shape: number[]) => b.broadcast(b.scalar(v), shape);
    const bb = b.add('add', [b.add('mul', [s(-4.775, [n, n]), a]), b.add('mul', [s(2.0315, [n, n]), b.add('matmul', [a, a])])]);
    return b.graph('ns', [b.add('add', [b.add('mul', [s(3.4445, [n, m]), x]), b.add('matmul', [bb, x])])]);
  }
  const matmuls = (g: Graph): number[] => schedule(g).kernels.flatMap((k, i) => (k.kind === 'matmul' ? [i] : []));

  it('M·M of a symmetric M is symmetric, and so is an epilogue of symmetric values (a Newton–Schulz step)', async () => {
    const g = nsStep(9, 13);
    const [xxt, aa, bx] = matmuls(g);
    expect([...symmetricProducts(schedule(g))]).toEqual([xxt, aa]);
    expect(bx).toBeDefined();
    // A bias along j makes A unsymmetric: A·A is then computed whole.
    const h = nsStep(9, 13, true);
    expect([...symmetricProducts(schedule(h))]).toEqual([matmuls(h)[0]]);
    for (const backend of [one, two, three]) {
      for (const [n, m] of [[9, 13], [37, 41], [64, 70]]) {
        const x = tensor('f32', [n, m], values(n * m, n + m, false, false).map((v) => v * 0.1));
        expectAgree(await backend.run(nsStep(n, m), [x]), evaluate(nsStep(n, m), [x]), [true], () => `n=${n} m=${m}`);
      }
      const x = tensor('f32', [9, 13], values(117, 3, false, false));
      const v = tensor('f32', [9], values(9, 4, false, false));
      expectAgree(await backend.run(h, [x, v]), evaluate(h, [x, v]), [true], () => 'bias');
    }
  });

  it('large enough for several m- and k-blocks, split unevenly by rows (the triangle)', async () => {
    for (const backend of [one, two, three]) {
      await agreeSym({ batch: [], n: 301, k: 600, gram: false, epilogue: 0, seed: 7 }, backend);
      await agreeSym({ batch: [2], n: 136, k: 300, gram: true, epilogue: 1, seed: 8 }, backend);
    }
    await agreeSym({ batch: [], n: 256, k: 64, gram: false, epilogue: 0, seed: 9 }, two);
  });
});
