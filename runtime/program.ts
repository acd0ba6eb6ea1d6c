// The TypeScript API: compile a `.mu` source, call its functions with tensors (or numbers, or
// nested records and arrays of them) on a chosen backend, and get tensors back.
import { readFileSync } from 'node:fs';
import type * as A from '../compiler/syntax/ast.ts';
import { checkSource, fsLoader, type CheckResult, type Loader } from '../compiler/check/program.ts';
import type { Module } from '../compiler/check/module.ts';
import * as S from '../compiler/check/size.ts';
import * as T from '../compiler/check/types.ts';
import { renderDiagnostic } from '../compiler/diag/render.ts';
import type { Diagnostic } from '../compiler/diag/diagnostic.ts';
import { lineCol } from '../compiler/diag/diagnostic.ts';
import { Builder, printGraph, type Graph } from '../compiler/ir/graph.ts';
import type { Static } from '../compiler/builtins/builtin.ts';
import { extend, leaves, LowerError, Lowerer, type Env } from '../compiler/ir/lower.ts';
import { simplify } from '../compiler/transform/simplify.ts';
import { BACKENDS, type Backend } from './backend.ts';
import type { Tensor } from './interp/ops/tensor.ts';
import { GraphCache, HostRunner, RunError, toLV, typeOf, type RunOptions } from './host/run.ts';
import { hostTensor, UNIT, type HostValue } from './host/value.ts';

export type { Tensor };

/** What the API takes and gives: tensors, scalars, strings, and arrays (tuples) or objects (records) of them. */
export type Value = Tensor | number | boolean | string | readonly Value[] | { readonly [k: string]: Value } | undefined;

export class CompileError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly sources: ReadonlyMap<string, string>,
  ) {
    super(diagnostics.map((d) => renderDiagnostic(d, sources)).join('\n'));
  }
}

/** A run-time failure with its place in the source, as `file:line:col: error: message`. */
export class MuRuntimeError extends Error {
  constructor(
    readonly location: string,
    readonly detail: string,
  ) {
    super(`${location}: error: ${detail}`);
  }
}

export interface CompileOptions {
  /** The name diagnostics use for the source; imports resolve beside it. */
  readonly file?: string;
  readonly backend?: string | Backend;
  readonly loader?: Loader;
  /** Data-parallel ranks the program will run on (shard shapes depend on it); 1 by default. */
  readonly ranks?: number;
}

export function compile(source: string, opts: CompileOptions = {}): MuProgram {
  const result = checkSource(source, opts.file ?? '<source>', opts.loader ?? fsLoader, { ranks: opts.ranks ?? 1 });
  if (result.diagnostics.length > 0 || result.module === null) throw new CompileError(result.diagnostics, result.sources);
  return new MuProgram(result, backendOf(opts.backend));
}

export function compileFile(path: string, opts: Omit<CompileOptions, 'file'> = {}): MuProgram {
  return compile(readFileSync(path, 'utf8'), { ...opts, file: path });
}

function backendOf(b: string | Backend | undefined): Backend {
  if (b === undefined) return BACKENDS['interp']!;
  if (typeof b !== 'string') return b;
  const found = BACKENDS[b];
  if (!found) throw new Error(`unknown backend '${b}' (available: ${Object.keys(BACKENDS).join(', ')})`);
  return found;
}

export class MuProgram {
  private readonly module: Module;
  /** Lowered graphs, shared by every call (the backend caches what it compiled from them). */
  private readonly graphs = new GraphCache();

  constructor(
    readonly checked: CheckResult,
    readonly backend: Backend,
  ) {
    this.module = checked.module!;
  }

  /** The names of the functions the file declares. */
  get functions(): string[] {
    return [...this.module.fns.keys()];
  }

  private decl(name: string): A.FnDecl {
    const d = this.module.fns.get(name);
    if (!d) throw new Error(`no function '${name}' (the file declares: ${this.functions.join(', ')})`);
    return d;
  }

  /** Calls a function: positional arguments, then an optional object of keyword arguments via callWith. */
  async call(name: string, ...args: Value[]): Promise<Value> {
    const decl = this.decl(name);
    return this.callWith(name, Object.fromEntries(decl.params.slice(0, args.length).map((p, i) => [p.name.name, args[i]])));
  }

  async callWith(name: string, args: Readonly<Record<string, Value>>, opts: Partial<RunOptions> = {}): Promise<Value> {
    const decl = this.decl(name);
    const sig = this.checked.checker.signature(decl, this.module);
    const bound = new Map<string, HostValue>();
    for (const [k, v] of Object.entries(args)) {
      if (v === undefined) continue;
      const p = sig.params.find((x) => x.name === k);
      const type = p?.type ?? (sig.sizeParams.includes(k) ? T.i32() : undefined);
      if (!type) throw new Error(`'${name}' has no parameter '${k}'`);
      bound.set(k, toHost(v, type, `${name}(${k})`));
    }
    // A generic entry point is checked here, for the types it is called with.
    const statics = new Map([...bound].flatMap(([k, v]) => (v.kind === 'str' ? [[k, { kind: 'str', value: v.value } as const]] : [])));
    const problems = this.checked.checker.instantiate(decl, this.module, new Map([...bound].map(([k, v]) => [k, typeOf(v)])), statics);
    if (problems.length > 0) throw new CompileError(problems, this.checked.sources);
    const runner = new HostRunner(this.checked.checker, { backend: this.backend, ...opts }, this.graphs);
    try {
      return fromHost(await runner.runFn(decl, this.module, bound));
    } catch (err) {
      throw this.runtimeError(err);
    } finally {
      runner.close();
    }
  }

  /** Runs `main`, as `muc run` does; `args` are its parameters as text (`muc run --arg steps=10`). */
  async main(opts: Partial<RunOptions> = {}, args: Readonly<Record<string, string>> = {}): Promise<void> {
    const decl = this.decl('main');
    const sig = this.checked.checker.signature(decl, this.module);
    const values: Record<string, Value> = {};
    for (const [name, text] of Object.entries(args)) {
      const p = sig.params.find((x) => x.name === name);
      if (!p) {
        const known = sig.params.map((x) => x.name);
        throw new Error(`main has no parameter '${name}' (${known.length > 0 ? `its parameters: ${known.join(', ')}` : 'it takes none'})`);
      }
      values[name] = parseArg(name, text, p.type);
    }
    await this.callWith('main', values, opts);
  }

  /** The tensor IR of a function applied to arguments like these (only their types matter). */
  ir(name: string, ...args: Value[]): string {
    return printGraph(this.graph(name, ...args));
  }

  graph(name: string, ...args: Value[]): Graph {
    const decl = this.decl(name);
    const sig = this.checked.checker.signature(decl, this.module);
    const b = new Builder();
    let env: Env | null = null;
    let index = 0;
    const types = new Map<string, T.Type>();
    const statics = new Map<string, Static>();
    decl.params.forEach((p, i) => {
      if (args[i] === undefined) return;
      const v = toHost(args[i]!, sig.params[i]!.type, `${name}(${p.name.name})`);
      types.set(p.name.name, typeOf(v));
      if (v.kind === 'str') statics.set(p.name.name, { kind: 'str', value: v.value });
      env = extend(env, p.name.name, { lv: toLV(v, (t) => b.input(t, index++, p.name.name)) });
    });
    const problems = this.checked.checker.instantiate(decl, this.module, types, statics);
    if (problems.length > 0) throw new CompileError(problems, this.checked.sources);
    const call: A.Expr = {
      kind: 'call',
      callee: { kind: 'var', name, span: decl.name.span },
      args: decl.params.slice(0, args.length).map((p) => ({ name: null, value: { kind: 'var', name: p.name.name, span: p.span } })),
      span: decl.span,
    };
    this.checked.checker.targets.set(call, { kind: 'fn', decl, module: this.module });
    try {
      const out = new Lowerer(b, this.checked.checker).expr(call, env, this.module);
      return simplify(b.graph(name, leaves(out)));
    } catch (err) {
      throw this.runtimeError(err instanceof LowerError ? new RunError(err.span, err.message) : err);
    }
  }

  private runtimeError(err: unknown): Error {
    if (err instanceof RunError) {
      const text = this.checked.sources.get(err.span.file) ?? '';
      const { line, col } = lineCol(text, err.span.start);
      return new MuRuntimeError(`${err.span.file}:${line}:${col}`, err.message);
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

function isTensor(v: Value): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dtype' in v && 'data' in v && ArrayBuffer.isView((v as Tensor).data);
}

/** An API value as a host value of the parameter's type. */
function toHost(v: Value, type: T.Type, where: string): HostValue {
  const bad = () => new Error(`${where}: expected ${T.show(type)}`);
  switch (type.kind) {
    case 'typevar':
      // A type parameter takes the value's own type: a number is an f32 scalar.
      return toHost(v, typeOfValue(v, where), where);
    case 'tensor': {
      if (typeof v === 'number' || typeof v === 'boolean') {
        const x = Number(v);
        const data = type.dtype === 'f32' ? Float32Array.of(x) : type.dtype === 'i32' ? Int32Array.of(x) : Uint8Array.of(x ? 1 : 0);
        return hostTensor({ dtype: type.dtype, shape: [], data });
      }
      if (!isTensor(v) || v.dtype !== type.dtype || v.shape.length !== type.shape.length) throw bad();
      return hostTensor(v);
    }
    case 'tuple':
      if (!Array.isArray(v) || v.length !== type.items.length) throw bad();
      return { kind: 'tuple', items: type.items.map((t, i) => toHost((v as Value[])[i], t, `${where}[${i}]`)) };
    case 'record': {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || isTensor(v)) throw bad();
      const obj = v as Readonly<Record<string, Value>>;
      return { kind: 'record', fields: type.fields.map((f) => [f.name, toHost(obj[f.name], f.type, `${where}.${f.name}`)] as const) };
    }
    case 'str':
      if (typeof v !== 'string') throw bad();
      return { kind: 'str', value: v };
    default:
      return UNIT;
  }
}

function fromHost(v: HostValue): Value {
  switch (v.kind) {
    case 'tensor':
      return v.value;
    case 'tuple':
      return v.items.map(fromHost);
    case 'record':
      return Object.fromEntries(v.fields.map(([n, f]) => [n, fromHost(f)]));
    case 'str':
      return v.value;
    default:
      return undefined;
  }
}


/** A command-line value for a parameter of main: a scalar or a string. */
function parseArg(name: string, text: string, type: T.Type): Value {
  const bad = (what: string) => new Error(`--arg ${name}=${text}: expected ${what}`);
  if (type.kind === 'str') return text;
  if (type.kind !== 'tensor' || type.shape.length !== 0) throw new Error(`main's parameter '${name}' is ${T.show(type)}; only scalars and strings can be given on the command line`);
  if (type.dtype === 'bool') {
    if (text !== 'true' && text !== 'false') throw bad('true or false');
    return text === 'true';
  }
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw bad(`a number (${type.dtype})`);
  if (type.dtype === 'i32' && !Number.isInteger(v)) throw bad('an integer (i32)');
  return v;
}

/** The type a value passed for a type parameter has. */
function typeOfValue(v: Value, where: string): T.Type {
  if (typeof v === 'number') return T.f32();
  if (typeof v === 'boolean') return T.bool();
  if (typeof v === 'string') return T.STR;
  if (v === undefined) return T.UNIT;
  if (isTensor(v)) return T.tensor(v.dtype, v.shape.map(S.constant));
  if (Array.isArray(v)) return T.tuple(v.map((x, i) => typeOfValue(x, `${where}[${i}]`)));
  return { kind: 'record', fields: Object.entries(v as Record<string, Value>).map(([name, x]) => ({ name, type: typeOfValue(x, `${where}.${name}`) })) };
}
