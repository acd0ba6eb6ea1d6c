// The cpu backend's worker threads (worker.js) and the main thread's side of their protocol
// (control.js): hand out one step's chunks, take chunks here too, wait at the barrier until every
// chunk is done, rethrow what failed anywhere. Everything is synchronous on the main thread (Atomics.wait is allowed there in
// Node), so a compiled graph's run stays a plain function call.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { failMessage } from '../../compiler/codegen/wasm/index.ts';
import { CONTROL, CONTROL_SLOTS, MAX_CHUNKS, nextWord, takeChunk } from './control.js';
import type { WasmMemory, WasmModule } from './wasm_api.ts';

/** What a worker posts when its range failed. */
type Failure =
  | { readonly kind: 'fail'; readonly code: number; readonly a: number; readonly b: number }
  | { readonly kind: 'error'; readonly name: string; readonly message: string };

/** The error the main thread throws for a worker's failure: the one the same failure raises here. */
export function failureError(f: Failure): Error {
  if (f.kind === 'fail') return new RangeError(failMessage(f.code, f.a, f.b));
  const err = f.name === 'RangeError' ? new RangeError(f.message) : new Error(f.message);
  if (f.name !== 'RangeError') err.name = f.name;
  return err;
}

export interface PoolOptions {
  /** Threads in all, the main thread included (so threads − 1 workers). */
  readonly threads: number;
  /** Reads of the control block a waiting thread spins through before it sleeps. */
  readonly spin: number;
}

export class WorkerPool {
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private closed = false;

  private constructor(
    readonly options: PoolOptions,
    memory: WasmMemory,
  ) {
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    for (let tid = 1; tid < options.threads; tid++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { memory, control: this.control.buffer, port: port2, tid, spin: options.spin },
        transferList: [port2],
        // The worker is plain JavaScript: no loader (tsx, vitest's) is needed or wanted there.
        execArgv: [],
      });
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Starts the workers; resolves once each runs its loop (then they no longer keep Node alive). */
  static async start(options: PoolOptions, memory: WasmMemory): Promise<WorkerPool> {
    const pool = new WorkerPool(options, memory);
    try {
      await Promise.all(pool.workers.map((w) => new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`cpu backend: a worker thread exited (code ${code}) before it started`)));
      })));
    } catch (err) {
      pool.close();
      throw err;
    }
    for (const w of pool.workers) {
      w.removeAllListeners();
      // A worker's loop catches every exception; one that still ends it shows as DEAD at the barrier.
      w.on('error', () => undefined);
      w.unref();
    }
    return pool;
  }

  get threads(): number {
    return this.options.threads;
  }

  /** Gives the workers a graph's module (they instantiate it when its first step reaches them). */
  addGraph(id: number, module: WasmModule, names: readonly (string | null)[]): void {
    for (const p of this.ports) p.postMessage({ kind: 'module', id, module, names });
  }

  dropGraph(id: number): void {
    if (!this.closed) for (const p of this.ports) p.postMessage({ kind: 'drop', id });
  }

  /**
   * Runs step `step` of graph `graph` in the chunks [cuts[i], cuts[i + 1]) (at most MAX_CHUNKS),
   * on every thread that takes one: `main` runs those this thread takes. Returns when all are done;
   * throws the first failure (this thread's, else a worker's) once all are done.
   */
  run(graph: number, step: number, cuts: readonly number[], main: (begin: number, end: number) => void): void {
    if (this.closed) throw new Error('cpu backend: the backend was closed');
    const chunks = cuts.length - 1;
    if (chunks < 1 || chunks > MAX_CHUNKS) throw new Error(`cpu backend: ${chunks} chunks (1 to ${MAX_CHUNKS})`);
    const c = this.control;
    const gen = (c[CONTROL.GEN]! + 1) | 0;
    // Close the dispenser first: a thread still in the previous step must not pair its NEXT with
    // this step's CHUNKS (it would take a chunk that does not exist).
    Atomics.store(c, CONTROL.NEXT, nextWord(gen, MAX_CHUNKS));
    c[CONTROL.GRAPH] = graph;
    c[CONTROL.STEP] = step;
    c[CONTROL.CHUNKS] = chunks;
    for (let i = 0; i <= chunks; i++) c[CONTROL.CUTS + i] = cuts[i]!;
    Atomics.store(c, CONTROL.COMPLETED, 0);
    Atomics.store(c, CONTROL.NEXT, nextWord(gen, 0));
    Atomics.store(c, CONTROL.GEN, gen);
    Atomics.notify(c, CONTROL.GEN);
    let failure: unknown = null;
    const fail = (err: unknown): void => {
      failure ??= err;
    };
    while (takeChunk(c, gen, main, fail));
    this.barrier(chunks);
    if (Atomics.load(c, CONTROL.FAILED) > 0) {
      Atomics.store(c, CONTROL.FAILED, 0);
      // Each failed chunk posted one message before it counted as completed: take them all.
      for (const port of this.ports) {
        for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) failure ??= failureError(m.message as Failure);
      }
    }
    if (failure !== null) throw failure;
  }

  /** Waits until `chunks` chunks of the current step are completed. */
  private barrier(chunks: number): void {
    const c = this.control;
    for (let i = 0; ; i++) {
      const done = Atomics.load(c, CONTROL.COMPLETED);
      if (done >= chunks) return;
      if (Atomics.load(c, CONTROL.DEAD) > 0) throw new Error('cpu backend: a worker thread stopped');
      if (i >= this.options.spin) Atomics.wait(c, CONTROL.COMPLETED, done, 1000);
    }
  }

  /** Ends the workers' loops; the pool cannot run anything afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CONTROL.STOP, 1);
    Atomics.add(this.control, CONTROL.GEN, 1);
    Atomics.notify(this.control, CONTROL.GEN);
    for (const p of this.ports) p.close();
  }
}
