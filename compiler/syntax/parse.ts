// Text → AST. The grammar is mu.ohm; the semantic actions below build ast.ts nodes with spans.
import { readFileSync } from 'node:fs';
import * as ohm from 'ohm-js';
import type * as A from './ast.ts';
import { error, type Diagnostic } from '../diag/diagnostic.ts';

const grammars = ohm.grammars(readFileSync(new URL('./mu.ohm', import.meta.url), 'utf8'));
export const muGrammar = grammars['Mu']!;
export const testGrammar = grammars['MuTest']!;

// The actions run synchronously inside parse(); the file name they stamp on spans is set there.
let currentFile = '';
const span = (n: ohm.Node): A.Span => ({ file: currentFile, start: n.source.startIdx, end: n.source.endIdx });
const ident = (n: ohm.Node): A.Ident => ({ name: n.sourceString, span: span(n) });

function ast<T>(n: ohm.Node): T {
  return n['ast']() as T;
}
const list = <T>(n: ohm.Node): T[] => n.asIteration().children.map((c) => ast<T>(c));
const opt = <T>(n: ohm.Node): T | null => (n.children.length === 0 ? null : ast<T>(n.children[0]!));

interface SizeParam {
  readonly id: A.Ident;
  readonly type: boolean;
}

function binary(this: ohm.Node, l: ohm.Node, op: ohm.Node, r: ohm.Node): A.Expr {
  return {
    kind: 'binary',
    op: op.sourceString as A.BinaryOp,
    left: ast(l),
    right: ast(r),
    opSpan: span(op),
    span: span(this),
  };
}

function sizeBinary(kind: 'add' | 'sub' | 'mul') {
  return function (this: ohm.Node, l: ohm.Node, _op: ohm.Node, r: ohm.Node): A.SizeExpr {
    return { kind, left: ast(l), right: ast(r), span: span(this) };
  };
}

// Each action returns the ast.ts node for its rule; the node types are checked where they are used.
const actions: ohm.ActionDict<unknown> = {
  Program: (decls) => ({ file: currentFile, decls: decls.children.map((d) => ast<A.Decl>(d)) }),

  Import(_kw, path, _as, alias) {
    return { kind: 'import', path: path.sourceString.split('.'), alias: alias.children.length ? ident(alias.children[0]!) : null, span: span(this) };
  },
  TypeDecl(_kw, name, sizes, _eq, type) {
    const ps = opt<SizeParam[]>(sizes) ?? [];
    return {
      kind: 'type',
      name: ident(name),
      sizeParams: ps.filter((p) => !p.type).map((p) => p.id),
      typeParams: ps.filter((p) => p.type).map((p) => p.id),
      type: ast(type),
      span: span(this),
    };
  },
  FnDecl(_kw, name, sizes, _lp, params, _rp, ret, body) {
    const ps = opt<SizeParam[]>(sizes) ?? [];
    return {
      kind: 'fn',
      name: ident(name),
      sizeParams: ps.filter((p) => !p.type).map((p) => p.id),
      typeParams: ps.filter((p) => p.type).map((p) => p.id),
      params: list<A.Param>(params),
      ret: opt<A.TypeExpr>(ret),
      body: ast(body),
      span: span(this),
    };
  },
  SizeParams: (_l, items, _r) => list<SizeParam>(items),
  SizeParam_type: (name, _c, _kw) => ({ id: ident(name), type: true }),
  SizeParam_size: (name) => ({ id: ident(name), type: false }),
  Param(name, _colon, type, _eq, dflt) {
    return { name: ident(name), type: opt(type), default: opt(dflt), span: span(this) };
  },
  RetType: (_arrow, type) => ast(type),
  FnBody_expr: (_eq, e) => ({ kind: 'expr', expr: ast(e) }),
  FnBody_block(block) {
    return { kind: 'block', stmts: ast(block), span: span(this) };
  },

  Type_fn(_kw) {
    return { kind: 'fn', span: span(this) };
  },
  Type_tuple(_l, items, _r) {
    return { kind: 'tuple', items: list(items), span: span(this) };
  },
  Type_record(_l, fields, _r) {
    return { kind: 'record', fields: list(fields), span: span(this) };
  },
  Type_tensor(dt, _l, dims, _r) {
    return { kind: 'tensor', dtype: dt.sourceString, dims: list(dims), span: span(this) };
  },
  Type_scalar(dt) {
    return { kind: 'tensor', dtype: dt.sourceString, dims: [], span: span(this) };
  },
  Type_named(name, _l, args, _r) {
    const a = args.children.length ? list<A.SizeExpr>(args.children[0]!) : [];
    return { kind: 'named', name: name.sourceString, args: a, span: span(this) };
  },
  FieldType: (name, _c, type) => ({ name: ident(name), type: ast(type) }),

  Size_add: sizeBinary('add'),
  Size_sub: sizeBinary('sub'),
  SizeMul_mul: sizeBinary('mul'),
  SizeAtom_paren: (_l, s, _r) => ast(s),
  intLit(_d) {
    return { kind: 'int', value: Number(this.sourceString), span: span(this) };
  },
  ident(_s, _p) {
    // In size position an identifier is a size variable; elsewhere it is a variable reference.
    return { kind: 'var', name: this.sourceString, span: span(this) };
  },

  Block: (_l, stmts, _r) => stmts.children.map((s) => ast<A.Stmt>(s)),
  Stmt_let(_kw, pat, _eq, value) {
    return { kind: 'let', pattern: ast(pat), value: ast(value), span: span(this) };
  },
  Stmt_var(_kw, name, _c, type, _eq, value) {
    return { kind: 'var', name: ident(name), type: opt(type), value: ast(value), span: span(this) };
  },
  Stmt_for(_kw, index, _in, from, _dots, to, _do, body) {
    return { kind: 'for', index: ident(index), from: ast(from), to: ast(to), body: ast(body), span: span(this) };
  },
  IfStmt(_kw, cond, _then, then, _else, els) {
    const e = els.children.length ? ast<A.Stmt | A.Stmt[]>(els.children[0]!) : null;
    return {
      kind: 'if',
      cond: ast(cond),
      then: ast(then),
      else: e === null ? null : Array.isArray(e) ? e : [e],
      span: span(this),
    };
  },
  Stmt_return(_kw, value) {
    return { kind: 'return', value: ast(value), span: span(this) };
  },
  Stmt_assign(target, _eq, value) {
    const t = ast<{ targets: A.Ident[]; tuple: boolean }>(target);
    return { kind: 'assign', ...t, value: ast(value), span: span(this) };
  },
  Stmt_exp(e) {
    return { kind: 'expr', expr: ast(e), span: span(this) };
  },
  AssignTarget_one: (name) => ({ targets: [ident(name)], tuple: false }),
  AssignTarget_tuple: (_l, names, _r) => ({ targets: names.asIteration().children.map(ident), tuple: true }),

  Pattern_tuple(_l, items, _r) {
    return { kind: 'tuple', items: list(items), span: span(this) };
  },
  Pattern_name: (name) => ({ kind: 'name', name: ident(name) }),

  Exp_let(_kw, pat, _eq, value, _in, body) {
    return { kind: 'let', pattern: ast(pat), value: ast(value), body: ast(body), span: span(this) };
  },
  Exp_if(_if, cond, _then, then, _else, els) {
    return { kind: 'if', cond: ast(cond), then: ast(then), else: ast(els), span: span(this) };
  },
  Exp_loop(_kw, pat, _eq, init, _for, index, _in, from, _dots, to, _do, body) {
    return {
      kind: 'loop',
      pattern: ast(pat),
      init: ast(init),
      index: ident(index),
      from: ast(from),
      to: ast(to),
      body: ast(body),
      span: span(this),
    };
  },
  Exp_lambda(_kw, _l, params, _r, _eq, body) {
    return { kind: 'lambda', params: params.asIteration().children.map(ident), body: ast(body), span: span(this) };
  },
  OrExp_or: binary,
  AndExp_and: binary,
  NotExp_not(_kw, e) {
    return { kind: 'unary', op: 'not', arg: ast(e), span: span(this) };
  },
  CmpExp_cmp: binary,
  AddExp_bin: binary,
  MulExp_bin: binary,
  UnaryExp_neg(_m, e) {
    return { kind: 'unary', op: '-', arg: ast(e), span: span(this) };
  },
  PowExp_pow: binary,
  PostfixExp_call(callee, _l, args, _r) {
    return { kind: 'call', callee: ast(callee), args: list(args), span: span(this) };
  },
  PostfixExp_index(target, _l, items, _r) {
    return { kind: 'index', target: ast(target), items: list(items), span: span(this) };
  },
  PostfixExp_field(target, _dot, name) {
    return { kind: 'field', target: ast(target), name: ident(name), span: span(this) };
  },
  PrimaryExp_paren: (_l, e, _r) => ast(e),
  PrimaryExp_tuple(_l, items, _r) {
    return { kind: 'tuple', items: list(items), span: span(this) };
  },
  PrimaryExp_array(_l, items, _r) {
    return { kind: 'array', items: list(items), span: span(this) };
  },
  PrimaryExp_update(_l, target, _with, fields, _r) {
    return { kind: 'update', target: ast(target), fields: list(fields), span: span(this) };
  },
  PrimaryExp_record(_l, fields, _r) {
    return { kind: 'record', fields: list(fields), span: span(this) };
  },
  PrimaryExp_true(_kw) {
    return { kind: 'bool', value: true, span: span(this) };
  },
  PrimaryExp_false(_kw) {
    return { kind: 'bool', value: false, span: span(this) };
  },
  number(_int, _dot, _frac, _e, _sign, _exp) {
    const text = this.sourceString;
    return { kind: 'num', value: Number(text), isFloat: /[.eE]/.test(text), text, span: span(this) };
  },
  string(_l, chars, _r) {
    return { kind: 'str', value: unescape(chars.sourceString), span: span(this) };
  },
  Arg_named: (name, _eq, value) => ({ name: ident(name), value: ast(value) }),
  Arg_positional: (value) => ({ name: null, value: ast(value) }),
  FieldInit: (name, _c, value) => ({ name: ident(name), value: ast(value) }),
  IndexItem_slice(lo, _c, hi) {
    return { kind: 'slice', lo: opt(lo), hi: opt(hi), span: span(this) };
  },
  IndexItem_at: (e) => ({ kind: 'at', index: ast(e) }),
};
const semantics = muGrammar.createSemantics().addOperation('ast', actions);

export interface ParseResult {
  readonly program: A.Program | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses a whole file. On failure it reports the first error of every top-level declaration. */
export function parse(text: string, file: string): ParseResult {
  try {
    const m = muGrammar.match(text);
    if (m.succeeded()) return { program: build(m, file), diagnostics: [] };
    return { program: null, diagnostics: declChunks(text).flatMap((chunk) => chunkErrors(text, chunk, file)) };
  } catch (err) {
    // The parser recurses on nesting; a stack overflow is the program's depth, not a bug.
    if (!(err instanceof RangeError)) throw err;
    return { program: null, diagnostics: [error({ file, start: 0, end: Math.min(1, text.length) }, TOO_DEEP)] };
  }
}

export const TOO_DEEP = 'the program nests too deeply to be compiled (parentheses, calls or operators hundreds deep)';

function build(m: ohm.MatchResult, file: string): A.Program {
  currentFile = file;
  try {
    return semantics(m)['ast']() as A.Program;
  } finally {
    currentFile = '';
  }
}

/** Top-level declarations start at column 0 with a keyword; each is parsed on its own to report
 * one error per broken declaration instead of one per file. */
function declChunks(text: string): [number, number][] {
  const starts = [0];
  const re = /^(?:fn|type|import)\b/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) if (m.index > 0) starts.push(m.index);
  return starts.map((s, i) => [s, starts[i + 1] ?? text.length]);
}

function chunkErrors(text: string, [start, end]: [number, number], file: string): Diagnostic[] {
  // Each declaration is matched on its own text (so a file with many declarations costs linear
  // time); the failure position is shifted back to the whole file.
  const chunk = text.slice(start, end);
  const m = muGrammar.match(chunk);
  if (!m.failed()) return [];
  const pos = start + m.getRightmostFailurePosition();
  const masked = text.slice(0, end);
  // A failure past the declaration's last character means it ended early: point at that character.
  const declEnd = start + text.slice(start, end).trimEnd().length;
  const at = Math.min(pos, declEnd);
  const rest = masked.slice(pos);
  const tok = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S)/.exec(rest);
  const found = tok !== null ? `'${tok[0]}'` : end === text.length ? 'the end of the file' : 'the end of the declaration';
  const expected = m.getExpectedText();
  let message = `syntax error: expected ${simplifyExpected(expected)}, found ${found}`;
  if (/^"[^"\n]*$/m.test(rest.split('\n')[0]!)) message = 'syntax error: unterminated string';
  else if (/end of input/.test(expected) && tok !== null) message = `syntax error: unexpected ${found}`;
  return [error({ file, start: at, end: Math.min(at + 1, text.length) }, message)];
}

/** Ohm lists every terminal it tried; collapse the expression-start alternatives into a word. */
function simplifyExpected(expected: string): string {
  const items = expected.replace(/^(?:one of )?/, '').split(/, (?:or )?| or /).map((s) => s.trim()).filter(Boolean);
  const exprStarts = ['a number', 'a string', 'an identifier', '"("', '"["', '"{"', '"-"', '"not"'];
  const hasExpr = items.includes('a number');
  const kept = hasExpr ? items.filter((s) => !exprStarts.includes(s) && !/^"(?:let|if|loop|fn|true|false)"$/.test(s)) : items;
  const words = hasExpr ? ['an expression', ...kept] : kept;
  const uniq = [...new Set(words)].slice(0, 6);
  return uniq.length <= 1 ? (uniq[0] ?? 'something else') : `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

/** The value of a string literal's body: `\n`, `\t`, `\r`, `\0`; any other `\c` is c. */
function unescape(body: string): string {
  return body.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}
