// Data-dependent indices on the cpu backend (spec/language.md §8: an index outside is an error at
// run time): gather, take_along_axis and x[i] check each index with one unsigned compare in the
// generated Wasm and raise the interpreter's "index i out of range [0, n)"; scatter_add runs the
// interpreter's own code. The bound comes from the buffer's shape (compiler/codegen/wasm/bounds.ts);
// the random-graph tests (agree.test.ts) show it never rejects an index the interpreter accepts.
import { afterAll, describe, expect, it } from 'vitest';
import { emitWat } from '../../compiler/codegen/wasm/index.ts';
import { indexBound } from '../../compiler/codegen/wasm/bounds.ts';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import type { Expr } from '../../compiler/kernel/ir.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { cpuBackend, makeCpuBackend } from '../../runtime/cpu/backend.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { compile } from '../../runtime/program.ts';

const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
const one = makeCpuBackend({ threads: 1 });
const two = makeCpuBackend({ threads: 2, minParallelWork: 0 });
afterAll(() => {
  one.close();
  two.close();
});

/** Both backends raise a RangeError containing `message`, as the interpreter does. */
async function rejects(g: Graph, inputs: Tensor[], message: string): Promise<void> {
  expect(() => evaluate(g, inputs)).toThrow(message);
  for (const backend of [one, two]) {
    const err = await backend.run(g, inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toContain(message);
  }
}

function gather(shape: number[], indices: number[], axis: number): Graph {
  const b = new Builder();
  const x = b.input({ dtype: 'f32', shape }, 0, 'x');
  const i = b.input({ dtype: 'i32', shape: indices }, 1, 'i');
  return b.graph('gather', [b.add('gather', [x, i], { axis })]);
}

describe('index checks in the generated Wasm', () => {
  it('a gather index past the end or below zero raises', async () => {
    const x = tensor('f32', [5, 8], seq(40, (i) => i));
    await rejects(gather([5, 8], [6], 0), [x, tensor('i32', [6], [0, 1, 7, 2, 3, 4])], 'index 7 out of range [0, 5)');
    await rejects(gather([5, 8], [6], 0), [x, tensor('i32', [6], [0, 1, 2, -1, 3, 4])], 'index -1 out of range [0, 5)');
    await rejects(gather([5, 8], [3], 1), [x, tensor('i32', [3], [0, 8, 1])], 'index 8 out of range [0, 8)');
    // In range: the exact answer.
    const ok = await two.run(gather([5, 8], [3], 1), [x, tensor('i32', [3], [7, 0, 2])]);
    expect([...ok[0]!.data.slice(0, 3)]).toEqual([7, 0, 2]);
  });

  it('take_along_axis checks against the extent of its axis, not the buffer', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [3, 4] }, 0, 'x');
    const i = b.input({ dtype: 'i32', shape: [3, 2] }, 1, 'i');
    const g = b.graph('take', [b.add('take_along_axis', [x, i], { axis: 1 })]);
    // Index 4 of row 0 would be element 0 of row 1 if it were not checked.
    await rejects(g, [tensor('f32', [3, 4], seq(12, (k) => k)), tensor('i32', [3, 2], [0, 4, 1, 1, 2, 2])], 'index 4 out of range [0, 4)');
  });

  it('x[i] with i known only when running', async () => {
    const src = 'fn pick(x: f32[4], i: i32) -> f32 = x[i]\n';
    const x = tensor('f32', [4], [1, 2, 3, 4]);
    expect(((await compile(src, { backend: cpuBackend }).call('pick', x, 3)) as Tensor).data[0]).toBe(4);
    await expect(compile(src, { backend: cpuBackend }).call('pick', x, 4)).rejects.toThrow(/^<source>:1:\d+: error: index 4 out of range \[0, 4\)/);
    await expect(compile(src).call('pick', x, 4)).rejects.toThrow('index 4 out of range [0, 4)');
  });

  it('scatter_add (a library kernel) raises the interpreter\'s error', async () => {
    const b = new Builder();
    const t = b.input({ dtype: 'f32', shape: [4] }, 0, 't');
    const i = b.input({ dtype: 'i32', shape: [2] }, 1, 'i');
    const u = b.input({ dtype: 'f32', shape: [2] }, 2, 'u');
    const g = b.graph('scatter', [b.add('scatter_add', [t, i, u], { axis: 0 })]);
    await rejects(g, [tensor('f32', [4], [0, 0, 0, 0]), tensor('i32', [2], [1, 9]), tensor('f32', [2], [1, 1])], 'index 9 out of range [0, 4)');
  });

  it('costs one unsigned compare per loaded index', () => {
    const wat = emitWat(schedule(gather([5, 8], [6], 0)));
    expect(wat).toContain('(if (i32.ge_u (local.get $s0) (i32.const 5)) (then (call $fail (i32.const 5) (local.get $s0) (i32.const 5))))');
  });
});

describe('the bound of an index term', () => {
  const index: Expr = { op: 'load', dtype: 'i32', input: 1, view: { strides: [1], offset: 0, dynamic: [] }, valid: null };
  const load = (strides: number[], offset: number, stride: number, valid: number | null = null): Expr & { op: 'load' } =>
    ({ op: 'load', dtype: 'f32', input: 0, view: { strides, offset, dynamic: [{ index: 0, stride }] }, valid });
  const bound = (l: Expr & { op: 'load' }, loop: number[], shape: number[]): number | null => indexBound([index], l, loop, shape, l.view.dynamic[0]!);

  it('is the extent of the indexed axis for rows, columns and middle axes', () => {
    expect(bound(load([0, 1], 0, 8), [6, 8], [5, 8])).toBe(5); // embedding rows
    expect(bound(load([4, 0], 0, 1), [3, 2], [3, 4])).toBe(4); // take_along_axis, last axis
    expect(bound(load([12, 0, 1], 0, 4), [2, 7, 4], [2, 3, 4])).toBe(3); // a middle axis
  });

  it('under a guard (a padded operand), keeps to what stays inside the buffer', () => {
    // take_along_axis of x padded by one before: the index reads x at index − 1 where it is ≥ 1.
    expect(bound(load([0, 2], -1, 1, 1), [1, 2], [2, 2])).toBe(5);
  });

  it('skips digits of reshaped positions (in range by construction)', () => {
    const digit: Expr = { op: 'mod', dtype: 'i32', args: [0, 0] };
    const l = load([0], 0, 1);
    expect(indexBound([digit], l, [4], [4], l.view.dynamic[0]!)).toBe(null);
  });
});
