// Builds one group's kernel expressions from the fusion decisions: each value's expression is made
// at the index map its consumer reads it through, down to loads of buffers (see index_map.ts).
import type { Node } from '../ir/graph.ts';
import { ExprTable } from '../kernel/exprs.ts';
import type { ExprId, View } from '../kernel/ir.ts';
import { isBinary, isUnary } from '../kernel/ops.ts';
import { constantGather, permutingScatter, uniformIndex } from './classify.ts';
import type { Fusion, Group } from './fuse.ts';
import {
  addConst, axisIx, broadcastMap, constIx, identityMap, mapKey, offsetIx, range, reshapeMap, rowMajor, sliceMap, transposeMap, valIx,
  type Atom, type IndexMap, type Ix,
} from './index_map.ts';
import type { OperandPlan } from './operand.ts';

/** A group's kernel before buffers and slots are assigned (loads name buffers by node id). */
export interface Emitted {
  readonly group: Group;
  readonly table: ExprTable;
  /** The value of each member, in the kernel's output index space. */
  readonly values: ReadonlyMap<number, ExprId>;
  /** Buffer nodes the kernel reads. */
  readonly loads: ReadonlySet<number>;
  readonly shape: readonly number[];
  readonly reduce: { readonly op: 'sum' | 'max' | 'min'; readonly shape: readonly number[]; readonly value: ExprId } | null;
  readonly matmul: { readonly a: View; readonly b: View; readonly k: number } | null;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const nums = (n: Node, k: string): readonly number[] => n.attrs[k] as readonly number[];
const num = (n: Node, k: string): number => n.attrs[k] as number;

/** The strides and offset of an affine Ix over `rank` loop axes. */
function affinePart(ix: Ix, rank: number): { strides: number[]; offset: number } {
  const strides = new Array<number>(rank).fill(0);
  for (const [a, k] of ix.terms) strides[a] = k;
  return { strides, offset: ix.c };
}

/** A matmul operand's view (always affine: the fusion pass stopped the walk where it was not). */
function operandView(f: Fusion, plan: OperandPlan): View {
  const head = f.byId.get(plan.head)!.type.shape;
  const ix = offsetIx(plan.map, rowMajor(head), plan.shape);
  if (ix.atoms.length > 0) throw new Error(`schedule: matmul operand %${plan.head} is not an affine view`);
  return { ...affinePart(ix, plan.shape.length), dynamic: [] };
}

class Emitter {
  readonly table = new ExprTable();
  readonly values = new Map<number, ExprId>();
  readonly loads = new Set<number>();
  private readonly memo = new Map<string, ExprId>();

  constructor(
    private readonly f: Fusion,
    private readonly group: Group,
    /** Extents of the loop axes: the output's, then the reduction's. */
    private readonly sizes: readonly number[],
    private readonly shape: readonly number[],
  ) {}

  private node(id: number): Node {
    return this.f.byId.get(id)!;
  }

  /** The map from the output index space to a member's own index (a reshape relabels it). */
  canonical(shape: readonly number[]): IndexMap {
    const id = identityMap(this.shape.length);
    return sameShape(shape, this.shape) ? id : reshapeMap(id, this.shape, shape, this.sizes);
  }

  member(id: number): void {
    this.values.set(id, this.value(id, this.canonical(this.node(id).type.shape), null));
  }

  /** Operand k of u, as u's kernel sees it: recomputed (inline edge), local (same group) or loaded. */
  edge(u: Node, k: number, map: IndexMap, guard: ExprId | null): ExprId {
    const o = u.inputs[k]!;
    if (this.f.edges.get(u.id)![k] === 'inline') return this.value(o, map, guard);
    if (this.f.groupOf.get(o) === this.group.id) {
      const local = this.values.get(o);
      if (local === undefined) throw new Error(`schedule: %${u.id} reads group member %${o} before it is computed`);
      return local;
    }
    return this.load(o, map, guard);
  }

  private load(id: number, map: IndexMap, guard: ExprId | null): ExprId {
    const n = this.node(id);
    const ix = offsetIx(map, rowMajor(n.type.shape), this.sizes);
    const dynamic = ix.atoms.map(([a, k]) => ({ index: this.atom(a), stride: k }));
    this.loads.add(id);
    return this.table.add({ op: 'load', dtype: n.type.dtype, input: id, view: { ...affinePart(ix, this.sizes.length), dynamic }, valid: guard });
  }

  private atom(a: Atom): ExprId {
    if (a.k === 'val') return a.expr;
    const [lo, hi] = range(a.of, this.sizes);
    const q = this.table.idiv(this.ix(a.of), a.radix);
    return lo >= 0 && hi < a.radix * a.size ? q : this.table.imod(q, a.size); // the top digit needs no mod
  }

  /** An index as an i32 expression. */
  private ix(x: Ix): ExprId {
    const t = this.table;
    let e: ExprId | null = null;
    const plus = (y: ExprId): void => void (e = e === null ? y : t.iadd(e, y));
    for (const [a, k] of x.terms) plus(t.imul(t.index(a), k));
    for (const [a, k] of x.atoms) plus(t.imul(this.atom(a), k));
    return e === null ? t.constant('i32', x.c) : t.iadd(e, t.constant('i32', x.c));
  }

  private compare(op: 'ge' | 'lt', x: ExprId, v: number): ExprId {
    return this.table.binary(op, 'bool', x, this.table.constant('i32', v));
  }

  /** Node `id`'s value at index map `map`, computed inside this kernel. */
  value(id: number, map: IndexMap, guard: ExprId | null): ExprId {
    const key = `${id}|${mapKey(map)}|${guard ?? ''}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const v = this.compute(this.node(id), map, guard);
    this.memo.set(key, v);
    return v;
  }

  private compute(n: Node, map: IndexMap, guard: ExprId | null): ExprId {
    const t = this.table;
    const dtype = n.type.dtype;
    const arg = (k: number, m: IndexMap = map, g: ExprId | null = guard): ExprId => this.edge(n, k, m, g);
    const from = (k: number): readonly number[] => this.node(n.inputs[k]!).type.shape;
    if (isUnary(n.op)) return t.unary(n.op, dtype, arg(0));
    if (isBinary(n.op)) return t.binary(n.op, dtype, arg(0), arg(1));
    switch (n.op) {
      case 'const': return t.constant(dtype, num(n, 'value'));
      case 'iota': return t.cast(dtype, this.ix(map[num(n, 'axis')]!));
      case 'stop_gradient': return arg(0);
      case 'where': return t.where(arg(0), arg(1), arg(2));
      case 'cast': return t.cast(dtype, arg(0));
      case 'transpose': return arg(0, transposeMap(map, nums(n, 'perm')));
      case 'broadcast': return arg(0, broadcastMap(map, from(0)));
      case 'slice': return arg(0, sliceMap(map, nums(n, 'starts')));
      case 'reshape': return arg(0, reshapeMap(map, n.type.shape, from(0), this.sizes));
      case 'pad': return this.pad(n, map, guard);
      case 'concat': return this.concat(n, map, guard);
      case 'gather': {
        const axis = num(n, 'axis');
        const rank = from(1).length;
        const c = constantGather(this.f.byId, n);
        const at = c !== undefined ? constIx(c) : valIx(arg(1, map.slice(axis, axis + rank)), from(0)[axis]!);
        return arg(0, [...map.slice(0, axis), at, ...map.slice(axis + rank)]);
      }
      case 'scatter_add':
      case 'scatter_along_axis':
        return this.denseScatter(n, map, guard);
      case 'take_along_axis': {
        const axis = num(n, 'axis');
        const index = arg(1);
        return arg(0, map.map((x, j) => (j === axis ? valIx(index, from(0)[axis]!) : x)));
      }
      default:
        throw new Error(`schedule: %${n.id} (${n.op}) cannot be computed inline`);
    }
  }

  /**
   * A dense scatter (classify.ts): where(position == index, target + update, target). The update is
   * read at the target's position with the axis dropped (scatter_add: the single index's axes are
   * all 0) or at 0 (scatter_along_axis); a constant index becomes a comparison of loop indices.
   * A permuting scatter adds the update read through the index, as a gather does.
   */
  private denseScatter(n: Node, map: IndexMap, guard: ExprId | null): ExprId {
    const t = this.table;
    const axis = num(n, 'axis');
    if (permutingScatter(n, this.f.byId)) {
      // Every position receives exactly one update, from the position its own index names.
      const index = this.edge(n, 1, [map[axis]!], guard);
      const at = map.map((x, j) => (j === axis ? valIx(index, n.type.shape[axis]!) : x));
      return t.binary('add', n.type.dtype, this.edge(n, 0, map, guard), this.edge(n, 2, at, guard));
    }
    const idxShape = this.node(n.inputs[1]!).type.shape;
    const at = n.op === 'scatter_add' ? [...map.slice(0, axis), ...idxShape.map(() => constIx(0)), ...map.slice(axis + 1)] : map.map((x, j) => (j === axis ? constIx(0) : x));
    const target = this.edge(n, 0, map, guard);
    const sum = t.binary('add', n.type.dtype, target, this.edge(n, 2, at, guard));
    const pos = map[axis]!;
    const c = uniformIndex(this.f.byId, n.inputs[1]!);
    let hit: ExprId;
    if (c !== undefined) {
      const [lo, hi] = range(pos, this.sizes);
      if (c < lo || c > hi) return target;
      if (lo === hi) return sum;
      hit = t.binary('eq', 'bool', this.ix(pos), t.constant('i32', c));
    } else {
      const index = this.edge(n, 1, n.op === 'scatter_add' ? idxShape.map(() => constIx(0)) : at, guard);
      hit = t.binary('eq', 'bool', this.ix(pos), index);
    }
    return t.where(hit, sum, target);
  }

  /** Padding reads its operand only inside the original extent; outside it is the pad value. */
  private pad(n: Node, map: IndexMap, guard: ExprId | null): ExprId {
    const t = this.table;
    const before = nums(n, 'before');
    const xShape = this.node(n.inputs[0]!).type.shape;
    const fill = t.constant(n.type.dtype, num(n, 'value'));
    let cond: ExprId | null = null;
    for (let j = 0; j < map.length; j++) {
      const [lo, hi] = range(map[j]!, this.sizes);
      const [start, end] = [before[j]!, before[j]! + xShape[j]!];
      if (hi < start || lo >= end) return fill;
      if (lo < start) cond = t.and(cond, this.compare('ge', this.ix(map[j]!), start));
      if (hi >= end) cond = t.and(cond, this.compare('lt', this.ix(map[j]!), end));
    }
    const inner = this.edge(n, 0, sliceMap(map, before.map((b) => -b)), t.and(guard, cond));
    return cond === null ? inner : t.where(cond, inner, fill);
  }

  /** A chain of `where`s over the pieces the loop can reach, each read under its own guard. */
  private concat(n: Node, map: IndexMap, guard: ExprId | null): ExprId {
    const t = this.table;
    const axis = num(n, 'axis');
    const ix = map[axis]!;
    const [lo, hi] = range(ix, this.sizes);
    let start = 0;
    const pieces = n.inputs.map((id, k) => {
      const d = this.node(id).type.shape[axis]!;
      start += d;
      return { k, start: start - d, end: start };
    });
    const reach = pieces.filter((p) => p.end > p.start && p.end > lo && p.start <= hi);
    if (reach.length === 0) return t.constant(n.type.dtype, 0);
    const read = (p: (typeof pieces)[number], g: ExprId | null): ExprId =>
      this.edge(n, p.k, map.map((x, j) => (j === axis ? addConst(x, -p.start) : x)), t.and(guard, g));
    const last = reach[reach.length - 1]!;
    let acc = read(last, lo < last.start ? this.compare('ge', this.ix(ix), last.start) : null);
    for (const p of reach.slice(0, -1).reverse()) {
      const c = this.compare('lt', this.ix(ix), p.end);
      acc = t.where(c, read(p, t.and(c, lo < p.start ? this.compare('ge', this.ix(ix), p.start) : null)), acc);
    }
    return acc;
  }

  /** The reduction's operand over the loop axes [...kept, ...reduced] (reduced in axis order). */
  reduction(root: Node): ExprId {
    const axes = [...nums(root, 'axes')].sort((a, b) => a - b);
    const xShape = this.node(root.inputs[0]!).type.shape;
    let kept = 0;
    const map = xShape.map((_, j) => (axes.includes(j) ? axisIx(this.shape.length + axes.indexOf(j)) : axisIx(kept++)));
    return this.edge(root, 0, map, null);
  }
}

export function emitGroup(f: Fusion, g: Group): Emitted {
  const root = f.byId.get(g.root)!;
  const shape = root.type.shape;
  let reduce: Emitted['reduce'] = null;
  let matmul: Emitted['matmul'] = null;
  let sizes: readonly number[] = shape;
  if (g.kind === 'reduce') {
    const xShape = f.byId.get(root.inputs[0]!)!.type.shape;
    const axes = [...nums(root, 'axes')].sort((a, b) => a - b);
    sizes = [...shape, ...axes.map((a) => xShape[a]!)];
  }
  const e = new Emitter(f, g, sizes, shape);
  if (g.kind === 'reduce') {
    reduce = { op: root.op as 'sum' | 'max' | 'min', shape: sizes.slice(shape.length), value: e.reduction(root) };
    e.values.set(root.id, e.table.add({ op: 'acc', dtype: root.type.dtype }));
  } else if (g.kind === 'matmul') {
    const [a, b] = g.operands as [OperandPlan, OperandPlan];
    const aShape = f.byId.get(root.inputs[0]!)!.type.shape;
    matmul = { a: operandView(f, a), b: operandView(f, b), k: aShape[aShape.length - 1]! };
    e.loads.add(a.head);
    e.loads.add(b.head);
    e.values.set(root.id, e.table.add({ op: 'acc', dtype: root.type.dtype }));
  } else if (g.kind === 'library') {
    for (const p of g.operands) e.loads.add(p.head);
  }
  for (const m of g.members) if (!e.values.has(m) && g.kind !== 'library') e.member(m);
  return { group: g, table: e.table, values: e.values, loads: e.loads, shape, reduce, matmul };
}
