// A fast-check generator of random well-typed `.mu` programs, for round-trip and robustness tests.
//
// Programs are generated from types downward: each expression is produced for a type fixed before
// it (a tensor of a given dtype and shape, a tuple, a record), choosing only productions whose
// typing rule gives that type, so every program checks by construction. A program has a few type
// declarations, several pure functions with size parameters (each may call the ones before it,
// which are printed in a shuffled order), optional host helpers and an optional `fn main() { … }`.
//
// Randomness comes from a list of choices (natural numbers) drawn by fast-check; every decision
// takes the next one, and a missing choice counts as 0. Choice 0 is always the simplest option, so
// when fast-check shrinks the list (dropping elements, lowering them toward 0) the program shrinks
// too: fewer functions, shallower expressions, literals instead of computations.
//
// One checker bug is avoided rather than hit (see callFn): calls whose size inference would mix a
// caller's size variable with the callee's variable of the same name.
//
// Also here, for the other property tests: `syntax()`, random syntax trees of every construct
// (ill-typed); `mutated()`, texts after random character and token edits; `withoutSpans` and
// `commentsOf`, to compare two parses and the comments of two texts.
import fc from 'fast-check';
import type * as A from '../../compiler/syntax/ast.ts';

export interface ProgramOptions {
  /** Most pure functions (at least 1). */
  readonly maxFns?: number;
  /** Depth of expression trees. */
  readonly depth?: number;
  /** Whether to add host code (`fn main() { … }` and host helpers). */
  readonly host?: boolean;
  /** Whether to sprinkle `--` comments (full-line, trailing, inside expressions). */
  readonly comments?: boolean;
  /** How many choices fast-check draws per program. */
  readonly choices?: number;
}

/** Random well-typed programs, as source text. */
export function programs(options: ProgramOptions = {}): fc.Arbitrary<string> {
  return fc
    .array(fc.nat(), { minLength: 0, maxLength: options.choices ?? 300, size: 'max' })
    .map((choices) => generateProgram(choices, options));
}

/** The default generator: up to 4 functions, host code and comments included. */
export const arbitrary: fc.Arbitrary<string> = programs();

/** The program a list of choices describes (deterministic). */
export function generateProgram(choices: readonly number[], options: ProgramOptions = {}): string {
  return new Generator(new Choices(choices), options).program();
}

// ---- generated types ----

type DType = 'f32' | 'i32' | 'bool';
/** A dimension: a size variable's name, an integer literal, or arithmetic on them (`n + 1`, `2 * n`). */
type Dim = string;

interface Alias {
  readonly name: string;
  readonly args: readonly Dim[];
}

type GType =
  | { readonly k: 'tensor'; readonly dtype: DType; readonly shape: readonly Dim[] }
  | { readonly k: 'tuple'; readonly items: readonly GType[] }
  /** `alias` when the record is an instance of a declared type, for annotations. */
  | { readonly k: 'record'; readonly fields: readonly Field[]; readonly alias?: Alias };

interface Field {
  readonly name: string;
  readonly type: GType;
}

const tensor = (dtype: DType, shape: readonly Dim[] = []): GType => ({ k: 'tensor', dtype, shape });

function typeEq(a: GType, b: GType): boolean {
  if (a.k === 'tensor') return b.k === 'tensor' && a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  if (a.k === 'tuple') return b.k === 'tuple' && a.items.length === b.items.length && a.items.every((t, i) => typeEq(t, b.items[i]!));
  return (
    b.k === 'record' &&
    a.fields.length === b.fields.length &&
    a.fields.every((f) => {
      const g = b.fields.find((x) => x.name === f.name);
      return g !== undefined && typeEq(f.type, g.type);
    })
  );
}

function typeText(t: GType): string {
  switch (t.k) {
    case 'tensor':
      return t.shape.length === 0 ? t.dtype : `${t.dtype}[${t.shape.join(', ')}]`;
    case 'tuple':
      return `(${t.items.map(typeText).join(', ')})`;
    case 'record':
      if (t.alias) return t.alias.args.length === 0 ? t.alias.name : `${t.alias.name}[${t.alias.args.join(', ')}]`;
      return t.fields.length === 0 ? '{}' : `{ ${t.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')} }`;
  }
}

function substitute(t: GType, env: ReadonlyMap<string, Dim>): GType {
  // Inside arithmetic (`2 * n`) a replacement that is itself arithmetic gets parentheses.
  const dim = (d: Dim) =>
    env.get(d) ??
    d.replace(/[A-Za-z_]\w*/g, (v) => {
      const x = env.get(v) ?? v;
      return / /.test(x) ? `(${x})` : x;
    });
  switch (t.k) {
    case 'tensor':
      return tensor(t.dtype, t.shape.map(dim));
    case 'tuple':
      return { k: 'tuple', items: t.items.map((i) => substitute(i, env)) };
    case 'record':
      return {
        k: 'record',
        fields: t.fields.map((f) => ({ name: f.name, type: substitute(f.type, env) })),
        ...(t.alias ? { alias: { name: t.alias.name, args: t.alias.args.map(dim) } } : {}),
      };
  }
}

function dimsOf(t: GType, out = new Set<Dim>()): Set<Dim> {
  if (t.k === 'tensor') for (const d of t.shape) out.add(d);
  else if (t.k === 'tuple') for (const i of t.items) dimsOf(i, out);
  else for (const f of t.fields) dimsOf(f.type, out);
  return out;
}

/** Matches a callee's type (over its size parameters) against a wanted type, extending `env`. */
function matchType(param: GType, want: GType, sizes: ReadonlySet<string>, env: Map<string, Dim>): boolean {
  if (param.k === 'tensor') {
    if (want.k !== 'tensor' || want.dtype !== param.dtype || want.shape.length !== param.shape.length) return false;
    return param.shape.every((d, i) => {
      const w = want.shape[i]!;
      if (!sizes.has(d)) return d === w;
      const bound = env.get(d);
      if (bound === undefined) env.set(d, w);
      return bound === undefined || bound === w;
    });
  }
  if (param.k === 'tuple')
    return want.k === 'tuple' && want.items.length === param.items.length && param.items.every((t, i) => matchType(t, want.items[i]!, sizes, env));
  return (
    want.k === 'record' &&
    want.fields.length === param.fields.length &&
    param.fields.every((f) => {
      const g = want.fields.find((x) => x.name === f.name);
      return g !== undefined && matchType(f.type, g.type, sizes, env);
    })
  );
}

const isFloatTree = (t: GType): boolean =>
  t.k === 'tensor' ? t.dtype === 'f32' : t.k === 'tuple' ? t.items.every(isFloatTree) : t.fields.length > 0 && t.fields.every((f) => isFloatTree(f.type));

// ---- generated code ----

/** Expression text and its binding level (as in the grammar: 0 for let/if/loop … 10 for atoms). */
interface Code {
  readonly s: string;
  readonly p: number;
}

const LET = 0;
const OR = 1;
const AND = 2;
const NOT = 3;
const CMP = 4;
const ADD = 5;
const MUL = 6;
const NEG = 7;
const POW = 8;
const POSTFIX = 9;
const ATOM = 10;

const code = (s: string, p: number): Code => ({ s, p });

const BIN_LEVEL: Readonly<Record<string, number>> = {
  or: OR, and: AND,
  '==': CMP, '!=': CMP, '<': CMP, '<=': CMP, '>': CMP, '>=': CMP,
  '+': ADD, '-': ADD, '*': MUL, '/': MUL, '%': MUL, '@': MUL, '**': POW,
};

// ---- the source of choices ----

class Choices {
  private i = 0;
  constructor(private readonly xs: readonly number[]) {}
  /** 0 … n-1. */
  int(n: number): number {
    if (n <= 1) return 0;
    const c = this.xs[this.i++] ?? 0;
    return c % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** True with probability about 1/n (never when the choices are spent). */
  oneIn(n: number): boolean {
    return this.int(n) === n - 1;
  }
}

// ---- scopes ----

interface Fn {
  readonly name: string;
  readonly sizes: readonly string[];
  readonly params: readonly { readonly name: string; readonly type: GType; readonly optional: boolean }[];
  readonly ret: GType;
  readonly host: boolean;
}

interface Var {
  readonly name: string;
  readonly type: GType;
  readonly mutable: boolean;
  /** A loop index or parameter: never a value known before running (safe as an index). */
  readonly dynamicIndex: boolean;
}

interface Env {
  /** Dimensions new shapes may use: the size parameters in scope and small constants. */
  readonly dims: readonly Dim[];
  /** Size parameters in scope; each is also an i32 scalar. */
  readonly sizeVars: readonly string[];
  readonly vars: readonly Var[];
  readonly fns: readonly Fn[];
  readonly host: boolean;
}

const withVar = (env: Env, name: string, type: GType, opts: Partial<Pick<Var, 'mutable' | 'dynamicIndex'>> = {}): Env => ({
  ...env,
  vars: [...env.vars, { name, type, mutable: opts.mutable ?? false, dynamicIndex: opts.dynamicIndex ?? false }],
});

const FLOATS = ['1.0', '0.5', '2.0', '0.1', '1e-3', '4.7750', '3.0e2', '1E+2', '0.25'];
const INTS = ['0', '1', '2', '3', '7', '10'];
const FIELD_NAMES = ['w', 'b', 'u', 'v', 'scale', 'bias', 'state'];
const UNARY_FLOAT = ['exp', 'tanh', 'relu', 'sigmoid', 'silu', 'gelu', 'sin', 'cos', 'abs', 'sqrt', 'log', 'rsqrt', 'floor', 'sign'];
const STRINGS = ['"step"', '"loss"', '"a -- not a comment"', '"tab\\tquote\\"back\\\\slash"', '"é ∑ 🙂"', '""', '"line\\n"'];
const WORDS = ['note', 'TODO: check this', 'shape [n, m]', 'a -- b', '==', 'x = f(y)', 'é'];

class Generator {
  private counter = 0;
  private readonly maxFns: number;
  private readonly depth: number;
  private readonly typeDecls: { name: string; sizes: string[]; fields: Field[] }[] = [];

  constructor(
    private readonly c: Choices,
    private readonly opts: ProgramOptions,
  ) {
    this.maxFns = Math.max(1, opts.maxFns ?? 4);
    this.depth = opts.depth ?? 3;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  // ---- layout helpers ----

  /** A separator after `,` or an operator: a space, or (rarely) a comment and a line break. */
  private sp(): string {
    if (this.opts.comments === false || !this.c.oneIn(40)) return ' ';
    return ` -- ${this.c.pick(WORDS)}\n      `;
  }

  /** Full-line comments before a declaration or statement. */
  private leadingComments(indent: string): string {
    if (this.opts.comments === false) return '';
    switch (this.c.int(8)) {
      case 1:
        return `${indent}-- ${this.c.pick(WORDS)}\n`;
      case 2:
        return `${indent}-- ==\n${indent}-- input { [1.0, 2.0] } output { 3.0f32 }\n`;
      case 3:
        return `${indent}--\n${indent}-- ${this.c.pick(WORDS)}\n\n`;
      default:
        return '';
    }
  }

  private trailingComment(): string {
    if (this.opts.comments === false || !this.c.oneIn(6)) return '';
    return `  -- ${this.c.pick(WORDS)}`;
  }

  private wrap(x: Code, min: number): string {
    // Now and then a redundant pair of parentheses, which the parser must drop.
    return x.p < min || this.c.oneIn(25) ? `(${x.s})` : x.s;
  }

  private binary(op: string, l: Code, r: Code): Code {
    const lvl = BIN_LEVEL[op]!;
    const [lmin, rmin] =
      lvl === POW ? [POSTFIX, NEG] : lvl === CMP ? [ADD, ADD] : lvl === OR ? [OR, AND] : lvl === AND ? [AND, NOT] : [lvl, lvl + 1];
    return code(`${this.wrap(l, lmin)} ${op}${this.sp()}${this.wrap(r, rmin)}`, lvl);
  }

  private call(name: string, args: readonly string[]): Code {
    return code(`${name}(${args.join(`,${this.sp()}`)})`, POSTFIX);
  }

  // ---- the program ----

  program(): string {
    const decls: string[] = [];
    const nTypes = this.c.int(3);
    for (let i = 0; i < nTypes; i++) decls.push(this.typeDecl());
    const fns: Fn[] = [];
    const nFns = 1 + this.c.int(this.maxFns);
    for (let i = 0; i < nFns; i++) {
      const [text, fn] = this.pureFn(fns);
      decls.push(text);
      fns.push(fn);
    }
    if (this.opts.host !== false && this.c.int(3) !== 0) {
      if (this.c.oneIn(2)) {
        const [text, fn] = this.hostHelper(fns);
        decls.push(text);
        fns.push(fn);
      }
      decls.push(this.main(fns));
    }
    // Declarations may come in any order: the checker resolves names module-wide.
    const order = decls.map((d, i) => ({ d, key: this.c.int(4) * 1000 + i }));
    order.sort((a, b) => a.key - b.key);
    return order.map((o) => this.leadingComments('') + o.d).join('\n');
  }

  private typeDecl(): string {
    const name = `T${this.typeDecls.length}`;
    const sizes = ['i', 'o', 'j'].slice(0, this.c.int(3));
    const dims = [...sizes, '2'];
    const n = 1 + this.c.int(3);
    const fields: Field[] = [];
    for (let i = 0; i < n; i++) {
      const shape = Array.from({ length: this.c.int(3) }, () => this.c.pick(dims));
      fields.push({ name: FIELD_NAMES[i]!, type: tensor(this.c.oneIn(5) ? 'i32' : 'f32', shape) });
    }
    this.typeDecls.push({ name, sizes, fields });
    const params = sizes.length === 0 ? '' : `[${sizes.join(', ')}]`;
    return `type ${name}${params} = { ${fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')} }\n`;
  }

  /** A random type over the dimensions of `env`; `nest` bounds tuples and records inside. */
  /** `arithmetic`: dimensions may be size arithmetic, as in a parameter `x: f32[n + 1, 2 * m]`. */
  private randType(env: Env, nest = 1, arithmetic = false): GType {
    const dim = () => (arithmetic && this.c.oneIn(4) ? this.hiddenDim(env) : this.c.pick(env.dims));
    const shape = (): Dim[] => Array.from({ length: this.c.int(4) }, dim);
    switch (this.c.int(10)) {
      case 6:
        return tensor('i32', shape());
      case 7:
        return tensor('bool', shape());
      case 8:
        if (nest > 0) return { k: 'tuple', items: [this.randType(env, nest - 1), this.randType(env, nest - 1)] };
        return tensor('f32', shape());
      case 9: {
        if (nest <= 0) return tensor('f32', shape());
        const decl = this.typeDecls.length > 0 && this.c.oneIn(2) ? this.c.pick(this.typeDecls) : null;
        if (decl) {
          const args = decl.sizes.map(() => this.c.pick(env.dims));
          const sub = new Map(decl.sizes.map((s, i) => [s, args[i]!]));
          return { k: 'record', fields: decl.fields.map((f) => ({ name: f.name, type: substitute(f.type, sub) })), alias: { name: decl.name, args } };
        }
        const n = 1 + this.c.int(3);
        return { k: 'record', fields: FIELD_NAMES.slice(0, n).map((name) => ({ name, type: this.randType(env, nest - 1) })) };
      }
      default:
        return tensor('f32', shape());
    }
  }

  private pureFn(before: readonly Fn[]): [string, Fn] {
    const name = this.fresh('f');
    const pool = ['n', 'm', 'k', 'p'];
    const sizes = pool.filter((_, i) => i === 0 || this.c.int(2) === 1);
    const env0: Env = { dims: [...sizes, ...sizes, '2', '3', '1'].slice(0, sizes.length * 2 + 1 + this.c.int(3)), sizeVars: sizes, vars: [], fns: before.filter((f) => !f.host), host: false };
    const nParams = 1 + this.c.int(3);
    const params: Fn['params'][number][] = [];
    const texts: string[] = [];
    let env = env0;
    for (let i = 0; i < nParams; i++) {
      const pname = this.fresh('x');
      const type = this.randType(env0, 1, true);
      // A default for a trailing scalar or vector parameter now and then.
      const optional = i > 0 && type.k === 'tensor' && type.dtype === 'f32' && type.shape.length <= 1 && this.c.oneIn(3);
      const dflt = optional ? ` = ${this.literal(env0, type).s}` : '';
      params.push({ name: pname, type, optional });
      texts.push(`${pname}: ${typeText(type)}${dflt}`);
      env = withVar(env, pname, type, { dynamicIndex: true });
    }
    const ret = this.c.oneIn(4) && params[0] ? params[0].type : this.randType(env0);
    const body = this.expr(env, ret, this.depth);
    const annotate = !this.c.oneIn(5);
    const header = `fn ${name}[${sizes.join(', ')}](${texts.join(', ')})${annotate ? ` -> ${typeText(ret)}` : ''} =`;
    return [`${header}\n  ${body.s}${this.trailingComment()}\n`, { name, sizes, params, ret, host: false }];
  }

  // ---- expressions ----

  /** An expression of type `t` in `env`, at most `depth` productions deep. */
  private expr(env: Env, t: GType, depth: number): Code {
    if (depth <= 0) return this.leaf(env, t);
    const options: (() => Code | null)[] = [() => this.leaf(env, t), ...this.productions(env, t, depth - 1)];
    // Leaves stay likely at every depth, which keeps programs small.
    const i = this.c.int(options.length + 2);
    return (i < options.length ? options[i]!() : null) ?? this.leaf(env, t);
  }

  /** Variables (and fields of record variables) of type `t`, or a literal. */
  private leaf(env: Env, t: GType): Code {
    const found: Code[] = [];
    const visit = (path: string, vt: GType, p: number) => {
      if (typeEq(vt, t)) found.push(code(path, p));
      if (vt.k === 'record') for (const f of vt.fields) visit(`${path}.${f.name}`, f.type, POSTFIX);
    };
    for (const v of env.vars) visit(v.name, v.type, ATOM);
    if (t.k === 'tensor' && t.dtype === 'i32' && t.shape.length === 0) for (const s of env.sizeVars) found.push(code(s, ATOM));
    const i = this.c.int(found.length + 1);
    return i === 0 ? this.literal(env, t) : found[i - 1]!;
  }

  private literal(env: Env, t: GType): Code {
    switch (t.k) {
      case 'tensor': {
        const shape = `[${t.shape.join(', ')}]`;
        if (t.shape.length === 0) {
          if (t.dtype === 'f32') return env.sizeVars.length > 0 && this.c.oneIn(5) ? this.call('f32', [this.c.pick(env.sizeVars)]) : code(this.c.pick(FLOATS), ATOM);
          if (t.dtype === 'i32') return code(this.c.pick(INTS), ATOM);
          return code(this.c.pick(['true', 'false']), ATOM);
        }
        if (t.dtype === 'f32') {
          const which = this.c.int(3);
          if (which === 0) return this.call('zeros', [shape]);
          if (which === 1) return this.call('ones', [shape]);
          return this.call('full', [shape, this.c.pick(FLOATS)]);
        }
        if (t.dtype === 'i32') return t.shape.length === 1 && this.c.oneIn(2) ? this.call('arange', [t.shape[0]!]) : this.call('full', [shape, this.c.pick(INTS)]);
        return this.call('full', [shape, this.c.pick(['true', 'false'])]);
      }
      case 'tuple':
        return code(`(${t.items.map((i) => this.literal(env, i).s).join(`,${this.sp()}`)})`, ATOM);
      case 'record':
        return this.recordLiteral(t, (ft) => this.literal(env, ft));
    }
  }

  private recordLiteral(t: Extract<GType, { k: 'record' }>, value: (t: GType) => Code): Code {
    if (t.fields.length === 0) return code('{}', ATOM);
    return code(`{ ${t.fields.map((f) => `${f.name}: ${value(f.type).s}`).join(`,${this.sp()}`)} }`, ATOM);
  }

  /** The productions whose typing rule can give `t` (each may decline by returning null). */
  private productions(env: Env, t: GType, d: number): (() => Code | null)[] {
    const out: (() => Code | null)[] = [
      () => this.letIn(env, t, d),
      () => this.ifElse(env, t, d),
      () => this.loop(env, t, d),
      () => this.callFn(env, t, d),
      () => this.fieldOf(env, t, d),
    ];
    if (t.k === 'tuple') out.push(() => code(`(${t.items.map((i) => this.expr(env, i, d).s).join(`,${this.sp()}`)})`, ATOM));
    if (t.k === 'record') out.push(...this.recordProductions(env, t, d));
    if (t.k === 'tensor') {
      if (t.dtype === 'f32') out.push(...this.floatProductions(env, t.shape, d));
      if (t.dtype === 'i32') out.push(...this.intProductions(env, t.shape, d));
      if (t.dtype === 'bool') out.push(...this.boolProductions(env, t.shape, d));
      out.push(...this.tensorProductions(env, t.dtype, t.shape, d));
      out.push(...this.sizeArithmetic(env, t.dtype, t.shape, d));
      out.push(...this.indexProductions(env, t.dtype, t.shape, d));
    }
    return out;
  }

  private letIn(env: Env, t: GType, d: number): Code {
    const vt = this.randType(env);
    const value = this.expr(env, vt, d);
    const [pattern, inner] = this.bindPattern(env, vt);
    const body = this.expr(inner, t, d);
    return code(`let ${pattern} = ${value.s} in${this.sp()}${body.s}`, LET);
  }

  /** A pattern for a value of type `t` and the scope it makes. */
  private bindPattern(env: Env, t: GType, opts: Partial<Pick<Var, 'mutable' | 'dynamicIndex'>> = {}): [string, Env] {
    if (t.k === 'tuple' && this.c.int(3) !== 0) {
      let inner = env;
      const parts = t.items.map((item) => {
        if (this.c.oneIn(6)) return '_';
        const [p, e] = this.bindPattern(inner, item, opts);
        inner = e;
        return p;
      });
      return [`(${parts.join(', ')})`, inner];
    }
    const name = this.fresh('v');
    return [name, withVar(env, name, t, opts)];
  }

  private ifElse(env: Env, t: GType, d: number): Code {
    const cond = this.expr(env, tensor('bool'), d);
    return code(`if ${cond.s} then ${this.expr(env, t, d).s} else${this.sp()}${this.expr(env, t, d).s}`, LET);
  }

  private loop(env: Env, t: GType, d: number): Code {
    const init = this.expr(env, t, d);
    const [pattern, inner] = this.bindPattern(env, t);
    const index = this.fresh('i');
    const body = this.expr(withVar(inner, index, tensor('i32'), { dynamicIndex: true }), t, d);
    const lo = this.c.pick(['0', '1']);
    const hi = this.c.pick([...env.sizeVars, '3']);
    return code(`loop ${pattern} = ${init.s} for ${index} in ${lo}..${hi} do ${body.s}`, LET);
  }

  /** A call of an earlier function whose return type can be instantiated to `t`. */
  private callFn(env: Env, t: GType, d: number): Code | null {
    const candidates = env.fns
      .filter((f) => !f.host || env.host)
      .map((f) => {
        const sub = new Map<string, Dim>();
        return matchType(f.ret, t, new Set(f.sizes), sub) ? { f, sub } : null;
      })
      .filter((x) => x !== null);
    if (candidates.length === 0) return null;
    const { f, sub } = this.c.pick(candidates);
    for (const s of f.sizes) if (!sub.has(s)) sub.set(s, this.hiddenDim(env));
    // Known checker bug (reported): size inference confuses a caller's size variable with the
    // callee's size variable of the same name, so `g[n, k]` called with k := n (the caller's n)
    // and n := 2 is rejected. Only calls where such a shared name maps to itself are generated.
    for (const v of sub.values()) for (const name of v.match(/[A-Za-z_]\w*/g) ?? []) if (f.sizes.includes(name) && sub.get(name) !== name) return null;
    return this.callWith(env, f, sub, d);
  }

  private callWith(env: Env, f: Fn, sub: ReadonlyMap<string, Dim>, d: number, minPositional = 0): Code {
    // Positional arguments are a prefix of the parameters; the rest go by keyword or, when they
    // have a default, are left out. Sizes no argument determines are passed by keyword.
    const nPositional = Math.max(minPositional, this.c.int(f.params.length + 1));
    const positional: string[] = [];
    const keyword: string[] = [];
    const bound = new Set<Dim>();
    f.params.forEach((p, i) => {
      if (i >= nPositional && p.optional && this.c.oneIn(2)) return;
      const arg = this.expr(env, substitute(p.type, sub), d).s;
      // The checker infers a size from a dimension that is the size alone or arithmetic on it
      // alone (`n + 1`, `2 * n`); others are passed by keyword.
      for (const x of dimsOf(p.type)) {
        const vars = new Set(x.match(/[A-Za-z_]\w*/g) ?? []);
        if (vars.size === 1) bound.add([...vars][0]!);
      }
      if (i < nPositional) positional.push(arg);
      else keyword.push(`${p.name} = ${arg}`);
    });
    for (const s of f.sizes) if (!bound.has(s) || this.c.oneIn(8)) keyword.push(`${s} = ${sub.get(s)!}`);
    // Keyword arguments in any order.
    const shuffled = keyword.map((k, i) => ({ k, key: this.c.int(8) * 100 + i })).sort((a, b) => a.key - b.key);
    return this.call(f.name, [...positional, ...shuffled.map((x) => x.k)]);
  }

  private fieldOf(env: Env, t: GType, d: number): Code | null {
    const others = FIELD_NAMES.slice(0, this.c.int(3));
    const name = this.c.pick(['q', 'r', 'out']);
    const fields = [...others.map((n) => ({ name: n, type: this.randType(env, 0) })), { name, type: t }];
    const rec = this.expr(env, { k: 'record', fields }, d);
    return code(`${this.wrap(rec, POSTFIX)}.${name}`, POSTFIX);
  }

  private recordProductions(env: Env, t: Extract<GType, { k: 'record' }>, d: number): (() => Code | null)[] {
    return [
      () => this.recordLiteral(t, (ft) => this.expr(env, ft, d)),
      () => {
        if (t.fields.length === 0) return null;
        const f = this.c.pick(t.fields);
        return code(`{ ${this.expr(env, t, d).s} with ${f.name}: ${this.expr(env, f.type, d).s} }`, ATOM);
      },
      () => {
        if (!isFloatTree(t)) return null;
        switch (this.c.int(3)) {
          case 0:
            return this.call('tree.map', [this.c.pick(['exp', 'relu', 'tanh']), this.expr(env, t, d).s]);
          case 1:
            return this.call('tree.map', ['fn(a) = a * 2.0', this.expr(env, t, d).s]);
          default: {
            const lam = this.c.pick(['fn(w, g) = w - 0.1 * g', 'fn(a, b) = a * b', 'fn(a, b) = relu(a) + -b', 'fn(a, b) = if 1.0 < 2.0 then a else b']);
            return this.call('tree.map', [lam, this.expr(env, t, d).s, this.expr(env, t, d).s]);
          }
        }
      },
    ];
  }

  /** Productions for a tensor of any dtype. */
  private tensorProductions(env: Env, dtype: DType, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const t = tensor(dtype, shape);
    const r = shape.length;
    return [
      // x[0], x[i] on a tensor with one more leading axis
      () => {
        const src = this.expr(env, tensor(dtype, [this.hiddenDim(env), ...shape]), d);
        const dyn = env.vars.filter((v) => v.dynamicIndex && v.type.k === 'tensor' && v.type.dtype === 'i32' && v.type.shape.length === 0).map((v) => v.name);
        return code(`${this.wrap(src, POSTFIX)}[${this.c.pick(['0', '-1', ...dyn])}]`, POSTFIX);
      },
      // slices that keep the shape
      () => {
        if (r === 0) return null;
        const src = this.expr(env, t, d);
        const n = 1 + this.c.int(r);
        const items = shape.slice(0, n).map((dim) => this.c.pick([':', '0:', `:${dim}`, `0:${dim}`]));
        return code(`${this.wrap(src, POSTFIX)}[${items.join(', ')}]`, POSTFIX);
      },
      () => {
        if (r < 2) return null;
        // transpose(x) swaps the last two axes; transpose(x, perm = …) permutes them all
        if (this.c.oneIn(2)) return this.call('transpose', [this.expr(env, tensor(dtype, [...shape.slice(0, -2), shape[r - 1]!, shape[r - 2]!]), d).s]);
        const perm = [...Array(r).keys()].map((i) => ({ i, key: this.c.int(8) })).sort((a, b) => a.key - b.key || a.i - b.i).map((x) => x.i);
        const src: Dim[] = [];
        perm.forEach((p, i) => (src[p] = shape[i]!));
        return this.call('transpose', [this.expr(env, tensor(dtype, src), d).s, `perm = [${perm.join(', ')}]`]);
      },
      () => {
        if (r < 2) return null;
        // reshape to the same dimensions in another order (equal products)
        const src = [...shape].reverse();
        return this.call('reshape', [this.expr(env, tensor(dtype, src), d).s, `[${shape.join(', ')}]`]);
      },
      () => {
        const k = shape.indexOf('1');
        if (k >= 0) return this.call('expand_dims', [this.expr(env, tensor(dtype, shape.filter((_, i) => i !== k)), d).s, String(k)]);
        const at = this.c.int(r + 1);
        return this.call('squeeze', [this.expr(env, tensor(dtype, [...shape.slice(0, at), '1', ...shape.slice(at)]), d).s, `axis = ${at}`]);
      },
      () => {
        const k = shape.indexOf('2');
        if (k < 0) return null;
        const part = tensor(dtype, shape.filter((_, i) => i !== k));
        return this.call('stack', [`(${this.expr(env, part, d).s}, ${this.expr(env, part, d).s})`, `axis = ${k}`]);
      },
      () => {
        if (r === 0) return null;
        return this.call('broadcast_to', [this.expr(env, tensor(dtype, this.broadcastable(shape)), d).s, `[${shape.join(', ')}]`]);
      },
      () => this.call('where', [this.expr(env, tensor('bool', this.broadcastable(shape)), d).s, this.expr(env, t, d).s, this.expr(env, tensor(dtype, this.broadcastable(shape)), d).s]),
    ];
  }

  /**
   * A dimension for an axis that the expression being built removes (a reduced axis, an indexed
   * one, the inner size of a product): a dimension of the scope or, now and then, arithmetic on
   * size variables, which `concat`, `pad` and `reshape` then have to produce.
   */
  private hiddenDim(env: Env): Dim {
    const vars = env.sizeVars;
    if (vars.length === 0 || !this.c.oneIn(3)) return this.c.pick(env.dims);
    const a = this.c.pick(vars);
    switch (this.c.int(3)) {
      case 0:
        return `${a} + ${this.c.pick(['1', '2', '3'])}`;
      case 1:
        return `${a} + ${this.c.pick(vars)}`;
      default:
        return `2 * ${a}`;
    }
  }

  /** Productions for a tensor with a dimension of size arithmetic (`n + 2`, `n + m`, `2 * n`). */
  private sizeArithmetic(env: Env, dtype: DType, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const at = shape.findIndex((dim) => / [+*] /.test(dim));
    if (at < 0) return [];
    const dim = shape[at]!;
    const withDims = (dims: readonly Dim[]) => tensor(dtype, [...shape.slice(0, at), ...dims, ...shape.slice(at + 1)]);
    const out: (() => Code | null)[] = [];
    const sum = /^(\w+) \+ (\w+)$/.exec(dim);
    if (sum)
      out.push(() =>
        this.call('concat', [`(${this.expr(env, withDims([sum[1]!]), d).s}, ${this.expr(env, withDims([sum[2]!]), d).s})`, `axis = ${this.c.oneIn(2) ? at : at - shape.length}`]),
      );
    const plus = /^(\w+) \+ (\d+)$/.exec(dim);
    if (plus) {
      const c = Number(plus[2]);
      const before = this.c.int(c + 1);
      out.push(() => this.call('pad', [this.expr(env, withDims([plus[1]!]), d).s, String(before), String(c - before), `axis = ${at}`]));
    }
    const twice = /^2 \* (\w+)$/.exec(dim);
    if (twice) out.push(() => this.call('reshape', [this.expr(env, withDims([twice[1]!, '2']), d).s, `[${shape.join(', ')}]`]));
    return out;
  }

  /** Productions that move elements by index: gather, take_along_axis, topk, sort, argsort, scatter_add. */
  private indexProductions(env: Env, dtype: DType, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const r = shape.length;
    const idx = (s: readonly Dim[]) => this.expr(env, tensor('i32', s), d).s;
    const out: (() => Code | null)[] = [
      () => {
        // gather(x, indices, axis = k): x's axis k is replaced by the shape of the indices
        const k = this.c.int(r + 1);
        const m = this.c.int(r - k + 1);
        const x = tensor(dtype, [...shape.slice(0, k), this.hiddenDim(env), ...shape.slice(k + m)]);
        return this.call('gather', [this.expr(env, x, d).s, idx(shape.slice(k, k + m)), ...(k === 0 && this.c.oneIn(2) ? [] : [`axis = ${k}`])]);
      },
      () => {
        if (r === 0) return null;
        const k = this.c.int(r);
        const x = tensor(dtype, shape.map((dim, i) => (i === k ? this.hiddenDim(env) : dim)));
        return this.call('take_along_axis', [this.expr(env, x, d).s, idx(shape), `axis = ${k}`]);
      },
    ];
    if (dtype === 'bool') return out;
    out.push(
      () => {
        if (r === 0) return null;
        // the k largest along the last axis: k is this shape's last dimension
        const k = shape[r - 1]!;
        const n = /^\d+$/.test(k) ? k : this.hiddenDim(env);
        const x = this.expr(env, tensor(dtype, [...shape.slice(0, -1), n]), d);
        const [v, i] = [this.fresh('v'), this.fresh('v')];
        return code(`let (${v}, ${i}) = topk(${x.s}, ${k}) in ${v}`, LET);
      },
      () => {
        if (r === 0) return null;
        const args = [this.expr(env, tensor(dtype, shape), d).s];
        if (this.c.oneIn(2)) args.push(`axis = ${this.c.int(r)}`);
        if (this.c.oneIn(2)) args.push(`descending = ${this.c.pick(['true', 'false'])}`);
        return this.call('sort', args);
      },
      () => {
        if (r === 0) return null;
        // scatter_add(target, indices, updates, axis = k)
        const k = this.c.int(r);
        const mid = Array.from({ length: this.c.int(3) }, () => this.c.pick(env.dims));
        const updates = tensor(dtype, [...shape.slice(0, k), ...mid, ...shape.slice(k + 1)]);
        return this.call('scatter_add', [this.expr(env, tensor(dtype, shape), d).s, idx(mid), this.expr(env, updates, d).s, `axis = ${k}`]);
      },
    );
    return out;
  }

  /** A shape that broadcasts to `shape` without changing it: a suffix, some axes set to 1. */
  private broadcastable(shape: readonly Dim[]): Dim[] {
    return shape.slice(this.c.int(shape.length + 1)).map((dim) => (this.c.oneIn(4) ? '1' : dim));
  }

  /** Two operand shapes whose broadcast is `shape`. */
  private operandShapes(shape: readonly Dim[]): [Dim[], Dim[]] {
    const other = this.broadcastable(shape);
    return this.c.oneIn(2) ? [[...shape], other] : [other, [...shape]];
  }

  private floatProductions(env: Env, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const r = shape.length;
    const f = (s: readonly Dim[]) => this.expr(env, tensor('f32', s), d);
    return [
      () => {
        const op = this.c.pick(['+', '-', '*', '/', '**', '%']);
        if (this.c.oneIn(3)) {
          const lit = code(this.c.pick(FLOATS), ATOM);
          return this.c.oneIn(2) ? this.binary(op, f(shape), lit) : this.binary(op, lit, f(shape));
        }
        const [a, b] = this.operandShapes(shape);
        return this.binary(op, f(a), f(b));
      },
      () => {
        const x = f(shape);
        const s = this.wrap(x, NEG);
        return code(s.startsWith('-') ? `-(${s})` : `-${s}`, NEG);
      },
      () => this.call(this.c.pick(UNARY_FLOAT), [f(shape).s]),
      () => {
        const [a, b] = this.operandShapes(shape);
        return this.call(this.c.pick(['maximum', 'minimum']), [f(a).s, f(b).s]);
      },
      // reductions over one or two inserted axes, or keepdims over an axis of size 1
      () => this.reduction(env, 'f32', shape, d, ['sum', 'mean', 'max', 'min']),
      () => {
        if (r === 0) return this.call(this.c.pick(['norm', 'sum', 'mean']), [f(this.randShape(env)).s]);
        return this.call(this.c.pick(['softmax', 'log_softmax']), r > 0 && this.c.oneIn(2) ? [f(shape).s, `axis = ${this.c.int(r) - r}`] : [f(shape).s]);
      },
      // matrix products
      () => {
        const j = this.hiddenDim(env);
        let a: Dim[];
        let b: Dim[];
        if (r === 0) [a, b] = [[j], [j]];
        else if (r === 1) [a, b] = this.c.oneIn(2) ? [[shape[0]!, j], [j]] : [[j], [j, shape[0]!]];
        else if (r === 2) [a, b] = [[shape[0]!, j], [j, shape[1]!]];
        else if (r === 3) [a, b] = [[shape[0]!, shape[1]!, j], this.c.oneIn(2) ? [j, shape[2]!] : [shape[0]!, j, shape[2]!]];
        else return null;
        return this.c.oneIn(3) ? this.call('matmul', [f(a).s, f(b).s]) : this.binary('@', f(a), f(b));
      },
      () => this.call('f32', [this.expr(env, tensor(this.c.pick(['i32', 'bool'] as const), shape), d).s]),
      () => {
        if (r === 0) return null;
        return this.call('one_hot', [this.expr(env, tensor('i32', shape.slice(0, -1)), d).s, shape[r - 1]!]);
      },
      () => this.call(this.c.pick(['zeros_like', 'ones_like']), [f(shape).s]),
      () => (r === 0 ? this.binary('*', f(shape), code('2', ATOM)) : this.call('cumsum', [f(shape).s])),
      () => (r === 0 ? this.call('f32', [this.intScalar(env, d).s]) : null),
    ];
  }

  private randShape(env: Env): Dim[] {
    return Array.from({ length: 1 + this.c.int(3) }, () => this.c.pick(env.dims));
  }

  private intScalar(env: Env, d: number): Code {
    const x = this.expr(env, tensor('i32'), d);
    return this.binary(this.c.pick(['+', '-', '*']), x, code(this.c.pick(INTS), ATOM));
  }

  private reduction(env: Env, dtype: 'f32' | 'i32', shape: readonly Dim[], d: number, fns: readonly string[]): Code {
    const r = shape.length;
    const fn = this.c.pick(fns);
    const one = shape.indexOf('1');
    if (one >= 0 && this.c.oneIn(3)) {
      const src = shape.map((dim, i) => (i === one ? this.hiddenDim(env) : dim));
      return this.call(fn, [this.expr(env, tensor(dtype, src), d).s, `axis = ${one}`, 'keepdims = true']);
    }
    if (this.c.oneIn(4)) {
      // two axes at once: insert at a ≤ b (positions in the source)
      const a = this.c.int(r + 1);
      const b = a + 1 + this.c.int(r + 1 - a);
      const src = [...shape];
      src.splice(a, 0, this.hiddenDim(env));
      src.splice(b, 0, this.hiddenDim(env));
      return this.call(fn, [this.expr(env, tensor(dtype, src), d).s, `axis = [${a}, ${b}]`]);
    }
    const k = this.c.int(r + 1);
    const src = [...shape];
    src.splice(k, 0, this.hiddenDim(env));
    const axis = this.c.oneIn(2) ? String(k) : String(k - (r + 1));
    return this.call(fn, [this.expr(env, tensor(dtype, src), d).s, this.c.oneIn(5) ? `axis = [${axis}]` : `axis = ${axis}`]);
  }

  private intProductions(env: Env, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const r = shape.length;
    const i = (s: readonly Dim[]) => this.expr(env, tensor('i32', s), d);
    return [
      () => {
        const op = this.c.pick(['+', '-', '*', '/', '%']);
        const [a, b] = this.operandShapes(shape);
        return this.c.oneIn(3) ? this.binary(op, i(shape), code(this.c.pick(INTS), ATOM)) : this.binary(op, i(a), i(b));
      },
      () => {
        const s = this.wrap(i(shape), NEG);
        return code(s.startsWith('-') ? `-(${s})` : `-${s}`, NEG);
      },
      () => {
        const k = this.c.int(r + 1);
        const src = [...shape];
        src.splice(k, 0, this.hiddenDim(env));
        return this.call('argmax', [this.expr(env, tensor('f32', src), d).s, `axis = ${this.c.oneIn(2) ? k : k - (r + 1)}`]);
      },
      () => this.call('i32', [this.expr(env, tensor(this.c.pick(['f32', 'bool'] as const), shape), d).s]),
      () => (r === 0 ? null : this.call('argsort', [this.expr(env, tensor(this.c.pick(['f32', 'i32'] as const), shape), d).s])),
      () => this.reduction(env, 'i32', shape, d, ['sum', 'max', 'min']),
      () => (r === 0 && env.sizeVars.length > 0 ? this.binary(this.c.pick(['+', '*', '-']), code(this.c.pick(env.sizeVars), ATOM), code(this.c.pick(INTS), ATOM)) : null),
    ];
  }

  private boolProductions(env: Env, shape: readonly Dim[], d: number): (() => Code | null)[] {
    const b = (s: readonly Dim[]) => this.expr(env, tensor('bool', s), d);
    return [
      () => {
        const [x, y] = this.operandShapes(shape);
        const dt = this.c.oneIn(4) ? 'i32' : 'f32';
        return this.binary(this.c.pick(['<', '<=', '>', '>=', '==', '!=']), this.expr(env, tensor(dt, x), d), this.expr(env, tensor(dt, y), d));
      },
      () => {
        const [x, y] = this.operandShapes(shape);
        return this.binary(this.c.pick(['and', 'or']), b(x), b(y));
      },
      () => code(`not ${this.wrap(b(shape), NOT)}`, NOT),
      () => this.binary(this.c.pick(['==', '!=']), b(shape), b(shape)),
    ];
  }

  // ---- host code ----

  private hostHelper(fns: readonly Fn[]): [string, Fn] {
    const name = this.fresh('h');
    const sizes = ['n'];
    const env0: Env = { dims: ['n', '2', '3'], sizeVars: sizes, vars: [], fns, host: true };
    const pname = this.fresh('x');
    const ptype = tensor('f32', ['n', this.c.pick(['2', '3'])]);
    const ret = this.randType(env0, 0);
    const env = withVar(env0, pname, ptype, { dynamicIndex: true });
    const [stmts, inner] = this.stmts(env, 1 + this.c.int(3), 1, '  ');
    const text = `fn ${name}[n](${pname}: ${typeText(ptype)}) -> ${typeText(ret)} {\n${stmts}  return ${this.expr(inner, ret, 2).s}\n}\n`;
    return [text, { name, sizes, params: [{ name: pname, type: ptype, optional: false }], ret, host: true }];
  }

  private main(fns: readonly Fn[]): string {
    const env: Env = { dims: ['2', '3', '4', '1'], sizeVars: [], vars: [], fns, host: true };
    const [body] = this.stmts(env, 2 + this.c.int(5), 2, '  ');
    let grad = '';
    // value_and_grad of a function of an f32 tree that returns an f32 scalar
    const target = fns.find((f) => !f.host && f.params.length > 0 && isFloatTree(f.params[0]!.type) && typeEq(f.ret, tensor('f32')));
    if (target && this.c.oneIn(2)) {
      const sub = new Map(target.sizes.map((s) => [s, this.c.pick(['2', '3'])] as const));
      const call = this.callWith({ ...env, fns: [] }, target, sub, 1, 1).s;
      const which = this.c.oneIn(2) ? 'grad' : 'value_and_grad';
      const args = call.slice(call.indexOf('('));
      const g = this.fresh('g');
      grad = which === 'grad' ? `  let ${g} = grad(${target.name})${args}\n  print(${g})\n` : `  let (l${g}, ${g}) = value_and_grad(${target.name})${args}\n  print("loss", l${g})\n`;
    }
    return `fn main() {\n${body}${grad}}\n`;
  }

  /** `n` host statements; returns their text and the scope after them. */
  private stmts(env0: Env, n: number, depth: number, indent: string): [string, Env] {
    let env = env0;
    let out = '';
    const stmt = (s: string) => {
      out += `${this.leadingComments(indent)}${indent}${s}${this.trailingComment()}\n`;
    };
    for (let i = 0; i < n; i++) {
      const mutables = env.vars.filter((v) => v.mutable);
      switch (this.c.int(depth > 0 ? 8 : 5)) {
        case 0: {
          const t = this.randType(env);
          const value = this.expr(env, t, 2);
          const [pattern, inner] = this.bindPattern(env, t);
          stmt(`let ${pattern} = ${value.s}`);
          env = inner;
          break;
        }
        case 1: {
          const t = this.randType(env);
          const name = this.fresh('u');
          stmt(`var ${name}${this.c.oneIn(2) ? `: ${typeText(t)}` : ''} = ${this.expr(env, t, 2).s}`);
          env = withVar(env, name, t, { mutable: true });
          break;
        }
        case 2: {
          if (mutables.length >= 2 && this.c.oneIn(3)) {
            const [a, b] = [mutables[0]!, mutables[mutables.length - 1]!];
            stmt(`(${a.name}, ${b.name}) = ${this.expr(env, { k: 'tuple', items: [a.type, b.type] }, 2).s}`);
          } else if (mutables.length > 0) {
            const v = this.c.pick(mutables);
            stmt(`${v.name} = ${this.expr(env, v.type, 2).s}`);
          } else stmt(this.print(env));
          break;
        }
        case 3:
        case 4:
          stmt(this.print(env));
          break;
        case 5:
        case 6: {
          const index = this.fresh('i');
          const [body] = this.stmts(withVar(env, index, tensor('i32'), { dynamicIndex: true }), 1 + this.c.int(3), depth - 1, indent + '  ');
          stmt(`for ${index} in ${this.c.pick(['0', '1'])}..${this.c.pick(['3', '10', '2 + 2'])} do {\n${body}${indent}}`);
          break;
        }
        default: {
          const cond = this.expr(env, tensor('bool'), 1).s;
          const [then] = this.stmts(env, 1 + this.c.int(2), depth - 1, indent + '  ');
          const which = this.c.int(3);
          if (which === 0) stmt(`if ${cond} then {\n${then}${indent}}`);
          else if (which === 1) {
            const [els] = this.stmts(env, this.c.int(3), depth - 1, indent + '  ');
            stmt(`if ${cond} then {\n${then}${indent}} else {\n${els}${indent}}`);
          } else {
            const [els] = this.stmts(env, 1, depth - 1, indent + '  ');
            const cond2 = this.expr(env, tensor('bool'), 1).s;
            stmt(`if ${cond} then {\n${then}${indent}} else if ${cond2} then {\n${els}${indent}}`);
          }
        }
      }
    }
    return [out, env];
  }

  private print(env: Env): string {
    const args: string[] = [];
    const n = 1 + this.c.int(3);
    for (let i = 0; i < n; i++) {
      if (this.c.oneIn(2)) args.push(this.c.pick(STRINGS));
      else args.push(this.expr(env, this.randType(env), 1).s);
    }
    return `print(${args.join(', ')})`;
  }
}

/** A copy of an AST without its source positions (`span`, `opSpan`), to compare parses of two texts. */
export function withoutSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSpans);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'opSpan') out[k] = withoutSpans(v);
  return out;
}

/** The `--` comments of a source text (string literals skipped), each trimmed, in order. */
export function commentsOf(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      out.push(text.slice(i, end < 0 ? text.length : end).trim());
      i = end < 0 ? text.length : end;
    }
  }
  return out;
}

// ---- mutations, for fuzzing ----

/** Tokens of the language (and a few near misses), to build and mutate texts with. */
export const TOKENS: readonly string[] = [
  'fn', 'type', 'import', 'as', 'let', 'in', 'if', 'then', 'else', 'loop', 'for', 'do', 'and', 'or', 'not',
  'true', 'false', 'with', 'var', 'return', 'f32', 'i32', 'bool', 'str',
  'x', 'y', 'n', 'm', '_', 'main', 'sum', 'mean', 'exp', 'relu', 'transpose', 'zeros', 'print', 'tree.map',
  'grad', 'value_and_grad', 'rand.normal', 'rand.key', 'reshape', 'axis', 'std.nn', 'w', 'b',
  '0', '1', '2', '-1', '1.5', '1e-7', '4.7750', '99999999999999999999999', '"s"', '"a -- b"', '"\\n"', '"',
  '(', ')', '[', ']', '{', '}', ',', ':', '.', '..', '=', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*',
  '/', '%', '**', '@', '->', '--', '-- c\n', '\n', ' ', '\t', '\\', ';', '#', '$', '\u00e9', '\u{1F642}',
];

/** One edit of a text; positions are taken modulo the text's length. */
export type Mutation =
  | { readonly op: 'deleteChar' | 'duplicateLine' | 'deleteLine' | 'deleteToken'; readonly at: number }
  | { readonly op: 'insertChar' | 'replaceChar' | 'insertToken' | 'replaceToken'; readonly at: number; readonly piece: string }
  | { readonly op: 'swapTokens'; readonly at: number; readonly other: number };

/** Random single-character pieces: the language's punctuation, letters, digits, odd characters. */
const charPiece = fc.oneof(
  fc.constantFrom(...'()[]{},:.=<>+-*/%@"\\\n\t #;_'.split('')),
  fc.constantFrom('a', 'z', 'n', 'x', '0', '1', '9', 'e', 'E'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('deleteChar', 'duplicateLine', 'deleteLine', 'deleteToken'), at: fc.nat() }),
  fc.record({ op: fc.constantFrom('insertChar', 'replaceChar'), at: fc.nat(), piece: charPiece }),
  fc.record({ op: fc.constantFrom('insertToken', 'replaceToken'), at: fc.nat(), piece: fc.constantFrom(...TOKENS) }),
  fc.record({ op: fc.constant('swapTokens'), at: fc.nat(), other: fc.nat() }),
);

/** The text split into tokens (whitespace runs included), so that joining them gives it back. */
export function tokenize(text: string): string[] {
  const re = /--[^\n]*|"(?:\\.|[^"\\\n])*"?|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\.|->|==|!=|<=|>=|\*\*|\s+|[^]/gu;
  return text.match(re) ?? [];
}

export function mutate(text: string, m: Mutation): string {
  const at = (n: number) => (n === 0 ? 0 : m.at % n);
  switch (m.op) {
    case 'deleteChar': {
      const i = at(text.length);
      return text.slice(0, i) + text.slice(i + 1);
    }
    case 'insertChar':
    case 'replaceChar': {
      const i = at(text.length + 1);
      return text.slice(0, i) + m.piece + text.slice(m.op === 'replaceChar' ? i + 1 : i);
    }
    case 'duplicateLine':
    case 'deleteLine': {
      const lines = text.split('\n');
      const i = at(lines.length);
      lines.splice(i, 1, ...(m.op === 'duplicateLine' ? [lines[i]!, lines[i]!] : []));
      return lines.join('\n');
    }
    default: {
      const toks = tokenize(text);
      const solid = toks.flatMap((t, i) => (/^\s+$/.test(t) ? [] : [i]));
      if (solid.length === 0) return m.op === 'insertToken' || m.op === 'replaceToken' ? m.piece + text : text;
      const i = solid[at(solid.length)]!;
      if (m.op === 'deleteToken') toks.splice(i, 1);
      else if (m.op === 'insertToken') toks.splice(i, 0, m.piece, ' ');
      else if (m.op === 'replaceToken') toks[i] = m.piece;
      else if (m.op === 'swapTokens') {
        const j = solid[m.other % solid.length]!;
        [toks[i], toks[j]] = [toks[j]!, toks[i]!];
      }
      return toks.join('');
    }
  }
}

/** A text after a few random edits. */
export function mutated(base: fc.Arbitrary<string>, maxEdits = 3): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(mutationArb, { minLength: 1, maxLength: maxEdits }))
    .map(([text, ms]) => ms.reduce(mutate, text));
}

// ---- random syntax: every construct of the grammar, types ignored ----

const NOWHERE: A.Span = { file: 'generated.mu', start: 0, end: 0 };
const IDENTS = ['x', 'y', 'n', 'm', 'a', 'w', 'b', 'f', 'g', 'p', '_', 'e', 'e5', 'E', 'inx', 'then_', 'f32', 'i32', 'sum', 'exp', 'zeros', 'transpose', 'print', 'rand', 'tree', 'grad', 'axis', 'main'];
const NUMBERS = ['0', '1', '2', '10', '007', '1.5', '0.25', '1e-7', '4.7750', '1E+2', '3e5', '99999999999999999999'];
const BINARY_OPS: readonly A.BinaryOp[] = ['+', '-', '*', '/', '%', '**', '@', '==', '!=', '<', '<=', '>', '>=', 'and', 'or'];

const identArb: fc.Arbitrary<A.Ident> = fc.constantFrom(...IDENTS).map((name) => ({ name, span: NOWHERE }));
const idents = (min: number, max: number) => fc.array(identArb, { minLength: min, maxLength: max });
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });

/** Programs covering the whole grammar: any nesting of any construct, mostly ill-typed. */
export interface SyntaxArbitraries {
  readonly program: fc.Arbitrary<A.Program>;
  readonly expr: fc.Arbitrary<A.Expr>;
}

export function syntax(maxDepth = 4): SyntaxArbitraries {
  const depthIdentifier = fc.createDepthIdentifier();
  const choose = { depthSize: 'medium', maxDepth, depthIdentifier, withCrossShrink: true } as const;
  const r = fc.letrec<{
    size: A.SizeExpr;
    type: A.TypeExpr;
    pattern: A.Pattern;
    expr: A.Expr;
    stmt: A.Stmt;
  }>((tie) => {
    const expr = tie('expr');
    const stmts = fc.array(tie('stmt'), { maxLength: 3, depthIdentifier });
    const fields = (min: number) => fc.array(fc.record({ name: identArb, value: expr }), { minLength: min, maxLength: 3, depthIdentifier });
    const exprs = (min: number, max: number) => fc.array(expr, { minLength: min, maxLength: max, depthIdentifier });
    return {
      size: fc.oneof(
        choose,
        fc.nat(20).map((value): A.SizeExpr => ({ kind: 'int', value, span: NOWHERE })),
        identArb.map((i): A.SizeExpr => ({ kind: 'var', name: i.name, span: NOWHERE })),
        fc.record({ kind: fc.constantFrom('add', 'sub', 'mul'), left: tie('size'), right: tie('size'), span: fc.constant(NOWHERE) }),
      ),
      type: fc.oneof(
        choose,
        fc.record({ kind: fc.constant('tensor'), dtype: fc.constantFrom('f32', 'i32', 'bool'), dims: fc.array(tie('size'), { maxLength: 3, depthIdentifier }), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('tuple'), items: fc.array(tie('type'), { maxLength: 3, depthIdentifier }), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('record'), fields: fc.array(fc.record({ name: identArb, type: tie('type') }), { maxLength: 3, depthIdentifier }), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('named'), name: fc.constantFrom('Layer', 'nn.Layer', 'T', 'str', 'f32x'), args: fc.array(tie('size'), { maxLength: 2, depthIdentifier }), span: fc.constant(NOWHERE) }),
        fc.constant<A.TypeExpr>({ kind: 'fn', span: NOWHERE }),
      ),
      pattern: fc.oneof(
        choose,
        identArb.map((name): A.Pattern => ({ kind: 'name', name })),
        fc.record({ kind: fc.constant('tuple'), items: fc.array(tie('pattern'), { maxLength: 3, depthIdentifier }), span: fc.constant(NOWHERE) }),
      ),
      expr: fc.oneof(
        choose,
        fc.constantFrom(...NUMBERS).map((text): A.Expr => ({ kind: 'num', value: Number(text), isFloat: /[.eE]/.test(text), text, span: NOWHERE })),
        identArb.map((i): A.Expr => ({ kind: 'var', name: i.name, span: NOWHERE })),
        fc.boolean().map((value): A.Expr => ({ kind: 'bool', value, span: NOWHERE })),
        fc.string({ unit: 'binary', maxLength: 6 }).map((value): A.Expr => ({ kind: 'str', value, span: NOWHERE })),
        fc.record({ kind: fc.constant('unary'), op: fc.constantFrom('-', 'not'), arg: expr, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('binary'), op: fc.constantFrom(...BINARY_OPS), left: expr, right: expr, opSpan: fc.constant(NOWHERE), span: fc.constant(NOWHERE) }),
        fc.record({
          kind: fc.constant('call'),
          callee: expr,
          args: fc.array(fc.record({ name: opt(identArb), value: expr }), { maxLength: 3, depthIdentifier }),
          span: fc.constant(NOWHERE),
        }),
        fc.record({
          kind: fc.constant('index'),
          target: expr,
          items: fc.array(
            fc.oneof(
              expr.map((index): A.IndexItem => ({ kind: 'at', index })),
              fc.record({ kind: fc.constant('slice'), lo: opt(expr), hi: opt(expr), span: fc.constant(NOWHERE) }),
            ),
            { maxLength: 3, depthIdentifier },
          ),
          span: fc.constant(NOWHERE),
        }),
        fc.record({ kind: fc.constant('field'), target: expr, name: identArb, span: fc.constant(NOWHERE) }),
        // A one-item tuple is unwritable: `(x)` is x.
        fc.record({ kind: fc.constant('tuple'), items: fc.oneof(fc.constant([]), exprs(2, 3)), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('array'), items: exprs(0, 3), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('record'), fields: fields(0), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('update'), target: expr, fields: fields(1), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('let'), pattern: tie('pattern'), value: expr, body: expr, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('if'), cond: expr, then: expr, else: expr, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('loop'), pattern: tie('pattern'), init: expr, index: identArb, from: expr, to: expr, body: expr, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('lambda'), params: idents(0, 3), body: expr, span: fc.constant(NOWHERE) }),
      ),
      stmt: fc.oneof(
        choose,
        expr.map((e): A.Stmt => ({ kind: 'expr', expr: e, span: NOWHERE })),
        fc.record({ kind: fc.constant('let'), pattern: tie('pattern'), value: expr, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('var'), name: identArb, type: opt(tie('type')), value: expr, span: fc.constant(NOWHERE) }),
        fc.oneof(
          fc.record({ kind: fc.constant('assign'), targets: idents(1, 1), tuple: fc.constant(false), value: expr, span: fc.constant(NOWHERE) }),
          fc.record({ kind: fc.constant('assign'), targets: idents(1, 3), tuple: fc.constant(true), value: expr, span: fc.constant(NOWHERE) }),
        ),
        fc.record({ kind: fc.constant('for'), index: identArb, from: expr, to: expr, body: stmts, span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('if'), cond: expr, then: stmts, else: opt(stmts), span: fc.constant(NOWHERE) }),
        fc.record({ kind: fc.constant('return'), value: expr, span: fc.constant(NOWHERE) }),
      ),
    };
  });
  const param: fc.Arbitrary<A.Param> = fc.record({ name: identArb, type: opt(r.type), default: opt(r.expr), span: fc.constant(NOWHERE) });
  const body: fc.Arbitrary<A.FnBody> = fc.oneof(
    r.expr.map((expr): A.FnBody => ({ kind: 'expr', expr })),
    fc.array(r.stmt, { maxLength: 4 }).map((stmts): A.FnBody => ({ kind: 'block', stmts, span: NOWHERE })),
  );
  const decl: fc.Arbitrary<A.Decl> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('fn'), name: identArb, sizeParams: idents(0, 2), typeParams: fc.oneof(fc.constant([]), idents(1, 2)), params: fc.array(param, { maxLength: 3 }), ret: opt(r.type), body, span: fc.constant(NOWHERE) }), weight: 4 },
    fc.record({ kind: fc.constant('type'), name: identArb, sizeParams: idents(0, 2), typeParams: fc.oneof(fc.constant([]), idents(0, 1)), type: r.type, span: fc.constant(NOWHERE) }),
    fc.record({ kind: fc.constant('import'), path: fc.array(fc.constantFrom('std', 'nn', 'a', 'b'), { minLength: 1, maxLength: 3 }), alias: opt(identArb), span: fc.constant(NOWHERE) }),
  );
  const program = fc.array(decl, { minLength: 1, maxLength: 3 }).map((decls): A.Program => ({ file: NOWHERE.file, decls }));
  return { program, expr: r.expr };
}
