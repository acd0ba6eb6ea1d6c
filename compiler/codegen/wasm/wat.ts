// Small helpers for writing WebAssembly text: literals that round-trip exactly, and a function
// builder that keeps local declarations and indentation. Code is built as folded S-expressions
// (`(f32.add (local.get $a) (local.get $b))`), one statement per line, so `muc build --emit wat`
// reads like the kernel printout it comes from.
import type { DType } from '../../ir/graph.ts';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** An f32 constant's text: the shortest decimal that parses back to the same float32. */
export function f32Text(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(Math.fround(v));
}

/** An f64 constant's text (JavaScript prints the shortest round-tripping decimal). */
export function f64Text(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

export const i32 = (v: number): string => `(i32.const ${v | 0})`;
export const f32 = (v: number): string => `(f32.const ${f32Text(v)})`;
export const f64 = (v: number): string => `(f64.const ${f64Text(v)})`;
export const get = (name: string): string => `(local.get $${name})`;
export const ZERO_V128 = '(v128.const i32x4 0 0 0 0)';

/** The Wasm type a kernel value of this dtype lives in (bool is an i32 0 or 1). */
export const scalarType = (d: DType): ValType => (d === 'f32' ? 'f32' : 'i32');

/** A function under construction: named locals (declared once, with their type) and indented lines. */
export class FuncBuilder {
  private readonly locals = new Map<string, ValType>();
  private readonly lines: string[] = [];
  private depth = 2;

  constructor(
    readonly name: string,
    private readonly params: readonly (readonly [string, ValType])[] = [],
    private readonly result: ValType | null = null,
  ) {
    for (const [p, t] of params) this.locals.set(p, t);
  }

  /** Declares (or reuses) a local; a name always keeps the type it was first declared with. */
  local(name: string, type: ValType): string {
    const had = this.locals.get(name);
    if (had !== undefined && had !== type) throw new Error(`wasm codegen: local $${name} is ${had}, not ${type}`);
    if (had === undefined) this.locals.set(name, type);
    return name;
  }

  /** `(local.set $name value)`, declaring the local. */
  set(name: string, type: ValType, value: string): void {
    this.local(name, type);
    this.line(`(local.set $${name} ${value})`);
  }

  line(text: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${text}`);
  }

  comment(text: string): void {
    for (const l of text.split('\n')) this.line(`;; ${l}`);
  }

  /** Opens a block-like form (`(loop $l`, `(if (cond) (then`); `close` ends it. */
  open(text: string): void {
    this.line(text);
    this.depth++;
  }

  close(text = ')'): void {
    this.depth--;
    this.line(text);
  }

  text(header: readonly string[] = []): string {
    const params = [...this.params].map(([n, t]) => ` (param $${n} ${t})`).join('');
    const result = this.result === null ? '' : ` (result ${this.result})`;
    const declared = new Set(this.params.map(([n]) => n));
    const locals = [...this.locals].filter(([n]) => !declared.has(n)).map(([n, t]) => `    (local $${n} ${t})`);
    return [...header.map((h) => `  ;; ${h}`), `  (func $${this.name}${params}${result}`, ...locals, ...this.lines, '  )'].join('\n');
  }
}
