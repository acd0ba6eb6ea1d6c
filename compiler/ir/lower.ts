// Checked AST → tensor IR. Every call is inlined, so one graph holds a whole computation with
// concrete shapes: size variables become numbers (specialization), records and tuples become
// lists of tensors, loops with a known trip count are unrolled, an `if` on a known condition keeps
// one branch (otherwise both, joined by `where`), and grad appends the reverse pass.
import type * as A from '../syntax/ast.ts';
import { dottedName } from '../syntax/ast.ts';
import type { Checker } from '../check/checker.ts';
import type { Module } from '../check/module.ts';
import * as S from '../check/size.ts';
import * as T from '../check/types.ts';
import { collectDims, solve } from '../check/unify.ts';
import { compareValues } from '../check/static.ts';
import { BUILTINS } from '../builtins/table.ts';
import { vjp } from '../transform/grad.ts';
import { Builder, type DType, type Graph, type TType } from './graph.ts';
import { BUILTIN_LOWERING, type LowerArgs } from './lower_builtins.ts';

/** A lowered value: tensors are IR value ids; structure is kept outside the IR. */
export type LV =
  | { readonly kind: 'tensor'; readonly id: number }
  | { readonly kind: 'tuple'; readonly items: readonly LV[] }
  | { readonly kind: 'record'; readonly fields: readonly (readonly [string, LV])[] }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'unit' }
  /** A function bound to a function parameter; calls of the parameter are inlined calls of it. */
  | { readonly kind: 'fn'; readonly fn: FnValue };

export type FnValue =
  | { readonly kind: 'decl'; readonly decl: A.FnDecl; readonly module: Module }
  | { readonly kind: 'lambda'; readonly lambda: Extract<A.Expr, { kind: 'lambda' }>; readonly env: Env | null; readonly module: Module };

/** A value known while compiling: sizes, literals, and arithmetic on them. */
export type Known = number | boolean | string | readonly Known[];

export interface Entry {
  readonly lv: LV;
  readonly known?: Known;
}

/** An immutable chain of bindings, like the checker's scopes. */
export interface Env {
  readonly name: string;
  readonly entry: Entry;
  readonly parent: Env | null;
}

export const extend = (parent: Env | null, name: string, entry: Entry): Env => ({ name, entry, parent });
function find(env: Env | null, name: string): Entry | undefined {
  for (let e = env; e !== null; e = e.parent) if (e.name === name) return e.entry;
  return undefined;
}

/** A lowering failure in the user's program that only shows with concrete shapes or values. */
export class LowerError extends Error {
  constructor(readonly span: A.Span, message: string) {
    super(message);
  }
}

export const tensorLV = (id: number): LV => ({ kind: 'tensor', id });

export function leaves(v: LV): number[] {
  switch (v.kind) {
    case 'tensor':
      return [v.id];
    case 'tuple':
      return v.items.flatMap(leaves);
    case 'record':
      return v.fields.flatMap(([, f]) => leaves(f));
    default:
      return [];
  }
}

/** Rebuilds a value of the same structure as `like` from a list of leaf ids, in order. */
export function rebuild(like: LV, ids: readonly number[]): LV {
  let k = 0;
  const go = (v: LV): LV => {
    switch (v.kind) {
      case 'tensor':
        return tensorLV(ids[k++]!);
      case 'tuple':
        return { kind: 'tuple', items: v.items.map(go) };
      case 'record':
        return { kind: 'record', fields: v.fields.map(([n, f]) => [n, go(f)] as const) };
      default:
        return v;
    }
  };
  return go(like);
}

export class Lowerer {
  constructor(
    readonly b: Builder,
    private readonly checker: Checker,
  ) {}

  // ---- entry points ----

  /** Binds a function's parameters to values and lowers its body (the function is inlined). */
  call(decl: A.FnDecl, module: Module, args: ReadonlyMap<string, { lv: LV; known?: Known }>, at: A.Span): LV {
    if (decl.body.kind !== 'expr') throw new LowerError(at, `'${decl.name.name}' is host code and cannot run inside a compiled computation`);
    const sig = this.checker.signature(decl, module);
    const sizes = this.bindSizes(decl, sig, args, at);
    let env: Env | null = null;
    for (const [name, n] of sizes) env = extend(env, name, { lv: tensorLV(this.b.scalar(n, 'i32')), known: n });
    for (const p of decl.params) {
      const given = args.get(p.name.name);
      if (given) env = extend(env, p.name.name, given);
      else if (p.default) env = extend(env, p.name.name, { lv: this.expr(p.default, env, module), ...opt(this.known(p.default, env)) });
      else throw new LowerError(at, `missing argument '${p.name.name}'`);
    }
    return this.castLike(this.expr(decl.body.expr, env, module), sig.ret);
  }

  /** Size variables from explicit keyword sizes and the concrete shapes of the arguments. */
  private bindSizes(decl: A.FnDecl, sig: ReturnType<Checker['signature']>, args: ReadonlyMap<string, { lv: LV; known?: Known }>, at: A.Span): Map<string, number> {
    const env = new Map<string, S.Size>();
    for (const s of sig.sizeParams) {
      const k = args.get(s)?.known;
      if (typeof k === 'number') env.set(s, S.constant(k));
    }
    const pairs: [S.Size, S.Size, string][] = [];
    for (const p of sig.params) {
      const a = args.get(p.name);
      if (!a) continue;
      const r = collectDims(p.type, this.concreteType(a.lv), p.name);
      if ('pairs' in r) pairs.push(...r.pairs);
    }
    const solved = solve(pairs, new Set(sig.sizeParams), env);
    if (!solved.ok) throw new LowerError(at, `in the call to '${decl.name.name}': ${solved.message}`);
    const out = new Map<string, number>();
    for (const [k, v] of solved.env) out.set(k, S.constValue(v)!);
    return out;
  }

  /** The checker's view of a lowered value: its type with constant sizes. */
  concreteType(v: LV): T.Type {
    switch (v.kind) {
      case 'tensor': {
        const t = this.b.type(v.id);
        return T.tensor(t.dtype, t.shape.map(S.constant));
      }
      case 'tuple':
        return T.tuple(v.items.map((x) => this.concreteType(x)));
      case 'record':
        return { kind: 'record', fields: v.fields.map(([name, f]) => ({ name, type: this.concreteType(f) })) };
      case 'str':
        return T.STR;
      default:
        return T.UNIT;
    }
  }

  // ---- compile-time values ----

  known(e: A.Expr, env: Env | null): Known | undefined {
    switch (e.kind) {
      case 'num':
      case 'bool':
      case 'str':
        return e.value;
      case 'var': {
        const entry = find(env, e.name);
        return entry?.known ?? (entry?.lv.kind === 'str' ? entry.lv.value : undefined);
      }
      case 'call': {
        // rank(x) is known from x's value (a generic function's body has one per instance, so the
        // checker's record of x's type, which holds the last instance's, will not do).
        const target = this.checker.targets.get(e);
        const arg = e.args[0]?.value;
        const name = target?.kind === 'builtin' ? target.builtin.name : '';
        if ((name !== 'rank' && name !== 'dim') || arg === undefined) return undefined;
        const v = arg.kind === 'var' ? find(env, arg.name)?.lv : undefined;
        const shape = v?.kind === 'tensor' ? this.b.type(v.id).shape : undefined;
        if (shape === undefined) return undefined;
        if (name === 'rank') return shape.length;
        const ax = e.args[1] ? this.known(e.args[1].value, env) : undefined;
        return typeof ax === 'number' ? shape[ax < 0 ? ax + shape.length : ax] : undefined;
      }
      case 'unary': {
        const a = this.known(e.arg, env);
        if (e.op === '-' && typeof a === 'number') return -a;
        if (e.op === 'not' && typeof a === 'boolean') return !a;
        return undefined;
      }
      case 'binary': {
        const l = this.known(e.left, env);
        const r = this.known(e.right, env);
        if (typeof l === 'boolean' && typeof r === 'boolean') return e.op === 'and' ? l && r : e.op === 'or' ? l || r : compareValues(e.op, l, r) ?? undefined;
        if (typeof l === 'string' && typeof r === 'string') return compareValues(e.op, l, r) ?? undefined;
        if (typeof l !== 'number' || typeof r !== 'number') return undefined;
        // Integer arithmetic (floor division) exactly when the checker typed the expression i32.
        const t = this.checker.types.get(e);
        return knownBinary(e.op, l, r, t?.kind === 'tensor' && t.dtype === 'i32');
      }
      case 'array':
      case 'tuple': {
        const items = e.items.map((i) => this.known(i, env));
        return items.every((i) => i !== undefined) ? (items as Known[]) : undefined;
      }
      default:
        return undefined;
    }
  }

  // ---- expressions ----

  expr(e: A.Expr, env: Env | null, m: Module): LV {
    switch (e.kind) {
      case 'num': {
        const t = this.checker.types.get(e);
        const dtype: DType = t?.kind === 'tensor' ? t.dtype : e.isFloat ? 'f32' : 'i32';
        return tensorLV(this.b.scalar(e.value, dtype));
      }
      case 'bool':
        return tensorLV(this.b.scalar(e.value ? 1 : 0, 'bool'));
      case 'str':
        return { kind: 'str', value: e.value };
      case 'var': {
        const entry = find(env, e.name);
        if (!entry) throw new LowerError(e.span, `internal: '${e.name}' has no value`);
        return entry.lv;
      }
      case 'unary':
        return this.builtin(e.op === '-' ? 'neg' : 'logical_not', [e.arg], e, env, m);
      case 'binary': {
        // A decided comparison (of sizes, ranks or strings) is a constant; strings never reach the IR.
        const k = this.known(e, env);
        if (typeof k === 'boolean') return tensorLV(this.b.scalar(k ? 1 : 0, 'bool'));
        return this.builtin(BINARY[e.op], [e.left, e.right], e, env, m);
      }
      case 'call':
        return this.callExpr(e, env, m);
      case 'index':
        return this.index(e, env, m);
      case 'field': {
        const t = this.expr(e.target, env, m);
        if (t.kind !== 'record') throw new LowerError(e.span, 'internal: field of a non-record');
        return t.fields.find(([n]) => n === e.name.name)![1];
      }
      case 'tuple':
        return e.items.length === 0 ? { kind: 'unit' } : { kind: 'tuple', items: e.items.map((i) => this.expr(i, env, m)) };
      case 'array':
        return this.array(e, env, m);
      case 'record':
        return { kind: 'record', fields: e.fields.map((f) => [f.name.name, this.expr(f.value, env, m)] as const) };
      case 'update': {
        const t = this.expr(e.target, env, m);
        if (t.kind !== 'record') throw new LowerError(e.span, 'internal: update of a non-record');
        const updates = new Map(e.fields.map((f) => [f.name.name, this.expr(f.value, env, m)]));
        return { kind: 'record', fields: t.fields.map(([n, v]) => [n, updates.get(n) ?? v] as const) };
      }
      case 'let': {
        const v = this.expr(e.value, env, m);
        return this.expr(e.body, this.bindPattern(e.pattern, v, this.known(e.value, env), env), m);
      }
      case 'if':
        return this.ifExpr(e, env, m);
      case 'loop':
        return this.loop(e, env, m);
      case 'lambda':
        throw new LowerError(e.span, 'internal: a lambda outside tree.map');
    }
  }

  bindPattern(p: A.Pattern, v: LV, known: Known | undefined, env: Env | null): Env | null {
    if (p.kind === 'name') return p.name.name === '_' ? env : extend(env, p.name.name, { lv: v, ...opt(known) });
    if (v.kind !== 'tuple') throw new LowerError(p.span, 'internal: tuple pattern on a non-tuple');
    return p.items.reduce<Env | null>((acc, q, i) => this.bindPattern(q, v.items[i]!, Array.isArray(known) ? known[i] : undefined, acc), env);
  }

  private builtin(name: string, operands: readonly A.Expr[], e: A.Expr, env: Env | null, m: Module): LV {
    const lower = BUILTIN_LOWERING[name];
    if (!lower) throw new LowerError(e.span, `internal: no lowering for builtin '${name}'`);
    const vals = operands.map((x) => this.expr(x, env, m));
    const names = BUILTINS.get(name)!.params.map((p) => p.name);
    const args: LowerArgs = {
      get: (n) => vals[names.indexOf(n)],
      has: (n) => names.includes(n),
      known: (n) => {
        const i = names.indexOf(n);
        return i >= 0 ? this.known(operands[i]!, env) : undefined;
      },
      rest: [],
      span: e.span,
      result: this.checker.types.get(e),
    };
    return lower(this.b, args);
  }

  private callExpr(e: Extract<A.Expr, { kind: 'call' }>, env: Env | null, m: Module): LV {
    const target = this.checker.targets.get(e);
    if (!target) throw new LowerError(e.span, `internal: unresolved call to ${dottedName(e.callee) ?? 'an expression'}`);
    switch (target.kind) {
      case 'builtin': {
        const b = target.builtin;
        if (b.effect) throw new LowerError(e.span, `${b.name} has effects and runs only in host code`);
        const lower = BUILTIN_LOWERING[b.name];
        if (!lower) throw new LowerError(e.span, `internal: no lowering for builtin '${b.name}'`);
        const bound = bindArgs(b.params.map((p) => p.name), e.args, b.params.some((p) => p.variadic));
        const vals = new Map<string, A.Expr>(bound.named);
        const args: LowerArgs = {
          get: (n) => {
            const x = vals.get(n);
            return x ? this.expr(x, env, m) : undefined;
          },
          has: (n) => vals.has(n),
          known: (n) => {
            const x = vals.get(n);
            return x ? this.known(x, env) : undefined;
          },
          rest: bound.rest.map((x) => this.expr(x, env, m)),
          span: e.span,
          result: this.checker.types.get(e),
        };
        return lower(this.b, args);
      }
      case 'fn':
        return this.call(target.decl, target.module, this.argValues(target.decl, e.args, env, m), e.span);
      case 'grad':
      case 'value_and_grad':
        return this.grad(target.kind === 'value_and_grad', target.decl, target.module, e, env, m);
      case 'special': {
        const mapped = this.treeMap(e, env, m);
        if (target.name !== 'tree.sum') return mapped;
        const ids = leaves(mapped);
        return tensorLV(ids.slice(1).reduce((acc, x) => this.b.add('add', [acc, x]), ids[0]!));
      }
      case 'local': {
        const fn = this.fnValue(target.name, env, e.span);
        if (target.via === 'grad' || target.via === 'value_and_grad') {
          if (fn.kind !== 'decl') throw new LowerError(e.span, `${target.via} of a function literal is not supported; name the function`);
          return this.grad(target.via === 'value_and_grad', fn.decl, fn.module, e, env, m);
        }
        return this.applyFn(fn, e.args, env, m, e.span);
      }
    }
  }

  /** What a function parameter is bound to here. */
  private fnValue(name: string, env: Env | null, at: A.Span): FnValue {
    const v = find(env, name)?.lv;
    if (v?.kind !== 'fn') throw new LowerError(at, `internal: '${name}' is not bound to a function`);
    return v.fn;
  }

  /** Inlines a call of a function value: a declared function, or a literal in its own scope. */
  private applyFn(fn: FnValue, args: readonly A.Arg[], env: Env | null, m: Module, at: A.Span): LV {
    if (fn.kind === 'decl') return this.call(fn.decl, fn.module, this.argValues(fn.decl, args, env, m), at);
    const values = args.map((a) => this.expr(a.value, env, m));
    return this.applyLambda(fn, values);
  }

  private applyLambda(fn: Extract<FnValue, { kind: 'lambda' }>, values: readonly LV[]): LV {
    const inner = fn.lambda.params.reduce<Env | null>((acc, p, i) => extend(acc, p.name, { lv: values[i]! }), fn.env);
    return this.expr(fn.lambda.body, inner, fn.module);
  }

  /** The function an argument passes to a parameter of type fn. */
  private fnArgument(x: A.Expr, env: Env | null, m: Module): LV {
    if (x.kind === 'lambda') return { kind: 'fn', fn: { kind: 'lambda', lambda: x, env, module: m } };
    const target = this.checker.targets.get(x);
    if (target?.kind === 'fn') return { kind: 'fn', fn: { kind: 'decl', decl: target.decl, module: target.module } };
    if (target?.kind === 'local') return { kind: 'fn', fn: this.fnValue(target.name, env, x.span) };
    throw new LowerError(x.span, 'internal: a function argument that names no function');
  }

  private argValues(decl: A.FnDecl, args: readonly A.Arg[], env: Env | null, m: Module): Map<string, { lv: LV; known?: Known }> {
    const bound = bindArgs(decl.params.map((p) => p.name.name), args, false);
    const fnParams = new Set(decl.params.filter((p) => p.type?.kind === 'fn').map((p) => p.name.name));
    const out = new Map<string, { lv: LV; known?: Known }>();
    for (const [name, x] of bound.named)
      out.set(name, fnParams.has(name) ? { lv: this.fnArgument(x, env, m) } : { lv: this.expr(x, env, m), ...opt(this.known(x, env)) });
    return out;
  }

  private grad(withValue: boolean, decl: A.FnDecl, module: Module, e: Extract<A.Expr, { kind: 'call' }>, env: Env | null, m: Module): LV {
    const args = this.argValues(decl, e.args, env, m);
    const first = decl.params[0]!.name.name;
    const wrt = args.get(first)!;
    // Differentiate with respect to fresh copies, so uses of the same values elsewhere (another
    // argument, the caller) are not differentiated as well.
    const fresh = rebuild(wrt.lv, leaves(wrt.lv).map((id) => this.b.add('reshape', [id], { shape: this.b.type(id).shape })));
    args.set(first, { lv: fresh });
    const out = this.call(decl, module, args, e.span);
    // A function may return (loss, aux); only the loss is differentiated.
    const loss = out.kind === 'tuple' ? out.items[0]! : out;
    if (loss.kind !== 'tensor') throw new LowerError(e.span, 'internal: grad of a non-scalar');
    const grads = rebuild(fresh, vjp(this.b, loss.id, leaves(fresh)));
    if (withValue) return { kind: 'tuple', items: [out, grads] };
    return out.kind === 'tuple' ? { kind: 'tuple', items: [grads, out.items[1]!] } : grads;
  }

  private treeMap(e: Extract<A.Expr, { kind: 'call' }>, env: Env | null, m: Module): LV {
    const [f, ...trees] = e.args;
    const values = trees.map((t) => this.expr(t.value, env, m));
    const leaf = (xs: LV[]): LV => {
      if (f!.value.kind === 'lambda') {
        const lam = f!.value;
        const inner = lam.params.reduce<Env | null>((acc, p, i) => extend(acc, p.name, { lv: xs[i]! }), env);
        return this.expr(lam.body, inner, m);
      }
      let target = this.checker.targets.get(f!.value);
      if (target?.kind === 'local') {
        const fn = this.fnValue(target.name, env, f!.value.span);
        if (fn.kind === 'lambda') return this.applyLambda(fn, xs);
        target = { kind: 'fn', decl: fn.decl, module: fn.module };
      }
      if (target?.kind === 'fn') {
        const names = target.decl.params.map((p) => p.name.name);
        return this.call(target.decl, target.module, new Map(xs.map((x, i) => [names[i]!, { lv: x }])), e.span);
      }
      if (target?.kind === 'builtin') {
        const names = target.builtin.params.map((p) => p.name);
        return BUILTIN_LOWERING[target.builtin.name]!(this.b, {
          get: (n) => xs[names.indexOf(n)],
          has: (n) => names.indexOf(n) >= 0 && names.indexOf(n) < xs.length,
          known: () => undefined,
          rest: [],
          span: e.span,
          result: undefined,
        });
      }
      throw new LowerError(f!.value.span, 'internal: tree.map without a function');
    };
    const walk = (xs: LV[]): LV => {
      const x0 = xs[0]!;
      if (x0.kind === 'record') return { kind: 'record', fields: x0.fields.map(([n], i) => [n, walk(xs.map((x) => (x as typeof x0).fields.find(([k]) => k === n)?.[1] ?? (x as typeof x0).fields[i]![1]))] as const) };
      if (x0.kind === 'tuple') return { kind: 'tuple', items: x0.items.map((_, i) => walk(xs.map((x) => (x as typeof x0).items[i]!))) };
      return leaf(xs);
    };
    return walk(values);
  }

  private index(e: Extract<A.Expr, { kind: 'index' }>, env: Env | null, m: Module): LV {
    const t = this.expr(e.target, env, m);
    if (t.kind !== 'tensor') throw new LowerError(e.span, 'internal: index of a non-tensor');
    let id = t.id;
    const shape = this.b.type(id).shape;
    // Static slices first (one slice node), then indices from the last axis down so that the
    // axis numbers of the remaining ones do not move.
    const starts = shape.map(() => 0);
    const ends = [...shape];
    const picks: { axis: number; item: A.Expr }[] = [];
    e.items.forEach((item, axis) => {
      const d = shape[axis]!;
      if (item.kind === 'slice') {
        const lo = item.lo ? (this.known(item.lo, env) as number) : 0;
        const hi = item.hi ? (this.known(item.hi, env) as number) : d;
        starts[axis] = lo < 0 ? d + lo : lo;
        ends[axis] = hi < 0 ? d + hi : hi;
        if (!(0 <= starts[axis]! && starts[axis]! <= ends[axis]! && ends[axis]! <= d))
          throw new LowerError(item.span, `slice ${lo}:${hi} is out of range for dimension ${axis} of size ${d}`);
      } else picks.push({ axis, item: item.index });
    });
    if (starts.some((s, i) => s !== 0 || ends[i] !== shape[i])) id = this.b.add('slice', [id], { starts, ends });
    for (const { axis, item } of picks.reverse()) {
      const k = this.known(item, env);
      const d = this.b.type(id).shape[axis]!;
      if (typeof k === 'number') {
        const at = k < 0 ? d + k : k;
        if (at < 0 || at >= d) throw new LowerError(item.span, `index ${k} is out of range for dimension ${axis} of size ${d}`);
        id = this.b.add('gather', [id, this.b.scalar(at, 'i32')], { axis });
      } else {
        const i = this.expr(item, env, m);
        id = this.b.add('gather', [id, (i as { id: number }).id], { axis });
      }
    }
    return tensorLV(id);
  }

  private array(e: Extract<A.Expr, { kind: 'array' }>, env: Env | null, m: Module): LV {
    const t = this.checker.types.get(e);
    const dtype = t?.kind === 'tensor' ? t.dtype : undefined;
    const items = e.items.map((i) => {
      let id = (this.expr(i, env, m) as { id: number }).id;
      if (dtype && this.b.type(id).dtype !== dtype) id = this.b.add('cast', [id], { dtype });
      return this.b.add('reshape', [id], { shape: [1, ...this.b.type(id).shape] });
    });
    return tensorLV(items.length === 1 ? items[0]! : this.b.add('concat', items, { axis: 0 }));
  }

  private ifExpr(e: Extract<A.Expr, { kind: 'if' }>, env: Env | null, m: Module): LV {
    const k = this.known(e.cond, env);
    if (typeof k === 'boolean') return this.expr(k ? e.then : e.else, env, m);
    const c = (this.expr(e.cond, env, m) as { id: number }).id;
    // A literal branch takes the other's dtype: both are cast to the type the checker gave the if.
    const type = this.checker.types.get(e);
    const a = this.castLike(this.expr(e.then, env, m), type);
    const b = this.castLike(this.expr(e.else, env, m), type);
    const ids = leaves(a).map((x, i) => {
      const y = leaves(b)[i]!;
      const shape = this.b.type(x).shape.length >= this.b.type(y).shape.length ? this.b.type(x).shape : this.b.type(y).shape;
      return this.b.add('where', [this.b.broadcast(c, shape), this.b.broadcast(x, shape), this.b.broadcast(y, shape)]);
    });
    return rebuild(a, ids);
  }

  private loop(e: Extract<A.Expr, { kind: 'loop' }>, env: Env | null, m: Module): LV {
    const from = this.known(e.from, env);
    const to = this.known(e.to, env);
    if (typeof from !== 'number' || typeof to !== 'number')
      throw new LowerError(e.span, 'the trip count of a device loop must be known when the function is compiled (a literal, a size, or a parameter given a constant)');
    let state = this.expr(e.init, env, m);
    const initType = this.checker.types.get(e);
    for (let i = from; i < to; i++) {
      let inner = this.bindPattern(e.pattern, state, undefined, env);
      inner = extend(inner, e.index.name, { lv: tensorLV(this.b.scalar(i, 'i32')), known: i });
      state = this.castLike(this.expr(e.body, inner, m), initType);
    }
    return state;
  }

  /** Literals in a loop body may lower to another dtype than the state: cast them back. */
  private castLike(v: LV, t: T.Type | undefined): LV {
    if (t === undefined) return v;
    if (v.kind === 'tensor' && t.kind === 'tensor' && this.b.type(v.id).dtype !== t.dtype)
      return tensorLV(this.b.add('cast', [v.id], { dtype: t.dtype }));
    if (v.kind === 'tuple' && t.kind === 'tuple') return { kind: 'tuple', items: v.items.map((x, i) => this.castLike(x, t.items[i])) };
    if (v.kind === 'record' && t.kind === 'record')
      return { kind: 'record', fields: v.fields.map(([n, x]) => [n, this.castLike(x, t.fields.find((f) => f.name === n)?.type)] as const) };
    return v;
  }
}

const BINARY: Record<A.BinaryOp, string> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '**': 'pow', '@': 'matmul',
  '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', and: 'logical_and', or: 'logical_or',
};

const opt = (known: Known | undefined): { known?: Known } => (known === undefined ? {} : { known });

function knownBinary(op: A.BinaryOp, l: number, r: number, ints: boolean): Known | undefined {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return ints ? Math.floor(l / r) : l / r;
    case '%': return l - r * Math.floor(l / r);
    case '**': return l ** r;
    default: return compareValues(op, l, r) ?? undefined;
  }
}

/** Positional then keyword arguments, by parameter name (the checker has validated them). */
function bindArgs(params: readonly string[], args: readonly A.Arg[], variadic: boolean): { named: Map<string, A.Expr>; rest: A.Expr[] } {
  const named = new Map<string, A.Expr>();
  const rest: A.Expr[] = [];
  let pos = 0;
  for (const a of args) {
    if (a.name !== null) named.set(a.name.name, a.value);
    else if (variadic) rest.push(a.value);
    else named.set(params[pos++]!, a.value);
  }
  return { named, rest };
}

/** A graph for one function applied to arguments of the given types (the API's and host's entry). */
export function lowerFunction(checker: Checker, decl: A.FnDecl, module: Module, argTypes: readonly TType[][], argShapes: readonly LVShape[], known: ReadonlyMap<string, Known> = new Map()): { graph: Graph; output: LV } {
  const b = new Builder();
  const lowerer = new Lowerer(b, checker);
  let index = 0;
  const args = new Map<string, { lv: LV; known?: Known }>();
  decl.params.forEach((p, i) => {
    const shape = argShapes[i];
    if (shape === undefined) return;
    const ids = argTypes[i]!.map((t) => b.input(t, index++, p.name.name));
    args.set(p.name.name, { lv: rebuildShape(shape, ids), ...opt(known.get(p.name.name)) });
  });
  for (const [k, v] of known) if (!args.has(k)) args.set(k, { lv: { kind: 'unit' }, known: v });
  const output = lowerer.call(decl, module, args, decl.span);
  return { graph: b.graph(decl.name.name, leaves(output)), output };
}

/** The structure of a value without its ids: what the host passes to lowerFunction. */
export type LVShape = 'tensor' | { readonly tuple: readonly LVShape[] } | { readonly record: readonly (readonly [string, LVShape])[] };

function rebuildShape(s: LVShape, ids: readonly number[]): LV {
  let k = 0;
  const go = (x: LVShape): LV => {
    if (x === 'tensor') return tensorLV(ids[k++]!);
    if ('tuple' in x) return { kind: 'tuple', items: x.tuple.map(go) };
    return { kind: 'record', fields: x.record.map(([n, f]) => [n, go(f)] as const) };
  };
  return go(s);
}
