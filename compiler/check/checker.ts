// The type and shape checker: walks every declaration of every module, infers each expression's
// type, and reports each independent error once. An expression whose error was reported has the
// type ERROR, which every rule accepts, so one mistake does not cascade.
import type * as A from '../syntax/ast.ts';
import { dottedName } from '../syntax/ast.ts';
import { error, type Diagnostic, type Note } from '../diag/diagnostic.ts';
import { BUILTINS, BUILTIN_NAMESPACES } from '../builtins/table.ts';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../builtins/math.ts';
import { TEXT } from '../builtins/host.ts';
import { RuleError, type ArgInfo, type Builtin, type Static } from '../builtins/builtin.ts';
import * as S from './size.ts';
import * as T from './types.ts';
import { bind, lookup, names, suggest, type Binding, type Scope } from './scope.ts';
import { staticValue } from './static.ts';
import { collectDims, solve } from './unify.ts';
import type { Module } from './module.ts';

type Type = T.Type;

/** Where the checker is: inside host code (effects allowed) and, there, the declared return type. */
interface Ctx {
  readonly host: boolean;
  readonly module: Module;
  readonly ret: Type | null;
  /** In an instance of a generic host function without `->`: the type its first return gave. */
  readonly inferred?: { type: Type | null };
  /** The enclosing function's size parameters, usable in type annotations. */
  readonly sizes: ReadonlySet<string>;
  /** In an instance of a generic function, the sizes its call bound (annotations are read through them). */
  readonly sizeEnv: ReadonlyMap<string, S.Size>;
  /** The enclosing generic function's type parameters and what this instance binds them to. */
  readonly typeVars: ReadonlyMap<string, Type>;
}

export interface Sig {
  readonly sizeParams: readonly string[];
  readonly typeParams: readonly string[];
  /** Parameters of type `fn`; with type parameters, they make the function generic. */
  readonly fnParams: readonly string[];
  readonly params: readonly { readonly name: string; readonly type: Type; readonly optional: boolean; readonly span: A.Span }[];
  readonly ret: Type;
  readonly host: boolean;
}

const SPECIAL = new Set(['grad', 'value_and_grad', 'tree.map', 'tree.sum']);

export type CallTarget =
  | { readonly kind: 'builtin'; readonly builtin: Builtin }
  | { readonly kind: 'special'; readonly name: string }
  | { readonly kind: 'fn'; readonly decl: A.FnDecl; readonly module: Module }
  | { readonly kind: 'grad' | 'value_and_grad'; readonly decl: A.FnDecl; readonly module: Module }
  /**
   * A function parameter of the enclosing generic function: what it names differs per instance,
   * so later stages look it up where they bound the parameter. `via` is how it is used.
   */
  | { readonly kind: 'local'; readonly name: string; readonly via: 'call' | 'grad' | 'value_and_grad' | 'map' | 'value' };

/** What a function parameter is bound to at a call. */
type FnArg = Extract<Binding, { kind: 'fn' | 'lambda' }>;

export interface CheckOptions {
  /** Data-parallel ranks the program runs on (`muc run --ranks N`): the shapes of shards depend on it. */
  readonly ranks?: number;
}

export class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly ranks: number;
  /** The type of every expression checked, for the stages after checking. */
  readonly types = new Map<A.Expr, Type>();
  /** What each call resolved to, for lowering. For tree.map, the target of its function argument. */
  readonly targets = new Map<A.Expr, CallTarget>();
  private readonly sigs = new Map<A.FnDecl, Sig | 'pending'>();
  private readonly checked = new Set<A.FnDecl>();
  /** Functions whose bodies are being checked: a call to one of them is recursion. */
  private readonly active: A.FnDecl[] = [];
  private readonly resolvingTypes = new Set<A.TypeDecl>();
  private readonly recursiveTypes = new Set<A.TypeDecl>();
  /** Calls between functions, to find recursion that goes through declared return types. */
  private readonly edges = new Map<A.FnDecl, { callee: A.FnDecl; span: A.Span }[]>();
  private readonly recursive = new Set<A.FnDecl>();
  private readonly lambdaIds = new WeakMap<object, number>();
  /** Checked instances of generic functions, by their type arguments. */
  private readonly instances = new Map<A.FnDecl, Map<string, Type>>();
  /** The calls whose generic instances are being checked, innermost last. */
  private readonly instantiations: A.Span[] = [];

  constructor(options: CheckOptions = {}) {
    this.ranks = options.ranks ?? 1;
  }

  checkModule(m: Module): void {
    for (const d of m.program.decls) {
      if (d.kind === 'type') {
        for (const tp of d.typeParams) this.report(tp.span, `type aliases take size parameters only; '${tp.name}: type' is allowed on functions`);
        this.resolveType(d.type, new Set(d.sizeParams.map((p) => p.name)), m);
      }
      if (d.kind === 'fn') this.checkFn(d, m);
    }
  }

  /** Checks that need every function seen: recursion through functions with declared types. */
  finish(): void {
    const state = new Map<A.FnDecl, 'open' | 'done'>();
    const visit = (fn: A.FnDecl): void => {
      state.set(fn, 'open');
      for (const { callee, span } of this.edges.get(fn) ?? []) {
        if (state.get(callee) === 'open') {
          if (!this.recursive.has(callee))
            this.report(span, `'${callee.name.name}' calls itself (directly or through other functions); recursion is not supported`, [
              { span: callee.name.span, message: 'declared here' },
            ]);
          this.recursive.add(callee);
        } else if (!state.has(callee)) visit(callee);
      }
      state.set(fn, 'done');
    };
    for (const fn of this.edges.keys()) if (!state.has(fn)) visit(fn);
  }

  private report(span: A.Span, message: string, notes: readonly Note[] = []): Type {
    const at = this.instantiations[this.instantiations.length - 1];
    const all = at ? [...notes, { span: at, message: 'in the instance of a generic function used here' }] : notes;
    this.diagnostics.push(error(span, message, all));
    return T.ERROR;
  }

  // ---- declarations ----

  private moduleScope(m: Module): Scope | null {
    let scope: Scope | null = null;
    for (const [name, mod] of m.imports) scope = bind(scope, name, { kind: 'module', module: mod, span: mod.program.decls[0]?.span ?? { file: mod.file, start: 0, end: 0 } });
    for (const [, fn] of m.fns) scope = bind(scope, fn.name.name, { kind: 'fn', decl: fn, module: m });
    return scope;
  }

  private fnScope(fn: A.FnDecl, m: Module, sizeEnv: ReadonlyMap<string, S.Size> = new Map()): Scope | null {
    let scope = this.moduleScope(m);
    for (const p of fn.sizeParams) {
      const size = sizeEnv.get(p.name);
      scope = bind(scope, p.name, size ? { kind: 'size', span: p.span, size } : { kind: 'size', span: p.span });
    }
    return scope;
  }

  /** A function's signature; the return type comes from the annotation or from checking the body. */
  signature(fn: A.FnDecl, m: Module): Sig {
    const memo = this.sigs.get(fn);
    if (memo === 'pending') {
      this.report(fn.name.span, `function '${fn.name.name}' is recursive (directly or through other functions); recursion is not supported`);
      return { sizeParams: [], typeParams: [], fnParams: [], params: [], ret: T.ERROR, host: false };
    }
    if (memo) return memo;
    this.sigs.set(fn, 'pending');
    const sizes = new Set(fn.sizeParams.map((p) => p.name));
    const typeVars = new Map<string, Type>(fn.typeParams.map((p) => [p.name, { kind: 'typevar', name: p.name }]));
    const scope0 = this.fnScope(fn, m);
    const host = fn.body.kind === 'block';
    const params = fn.params.map((p) => {
      let type: Type = T.ERROR;
      if (p.type) type = this.resolveType(p.type, sizes, m, typeVars);
      if (p.default) {
        const dt = this.expr(p.default, scope0, { host, module: m, ret: null, sizes, sizeEnv: new Map(), typeVars });
        if (p.type === null) type = strong(dt);
        else if (!fits(dt, type))
          this.report(p.default.span, `the default of '${p.name.name}' has type ${T.show(dt)}, but the parameter is ${T.show(type)}`);
      } else if (p.type === null) {
        this.report(p.name.span, `parameter '${p.name.name}' needs a type, as in ${p.name.name}: f32[n]`);
      }
      return { name: p.name.name, type, optional: p.default !== null, span: p.span };
    });
    this.checkDuplicates([...fn.sizeParams, ...fn.typeParams, ...fn.params.map((p) => p.name)], 'parameter');
    const fnParams = params.filter((p) => p.type.kind === 'fn').map((p) => p.name);
    for (const p of fn.params)
      if (p.type?.kind === 'fn' && p.default) this.report(p.default.span, `function parameter '${p.name.name}' cannot have a default`);
    let ret: Type;
    if (fn.ret) ret = this.resolveType(fn.ret, sizes, m, typeVars);
    else if (isGeneric({ typeParams: fn.typeParams.map((p) => p.name), fnParams, params, host })) ret = T.ERROR; // inferred per instance
    else if (fn.body.kind === 'expr') ret = strong(this.checkBody(fn, m, params, null));
    else ret = T.UNIT;
    for (const tp of fn.typeParams)
      if (!fn.params.some((p) => p.type !== null && mentions(p.type, tp.name)))
        this.report(tp.span, `type parameter '${tp.name}' must be the type of a parameter, or calls cannot infer it`);
    const sig: Sig = { sizeParams: [...sizes], typeParams: fn.typeParams.map((p) => p.name), fnParams, params, ret, host };
    this.sigs.set(fn, sig);
    return sig;
  }

  private checkFn(fn: A.FnDecl, m: Module): void {
    const sig = this.signature(fn, m);
    // A generic function's body is checked for each use (see instance).
    if (isGeneric(sig)) return;
    if (!this.checked.has(fn) && (fn.ret !== null || fn.body.kind === 'block')) this.checkBody(fn, m, sig.params, sig.ret);
  }

  private checkBody(fn: A.FnDecl, m: Module, params: Sig['params'], ret: Type | null): Type {
    this.checked.add(fn);
    this.active.push(fn);
    try {
      return this.checkBodyIn(fn, m, params, ret);
    } finally {
      this.active.pop();
    }
  }

  private checkBodyIn(
    fn: A.FnDecl,
    m: Module,
    params: Sig['params'],
    ret: Type | null,
    typeVars: ReadonlyMap<string, Type> = new Map(),
    fnArgs: ReadonlyMap<string, FnArg> = new Map(),
    sizeEnv: ReadonlyMap<string, S.Size> = new Map(),
    statics: ReadonlyMap<string, Static> = new Map(),
  ): Type {
    let scope = this.fnScope(fn, m, sizeEnv);
    const sizes = new Set(fn.sizeParams.map((p) => p.name));
    for (const p of params) {
      const f = fnArgs.get(p.name);
      if (f) scope = bind(scope, p.name, f.kind === 'fn' ? { ...f, local: true } : f);
      else scope = bind(scope, p.name, { kind: 'value', type: p.type, span: p.span, mutable: false, static: statics.get(p.name) ?? null });
    }
    if (fn.body.kind === 'block') {
      // A generic instance may leave its return type to its returns (it can depend on the sizes
      // and ranks of the instance, as a shard's does).
      const inferred = ret === null && (fn.typeParams.length > 0 || fnArgs.size > 0) ? { type: null } : undefined;
      this.block(fn.body.stmts, scope, { host: true, module: m, ret, inferred, sizes, sizeEnv, typeVars });
      const out = ret ?? inferred?.type ?? T.UNIT;
      if (out.kind !== 'unit' && !returns(fn.body.stmts))
        this.report(fn.ret?.span ?? fn.name.span, `'${fn.name.name}' ${fn.ret ? `declares -> ${T.show(out)}` : `returns ${T.show(out)}`}, but its body can end without a return`);
      return out;
    }
    const t = this.expr(fn.body.expr, scope, { host: false, module: m, ret: null, sizes, sizeEnv, typeVars });
    if (ret !== null && !fits(t, ret))
      this.report(fn.body.expr.span, `'${fn.name.name}' returns ${T.show(ret)}, but its body has type ${T.show(t)}`, [
        { span: fn.ret!.span, message: `the return type is declared here` },
      ]);
    return t;
  }

  private checkDuplicates(ids: readonly A.Ident[], what: string): void {
    const seen = new Map<string, A.Ident>();
    for (const id of ids) {
      const prev = seen.get(id.name);
      if (prev && id.name !== '_') this.report(id.span, `duplicate ${what} '${id.name}'`, [{ span: prev.span, message: 'first declared here' }]);
      seen.set(id.name, id);
    }
  }

  // ---- types ----

  resolveType(t: A.TypeExpr, sizes: ReadonlySet<string>, m: Module, typeVars: ReadonlyMap<string, Type> = new Map()): Type {
    switch (t.kind) {
      case 'tensor': {
        const dims = t.dims.map((d) => this.resolveSize(d, sizes));
        return dims.some((d) => d === null) ? T.ERROR : T.tensor(t.dtype, dims as S.Size[]);
      }
      case 'tuple':
        return t.items.length === 0 ? T.UNIT : T.tuple(t.items.map((i) => this.resolveType(i, sizes, m, typeVars)));
      case 'record':
        this.checkDuplicates(t.fields.map((f) => f.name), 'field');
        return { kind: 'record', fields: t.fields.map((f) => ({ name: f.name.name, type: this.resolveType(f.type, sizes, m, typeVars) })) };
      case 'fn':
        return { kind: 'fn' };
      case 'named': {
        const v = t.args.length === 0 ? typeVars.get(t.name) : undefined;
        return v ?? this.resolveNamed(t, sizes, m);
      }
    }
  }

  private resolveNamed(t: Extract<A.TypeExpr, { kind: 'named' }>, sizes: ReadonlySet<string>, m: Module): Type {
    if (t.name === 'str') return T.STR;
    if (t.name === 'Text') return TEXT;
    const parts = t.name.split('.');
    let mod: Module | undefined = m;
    for (const p of parts.slice(0, -1)) mod = mod?.imports.get(p);
    const decl = mod?.types.get(parts[parts.length - 1]!);
    if (!decl || !mod) {
      const near = suggest(t.name, [...m.types.keys(), 'f32', 'i32', 'bool', 'str']);
      return this.report(t.span, `unknown type '${t.name}'${near ? `; did you mean '${near}'?` : ''}`);
    }
    if (decl.sizeParams.length !== t.args.length)
      return this.report(t.span, `type '${t.name}' takes ${decl.sizeParams.length} size argument(s), found ${t.args.length}`, [
        { span: decl.name.span, message: 'declared here' },
      ]);
    const args = t.args.map((a) => this.resolveSize(a, sizes));
    if (args.some((a) => a === null)) return T.ERROR;
    if (this.resolvingTypes.has(decl)) {
      // One report per cycle: every alias on it is marked, and later walks around it stay silent.
      if (this.recursiveTypes.has(decl)) return T.ERROR;
      for (const d of this.resolvingTypes) this.recursiveTypes.add(d);
      return this.report(t.span, `type '${t.name}' is recursive; recursive types are not supported`, [{ span: decl.name.span, message: 'declared here' }]);
    }
    if (this.recursiveTypes.has(decl)) return T.ERROR;
    this.resolvingTypes.add(decl);
    let body: Type;
    try {
      body = this.resolveType(decl.type, new Set(decl.sizeParams.map((p) => p.name)), mod);
    } finally {
      this.resolvingTypes.delete(decl);
    }
    return T.substitute(body, new Map(decl.sizeParams.map((p, i) => [p.name, args[i]!])));
  }

  private resolveSize(d: A.SizeExpr, sizes: ReadonlySet<string>): S.Size | null {
    switch (d.kind) {
      case 'int':
        return S.constant(d.value);
      case 'var':
        if (sizes.has(d.name)) return S.sizeVar(d.name);
        this.report(d.span, `unknown size '${d.name}': declare it among the size parameters, as in fn f[${d.name}](…)`);
        return null;
      default: {
        const l = this.resolveSize(d.left, sizes);
        const r = this.resolveSize(d.right, sizes);
        if (l === null || r === null) return null;
        return d.kind === 'add' ? S.add(l, r) : d.kind === 'sub' ? S.sub(l, r) : S.mul(l, r);
      }
    }
  }

  // ---- expressions ----

  expr(e: A.Expr, scope: Scope | null, ctx: Ctx): Type {
    const t = this.exprInner(e, scope, ctx);
    this.types.set(e, t);
    return t;
  }

  private exprInner(e: A.Expr, scope: Scope | null, ctx: Ctx): Type {
    switch (e.kind) {
      case 'num':
        return T.tensor(e.isFloat ? 'f32' : 'i32', [], true);
      case 'bool':
        return T.bool();
      case 'str':
        return T.STR;
      case 'var':
        return this.variable(e, scope);
      case 'unary':
        return this.operator(UNARY_OPERATORS[e.op]!, e.op, [e.arg], e.span, scope, ctx);
      case 'binary':
        return this.operator(BINARY_OPERATORS[e.op]!, e.op, [e.left, e.right], e.opSpan, scope, ctx);
      case 'call':
        return this.call(e, scope, ctx);
      case 'index':
        return this.index(e, scope, ctx);
      case 'field':
        return this.field(e, scope, ctx);
      case 'tuple':
        return e.items.length === 0 ? T.UNIT : T.tuple(e.items.map((i) => this.expr(i, scope, ctx)));
      case 'array':
        return this.array(e, scope, ctx);
      case 'record': {
        this.checkDuplicates(e.fields.map((f) => f.name), 'field');
        return { kind: 'record', fields: e.fields.map((f) => ({ name: f.name.name, type: strong(this.expr(f.value, scope, ctx)) })) };
      }
      case 'update':
        return this.update(e, scope, ctx);
      case 'let': {
        const vt = this.expr(e.value, scope, ctx);
        const inner = this.bindPattern(e.pattern, vt, staticValue(e.value, scope), scope, false);
        return this.expr(e.body, inner, ctx);
      }
      case 'if':
        return this.ifExpr(e, scope, ctx);
      case 'loop':
        return this.loop(e, scope, ctx);
      case 'lambda':
        return this.report(e.span, 'a function literal fn(…) = … may only be passed to tree.map');
    }
  }

  private variable(e: Extract<A.Expr, { kind: 'var' }>, scope: Scope | null): Type {
    const b = lookup(scope, e.name);
    if (b?.kind === 'value') return b.type;
    if (b?.kind === 'size') return T.i32();
    if (b?.kind === 'fn') return this.report(e.span, `'${e.name}' is a function; call it as ${e.name}(…)`);
    if (b?.kind === 'module' || BUILTIN_NAMESPACES.has(e.name))
      return this.report(e.span, `'${e.name}' is a module; use one of its members, as in ${e.name}.name(…)`);
    if (BUILTINS.has(e.name) || SPECIAL.has(e.name))
      return this.report(e.span, `'${e.name}' is a builtin function; call it as ${e.name}(…)`);
    const near = suggest(e.name, [...names(scope), ...BUILTINS.keys()]);
    return this.report(e.span, `unknown name '${e.name}'${near ? `; did you mean '${near}'?` : ''}`);
  }

  /** Notes that say where each operand's type came from: its declaration when it is a variable. */
  private origins(es: readonly A.Expr[], scope: Scope | null, labels: readonly string[]): Note[] {
    return es.map((x, i) => {
      const t = this.types.get(x) ?? T.ERROR;
      const b = x.kind === 'var' ? lookup(scope, x.name) : undefined;
      if (x.kind === 'var' && b?.kind === 'value') return { span: b.span, message: `${labels[i]} '${x.name}' is ${T.show(t)}, declared here` };
      return { span: x.span, message: `${labels[i]} is ${T.show(t)}` };
    });
  }

  private operator(name: string, op: string, operands: readonly A.Expr[], at: A.Span, scope: Scope | null, ctx: Ctx): Type {
    const infos = operands.map((x) => this.argInfo(x, scope, ctx));
    if (infos.some((i) => T.containsError(i.type))) return T.ERROR;
    // Strings compare only for equality (options such as scale = "original").
    if (infos.length === 2 && infos.every((i) => i.type.kind === 'str') && (name === 'eq' || name === 'ne')) return T.bool();
    const builtin = BUILTINS.get(name)!;
    const pnames = builtin.params.map((p) => p.name);
    const labels = operands.length === 1 ? ['the operand'] : ['the left operand', 'the right operand'];
    try {
      return builtin.type({ callee: name, ranks: this.ranks, rest: [], get: (n) => infos[pnames.indexOf(n)], label: (n) => labels[pnames.indexOf(n)] ?? n });
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      const msg = err.message.replace(new RegExp(`^${name}: `), '');
      return this.report(at, `operator '${op}': ${msg}`, this.origins(operands, scope, labels));
    }
  }

  private argInfo(x: A.Expr, scope: Scope | null, ctx: Ctx): ArgInfo {
    // An empty list is a valid static argument (a scalar's shape) even though it has no element type.
    const type = x.kind === 'array' && x.items.length === 0 ? T.i32([S.constant(0)]) : this.expr(x, scope, ctx);
    return { type, static: staticValue(x, scope), span: x.span };
  }

  private array(e: Extract<A.Expr, { kind: 'array' }>, scope: Scope | null, ctx: Ctx): Type {
    if (e.items.length === 0) return this.report(e.span, 'an empty array literal has no element type');
    const ts = e.items.map((i) => this.expr(i, scope, ctx));
    if (ts.some(T.containsError)) return T.ERROR;
    let joined = ts[0]!;
    for (let i = 1; i < ts.length; i++) {
      const j = join(joined, ts[i]!);
      if (j === null)
        return this.report(e.items[i]!.span, `array elements must have one type: the first is ${T.show(ts[0]!)}, this one is ${T.show(ts[i]!)}`);
      joined = j;
    }
    if (joined.kind !== 'tensor') return this.report(e.span, `array elements must be tensors or scalars, found ${T.show(joined)}`);
    return T.tensor(joined.dtype, [S.constant(e.items.length), ...joined.shape], joined.weak === true);
  }

  private update(e: Extract<A.Expr, { kind: 'update' }>, scope: Scope | null, ctx: Ctx): Type {
    const t = this.expr(e.target, scope, ctx);
    for (const f of e.fields) {
      const v = this.expr(f.value, scope, ctx);
      if (t.kind !== 'record') continue;
      const old = t.fields.find((x) => x.name === f.name.name);
      if (!old) this.report(f.name.span, `${T.show(t)} has no field '${f.name.name}'`);
      else if (!fits(v, old.type)) this.report(f.value.span, `field '${f.name.name}' is ${T.show(old.type)}, but the new value is ${T.show(v)}`);
    }
    if (t.kind === 'error') return t;
    if (t.kind !== 'record') return this.report(e.target.span, `'with' updates a record, but this is ${T.show(t)}`);
    return t;
  }

  private ifExpr(e: Extract<A.Expr, { kind: 'if' }>, scope: Scope | null, ctx: Ctx): Type {
    this.condition(e.cond, scope, ctx);
    // A condition known when compiling selects its branch; the other one is not checked, so the
    // branches may have different types (`if rank(w) == 2 then muon(w) else adamw(w)`).
    const known = staticValue(e.cond, scope, (x) => this.types.get(x));
    if (known?.kind === 'bool') return this.expr(known.value ? e.then : e.else, scope, ctx);
    const a = this.expr(e.then, scope, ctx);
    const b = this.expr(e.else, scope, ctx);
    const j = join(a, b);
    if (j !== null) return j;
    return this.report(e.span, `the branches of 'if' have different types: ${T.show(a)} and ${T.show(b)}`, [
      { span: e.then.span, message: `the 'then' branch is ${T.show(a)}` },
      { span: e.else.span, message: `the 'else' branch is ${T.show(b)}` },
    ]);
  }

  private condition(c: A.Expr, scope: Scope | null, ctx: Ctx): void {
    const t = this.expr(c, scope, ctx);
    if (t.kind === 'error') return;
    if (t.kind !== 'tensor' || t.dtype !== 'bool' || t.shape.length !== 0) {
      const hint = t.kind === 'tensor' && t.dtype === 'bool' ? '; for an elementwise choice use where(cond, a, b)' : '';
      this.report(c.span, `a condition must be a bool scalar, found ${T.show(t)}${hint}`);
    }
  }

  private intBound(x: A.Expr, scope: Scope | null, ctx: Ctx, what: string): void {
    const t = this.expr(x, scope, ctx);
    if (t.kind !== 'error' && !(t.kind === 'tensor' && t.dtype === 'i32' && t.shape.length === 0))
      this.report(x.span, `${what} must be an i32 scalar, found ${T.show(t)}`);
  }

  private loop(e: Extract<A.Expr, { kind: 'loop' }>, scope: Scope | null, ctx: Ctx): Type {
    const init = strong(this.expr(e.init, scope, ctx));
    this.intBound(e.from, scope, ctx, 'the start of a loop range');
    this.intBound(e.to, scope, ctx, 'the end of a loop range');
    let inner = this.bindPattern(e.pattern, init, null, scope, false);
    inner = bind(inner, e.index.name, { kind: 'value', type: T.i32(), span: e.index.span, mutable: false, static: null });
    const body = this.expr(e.body, inner, ctx);
    if (!fits(body, init))
      return this.report(e.body.span, `the loop body must give the loop state's type ${T.show(init)}, but gives ${T.show(body)}`, [
        { span: e.init.span, message: `the initial state is ${T.show(init)}` },
      ]);
    return init;
  }

  private bindPattern(p: A.Pattern, t: Type, st: Static | null, scope: Scope | null, mutable: boolean): Scope | null {
    if (p.kind === 'name') {
      if (p.name.name === '_') return scope;
      return bind(scope, p.name.name, { kind: 'value', type: strong(t), span: p.name.span, mutable, static: st });
    }
    this.checkDuplicates(collectNames(p), 'name in a pattern');
    if (t.kind === 'error') return p.items.reduce((s, q) => this.bindPattern(q, T.ERROR, null, s, mutable), scope);
    if (t.kind !== 'tuple' || t.items.length !== p.items.length) {
      this.report(p.span, `this pattern takes a tuple of ${p.items.length} values, but the value is ${T.show(t)}`);
      return p.items.reduce((s, q) => this.bindPattern(q, T.ERROR, null, s, mutable), scope);
    }
    return p.items.reduce((s, q, i) => this.bindPattern(q, t.items[i]!, null, s, mutable), scope);
  }

  private index(e: Extract<A.Expr, { kind: 'index' }>, scope: Scope | null, ctx: Ctx): Type {
    const t = this.expr(e.target, scope, ctx);
    const dims: S.Size[] = [];
    const infos = e.items.map((item) => {
      if (item.kind === 'at') return this.expr(item.index, scope, ctx);
      for (const b of [item.lo, item.hi]) if (b) this.expr(b, scope, ctx);
      return null;
    });
    if (t.kind === 'error') return t;
    if (t.kind !== 'tensor') return this.report(e.target.span, `only tensors can be indexed, but this is ${T.show(t)}`);
    if (e.items.length > t.shape.length)
      return this.report(e.span, `${e.items.length} indices for a tensor of rank ${t.shape.length} (${T.show(t)})`);
    for (let i = 0; i < e.items.length; i++) {
      const item = e.items[i]!;
      const dim = t.shape[i]!;
      if (item.kind === 'at') {
        const it = infos[i]!;
        if (it.kind !== 'error' && !(it.kind === 'tensor' && it.dtype === 'i32' && it.shape.length === 0))
          return this.report(item.index.span, `an index must be an i32 scalar, found ${T.show(it)}; to pick many rows use gather(x, indices)`);
        const k = staticConst(item.index, scope);
        const n = S.constValue(dim);
        if (k !== null && n !== null && (k >= n || k < -n))
          return this.report(item.index.span, `index ${k} is out of range for dimension ${i} of size ${n}`);
        continue;
      }
      const bound = (b: A.Expr | null, dflt: S.Size): S.Size | null => {
        if (b === null) return dflt;
        const v = staticValue(b, scope);
        if (v?.kind !== 'size') {
          this.report(b.span, 'slice bounds must be sizes (integer literals, size variables, or arithmetic on them)');
          return null;
        }
        const c = S.constValue(v.size);
        return c !== null && c < 0 ? S.add(dim, v.size) : v.size;
      };
      const lo = bound(item.lo, S.constant(0));
      const hi = bound(item.hi, dim);
      if (lo === null || hi === null) return T.ERROR;
      const len = S.sub(hi, lo);
      const [l, h, n] = [S.constValue(lo), S.constValue(hi), S.constValue(dim)];
      if ((l !== null && l < 0) || (l !== null && h !== null && h < l) || (h !== null && n !== null && h > n) || (S.constValue(len) ?? 0) < 0)
        return this.report(item.span, `slice ${S.show(lo)}:${S.show(hi)} is out of range for dimension ${i} of size ${S.show(dim)}`);
      dims.push(len);
    }
    return T.tensor(t.dtype, [...dims, ...t.shape.slice(e.items.length)]);
  }

  private field(e: Extract<A.Expr, { kind: 'field' }>, scope: Scope | null, ctx: Ctx): Type {
    const dotted = dottedName(e);
    const head = dotted?.split('.')[0];
    if (head !== undefined && (lookup(scope, head)?.kind === 'module' || (BUILTIN_NAMESPACES.has(head) && lookup(scope, head) === undefined)))
      return this.report(e.span, `'${dotted}' is a function; call it as ${dotted}(…)`);
    const t = this.expr(e.target, scope, ctx);
    if (t.kind === 'error') return t;
    if (t.kind !== 'record') return this.report(e.name.span, `${T.show(t)} has no fields; '.${e.name.name}' needs a record`);
    const f = t.fields.find((x) => x.name === e.name.name);
    if (f) return f.type;
    const near = suggest(e.name.name, t.fields.map((x) => x.name));
    return this.report(e.name.span, `the record ${T.show(t)} has no field '${e.name.name}'${near ? `; did you mean '${near}'?` : ''}`);
  }

  // ---- calls ----

  private call(e: Extract<A.Expr, { kind: 'call' }>, scope: Scope | null, ctx: Ctx): Type {
    // grad(f)(x, …) and value_and_grad(f)(x, …)
    if (e.callee.kind === 'call' && e.callee.callee.kind === 'var' && ['grad', 'value_and_grad'].includes(e.callee.callee.name) && !lookup(scope, e.callee.callee.name))
      return this.gradCall(e, e.callee, e.callee.callee.name === 'value_and_grad', scope, ctx);
    const name = dottedName(e.callee);
    if (name === null) return this.report(e.callee.span, 'only named functions can be called');
    const target = this.resolveCallee(name, scope);
    if (target?.kind === 'lambda' || (target?.kind === 'fn' && target.local)) this.targets.set(e, { kind: 'local', name, via: 'call' });
    else if (target?.kind === 'fn') this.targets.set(e, { kind: 'fn', decl: target.decl, module: target.module });
    else if (target !== null && target.kind !== 'value') this.targets.set(e, target);
    if (target === null) {
      this.checkArgs(e.args, scope, ctx);
      const near = suggest(name, [...names(scope), ...BUILTINS.keys()]);
      return this.report(e.callee.span, `unknown function '${name}'${near ? `; did you mean '${near}'?` : ''}`);
    }
    if (target.kind === 'special') {
      if (target.name === 'tree.map') return this.treeMap(e, scope, ctx);
      if (target.name === 'tree.sum') return this.treeSum(e, scope, ctx);
      return this.report(e.span, `${target.name}(f) makes a function; apply it to arguments, as in ${target.name}(f)(x)`);
    }
    if (target.kind === 'builtin') return this.builtinCall(target.builtin, e, scope, ctx);
    if (target.kind === 'value') return this.report(e.callee.span, `'${name}' is a value of type ${T.show(target.type)}, not a function`);
    if (target.kind === 'lambda') return this.lambdaCall(target.binding, e, name, scope, ctx);
    return this.fnCall(target.decl, target.module, e.args, e.span, name, scope, ctx);
  }

  private resolveCallee(
    name: string,
    scope: Scope | null,
  ):
    | { kind: 'builtin'; builtin: Builtin }
    | { kind: 'special'; name: string }
    | { kind: 'fn'; decl: A.FnDecl; module: Module; local: boolean }
    | { kind: 'lambda'; binding: Extract<Binding, { kind: 'lambda' }> }
    | { kind: 'value'; type: Type }
    | null {
    const parts = name.split('.');
    let b: Binding | undefined = lookup(scope, parts[0]!);
    if (b?.kind === 'value') return parts.length === 1 ? { kind: 'value', type: b.type } : null;
    if (b?.kind === 'module') {
      let mod = b.module;
      for (const p of parts.slice(1, -1)) {
        const next = mod.imports.get(p);
        if (!next) return null;
        mod = next;
      }
      const fn = mod.fns.get(parts[parts.length - 1]!);
      return fn && parts.length > 1 ? { kind: 'fn', decl: fn, module: mod, local: false } : null;
    }
    if (b?.kind === 'fn' && parts.length === 1) return { kind: 'fn', decl: b.decl, module: b.module, local: b.local === true };
    if (b?.kind === 'lambda' && parts.length === 1) return { kind: 'lambda', binding: b };
    if (b === undefined && SPECIAL.has(name)) return { kind: 'special', name };
    const builtin = b === undefined ? BUILTINS.get(name) : undefined;
    return builtin ? { kind: 'builtin', builtin } : null;
  }

  private checkArgs(args: readonly A.Arg[], scope: Scope | null, ctx: Ctx): void {
    for (const a of args) if (a.value.kind !== 'lambda') this.expr(a.value, scope, ctx);
  }

  /** Matches arguments to parameters: positional first, then by keyword. */
  private bindArgs(
    params: readonly { name: string; optional: boolean; variadic?: boolean }[],
    args: readonly A.Arg[],
    callee: string,
    at: A.Span,
    extraKeywords: ReadonlySet<string> = new Set(),
  ): { bound: Map<string, A.Arg>; rest: A.Arg[] } | null {
    const bound = new Map<string, A.Arg>();
    const rest: A.Arg[] = [];
    let ok = true;
    let pos = 0;
    for (const a of args) {
      if (a.name === null) {
        const p = params[pos];
        if (p?.variadic) rest.push(a);
        else if (p === undefined) {
          this.report(a.value.span, `too many arguments to ${callee}: it takes ${params.length}`);
          ok = false;
        } else {
          bound.set(p.name, a);
          pos++;
        }
        continue;
      }
      const name = a.name.name;
      if (!params.some((p) => p.name === name && !p.variadic) && !extraKeywords.has(name)) {
        const near = suggest(name, [...params.map((p) => p.name), ...extraKeywords]);
        this.report(a.name.span, `${callee} has no parameter '${name}'${near ? `; did you mean '${near}'?` : ''}`);
        ok = false;
      } else if (bound.has(name)) {
        this.report(a.name.span, `argument '${name}' of ${callee} is given twice`);
        ok = false;
      } else bound.set(name, a);
    }
    for (const p of params)
      if (!p.optional && !p.variadic && !bound.has(p.name)) {
        this.report(at, `missing argument '${p.name}' in the call to ${callee}`);
        ok = false;
      }
    return ok ? { bound, rest } : null;
  }

  private builtinCall(builtin: Builtin, e: Extract<A.Expr, { kind: 'call' }>, scope: Scope | null, ctx: Ctx): Type {
    if (builtin.effect && !ctx.host) {
      this.checkArgs(e.args, scope, ctx);
      return this.report(e.callee.span, `${builtin.name} has effects, so only host code may call it (a function whose body is a { … } block)`);
    }
    const params = builtin.params.map((p) => ({ name: p.name, optional: p.default !== undefined, variadic: p.variadic === true }));
    const b = this.bindArgs(params, e.args, builtin.name, e.span);
    const infos = new Map<string, ArgInfo>();
    for (const a of e.args) {
      if (a.value.kind === 'lambda') return this.report(a.value.span, `${builtin.name} does not take a function`);
    }
    const all = e.args.map((a) => [a, this.argInfo(a.value, scope, ctx)] as const);
    if (b === null || all.some(([, i]) => T.containsError(i.type))) return T.ERROR;
    for (const [name, arg] of b.bound) infos.set(name, all.find(([a]) => a === arg)![1]);
    const rest = b.rest.map((r) => all.find(([a]) => a === r)![1]);
    try {
      return builtin.type({ callee: builtin.name, ranks: this.ranks, rest, get: (n) => infos.get(n), label: (n) => `'${n}'` });
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      return this.report(err.arg?.span ?? e.span, err.message);
    }
  }

  private fnCall(decl: A.FnDecl, m: Module, args: readonly A.Arg[], at: A.Span, callee: string, scope: Scope | null, ctx: Ctx): Type {
    const caller = this.active[this.active.length - 1];
    if (caller) this.edges.set(caller, [...(this.edges.get(caller) ?? []), { callee: decl, span: at }]);
    if (this.active.includes(decl) || this.sigs.get(decl) === 'pending') {
      this.recursive.add(decl);
      this.checkArgs(args, scope, ctx);
      return this.report(at, `'${callee}' calls itself (directly or through other functions); recursion is not supported`, [
        { span: decl.name.span, message: 'declared here' },
      ]);
    }
    const sig = this.signature(decl, m);
    if (sig.host && !ctx.host) {
      this.checkArgs(args, scope, ctx);
      return this.report(at, `'${callee}' is host code (its body is a { … } block), so only host code may call it`, [
        { span: decl.name.span, message: 'declared here' },
      ]);
    }
    const explicitSizes = new Set(sig.sizeParams);
    const b = this.bindArgs(sig.params, args, `'${callee}'`, at, explicitSizes);
    const fnParamOf = new Map<A.Arg, string>();
    for (const [name, a] of b?.bound ?? []) if (sig.fnParams.includes(name)) fnParamOf.set(a, name);
    const types = new Map<A.Arg, ArgInfo>();
    const fnArgs = new Map<string, FnArg>();
    let badFn = false;
    for (const a of args) {
      const fp = fnParamOf.get(a);
      if (fp !== undefined) {
        const f = this.fnArg(a.value, fp, callee, sig.host, scope, ctx);
        if (f) fnArgs.set(fp, f);
        else badFn = true;
        continue;
      }
      types.set(a, a.value.kind === 'lambda' ? { type: this.report(a.value.span, `'${callee}' does not take a function here`), static: null, span: a.value.span } : this.argInfo(a.value, scope, ctx));
    }
    const retUnknown = isGeneric(sig) && decl.ret === null; // inferred per instance
    if (b === null || badFn || [...types.values()].some((i) => T.containsError(i.type)) || (!retUnknown && T.containsError(sig.ret))) return T.ERROR;
    // The callee's size variables are renamed apart from the caller's where their names meet
    // (f[n] calling g[n, k] with g's k := f's n must not read that n as g's own).
    const callerVars = new Set([...types.values()].flatMap((i) => [...typeSizeVars(i.type), ...(i.static?.kind === 'size' ? S.variables(i.static.size) : [])]));
    const rename = new Map(sig.sizeParams.filter((v) => callerVars.has(v)).map((v) => [v, S.sizeVar(freshName(v, callerVars))]));
    const rn = (t: Type): Type => (rename.size === 0 ? t : T.substitute(t, rename));
    const own = (v: string): string => (rename.has(v) ? [...S.variables(rename.get(v)!)][0]! : v);
    const unknowns = new Set(sig.sizeParams.map(own));
    const env = new Map<string, S.Size>();
    for (const [name, arg] of b.bound) {
      if (!explicitSizes.has(name)) continue;
      const st = types.get(arg)!.static;
      if (st?.kind !== 'size') return this.report(arg.value.span, `size '${name}' of '${callee}' must be given a size (an integer literal, a size variable, or arithmetic on them)`);
      env.set(own(name), st.size);
    }
    const pairs: [S.Size, S.Size, string][] = [];
    const where = new Map<string, A.Arg>();
    const typeEnv = new Map<string, Type>();
    let bad = false;
    for (const p of sig.params) {
      const arg = b.bound.get(p.name);
      if (!arg || T.containsError(p.type) || p.type.kind === 'fn') continue;
      const found = types.get(arg)!.type;
      const r = collectDims(rn(p.type), found, p.name, typeEnv);
      if ('message' in r) {
        this.report(arg.value.span, `argument '${p.name}' of '${callee}': ${r.message}`, [{ span: p.span, message: `parameter '${p.name}' is declared here` }]);
        bad = true;
        continue;
      }
      for (const pair of r.pairs) where.set(pair[2], arg);
      pairs.push(...r.pairs);
    }
    if (bad) return T.ERROR;
    const origins = new Map([...env.keys()].map((k) => [k, `=${k}`]));
    const solved = solve(pairs, unknowns, env, origins);
    if (!solved.ok) {
      const arg = where.get(solved.path);
      const param = solved.path.split(/[.[]/)[0]!;
      const p = sig.params.find((x) => x.name === param);
      const found = arg ? types.get(arg)!.type : T.ERROR;
      const expected = p ? T.substitute(rn(p.type), solved.env, typeEnv) : T.ERROR;
      const from = [...solved.env.keys()]
        .filter((v) => p !== undefined && typeSizeVars(rn(p.type)).has(v))
        .map((v) => {
          const o = solved.origins.get(v)!;
          const src = o.startsWith('=') ? 'given by the call' : `from '${o.split(/[.[]/)[0]}'`;
          return `${v} = ${S.show(solved.env.get(v)!)} ${src}`;
        });
      const detail = solved.reason === 'infer' ? `; ${solved.message}` : from.length > 0 ? ` (${from.join(', ')})` : '';
      return this.report(arg?.value.span ?? at, `argument '${param}' of '${callee}': expected ${T.show(expected)}, found ${T.show(found)}${detail}`, [
        { span: p?.span ?? decl.name.span, message: `'${param}' is declared here` },
      ]);
    }
    // A generic instance is checked with the call's sizes, so its type is already the caller's.
    const bound = new Map(sig.sizeParams.flatMap((v) => (solved.env.has(own(v)) ? [[v, solved.env.get(own(v))!] as const] : [])));
    // An instance also knows its arguments that are known when compiling (a string option such as
    // attention = "mla", a flag, a literal count), and so do the defaults of the ones left out.
    const statics = new Map<string, Static>();
    if (isGeneric(sig))
      for (const p of decl.params) {
        // Host code runs its statements one by one with values, so there only strings (which
        // are always known) are compile-time values; pure code is specialized on all of them.
        if (sig.host && !(p.type?.kind === 'named' && p.type.name === 'str')) continue;
        const arg = b.bound.get(p.name.name);
        const st = arg ? types.get(arg)?.static : p.default ? staticValue(p.default, null) : null;
        if (st) statics.set(p.name.name, st);
      }
    const ret = isGeneric(sig) ? this.instance(decl, m, sig, typeEnv, at, fnArgs, bound, statics) : rn(sig.ret);
    const missing = sig.sizeParams.filter((s) => !solved.env.has(own(s)) && S.variables(retSizes(ret)).has(own(s)));
    if (missing.length > 0) return this.report(at, `cannot infer size '${missing[0]}' of '${callee}' from its arguments; pass it as ${missing[0]} = …`);
    return T.substitute(ret, solved.env);
  }

  /**
   * Checks the instance of a generic function that a call from outside the language makes (the
   * TypeScript API, or the host calling an entry point) with arguments of these types; returns the
   * diagnostics it produced, so the caller can report them.
   */
  instantiate(decl: A.FnDecl, m: Module, args: ReadonlyMap<string, Type>, statics: ReadonlyMap<string, Static>): Diagnostic[] {
    const sig = this.signature(decl, m);
    if (!isGeneric(sig)) return [];
    const before = this.diagnostics.length;
    const typeEnv = new Map<string, Type>();
    const pairs: [S.Size, S.Size, string][] = [];
    for (const p of sig.params) {
      const a = args.get(p.name);
      if (a === undefined || p.type.kind === 'fn') continue;
      const r = collectDims(p.type, a, p.name, typeEnv);
      if ('pairs' in r) pairs.push(...r.pairs);
    }
    const solved = solve(pairs, new Set(sig.sizeParams));
    const sizes = solved.ok ? solved.env : new Map<string, S.Size>();
    const known = new Map(statics);
    for (const p of decl.params) if (!known.has(p.name.name) && p.default && !args.has(p.name.name)) {
      const st = staticValue(p.default, null);
      if (st) known.set(p.name.name, st);
    }
    this.instance(decl, m, sig, typeEnv, decl.span, new Map(), sizes, known);
    return this.diagnostics.slice(before);
  }

  /** A key for what a function parameter is bound to: the function, or the literal's place. */
  private fnIdentity(f: FnArg | undefined): string {
    if (f === undefined) return '?';
    if (f.kind === 'fn') return `${f.module.file}#${f.decl.name.name}`;
    // A literal is keyed by its binding, not its text: the same literal written inside two
    // instances captures different scopes (another option, other sizes), so it is another function.
    let id = this.lambdaIds.get(f);
    if (id === undefined) {
      id = nextLambdaId++;
      this.lambdaIds.set(f, id);
    }
    return `lambda#${id}`;
  }

  /** The function an argument names, for a parameter of type fn (reported when it names none). */
  private fnArg(x: A.Expr, param: string, callee: string, toHost: boolean, scope: Scope | null, ctx: Ctx): FnArg | null {
    if (x.kind === 'lambda') {
      if (toHost) {
        this.report(x.span, `'${callee}' is host code: pass a named function to '${param}' (function literals are for pure code)`);
        return null;
      }
      return { kind: 'lambda', lambda: x, scope, ctx };
    }
    const name = dottedName(x);
    const b = name !== null && !name.includes('.') ? lookup(scope, name) : undefined;
    if (b?.kind === 'lambda') {
      this.targets.set(x, { kind: 'local', name: name!, via: 'value' });
      return b;
    }
    const target = name !== null ? this.resolveCallee(name, scope) : null;
    if (target?.kind === 'fn') {
      this.targets.set(x, target.local ? { kind: 'local', name: name!, via: 'value' } : { kind: 'fn', decl: target.decl, module: target.module });
      return { kind: 'fn', decl: target.decl, module: target.module };
    }
    this.report(x.span, `'${param}' of '${callee}' takes a function: a function's name or fn(…) = …`);
    return null;
  }

  /** A call of a function literal bound to a parameter: its body, checked with these arguments. */
  private lambdaCall(b: Extract<Binding, { kind: 'lambda' }>, e: Extract<A.Expr, { kind: 'call' }>, name: string, scope: Scope | null, ctx: Ctx): Type {
    const types = e.args.map((a) => this.expr(a.value, scope, ctx));
    if (e.args.some((a) => a.name !== null)) return this.report(e.span, `'${name}' is a function literal: pass its arguments by position`);
    if (types.length !== b.lambda.params.length)
      return this.report(e.span, `'${name}' takes ${b.lambda.params.length} argument(s), found ${types.length}`, [{ span: b.lambda.span, message: 'the function is written here' }]);
    if (types.some(T.containsError)) return T.ERROR;
    const inner = b.lambda.params.reduce<Scope | null>(
      (acc, p, i) => bind(acc, p.name, { kind: 'value', type: strong(types[i]!), span: p.span, mutable: false, static: null }),
      b.scope,
    );
    return this.expr(b.lambda.body, inner, { ...b.ctx, ret: null });
  }

  /**
   * The return type of a generic function for its type arguments: its body is checked once per
   * distinct binding of its type parameters, like a template, with errors noted at the call.
   */
  private instance(
    decl: A.FnDecl,
    m: Module,
    sig: Sig,
    typeEnv: ReadonlyMap<string, Type>,
    at: A.Span,
    fnArgs: ReadonlyMap<string, FnArg> = new Map(),
    sizeEnv: ReadonlyMap<string, S.Size> = new Map(),
    statics: ReadonlyMap<string, Static> = new Map(),
  ): Type {
    const missing = sig.typeParams.find((t) => !typeEnv.has(t));
    if (missing !== undefined) return this.report(at, `cannot infer type parameter '${missing}' of '${decl.name.name}': no argument has its type`);
    const key = [
      ...sig.typeParams.map((t) => T.show(typeEnv.get(t)!)),
      ...sig.fnParams.map((f) => this.fnIdentity(fnArgs.get(f))),
      ...sig.sizeParams.map((v) => `${v}=${sizeEnv.has(v) ? S.show(sizeEnv.get(v)!) : '?'}`),
      ...[...statics].map(([n, v]) => `${n}:=${showStatic(v)}`),
    ].join(' | ');
    const memo = this.instances.get(decl) ?? new Map<string, Type>();
    this.instances.set(decl, memo);
    const done = memo.get(key);
    if (done !== undefined) return done;
    memo.set(key, T.ERROR); // a recursive instance sees an error, reported by the recursion check
    const params = sig.params.map((p) => ({ ...p, type: T.substitute(p.type, sizeEnv, typeEnv) }));
    const declared = decl.ret === null ? null : T.substitute(sig.ret, sizeEnv, typeEnv);
    this.instantiations.push(at);
    this.active.push(decl);
    let body: Type;
    try {
      body = this.checkBodyIn(decl, m, params, declared, typeEnv, fnArgs, sizeEnv, statics);
    } finally {
      this.active.pop();
      this.instantiations.pop();
    }
    const ret = declared ?? strong(body);
    memo.set(key, ret);
    return ret;
  }

  private gradCall(e: Extract<A.Expr, { kind: 'call' }>, maker: Extract<A.Expr, { kind: 'call' }>, withValue: boolean, scope: Scope | null, ctx: Ctx): Type {
    const what = withValue ? 'value_and_grad' : 'grad';
    const fnArg = maker.args.length === 1 && maker.args[0]!.name === null ? maker.args[0]!.value : null;
    const fname = fnArg ? dottedName(fnArg) : null;
    const target = fname ? this.resolveCallee(fname, scope) : null;
    if (target?.kind === 'fn')
      this.targets.set(e, target.local ? { kind: 'local', name: fname!, via: withValue ? 'value_and_grad' : 'grad' } : { kind: withValue ? 'value_and_grad' : 'grad', decl: target.decl, module: target.module });
    if (target?.kind !== 'fn') {
      this.checkArgs(e.args, scope, ctx);
      if (fname !== null && target === null) return this.report(fnArg!.span, `unknown function '${fname}'`);
      return this.report(maker.span, `${what} takes one function name, as in ${what}(loss)`);
    }
    const result = this.fnCall(target.decl, target.module, e.args, e.span, fname!, scope, ctx);
    if (result.kind === 'error') return result;
    // f may return (loss, aux): aux is carried out untouched, as JAX's has_aux does.
    const isLoss = (t: Type | undefined) => t?.kind === 'tensor' && t.dtype === 'f32' && t.shape.length === 0;
    const aux = result.kind === 'tuple' && result.items.length === 2 && isLoss(result.items[0]) ? result.items[1]! : null;
    if (!isLoss(result) && aux === null)
      return this.report(maker.span, `${what} needs a function that returns an f32 scalar (or a pair of one and other values), but '${fname}' returns ${T.show(result)}`);
    const firstParam = this.signature(target.decl, target.module).params[0]?.name;
    const first = e.args.find((a) => a.name?.name === firstParam) ?? (e.args[0]?.name === null ? e.args[0] : undefined);
    if (!first) return this.report(e.span, `${what}(${fname}) needs at least one argument to differentiate with respect to`);
    const wrt = strong(this.types.get(first.value) ?? T.ERROR);
    if (!isFloatTree(wrt))
      return this.report(first.value.span, `${what} differentiates with respect to the first argument, which must be f32 tensors (or a record or tuple of them), found ${T.show(wrt)}`);
    if (aux !== null) return withValue ? T.tuple([result, wrt]) : T.tuple([wrt, aux]);
    return withValue ? T.tuple([T.f32(), wrt]) : wrt;
  }

  private treeMap(e: Extract<A.Expr, { kind: 'call' }>, scope: Scope | null, ctx: Ctx): Type {
    const [f, ...trees] = e.args;
    if (!f || trees.length === 0 || e.args.some((a) => a.name !== null))
      return this.report(e.span, 'tree.map takes a function and one or more records: tree.map(fn(w, g) = …, params, grads)');
    const treeTypes = trees.map((t) => this.expr(t.value, scope, ctx));
    if (treeTypes.some(T.containsError)) return T.ERROR;
    const leaf = (leaves: Type[], path: string): Type => {
      if (f.value.kind === 'lambda') {
        if (f.value.params.length !== leaves.length)
          return this.report(f.value.span, `the function takes ${f.value.params.length} argument(s), but tree.map passes ${leaves.length}`);
        let inner = scope;
        f.value.params.forEach((p, i) => (inner = bind(inner, p.name, { kind: 'value', type: leaves[i]!, span: p.span, mutable: false, static: null })));
        return this.expr(f.value.body, inner, ctx);
      }
      const fname = dottedName(f.value);
      const target = fname ? this.resolveCallee(fname, scope) : null;
      if (target?.kind === 'lambda' || (target?.kind === 'fn' && target.local)) this.targets.set(f.value, { kind: 'local', name: fname!, via: 'map' });
      else if (target?.kind === 'fn') this.targets.set(f.value, { kind: 'fn', decl: target.decl, module: target.module });
      else if (target && target.kind !== 'value') this.targets.set(f.value, target);
      if (target?.kind === 'lambda') {
        const lam = target.binding.lambda;
        if (lam.params.length !== leaves.length) return this.report(f.value.span, `the function takes ${lam.params.length} argument(s), but tree.map passes ${leaves.length}`);
        const inner = lam.params.reduce<Scope | null>((acc, p, i) => bind(acc, p.name, { kind: 'value', type: leaves[i]!, span: p.span, mutable: false, static: null }), target.binding.scope);
        return this.expr(lam.body, inner, { ...target.binding.ctx, ret: null });
      }
      if (target?.kind === 'builtin') {
        const infos = leaves.map((t) => ({ type: t, static: null, span: f.value.span }));
        try {
          return target.builtin.type({ callee: target.builtin.name, ranks: this.ranks, rest: [], get: (n) => infos[target.builtin.params.findIndex((p) => p.name === n)], label: (n) => `'${n}'` });
        } catch (err) {
          if (!(err instanceof RuleError)) throw err;
          return this.report(f.value.span, `${err.message} (at ${path || 'the root'})`);
        }
      }
      if (target?.kind !== 'fn') return this.report(f.value.span, 'tree.map needs a function: a name or fn(…) = …');
      const sig = this.signature(target.decl, target.module);
      if (sig.params.length !== leaves.length) return this.report(f.value.span, `'${fname}' takes ${sig.params.length} argument(s), but tree.map passes ${leaves.length}`);
      const pairs: [S.Size, S.Size, string][] = [];
      const typeEnv = new Map<string, Type>();
      for (let i = 0; i < leaves.length; i++) {
        const r = collectDims(sig.params[i]!.type, leaves[i]!, sig.params[i]!.name, typeEnv);
        if ('message' in r) return this.report(f.value.span, `at ${path || 'the root'}: ${r.message}`);
        pairs.push(...r.pairs);
      }
      const solved = solve(pairs, new Set(sig.sizeParams));
      if (!solved.ok) return this.report(f.value.span, `at ${path || 'the root'}: ${solved.message}`);
      if (sig.fnParams.length > 0) return this.report(f.value.span, `'${fname}' takes a function, which tree.map cannot pass`);
      const ret = sig.typeParams.length > 0 ? this.instance(target.decl, target.module, sig, typeEnv, f.value.span, new Map(), solved.env) : sig.ret;
      return T.substitute(ret, solved.env);
    };
    const walk = (ts: Type[], path: string): Type => {
      const first = ts[0]!;
      if (first.kind === 'tensor') {
        const bad = ts.findIndex((t) => t.kind !== 'tensor');
        if (bad >= 0) return this.report(trees[bad]!.value.span, `tree.map: the records differ in structure at ${path || 'the root'}`);
        return leaf(ts, path);
      }
      if (first.kind === 'record') {
        const keys = (t: Type) => (t.kind === 'record' ? t.fields.map((f) => f.name).sort().join(',') : null);
        const bad = ts.findIndex((t) => keys(t) !== keys(first));
        if (bad >= 0)
          return this.report(trees[bad]!.value.span, `tree.map: the trees differ in structure at ${path || 'the root'}: ${T.show(first)} and ${T.show(ts[bad]!)}`);
        const fields = first.fields.map((fl) => {
          const sub = ts.map((t) => (t.kind === 'record' ? t.fields.find((x) => x.name === fl.name)!.type : T.ERROR));
          return { name: fl.name, type: walk(sub, `${path}.${fl.name}`) };
        });
        return { kind: 'record', fields };
      }
      if (first.kind === 'tuple') {
        if (ts.some((t) => t.kind !== 'tuple' || t.items.length !== first.items.length))
          return this.report(e.span, `tree.map: the tuples differ in structure at ${path || 'the root'}`);
        return T.tuple(first.items.map((_, i) => walk(ts.map((t) => (t.kind === 'tuple' ? t.items[i]! : T.ERROR)), `${path}.${i}`)));
      }
      return this.report(trees[0]!.value.span, `tree.map walks records, tuples and tensors, found ${T.show(first)}`);
    };
    const out = walk(treeTypes, '');
    return T.containsError(out) ? T.ERROR : out;
  }

  /** tree.sum(f, trees…): tree.map, then the sum of what f gave at every leaf (one type for all). */
  private treeSum(e: Extract<A.Expr, { kind: 'call' }>, scope: Scope | null, ctx: Ctx): Type {
    const mapped = this.treeMap(e, scope, ctx);
    if (mapped.kind === 'error') return mapped;
    const leaves: Type[] = [];
    const collect = (t: Type): void => {
      if (t.kind === 'tuple') t.items.forEach(collect);
      else if (t.kind === 'record') t.fields.forEach((f) => collect(f.type));
      else leaves.push(t);
    };
    collect(mapped);
    const first = leaves[0];
    if (first === undefined) return this.report(e.span, 'tree.sum of a tree with no leaves');
    const bad = leaves.find((t) => !T.equal(strong(t), strong(first)) || t.kind !== 'tensor' || t.dtype === 'bool');
    if (bad) return this.report(e.span, `tree.sum adds what the function gives at each leaf, so it must be one numeric type; found ${T.show(first)} and ${T.show(bad)}`);
    return strong(first);
  }

  // ---- host statements ----

  private block(stmts: readonly A.Stmt[], scope: Scope | null, ctx: Ctx): void {
    let s = scope;
    for (const st of stmts) s = this.stmt(st, s, ctx);
  }

  private stmt(st: A.Stmt, scope: Scope | null, ctx: Ctx): Scope | null {
    switch (st.kind) {
      case 'let':
        return this.bindPattern(st.pattern, this.expr(st.value, scope, ctx), staticValue(st.value, scope), scope, false);
      case 'var': {
        const vt = this.expr(st.value, scope, ctx);
        let type = strong(vt);
        if (st.type) {
          type = T.substitute(this.resolveType(st.type, ctx.sizes, ctx.module, ctx.typeVars), ctx.sizeEnv);
          if (!fits(vt, type)) this.report(st.value.span, `'${st.name.name}' is declared ${T.show(type)}, but its value is ${T.show(vt)}`);
        }
        return bind(scope, st.name.name, { kind: 'value', type, span: st.name.span, mutable: true, static: null });
      }
      case 'assign':
        this.assign(st, scope, ctx);
        return scope;
      case 'for':
        this.intBound(st.from, scope, ctx, 'the start of a range');
        this.intBound(st.to, scope, ctx, 'the end of a range');
        this.block(st.body, bind(scope, st.index.name, { kind: 'value', type: T.i32(), span: st.index.span, mutable: false, static: null }), ctx);
        return scope;
      case 'if':
        this.condition(st.cond, scope, ctx);
        this.block(st.then, scope, ctx);
        if (st.else) this.block(st.else, scope, ctx);
        return scope;
      case 'return': {
        const t = this.expr(st.value, scope, ctx);
        if (ctx.ret === null && ctx.inferred) {
          if (ctx.inferred.type === null) ctx.inferred.type = strong(t);
          else if (!fits(t, ctx.inferred.type)) this.report(st.value.span, `an earlier return gives ${T.show(ctx.inferred.type)}, but this value is ${T.show(t)}`);
        } else if (ctx.ret === null || ctx.ret.kind === 'unit')
          this.report(st.span, 'this function declares no return type; add one, as in fn f(…) -> f32 { … }');
        else if (!fits(t, ctx.ret)) this.report(st.value.span, `the function returns ${T.show(ctx.ret)}, but this value is ${T.show(t)}`);
        return scope;
      }
      case 'expr':
        this.expr(st.expr, scope, ctx);
        return scope;
    }
  }

  private assign(st: Extract<A.Stmt, { kind: 'assign' }>, scope: Scope | null, ctx: Ctx): void {
    const t = this.expr(st.value, scope, ctx);
    let parts: Type[];
    if (!st.tuple) parts = [t];
    else if (t.kind === 'error') parts = st.targets.map(() => T.ERROR);
    else if (t.kind === 'tuple' && t.items.length === st.targets.length) parts = [...t.items];
    else {
      this.report(st.value.span, `assigning to ${st.targets.length} variables needs a tuple of ${st.targets.length} values, found ${T.show(t)}`);
      return;
    }
    st.targets.forEach((id, i) => {
      const b = lookup(scope, id.name);
      if (b === undefined) this.report(id.span, `unknown variable '${id.name}'; declare it first with var ${id.name} = …`);
      else if (b.kind !== 'value' || !b.mutable)
        this.report(id.span, `'${id.name}' cannot be assigned; only variables declared with 'var' can`, b.kind === 'value' ? [{ span: b.span, message: 'declared here' }] : []);
      else if (!fits(parts[i]!, b.type))
        this.report(st.value.span, `'${id.name}' is ${T.show(b.type)}, but the new value is ${T.show(parts[i]!)}; a variable keeps its type`, [
          { span: b.span, message: 'declared here' },
        ]);
    });
  }
}

// ---- helpers on types ----

/** A literal's type once it is stored: no longer weak. */
function strong(t: Type): Type {
  return t.kind === 'tensor' && t.weak ? T.tensor(t.dtype, t.shape) : t;
}

/** Whether a value of type `t` may be used where `want` is expected (a literal adapts). */
function fits(t: Type, want: Type): boolean {
  if (t.kind === 'tensor' && t.weak && want.kind === 'tensor')
    return T.sameShape(t.shape, want.shape) && (t.dtype === want.dtype || (t.dtype === 'i32' && want.dtype === 'f32'));
  if (t.kind === 'tuple' && want.kind === 'tuple')
    return t.items.length === want.items.length && t.items.every((x, i) => fits(x, want.items[i]!));
  return T.equal(t, want);
}

/** The common type of two branches, or null; literals adapt, inside tuples too. */
function join(a: Type, b: Type): Type | null {
  if (a.kind === 'error') return b;
  if (b.kind === 'error') return a;
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    if (a.items.length !== b.items.length) return null;
    const items = a.items.map((x, i) => join(x, b.items[i]!));
    return items.every((x) => x !== null) ? T.tuple(items as Type[]) : null;
  }
  if (fits(a, b)) return b.kind === 'tensor' && b.weak && !(a.kind === 'tensor' && a.weak) ? a : b;
  if (fits(b, a)) return a;
  return null;
}

function isFloatTree(t: Type): boolean {
  if (t.kind === 'tensor') return t.dtype === 'f32';
  if (t.kind === 'tuple') return t.items.every(isFloatTree);
  if (t.kind === 'record') return t.fields.every((f) => isFloatTree(f.type));
  return false;
}

function typeSizeVars(t: Type): Set<string> {
  return S.variables(retSizes(t));
}

function retSizes(t: Type): S.Size {
  if (t.kind === 'tensor') return t.shape.reduce((acc, d) => S.add(acc, d), S.constant(0));
  if (t.kind === 'tuple') return t.items.reduce((acc, x) => S.add(acc, retSizes(x)), S.constant(0));
  if (t.kind === 'record') return t.fields.reduce((acc, f) => S.add(acc, retSizes(f.type)), S.constant(0));
  return S.constant(0);
}

function collectNames(p: A.Pattern): A.Ident[] {
  return p.kind === 'name' ? [p.name] : p.items.flatMap(collectNames);
}

function staticConst(e: A.Expr, scope: Scope | null): number | null {
  const v = staticValue(e, scope);
  return v?.kind === 'size' ? S.constValue(v.size) : null;
}

/** Whether a block ends in a return on every path. */
function returns(stmts: readonly A.Stmt[]): boolean {
  const last = stmts[stmts.length - 1];
  if (last === undefined) return false;
  if (last.kind === 'return') return true;
  return last.kind === 'if' && last.else !== null && returns(last.then) && returns(last.else);
}

/** Whether a type annotation mentions a name (a type parameter) anywhere. */
function mentions(t: A.TypeExpr, name: string): boolean {
  switch (t.kind) {
    case 'named':
      return t.name === name;
    case 'tuple':
      return t.items.some((x) => mentions(x, name));
    case 'record':
      return t.fields.some((f) => mentions(f.type, name));
    default:
      return false;
  }
}

let nextLambdaId = 0;

/**
 * A function whose body is checked per use: it has type parameters, function parameters, or
 * string parameters (strings only ever come from literals, so each instance knows its options).
 */
function isGeneric(sig: Pick<Sig, 'typeParams' | 'fnParams' | 'params' | 'host'>): boolean {
  return sig.typeParams.length > 0 || sig.fnParams.length > 0 || (!sig.host && sig.params.some((p) => p.type.kind === 'str'));
}

/** A name like `v` that none of `taken` uses: v', v'', … */
function freshName(v: string, taken: ReadonlySet<string>): string {
  let name = `${v}'`;
  while (taken.has(name)) name += "'";
  return name;
}

function showStatic(v: Static): string {
  switch (v.kind) {
    case 'size':
      return S.show(v.size);
    case 'list':
      return `[${v.items.map(showStatic).join(', ')}]`;
    default:
      return JSON.stringify(v.value);
  }
}
