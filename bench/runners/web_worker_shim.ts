// A minimal Web Worker (the browser's `Worker` global) on Node's worker_threads, enough for
// jax-js's Wasm worker pool, which Node 20 lacks (jax-js then runs every kernel on the main thread).
// jax-js starts its workers from a blob: URL, which only the creating thread can read: the source is
// read here and sent as the worker's first message; messages posted before it arrives wait.
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';

const BOOT = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
let loaded = false;
parentPort.on('message', (m) => {
  if (!loaded) { loaded = true; (0, eval)(m); return; }
  globalThis.onmessage({ data: m });
});
`;

interface MessageLike {
  readonly data: unknown;
}

class ShimWorker {
  onmessage: ((e: MessageLike) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  private readonly worker = new NodeWorker(BOOT, { eval: true });
  private pending: unknown[] | null = [];

  constructor(url: string | URL) {
    ShimWorker.started++;
    this.worker.unref();
    this.worker.on('message', (data: unknown) => this.onmessage?.({ data }));
    this.worker.on('error', (e: Error) => this.onerror?.({ message: e.message }));
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`web worker shim: cannot read ${String(url)} (only blob: URLs are supported)`);
    void blob.text().then((source) => {
      this.worker.postMessage(source);
      for (const m of this.pending ?? []) this.worker.postMessage(m);
      this.pending = null;
    });
  }

  postMessage(m: unknown): void {
    if (this.pending) this.pending.push(m);
    else this.worker.postMessage(m);
  }

  terminate(): void {
    void this.worker.terminate();
  }

  /** How many workers have been started (so the runner can say whether the pool was used). */
  static started = 0;
}

/** Installs the Worker global (and navigator.hardwareConcurrency = `threads`) where they are missing. */
export function installWebWorkerShim(threads: number): typeof ShimWorker {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g['Worker'] === undefined) g['Worker'] = ShimWorker;
  if (g['navigator'] === undefined) g['navigator'] = { hardwareConcurrency: threads };
  return ShimWorker;
}
