// What a backend is: something that runs a tensor-IR graph on concrete tensors. The interpreter
// is the reference; compiled backends implement the same interface.
import type { Graph } from '../compiler/ir/graph.ts';
import { evaluate } from './interp/eval.ts';
import type { Tensor } from './interp/ops/tensor.ts';

export interface Backend {
  readonly name: string;
  run(graph: Graph, inputs: readonly Tensor[]): Promise<Tensor[]>;
}

export const interpBackend: Backend = {
  name: 'interp',
  run: async (graph, inputs) => evaluate(graph, inputs),
};

export const BACKENDS: Readonly<Record<string, Backend>> = { interp: interpBackend };
