// Fusion: one dataflow pass over the graph (in its topological order) that decides, for every node,
// which kernel computes it, and marks the cut points where a value goes through memory.
//
// Every live node ends up in one of three roles:
//   - `input`:  a graph input (a buffer);
//   - `inline`: an expression recomputed inside each kernel that reads it (elementwise ops, views,
//               constants) — see cost.ts for when it is materialized instead;
//   - `member`: computed by one kernel (a "group"). A group is rooted at a reduction, a matmul, a
//               library op or a materialized inline value, and grows an epilogue: an elementwise node
//               joins the group of an operand it reads at the same positions (directly or through
//               reshapes), if that adds no cycle between kernels, fits the binding limit, and pays off
//               (it saves that operand's store, or the node must be stored anyway).
// Edges are cut points: each (user, operand) edge is `inline` (the user's kernel recomputes the
// operand) or `load` (it reads the operand's buffer), fixed when the user is visited. A value
// materialized later keeps being recomputed by the users visited before: that never breaks a
// decision already taken.
import { sizeOf, type Graph, type Node } from '../ir/graph.ts';
import { classify, isDenseScatter, liveNodes, usersOf } from './classify.ts';
import { DEFAULT_MAX_BINDINGS, DEFAULT_MAX_RECOMPUTE_COST, MAX_TRACKED_INLINE_NODES, opCost, type ScheduleOptions } from './cost.ts';
import { isKernelResult, libraryOperand, matmulOperand, type OperandPlan } from './operand.ts';

export type EdgeMode = 'inline' | 'load';
export type GroupKind = 'elementwise' | 'reduce' | 'matmul' | 'library';

export interface Group {
  readonly id: number;
  readonly kind: GroupKind;
  readonly root: number;
  /** The root, then the nodes that joined, in graph order. */
  readonly members: number[];
  /** Buffers (node ids) the kernel reads, and the groups that write them. */
  readonly reads: Set<number>;
  readonly deps: Set<number>;
  /** matmul: [a, b]; library: one per input. */
  readonly operands: readonly OperandPlan[];
  readonly alpha: number;
}

export interface Fusion {
  readonly graph: Graph;
  readonly byId: ReadonlyMap<number, Node>;
  readonly live: ReadonlySet<number>;
  readonly groups: readonly Group[];
  readonly groupOf: ReadonlyMap<number, number>;
  readonly edges: ReadonlyMap<number, readonly EdgeMode[]>;
}

type Role = 'input' | 'inline' | 'member';

/** What an inline value costs and needs: the buffers it reads, their groups, its inline nodes. */
interface Inline {
  readonly reads: Set<number>;
  readonly deps: Set<number>;
  /** null: more nodes than worth tracking (treated as too costly to recompute). */
  readonly nodes: Set<number> | null;
}

export function fuse(graph: Graph, options: ScheduleOptions = {}): Fusion {
  return new Fuser(graph, options).run();
}

class Fuser {
  private readonly maxBindings: number;
  private readonly maxRecompute: number;
  private readonly byId: Map<number, Node>;
  private readonly live: Set<number>;
  private readonly users: Map<number, number[]>;
  private readonly outputs: Set<number>;
  private readonly mustStore = new Set<number>();
  private readonly sinks = new Map<number, number[]>();
  private readonly expanding = new Set<number>();
  private readonly role = new Map<number, Role>();
  private readonly inline = new Map<number, Inline>();
  private readonly groups: Group[] = [];
  private readonly groupOf = new Map<number, number>();
  private readonly edges = new Map<number, EdgeMode[]>();

  constructor(
    private readonly graph: Graph,
    options: ScheduleOptions,
  ) {
    this.maxBindings = options.maxBindings ?? DEFAULT_MAX_BINDINGS;
    this.maxRecompute = options.maxRecomputeCost ?? DEFAULT_MAX_RECOMPUTE_COST;
    if (this.maxBindings < 4) throw new Error(`schedule: maxBindings must be at least 4 (a scatter binds 4), got ${this.maxBindings}`);
    this.byId = new Map(graph.nodes.map((n) => [n.id, n] as const));
    this.live = liveNodes(graph);
    this.users = usersOf(graph, this.live);
    this.outputs = new Set(graph.outputs);
  }

  run(): Fusion {
    this.findMustStore();
    this.findSinks();
    this.findExpanding();
    for (const n of this.graph.nodes) if (this.live.has(n.id)) this.visit(n);
    const { graph, byId, live, groups, groupOf, edges } = this;
    return { graph, byId, live, groups, groupOf, edges };
  }

  // ---- what is known before the pass, from the graph's shape alone ----

  /** Rule (a): outputs, and the values matmul and library kernels must read from memory. */
  private findMustStore(): void {
    for (const o of this.outputs) this.mustStore.add(o);
    const isBuffer = (id: number): boolean => isKernelResult(this.node(id), this.byId);
    for (const n of this.graph.nodes) {
      if (!this.live.has(n.id)) continue;
      const c = classify(n, this.byId);
      if (c !== 'matmul' && c !== 'library') continue;
      for (const i of n.inputs) {
        const plan = c === 'matmul' ? matmulOperand(this.byId, i, isBuffer) : libraryOperand(this.byId, i, isBuffer);
        if (plan.needsBuffer) this.mustStore.add(plan.head);
      }
    }
  }

  /** Up to two kernel boundaries each node flows into through inline-able nodes (rule (b)). */
  private findSinks(): void {
    const boundary = (id: number): boolean => {
      const c = classify(this.node(id), this.byId);
      return c === 'reduce' || c === 'matmul' || c === 'library' || this.mustStore.has(id);
    };
    for (let k = this.graph.nodes.length - 1; k >= 0; k--) {
      const id = this.graph.nodes[k]!.id;
      if (!this.live.has(id)) continue;
      const found = new Set<number>();
      for (const u of this.users.get(id)!) {
        for (const s of boundary(u) ? [u] : this.sinks.get(u)!) if (found.size < 2) found.add(s);
      }
      this.sinks.set(id, [...found]);
    }
  }

  /** Rule (c): nodes read by a broadcast, gather or dense scatter that makes more elements than they have. */
  private findExpanding(): void {
    const grows = (x: number, size: number): boolean =>
      this.users.get(x)!.some((u) => {
        const n = this.node(u);
        if (n.op === 'reshape') return grows(u, size);
        const gathers = (n.op === 'gather' || n.op === 'take_along_axis') && n.inputs[0] === x;
        const scatters = n.inputs[2] === x && isDenseScatter(n, this.byId); // the update, read at every position
        return (n.op === 'broadcast' || gathers || scatters) && sizeOf(n.type.shape) > size;
      });
    for (const id of this.live) if (grows(id, sizeOf(this.node(id).type.shape))) this.expanding.add(id);
  }

  // ---- the pass ----

  private visit(n: Node): void {
    switch (classify(n, this.byId)) {
      case 'input':
        this.role.set(n.id, 'input');
        return;
      case 'source':
        return this.makeInline(n);
      case 'view':
        // A reshape that must be stored (a keepdims output) is stored by its operand's kernel:
        // it is the same elements in the same order.
        if (n.op === 'reshape' && this.mustStore.has(n.id) && this.tryJoin(n)) return;
        return this.makeInline(n);
      case 'elementwise':
        if (!this.tryJoin(n)) this.makeInline(n);
        return;
      case 'reduce': {
        this.setEdges(n);
        const c = this.contribution(n.inputs[0]!);
        this.newGroup('reduce', n.id, c.reads, c.deps, [], 1);
        return;
      }
      case 'matmul': {
        this.setEdges(n);
        const plans = n.inputs.map((i) => this.operand(matmulOperand(this.byId, i, (x) => this.isBuffer(x))));
        const [a, b] = plans as [OperandPlan, OperandPlan];
        this.newGroup('matmul', n.id, new Set([a.head, b.head]), this.depsOf([a.head, b.head]), plans, a.alpha * b.alpha);
        return;
      }
      case 'library': {
        this.setEdges(n);
        const plans = n.inputs.map((i) => this.operand(libraryOperand(this.byId, i, (x) => this.isBuffer(x))));
        const heads = plans.map((p) => p.head);
        this.newGroup('library', n.id, new Set(heads), this.depsOf(heads), plans, 1);
        return;
      }
    }
  }

  /** Materializes an operand's head if the plan needs it to be a buffer. */
  private operand(plan: OperandPlan): OperandPlan {
    if (plan.needsBuffer) this.materialize(plan.head);
    return { ...plan, needsBuffer: false };
  }

  private makeInline(n: Node): void {
    this.setEdges(n);
    this.role.set(n.id, 'inline');
    let info = this.merge(n);
    // Rule (d): cut the operand that brings the most buffers until one store still fits.
    while (info.reads.size > this.maxBindings - 1) {
      const cut = n.inputs.filter((i) => this.role.get(i) === 'inline').sort((p, q) => this.inline.get(q)!.reads.size - this.inline.get(p)!.reads.size)[0];
      if (cut === undefined) throw new Error(`schedule: %${n.id} (${n.op}) reads ${info.reads.size} buffers; at most ${this.maxBindings - 1} fit`);
      this.materialize(cut);
      this.edges.set(n.id, this.edges.get(n.id)!.map((m, k) => (n.inputs[k] === cut ? 'load' : m)));
      info = this.merge(n);
    }
    this.inline.set(n.id, info);
    if (this.mustMaterialize(n.id, info)) this.materialize(n.id);
  }

  /** Rules (a)–(c) of cost.ts. */
  private mustMaterialize(id: number, info: Inline): boolean {
    if (this.mustStore.has(id)) return true;
    const alu = info.nodes === null ? Infinity : [...info.nodes].reduce((s, x) => s + opCost(this.node(x)), 0);
    if (this.sinks.get(id)!.length >= 2 && alu + info.reads.size > this.maxRecompute) return true;
    return this.expanding.has(id) && alu > 0;
  }

  /** Tries to put elementwise node (or reshape) n into the kernel of an operand it reads at the same positions. */
  private tryJoin(n: Node): boolean {
    const canon = n.inputs.map((i) => this.canonical(i));
    const contribs = n.inputs.map((i) => this.contribution(i));
    const needed = this.mustMaterialize(n.id, this.merge(n));
    for (const gid of new Set(canon.flatMap((c) => (c === null ? [] : [c.group])))) {
      const g = this.groups[gid]!;
      const saves = canon.some((c) => c !== null && c.group === gid && this.outsideUsers(c.member, gid, n.id) === 0);
      if (!needed && !saves) continue;
      const others = contribs.filter((_, k) => canon[k]?.group !== gid);
      if (others.some((c) => this.reaches(c.deps, gid))) continue;
      const reads = new Set([...g.reads, ...others.flatMap((c) => [...c.reads])]);
      const stores = [...g.members, n.id].filter((m) => this.outsideUsers(m, gid, n.id) > 0).length;
      if (reads.size + stores > this.maxBindings) continue;
      this.setEdges(n);
      g.members.push(n.id);
      this.groupOf.set(n.id, gid);
      this.role.set(n.id, 'member');
      for (const r of reads) g.reads.add(r);
      for (const c of others) for (const d of c.deps) g.deps.add(d);
      return true;
    }
    return false;
  }

  // ---- helpers ----

  private node(id: number): Node {
    return this.byId.get(id)!;
  }

  private isBuffer(id: number): boolean {
    return this.role.get(id) !== 'inline';
  }

  private setEdges(n: Node): void {
    this.edges.set(n.id, n.inputs.map((i) => (this.role.get(i) === 'inline' ? 'inline' : 'load')));
  }

  private depsOf(buffers: readonly number[]): Set<number> {
    return new Set(buffers.flatMap((b) => (this.groupOf.has(b) ? [this.groupOf.get(b)!] : [])));
  }

  /** What reading operand `id` brings to a kernel: its inline expression, or one buffer. */
  private contribution(id: number): Inline {
    if (this.role.get(id) === 'inline') return this.inline.get(id)!;
    return { reads: new Set([id]), deps: this.depsOf([id]), nodes: new Set() };
  }

  /** n as an inline expression over its operands as they are now. */
  private merge(n: Node): Inline {
    const parts = n.inputs.map((i) => this.contribution(i));
    const reads = new Set(parts.flatMap((p) => [...p.reads]));
    const deps = new Set(parts.flatMap((p) => [...p.deps]));
    let nodes: Set<number> | null = new Set([n.id]);
    for (const p of parts) {
      if (p.nodes === null || nodes === null) nodes = null;
      else for (const x of p.nodes) nodes.add(x);
    }
    if (nodes !== null && nodes.size > MAX_TRACKED_INLINE_NODES) nodes = null;
    return { reads, deps, nodes };
  }

  /** The group member an operand shows at the same flat positions (through inline reshapes). */
  private canonical(id: number): { group: number; member: number } | null {
    let x = id;
    while (this.role.get(x) === 'inline' && this.node(x).op === 'reshape') x = this.node(x).inputs[0]!;
    const group = this.groupOf.get(x);
    if (group === undefined || this.groups[group]!.kind === 'library') return null;
    return { group, member: x };
  }

  /** Users of `id` outside group `gid` (with `extra` counted as inside); inline reshapes are seen through. */
  private outsideUsers(id: number, gid: number, extra: number): number {
    let count = this.outputs.has(id) ? 1 : 0;
    for (const u of this.users.get(id)!) {
      if (u === extra || this.groupOf.get(u) === gid) continue;
      count += this.role.get(u) === 'inline' && this.node(u).op === 'reshape' ? this.outsideUsers(u, gid, extra) : 1;
    }
    return count;
  }

  /** Whether any of these groups is, or depends on, group `target`. */
  private reaches(start: Iterable<number>, target: number): boolean {
    const seen = new Set<number>();
    const stack = [...start];
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (g === target) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...this.groups[g]!.deps);
    }
    return false;
  }

  private newGroup(kind: GroupKind, root: number, reads: Set<number>, deps: Set<number>, operands: readonly OperandPlan[], alpha: number): void {
    const id = this.groups.length;
    // Copies: the sets may be an inline operand's own, which must not grow with the group.
    this.groups.push({ id, kind, root, members: [root], reads: new Set(reads), deps: new Set(deps), operands, alpha });
    this.groupOf.set(root, id);
    this.role.set(root, 'member');
  }

  /** Turns an inline value into the root of its own elementwise kernel. */
  private materialize(id: number): void {
    if (this.role.get(id) !== 'inline') return;
    const info = this.inline.get(id)!;
    this.newGroup('elementwise', id, info.reads, info.deps, [], 1);
  }
}
