// Scalar expressions of the kernel IR as WGSL statements: one `let tN` per node, in table order.
//
// Types: f32 → f32, i32 → i32, bool → bool in registers; in storage a bool is a 32-bit 0/1 (i32).
// Every f32 node's value goes through `q` (see helpers.ts) so the driver cannot fold across nodes.
import type { DType } from '../../ir/graph.ts';
import type { Expr, ExprId, View } from '../../kernel/ir.ts';
import { isBinaryExpr, isUnaryExpr } from '../../kernel/ops.ts';
import { dynamicBounds, type KernelChecks } from './checks.ts';
import { f32Bits, type HelperSet } from './helpers.ts';

export const wgslType = (d: DType): string => (d === 'f32' ? 'f32' : d === 'bool' ? 'bool' : 'i32');
/** The element type of a buffer holding `d`. */
export const storageType = (d: DType): string => (d === 'f32' ? 'f32' : 'i32');

export function i32Lit(v: number): string {
  if (v === -2147483648) return 'i32(-2147483647 - 1)';
  return v < 0 ? `(${v})` : String(v);
}

/** An f32 constant, opaque to the driver (NaN and ±Inf included: a plain literal could not say those). */
export function f32Const(v: number, h: HelperSet): string {
  const note = Number.isFinite(v) && Math.abs(v) < 1e7 && Math.fround(v) === v ? ` /* ${Object.is(v, -0) ? '-0' : v} */` : '';
  return `${h.use('fconst')}(${f32Bits(v)})${note}`;
}

/** How a kernel names things an expression refers to. */
export interface Scope {
  /** The WGSL variable of input slot `slot` (an array of storageType). */
  input(slot: number): string;
  /** The i32 expression of loop axis `axis` (output axes first, then reduction axes). */
  axis(axis: number): string;
  /** The WGSL expression of the reduced or multiplied value (already of the acc node's dtype). */
  acc(): string;
  /** Extents of the loop axes (output axes, then reduction axes). */
  readonly sizes: readonly number[];
  /** Elements of the buffer in input slot `slot`. */
  elements(slot: number): number;
  /** Where run-time checks register their sites; null emits none (bad indices are only clamped). */
  readonly checks: KernelChecks | null;
}

/** The i32 element offset of a view at the current loop index. */
export function viewOffset(v: View, scope: Scope, name: (id: ExprId) => string): string {
  const terms: string[] = [];
  if (v.offset !== 0) terms.push(i32Lit(v.offset));
  v.strides.forEach((s, a) => {
    if (s !== 0) terms.push(s === 1 ? scope.axis(a) : `${i32Lit(s)} * ${scope.axis(a)}`);
  });
  for (const d of v.dynamic) if (d.stride !== 0) terms.push(d.stride === 1 ? name(d.index) : `${i32Lit(d.stride)} * ${name(d.index)}`);
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/** Reads a storage element as a register value of dtype d. */
export const fromStorage = (d: DType, raw: string): string => (d === 'bool' ? `(${raw} != 0)` : raw);
/** Converts a register value of dtype d to its storage form. */
export const toStorage = (d: DType, v: string): string => (d === 'bool' ? `select(0, 1, ${v})` : v);

function unaryF32(op: string, a: string, h: HelperSet): string {
  switch (op) {
    case 'neg': return `-${a}`;
    case 'exp': return `${h.use('expf')}(${a})`;
    case 'log': return `${h.use('logf')}(${a})`;
    case 'sqrt': return `sqrt(${a})`;
    case 'rsqrt': return `${h.use('rsqrtf')}(${a})`;
    case 'tanh': return `${h.use('tanhf')}(${a})`;
    case 'sigmoid': return `${h.use('sigmoidf')}(${a})`;
    case 'relu': return `${h.use('reluf')}(${a})`;
    case 'silu': return `${h.use('siluf')}(${a})`;
    case 'gelu': return `${h.use('geluf')}(${a})`;
    case 'sin': return `sin(${a})`;
    case 'cos': return `cos(${a})`;
    case 'abs': return `abs(${a})`;
    case 'sign': return `${h.use('signf')}(${a})`;
    case 'floor': return `floor(${a})`;
    default: throw new Error(`wgsl: unary ${op} on f32`);
  }
}

function unaryI32(op: string, a: string): string {
  switch (op) {
    case 'neg': return `-${a}`;
    case 'abs': return `abs(${a})`;
    case 'sign': return `sign(${a})`;
    case 'floor': return a;
    case 'relu': return `max(${a}, 0)`;
    default: throw new Error(`wgsl: unary ${op} on i32`);
  }
}

function binaryF32(op: string, a: string, b: string, h: HelperSet): string {
  switch (op) {
    case 'add': return `${a} + ${b}`;
    case 'sub': return `${a} - ${b}`;
    case 'mul': return `${a} * ${b}`;
    case 'div': return `${a} / ${b}`;
    case 'mod': return `${h.use('fmodf')}(${a}, ${b})`;
    case 'pow': return `${h.use('powf')}(${a}, ${b})`;
    case 'maximum': return `${h.use('fmaxf')}(${a}, ${b})`;
    case 'minimum': return `${h.use('fminf')}(${a}, ${b})`;
    default: throw new Error(`wgsl: binary ${op} on f32`);
  }
}

/** `checked`: the divisor or exponent may be one the interpreter rejects, so use the reporting helper. */
function binaryI32(op: string, a: string, b: string, h: HelperSet, checked: boolean): string {
  const c = checked ? 'c' : '';
  switch (op) {
    case 'add': return `${a} + ${b}`;
    case 'sub': return `${a} - ${b}`;
    case 'mul': return `${a} * ${b}`;
    case 'div': return `${h.use(`idiv${c}`)}(${a}, ${b})`;
    case 'mod': return `${h.use(`imod${c}`)}(${a}, ${b})`;
    case 'pow': return `${h.use(`ipow${c}`)}(${a}, ${b})`;
    case 'maximum': return `max(${a}, ${b})`;
    case 'minimum': return `min(${a}, ${b})`;
    default: throw new Error(`wgsl: binary ${op} on i32`);
  }
}

const COMPARE: Readonly<Record<string, string>> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

function cast(from: DType, to: DType, a: string, h: HelperSet): string {
  if (from === to) return a;
  if (to === 'bool') return from === 'f32' ? `((bitcast<u32>(${a}) & 0x7fffffffu) != 0u)` : `(${a} != 0)`;
  if (from === 'bool') return to === 'f32' ? `select(0.0, 1.0, ${a})` : `select(0, 1, ${a})`;
  return to === 'i32' ? `${h.use('f2i')}(${a})` : `f32(${a})`;
}

/**
 * The WGSL statements that compute node `id` into `t{id}`. Loads use `scope`; a guarded load reads only
 * where its guard holds (0 elsewhere), so an out-of-range address is never read.
 */
export function emitNode(exprs: readonly Expr[], id: ExprId, scope: Scope, h: HelperSet, inputType: (slot: number) => DType): string {
  const e = exprs[id]!;
  const t = (x: ExprId): string => `t${x}`;
  const ty = wgslType(e.dtype);
  const name = `t${id}`;
  const opaque = (v: string): string => (e.dtype === 'f32' ? `${h.use('q')}(${v})` : v);
  switch (e.op) {
    case 'const':
      if (e.dtype === 'f32') return `let ${name}: f32 = ${f32Const(e.value, h)};`;
      if (e.dtype === 'bool') return `let ${name}: bool = ${e.value !== 0 ? 'true' : 'false'};`;
      return `let ${name}: i32 = ${i32Lit(e.value)};`;
    case 'index':
      return `let ${name}: i32 = ${scope.axis(e.axis)};`;
    case 'acc':
      return `let ${name}: ${ty} = ${scope.acc()};`;
    case 'load': {
      if (inputType(e.input) !== e.dtype) throw new Error(`wgsl: t${id} loads ${e.dtype} from a ${inputType(e.input)} buffer`);
      const v = scope.input(e.input);
      const offset = viewOffset(e.view, scope, t);
      // A data-dependent address is checked (where the load happens) and clamped into the buffer.
      const dynamic = e.view.dynamic.length > 0;
      const read = fromStorage(e.dtype, `${v}[${dynamic ? `min(u32(max(${offset}, 0)), arrayLength(&${v}) - 1u)` : offset}]`);
      const checks = dynamic ? indexChecks(e.view, e.input, e.valid !== null, scope, h) : [];
      if (e.valid === null) return [...checks, `let ${name}: ${ty} = ${read};`].join('\n');
      const zero = e.dtype === 'f32' ? '0.0' : e.dtype === 'bool' ? 'false' : '0';
      if (checks.length === 0) return `var ${name}: ${ty} = ${zero};\n  if (${t(e.valid)}) { ${name} = ${read}; }`;
      return [`var ${name}: ${ty} = ${zero};`, `if (${t(e.valid)}) {`, ...checks.map((c) => `  ${c}`), `  ${name} = ${read};`, '}'].join('\n');
    }
    case 'where':
      return `let ${name}: ${ty} = select(${t(e.args[2])}, ${t(e.args[1])}, ${t(e.args[0])});`;
    case 'cast':
      return `let ${name}: ${ty} = ${opaque(cast(exprs[e.args[0]]!.dtype, e.dtype, t(e.args[0]), h))};`;
    default:
      break;
  }
  if (isUnaryExpr(e)) {
    const a = t(e.args[0]);
    const from = exprs[e.args[0]]!.dtype;
    if (e.op === 'logical_not') return `let ${name}: bool = !${a};`;
    const v = from === 'f32' ? unaryF32(e.op, a, h) : unaryI32(e.op, from === 'bool' ? `select(0, 1, ${a})` : a);
    return `let ${name}: ${ty} = ${opaque(v)};`;
  }
  if (isBinaryExpr(e)) {
    const from = exprs[e.args[0]]!.dtype;
    const a = t(e.args[0]);
    // The same value on both sides: make the second a distinct opaque copy so that x - x, x == x
    // and the like are computed, not folded (they differ for NaN and ±Inf).
    const b = e.args[1] === e.args[0] && from === 'f32' ? `${h.use('q2')}(${t(e.args[1])})` : t(e.args[1]);
    if (e.op === 'logical_and') return `let ${name}: bool = ${a} && ${b};`;
    if (e.op === 'logical_or') return `let ${name}: bool = ${a} || ${b};`;
    const cmp = COMPARE[e.op];
    if (cmp !== undefined) {
      // bool has only == and != in WGSL: order bools as 0 < 1.
      const [x, y] = from === 'bool' ? [`select(0, 1, ${a})`, `select(0, 1, ${b})`] : [a, b];
      if (from !== 'f32') return `let ${name}: bool = ${x} ${cmp} ${y};`;
      // IEEE: every comparison with a NaN is false, except !=. Spelled out: the driver's own float
      // comparisons were seen to answer NaN != x with false.
      const nan = `${h.use('isnan_')}(${x}) || isnan_(${y})`;
      return e.op === 'ne' ? `let ${name}: bool = ${nan} || ${x} != ${y};` : `let ${name}: bool = !(${nan}) && ${x} ${cmp} ${y};`;
    }
    const v = from === 'f32' ? binaryF32(e.op, a, b, h) : binaryI32(e.op, from === 'bool' ? `select(0, 1, ${a})` : a, from === 'bool' ? `select(0, 1, ${b})` : b, h, scope.checks !== null && mayFail(e.op, exprs[e.args[1]]!));
    return `let ${name}: ${ty} = ${opaque(v)};`;
  }
  throw new Error(`wgsl: unknown node ${JSON.stringify(e)}`);
}

/** Whether an i32 div, mod or pow can meet a divisor or exponent the interpreter rejects. */
function mayFail(op: string, arg: Expr): boolean {
  if (op !== 'div' && op !== 'mod' && op !== 'pow') return false;
  if (arg.op !== 'const') return true;
  return op === 'pow' ? arg.value < 0 : arg.value === 0;
}

/** Statements that report each dynamic index of a load outside its bound (checks.ts). */
function indexChecks(view: View, slot: number, guarded: boolean, scope: Scope, h: HelperSet): string[] {
  if (scope.checks === null) return [];
  const bounds = dynamicBounds(view, scope.sizes, scope.elements(slot), guarded);
  return view.dynamic.flatMap((d, k) => {
    const bound = bounds[k];
    if (bound === null || bound === undefined) return [];
    const site = scope.checks!.index({ kind: 'dynamic', bound });
    const x = `t${d.index}`;
    return [`if (${x} < 0 || ${x} >= ${i32Lit(bound)}) { ${h.use('fail_')}(${site}u, ${x}); }`];
  });
}
