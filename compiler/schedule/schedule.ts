// Graph → kernels + buffers: rewrite the patterns that fuse better in another form (rewrite.ts),
// fuse, emit each group's kernel, keep the kernels some output needs, merge independent elementwise
// kernels over the same index space (siblings.ts), decide what each kernel stores (the members
// another kernel loads, and outputs), order the kernels by their data dependencies and bind buffers
// to slots.
import type { Graph } from '../ir/graph.ts';
import { compact, rebind } from '../kernel/exprs.ts';
import type { Buffer, ExprId, Kernel, Schedule, Store } from '../kernel/ir.ts';
import { splitWideConcats } from './concat.ts';
import { DEFAULT_MAX_BINDINGS, type ScheduleOptions } from './cost.ts';
import { emitGroup, type Emitted } from './emit.ts';
import { fuse, type Fusion } from './fuse.ts';
import { rewriteForFusion } from './rewrite.ts';
import { mergeSiblings } from './siblings.ts';

export type { ScheduleOptions } from './cost.ts';

export function schedule(graph: Graph, options: ScheduleOptions = {}): Schedule {
  const maxBindings = options.maxBindings ?? DEFAULT_MAX_BINDINGS;
  const g = rewriteForFusion(splitWideConcats(graph, maxBindings - 1));
  let f = fuse(g, options);
  let emitted: readonly Emitted[] = f.groups.map((gr) => emitGroup(f, gr));
  let live = liveGroups(f, emitted);
  const merged = mergeSiblings(f, emitted, live, maxBindings);
  if (merged) {
    ({ f, emitted } = merged);
    live = liveGroups(f, emitted);
  }
  const stores = storesOf(f, emitted, live);
  const order = topoOrder(f, emitted, live);
  return assemble(f, emitted, order, stores);
}

/** Groups some output needs, through the buffers the kernels load. */
function liveGroups(f: Fusion, emitted: readonly Emitted[]): Set<number> {
  const live = new Set<number>();
  const stack = f.graph.outputs.flatMap((o) => (f.groupOf.has(o) ? [f.groupOf.get(o)!] : []));
  while (stack.length > 0) {
    const gid = stack.pop()!;
    if (live.has(gid)) continue;
    live.add(gid);
    for (const b of emitted[gid]!.loads) if (f.groupOf.has(b)) stack.push(f.groupOf.get(b)!);
  }
  return live;
}

/** The members each live group stores: graph outputs and values another live kernel loads. */
function storesOf(f: Fusion, emitted: readonly Emitted[], live: ReadonlySet<number>): Map<number, number[]> {
  const loaded = new Set<number>();
  for (const gid of live) for (const b of emitted[gid]!.loads) if (f.groupOf.get(b) !== gid) loaded.add(b);
  const outputs = new Set(f.graph.outputs);
  const stores = new Map<number, number[]>();
  for (const gid of live) stores.set(gid, f.groups[gid]!.members.filter((m) => outputs.has(m) || loaded.has(m)));
  return stores;
}

/** Kahn's algorithm over load dependencies; ties go to the group formed first (graph order). */
function topoOrder(f: Fusion, emitted: readonly Emitted[], live: ReadonlySet<number>): number[] {
  const deps = new Map<number, Set<number>>();
  for (const gid of live) {
    const ds = new Set<number>();
    for (const b of emitted[gid]!.loads) {
      const p = f.groupOf.get(b);
      if (p !== undefined && p !== gid) ds.add(p);
    }
    deps.set(gid, ds);
  }
  const order: number[] = [];
  const done = new Set<number>();
  const pending = [...live].sort((a, b) => a - b);
  while (pending.length > 0) {
    const k = pending.findIndex((gid) => [...deps.get(gid)!].every((d) => done.has(d)));
    if (k < 0) throw new Error(`schedule: kernels depend on each other in a cycle (groups ${pending.join(', ')})`);
    const [gid] = pending.splice(k, 1) as [number];
    order.push(gid);
    done.add(gid);
  }
  return order;
}

function assemble(f: Fusion, emitted: readonly Emitted[], order: readonly number[], stores: ReadonlyMap<number, number[]>): Schedule {
  const buffers: Buffer[] = [];
  const bufferOf = new Map<number, number>();
  const outputs = new Set(f.graph.outputs);
  const addBuffer = (node: number, role: Buffer['role']): void => {
    const t = f.byId.get(node)!.type;
    bufferOf.set(node, buffers.length);
    buffers.push({ id: buffers.length, dtype: t.dtype, shape: t.shape, role, node });
  };
  for (const i of f.graph.inputs) addBuffer(i, 'input');
  for (const gid of order) for (const m of stores.get(gid)!) addBuffer(m, outputs.has(m) ? 'output' : 'temp');
  const buf = (node: number): number => {
    const b = bufferOf.get(node);
    if (b === undefined) throw new Error(`schedule: %${node} is read but no kernel stores it`);
    return b;
  };
  const kernels = order.map((gid, i) => kernel(f, emitted[gid]!, stores.get(gid)!, `k${i}`, buf));
  return { name: f.graph.name, buffers, kernels, inputs: f.graph.inputs.map(buf), outputs: f.graph.outputs.map(buf) };
}

function kernel(f: Fusion, e: Emitted, stored: readonly number[], name: string, buf: (node: number) => number): Kernel {
  const g = e.group;
  const outputs = stored.map(buf);
  if (g.kind === 'library') {
    const root = f.byId.get(g.root)!;
    return { kind: 'library', name, root: g.root, op: root.op, attrs: root.attrs, inputs: g.operands.map((p) => buf(p.head)), inputShapes: g.operands.map((p) => p.shape), outputs };
  }
  const roots: ExprId[] = [...(e.reduce ? [e.reduce.value] : []), ...stored.map((m) => e.values.get(m)!)];
  const { exprs, map } = compact(e.table.nodes, roots);
  // Slots: matmul operands first, then loads in the order the expressions first use them.
  const slots: number[] = [];
  const slot = (node: number): number => {
    const b = buf(node);
    if (!slots.includes(b)) slots.push(b);
    return slots.indexOf(b);
  };
  const aSlot = e.matmul ? slot(g.operands[0]!.head) : 0;
  const bSlot = e.matmul ? slot(g.operands[1]!.head) : 0;
  const bound = rebind(exprs, slot);
  const storesOut: Store[] = stored.map((m, k) => ({ output: k, value: map(e.values.get(m)!) }));
  const base = { name, root: g.root, inputs: slots, outputs, exprs: bound, stores: storesOut };
  if (e.matmul) {
    const root = f.byId.get(g.root)!;
    return {
      ...base, kind: 'matmul', shape: e.shape, k: e.matmul.k, dtype: root.type.dtype, alpha: g.alpha,
      a: { input: aSlot, view: e.matmul.a }, b: { input: bSlot, view: e.matmul.b },
    };
  }
  const reduce = e.reduce ? { op: e.reduce.op, shape: e.reduce.shape, value: map(e.reduce.value), dtype: f.byId.get(g.root)!.type.dtype } : null;
  return { ...base, kind: 'fused', shape: e.shape, reduce };
}
