// Values in host code: tensors, and the tuples, records and strings around them.
import type { FnDecl } from '../../compiler/syntax/ast.ts';
import type { Module } from '../../compiler/check/module.ts';
import { stridesOf, type Tensor } from '../interp/ops/tensor.ts';

export type HostValue =
  | { readonly kind: 'tensor'; readonly value: Tensor }
  | { readonly kind: 'tuple'; readonly items: readonly HostValue[] }
  | { readonly kind: 'record'; readonly fields: readonly (readonly [string, HostValue])[] }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'unit' }
  /** A host object the language cannot look into, such as a text corpus. */
  | { readonly kind: 'opaque'; readonly name: string; readonly value: unknown }
  /** A named function bound to a function parameter. */
  | { readonly kind: 'fn'; readonly decl: FnDecl; readonly module: Module };

export const UNIT: HostValue = { kind: 'unit' };
export const hostTensor = (value: Tensor): HostValue => ({ kind: 'tensor', value });

export function tensorsOf(v: HostValue): Tensor[] {
  switch (v.kind) {
    case 'tensor':
      return [v.value];
    case 'tuple':
      return v.items.flatMap(tensorsOf);
    case 'record':
      return v.fields.flatMap(([, f]) => tensorsOf(f));
    default:
      return [];
  }
}

/** A number for print: f32 with up to 6 significant digits, integers as they are. */
function formatScalar(x: number, dtype: Tensor['dtype']): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (dtype === 'i32' || !Number.isFinite(x)) return String(x);
  const s = x.toPrecision(6);
  // Trailing zeros go only after a decimal point (102400 stays 102400; 0.500000 becomes 0.5).
  if (s.includes('e')) return s.replace(/\.?0+e/, 'e');
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Nested brackets like NumPy, eliding the middle of long axes. */
export function formatTensor(t: Tensor, maxPerAxis = 6): string {
  const strides = stridesOf(t.shape);
  const go = (axis: number, offset: number): string => {
    if (axis === t.shape.length) return formatScalar(t.data[offset]!, t.dtype);
    const n = t.shape[axis]!;
    const idx = n <= maxPerAxis ? [...Array(n).keys()] : [0, 1, 2, -1, n - 3, n - 2, n - 1];
    return `[${idx.map((i) => (i < 0 ? '…' : go(axis + 1, offset + i * strides[axis]!))).join(', ')}]`;
  };
  return go(0, 0);
}

export function formatValue(v: HostValue): string {
  switch (v.kind) {
    case 'tensor':
      return formatTensor(v.value);
    case 'tuple':
      return `(${v.items.map(formatValue).join(', ')})`;
    case 'record':
      return `{ ${v.fields.map(([n, f]) => `${n}: ${formatValue(f)}`).join(', ')} }`;
    case 'str':
      return v.value;
    case 'unit':
      return '()';
    case 'opaque':
      return `<${v.name}>`;
    case 'fn':
      return `<fn ${v.decl.name.name}>`;
  }
}
