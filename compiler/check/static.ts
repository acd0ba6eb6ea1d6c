// Values the checker knows before running: integer literals, size variables and arithmetic on
// them, lists of those, booleans and strings. Shape arguments (`reshape(x, [m, 2*n])`), axes and
// `k` of topk must be static.
import type { Expr } from '../syntax/ast.ts';
import type { Static } from '../builtins/builtin.ts';
import * as S from './size.ts';
import { lookup, type Scope } from './scope.ts';

export function staticValue(e: Expr, scope: Scope | null): Static | null {
  switch (e.kind) {
    case 'num':
      return e.isFloat || !Number.isSafeInteger(e.value) ? null : { kind: 'size', size: S.constant(e.value) };
    case 'bool':
      return { kind: 'bool', value: e.value };
    case 'str':
      return { kind: 'str', value: e.value };
    case 'var': {
      const b = lookup(scope, e.name);
      if (b?.kind === 'size') return { kind: 'size', size: S.sizeVar(e.name) };
      return b?.kind === 'value' ? b.static : null;
    }
    case 'unary': {
      const a = staticValue(e.arg, scope);
      return e.op === '-' && a?.kind === 'size' ? { kind: 'size', size: S.neg(a.size) } : null;
    }
    case 'binary': {
      const op = e.op === '+' ? S.add : e.op === '-' ? S.sub : e.op === '*' ? S.mul : null;
      const l = staticValue(e.left, scope);
      const r = staticValue(e.right, scope);
      return op && l?.kind === 'size' && r?.kind === 'size' ? { kind: 'size', size: op(l.size, r.size) } : null;
    }
    case 'array': {
      const items = e.items.map((i) => staticValue(i, scope));
      return items.every((i) => i !== null) ? { kind: 'list', items: items as Static[] } : null;
    }
    default:
      return null;
  }
}
