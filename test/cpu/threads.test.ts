// The cpu backend's threads: how a step's units are split (split.ts), what a failure on a worker
// thread becomes (the same RangeError as on the main thread, never a hang), and that a backend
// keeps working after one, while its memory grows for larger graphs.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { WasmStep } from '../../compiler/codegen/wasm/index.ts';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { makeCpuBackend, threadCount } from '../../runtime/cpu/backend.ts';
import { chunksFor, splitRange } from '../../runtime/cpu/split.ts';
import { tensor } from '../../runtime/interp/ops/tensor.ts';

const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

describe('splitting a step into ranges', () => {
  const weightArb = fc.oneof(
    fc.constant({ kind: 'flat' } as const),
    fc.record({ kind: fc.constantFrom('falling' as const, 'rising' as const), period: fc.integer({ min: 1, max: 50 }) }),
  );

  it('covers every unit once, in order, with non-empty chunks starting at multiples of the granule', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 4), weightArb, (units, parts, granule, weight) => {
      const cuts = splitRange(units, parts, granule, weight);
      expect(cuts.length - 1).toBeGreaterThanOrEqual(1);
      expect(cuts.length - 1).toBeLessThanOrEqual(parts);
      expect(cuts[0]).toBe(0);
      expect(cuts[cuts.length - 1]).toBe(units);
      for (let i = 0; i + 1 < cuts.length; i++) {
        expect(cuts[i + 1]!).toBeGreaterThan(cuts[i]!);
        expect(cuts[i]! % granule).toBe(0);
      }
    }));
  });

  it('cuts flat work into equal chunks, and a triangle by area', () => {
    expect(splitRange(10, 2, 1, { kind: 'flat' })).toEqual([0, 5, 10]);
    expect(splitRange(10, 3, 4, { kind: 'flat' })).toEqual([0, 4, 8, 10]);
    expect(splitRange(3, 4, 1, { kind: 'flat' })).toEqual([0, 1, 2, 3]);
    // Rows of an upper triangle of 100: the first thread takes fewer, longer rows (1 − 1/√2 ≈ 29%).
    const [, cut] = splitRange(100, 2, 1, { kind: 'falling', period: 100 });
    expect(cut).toBeGreaterThanOrEqual(28);
    expect(cut).toBeLessThanOrEqual(31);
    const [, rise] = splitRange(100, 2, 1, { kind: 'rising', period: 100 });
    expect(rise).toBeGreaterThanOrEqual(69);
    expect(rise).toBeLessThanOrEqual(72);
  });

  it('keeps small steps on the main thread, cuts the others into a few chunks per thread', () => {
    const step = (units: number, work: number, repeat = 0): WasmStep => ({ kind: 'wasm', kernel: 0, name: 'k0', units, granule: 4, work, repeat, weight: { kind: 'flat' } });
    expect(chunksFor(step(1000, 100), 4, 1000)).toBe(1);
    expect(chunksFor(step(1000, 5000), 2, 1000)).toBe(8);
    expect(chunksFor(step(6, 5000), 4, 1000)).toBe(2);
    expect(chunksFor(step(1, 5000), 4, 0)).toBe(1);
    expect(chunksFor(step(1000, 5000), 1, 0)).toBe(1);
    expect(chunksFor(step(4000, 1e6), 100, 0, 255)).toBe(255);
    // Each call repeats 1/64 of the work: one chunk per thread (a repeat of at most 1/32 each).
    expect(chunksFor(step(1000, 64_000, 1000), 2, 0)).toBe(2);
    expect(chunksFor(step(1000, 64_000, 100), 2, 0)).toBe(8);
  });

  it('takes a whole number of threads ≥ 1', () => {
    expect(threadCount(3)).toBe(3);
    expect(threadCount(undefined)).toBeGreaterThanOrEqual(1);
    expect(() => threadCount(0)).toThrow('threads must be a whole number ≥ 1, got 0');
    expect(() => makeCpuBackend({ threads: 1.5 })).toThrow('got 1.5');
  });
});

describe('failures on worker threads', () => {
  const two = makeCpuBackend({ threads: 2, minParallelWork: 0 });
  const three = makeCpuBackend({ threads: 3, minParallelWork: 0 });
  afterAll(() => {
    two.close();
    three.close();
  });

  /** x / y elementwise on i32[n] (the division by zero check is a `fail` of the kernel). */
  function division(n: number): Graph {
    const b = new Builder();
    const x = b.input({ dtype: 'i32', shape: [n] }, 0, 'x');
    return b.graph(`div${n}`, [b.add('div', [x, b.input({ dtype: 'i32', shape: [n] }, 1, 'y')])]);
  }
  const n = 1000;
  const ones = (zeroAt: readonly number[]) => tensor('i32', [n], seq(n, (i) => (zeroAt.includes(i) ? 0 : 1)));
  const xs = tensor('i32', [n], seq(n, (i) => i * 3));

  it('a division by zero in the last thread\'s range raises the main thread\'s RangeError', async () => {
    for (const backend of [two, three]) {
      const err = await backend.run(division(n), [xs, ones([n - 1])]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as RangeError).message).toBe('div: i32 division by zero');
    }
  });

  it('failures on several threads at once raise one error, and the backend runs on afterwards', async () => {
    for (const backend of [two, three]) {
      await expect(backend.run(division(n), [xs, ones([0, n / 2, n - 1])])).rejects.toThrow('div: i32 division by zero');
      await expect(backend.run(division(n), [xs, ones([n - 1])])).rejects.toThrow(RangeError);
      const ok = await backend.run(division(n), [xs, ones([])]);
      expect([...ok[0]!.data]).toEqual(seq(n, (i) => i * 3));
    }
  });

  it('an index out of range in a worker\'s rows of a gather', async () => {
    const b = new Builder();
    const table = b.input({ dtype: 'f32', shape: [10, 64] }, 0, 'table');
    const rows = b.input({ dtype: 'i32', shape: [200] }, 1, 'rows');
    const g = b.graph('embed', [b.add('gather', [table, rows], { axis: 0 })]);
    const t = tensor('f32', [10, 64], seq(640, (i) => i));
    const bad = tensor('i32', [200], seq(200, (i) => (i === 190 ? 12 : i % 10)));
    for (const backend of [two, three]) {
      await expect(backend.run(g, [t, bad])).rejects.toThrow('index 12 out of range [0, 10)');
      const got = await backend.run(g, [t, tensor('i32', [200], seq(200, (i) => i % 10))]);
      expect(got[0]!.data[199 * 64 + 5]).toBe(9 * 64 + 5);
    }
  });

  it('graphs share the memory across threads as it grows', async () => {
    const backend = makeCpuBackend({ threads: 2, minParallelWork: 0 });
    const scale = (m: number): Graph => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [m] }, 0, 'x');
      return b.graph(`scale${m}`, [b.add('mul', [x, b.broadcast(b.scalar(3), [m])])]);
    };
    const small = tensor('f32', [5], [1, 2, 3, 4, 5]);
    expect([...(await backend.run(scale(5), [small]))[0]!.data]).toEqual([3, 6, 9, 12, 15]);
    const pages = backend.memory.buffer.byteLength;
    const big = await backend.run(scale(300_000), [tensor('f32', [300_000], seq(300_000, (i) => i))]);
    expect(backend.memory.buffer.byteLength).toBeGreaterThan(pages);
    expect(big[0]!.data[299_999]).toBe(899_997);
    expect(big[0]!.data[150_001]).toBe(450_003);
    expect([...(await backend.run(scale(5), [small]))[0]!.data]).toEqual([3, 6, 9, 12, 15]);
    backend.close();
    await expect(backend.run(scale(5), [small])).rejects.toThrow('closed');
  });
});
