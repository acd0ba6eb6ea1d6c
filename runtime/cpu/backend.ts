// The 'cpu' backend: each graph is scheduled into kernels, lowered to one WebAssembly module with
// 128-bit SIMD (compiler/codegen/wasm/), assembled and instantiated once, then run as
//   copy the inputs into the memory → run every kernel's steps in order → copy the outputs out.
//
// Threads. One WebAssembly.Memory({ shared: true, maximum: 4 GiB }) serves every graph the backend
// compiles and every thread: the main thread and `threads − 1` worker threads (worker.js, started
// once per backend, unref'd so they never keep Node alive) each instantiate a graph's module
// against it. Its layout (compiler/codegen/wasm/module.ts) starts at address 0 for every graph:
//   [inputs][outputs][arena of temporaries][matmul C (shared)][matmul panels, one region per thread]
// so graphs share the memory — runs never interleave (a run is synchronous from the first copy to
// the last) — and it only grows when a larger graph is compiled, never during a run.
// A kernel is one or more steps (a matmul: GEMM, mirror of a symmetric product, epilogue); a step
// is an exported function over a range [begin, end) of its units (the outer loop's positions, or
// panels of matmul rows) and a thread id (whose matmul panels to pack into). The splitting rule
// (split.ts, fixed per graph when it is compiled):
//   - a step whose work (element operations; flops/8 for a GEMM) is below `minParallelWork`, or
//     that has one unit, runs whole on the main thread: waking threads costs microseconds;
//   - otherwise its units are cut into up to 4 chunks per thread (fewer where each call repeats
//     work: a GEMM call packs its B panel), contiguous, of about equal work by the step's weight (a
//     symmetric product's upper-triangle rows are not equal), starting at multiples of its
//     granule (4 where the outer loop is the vectorized one).
// The barrier (pool.ts, control.js): the main thread writes the step and its cuts into a control
// block (an Int32Array on a SharedArrayBuffer), tags the chunk counter with a new generation and
// notifies; the workers (spinning briefly, then asleep in Atomics.wait) and the main thread take
// chunks by compare-and-swap until none is left, and the main thread waits until every chunk is
// done. Threads that the OS puts aside simply take fewer chunks; a step starts only when the
// previous one is done everywhere. Library kernels (sorting, scatters, random numbers: JavaScript
// on views of the memory) run on the main thread between steps. A kernel's `fail` (i32 division
// by zero, an index out of range, …) throws the same RangeError whichever thread it happened on: a
// worker catches it, posts it and counts its chunk done, and the main thread rethrows it after
// the barrier.
// With one thread, the module's own `run` export does every step in order, as before threads.
import { availableParallelism } from 'node:os';
import { assemble, failMessage, lowerSchedule, MAX_PAGES, PAGE_BYTES, type HostImport, type WasmProgram } from '../../compiler/codegen/wasm/index.ts';
import { printGraph, sizeOf, type DType, type Graph } from '../../compiler/ir/graph.ts';
import type { LibraryKernel } from '../../compiler/kernel/ir.ts';
import { planMemory } from '../../compiler/schedule/plan.ts';
import { schedule, type ScheduleOptions } from '../../compiler/schedule/schedule.ts';
import type { Backend } from '../backend.ts';
import { EVAL } from '../interp/eval.ts';
import type { Tensor, TensorData } from '../interp/ops/tensor.ts';
import { HOST_MATH } from './host.ts';
import { WorkerPool } from './pool.ts';
import { chunksFor, splitRange } from './split.ts';
import { MAX_CHUNKS } from './control.js';
import { wasm, type WasmInstance, type WasmMemory } from './wasm_api.ts';

/** A typed view of `n` elements at byte `address` (bool lives as i32 0/1). */
function view(memory: WasmMemory, dtype: DType, address: number, n: number): Float32Array | Int32Array {
  return dtype === 'f32' ? new Float32Array(memory.buffer, address, n) : new Int32Array(memory.buffer, address, n);
}

/**
 * Output arrays handed back by the host (Backend.release), by dtype and length, for later outputs
 * of the same size: the parameters a step returns are written into the arrays of the step before.
 */
export class ArrayPool {
  private readonly spare = new Map<string, TensorData[]>();
  /** Arrays made because none was spare (tests count them). */
  allocated = 0;

  take(dtype: DType, n: number): TensorData {
    const got = this.spare.get(`${dtype}:${n}`)?.pop();
    if (got !== undefined) return got;
    this.allocated++;
    return dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
  }

  give(dtype: DType, data: TensorData): void {
    const key = `${dtype}:${data.length}`;
    const list = this.spare.get(key) ?? [];
    // A bound, so that a program that frees many arrays of one size does not hoard them.
    if (list.length < 64) list.push(data);
    this.spare.set(key, list);
  }
}

/** One graph, compiled and instantiated against a memory. */
export class CompiledGraph {
  constructor(
    readonly program: WasmProgram,
    private readonly memory: WasmMemory,
    private readonly kernels: () => void,
    private readonly arrays: ArrayPool = new ArrayPool(),
  ) {}

  get wat(): string {
    return this.program.wat;
  }

  /** Copies the inputs in, runs every kernel, copies the outputs out. */
  run(inputs: readonly Tensor[]): Tensor[] {
    const s = this.program.schedule;
    const at = this.program.layout.addresses;
    if (inputs.length !== s.inputs.length) throw new Error(`${s.name}: expected ${s.inputs.length} inputs, got ${inputs.length}`);
    s.inputs.forEach((b, i) => {
      const t = inputs[i]!;
      const want = s.buffers[b]!;
      const n = sizeOf(want.shape);
      if (t.dtype !== want.dtype || t.data.length !== n) throw new Error(`${s.name}: input ${i} must be ${want.dtype}[${want.shape.join(', ')}]`);
      view(this.memory, want.dtype, at[b]!, n).set(t.data);
    });
    this.kernels();
    return s.outputs.map((b) => {
      const buf = s.buffers[b]!;
      const v = view(this.memory, buf.dtype, at[b]!, sizeOf(buf.shape));
      // Not v.slice(): on a shared memory V8 copies element by element, 20× slower than set().
      const data = this.arrays.take(buf.dtype, v.length);
      data.set(v);
      return { dtype: buf.dtype, shape: [...buf.shape], data };
    });
  }

  /** Runs the kernels on whatever the input buffers hold (for benchmarks). */
  runKernels(): void {
    this.kernels();
  }
}

export interface CpuBackendOptions extends ScheduleOptions {
  /** Compiled graphs kept by structure (graphs that are equal but not the same object); default 256. */
  readonly cacheSize?: number;
  /** Threads that run kernels, the main thread included; default os.availableParallelism(). */
  readonly threads?: number;
  /** A step with less work than this runs on the main thread alone (0: split every step); default 2^15. */
  readonly minParallelWork?: number;
  /** Reads of the control block a waiting thread spins through before it sleeps; default 2^14. */
  readonly spin?: number;
}

export interface CpuBackend extends Backend {
  /** Compiles (or finds in the cache) a graph. */
  compile(graph: Graph): Promise<CompiledGraph>;
  readonly memory: WasmMemory;
  readonly threads: number;
  /** Where outputs are written: arrays handed back by release, or new ones. */
  readonly arrays: ArrayPool;
  /** Stops the worker threads (they never keep Node alive, but a backend made per test can end them). */
  close(): void;
}

export const DEFAULT_MIN_PARALLEL_WORK = 1 << 15;

/** The thread count an option asks for: a whole number ≥ 1, default the machine's parallelism. */
export function threadCount(threads: number | undefined): number {
  if (threads === undefined) return Math.max(1, availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`cpu backend: threads must be a whole number ≥ 1, got ${threads}`);
  return threads;
}

export function makeCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  const threads = threadCount(options.threads);
  const minWork = options.minParallelWork ?? DEFAULT_MIN_PARALLEL_WORK;
  const spin = options.spin ?? 1 << 14;
  const memory = new wasm.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const arrays = new ArrayPool();
  const byGraph = new WeakMap<Graph, Promise<CompiledGraph>>();
  const byText = new Map<string, Promise<CompiledGraph>>();
  const limit = options.cacheSize ?? 256;
  let pool: Promise<WorkerPool | null> | null = null;
  let nextId = 1;
  // Workers keep an instance of each graph's module: drop it once the main thread's is gone.
  const dropped = new FinalizationRegistry<number>((id) => void pool?.then((p) => p?.dropGraph(id)));

  /** The worker pool, started once; null (and a warning) where worker threads cannot start. */
  const startPool = (): Promise<WorkerPool | null> => {
    pool ??= WorkerPool.start({ threads, spin }, memory).catch((err: unknown) => {
      process.emitWarning(`cpu backend: running on one thread, the worker threads did not start: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    return pool;
  };

  async function build(graph: Graph): Promise<CompiledGraph> {
    const s = schedule(graph, options);
    const program = lowerSchedule(s, planMemory(s), { threads });
    const binary = await assemble(program.wat, `${graph.name}.wat`);
    const module = await wasm.compile(binary);
    const grow = program.layout.pages - memory.buffer.byteLength / PAGE_BYTES;
    if (grow > 0) memory.grow(grow);
    const math: Partial<Record<HostImport, (...xs: number[]) => number>> = {};
    for (const f of program.imports) math[f] = HOST_MATH[f];
    const env = {
      memory,
      fail: (code: number, a: number, b: number): never => {
        throw new RangeError(failMessage(code, a, b));
      },
      lib: (index: number): void => runLibrary(program, memory, index),
    };
    const instance = await wasm.instantiate(module, { env, math });
    const plan = splitSteps(program, threads, minWork);
    if (!plan.some((p) => p.cuts.length > 2)) return new CompiledGraph(program, memory, exportedRun(instance), arrays);
    const workers = await startPool();
    if (workers === null) return new CompiledGraph(program, memory, exportedRun(instance), arrays);
    const id = nextId++;
    workers.addGraph(id, module, program.steps.map((st) => (st.kind === 'wasm' ? st.name : null)));
    const compiled = new CompiledGraph(program, memory, threadedRun(program, memory, instance, plan, workers, id), arrays);
    dropped.register(compiled, id);
    return compiled;
  }

  function compile(graph: Graph): Promise<CompiledGraph> {
    const hit = byGraph.get(graph);
    if (hit !== undefined) return hit;
    const text = printGraph(graph);
    let c = byText.get(text);
    if (c === undefined) {
      c = build(graph);
      c.catch(() => {
        byText.delete(text);
        byGraph.delete(graph);
      });
      byText.set(text, c);
      if (byText.size > limit) byText.delete(byText.keys().next().value!);
    }
    byGraph.set(graph, c);
    return c;
  }

  return {
    name: 'cpu',
    memory,
    threads,
    compile,
    arrays,
    run: async (graph, inputs) => (await compile(graph)).run(inputs),
    release: (tensors) => {
      for (const t of tensors) arrays.give(t.dtype, t.data);
    },
    close: () => {
      void pool?.then((p) => p?.close());
    },
  };
}

/** Each step's chunks, as cuts ([0, units] alone when it stays on the main thread). */
interface StepPlan {
  readonly cuts: readonly number[];
}

function splitSteps(program: WasmProgram, threads: number, minWork: number): StepPlan[] {
  return program.steps.map((st) => (st.kind === 'library' ? { cuts: [] } : { cuts: splitRange(st.units, chunksFor(st, threads, minWork, MAX_CHUNKS), st.granule, st.weight) }));
}

function exportedRun(instance: WasmInstance): () => void {
  const run = instance.exports['run'];
  if (typeof run !== 'function') throw new Error('cpu backend: the module has no run export');
  return run as () => void;
}

type StepFunction = (begin: number, end: number, tid: number) => void;

/** Runs the steps in order: library kernels and single ranges here, the others on the pool. */
function threadedRun(program: WasmProgram, memory: WasmMemory, instance: WasmInstance, plan: readonly StepPlan[], pool: WorkerPool, id: number): () => void {
  const calls = program.steps.map((st, i): (() => void) => {
    if (st.kind === 'library') return () => runLibrary(program, memory, st.kernel);
    const fn = instance.exports[st.name] as StepFunction;
    const cuts = plan[i]!.cuts;
    if (cuts.length === 2) return () => fn(cuts[0]!, cuts[1]!, 0);
    const main = (begin: number, end: number): void => fn(begin, end, 0);
    return () => pool.run(id, i, cuts, main);
  });
  return () => {
    for (const call of calls) call();
  };
}

/** A library kernel: the interpreter's implementation on views of the memory. */
function runLibrary(program: WasmProgram, memory: WasmMemory, index: number): void {
  const s = program.schedule;
  const k = s.kernels[index] as LibraryKernel;
  const at = program.layout.addresses;
  const ins = k.inputs.map((b, i) => {
    const dtype = s.buffers[b]!.dtype;
    const shape = k.inputShapes[i]!;
    return { dtype, shape, data: view(memory, dtype, at[b]!, sizeOf(shape)) };
  });
  const result = EVAL[k.op](ins, k.attrs);
  const out = s.buffers[k.outputs[0]!]!;
  const target = view(memory, out.dtype, at[out.id]!, sizeOf(out.shape));
  if (result.data.length !== target.length) throw new Error(`library ${k.op}: ${result.data.length} elements for a buffer of ${target.length}`);
  target.set(result.data);
}

/** The backend `muc run` uses by default: as many threads as the machine has. */
export const cpuBackend: CpuBackend = makeCpuBackend();

