// Builtins with effects; only host code (a function whose body is a { … } block) may call them.
import * as S from '../check/size.ts';
import { bool, f32, i32, show, STR, tuple, UNIT, type Type } from '../check/types.ts';
import { need, requireDType, RuleError, staticSize, type Builtin } from './builtin.ts';

/** A text corpus read as bytes, with a held-out tail for validation. */
export const TEXT: Type = { kind: 'opaque', name: 'Text' };

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

function requireText(args: Parameters<Builtin['type']>[0]): void {
  const a = need(args, 'data');
  if (a.type.kind !== 'opaque' || a.type.name !== 'Text') throw new RuleError(`${args.callee}: 'data' must be a Text (from text.open), found ${show(a.type)}`, a);
}

function requireScalars(args: Parameters<Builtin['type']>[0], name: string): void {
  for (const m of [...(args.get(name) ? [need(args, name)] : []), ...args.rest]) {
    const ok = m.type.kind === 'record' && m.type.fields.every((f) => f.type.kind === 'tensor' && f.type.shape.length === 0);
    if (!ok) throw new RuleError(`${args.callee}: ${name} must be a record of scalars such as { loss: l }, found ${show(m.type)}`, m);
  }
}

export const HOST: readonly Builtin[] = [
  {
    name: 'machine', doc: 'a line describing this computer (processor, cores, Node version), for results files', effect: true,
    params: [],
    type: () => STR,
  },
  {
    name: 'clock', doc: 'seconds since the run started, for timing parts of a program', effect: true,
    params: [],
    type: () => f32(),
  },
  {
    name: 'json.write', doc: 'writes a value (tensors as nested lists, records as objects, tuples as lists, strings) as a JSON file, atomically', effect: true,
    params: [{ name: 'path' }, { name: 'value' }],
    type: (args) => {
      requireStr(args, 'path');
      need(args, 'value');
      return UNIT;
    },
  },
  {
    name: 'plot.curves',
    doc: 'draws an SVG line chart of y against x: each field of `series` is one curve per row (f32[runs, n]), shown as their mean with a band from min to max',
    effect: true,
    params: [{ name: 'path' }, { name: 'title' }, { name: 'x_label' }, { name: 'y_label' }, { name: 'x' }, { name: 'series' }],
    type: (args) => {
      for (const n of ['path', 'title', 'x_label', 'y_label']) requireStr(args, n);
      const x = requireDType(args, 'x', 'f32');
      const s = need(args, 'series');
      const ok = s.type.kind === 'record' && x.shape.length === 1 &&
        s.type.fields.every((f) => f.type.kind === 'tensor' && f.type.shape.length === 2 && S.equal(f.type.shape[1]!, x.shape[0]!));
      if (!ok) throw new RuleError(`plot.curves: series must be a record of f32[runs, n] with n the length of x (${show(x)}), found ${show(s.type)}`, s);
      return UNIT;
    },
  },
  {
    name: 'progress',
    doc: 'draws a progress bar for step of total with the scalar metrics of one or more records; a `tokens` metric (tokens in this step) shows tokens/s',
    effect: true,
    params: [{ name: 'step' }, { name: 'total' }, { name: 'metrics', variadic: true }],
    type: (args) => {
      requireDType(args, 'step', 'i32');
      requireDType(args, 'total', 'i32');
      requireScalars(args, 'metrics');
      return UNIT;
    },
  },
  {
    name: 'file.exists', doc: 'whether a file exists', effect: true,
    params: [{ name: 'path' }],
    type: (args) => {
      requireStr(args, 'path');
      return bool();
    },
  },
  {
    name: 'fail', doc: 'stops the run with a message made of its arguments (as print joins them), as an error at the call', effect: true,
    params: [{ name: 'message', variadic: true }],
    type: () => UNIT,
  },
  {
    name: 'text.open', doc: 'reads a file (or "moby-dick", the novel that ships with muc) as byte tokens (0–255); the last `holdout` fraction is the validation split', effect: true,
    params: [{ name: 'path' }, { name: 'holdout', default: '0.1' }],
    type: (args) => {
      requireStr(args, 'path');
      if (args.get('holdout')) requireDType(args, 'holdout', 'f32');
      return TEXT;
    },
  },
  {
    name: 'text.batch',
    doc: 'batch `step` of (inputs, next-byte targets), each i32[batch, context]: random windows of "train" (from seed and step), consecutive windows of "valid"',
    effect: true,
    params: [{ name: 'data' }, { name: 'step' }, { name: 'batch' }, { name: 'context' }, { name: 'split', default: '"train"' }, { name: 'seed', default: '0' }],
    type: (args) => {
      requireText(args);
      requireDType(args, 'step', 'i32');
      if (args.get('split')) requireStr(args, 'split');
      if (args.get('seed')) requireDType(args, 'seed', 'i32');
      const shape: S.Size[] = [staticSize(args, 'batch'), staticSize(args, 'context')];
      return tuple([i32(shape), i32(shape)]);
    },
  },
  {
    name: 'text.decode', doc: 'the string whose bytes are the given tokens', effect: true,
    params: [{ name: 'tokens' }],
    type: (args) => {
      requireDType(args, 'tokens', 'i32');
      return STR;
    },
  },
  {
    name: 'print', doc: 'prints its arguments on one line', effect: true,
    params: [{ name: 'values', variadic: true }],
    type: () => UNIT,
  },
  {
    name: 'log_metrics', doc: 'appends the scalar metrics of one or more records, as one JSON line, to the metrics file given by muc run --metrics (without one, nothing)', effect: true,
    params: [{ name: 'metrics', variadic: true }],
    type: (args) => {
      requireScalars(args, 'metrics');
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
