// The 'kernels' backend: schedules a graph into kernels, plans its memory and runs the kernels with
// the JavaScript executor. Slow; it proves the compiled path (fusion, kernel IR, memory plan) against
// the interpreter before the Wasm and WebGPU code generators replace the executor.
import type { Graph } from '../../compiler/ir/graph.ts';
import type { Schedule } from '../../compiler/kernel/ir.ts';
import { planMemory, type MemoryPlan } from '../../compiler/schedule/plan.ts';
import { schedule, type ScheduleOptions } from '../../compiler/schedule/schedule.ts';
import type { Backend } from '../backend.ts';
import { execute } from './execute.ts';

export function makeKernelsBackend(options: ScheduleOptions = {}): Backend {
  // Graphs are immutable values, so a graph's schedule and plan are computed once.
  const compiled = new WeakMap<Graph, { schedule: Schedule; plan: MemoryPlan }>();
  return {
    name: 'kernels',
    run: async (graph, inputs) => {
      let c = compiled.get(graph);
      if (c === undefined) {
        const s = schedule(graph, options);
        c = { schedule: s, plan: planMemory(s) };
        compiled.set(graph, c);
      }
      return execute(c.schedule, c.plan, inputs);
    },
  };
}

export const kernelsBackend: Backend = makeKernelsBackend();
