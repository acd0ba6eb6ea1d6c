// What a backend is: something that runs a tensor-IR graph on concrete tensors. The interpreter
// is the reference; compiled backends implement the same interface.
import type { Graph } from '../compiler/ir/graph.ts';
import { evaluate } from './interp/eval.ts';
import type { Tensor } from './interp/ops/tensor.ts';
import { cpuBackend, makeCpuBackend } from './cpu/backend.ts';
import { webgpuBackend } from './webgpu/backend.ts';

export interface Backend {
  readonly name: string;
  run(graph: Graph, inputs: readonly Tensor[]): Promise<Tensor[]>;
  /**
   * Tensors that this backend's runs returned and that nobody will read again (the host runner
   * knows: a variable was reassigned, a block ended). The backend may write later outputs into
   * their arrays, so a training loop's parameters and optimizer state are updated in place and a
   * step after the first allocates no arrays.
   */
  release?(tensors: readonly Tensor[]): void;
}

export const interpBackend: Backend = {
  name: 'interp',
  run: async (graph, inputs) => evaluate(graph, inputs),
};

export const BACKENDS: Readonly<Record<string, Backend>> = { interp: interpBackend, cpu: cpuBackend, webgpu: webgpuBackend };

/**
 * The backend `muc run` uses when none is named: the fastest one available. Without a GPU that is
 * the CPU backend (WebAssembly SIMD). The API and `muc test` default to the interpreter, the
 * always-right reference (it also checks indices that the compiled backends trust).
 */
export const DEFAULT_BACKEND = 'cpu';

/** Settings a command line may give a backend. */
export interface BackendOptions {
  /** Threads for the cpu backend (default: the machine's cores). */
  readonly threads?: number;
}

/**
 * The backend named `name`, set up as `options` ask: the shared instance when they ask nothing, a
 * fresh one otherwise. Throws (an Error whose message is for the user) on an unknown name or an
 * option the backend does not take.
 */
export function backendNamed(name: string, options: BackendOptions = {}): Backend {
  const found = BACKENDS[name];
  if (!found) throw new Error(`unknown backend '${name}' (available: ${Object.keys(BACKENDS).join(', ')})`);
  if (options.threads === undefined) return found;
  if (name !== 'cpu') throw new Error(`--threads applies to the cpu backend, not '${name}'`);
  return makeCpuBackend({ threads: options.threads });
}

/** A thread count from the command line: a whole number ≥ 1, or an Error for the user. */
export function parseThreads(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new Error(`--threads takes a whole number ≥ 1, as in --threads 2; found '${text}'`);
  return n;
}
