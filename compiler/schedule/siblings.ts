// Horizontal fusion: elementwise kernels over the same index space that do not depend on each other
// (the stacked gradients of a model's layers, rotary embeddings of q and k, one update per
// parameter) become one kernel with several stores, when the bindings fit. That saves a launch
// each, and a read where the kernels load the same buffer. A merged kernel runs when the inputs of
// both are ready (the ordering of schedule.ts sees the union of their dependencies); merging two
// groups of which one reaches the other through a third would make a cycle, and is not done.
import type { Emitted } from './emit.ts';
import { emitGroup } from './emit.ts';
import type { Fusion, Group } from './fuse.ts';

/** Candidates examined for each group: the most recent clusters of the same shape. */
const MAX_CANDIDATES = 16;

export interface Merged {
  readonly f: Fusion;
  readonly emitted: readonly Emitted[];
}

export function mergeSiblings(f: Fusion, emitted: readonly Emitted[], live: ReadonlySet<number>, maxBindings: number): Merged | null {
  const groupOfBuffer = (b: number): number | undefined => f.groupOf.get(b);
  // What each live group stores: graph outputs and members another live group loads.
  const loadedElsewhere = new Set<number>();
  for (const gid of live) for (const b of emitted[gid]!.loads) if (groupOfBuffer(b) !== gid) loadedElsewhere.add(b);
  const outputs = new Set(f.graph.outputs);
  const stores = (gid: number): number => f.groups[gid]!.members.filter((m) => outputs.has(m) || loadedElsewhere.has(m)).length;

  // Clusters: a representative group and the groups merged into it.
  const clusterOf = new Map<number, number>();
  const find = (gid: number): number => {
    let c = gid;
    while (clusterOf.has(c) && clusterOf.get(c) !== c) c = clusterOf.get(c)!;
    return c;
  };
  const loads = new Map<number, Set<number>>();
  const storeCount = new Map<number, number>();
  const depsOf = (c: number): Set<number> => {
    const ds = new Set<number>();
    for (const b of loads.get(c)!) {
      const g = groupOfBuffer(b);
      if (g !== undefined && live.has(g) && find(g) !== c) ds.add(find(g));
    }
    return ds;
  };
  const reaches = (from: number, target: number): boolean => {
    const seen = new Set<number>();
    const stack = [...depsOf(from)];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (c === target) return true;
      if (seen.has(c)) continue;
      seen.add(c);
      stack.push(...depsOf(c));
    }
    return false;
  };

  const byShape = new Map<string, number[]>();
  let merged = false;
  for (const gid of [...live].sort((a, b) => a - b)) {
    clusterOf.set(gid, gid);
    loads.set(gid, new Set(emitted[gid]!.loads));
    storeCount.set(gid, stores(gid));
    if (f.groups[gid]!.kind !== 'elementwise') continue;
    const key = emitted[gid]!.shape.join(',');
    const open = byShape.get(key) ?? [];
    let best: { c: number; shared: number } | null = null;
    for (const c of open.slice(-MAX_CANDIDATES).reverse()) {
      const union = new Set([...loads.get(c)!, ...loads.get(gid)!]);
      if (union.size + storeCount.get(c)! + storeCount.get(gid)! > maxBindings) continue;
      const shared = loads.get(c)!.size + loads.get(gid)!.size - union.size;
      if (best !== null && shared <= best.shared) continue;
      if (reaches(gid, c) || reaches(c, gid)) continue;
      best = { c, shared };
    }
    if (best === null) {
      byShape.set(key, [...open, gid]);
      continue;
    }
    clusterOf.set(gid, best.c);
    for (const b of loads.get(gid)!) loads.get(best.c)!.add(b);
    storeCount.set(best.c, storeCount.get(best.c)! + storeCount.get(gid)!);
    merged = true;
  }
  if (!merged) return null;

  const position = new Map(f.graph.nodes.map((n, i) => [n.id, i] as const));
  const groups: Group[] = [...f.groups];
  const groupOf = new Map(f.groupOf);
  const members = new Map<number, number[]>();
  for (const gid of live) {
    const c = find(gid);
    if (c !== gid) members.set(c, [...(members.get(c) ?? f.groups[c]!.members), ...f.groups[gid]!.members]);
  }
  for (const [c, ms] of members) {
    const parts = [...live].filter((g) => find(g) === c).map((g) => f.groups[g]!);
    ms.sort((p, q) => position.get(p)! - position.get(q)!);
    groups[c] = {
      ...f.groups[c]!,
      members: ms,
      reads: new Set(parts.flatMap((p) => [...p.reads])),
      deps: new Set(parts.flatMap((p) => [...p.deps])),
    };
    for (const m of ms) groupOf.set(m, c);
  }
  const nf: Fusion = { ...f, groups, groupOf };
  return { f: nf, emitted: emitted.map((e, gid) => (members.has(gid) ? emitGroup(nf, groups[gid]!) : e)) };
}
