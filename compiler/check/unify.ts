// Size inference at a call: match the callee's parameter types (over its own size variables)
// against the argument types (over the caller's sizes) and solve for the callee's variables.
import * as S from './size.ts';
import { show, type Type } from './types.ts';

export interface Mismatch {
  /** Where inside the parameter's type: '' for the whole, '.w' for a record field, '[1]' for a dimension. */
  readonly path: string;
  readonly message: string;
}

/**
 * Pairs (callee size, caller size) that must be equal, or the first structural mismatch. A type
 * variable of the callee is bound to the argument's type in `types` at its first occurrence.
 */
export function collectDims(param: Type, arg: Type, path = '', types: Map<string, Type> = new Map()): { pairs: [S.Size, S.Size, string][] } | Mismatch {
  if (arg.kind === 'error') return { pairs: [] };
  if (param.kind === 'typevar') {
    const bound = types.get(param.name);
    if (bound === undefined) {
      types.set(param.name, arg.kind === 'tensor' && arg.weak ? { kind: 'tensor', dtype: arg.dtype, shape: arg.shape } : arg);
      return { pairs: [] };
    }
    return collectDims(bound, arg, path, types);
  }
  const bad = (what: string): Mismatch => ({ path, message: `expected ${what} ${show(param)}, found ${show(arg)}` });
  switch (param.kind) {
    case 'tensor': {
      if (arg.kind !== 'tensor') return bad('a tensor');
      const dtypeOk = arg.dtype === param.dtype || (arg.weak === true && weakFits(arg.dtype, param.dtype));
      if (!dtypeOk) return bad(param.shape.length === 0 ? 'a scalar' : 'a tensor');
      if (arg.shape.length !== param.shape.length)
        return { path, message: `expected ${show(param)} (rank ${param.shape.length}), found ${show(arg)} (rank ${arg.shape.length})` };
      return { pairs: param.shape.map((d, i) => [d, arg.shape[i]!, `${path}[${i}]`]) };
    }
    case 'tuple': {
      if (arg.kind !== 'tuple' || arg.items.length !== param.items.length) return bad('a tuple');
      const pairs: [S.Size, S.Size, string][] = [];
      for (let i = 0; i < param.items.length; i++) {
        const r = collectDims(param.items[i]!, arg.items[i]!, `${path}.${i}`, types);
        if ('message' in r) return r;
        pairs.push(...r.pairs);
      }
      return { pairs };
    }
    case 'record': {
      if (arg.kind !== 'record') return bad('a record');
      const pairs: [S.Size, S.Size, string][] = [];
      for (const f of param.fields) {
        const g = arg.fields.find((x) => x.name === f.name);
        if (g === undefined) return { path, message: `the record has no field '${f.name}' (expected ${show(param)}, found ${show(arg)})` };
        const r = collectDims(f.type, g.type, `${path}.${f.name}`, types);
        if ('message' in r) return r;
        pairs.push(...r.pairs);
      }
      const extra = arg.fields.find((g) => !param.fields.some((f) => f.name === g.name));
      if (extra) return { path, message: `the record has an unexpected field '${extra.name}' (expected ${show(param)})` };
      return { pairs };
    }
    default:
      return param.kind === arg.kind ? { pairs: [] } : bad('');
  }
}

/** An integer literal fits i32 and f32; a float literal fits only f32. */
export const weakFits = (literal: string, target: string): boolean =>
  target === literal || (literal === 'i32' && target === 'f32');

export type SolveResult =
  | { readonly ok: true; readonly env: Map<string, S.Size>; readonly origins: Map<string, string> }
  | {
      readonly ok: false;
      /** 'mismatch': a size is known and differs; 'infer': a size cannot be solved for. */
      readonly reason: 'mismatch' | 'infer';
      readonly path: string;
      readonly message: string;
      readonly env: Map<string, S.Size>;
      readonly origins: Map<string, string>;
    };

/**
 * Solves for the callee's `unknowns` given pairs that must be equal. Variables that appear alone
 * are bound first; then linear occurrences (`2*n`, `n+1`) are solved; the rest are checked.
 * `origins` records, for each solved variable, the path of the pair that fixed it.
 */
export function solve(
  pairs: readonly [S.Size, S.Size, string][],
  unknowns: ReadonlySet<string>,
  env = new Map<string, S.Size>(),
  origins = new Map<string, string>(),
): SolveResult {
  const pending = [...pairs];
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const [p, a, path] = pending[i]!;
      const q = S.substitute(p, env);
      const free = [...S.variables(q)].filter((v) => unknowns.has(v) && !env.has(v));
      if (free.length === 0) {
        if (!S.equal(q, a))
          return { ok: false, reason: 'mismatch', path, env, origins, message: `size ${S.show(p)} is ${S.show(q)} here, but the argument has ${S.show(a)}` };
      } else if (free.length === 1) {
        const v = S.solveLinear(q, free[0]!, a);
        if (v === null) continue;
        env.set(free[0]!, v);
        origins.set(free[0]!, path);
      } else continue;
      pending.splice(i, 1);
      i--;
      progress = true;
    }
  }
  if (pending.length > 0) {
    const [p, a, path] = pending[0]!;
    return { ok: false, reason: 'infer', path, env, origins, message: `cannot solve ${S.show(S.substitute(p, env))} = ${S.show(a)}` };
  }
  return { ok: true, env, origins };
}
