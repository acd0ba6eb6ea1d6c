// The WebGPU backend's run-time errors, worded as the interpreter words them (runtime/interp/ops/,
// and compiler/codegen/wasm/ops.ts's `failMessage` for the CPU backend's same errors).
//
// Kernels report a failure through the status buffer (compiler/codegen/wgsl/checks.ts) as a site and
// a value; `failureMessage` turns that into the message. Errors known from shapes alone (a max over
// an empty axis) are found once, when the graph is compiled (`staticFailure`).
import { FIRST_INDEX_SITE, SITE_DIV, SITE_MOD, SITE_POW, type IndexSite } from '../../compiler/codegen/wgsl/index.ts';
import { FAIL, failMessage } from '../../compiler/codegen/wasm/ops.ts';
import { sizeOf, type Graph } from '../../compiler/ir/graph.ts';
import type { Schedule } from '../../compiler/kernel/ir.ts';

/** What one kernel's status words said. */
export interface Failure {
  readonly site: number;
  readonly value: number;
  /** The failing kernel's index sites (FIRST_INDEX_SITE and up). */
  readonly indexSites: readonly IndexSite[];
}

/** The interpreter's names of the primitives that read through a data-dependent index. */
const INDEX_OPS: Readonly<Record<string, string>> = { gather: 'gather', take_along_axis: 'takeAlongAxis' };

const outOfRange = (op: string, i: number, bound: number): string => `${op}: index ${i} out of range [0, ${bound})`;

/**
 * The interpreter's message for a failure. A dynamic index's site knows its bound but not which
 * primitive made it (the kernel IR does not say): the graph's gathers and take_along_axis with that
 * bound name it when they are all of one kind; otherwise the CPU backend's wording names all of them.
 */
export function failureMessage(f: Failure, graph: Graph): string {
  switch (f.site) {
    case SITE_DIV: return failMessage(FAIL.divZero, 0, 0);
    case SITE_MOD: return failMessage(FAIL.modZero, 0, 0);
    case SITE_POW: return `pow: negative i32 exponent ${f.value}`;
    default: break;
  }
  const site = f.indexSites[f.site - FIRST_INDEX_SITE];
  if (site === undefined) return `webgpu: a kernel reported unknown failure ${f.site}`;
  if (site.kind === 'scatter_add') return outOfRange('scatterAdd', f.value, site.bound);
  const byId = new Map(graph.nodes.map((n) => [n.id, n] as const));
  const ops = new Set<string>();
  for (const n of graph.nodes) {
    const name = INDEX_OPS[n.op];
    const x = byId.get(n.inputs[0] ?? -1);
    if (name === undefined || x === undefined) continue;
    const axis = n.attrs['axis'] as number;
    if (x.type.shape[axis < 0 ? axis + x.type.shape.length : axis] === site.bound) ops.add(name);
  }
  return ops.size === 1 ? outOfRange([...ops][0]!, f.value, site.bound) : failMessage(FAIL.index, f.value, site.bound);
}

/** An error every call of the schedule has, from its shapes alone, or null. */
export function staticFailure(s: Schedule): string | null {
  for (const k of s.kernels) {
    if (k.kind === 'fused' && k.reduce !== null && k.reduce.op !== 'sum' && sizeOf(k.reduce.shape) === 0 && sizeOf(k.shape) > 0) {
      return failMessage(k.reduce.op === 'max' ? FAIL.emptyMax : FAIL.emptyMin, 0, 0);
    }
    if (k.kind === 'library' && k.op === 'argmax') {
      const shape = k.inputShapes[0]!;
      const axis = k.attrs['axis'] as number;
      if (shape[axis] === 0) return 'argmax: empty axis';
    }
  }
  return null;
}
