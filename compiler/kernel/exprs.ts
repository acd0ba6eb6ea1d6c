// Building a kernel's scalar expression table: hash-consed, so one value is one node however many
// times the fused graph mentions it, and every node's arguments precede it.
import type { DType } from '../ir/graph.ts';
import type { BinaryOp, Expr, ExprId, UnaryOp, View } from './ir.ts';
import { isBinaryExpr, isUnaryExpr } from './ops.ts';

/** The value a typed-array store keeps (what every kernel node's result is rounded to). */
export function storedValue(dtype: DType, v: number): number {
  switch (dtype) {
    case 'f32': return Math.fround(v);
    case 'i32': return v | 0;
    case 'bool': return v !== 0 && !Number.isNaN(v) ? 1 : 0;
  }
}

/** Numbers as keys: NaN and -0 kept distinct (JSON would turn NaN into null and -0 into 0). */
const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

function viewKey(v: View): string {
  const dyn = v.dynamic.map((d) => `${d.index}*${num(d.stride)}`).join(',');
  return `${v.strides.map(num).join(',')}+${num(v.offset)}+[${dyn}]`;
}

/** Structural identity of a node (its arguments are already-interned ids). */
export function exprKey(e: Expr): string {
  switch (e.op) {
    case 'const': return `const:${e.dtype}:${num(e.value)}`;
    case 'index': return `index:${e.axis}`;
    case 'load': return `load:${e.dtype}:${e.input}:${viewKey(e.view)}:${e.valid ?? '-'}`;
    case 'acc': return `acc:${e.dtype}`;
    default: return `${e.op}:${e.dtype}:${e.args.join(',')}`;
  }
}

/** The ids a node refers to: its arguments, a load's guard and dynamic index terms. */
export function exprRefs(e: Expr): ExprId[] {
  if (e.op === 'load') return [...(e.valid === null ? [] : [e.valid]), ...e.view.dynamic.map((d) => d.index)];
  return 'args' in e ? [...e.args] : [];
}

/** The nodes the roots depend on, themselves included (what a loop nest must compute for them). */
export function reachable(exprs: readonly Expr[], roots: readonly ExprId[]): Set<ExprId> {
  const seen = new Set<ExprId>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...exprRefs(exprs[id]!));
  }
  return seen;
}

export class ExprTable {
  readonly nodes: Expr[] = [];
  private readonly ids = new Map<string, ExprId>();

  add(e: Expr): ExprId {
    const key = exprKey(e);
    const hit = this.ids.get(key);
    if (hit !== undefined) return hit;
    for (const r of exprRefs(e)) if (!(r >= 0 && r < this.nodes.length)) throw new Error(`kernel IR: reference to t${r} before it exists`);
    this.nodes.push(e);
    this.ids.set(key, this.nodes.length - 1);
    return this.nodes.length - 1;
  }

  dtype(id: ExprId): DType {
    return this.nodes[id]!.dtype;
  }

  constant(dtype: DType, value: number): ExprId {
    return this.add({ op: 'const', dtype, value: storedValue(dtype, value) });
  }

  /** The constant a node holds, if it is one. */
  constValue(id: ExprId): number | undefined {
    const e = this.nodes[id]!;
    return e.op === 'const' ? e.value : undefined;
  }

  index(axis: number): ExprId {
    return this.add({ op: 'index', dtype: 'i32', axis });
  }

  unary(op: UnaryOp, dtype: DType, x: ExprId): ExprId {
    return this.add({ op, dtype, args: [x] });
  }

  binary(op: BinaryOp, dtype: DType, x: ExprId, y: ExprId): ExprId {
    return this.add({ op, dtype, args: [x, y] });
  }

  where(c: ExprId, x: ExprId, y: ExprId): ExprId {
    return this.add({ op: 'where', dtype: this.dtype(x), args: [c, x, y] });
  }

  cast(dtype: DType, x: ExprId): ExprId {
    return this.dtype(x) === dtype ? x : this.add({ op: 'cast', dtype, args: [x] });
  }

  // ---- index arithmetic (i32, non-negative operands): folded where the result is obvious ----

  iadd(x: ExprId, y: ExprId): ExprId {
    const [a, b] = [this.constValue(x), this.constValue(y)];
    if (a !== undefined && b !== undefined) return this.constant('i32', a + b);
    if (a === 0) return y;
    if (b === 0) return x;
    return this.binary('add', 'i32', x, y);
  }

  imul(x: ExprId, k: number): ExprId {
    const a = this.constValue(x);
    if (a !== undefined) return this.constant('i32', a * k);
    if (k === 1) return x;
    if (k === 0) return this.constant('i32', 0);
    return this.binary('mul', 'i32', x, this.constant('i32', k));
  }

  /** floor(x / k) for x >= 0. */
  idiv(x: ExprId, k: number): ExprId {
    const a = this.constValue(x);
    if (a !== undefined) return this.constant('i32', Math.floor(a / k));
    return k === 1 ? x : this.binary('div', 'i32', x, this.constant('i32', k));
  }

  /** x mod k for x >= 0. */
  imod(x: ExprId, k: number): ExprId {
    const a = this.constValue(x);
    if (a !== undefined) return this.constant('i32', a % k);
    return k === 1 ? this.constant('i32', 0) : this.binary('mod', 'i32', x, this.constant('i32', k));
  }

  /** Conjunction of guards; null stands for "always". */
  and(x: ExprId | null, y: ExprId | null): ExprId | null {
    if (x === null) return y;
    if (y === null || x === y) return x;
    return this.binary('logical_and', 'bool', x, y);
  }
}

/** Rewrites every reference of a node through `map`. */
function renumber(e: Expr, map: (id: ExprId) => ExprId): Expr {
  if (e.op === 'load') {
    const view: View = { ...e.view, dynamic: e.view.dynamic.map((d) => ({ index: map(d.index), stride: d.stride })) };
    return { ...e, view, valid: e.valid === null ? null : map(e.valid) };
  }
  if (e.op === 'where') return { ...e, args: [map(e.args[0]), map(e.args[1]), map(e.args[2])] };
  if (e.op === 'cast' || isUnaryExpr(e)) return { ...e, args: [map(e.args[0])] };
  if (isBinaryExpr(e)) return { ...e, args: [map(e.args[0]), map(e.args[1])] };
  return e;
}

/**
 * Keeps the nodes that `roots` need (in their order) and renumbers them densely, so a printed or
 * generated kernel holds no dead code. Returns the new table and the old → new id map.
 */
export function compact(nodes: readonly Expr[], roots: readonly ExprId[]): { exprs: Expr[]; map: (id: ExprId) => ExprId } {
  const live = new Set<ExprId>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...exprRefs(nodes[id]!));
  }
  const next = new Map<ExprId, ExprId>();
  const exprs: Expr[] = [];
  const map = (id: ExprId): ExprId => {
    const n = next.get(id);
    if (n === undefined) throw new Error(`kernel IR: t${id} is not live`);
    return n;
  };
  nodes.forEach((e, id) => {
    if (!live.has(id)) return;
    exprs.push(renumber(e, map));
    next.set(id, exprs.length - 1);
  });
  return { exprs, map };
}

/** Renames a load's input slot (tables are built with buffer numbers and bound to slots at the end). */
export function rebind(nodes: readonly Expr[], slot: (input: number) => number): Expr[] {
  return nodes.map((e) => (e.op === 'load' ? { ...e, input: slot(e.input) } : e));
}
