// Data-parallel ranks on one machine: one worker thread per rank, joined by a
// SharedMemoryTransport. Used by `muc run FILE --ranks N` and by the tests.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { abortSharedTransport, createSharedTransportMemory, readAbort } from './shared_memory.ts';
import type { Transport } from './transport.ts';

/** What each rank runs: `export` of `module`, called as `fn(ctx, payload)` on every rank. */
export interface RankTask {
  /** Absolute file URL, or a path (relative to the working directory), of an ESM .ts or .js module. */
  module: string;
  /** Name of an async function (ctx: RankContext, payload: unknown) => unknown whose result is
   *  structured-cloneable. */
  export: string;
  /** Structured-cloned to every rank. */
  payload: unknown;
}

export interface RankContext {
  rank: number;
  size: number;
  transport: Transport;
  /** Posts a structured-cloneable message to runRanks' onMessage (progress, metrics). Console
   *  output needs no help: every rank's stdout and stderr pass through to the parent's, all of it
   *  written before runRanks settles; a program that wants one copy prints on rank 0. */
  send(msg: unknown): void;
}

export interface RunRanksOptions {
  /** Floats per transport buffer (default 1 Mi); longer messages move in rounds. */
  slotFloats?: number;
  onMessage?: (rank: number, msg: unknown) => void;
}

/** What worker.js posts. */
type FromRank =
  | { type: 'message'; msg: unknown }
  | { type: 'result'; result: unknown }
  | { type: 'error'; aborted: boolean; message: string; stack?: string };

/** How long ranks get to stop on their own after a failure before they are terminated. */
const GRACE_MS = 1000;

/**
 * Runs `task` on `size` ranks, each in a worker thread, and returns their results by rank once
 * every worker has exited and its output has been written. If a rank fails (throws, or exits
 * without a result), rejects with `rank R: <its message>` (its error as `cause`): the first
 * failure wins, the other ranks are aborted through the transport and, if still running after a
 * grace period, terminated.
 */
export async function runRanks(size: number, task: RankTask, options: RunRanksOptions = {}): Promise<unknown[]> {
  const memory = createSharedTransportMemory(size, options.slotFloats);
  const module = /^(file|data):/.test(task.module) ? task.module : pathToFileURL(resolve(task.module)).href;
  const results: unknown[] = new Array(size);
  const returned: boolean[] = new Array(size).fill(false);
  let failure: Error | null = null;
  let pending = size; // workers not yet exited with their output drained
  let grace: NodeJS.Timeout | undefined;
  let settle = (): void => {};
  const done = new Promise<void>((r) => (settle = r));

  const workers = Array.from({ length: size }, (_, rank) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { rank, size, memory, module, export: task.export, payload: task.payload },
      stdout: true, // piped by hand below, so runRanks knows when all of it is written
      stderr: true,
    });
    const fail = (message: string, cause?: unknown): void => {
      if (failure) return;
      failure = new Error(`rank ${rank}: ${message}`, { cause });
      abortSharedTransport(memory, rank, message);
      grace = setTimeout(() => workers.forEach((x) => void x.terminate()), GRACE_MS);
    };
    w.on('message', (m: FromRank) => {
      if (m.type === 'message') {
        try {
          options.onMessage?.(rank, m.msg);
        } catch (e) {
          fail(`onMessage threw: ${e instanceof Error ? e.message : String(e)}`, e);
        }
      } else if (m.type === 'result') {
        results[rank] = m.result;
        returned[rank] = true;
      } else if (!m.aborted) fail(m.message, Object.assign(new Error(m.message), { stack: m.stack }));
    });
    w.on('error', (e) => fail(e.message, e)); // an error thrown outside the task's promise
    // Done once the worker has exited and both its streams have ended ('exit' can come first).
    let open = 3;
    const close = (): void => {
      if (--open === 0 && --pending === 0) settle();
    };
    w.stdout.on('data', (c: Buffer) => process.stdout.write(c));
    w.stderr.on('data', (c: Buffer) => process.stderr.write(c));
    w.stdout.on('end', close);
    w.stderr.on('end', close);
    w.on('exit', (code) => {
      if (!returned[rank] && !failure && readAbort(memory) === null) fail(`exited without a result (exit code ${code})`);
      close();
    });
    return w;
  });

  await done;
  clearTimeout(grace);
  // A write to a full pipe waits in a queue that process.exit drops: settle once the ranks'
  // output has reached the OS, so that a caller may exit at once.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', () => r(undefined)))));
  if (failure) throw failure;
  if (returned.every(Boolean)) return results;
  // Every rank stopped, none by its own error: aborted from outside (say by the parent's caller).
  const a = readAbort(memory);
  throw new Error(a ? `rank ${a.rank}: ${a.message}` : 'ranks stopped without results');
}
