// Values the checker knows before running: integer literals, size variables and arithmetic on
// them, lists of those, booleans and strings. Shape arguments (`reshape(x, [m, 2*n])`), axes and
// `k` of topk must be static.
import type { Expr } from '../syntax/ast.ts';
import type { Static } from '../builtins/builtin.ts';
import * as S from './size.ts';
import { lookup, type Scope } from './scope.ts';
import type { Type } from './types.ts';

/** A comparison of two static values, when it is decided: constant sizes, strings, booleans. */
function compare(op: string, l: Static, r: Static): boolean | null {
  if (op === 'and' || op === 'or') return l.kind === 'bool' && r.kind === 'bool' ? (op === 'and' ? l.value && r.value : l.value || r.value) : null;
  let a: number | string | boolean;
  let b: number | string | boolean;
  if (l.kind === 'size' && r.kind === 'size') {
    const x = S.constValue(l.size);
    const y = S.constValue(r.size);
    if (x === null || y === null) return S.equal(l.size, r.size) && (op === '==' || op === '<=' || op === '>=') ? true : null;
    [a, b] = [x, y];
  } else if ((l.kind === 'str' && r.kind === 'str') || (l.kind === 'bool' && r.kind === 'bool')) [a, b] = [l.value, r.value];
  else return null;
  return compareValues(op, a, b);
}

/** A comparison operator applied to two numbers, strings or booleans; null for other operators. */
export function compareValues(op: string, a: number | string | boolean, b: number | string | boolean): boolean | null {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    default: return null;
  }
}

/**
 * `typeOf` gives the checked type of a subexpression, for `rank(x)`; comparisons of constant
 * sizes, of strings and of booleans are static too, so `if rank(w) == 2 then … else …` and
 * `if scale == "original" then … else …` pick their branch when compiling.
 */
export function staticValue(e: Expr, scope: Scope | null, typeOf: (e: Expr) => Type | undefined = () => undefined): Static | null {
  const recur = (x: Expr) => staticValue(x, scope, typeOf);
  switch (e.kind) {
    case 'num':
      return e.isFloat || !Number.isSafeInteger(e.value) ? null : { kind: 'size', size: S.constant(e.value) };
    case 'bool':
      return { kind: 'bool', value: e.value };
    case 'str':
      return { kind: 'str', value: e.value };
    case 'var': {
      const b = lookup(scope, e.name);
      if (b?.kind === 'size') return { kind: 'size', size: b.size ?? S.sizeVar(e.name) };
      return b?.kind === 'value' ? b.static : null;
    }
    case 'unary': {
      const a = recur(e.arg);
      if (e.op === 'not' && a?.kind === 'bool') return { kind: 'bool', value: !a.value };
      return e.op === '-' && a?.kind === 'size' ? { kind: 'size', size: S.neg(a.size) } : null;
    }
    case 'binary': {
      const l = recur(e.left);
      const r = recur(e.right);
      if (l === null || r === null) return null;
      const op = e.op === '+' ? S.add : e.op === '-' ? S.sub : e.op === '*' ? S.mul : null;
      if (op && l.kind === 'size' && r.kind === 'size') return { kind: 'size', size: op(l.size, r.size) };
      const cmp = compare(e.op, l, r);
      return cmp === null ? null : { kind: 'bool', value: cmp };
    }
    case 'array': {
      const items = e.items.map(recur);
      return items.every((i) => i !== null) ? { kind: 'list', items: items as Static[] } : null;
    }
    case 'call': {
      // rank(x) and dim(x, axis) are read off x's type.
      const arg = e.args[0]?.value;
      const name = e.callee.kind === 'var' ? e.callee.name : '';
      if ((name !== 'rank' && name !== 'dim') || lookup(scope, name) !== undefined || arg === undefined) return null;
      const t = typeOf(arg);
      if (t?.kind !== 'tensor') return null;
      if (name === 'rank') return { kind: 'size', size: S.constant(t.shape.length) };
      const ax = e.args[1] ? recur(e.args[1].value) : null;
      const a = ax?.kind === 'size' ? S.constValue(ax.size) : null;
      if (a === null) return null;
      const size = t.shape[a < 0 ? a + t.shape.length : a];
      return size === undefined ? null : { kind: 'size', size };
    }
    default:
      return null;
  }
}
