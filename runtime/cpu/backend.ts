// The 'cpu' backend: each graph is scheduled into kernels, lowered to one WebAssembly module with
// 128-bit SIMD (compiler/codegen/wasm/), assembled and instantiated once, then run as
//   copy the inputs into the module's memory → call its `run` export → copy the outputs out.
// Every module imports the backend's single WebAssembly.Memory and lays its buffers out from
// address 0: runs never interleave (a run is synchronous from the first copy to the last), so
// graphs share the memory, which only grows when a larger graph is compiled — never during a run.
import { assemble, FAIL_MESSAGES, lowerSchedule, PAGE_BYTES, type HostImport, type WasmProgram } from '../../compiler/codegen/wasm/index.ts';
import { printGraph, sizeOf, type DType, type Graph } from '../../compiler/ir/graph.ts';
import type { LibraryKernel } from '../../compiler/kernel/ir.ts';
import { planMemory } from '../../compiler/schedule/plan.ts';
import { schedule, type ScheduleOptions } from '../../compiler/schedule/schedule.ts';
import type { Backend } from '../backend.ts';
import { EVAL } from '../interp/eval.ts';
import type { Tensor, TensorData } from '../interp/ops/tensor.ts';
import { HOST_MATH } from './host.ts';
import { wasm, type WasmInstance, type WasmMemory } from './wasm_api.ts';

/** A typed view of `n` elements at byte `address` (bool lives as i32 0/1). */
function view(memory: WasmMemory, dtype: DType, address: number, n: number): Float32Array | Int32Array {
  return dtype === 'f32' ? new Float32Array(memory.buffer, address, n) : new Int32Array(memory.buffer, address, n);
}

/** One graph, compiled and instantiated against a memory. */
export class CompiledGraph {
  private readonly kernels: () => void;

  constructor(
    readonly program: WasmProgram,
    private readonly memory: WasmMemory,
    instance: WasmInstance,
  ) {
    const run = instance.exports['run'];
    if (typeof run !== 'function') throw new Error('cpu backend: the module has no run export');
    this.kernels = run as () => void;
  }

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
      const data: TensorData = buf.dtype === 'bool' ? Uint8Array.from(v) : v.slice();
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
}

export interface CpuBackend extends Backend {
  /** Compiles (or finds in the cache) a graph. */
  compile(graph: Graph): Promise<CompiledGraph>;
  readonly memory: WasmMemory;
}

export function makeCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  const memory = new wasm.Memory({ initial: 1 });
  const byGraph = new WeakMap<Graph, Promise<CompiledGraph>>();
  const byText = new Map<string, Promise<CompiledGraph>>();
  const limit = options.cacheSize ?? 256;

  async function build(graph: Graph): Promise<CompiledGraph> {
    const s = schedule(graph, options);
    const program = lowerSchedule(s, planMemory(s));
    const binary = await assemble(program.wat, `${graph.name}.wat`);
    const module = await wasm.compile(binary);
    const grow = program.layout.pages - memory.buffer.byteLength / PAGE_BYTES;
    if (grow > 0) memory.grow(grow);
    const math: Partial<Record<HostImport, (...xs: number[]) => number>> = {};
    for (const f of program.imports) math[f] = HOST_MATH[f];
    const env = {
      memory,
      fail: (code: number): never => {
        throw new RangeError(FAIL_MESSAGES[code] ?? `cpu kernel failure ${code}`);
      },
      lib: (index: number): void => runLibrary(program, memory, index),
    };
    const instance = await wasm.instantiate(module, { env, math });
    return new CompiledGraph(program, memory, instance);
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
    compile,
    run: async (graph, inputs) => (await compile(graph)).run(inputs),
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

export const cpuBackend: CpuBackend = makeCpuBackend();
