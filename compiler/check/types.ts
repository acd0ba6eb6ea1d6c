// The checker's types: tensors with symbolic shapes, tuples, records, and the few host types.
import type { DType } from '../syntax/ast.ts';
import * as S from './size.ts';

export type { DType };

export interface TensorType {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly shape: readonly S.Size[];
  /** A numeric literal: it takes the dtype of the tensor it meets (`2 * x` with x: f32). */
  readonly weak?: boolean;
}

export type Type =
  | TensorType
  | { readonly kind: 'tuple'; readonly items: readonly Type[] }
  | { readonly kind: 'record'; readonly fields: readonly Field[] }
  | { readonly kind: 'str' }
  | { readonly kind: 'unit' }
  /** An opaque host value, such as a text dataset. */
  | { readonly kind: 'opaque'; readonly name: string }
  /** A function parameter: it is bound to a named function or a literal fn(…) = … at each call. */
  | { readonly kind: 'fn' }
  /** A type parameter of a generic function (`[P: type]`), bound at each call. */
  | { readonly kind: 'typevar'; readonly name: string }
  /** Stands for an expression whose error was already reported; never reported again. */
  | { readonly kind: 'error' };

export interface Field {
  readonly name: string;
  readonly type: Type;
}

export const tensor = (dtype: DType, shape: readonly S.Size[] = [], weak = false): TensorType =>
  weak ? { kind: 'tensor', dtype, shape, weak } : { kind: 'tensor', dtype, shape };
export const f32 = (shape: readonly S.Size[] = []): TensorType => tensor('f32', shape);
export const i32 = (shape: readonly S.Size[] = []): TensorType => tensor('i32', shape);
export const bool = (shape: readonly S.Size[] = []): TensorType => tensor('bool', shape);
export const tuple = (items: readonly Type[]): Type => ({ kind: 'tuple', items });
export const STR: Type = { kind: 'str' };
export const UNIT: Type = { kind: 'unit' };
export const ERROR: Type = { kind: 'error' };

export const isTensor = (t: Type): t is TensorType => t.kind === 'tensor';
export const isScalar = (t: Type): t is TensorType => t.kind === 'tensor' && t.shape.length === 0;

export function showShape(shape: readonly S.Size[]): string {
  return `[${shape.map(S.show).join(', ')}]`;
}

export function show(t: Type): string {
  switch (t.kind) {
    case 'tensor':
      return t.shape.length === 0 ? t.dtype : `${t.dtype}${showShape(t.shape)}`;
    case 'tuple':
      return `(${t.items.map(show).join(', ')})`;
    case 'record':
      return `{ ${t.fields.map((f) => `${f.name}: ${show(f.type)}`).join(', ')} }`;
    case 'opaque':
    case 'typevar':
      return t.name;
    case 'error':
      return '<error>';
    default:
      return t.kind === 'unit' ? '()' : t.kind;
  }
}

export const sameShape = (a: readonly S.Size[], b: readonly S.Size[]): boolean =>
  a.length === b.length && a.every((d, i) => S.equal(d, b[i]!));

/** Structural equality; record fields compare by name, whatever their order. */
export function equal(a: Type, b: Type): boolean {
  if (a.kind === 'error' || b.kind === 'error') return true;
  switch (a.kind) {
    case 'tensor':
      return b.kind === 'tensor' && a.dtype === b.dtype && sameShape(a.shape, b.shape);
    case 'tuple':
      return b.kind === 'tuple' && a.items.length === b.items.length && a.items.every((t, i) => equal(t, b.items[i]!));
    case 'record':
      return (
        b.kind === 'record' &&
        a.fields.length === b.fields.length &&
        a.fields.every((f) => {
          const g = b.fields.find((x) => x.name === f.name);
          return g !== undefined && equal(f.type, g.type);
        })
      );
    case 'opaque':
      return b.kind === 'opaque' && a.name === b.name;
    case 'typevar':
      return b.kind === 'typevar' && a.name === b.name;
    default:
      return a.kind === b.kind;
  }
}

export function containsError(t: Type): boolean {
  switch (t.kind) {
    case 'error':
      return true;
    case 'tuple':
      return t.items.some(containsError);
    case 'record':
      return t.fields.some((f) => containsError(f.type));
    default:
      return false;
  }
}

/** Applies a size substitution to every shape in a type, and a type substitution to its type variables. */
export function substitute(t: Type, env: ReadonlyMap<string, S.Size>, types: ReadonlyMap<string, Type> = new Map()): Type {
  switch (t.kind) {
    case 'typevar':
      return types.get(t.name) ?? t;
    case 'tensor':
      return { ...t, shape: t.shape.map((d) => S.substitute(d, env)) };
    case 'tuple':
      return tuple(t.items.map((x) => substitute(x, env, types)));
    case 'record':
      return { kind: 'record', fields: t.fields.map((f) => ({ name: f.name, type: substitute(f.type, env, types) })) };
    default:
      return t;
  }
}
