// One rank of runRanks (ranks.ts), in a worker thread. Plain JavaScript because a worker does not
// inherit the parent's tsx loader (bin/muc.js registers it in-process, vitest has its own): this
// file registers tsx for the worker's own imports, then loads the transport and the task.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { SharedMemoryTransport, RankAbortedError } = await import('./shared_memory.ts');

/** @type {{ rank: number, size: number, memory: import('./shared_memory.ts').SharedTransportMemory, module: string, export: string, payload: unknown }} */
const job = workerData;
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const transport = new SharedMemoryTransport(job.rank, job.memory);
const context = { rank: job.rank, size: job.size, transport, send: (/** @type {unknown} */ msg) => port.postMessage({ type: 'message', msg }) };

try {
  const mod = await import(job.module);
  const fn = mod[job.export];
  if (typeof fn !== 'function') throw new Error(`${job.module} has no exported function '${job.export}'`);
  const result = await fn(context, job.payload);
  try {
    port.postMessage({ type: 'result', result });
  } catch (e) {
    throw new Error(`the result of '${job.export}' cannot be sent to the parent: ${e instanceof Error ? e.message : String(e)}`);
  }
  transport.finish();
} catch (e) {
  const aborted = e instanceof RankAbortedError;
  const message = e instanceof Error ? e.message : String(e);
  // Wake the other ranks now, not when the parent hears of it.
  if (!aborted) transport.abort(job.rank, message);
  port.postMessage({ type: 'error', aborted, message, stack: e instanceof Error ? e.stack : undefined });
}
// Console output waits in the stream until the parent takes it: flush it before anything may
// end the worker (a write's callback runs once it and every write before it are taken).
const flush = (/** @type {NodeJS.WritableStream} */ s) => new Promise((r) => s.write('', () => r(undefined)));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// The worker now ends on its own; this only ends one that a task left holding timers or sockets
// (unref: it does not keep the worker alive itself).
setTimeout(() => process.exit(0), 1000).unref();
