// A concat of more buffers than one kernel may bind is nested (concat of concats) before fusion,
// so that every kernel fits the binding limit. Existing nodes keep their ids (buffers and printouts
// refer to them); the inner concats get fresh ids above the graph's largest.
import type { Graph, Node, TType } from '../ir/graph.ts';
import { PRIMS } from '../ir/prims.ts';

export function splitWideConcats(g: Graph, maxInputs: number): Graph {
  if (!g.nodes.some((n) => n.op === 'concat' && n.inputs.length > maxInputs)) return g;
  let next = Math.max(...g.nodes.map((n) => n.id)) + 1;
  const types = new Map<number, TType>(g.nodes.map((n) => [n.id, n.type] as const));
  const nodes: Node[] = [];
  const concat = (inputs: readonly number[], axis: number): number => {
    const attrs = { axis };
    const n: Node = { id: next++, op: 'concat', inputs, attrs, type: PRIMS.concat.type(inputs.map((i) => types.get(i)!), attrs) };
    types.set(n.id, n.type);
    nodes.push(n);
    return n.id;
  };
  for (const n of g.nodes) {
    let xs = n.inputs;
    if (n.op === 'concat') {
      while (xs.length > maxInputs) {
        const chunks: number[] = [];
        for (let k = 0; k < xs.length; k += maxInputs) {
          const chunk = xs.slice(k, k + maxInputs);
          chunks.push(chunk.length === 1 ? chunk[0]! : concat(chunk, n.attrs['axis'] as number));
        }
        xs = chunks;
      }
    }
    nodes.push(xs === n.inputs ? n : { ...n, inputs: xs });
  }
  return { ...g, nodes };
}
