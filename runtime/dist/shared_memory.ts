// The Transport between threads of one process, over SharedArrayBuffers: the parent makes the
// memory (createSharedTransportMemory), posts it to each rank's worker, and each worker builds
// `new SharedMemoryTransport(rank, memory)`. Calls block with Atomics.wait.
//
// Each rank owns two buffers of slotFloats floats in the data region. A call moves its message in
// rounds of at most slotFloats floats: every rank writes its part of the round into its buffer, one
// barrier, then every rank reads what it needs from any rank's buffer. Rounds alternate between
// the two buffers, so one barrier per round is enough: a rank can only write a buffer again after
// the next round's barrier, which every rank reaches only after reading this round.
import { emptyStats, ringBytes, type CollectiveOp, type CollectiveStats, type Transport } from './transport.ts';

/** What the parent posts to the workers: plain data, SharedArrayBuffers shared, not copied. */
export interface SharedTransportMemory {
  readonly size: number;
  readonly slotFloats: number;
  /** Int32: the barrier, the abort flag, per-rank "returned" flags and call descriptions. */
  readonly control: SharedArrayBuffer;
  /** Float32: two buffers of slotFloats per rank. */
  readonly data: SharedArrayBuffer;
  /** UTF-8 of the abort message. */
  readonly message: SharedArrayBuffer;
}

/** 1 Mi floats (4 MiB) per buffer, two buffers per rank. */
export const DEFAULT_SLOT_FLOATS = 1 << 20;
const MESSAGE_BYTES = 4096;

// The control block, in Int32 words.
const COUNT = 0; // ranks arrived at the current barrier
const GEN = 1; // barriers completed
const SEQ = 2; // bumped on every event a waiter must see (barrier done, abort, a rank returned): waiters sleep on it
const ABORT = 3; // 0: running, 1: an abort is being written, 2: aborted
const ABORT_RANK = 4;
const ABORT_LEN = 5;
const HEADER = 6;
// Then FIN[size] (1 once a rank has returned), then per call parity and rank (call, length, root):
// two copies, as a fast rank publishes its next call while a slow one still checks this one.
const finAt = (r: number): number => HEADER + r;
const infoAt = (size: number, parity: number, r: number): number => HEADER + size + (parity * size + r) * 3;

type Call = CollectiveOp | 'barrier';
const CALLS: readonly Call[] = ['all_reduce', 'reduce_scatter', 'all_gather', 'gather', 'broadcast', 'barrier'];
const NOT_A_ROOT = -0x80000000; // published for a root that is not an integer

export function createSharedTransportMemory(size: number, slotFloats: number = DEFAULT_SLOT_FLOATS): SharedTransportMemory {
  if (!Number.isInteger(size) || size < 1) throw new Error(`shared transport: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(slotFloats) || slotFloats < 1) throw new Error(`shared transport: slotFloats must be a positive integer, got ${slotFloats}`);
  return {
    size,
    slotFloats,
    control: new SharedArrayBuffer(infoAt(size, 2, 0) * 4),
    data: new SharedArrayBuffer(size * 2 * slotFloats * 4),
    message: new SharedArrayBuffer(MESSAGE_BYTES),
  };
}

/** Thrown on a rank because another rank failed: not a failure of its own. */
export class RankAbortedError extends Error {
  constructor(
    readonly failedRank: number,
    readonly reason: string,
  ) {
    super(`rank ${failedRank} failed: ${reason}`);
    this.name = 'RankAbortedError';
  }
}

/**
 * Marks the group failed because of `rank`, and wakes every waiting rank: from then on every
 * collective on every rank throws RankAbortedError. Callable from any thread holding the memory
 * (the parent included). The first abort wins; returns whether this one did.
 */
export function abortSharedTransport(memory: SharedTransportMemory, rank: number, message: string): boolean {
  const ctl = new Int32Array(memory.control);
  if (Atomics.compareExchange(ctl, ABORT, 0, 1) !== 0) return false;
  // encodeInto stops at a character boundary; it wants an unshared array.
  const bytes = new Uint8Array(MESSAGE_BYTES);
  const { written } = new TextEncoder().encodeInto(message, bytes);
  new Uint8Array(memory.message).set(bytes.subarray(0, written));
  ctl[ABORT_RANK] = rank;
  ctl[ABORT_LEN] = written;
  Atomics.store(ctl, ABORT, 2); // publishes the plain writes above
  Atomics.notify(ctl, ABORT);
  Atomics.add(ctl, SEQ, 1);
  Atomics.notify(ctl, SEQ);
  return true;
}

/** The abort that won, or null while none. */
export function readAbort(memory: SharedTransportMemory): { rank: number; message: string } | null {
  const ctl = new Int32Array(memory.control);
  // An abort being written takes microseconds; the bound only matters if its thread was killed.
  for (let i = 0; i < 100 && Atomics.load(ctl, ABORT) === 1; i++) Atomics.wait(ctl, ABORT, 1, 10);
  const state = Atomics.load(ctl, ABORT);
  if (state === 0) return null;
  if (state === 1) return { rank: -1, message: 'aborted' };
  const bytes = new Uint8Array(ctl[ABORT_LEN]);
  bytes.set(new Uint8Array(memory.message, 0, bytes.length)); // TextDecoder refuses shared memory
  return { rank: ctl[ABORT_RANK], message: new TextDecoder().decode(bytes) };
}

export class SharedMemoryTransport implements Transport {
  readonly size: number;
  readonly stats: CollectiveStats = emptyStats();
  private readonly ctl: Int32Array;
  private readonly data: Float32Array;
  private readonly slot: number;
  private calls = 0; // calls made: its parity picks the copy of the call descriptions
  private rounds = 0; // rounds made: its parity picks the buffer

  constructor(
    readonly rank: number,
    private readonly memory: SharedTransportMemory,
  ) {
    this.size = memory.size;
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) throw new Error(`shared transport: rank ${rank} is not in 0..${this.size - 1}`);
    this.ctl = new Int32Array(memory.control);
    this.data = new Float32Array(memory.data);
    this.slot = memory.slotFloats;
  }

  allReduce(x: Float32Array): Float32Array {
    const out = new Float32Array(x.length);
    this.run('all_reduce', x.length, 0, this.putAll(x), (off, n, from) => this.sumInto(out, off, 0, n, from));
    return out;
  }

  reduceScatter(x: Float32Array): Float32Array {
    const k = Math.floor(x.length / this.size); // divisibility is checked with the other ranks
    const lo = this.rank * k;
    const out = new Float32Array(k);
    this.run('reduce_scatter', x.length, 0, this.putAll(x), (off, n, from) => {
      const a = Math.max(off, lo);
      const b = Math.min(off + n, lo + k);
      if (a < b) this.sumInto(out, a - lo, a - off, b - a, from);
    });
    return out;
  }

  allGather(x: Float32Array): Float32Array {
    const k = x.length;
    const out = new Float32Array(this.size * k);
    this.run('all_gather', k, 0, this.putAll(x), (off, _n, from) => {
      for (let r = 0; r < this.size; r++) out.set(from(r), r * k + off);
    });
    return out;
  }

  gather(x: Float32Array, root = 0): Float32Array | null {
    const k = x.length;
    const out = this.rank === root ? new Float32Array(this.size * k) : null;
    this.run('gather', k, root, this.putAll(x), (off, _n, from) => {
      if (out) for (let r = 0; r < this.size; r++) out.set(from(r), r * k + off);
    });
    return out;
  }

  broadcast(x: Float32Array, root = 0): Float32Array {
    const out = new Float32Array(x.length);
    const put = this.rank === root ? this.putAll(x) : () => {};
    this.run('broadcast', x.length, root, put, (off, _n, from) => out.set(from(root), off));
    return out;
  }

  barrier(): void {
    this.run('barrier', 0, 0, () => {}, () => {});
  }

  resetStats(): void {
    for (const k of Object.keys(this.stats.calls) as CollectiveOp[]) this.stats.calls[k] = this.stats.bytes[k] = 0;
  }

  /** Fails the group on behalf of `rank` (see abortSharedTransport). */
  abort(rank: number, message: string): boolean {
    return abortSharedTransport(this.memory, rank, message);
  }

  /**
   * Says this rank has returned and makes no more calls: a rank then waiting for it in a call
   * fails at once instead of waiting forever (a collective needs every rank).
   */
  finish(): void {
    Atomics.store(this.ctl, finAt(this.rank), 1);
    this.signal();
  }

  private putAll(x: Float32Array): (dst: Float32Array, off: number, n: number) => void {
    return (dst, off, n) => dst.set(x.subarray(off, off + n));
  }

  /** out[at..at+n) = Σ over ranks 0..N−1 in order of from(r)[lo..lo+n): the same f32 additions in
   *  the same order on every rank, so every rank gets the same bits. */
  private sumInto(out: Float32Array, at: number, lo: number, n: number, from: (r: number) => Float32Array): void {
    out.set(from(0).subarray(lo, lo + n), at);
    for (let r = 1; r < this.size; r++) {
      const src = from(r);
      for (let i = 0; i < n; i++) out[at + i] += src[lo + i];
    }
  }

  /**
   * One call, in rounds of at most slotFloats (at least one, so a call of length 0 still meets the
   * other ranks). `put` writes this rank's part of the round into its buffer; `take` reads the
   * round from any rank's buffer (`from(r)`, n floats). After the first barrier every rank checks
   * that all made the same call before reading anything.
   */
  private run(
    call: Call,
    length: number,
    root: number,
    put: (dst: Float32Array, off: number, n: number) => void,
    take: (off: number, n: number, from: (r: number) => Float32Array) => void,
  ): void {
    this.checkAbort();
    if (Atomics.load(this.ctl, finAt(this.rank)) !== 0) throw new Error(`${call}: rank ${this.rank} has already returned`);
    const info = infoAt(this.size, this.calls & 1, this.rank);
    this.ctl[info] = CALLS.indexOf(call);
    this.ctl[info + 1] = length;
    this.ctl[info + 2] = Number.isInteger(root) && Math.abs(root) < 0x80000000 ? root : NOT_A_ROOT;
    const rounds = Math.max(1, Math.ceil(length / this.slot));
    for (let i = 0; i < rounds; i++) {
      const off = i * this.slot;
      const n = Math.min(this.slot, length - off);
      const base = (this.rounds++ & 1) * this.slot;
      put(this.data.subarray(2 * this.rank * this.slot + base, 2 * this.rank * this.slot + base + n), off, n);
      this.wait(call);
      if (i === 0) this.agree(call, length, root);
      take(off, n, (r) => this.data.subarray(2 * r * this.slot + base, 2 * r * this.slot + base + n));
    }
    this.calls++;
    if (call !== 'barrier') {
      this.stats.calls[call]++;
      this.stats.bytes[call] += ringBytes(call, this.size, length, this.rank, root);
    }
  }

  /** Compares every rank's description of this call with rank 0's; every rank finds the same
   *  first difference and blames the same rank, which alone throws it as its own error. */
  private agree(call: Call, length: number, root: number): void {
    const at = (r: number): number => infoAt(this.size, this.calls & 1, r);
    const [call0, len0, root0] = [this.ctl[at(0)], this.ctl[at(0) + 1], this.ctl[at(0) + 2]];
    for (let r = 1; r < this.size; r++) {
      const c = this.ctl[at(r)];
      if (c !== call0) this.fail(r, `${CALLS[c]}: rank ${r} called ${CALLS[c]} but rank 0 called ${CALLS[call0]} (every rank must make the same calls in the same order)`);
      const len = this.ctl[at(r) + 1];
      if (len !== len0) this.fail(r, `${call}: rank ${r} passed ${len} floats but rank 0 passed ${len0} (every rank must pass the same length)`);
      const rt = this.ctl[at(r) + 2];
      if (rt !== root0) this.fail(r, `${call}: rank ${r} passed root ${rt === NOT_A_ROOT ? 'that is not an integer' : rt} but rank 0 passed root ${root0 === NOT_A_ROOT ? 'that is not an integer' : root0}`);
    }
    if ((call === 'gather' || call === 'broadcast') && !(root0 >= 0 && root0 < this.size))
      this.fail(0, `${call}: root ${root} is not a rank (ranks are 0..${this.size - 1})`);
    if (call === 'reduce_scatter' && length % this.size !== 0)
      this.fail(0, `reduce_scatter: length ${length} is not divisible by the number of ranks ${this.size}`);
  }

  /** Aborts the group blaming `blame`; throws the error as its own on that rank, else as
   *  RankAbortedError (also when another failure came first). */
  private fail(blame: number, message: string): never {
    abortSharedTransport(this.memory, blame, message);
    const a = readAbort(this.memory);
    if (blame === this.rank && a?.rank === this.rank) throw new Error(message);
    throw new RankAbortedError(a?.rank ?? blame, a?.message ?? message);
  }

  private checkAbort(): void {
    if (Atomics.load(this.ctl, ABORT) === 0) return;
    const a = readAbort(this.memory);
    if (a) throw new RankAbortedError(a.rank, a.message);
  }

  private signal(): void {
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
  }

  /** A generation-counting barrier that also wakes on abort and on a rank returning. */
  private wait(call: Call): void {
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, GEN);
    if (Atomics.add(ctl, COUNT, 1) === this.size - 1) {
      Atomics.store(ctl, COUNT, 0);
      Atomics.add(ctl, GEN, 1);
      this.signal();
      return;
    }
    for (;;) {
      // Read SEQ before looking at anything: an event after this read changes SEQ, so the wait
      // below returns at once instead of missing it.
      const seq = Atomics.load(ctl, SEQ);
      if (Atomics.load(ctl, GEN) !== gen) return;
      this.checkAbort();
      for (let r = 0; r < this.size; r++) {
        // A rank that passed this barrier and then returned bumped GEN before its flag: look
        // at GEN again, so that only a rank that never came here counts.
        if (Atomics.load(ctl, finAt(r)) !== 0 && Atomics.load(ctl, GEN) === gen)
          this.fail(this.rank, `${call}: rank ${r} returned while rank ${this.rank} waits for it here (every rank must make the same calls)`);
      }
      Atomics.wait(ctl, SEQ, seq);
    }
  }
}
