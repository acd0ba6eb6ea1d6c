// A worker thread of the cpu backend (pool.ts starts them). Plain JavaScript, so it loads in stock
// Node without a TypeScript loader, under vitest, tsx or bin/muc.js alike.
//
// It instantiates each compiled graph's module against the one shared memory (modules arrive on
// `port`, taken synchronously when a graph's first step comes), then loops: wait for a new
// generation of the control block (control.js), take chunks of the step until none is left.
// Waiting spins a little first, because the next step of a run usually follows within
// microseconds, then sleeps in Atomics.wait. Any exception (a kernel's `fail`, a trap) is posted to
// the main thread and counted, never left to kill the loop: the main thread must not wait forever.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CONTROL, takeChunk } from './control.js';
import { HOST_MATH } from './host_math.js';

const { memory, control, port, tid, spin } = workerData;
const c = new Int32Array(control);

/** Graph id → its step functions in this thread's instance (by step index; null for library steps). */
const graphs = new Map();

/** What the `fail` import throws: a code and two values (runtime/cpu/backend.ts words the message). */
class KernelFailure {
  constructor(code, a, b) {
    this.code = code;
    this.a = a;
    this.b = b;
  }
}

const env = {
  memory,
  fail: (code, a, b) => {
    throw new KernelFailure(code, a, b);
  },
  lib: () => {
    throw new Error('cpu backend: a library kernel reached a worker thread');
  },
};

function take(message) {
  if (message.kind === 'module') {
    const instance = new WebAssembly.Instance(message.module, { env, math: HOST_MATH });
    graphs.set(message.id, message.names.map((n) => (n === null ? null : instance.exports[n])));
  } else if (message.kind === 'drop') graphs.delete(message.id);
}

function stepsOf(id) {
  // The main thread posts a graph's module before it hands out the graph's first step.
  for (let m; !graphs.has(id) && (m = receiveMessageOnPort(port)) !== undefined; ) take(m.message);
  const steps = graphs.get(id);
  if (steps === undefined) throw new Error(`cpu backend: worker ${tid} has no module for graph ${id}`);
  return steps;
}

function describe(err) {
  if (err instanceof KernelFailure) return { kind: 'fail', code: err.code, a: err.a, b: err.b };
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'error', name: e.name, message: e.message };
}

/** The generation after `seen`: spins `spin` reads, then sleeps until notified. */
function next(seen) {
  for (let i = 0; i < spin; i++) {
    const g = Atomics.load(c, CONTROL.GEN);
    if (g !== seen) return g;
  }
  for (;;) {
    Atomics.wait(c, CONTROL.GEN, seen);
    const g = Atomics.load(c, CONTROL.GEN);
    if (g !== seen) return g;
  }
}

parentPort.postMessage('ready');
const fail = (err) => {
  port.postMessage(describe(err));
  Atomics.add(c, CONTROL.FAILED, 1);
};
try {
  let seen = 0;
  for (;;) {
    const gen = next(seen);
    seen = gen;
    if (Atomics.load(c, CONTROL.STOP) !== 0) break;
    // Read after GEN, so they belong to `gen` or a newer generation; takeChunk runs nothing unless
    // NEXT still carries `gen`, and then they are `gen`'s.
    const graph = c[CONTROL.GRAPH];
    const step = c[CONTROL.STEP];
    let fn = null;
    const run = (begin, end) => {
      fn ??= stepsOf(graph)[step];
      fn(begin, end, tid);
    };
    while (takeChunk(c, gen, run, fail));
  }
} finally {
  Atomics.add(c, CONTROL.DEAD, 1);
  Atomics.notify(c, CONTROL.COMPLETED);
  port.close();
}
