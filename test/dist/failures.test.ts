// How runRanks fails: the failing rank's message, at once, and never a hang.
import { describe, expect, it } from 'vitest';
import { runRanks } from '../../runtime/dist/ranks.ts';
import type { Failure } from './fixtures/tasks.ts';

const TASKS = new URL('./fixtures/tasks.ts', import.meta.url).href;

/** runRanks' rejection, and how long it took. */
async function failure(size: number, exportName: string, payload: unknown, module = TASKS): Promise<{ error: Error; ms: number }> {
  const t0 = performance.now();
  const error = await runRanks(size, { module, export: exportName, payload }).then(
    () => {
      throw new Error('runRanks resolved');
    },
    (e: unknown) => e as Error,
  );
  return { error, ms: performance.now() - t0 };
}

describe('a failing rank', () => {
  it.each<[Failure['how'], RegExp]>([
    ['throw', /^rank 1: boom on 1$/],
    // The others are blocked inside allReduce by then.
    ['throw-late', /^rank 1: late boom on 1$/],
    ['exit', /^rank 1: exited without a result \(exit code 3\)$/],
    ['uncloneable', /^rank 1: the result of 'failing' cannot be sent to the parent: .*could not be cloned/],
  ])('that does %s rejects runRanks with its message', async (how, message) => {
    const { error, ms } = await failure(2, 'failing', { rank: 1, how } satisfies Failure);
    expect(error.message).toMatch(message);
    expect(ms).toBeLessThan(30_000); // seconds of start-up on a loaded 2-core machine, not a hang
    if (how.startsWith('throw')) expect((error.cause as Error).stack).toContain('tasks.ts'); // kept, not shown
  });

  it('that returns while the others wait in a collective fails them, not hangs them', async () => {
    const { error } = await failure(3, 'failing', { rank: 2, how: 'return' } satisfies Failure);
    expect(error.message).toMatch(/^rank [01]: all_reduce: rank 2 returned while rank [01] waits for it here \(every rank must make the same calls\)$/);
  });

  it('stops ranks that compute without calling a collective, after a grace period', async () => {
    const { error, ms } = await failure(3, 'failing', { rank: 0, how: 'throw', others: 'spin' } satisfies Failure);
    expect(error.message).toBe('rank 0: boom on 0');
    expect(ms).toBeLessThan(30_000);
  });

  it('that does not export the function', async () => {
    const { error } = await failure(2, 'nothing', null);
    expect(error.message).toMatch(/^rank [01]: file:.*tasks\.ts has no exported function 'nothing'$/);
  });

  it('that cannot load its module', async () => {
    const { error } = await failure(1, 'x', null, TASKS.replace('tasks.ts', 'missing.ts'));
    expect(error.message).toMatch(/^rank 0: Cannot find module .*missing\.ts/);
  });
});

describe('ranks that disagree', () => {
  it.each<[string, unknown, string]>([
    ['lengths', { op: 'all_reduce', lengths: [4, 4, 5] }, 'rank 2: all_reduce: rank 2 passed 5 floats but rank 0 passed 4 (every rank must pass the same length)'],
    ['lengths past a slot', { op: 'all_gather', lengths: [3_000_000, 7] }, 'rank 1: all_gather: rank 1 passed 7 floats but rank 0 passed 3000000 (every rank must pass the same length)'],
    ['calls', { op: 'mixed', lengths: [2, 2] }, 'rank 1: all_gather: rank 1 called all_gather but rank 0 called all_reduce (every rank must make the same calls in the same order)'],
    ['roots', { op: 'broadcast', lengths: [2, 2], roots: [0, 1] }, 'rank 1: broadcast: rank 1 passed root 1 but rank 0 passed root 0'],
    ['a root out of range', { op: 'gather', lengths: [2, 2], roots: [2, 2] }, 'rank 0: gather: root 2 is not a rank (ranks are 0..1)'],
    ['an indivisible length', { op: 'reduce_scatter', lengths: [5, 5] }, 'rank 0: reduce_scatter: length 5 is not divisible by the number of ranks 2'],
  ])('on %s fail with both sides named', async (_what, payload, message) => {
    const { error } = await failure((payload as { lengths: number[] }).lengths.length, 'mismatched', payload);
    expect(error.message).toBe(message);
  });
});
