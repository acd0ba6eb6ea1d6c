// The pretty-printer behind `muc fmt`: AST → canonical text. parse(format(p)) gives p again (up to
// spans) for every program the parser accepts.
//
// Style: 2-space indentation; a blank line between top-level declarations; a pure function's body
// on the line after its `=`; one host statement per line; spaces around binary operators; `f(x,
// k = 2)` keyword arguments; records `{ w: …, b: … }`; parentheses exactly where precedence needs
// them. A construct that does not fit in WIDTH columns is broken across lines: argument lists and
// records one item per line, operator chains after each operator, `let … in` chains one binding per
// line. Numeric literals keep their source text (`1e-7`, `4.7750`). Size parameters are written
// before type parameters (`[n, m, P: type]`; the AST keeps them apart). An expression statement
// that starts with `-` or is an `if` expression is parenthesized, since on its own line it would
// continue the statement before it or read as an if statement.
//
// Comments are not in the AST; they are recovered from `text`, the source the program was parsed
// from (without it the output has no comments):
// - full-line comments (Futhark `-- ==` test blocks included) before a declaration or a host
//   statement stay on their own lines before it, in order; blank lines between top-level comments
//   and declarations are kept (at most one);
// - a comment at the end of a declaration's or host statement's last line stays at the end of that
//   line; comments after the last statement of a block stay at the end of that block, and comments
//   after the last declaration at the end of the file;
// - every other comment (inside an expression, a parameter list, a type, or the header of a
//   `for`/`if` statement) moves, whole, onto its own line before the innermost host statement or
//   declaration that contains it. No comment is ever dropped.
import type * as A from './ast.ts';

/** Lines longer than this are broken where the construct allows it. */
export const WIDTH = 100;

export function format(program: A.Program, text?: string): string {
  const comments = text === undefined ? new Comments([]) : placeComments(program, text);
  return new Formatter(comments).program(program);
}

// ---- documents: a small Wadler-style layout language ----

type Doc =
  | string
  | readonly Doc[]
  | { readonly t: 'line'; readonly soft: boolean }
  | { readonly t: 'hard' }
  | { readonly t: 'nest'; readonly doc: Doc }
  | { readonly t: 'group'; readonly doc: Doc; readonly hard: boolean }
  /** Text printed where it stands but not counted when deciding whether a group fits (a trailing comment). */
  | { readonly t: 'suffix'; readonly text: string };

/** A space, or a newline when the enclosing group is broken. */
const line: Doc = { t: 'line', soft: false };
/** Nothing, or a newline when the enclosing group is broken. */
const softline: Doc = { t: 'line', soft: true };
const hardline: Doc = { t: 'hard' };
const nest = (...doc: Doc[]): Doc => ({ t: 'nest', doc });
const group = (...doc: Doc[]): Doc => ({ t: 'group', doc, hard: hasHard(doc) });

function hasHard(d: Doc): boolean {
  if (typeof d === 'string') return false;
  if (isDocArray(d)) return d.some(hasHard);
  switch (d.t) {
    case 'hard':
      return true;
    case 'group':
      return d.hard;
    case 'nest':
      return hasHard(d.doc);
    default:
      return false;
  }
}

function isDocArray(d: Doc): d is readonly Doc[] {
  return Array.isArray(d);
}

function join(sep: Doc, docs: readonly Doc[]): Doc[] {
  return docs.flatMap((d, i) => (i === 0 ? [d] : [sep, d]));
}

type Mode = 'flat' | 'break';
type Cmd = readonly [indent: number, mode: Mode, doc: Doc];

function render(doc: Doc, width = WIDTH): string {
  let out = '';
  let col = 0;
  const stack: Cmd[] = [[0, 'break', doc]];
  while (stack.length > 0) {
    const [ind, mode, d] = stack.pop()!;
    if (typeof d === 'string') {
      out += d;
      col += d.length;
    } else if (isDocArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push([ind, mode, d[i]!]);
    } else {
      switch (d.t) {
        case 'nest':
          stack.push([ind + 2, mode, d.doc]);
          break;
        case 'line':
        case 'hard':
          if (d.t === 'line' && mode === 'flat') {
            if (!d.soft) {
              out += ' ';
              col++;
            }
          } else {
            out += '\n' + ' '.repeat(ind);
            col = ind;
          }
          break;
        case 'group':
          stack.push([ind, !d.hard && fits(width - col, [ind, 'flat', d.doc], stack) ? 'flat' : 'break', d.doc]);
          break;
        case 'suffix':
          out += d.text;
          break;
      }
    }
  }
  return out
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** Whether `next`, flat, and what follows it up to the next line break, fit in `room` columns. */
function fits(room: number, next: Cmd, rest: readonly Cmd[]): boolean {
  const todo: Cmd[] = [next];
  let restIdx = rest.length - 1;
  while (room >= 0) {
    let cmd = todo.pop();
    if (cmd === undefined) {
      if (restIdx < 0) return true;
      cmd = rest[restIdx--]!;
    }
    const [ind, mode, d] = cmd;
    if (typeof d === 'string') room -= d.length;
    else if (isDocArray(d)) for (let i = d.length - 1; i >= 0; i--) todo.push([ind, mode, d[i]!]);
    else {
      switch (d.t) {
        case 'nest':
          todo.push([ind + 2, mode, d.doc]);
          break;
        case 'line':
          if (mode === 'break') return true;
          if (!d.soft) room -= 1;
          break;
        case 'hard':
          return true;
        case 'group':
          todo.push([ind, d.hard ? 'break' : mode, d.doc]);
          break;
        case 'suffix':
          break;
      }
    }
  }
  return false;
}

// ---- comments ----

interface Comment {
  readonly start: number;
  /** The comment's text, from `--` to the end of its line, trailing spaces removed. */
  readonly text: string;
  /** A blank line separates it from what precedes it. */
  readonly blankBefore: boolean;
  /** A blank line separates it from what follows it. */
  readonly blankAfter: boolean;
}

/** Every comment of a source text, in order. String literals are skipped: `"--"` is no comment. */
function scanComments(text: string): Comment[] {
  const out: Comment[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (ch === '-' && text[i + 1] === '-') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      out.push({
        start: i,
        text: text.slice(i, end).trimEnd(),
        blankBefore: /\n[^\S\n]*\n[^\S\n]*$/.test(leadingSpace(text, i)),
        blankAfter: /^[^\S\n]*\n[^\S\n]*\n/.test(text.slice(end, end + trailingSpaceLength(text, end))),
      });
      i = end;
    } else i++;
  }
  return out;
}

function leadingSpace(text: string, pos: number): string {
  let s = pos;
  while (s > 0 && /\s/.test(text[s - 1]!)) s--;
  return text.slice(s, pos);
}

function trailingSpaceLength(text: string, pos: number): number {
  let e = pos;
  while (e < text.length && /\s/.test(text[e]!)) e++;
  return e - pos;
}

type Anchor = A.Decl | A.Stmt;
type BlockKey = readonly A.Stmt[] | 'file';

/** Where each comment goes: before an anchor, after it on its last line, or at the end of a block. */
class Comments {
  readonly leading = new Map<Anchor, Comment[]>();
  readonly trailing = new Map<Anchor, Comment>();
  readonly ends = new Map<BlockKey, Comment[]>();
  constructor(readonly all: readonly Comment[]) {}

  before(a: Anchor): readonly Comment[] {
    return this.leading.get(a) ?? [];
  }
  after(a: Anchor): Comment | undefined {
    return this.trailing.get(a);
  }
  atEnd(k: BlockKey): readonly Comment[] {
    return this.ends.get(k) ?? [];
  }
}

function placeComments(program: A.Program, text: string): Comments {
  const cs = new Comments(scanComments(text));
  const push = <K>(m: Map<K, Comment[]>, k: K, c: Comment) => {
    const list = m.get(k);
    if (list) list.push(c);
    else m.set(k, [c]);
  };
  const sameLine = (from: number, to: number) => !text.slice(from, to).includes('\n');

  /** Places `c` among `anchors` (the statements of one block, or the declarations). */
  const place = (c: Comment, anchors: readonly Anchor[], endKey: BlockKey): void => {
    const inside = anchors.find((a) => a.span.start <= c.start && c.start < a.span.end);
    if (inside !== undefined) {
      const blocks = blockRanges(inside, text);
      if (blocks.length === 0 || c.start < blocks[0]!.open) push(cs.leading, inside, c);
      else {
        // In a block, or between two (`} else {`): then it goes with the block that follows.
        const b = blocks.find((x) => c.start < x.close) ?? blocks[blocks.length - 1]!;
        place(c, b.stmts, b.stmts);
      }
      return;
    }
    let prev: Anchor | undefined;
    for (const a of anchors) if (a.span.end <= c.start) prev = a;
    const next = anchors.find((a) => a.span.start > c.start);
    if (prev !== undefined && sameLine(prev.span.end, c.start) && !cs.trailing.has(prev)) cs.trailing.set(prev, c);
    else if (next !== undefined) push(cs.leading, next, c);
    else push(cs.ends, endKey, c);
  };
  for (const c of cs.all) place(c, program.decls, 'file');
  return cs;
}

/** A block of statements inside an anchor and where it lies: comments in (open, close) are in it. */
interface BlockRange {
  readonly stmts: readonly A.Stmt[];
  readonly open: number;
  readonly close: number;
}

/** The blocks directly inside an anchor, found in the source between the AST's spans. */
function blockRanges(a: Anchor, text: string): BlockRange[] {
  switch (a.kind) {
    case 'fn':
      return a.body.kind === 'block' ? [{ stmts: a.body.stmts, open: a.body.span.start, close: a.body.span.end - 1 }] : [];
    case 'for':
      return [{ stmts: a.body, open: afterWord(text, a.to.span.end, 'do'), close: a.span.end - 1 }];
    case 'if': {
      const open = afterWord(text, a.cond.span.end, 'then');
      const last = a.then[a.then.length - 1];
      const close = skipTrivia(text, last ? last.span.end : open + 1);
      const out = [{ stmts: a.then, open, close }];
      if (a.else !== null) {
        const at = afterWord(text, close + 1, 'else');
        // `else {` … `}`, or `else if …` whose range is the nested if statement.
        out.push(text[at] === '{' ? { stmts: a.else, open: at, close: a.span.end - 1 } : { stmts: a.else, open: at - 1, close: a.span.end });
      }
      return out;
    }
    default:
      return [];
  }
}

/** The position after spaces and comments from `pos`. */
function skipTrivia(text: string, pos: number): number {
  let p = pos;
  for (;;) {
    while (p < text.length && /\s/.test(text[p]!)) p++;
    if (!text.startsWith('--', p)) return p;
    const nl = text.indexOf('\n', p);
    p = nl < 0 ? text.length : nl;
  }
}

/** The position of the next token after the keyword `word` that follows `pos`. */
function afterWord(text: string, pos: number, word: string): number {
  const p = skipTrivia(text, pos);
  return text.startsWith(word, p) ? skipTrivia(text, p + word.length) : p;
}

// ---- precedence ----

/** Binding strength, loosest first; a child written at a lower level than its slot needs parentheses. */
const Level = {
  Exp: 0, // let, if, loop, fn(…) = …
  Or: 1,
  And: 2,
  Not: 3,
  Cmp: 4, // non-associative
  Add: 5,
  Mul: 6,
  Neg: 7,
  Pow: 8, // right-associative; its left operand is postfix, its right a unary
  Postfix: 9,
  Primary: 10,
} as const;
type Level = (typeof Level)[keyof typeof Level];

function binaryLevel(op: A.BinaryOp): Level {
  switch (op) {
    case 'or':
      return Level.Or;
    case 'and':
      return Level.And;
    case '+':
    case '-':
      return Level.Add;
    case '*':
    case '/':
    case '%':
    case '@':
      return Level.Mul;
    case '**':
      return Level.Pow;
    default:
      return Level.Cmp;
  }
}

function level(e: A.Expr): Level {
  switch (e.kind) {
    case 'let':
    case 'if':
    case 'loop':
    case 'lambda':
      return Level.Exp;
    case 'binary':
      return binaryLevel(e.op);
    case 'unary':
      return e.op === 'not' ? Level.Not : Level.Neg;
    case 'call':
    case 'index':
    case 'field':
      return Level.Postfix;
    default:
      return Level.Primary;
  }
}

/** The levels each operand slot of a binary operator accepts without parentheses. */
function operandLevels(l: Level): [left: Level, right: Level] {
  switch (l) {
    case Level.Or:
      return [Level.Or, Level.And];
    case Level.And:
      return [Level.And, Level.Not];
    case Level.Cmp:
      return [Level.Add, Level.Add];
    case Level.Add:
      return [Level.Add, Level.Mul];
    case Level.Mul:
      return [Level.Mul, Level.Neg];
    default: // Pow
      return [Level.Postfix, Level.Neg];
  }
}

// ---- the formatter ----

class Formatter {
  constructor(private readonly comments: Comments) {}

  program(p: A.Program): string {
    let out = '';
    for (const d of p.decls) {
      if (out !== '') out += '\n';
      out += this.commentLines(this.comments.before(d), true);
      out += render(this.withTrailing(d, this.decl(d))) + '\n';
    }
    const end = this.comments.atEnd('file');
    if (end.length > 0) {
      if (out !== '' && end[0]!.blankBefore) out += '\n';
      out += this.commentLines(end, false);
    }
    return out;
  }

  /** Top-level comment lines; `toDecl` when a declaration follows them. */
  private commentLines(cs: readonly Comment[], toDecl: boolean): string {
    let out = '';
    cs.forEach((c, i) => {
      if (i > 0 && c.blankBefore) out += '\n';
      out += c.text + '\n';
    });
    if (toDecl && cs.length > 0 && cs[cs.length - 1]!.blankAfter) out += '\n';
    return out;
  }

  private withTrailing(a: Anchor, d: Doc): Doc {
    const c = this.comments.after(a);
    return c === undefined ? d : [d, { t: 'suffix', text: ' ' + c.text }];
  }

  // ---- declarations ----

  private decl(d: A.Decl): Doc {
    switch (d.kind) {
      case 'import':
        return ['import ', d.path.join('.'), d.alias ? [' as ', d.alias.name] : ''];
      case 'type':
        return ['type ', d.name.name, this.sizeParams(d.sizeParams, d.typeParams ?? []), ' = ', this.type(d.type)];
      case 'fn':
        return this.fn(d);
    }
  }

  /** `[n, m, P: type]`: size parameters, then type parameters (the AST keeps them apart). */
  private sizeParams(sizes: readonly A.Ident[], types: readonly A.Ident[]): string {
    const all = [...sizes.map((p) => p.name), ...types.map((p) => `${p.name}: type`)];
    return all.length === 0 ? '' : `[${all.join(', ')}]`;
  }

  private fn(d: A.FnDecl): Doc {
    const params = d.params.map((p) => [
      p.name.name,
      p.type ? [': ', this.type(p.type)] : '',
      p.default ? [' = ', this.expr(p.default, Level.Exp)] : '',
    ]);
    const header = group(
      'fn ',
      d.name.name,
      this.sizeParams(d.sizeParams, d.typeParams ?? []),
      '(',
      params.length === 0 ? '' : [nest(softline, join([',', line], params)), softline],
      ')',
      d.ret ? [' -> ', this.type(d.ret)] : '',
    );
    if (d.body.kind === 'expr') return [header, ' =', nest(hardline, this.expr(d.body.expr, Level.Exp))];
    return [header, ' ', this.block(d.body.stmts)];
  }

  // ---- types ----

  private type(t: A.TypeExpr): string {
    switch (t.kind) {
      case 'fn':
        return 'fn';
      case 'tensor':
        return t.dims.length === 0 ? t.dtype : `${t.dtype}[${t.dims.map((s) => this.size(s, 0)).join(', ')}]`;
      case 'tuple':
        return `(${t.items.map((i) => this.type(i)).join(', ')})`;
      case 'record':
        return t.fields.length === 0 ? '{}' : `{ ${t.fields.map((f) => `${f.name.name}: ${this.type(f.type)}`).join(', ')} }`;
      case 'named':
        return t.args.length === 0 ? t.name : `${t.name}[${t.args.map((s) => this.size(s, 0)).join(', ')}]`;
    }
  }

  /** A size expression; `min` is 0 for a Size slot, 1 for a SizeMul slot, 2 for a SizeAtom slot. */
  private size(s: A.SizeExpr, min: number): string {
    switch (s.kind) {
      case 'int':
        return intText(s.value);
      case 'var':
        return s.name;
      default: {
        const lvl = s.kind === 'mul' ? 1 : 0;
        const op = s.kind === 'add' ? '+' : s.kind === 'sub' ? '-' : '*';
        const text = `${this.size(s.left, lvl)} ${op} ${this.size(s.right, lvl + 1)}`;
        return lvl < min ? `(${text})` : text;
      }
    }
  }

  // ---- expressions ----

  /** An expression in a slot that accepts `min` and tighter; parenthesized otherwise. */
  private expr(e: A.Expr, min: Level): Doc {
    const d = this.exprBare(e);
    return level(e) < min ? ['(', d, ')'] : d;
  }

  private exprBare(e: A.Expr): Doc {
    switch (e.kind) {
      case 'num':
        return e.text;
      case 'bool':
        return e.value ? 'true' : 'false';
      case 'str':
        return stringLiteral(e.value);
      case 'var':
        return e.name;
      case 'unary': {
        if (e.op === 'not') return ['not ', this.expr(e.arg, Level.Not)];
        const arg = this.expr(e.arg, Level.Neg);
        // `--` would start a comment: `-(-x)`, never `--x`.
        return startsWithMinus(arg) ? ['-(', arg, ')'] : ['-', arg];
      }
      case 'binary':
        return this.binary(e);
      case 'call':
        return [this.expr(e.callee, Level.Postfix), this.list('(', e.args.map((a) => this.arg(a)), ')', false)];
      case 'index':
        return [this.expr(e.target, Level.Postfix), '[', join(', ', e.items.map((i) => this.indexItem(i))), ']'];
      case 'field':
        return [this.expr(e.target, Level.Postfix), '.', e.name.name];
      case 'tuple':
        return this.list('(', e.items.map((i) => this.expr(i, Level.Exp)), ')', false);
      case 'array':
        return this.list('[', e.items.map((i) => this.expr(i, Level.Exp)), ']', false);
      case 'record':
        return this.list('{', e.fields.map((f) => this.fieldInit(f)), '}', true);
      case 'update':
        return group(
          '{ ',
          this.expr(e.target, Level.Exp),
          ' with',
          nest(line, join([',', line], e.fields.map((f) => this.fieldInit(f)))),
          line,
          '}',
        );
      case 'let':
        return this.letChain(e);
      case 'if':
        return this.ifChain(e);
      case 'loop':
        return group(
          'loop ',
          this.pattern(e.pattern),
          ' = ',
          this.expr(e.init, Level.Exp),
          ' for ',
          e.index.name,
          ' in ',
          this.range(e.from, e.to),
          ' do',
          nest(line, this.expr(e.body, Level.Exp)),
        );
      case 'lambda':
        return group('fn(', e.params.map((p) => p.name).join(', '), ') =', nest(line, this.expr(e.body, Level.Exp)));
    }
  }

  /** A bracketed, comma-separated list: on one line, or one item per line. */
  private list(open: string, items: readonly Doc[], close: string, spaced: boolean): Doc {
    if (items.length === 0) return open + close;
    const br = spaced ? line : softline;
    return group(open, nest(br, join([',', line], items)), br, close);
  }

  private arg(a: A.Arg): Doc {
    const v = this.expr(a.value, Level.Exp);
    return a.name ? [a.name.name, ' = ', v] : v;
  }

  private fieldInit(f: A.FieldInit): Doc {
    return [f.name.name, ': ', this.expr(f.value, Level.Exp)];
  }

  private indexItem(i: A.IndexItem): Doc {
    if (i.kind === 'at') return this.expr(i.index, Level.Exp);
    return [i.lo ? this.expr(i.lo, Level.Exp) : '', ':', i.hi ? this.expr(i.hi, Level.Exp) : ''];
  }

  private range(from: A.Expr, to: A.Expr): Doc {
    return [this.expr(from, Level.Or), '..', this.expr(to, Level.Or)];
  }

  private pattern(p: A.Pattern): string {
    return p.kind === 'name' ? p.name.name : `(${p.items.map((q) => this.pattern(q)).join(', ')})`;
  }

  /** An operator chain of one level, flattened so it breaks after every operator or none. */
  private binary(e: Extract<A.Expr, { kind: 'binary' }>): Doc {
    const lvl = binaryLevel(e.op);
    const [leftMin, rightMin] = operandLevels(lvl);
    if (lvl === Level.Pow || lvl === Level.Cmp)
      return group(this.expr(e.left, leftMin), ' ', e.op, nest(line, this.expr(e.right, rightMin)));
    // Left-associative: a + b - c is ((a + b) - c); walk down the left spine.
    const rest: { op: string; right: A.Expr }[] = [];
    let head: A.Expr = e;
    while (head.kind === 'binary' && binaryLevel(head.op) === lvl) {
      rest.unshift({ op: head.op, right: head.right });
      head = head.left;
    }
    return group(
      this.expr(head, leftMin),
      nest(rest.map((r) => [' ', r.op, line, this.expr(r.right, rightMin)])),
    );
  }

  /** `let a = … in` bindings, one per line when the chain does not fit on one. */
  private letChain(e: Extract<A.Expr, { kind: 'let' }>): Doc {
    const parts: Doc[] = [];
    let cur: A.Expr = e;
    while (cur.kind === 'let') {
      parts.push(['let ', this.pattern(cur.pattern), this.bound(cur.value), ' in', line]);
      cur = cur.body;
    }
    return group(parts, this.expr(cur, Level.Exp));
  }

  /** ` = value`: a value that is itself a let, if or loop starts on its own line when it breaks. */
  private bound(value: A.Expr): Doc {
    const v = this.expr(value, Level.Exp);
    return level(value) === Level.Exp && value.kind !== 'lambda' ? group(' =', nest(line, v)) : [' = ', v];
  }

  /** `if … then … else if … then … else …`, the branches indented when it breaks. */
  private ifChain(e: Extract<A.Expr, { kind: 'if' }>): Doc {
    const parts: Doc[] = [];
    let cur: A.Expr = e;
    let first = true;
    while (cur.kind === 'if') {
      parts.push(first ? 'if ' : [line, 'else if '], this.expr(cur.cond, Level.Exp), ' then', nest(line, this.expr(cur.then, Level.Exp)));
      first = false;
      cur = cur.else;
    }
    parts.push(line, 'else', nest(line, this.expr(cur, Level.Exp)));
    return group(parts);
  }

  // ---- host statements ----

  private block(stmts: readonly A.Stmt[]): Doc {
    const end = this.comments.atEnd(stmts);
    if (stmts.length === 0 && end.length === 0) return '{}';
    const body = stmts.map((s) => this.stmtWithComments(s));
    const tail = end.map((c) => [hardline, c.text]);
    return ['{', nest(body, tail), hardline, '}'];
  }

  private stmtWithComments(s: A.Stmt): Doc {
    return [this.comments.before(s).map((c) => [hardline, c.text]), hardline, this.withTrailing(s, this.stmt(s))];
  }

  private stmt(s: A.Stmt): Doc {
    switch (s.kind) {
      case 'let':
        return ['let ', this.pattern(s.pattern), this.bound(s.value)];
      case 'var':
        return ['var ', s.name.name, s.type ? [': ', this.type(s.type)] : '', this.bound(s.value)];
      case 'assign': {
        const target = s.tuple ? `(${s.targets.map((t) => t.name).join(', ')})` : s.targets[0]!.name;
        return [target, this.bound(s.value)];
      }
      case 'for':
        return ['for ', s.index.name, ' in ', this.range(s.from, s.to), ' do ', this.block(s.body)];
      case 'if':
        return this.ifStmt(s);
      case 'return':
        return ['return ', this.expr(s.value, Level.Exp)];
      case 'expr': {
        // On its own line an expression must not read as the continuation of the statement before
        // (`-x`) nor as an if statement (`if c then {} else {}` with empty records).
        const d = this.expr(s.expr, Level.Exp);
        return startsWithMinus(d) || s.expr.kind === 'if' ? ['(', d, ')'] : d;
      }
    }
  }

  private ifStmt(s: Extract<A.Stmt, { kind: 'if' }>): Doc {
    const head: Doc = ['if ', this.expr(s.cond, Level.Exp), ' then ', this.block(s.then)];
    if (s.else === null) return head;
    const only = s.else.length === 1 ? s.else[0]! : null;
    // `else if` when the else block is one if statement with no comment of its own to keep.
    if (
      only?.kind === 'if' &&
      this.comments.atEnd(s.else).length === 0 &&
      this.comments.before(only).length === 0 &&
      this.comments.after(only) === undefined
    )
      return [head, ' else ', this.ifStmt(only)];
    return [head, ' else ', this.block(s.else)];
  }
}

/** Whether a document's text starts with '-'. */
function startsWithMinus(d: Doc): boolean {
  return firstChar(d)?.startsWith('-') === true;
}

/** The first printed text of a document (a line counts as a space), or null when it prints nothing. */
function firstChar(d: Doc): string | null {
  if (typeof d === 'string') return d === '' ? null : d;
  if (isDocArray(d)) {
    for (const x of d) {
      const f = firstChar(x);
      if (f !== null) return f;
    }
    return null;
  }
  switch (d.t) {
    case 'nest':
    case 'group':
      return firstChar(d.doc);
    case 'suffix':
      return d.text === '' ? null : d.text;
    case 'line':
      return d.soft ? null : ' ';
    case 'hard':
      return '\n';
  }
}

const STRING_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\0': '\\0' };

/** A string literal the parser reads back as `value`: `\\`, `\"`, `\n`, `\t`, `\r`, `\0` escaped, all else as is. */
function stringLiteral(value: string): string {
  return `"${value.replace(/[\\"\n\t\r\0]/g, (c) => STRING_ESCAPES[c]!)}"`;
}

/** An integer size as the grammar's `intLit` (digits only, never `1e+21`). */
function intText(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (!Number.isFinite(n)) return '9'.repeat(400);
  return BigInt(n).toString();
}
