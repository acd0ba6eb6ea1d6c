// The collectives of runtime/dist against their definitions, on real worker-thread ranks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runRanks } from '../../runtime/dist/ranks.ts';
import { SharedMemoryTransport, createSharedTransportMemory, abortSharedTransport } from '../../runtime/dist/shared_memory.ts';
import { COLLECTIVE_OPS, type CollectiveOp } from '../../runtime/dist/transport.ts';
import type { Case, CaseResult } from './fixtures/tasks.ts';

const TASKS = new URL('./fixtures/tasks.ts', import.meta.url).href;

/** f32 addition in rank order, as the definition of a sum over ranks. */
function sum(xs: Float32Array[], lo: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = xs[0]![lo + i]!;
    for (let r = 1; r < xs.length; r++) s = Math.fround(s + xs[r]![lo + i]!);
    out[i] = s;
  }
  return out;
}

const concat = (xs: Float32Array[]): Float32Array => {
  const out = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
  let at = 0;
  for (const x of xs) out.set(x, (at += x.length) - x.length);
  return out;
};

/** What rank r gets from the case, by definition. */
function reference(c: Case, r: number): Float32Array | null {
  const n = c.inputs.length;
  const len = c.inputs[0]!.length;
  switch (c.op) {
    case 'all_reduce':
      return sum(c.inputs, 0, len);
    case 'reduce_scatter':
      return sum(c.inputs, r * (len / n), len / n);
    case 'all_gather':
      return concat(c.inputs);
    case 'gather':
      return r === c.root ? concat(c.inputs) : null;
    case 'broadcast':
      return c.inputs[c.root]!.slice();
  }
}

/** The brief's byte formula, written out again rather than imported. */
function expectedBytes(op: CollectiveOp, n: number, len: number, r: number, root: number): number {
  if (op === 'reduce_scatter') return (n - 1) * (len / n) * 4;
  if (op === 'all_gather') return (n - 1) * len * 4;
  if (op === 'all_reduce') return 2 * (n - 1) * Math.ceil(len / n) * 4;
  if (op === 'gather') return r === root ? 0 : len * 4;
  return (n - 1) * Math.ceil(len / n) * 4;
}

const values = (len: number): fc.Arbitrary<Float32Array> =>
  // Finite and bounded: sums of up to 4 stay finite, so no NaN whose bits could differ.
  fc.float32Array({ minLength: len, maxLength: len, min: -1e6, max: 1e6, noNaN: true });

/** A case for `n` ranks: lengths from 0, past several slots of 7 floats, not divisible by n
 *  (except reduce_scatter, which requires it). */
function caseOf(n: number, op: CollectiveOp): fc.Arbitrary<Case> {
  const len = op === 'reduce_scatter' ? fc.integer({ min: 0, max: 12 }).map((k) => k * n) : fc.integer({ min: 0, max: 40 });
  return fc.record({ len, root: fc.integer({ min: 0, max: n - 1 }) }).chain(({ len, root }) =>
    fc.array(values(len), { minLength: n, maxLength: n }).map((inputs) => ({ op, root, inputs })),
  );
}

function casesOf(n: number): fc.Arbitrary<Case[]> {
  const random = fc.array(fc.constantFrom(...COLLECTIVE_OPS).chain((op) => caseOf(n, op)), { maxLength: 8 });
  const everyOp = fc.tuple(...COLLECTIVE_OPS.map((op) => caseOf(n, op)));
  // Every op at least once, in a random order with the others, so calls follow each other in
  // every combination (the buffers alternate between rounds).
  return fc.tuple(random, everyOp).chain(([a, b]) => fc.shuffledSubarray([...a, ...b], { minLength: a.length + b.length }));
}

function check(n: number, cases: Case[], results: CaseResult[][]): void {
  cases.forEach((c, i) => {
    const where = `case ${i} (${c.op}, length ${c.inputs[0]!.length}, root ${c.root})`;
    const bits0 = results[0]![i]!.out && Array.from(new Uint32Array(results[0]![i]!.out!.buffer));
    for (let r = 0; r < n; r++) {
      const { out, stats } = results[r]![i]!;
      const want = reference(c, r);
      expect(out && Array.from(out), `${where} on rank ${r}`).toEqual(want && Array.from(want));
      // Bit-identical on every rank (toEqual above already tells -0 from 0).
      if (c.op !== 'gather' && c.op !== 'reduce_scatter') expect(Array.from(new Uint32Array(out!.buffer)), `${where}: rank ${r} vs rank 0`).toEqual(bits0);
      for (const op of COLLECTIVE_OPS) {
        expect(stats.calls[op], `${where}: calls of ${op} on rank ${r}`).toBe(op === c.op ? 1 : 0);
        const bytes = op === c.op ? expectedBytes(op, n, c.inputs[r]!.length, r, c.root) : 0;
        expect(stats.bytes[op], `${where}: bytes of ${op} on rank ${r}`).toBe(bytes);
      }
    }
  });
}

describe('collectives on worker ranks', () => {
  it.each([1, 2, 3, 4])('match their definitions on %i rank(s), bit-identical on every rank', async (n) => {
    // slotFloats 1 and 7 cut most messages into many rounds; 64 cuts few.
    const slot = fc.constantFrom(1, 7, 64);
    await fc.assert(
      fc.asyncProperty(slot, casesOf(n), async (slotFloats, cases) => {
        const results = (await runRanks(n, { module: TASKS, export: 'collectives', payload: cases }, { slotFloats })) as CaseResult[][];
        check(n, cases, results);
      }),
      // No shrinking: each try starts n workers, and a counterexample is small already.
      { numRuns: 2, endOnFailure: true },
    );
  });

  it('moves messages of hundreds of rounds', async () => {
    const n = 2;
    const len = 7 * 300 + 5;
    const inputs = Array.from({ length: n }, (_, r) => Float32Array.from({ length: len }, (_, i) => Math.fround(Math.sin(i * (r + 1)))));
    const cases: Case[] = [
      { op: 'all_reduce', root: 0, inputs },
      { op: 'broadcast', root: 1, inputs },
      { op: 'all_gather', root: 0, inputs },
    ];
    const results = (await runRanks(n, { module: TASKS, export: 'collectives', payload: cases }, { slotFloats: 7 })) as CaseResult[][];
    check(n, cases, results);
  });
});

describe('SharedMemoryTransport on one rank, in this thread', () => {
  it('returns copies of its input and counts calls but no bytes', () => {
    const t = new SharedMemoryTransport(0, createSharedTransportMemory(1, 3));
    const x = Float32Array.of(1, -0, 3, 4.5, 5);
    for (const out of [t.allReduce(x), t.reduceScatter(x), t.allGather(x), t.gather(x)!, t.broadcast(x)]) {
      expect(out).not.toBe(x);
      expect(Array.from(out)).toEqual(Array.from(x));
    }
    t.barrier();
    expect(t.stats.calls).toEqual({ all_reduce: 1, reduce_scatter: 1, all_gather: 1, gather: 1, broadcast: 1 });
    expect(Object.values(t.stats.bytes)).toEqual([0, 0, 0, 0, 0]);
    t.resetStats();
    expect(Object.values(t.stats.calls)).toEqual([0, 0, 0, 0, 0]);
  });

  it('throws "rank R failed" after an abort from another thread', () => {
    const memory = createSharedTransportMemory(1);
    const t = new SharedMemoryTransport(0, memory);
    expect(abortSharedTransport(memory, 3, 'out of memory')).toBe(true);
    expect(abortSharedTransport(memory, 1, 'later')).toBe(false); // the first abort wins
    expect(() => t.allReduce(new Float32Array(2))).toThrow(/^rank 3 failed: out of memory$/);
    expect(() => t.barrier()).toThrow('rank 3 failed: out of memory');
  });

  it('checks its arguments', () => {
    const t = new SharedMemoryTransport(0, createSharedTransportMemory(1));
    expect(() => t.gather(new Float32Array(1), 1)).toThrow('gather: root 1 is not a rank (ranks are 0..0)');
    expect(() => new SharedMemoryTransport(1, createSharedTransportMemory(1))).toThrow('rank 1 is not in 0..0');
    expect(() => createSharedTransportMemory(0)).toThrow('size must be a positive integer, got 0');
    expect(() => createSharedTransportMemory(2, 0)).toThrow('slotFloats must be a positive integer, got 0');
  });
});
