// Builtins with effects; only host code (a function whose body is a { … } block) may call them.
import { show, UNIT, type Type } from '../check/types.ts';
import { need, RuleError, type Builtin } from './builtin.ts';

function requireStr(args: Parameters<Builtin['type']>[0], name: string): void {
  const a = need(args, name);
  if (a.type.kind !== 'str') throw new RuleError(`${args.callee}: '${name}' must be a string, found ${show(a.type)}`, a);
}

/** Parameter records are tensors nested in records and tuples. */
function isTree(t: Type): boolean {
  if (t.kind === 'tensor' || t.kind === 'error') return true;
  if (t.kind === 'tuple') return t.items.every(isTree);
  if (t.kind === 'record') return t.fields.every((f) => isTree(f.type));
  return false;
}

function requireTree(args: Parameters<Builtin['type']>[0], name: string): Type {
  const a = need(args, name);
  if (!isTree(a.type)) throw new RuleError(`${args.callee}: '${name}' must be a tensor or a record of tensors, found ${show(a.type)}`, a);
  return a.type;
}

export const HOST: readonly Builtin[] = [
  {
    name: 'print', doc: 'prints its arguments on one line', effect: true,
    params: [{ name: 'values', variadic: true }],
    type: () => UNIT,
  },
  {
    name: 'log_metrics', doc: 'appends a record of scalar metrics to the run log (and the progress line)', effect: true,
    params: [{ name: 'metrics' }],
    type: (args) => {
      const m = need(args, 'metrics');
      const ok = m.type.kind === 'record' && m.type.fields.every((f) => f.type.kind === 'tensor' && f.type.shape.length === 0);
      if (!ok) throw new RuleError(`log_metrics: metrics must be a record of scalars such as { loss: l }, found ${show(m.type)}`, m);
      return UNIT;
    },
  },
  {
    name: 'save', doc: 'writes a tensor or record of tensors to a safetensors file, atomically', effect: true,
    params: [{ name: 'path' }, { name: 'value' }],
    type: (args) => {
      requireStr(args, 'path');
      requireTree(args, 'value');
      return UNIT;
    },
  },
  {
    name: 'load', doc: 'reads a safetensors file into a value of the same type as `like`', effect: true,
    params: [{ name: 'path' }, { name: 'like' }],
    type: (args) => {
      requireStr(args, 'path');
      return requireTree(args, 'like');
    },
  },
];
