// The host interpreter: runs host functions (bodies in { … }) statement by statement. Each pure
// expression it meets is lowered to a tensor-IR graph (cached by its input types) and run on the
// backend; effects — printing, files, data — happen here, between graphs.
import type * as A from '../../compiler/syntax/ast.ts';
import type { Checker } from '../../compiler/check/checker.ts';
import type { Module } from '../../compiler/check/module.ts';
import { Builder, type Graph, type TType } from '../../compiler/ir/graph.ts';
import * as S from '../../compiler/check/size.ts';
import * as T from '../../compiler/check/types.ts';
import { collectDims, solve } from '../../compiler/check/unify.ts';
import { extend, leaves, LowerError, Lowerer, type Env, type Known, type LV } from '../../compiler/ir/lower.ts';
import { simplify } from '../../compiler/transform/simplify.ts';
import type { Backend } from '../backend.ts';
import type { Tensor, TensorData } from '../interp/ops/tensor.ts';
import { RankAbortedError } from '../dist/shared_memory.ts';
import { SOLO, type Comm } from './comm.ts';
import { EFFECTS, type EffectContext } from './effects.ts';
import { Progress } from './progress.ts';
import { formatValue, hostTensor, tensorsOf, UNIT, type HostValue } from './value.ts';

/** A failure while running, at a place in the source: printed as one `file:line:col: error:` line. */
export class RunError extends Error {
  constructor(readonly span: A.Span, message: string) {
    super(message);
  }
}

export interface RunOptions {
  readonly backend: Backend;
  /** Fail at the first NaN or infinity a host-level computation produces. */
  readonly checkNan?: boolean;
  readonly print?: (line: string) => void;
  /** Where log_metrics appends its JSON lines, if anywhere. */
  readonly metricsFile?: string;
  /** Where the progress bar is drawn (stderr by default). */
  readonly progressStream?: NodeJS.WritableStream;
  /** This program's place among data-parallel ranks (`muc run --ranks N`); rank 0 of 1 by default. */
  readonly comm?: Comm;
}

interface Cell {
  value: HostValue;
  readonly known?: Known;
}

/** Host scopes: mutable cells (for `var`) in an immutable chain. */
interface HostEnv {
  readonly name: string;
  readonly cell: Cell;
  readonly parent: HostEnv | null;
}

const bindHost = (parent: HostEnv | null, name: string, cell: Cell): HostEnv => ({ name, cell, parent });
function lookupHost(env: HostEnv | null, name: string): Cell | undefined {
  for (let e = env; e !== null; e = e.parent) if (e.name === name) return e.cell;
  return undefined;
}

class Return {
  constructor(readonly value: HostValue) {}
}

interface Compiled {
  readonly graph: Graph;
  readonly output: LV;
}

/**
 * What lowering host code produced, kept across runs: the graph of each pure expression and call
 * by the types of the values it reads, and facts about expressions. A program's calls share one,
 * so calling a function again does not lower and simplify it again.
 */
export class GraphCache {
  readonly exprs = new WeakMap<A.Expr, Map<string, Compiled>>();
  readonly calls = new WeakMap<A.FnDecl, Map<string, Compiled>>();
  readonly names = new WeakMap<A.Expr, string[]>();
  readonly pure = new WeakMap<A.Expr, boolean | 'depends'>();
}

export class HostRunner {
  private readonly cache: WeakMap<A.Expr, Map<string, Compiled>>;
  private readonly callCache: WeakMap<A.FnDecl, Map<string, Compiled>>;
  private readonly namesMemo: WeakMap<A.Expr, string[]>;
  private readonly pureMemo: WeakMap<A.Expr, boolean | 'depends'>;
  private readonly effects: EffectContext;
  /** Arrays that this runner's graph runs made (the only ones it may give back to the backend). */
  private readonly owned = new WeakSet<TensorData>();

  constructor(
    private readonly checker: Checker,
    private readonly opts: RunOptions,
    graphs: GraphCache = new GraphCache(),
  ) {
    this.cache = graphs.exprs;
    this.callCache = graphs.calls;
    this.namesMemo = graphs.names;
    this.pureMemo = graphs.pure;
    this.effects = {
      print: opts.print ?? ((l) => process.stdout.write(l + '\n')),
      metricsFile: opts.metricsFile ?? null,
      progress: new Progress(opts.progressStream),
      comm: opts.comm ?? SOLO,
      started: performance.now(),
    };
  }

  /** Runs a host function with its arguments bound by parameter name. */
  async runFn(decl: A.FnDecl, module: Module, args: ReadonlyMap<string, HostValue>, at: A.Span = decl.span): Promise<HostValue> {
    if (decl.body.kind === 'expr') return this.computeCall(decl, module, args, at);
    let env: HostEnv | null = null;
    for (const [k, v] of this.sizes(decl, module, args, at)) env = bindHost(env, k, { value: hostTensor({ dtype: 'i32', shape: [], data: Int32Array.of(v) }), known: v });
    for (const p of decl.params) {
      const v = args.get(p.name.name);
      if (v !== undefined) env = bindHost(env, p.name.name, { value: v });
      else if (p.default) {
        // A literal default is known when lowering, like a size (a loop's trip count, say).
        const known = p.default.kind === 'num' || p.default.kind === 'bool' ? p.default.value : undefined;
        env = bindHost(env, p.name.name, { value: await this.expr(p.default, env, module), ...(known === undefined ? {} : { known }) });
      }
    }
    try {
      await this.block(decl.body.stmts, env, module);
    } catch (e) {
      if (e instanceof Return) return e.value;
      throw e;
    }
    return UNIT;
  }

  /**
   * Hands the backend the arrays of values that died — a variable's old value, a block's names —
   * where this runner's graphs made them and nothing still reachable from `env` (the names in
   * scope, a function's parameters among them) holds them. Values a caller holds reach a
   * function only through its parameters, so they are never given back.
   */
  private release(dead: readonly HostValue[], env: HostEnv | null): void {
    if (!this.opts.backend.release) return;
    const candidates = dead.flatMap(tensorsOf).filter((t) => this.owned.has(t.data));
    if (candidates.length === 0) return;
    const live = new Set<ArrayBufferLike>();
    for (let e = env; e !== null; e = e.parent) for (const t of tensorsOf(e.cell.value)) live.add(t.data.buffer);
    const free = new Map<TensorData, Tensor>();
    for (const t of candidates) if (!live.has(t.data.buffer)) free.set(t.data, t);
    for (const data of free.keys()) this.owned.delete(data);
    if (free.size > 0) this.opts.backend.release([...free.values()]);
  }

  /** Ends what outlives a call: the progress bar. */
  close(): void {
    this.effects.progress.stop();
  }

  /** The function's size variables, from the shapes of its arguments. */
  private sizes(decl: A.FnDecl, module: Module, args: ReadonlyMap<string, HostValue>, at: A.Span): Map<string, number> {
    const sig = this.checker.signature(decl, module);
    const pairs: [S.Size, S.Size, string][] = [];
    const given = new Map<string, S.Size>();
    for (const [name, v] of args) {
      if (sig.sizeParams.includes(name) && v.kind === 'tensor') given.set(name, S.constant(v.value.data[0]!));
      const p = sig.params.find((x) => x.name === name);
      if (!p || p.type.kind === 'fn') continue;
      const r = collectDims(p.type, typeOf(v), name);
      if (!('pairs' in r)) throw new RunError(at, `argument '${name}' of '${decl.name.name}': ${r.message}`);
      pairs.push(...r.pairs);
    }
    const solved = solve(pairs, new Set(sig.sizeParams), given);
    if (!solved.ok) throw new RunError(at, `in the call to '${decl.name.name}': ${solved.message}`);
    return new Map([...solved.env].map(([k, v]) => [k, S.constValue(v)!]));
  }

  // ---- statements ----

  private async block(stmts: readonly A.Stmt[], env0: HostEnv | null, m: Module): Promise<void> {
    let env = env0;
    for (const st of stmts) env = await this.stmt(st, env, m);
    // The block's own names end here (a return or an error leaves them alone).
    if (!this.opts.backend.release) return;
    const local: HostValue[] = [];
    for (let e = env; e !== null && e !== env0; e = e.parent) local.push(e.cell.value);
    this.release(local, env0);
  }

  private async stmt(st: A.Stmt, env: HostEnv | null, m: Module): Promise<HostEnv | null> {
    switch (st.kind) {
      case 'let':
        return this.bindPattern(st.pattern, await this.expr(st.value, env, m), env);
      case 'var':
        return bindHost(env, st.name.name, { value: await this.expr(st.value, env, m) });
      case 'assign': {
        const v = await this.expr(st.value, env, m);
        const parts = st.tuple && v.kind === 'tuple' ? v.items : [v];
        const old = st.targets.map((t) => lookupHost(env, t.name)!.value);
        st.targets.forEach((t, i) => (lookupHost(env, t.name)!.value = parts[i]!));
        this.release(old, env);
        return env;
      }
      case 'for': {
        const from = scalarOf(await this.expr(st.from, env, m));
        const to = scalarOf(await this.expr(st.to, env, m));
        for (let i = from; i < to; i++)
          await this.block(st.body, bindHost(env, st.index.name, { value: hostTensor({ dtype: 'i32', shape: [], data: Int32Array.of(i) }) }), m);
        return env;
      }
      case 'if': {
        const c = scalarOf(await this.expr(st.cond, env, m));
        if (c) await this.block(st.then, env, m);
        else if (st.else) await this.block(st.else, env, m);
        return env;
      }
      case 'return':
        throw new Return(await this.expr(st.value, env, m));
      case 'expr':
        await this.expr(st.expr, env, m);
        return env;
    }
  }

  private bindPattern(p: A.Pattern, v: HostValue, env: HostEnv | null): HostEnv | null {
    if (p.kind === 'name') return p.name.name === '_' ? env : bindHost(env, p.name.name, { value: v });
    const items = v.kind === 'tuple' ? v.items : [];
    return p.items.reduce<HostEnv | null>((acc, q, i) => this.bindPattern(q, items[i]!, acc), env);
  }

  // ---- expressions ----

  async expr(e: A.Expr, env: HostEnv | null, m: Module): Promise<HostValue> {
    // A variable is its value: no graph, and host objects (a Text) never enter one.
    if (e.kind === 'var') {
      const cell = lookupHost(env, e.name);
      if (cell) return cell.value;
    }
    if (e.kind === 'str') return { kind: 'str', value: e.value };
    if (this.isPure(e, env)) return this.compute(e, env, m);
    switch (e.kind) {
      case 'call':
        return this.call(e, env, m);
      case 'let': {
        const v = await this.expr(e.value, env, m);
        return this.expr(e.body, this.bindPattern(e.pattern, v, env), m);
      }
      case 'if':
        return scalarOf(await this.expr(e.cond, env, m)) ? this.expr(e.then, env, m) : this.expr(e.else, env, m);
      case 'tuple':
        return { kind: 'tuple', items: await this.all(e.items, env, m) };
      case 'record': {
        const values = await this.all(e.fields.map((f) => f.value), env, m);
        return { kind: 'record', fields: e.fields.map((f, i) => [f.name.name, values[i]!] as const) };
      }
      case 'field': {
        const t = await this.expr(e.target, env, m);
        return t.kind === 'record' ? t.fields.find(([n]) => n === e.name.name)![1] : UNIT;
      }
      case 'unary':
      case 'binary': {
        // An operator on effects (`comm.size() > 1`): run the operands, then the operator on
        // their values, bound to fresh names, as a pure call's arguments are.
        const operands = e.kind === 'unary' ? [e.arg] : [e.left, e.right];
        let inner = env;
        const vars: A.Expr[] = [];
        for (const [i, x] of operands.entries()) {
          inner = bindHost(inner, `%op${i}`, { value: await this.expr(x, env, m) });
          vars.push({ kind: 'var', name: `%op${i}`, span: x.span });
        }
        const op: A.Expr = e.kind === 'unary' ? { ...e, arg: vars[0]! } : { ...e, left: vars[0]!, right: vars[1]! };
        const t = this.checker.types.get(e);
        if (t) this.checker.types.set(op, t);
        operands.forEach((x, i) => {
          const xt = this.checker.types.get(x);
          if (xt) this.checker.types.set(vars[i]!, xt);
        });
        return this.compute(op, inner, m);
      }
      default:
        throw new RunError(e.span, 'effects are allowed here only in calls, operators, let, if, tuples and records');
    }
  }

  private async all(es: readonly A.Expr[], env: HostEnv | null, m: Module): Promise<HostValue[]> {
    const out: HostValue[] = [];
    for (const x of es) out.push(await this.expr(x, env, m));
    return out;
  }

  private async call(e: Extract<A.Expr, { kind: 'call' }>, env: HostEnv | null, m: Module): Promise<HostValue> {
    const target = this.checker.targets.get(e);
    if (target?.kind === 'builtin' && target.builtin.effect) {
      const effect = EFFECTS[target.builtin.name];
      if (!effect) throw new RunError(e.span, `internal: no host implementation of ${target.builtin.name}`);
      const params = target.builtin.params;
      const named = new Map<string, HostValue>();
      const rest: HostValue[] = [];
      let pos = 0;
      for (const a of e.args) {
        const v = await this.expr(a.value, env, m);
        if (a.name) named.set(a.name.name, v);
        else if (params[pos]?.variadic) rest.push(v);
        else named.set(params[pos++]!.name, v);
      }
      try {
        return await effect({ get: (n) => named.get(n), rest }, this.effects);
      } catch (err) {
        // Another rank's failure stays what it is, so that the run reports that rank's error.
        if (err instanceof RunError || err instanceof RankAbortedError) throw err;
        throw new RunError(e.span, err instanceof Error ? err.message : String(err));
      }
    }
    // A function parameter called directly; grad(f)(…) of one is a pure call, below.
    const fn = target?.kind === 'fn' ? target : target?.kind === 'local' && target.via === 'call' ? this.fnOf(lookupHost(env, target.name)?.value, e.span) : null;
    if (fn) {
      const args = new Map<string, HostValue>();
      const names = fn.decl.params.map((p) => p.name.name);
      const fnParams = new Set(fn.decl.params.filter((p) => p.type?.kind === 'fn').map((p) => p.name.name));
      let pos = 0;
      for (const a of e.args) {
        const name = a.name ? a.name.name : names[pos++]!;
        args.set(name, fnParams.has(name) ? this.fnArgument(a.value, env) : await this.expr(a.value, env, m));
      }
      return this.runFn(fn.decl, fn.module, args, e.span);
    }
    // A pure call (a builtin, a pure function) whose arguments have effects: run the arguments
    // here, then the call on their values, bound to fresh names.
    let inner = env;
    const bound: A.Arg[] = [];
    for (const [i, a] of e.args.entries()) {
      const name = `%arg${i}`;
      inner = bindHost(inner, name, { value: await this.expr(a.value, env, m) });
      bound.push({ name: a.name, value: { kind: 'var', name, span: a.value.span } });
    }
    const call: A.Expr = { ...e, args: bound };
    if (target) this.checker.targets.set(call, target);
    const t = this.checker.types.get(e);
    if (t) this.checker.types.set(call, t);
    return this.compute(call, inner, m);
  }

  private fnOf(v: HostValue | undefined, at: A.Span): { decl: A.FnDecl; module: Module } {
    if (v?.kind !== 'fn') throw new RunError(at, 'internal: a function parameter bound to no function');
    return v;
  }

  /** The function an argument names, for a parameter of type fn (host code passes names only). */
  private fnArgument(x: A.Expr, env: HostEnv | null): HostValue {
    const target = this.checker.targets.get(x);
    if (target?.kind === 'fn') return { kind: 'fn', decl: target.decl, module: target.module };
    if (target?.kind === 'local') {
      const f = this.fnOf(lookupHost(env, target.name)?.value, x.span);
      return { kind: 'fn', decl: f.decl, module: f.module };
    }
    throw new RunError(x.span, 'internal: a function argument that names no function');
  }

  /**
   * Whether an expression has no effects anywhere inside: then it compiles to one graph. A call of
   * a function parameter is pure when what the parameter is bound to here is a pure function.
   */
  private isPure(e: A.Expr, env: HostEnv | null): boolean {
    const memo = this.pureMemo.get(e);
    if (memo !== undefined && memo !== 'depends') return memo;
    const target = e.kind === 'call' ? this.checker.targets.get(e) : undefined;
    let depends = false;
    let pure = !((target?.kind === 'builtin' && target.builtin.effect) || (target?.kind === 'fn' && target.decl.body.kind === 'block'));
    if (target?.kind === 'local' && target.via === 'call') {
      depends = true;
      const v = lookupHost(env, target.name)?.value;
      if (v?.kind === 'fn' && v.decl.body.kind === 'block') pure = false;
    }
    for (const c of children(e)) {
      if (!this.isPure(c, env)) pure = false;
      if (this.pureMemo.get(c) === 'depends') depends = true;
    }
    this.pureMemo.set(e, depends ? 'depends' : pure);
    return pure;
  }

  /** The names an expression reads, computed once per expression (host loops evaluate it often). */
  private namesIn(e: A.Expr): string[] {
    let names = this.namesMemo.get(e);
    if (!names) this.namesMemo.set(e, (names = [...new Set(varNames(e))]));
    return names;
  }

  /** Lowers a pure expression over the host values it reads, runs it, and returns its value. */
  private async compute(e: A.Expr, env: HostEnv | null, m: Module): Promise<HostValue> {
    const used = this.namesIn(e).flatMap((n) => {
      const cell = lookupHost(env, n);
      return cell ? [[n, cell] as const] : [];
    });
    const inputs = used.flatMap(([, c]) => tensorsOf(c.value));
    const key = used.map(([n, c]) => `${n}:${signature(c.value)}:${c.known ?? ''}`).join(';');
    let byKey = this.cache.get(e);
    if (!byKey) this.cache.set(e, (byKey = new Map()));
    let compiled = byKey.get(key);
    if (!compiled) {
      compiled = this.lower(e, used, m);
      byKey.set(key, compiled);
    }
    return this.execute(compiled, inputs, e.span);
  }

  /** A pure function applied to host values: one graph per argument types, as `lowerFunction`. */
  private async computeCall(decl: A.FnDecl, module: Module, args: ReadonlyMap<string, HostValue>, at: A.Span): Promise<HostValue> {
    const named = [...args].sort(([a], [b]) => (a < b ? -1 : 1));
    // Sizes given by keyword (`n = 4`) are compile-time values: part of the key, not inputs.
    const sizeParams = this.checker.signature(decl, module).sizeParams;
    const sizeOf = (n: string, v: HostValue) => (sizeParams.includes(n) && v.kind === 'tensor' ? Number(v.value.data[0]) : undefined);
    const key = named.map(([n, v]) => `${n}:${signature(v)}=${sizeOf(n, v) ?? ''}`).join(';');
    let byKey = this.callCache.get(decl);
    if (!byKey) this.callCache.set(decl, (byKey = new Map()));
    let compiled = byKey.get(key);
    if (!compiled) {
      const b = new Builder();
      let index = 0;
      const lvArgs = new Map(
        named.map(([n, v]) => {
          const size = sizeOf(n, v);
          return [n, size === undefined ? { lv: toLV(v, (t) => b.input(t, index++, n)) } : { lv: { kind: 'unit' } as LV, known: size }];
        }),
      );
      try {
        const output = new Lowerer(b, this.checker).call(decl, module, lvArgs, at);
        compiled = { graph: simplify(b.graph(decl.name.name, leaves(output))), output };
      } catch (err) {
        if (err instanceof LowerError) throw new RunError(err.span, err.message);
        throw err;
      }
      byKey.set(key, compiled);
    }
    return this.execute(compiled, named.flatMap(([n, v]) => (sizeOf(n, v) === undefined ? tensorsOf(v) : [])), at);
  }

  private async execute(compiled: Compiled, inputs: readonly Tensor[], at: A.Span): Promise<HostValue> {
    let outputs: Tensor[];
    try {
      outputs = await this.opts.backend.run(compiled.graph, inputs);
    } catch (err) {
      throw new RunError(at, err instanceof Error ? err.message : String(err));
    }
    if (this.opts.backend.release) {
      const given = new Set(inputs.map((t) => t.data.buffer));
      for (const t of outputs) if (!given.has(t.data.buffer)) this.owned.add(t.data);
    }
    if (this.opts.checkNan) {
      const bad = outputs.find((t) => t.dtype === 'f32' && t.data.some((x) => !Number.isFinite(x)));
      if (bad) throw new RunError(at, `this value has a NaN or infinity (--check-nan): ${formatValue(hostTensor(bad))}`);
    }
    return toHost(compiled.output, outputs);
  }

  private lower(e: A.Expr, used: readonly (readonly [string, Cell])[], m: Module): Compiled {
    const b = new Builder();
    const lowerer = new Lowerer(b, this.checker);
    let env: Env | null = null;
    let index = 0;
    for (const [name, cell] of used) {
      const lv = toLV(cell.value, (t) => b.input(t, index++, name));
      env = extend(env, name, cell.known === undefined ? { lv } : { lv, known: cell.known });
    }
    try {
      const output = lowerer.expr(e, env, m);
      return { graph: simplify(b.graph('host', leaves(output))), output };
    } catch (err) {
      if (err instanceof LowerError) throw new RunError(err.span, err.message);
      throw err;
    }
  }
}

/** The graph's outputs in the structure of the lowered value (strings pass through). */
function toHost(lv: LV, outputs: readonly Tensor[]): HostValue {
  let k = 0;
  const go = (v: LV): HostValue => {
    switch (v.kind) {
      case 'tensor':
        return hostTensor(outputs[k++]!);
      case 'tuple':
        return { kind: 'tuple', items: v.items.map(go) };
      case 'record':
        return { kind: 'record', fields: v.fields.map(([n, f]) => [n, go(f)] as const) };
      case 'str':
        return { kind: 'str', value: v.value };
      case 'unit':
        return UNIT;
      case 'fn':
        if (v.fn.kind !== 'decl') throw new Error('internal: a function literal cannot leave a graph');
        return { kind: 'fn', decl: v.fn.decl, module: v.fn.module };
    }
  };
  return go(lv);
}

/** A host value as a lowered value whose tensors are new graph inputs. */
export function toLV(v: HostValue, input: (t: TType) => number): LV {
  switch (v.kind) {
    case 'tensor':
      return { kind: 'tensor', id: input({ dtype: v.value.dtype, shape: v.value.shape }) };
    case 'tuple':
      return { kind: 'tuple', items: v.items.map((x) => toLV(x, input)) };
    case 'record':
      return { kind: 'record', fields: v.fields.map(([n, f]) => [n, toLV(f, input)] as const) };
    case 'str':
      return { kind: 'str', value: v.value };
    case 'fn':
      return { kind: 'fn', fn: { kind: 'decl', decl: v.decl, module: v.module } };
    default:
      return { kind: 'unit' };
  }
}

function signature(v: HostValue): string {
  switch (v.kind) {
    case 'tensor':
      return `${v.value.dtype}[${v.value.shape.join(',')}]`;
    case 'tuple':
      return `(${v.items.map(signature).join(',')})`;
    case 'record':
      return `{${v.fields.map(([n, f]) => `${n}:${signature(f)}`).join(',')}}`;
    case 'str':
      return JSON.stringify(v.value);
    case 'fn':
      return `${v.module.file}#${v.decl.name.name}`;
    default:
      return v.kind;
  }
}

export function scalarOf(v: HostValue): number {
  if (v.kind !== 'tensor' || v.value.data.length !== 1) throw new Error('expected a scalar');
  return v.value.data[0]!;
}

function children(e: A.Expr): A.Expr[] {
  switch (e.kind) {
    case 'unary':
      return [e.arg];
    case 'binary':
      return [e.left, e.right];
    case 'call':
      return [e.callee, ...e.args.map((a) => a.value)];
    case 'index':
      return [e.target, ...e.items.flatMap((i) => (i.kind === 'at' ? [i.index] : [i.lo, i.hi].filter((x): x is A.Expr => x !== null)))];
    case 'field':
      return [e.target];
    case 'tuple':
    case 'array':
      return [...e.items];
    case 'record':
      return e.fields.map((f) => f.value);
    case 'update':
      return [e.target, ...e.fields.map((f) => f.value)];
    case 'let':
      return [e.value, e.body];
    case 'if':
      return [e.cond, e.then, e.else];
    case 'loop':
      return [e.init, e.from, e.to, e.body];
    case 'lambda':
      return [e.body];
    default:
      return [];
  }
}

function varNames(e: A.Expr): string[] {
  return e.kind === 'var' ? [e.name] : children(e).flatMap(varNames);
}

/** The checker's type of a host value, with constant sizes. */
export function typeOf(v: HostValue): T.Type {
  switch (v.kind) {
    case 'tensor':
      return T.tensor(v.value.dtype, v.value.shape.map(S.constant));
    case 'tuple':
      return T.tuple(v.items.map(typeOf));
    case 'record':
      return { kind: 'record', fields: v.fields.map(([name, f]) => ({ name, type: typeOf(f) })) };
    case 'str':
      return T.STR;
    case 'opaque':
      return { kind: 'opaque', name: v.name };
    default:
      return T.UNIT;
  }
}
