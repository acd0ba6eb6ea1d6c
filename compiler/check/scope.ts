// Lexical scopes: an immutable chain of bindings, so a branch of the checker extends its scope
// without disturbing its siblings.
import type { Expr, FnDecl, Span } from '../syntax/ast.ts';

export type LambdaExpr = Extract<Expr, { kind: 'lambda' }>;

/** Where a function literal was written: what its body is checked with. */
export interface LambdaContext {
  readonly host: boolean;
  readonly module: Module;
  readonly sizes: ReadonlySet<string>;
  readonly sizeEnv: ReadonlyMap<string, Size>;
  readonly typeVars: ReadonlyMap<string, Type>;
}
import type { Static } from '../builtins/builtin.ts';
import type { Type } from './types.ts';
import type { Size } from './size.ts';
import type { Module } from './module.ts';

export type Binding =
  | { readonly kind: 'value'; readonly type: Type; readonly span: Span; readonly mutable: boolean; readonly static: Static | null }
  /** A size variable: an i32 value known when the function is specialized. */
  /** A size variable; in an instance of a generic function, `size` is what the call bound it to. */
  | { readonly kind: 'size'; readonly span: Span; readonly size?: Size }
  /** A declared function; `local` when it is what a function parameter is bound to. */
  | { readonly kind: 'fn'; readonly decl: FnDecl; readonly module: Module; readonly local?: boolean }
  /** A function parameter bound to a function literal, checked where it is called. */
  | { readonly kind: 'lambda'; readonly lambda: LambdaExpr; readonly scope: Scope | null; readonly ctx: LambdaContext }
  | { readonly kind: 'module'; readonly module: Module; readonly span: Span };

export interface Scope {
  readonly name: string;
  readonly binding: Binding;
  readonly parent: Scope | null;
}

export const bind = (parent: Scope | null, name: string, binding: Binding): Scope => ({ name, binding, parent });

export function lookup(scope: Scope | null, name: string): Binding | undefined {
  for (let s = scope; s !== null; s = s.parent) if (s.name === name) return s.binding;
  return undefined;
}

export function names(scope: Scope | null): string[] {
  const out: string[] = [];
  for (let s = scope; s !== null; s = s.parent) out.push(s.name);
  return out;
}

/** The closest name to a misspelt one, for "did you mean …?" (edit distance at most 2). */
export function suggest(name: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  // Short names are too easily one edit from anything: allow one edit per three characters.
  let bestDist = Math.min(3, Math.floor(name.length / 3) + 1);
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDist && c !== name) [best, bestDist] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}
