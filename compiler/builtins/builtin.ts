// What a builtin is: its parameters and its type rule. Every builtin lives in one table
// (table.ts); the checker, and later stages, read that table and nothing else.
import type { Span } from '../syntax/ast.ts';
import * as S from '../check/size.ts';
import { show, type TensorType, type Type } from '../check/types.ts';

/** An argument's value when the checker can know it before running: a size, a list, a flag. */
export type Static =
  | { readonly kind: 'size'; readonly size: S.Size }
  | { readonly kind: 'list'; readonly items: readonly Static[] }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'str'; readonly value: string };

export interface ArgInfo {
  readonly type: Type;
  readonly static: Static | null;
  readonly span: Span;
}

export interface ParamSpec {
  readonly name: string;
  /** The default as it is documented; its presence makes the parameter optional. */
  readonly default?: string;
  /** Takes every remaining positional argument (print). */
  readonly variadic?: boolean;
}

export interface Builtin {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** One line for the spec: what it computes. */
  readonly doc: string;
  /** Only host code may call it (printing, files). */
  readonly effect?: boolean;
  /** The result type; throws RuleError for arguments it does not accept. */
  readonly type: (args: Args) => Type;
}

/** Arguments bound to parameter names; absent optional parameters are missing. */
export interface Args {
  readonly get: (name: string) => ArgInfo | undefined;
  readonly rest: readonly ArgInfo[];
  readonly callee: string;
  /** Data-parallel ranks (1 unless the program runs with `--ranks N`); shard shapes depend on it. */
  readonly ranks: number;
  /** How messages name a parameter: 'x' in a call, 'the left operand' for an operator. */
  readonly label: (name: string) => string;
}

/** A rejected argument: the checker reports it at that argument (or the call). */
export class RuleError extends Error {
  constructor(message: string, readonly arg?: ArgInfo) {
    super(message);
  }
}

// ---- helpers the rules share ----

export function need(args: Args, name: string): ArgInfo {
  const a = args.get(name);
  if (a === undefined) throw new RuleError(`${args.callee}: missing argument '${name}'`);
  return a;
}

export function tensorArg(args: Args, name: string): TensorType {
  const a = need(args, name);
  if (a.type.kind !== 'tensor') throw new RuleError(`${args.callee}: ${args.label(name)} must be a tensor, found ${show(a.type)}`, a);
  return a.type;
}

export function staticSize(args: Args, name: string): S.Size {
  const a = need(args, name);
  if (a.static?.kind !== 'size') throw notStatic(args, name, a, 'a size (an integer literal, a size variable, or arithmetic on them)');
  return a.static.size;
}

export function staticInt(args: Args, name: string): number {
  const s = staticSize(args, name);
  const v = S.constValue(s);
  if (v === null) throw new RuleError(`${args.callee}: '${name}' must be an integer constant, found ${S.show(s)}`, need(args, name));
  return v;
}

export function staticSizes(args: Args, name: string): S.Size[] {
  const a = need(args, name);
  const items = a.static?.kind === 'list' ? a.static.items : null;
  if (items === null || items.some((i) => i.kind !== 'size'))
    throw notStatic(args, name, a, 'a list of sizes such as [m, 2*n]');
  return items.map((i) => (i as { size: S.Size }).size);
}

export function staticBool(args: Args, name: string, fallback: boolean): boolean {
  const a = args.get(name);
  if (a === undefined) return fallback;
  if (a.static?.kind !== 'bool') throw notStatic(args, name, a, 'true or false');
  return a.static.value;
}

function notStatic(args: Args, name: string, a: ArgInfo, what: string): RuleError {
  return new RuleError(`${args.callee}: '${name}' must be ${what} known before the program runs`, a);
}

/** Resolves a possibly negative axis against a rank. */
export function axisOf(args: Args, name: string, rank: number, fallback?: number): number {
  if (args.get(name) === undefined && fallback !== undefined) return normalizeAxis(args, name, fallback, rank);
  return normalizeAxis(args, name, staticInt(args, name), rank);
}

function normalizeAxis(args: Args, name: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw new RuleError(`${args.callee}: axis ${axis} is out of range for a tensor of rank ${rank}`, args.get(name));
  return a;
}

/** `axis` as one axis, a list of axes, or absent (every axis), normalized and sorted. */
export function axesOf(args: Args, name: string, rank: number): number[] {
  const a = args.get(name);
  if (a === undefined) return [...Array(rank).keys()];
  const list = a.static?.kind === 'list' ? a.static.items : [a.static];
  const out = list.map((s) => {
    const v = s?.kind === 'size' ? S.constValue(s.size) : null;
    if (v === null) throw notStatic(args, name, a, 'an axis or a list of axes');
    return normalizeAxis(args, name, v, rank);
  });
  if (new Set(out).size !== out.length) throw new RuleError(`${args.callee}: an axis is repeated in ${name}`, a);
  return out.sort((x, y) => x - y);
}

export function requireFloat(args: Args, name: string): TensorType {
  const t = tensorArg(args, name);
  if (t.dtype === 'f32' || (t.weak && t.dtype === 'i32')) return { kind: 'tensor', dtype: 'f32', shape: t.shape };
  throw new RuleError(`${args.callee}: ${args.label(name)} must be f32, found ${show(t)}; convert with f32(...)`, need(args, name));
}

export function requireNumeric(args: Args, name: string): TensorType {
  const t = tensorArg(args, name);
  if (t.dtype === 'bool') throw new RuleError(`${args.callee}: ${args.label(name)} must be f32 or i32, found ${show(t)}`, need(args, name));
  return t;
}

export function requireDType(args: Args, name: string, dtype: 'f32' | 'i32' | 'bool'): TensorType {
  const t = tensorArg(args, name);
  if (t.dtype === dtype || (t.weak && t.dtype === 'i32' && dtype === 'f32')) return { kind: 'tensor', dtype, shape: t.shape };
  throw new RuleError(`${args.callee}: ${args.label(name)} must be ${dtype}, found ${show(t)}`, need(args, name));
}
