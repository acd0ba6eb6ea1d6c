// The collectives that data-parallel ranks use (ZeRO-1 Muon, DESIGN.md §4), independent of how the
// bytes move: shared_memory.ts moves them between threads of one machine.

export type CollectiveOp = 'all_reduce' | 'reduce_scatter' | 'all_gather' | 'gather' | 'broadcast';

export const COLLECTIVE_OPS: readonly CollectiveOp[] = ['all_reduce', 'reduce_scatter', 'all_gather', 'gather', 'broadcast'];

/**
 * Per rank, since the last resetStats(): how many calls of each collective, and how many bytes
 * this rank SENDS for them. Bytes are counted as the bandwidth-optimal ring algorithm that a real
 * multi-node library (NCCL) would send, not what shared memory copies, so that a run on one
 * machine predicts a cluster's traffic. See ringBytes.
 */
export interface CollectiveStats {
  calls: Record<CollectiveOp, number>;
  bytes: Record<CollectiveOp, number>;
}

/**
 * One rank's end of a group of `size` ranks. Every call is synchronous (it blocks until every rank
 * has made the same call: ranks run in lockstep) and returns a fresh array; every rank must make
 * the same calls in the same order with the same lengths (and the same root), or every rank throws.
 */
export interface Transport {
  readonly rank: number;
  readonly size: number;
  /** Elementwise sum over ranks; every rank passes the same length and gets the sum. */
  allReduce(x: Float32Array): Float32Array;
  /** x.length === size·k on every rank; returns the sum over ranks of block [rank·k, (rank+1)·k). */
  reduceScatter(x: Float32Array): Float32Array;
  /** Every rank passes k elements (same k); returns size·k elements, rank-major. */
  allGather(x: Float32Array): Float32Array;
  /** Every rank passes k elements; root (default 0) gets size·k rank-major, others get null. */
  gather(x: Float32Array, root?: number): Float32Array | null;
  /** root's x (default root 0; length k on all ranks) to every rank. */
  broadcast(x: Float32Array, root?: number): Float32Array;
  /** Returns when every rank has called it. */
  barrier(): void;
  readonly stats: CollectiveStats;
  resetStats(): void;
}

export function emptyStats(): CollectiveStats {
  const zeros = (): Record<CollectiveOp, number> => ({ all_reduce: 0, reduce_scatter: 0, all_gather: 0, gather: 0, broadcast: 0 });
  return { calls: zeros(), bytes: zeros() };
}

/**
 * Bytes that `rank` sends for one call of `op` over `size` ranks, under the ring algorithms, where
 * `length` is the length of the array this rank passes and S = size·k floats is the message:
 * - reduce_scatter (S = length, k = S/N): (N−1)·k·4 (N−1 steps, one block each);
 * - all_gather (k = length): (N−1)·k·4;
 * - all_reduce (S = length, k = ⌈S/N⌉): 2·(N−1)·k·4 (a reduce-scatter, then an all-gather);
 * - gather (k = length): k·4 on every rank but root, 0 on root (each sends its block once);
 * - broadcast (S = length, pipelined in N chunks of k = ⌈S/N⌉): (N−1)·k·4, i.e. (N−1)/N·S·4.
 * ⌈⌉ pads a length that N does not divide, as a ring does. With N = 1 nothing moves: 0.
 */
export function ringBytes(op: CollectiveOp, size: number, length: number, rank: number, root: number): number {
  const n = size;
  switch (op) {
    case 'reduce_scatter':
      return (n - 1) * Math.ceil(length / n) * 4;
    case 'all_gather':
      return (n - 1) * length * 4;
    case 'all_reduce':
      return 2 * (n - 1) * Math.ceil(length / n) * 4;
    case 'gather':
      return rank === root ? 0 : length * 4;
    case 'broadcast':
      return (n - 1) * Math.ceil(length / n) * 4;
  }
}
