// What a backend is: something that runs a tensor-IR graph on concrete tensors. The interpreter
// is the reference; compiled backends implement the same interface.
import type { Graph } from '../compiler/ir/graph.ts';
import { evaluate } from './interp/eval.ts';
import type { Tensor } from './interp/ops/tensor.ts';
import { cpuBackend } from './cpu/backend.ts';
import { webgpuBackend } from './webgpu/backend.ts';

export interface Backend {
  readonly name: string;
  run(graph: Graph, inputs: readonly Tensor[]): Promise<Tensor[]>;
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
