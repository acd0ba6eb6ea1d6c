// The abstract syntax tree of a `.mu` file: plain readonly data, every node with its source span.

/** Half-open character range [start, end) in the text of `file`. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export interface Ident {
  readonly name: string;
  readonly span: Span;
}

// ---- sizes and types ----

export type SizeExpr =
  | { readonly kind: 'int'; readonly value: number; readonly span: Span }
  | { readonly kind: 'var'; readonly name: string; readonly span: Span }
  | {
      readonly kind: 'add' | 'sub' | 'mul';
      readonly left: SizeExpr;
      readonly right: SizeExpr;
      readonly span: Span;
    };

export type DType = 'f32' | 'i32' | 'bool';

export type TypeExpr =
  /** A function parameter's type: any function, bound when the function is called. */
  | { readonly kind: 'fn'; readonly span: Span }
  | {
      readonly kind: 'tensor';
      readonly dtype: DType;
      readonly dims: readonly SizeExpr[];
      readonly span: Span;
    }
  | { readonly kind: 'tuple'; readonly items: readonly TypeExpr[]; readonly span: Span }
  | {
      readonly kind: 'record';
      readonly fields: readonly { readonly name: Ident; readonly type: TypeExpr }[];
      readonly span: Span;
    }
  | {
      readonly kind: 'named';
      readonly name: string;
      readonly args: readonly SizeExpr[];
      readonly span: Span;
    };

// ---- expressions ----

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '**' | '@'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'and' | 'or';

export type UnaryOp = '-' | 'not';

export interface Arg {
  readonly name: Ident | null;
  readonly value: Expr;
}

export type IndexItem =
  | { readonly kind: 'at'; readonly index: Expr }
  | { readonly kind: 'slice'; readonly lo: Expr | null; readonly hi: Expr | null; readonly span: Span };

export interface FieldInit {
  readonly name: Ident;
  readonly value: Expr;
}

export type Pattern =
  | { readonly kind: 'name'; readonly name: Ident }
  | { readonly kind: 'tuple'; readonly items: readonly Pattern[]; readonly span: Span };

export type Expr =
  | { readonly kind: 'num'; readonly value: number; readonly isFloat: boolean; readonly text: string; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'str'; readonly value: string; readonly span: Span }
  | { readonly kind: 'var'; readonly name: string; readonly span: Span }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr; readonly span: Span }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly opSpan: Span; readonly span: Span }
  | { readonly kind: 'call'; readonly callee: Expr; readonly args: readonly Arg[]; readonly span: Span }
  | { readonly kind: 'index'; readonly target: Expr; readonly items: readonly IndexItem[]; readonly span: Span }
  | { readonly kind: 'field'; readonly target: Expr; readonly name: Ident; readonly span: Span }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'array'; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'record'; readonly fields: readonly FieldInit[]; readonly span: Span }
  | { readonly kind: 'update'; readonly target: Expr; readonly fields: readonly FieldInit[]; readonly span: Span }
  | { readonly kind: 'let'; readonly pattern: Pattern; readonly value: Expr; readonly body: Expr; readonly span: Span }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  | {
      readonly kind: 'loop';
      readonly pattern: Pattern;
      readonly init: Expr;
      readonly index: Ident;
      readonly from: Expr;
      readonly to: Expr;
      readonly body: Expr;
      readonly span: Span;
    }
  | { readonly kind: 'lambda'; readonly params: readonly Ident[]; readonly body: Expr; readonly span: Span };

// ---- host statements ----

export type Stmt =
  | { readonly kind: 'let'; readonly pattern: Pattern; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'var'; readonly name: Ident; readonly type: TypeExpr | null; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'assign'; readonly targets: readonly Ident[]; readonly tuple: boolean; readonly value: Expr; readonly span: Span }
  | {
      readonly kind: 'for';
      readonly index: Ident;
      readonly from: Expr;
      readonly to: Expr;
      readonly body: readonly Stmt[];
      readonly span: Span;
    }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] | null; readonly span: Span }
  | { readonly kind: 'return'; readonly value: Expr; readonly span: Span }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly span: Span };

// ---- declarations ----

export interface Param {
  readonly name: Ident;
  readonly type: TypeExpr | null;
  readonly default: Expr | null;
  readonly span: Span;
}

export type FnBody =
  | { readonly kind: 'expr'; readonly expr: Expr }
  | { readonly kind: 'block'; readonly stmts: readonly Stmt[]; readonly span: Span };

export interface FnDecl {
  readonly kind: 'fn';
  readonly name: Ident;
  readonly sizeParams: readonly Ident[];
  /** Type parameters (`[P: type]`): the function is checked anew for each use, like a template. */
  readonly typeParams: readonly Ident[];
  readonly params: readonly Param[];
  readonly ret: TypeExpr | null;
  readonly body: FnBody;
  readonly span: Span;
}

export interface TypeDecl {
  readonly kind: 'type';
  readonly name: Ident;
  readonly sizeParams: readonly Ident[];
  /** Always empty when valid: the checker reports type parameters on an alias. */
  readonly typeParams: readonly Ident[];
  readonly type: TypeExpr;
  readonly span: Span;
}

export interface ImportDecl {
  readonly kind: 'import';
  readonly path: readonly string[];
  readonly alias: Ident | null;
  readonly span: Span;
}

export type Decl = ImportDecl | TypeDecl | FnDecl;

export interface Program {
  readonly file: string;
  readonly decls: readonly Decl[];
}

/** The name an expression of the form `a.b.c` spells, or null when it is not a dotted name. */
export function dottedName(e: Expr): string | null {
  if (e.kind === 'var') return e.name;
  if (e.kind === 'field') {
    const head = dottedName(e.target);
    return head === null ? null : `${head}.${e.name.name}`;
  }
  return null;
}
