// Graph simplification: the clean-up autodiff output needs before it is printed or compiled.
// `simplify` runs four small passes to a fixed point; each is a pure Graph → Graph function that
// rebuilds the graph with fresh, dense ids (inputs keep their order, so the signature is unchanged).
//
// Every rewrite here is exact with respect to the reference interpreter (runtime/interp/eval.ts),
// with one exception that `SimplifyOptions.signedZeros` turns off: by default `x + 0 → x`,
// `x - (-0) → x` and `sum(x, axes=[]) → x` are applied to f32 values although, for x = -0, the
// interpreter's result is +0 (IEEE: -0 + +0 = +0; a sum starts from +0). The values compare equal,
// but 1/x, rsqrt and pow with a negative exponent turn that sign into -∞ vs +∞. This is the choice
// XLA makes too; with `signedZeros: true` every rewrite is bit-exact. A rewrite never removes an
// error the interpreter would raise (i32 division by zero, an op on a dtype it does not support).
import { Builder, sizeOf, type Attr, type Attrs, type DType, type Graph, type Node, type TType } from '../ir/graph.ts';
import { PRIMS, type PrimName } from '../ir/prims.ts';

export interface SimplifyOptions {
  /**
   * Keep the sign of zeros exactly (default false): do not rewrite `x + 0`, `0 + x`, `x - (-0)`
   * or an f32 `sum` over no axes to x, since each turns x = -0 into +0.
   * (`x + (-0)`, `x - 0` are exact for every x and are always rewritten.)
   */
  readonly signedZeros?: boolean;
}

// ---- helpers --------------------------------------------------------------------------------

/** Builds the value of one node in the new graph from its already-rebuilt inputs. */
type Rewrite = (b: Builder, n: Node, inputs: readonly number[]) => number;

/** Copies `g` node by node (in order) through `rewrite`; `keep` drops nodes (never inputs). */
function rebuild(g: Graph, rewrite: Rewrite, keep: (n: Node) => boolean = () => true): Graph {
  const b = new Builder();
  const map = new Map<number, number>();
  const at = (id: number): number => {
    const m = map.get(id);
    if (m === undefined) throw new Error(`simplify: %${id} is used before it is defined`);
    return m;
  };
  for (const n of g.nodes) {
    if (n.op !== 'input' && !keep(n)) continue;
    map.set(n.id, n.op === 'input' ? b.copy(n, []) : rewrite(b, n, n.inputs.map(at)));
  }
  return { name: g.name, inputs: g.inputs.map(at), nodes: [...b.nodes], outputs: g.outputs.map(at) };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const sameType = (a: TType, b: TType): boolean => a.dtype === b.dtype && sameShape(a.shape, b.shape);
const nums = (a: Attrs, k: string): readonly number[] | undefined => {
  const v = a[k];
  return Array.isArray(v) ? (v as readonly number[]) : undefined;
};
const validShape = (s: readonly number[]): boolean => s.every((d) => Number.isInteger(d) && d >= 0);

/** NumPy broadcasting of `from` to exactly `to` (what the interpreter's broadcastTo accepts). */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const lead = to.length - from.length;
  return lead >= 0 && validShape(to) && from.every((d, i) => d === 1 || d === to[lead + i]);
}

/** A permutation of 0..rank-1 (the IR uses non-negative axes). */
function isPerm(p: readonly number[] | undefined, rank: number): p is readonly number[] {
  return p !== undefined && p.length === rank && new Set(p).size === rank && p.every((a) => Number.isInteger(a) && a >= 0 && a < rank);
}

/**
 * The number a typed-array store keeps for `v`: what a `const` node really holds, and what the
 * interpreter keeps of every elementwise result (it computes in float64 and rounds once on store).
 * f32: round to nearest float32; i32: ToInt32 (wraps); bool: ToUint8.
 */
export function stored(dtype: DType, v: number): number {
  switch (dtype) {
    case 'f32': return Math.fround(v);
    case 'i32': return v | 0;
    case 'bool': return (v | 0) & 255;
  }
}

/** The value held by a `const` node, as stored. */
function constValue(n: Node): number | undefined {
  return n.op === 'const' ? stored(n.type.dtype, Number(n.attrs['value'])) : undefined;
}

/** Attribute values compared exactly: NaN equals NaN, 0 and -0 differ (a const -0 is not a const 0). */
function attrKey(v: Attr): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `[${v.map(attrKey).join(',')}]`;
}

function attrsKey(a: Attrs): string {
  return Object.keys(a)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${attrKey(a[k]!)}`)
    .join(',');
}

/** Structural identity of a whole graph, ids included (used to detect the fixed point). */
function fingerprint(g: Graph): string {
  const nodes = g.nodes.map((n) => `${n.id}=${n.op}(${n.inputs.join(',')};${attrsKey(n.attrs)})`);
  return `${g.inputs.join(',')}|${nodes.join('|')}|${g.outputs.join(',')}`;
}

// ---- 1. common-subexpression elimination ------------------------------------------------------

/**
 * Ops whose value does not depend on the order of their two inputs, exactly (IEEE + and ×
 * are commutative, as are Math.max/min including NaN and signed zeros, imul, ===, &, |).
 */
const COMMUTATIVE: ReadonlySet<PrimName> = new Set<PrimName>(['add', 'mul', 'maximum', 'minimum', 'eq', 'ne', 'logical_and', 'logical_or']);

/**
 * Merges nodes with the same op, the same (renamed) inputs and equal attributes into the first
 * of them. `input` nodes are never merged. Every other primitive is a pure function of its inputs
 * and attributes (the random ones included: they take an explicit key), so all may be merged.
 */
export function cse(g: Graph): Graph {
  const seen = new Map<string, number>();
  return rebuild(g, (b, n, inputs) => {
    const args = COMMUTATIVE.has(n.op) && inputs.length === 2 ? [...inputs].sort((x, y) => x - y) : inputs;
    // Constants are compared by the value they hold (0.1 and Math.fround(0.1) are one f32 constant).
    const attrs = n.op === 'const' ? { ...n.attrs, value: stored(n.type.dtype, Number(n.attrs['value'])) } : n.attrs;
    const key = `${n.op}(${args.join(',')};${attrsKey(attrs)})`;
    const hit = seen.get(key);
    if (hit !== undefined && sameType(b.type(hit), n.type)) return hit;
    const id = b.copy(n, inputs);
    seen.set(key, id);
    return id;
  });
}

// ---- 2. constant folding ---------------------------------------------------------------------

/** Floored modulo (Python `%`), as the interpreter computes it. */
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** i32 power by squaring with wrapping multiplies, as the interpreter computes it (e >= 0). */
function ipow(base: number, e: number): number {
  let result = 1;
  for (let b = base; e > 0; e = Math.floor(e / 2), b = Math.imul(b, b)) if (e % 2 === 1) result = Math.imul(result, b);
  return result;
}

const bit = (c: boolean): number => (c ? 1 : 0);
const NUMERIC: readonly DType[] = ['f32', 'i32'];
const FLOAT: readonly DType[] = ['f32'];
const BOOL: readonly DType[] = ['bool'];
const ANY: readonly DType[] = ['f32', 'i32', 'bool'];

/** A scalar rule: the input dtypes it accepts and the raw result (undefined: do not fold). */
interface ScalarRule {
  readonly dtypes: readonly DType[];
  readonly f: (xs: readonly number[], dtype: DType) => number | undefined;
}

const un = (dtypes: readonly DType[], f: (x: number) => number): ScalarRule => ({ dtypes, f: ([x]) => f(x!) });
const bin = (dtypes: readonly DType[], f: (x: number, y: number, dtype: DType) => number | undefined): ScalarRule => ({
  dtypes,
  f: ([x, y], dtype) => f(x!, y!, dtype),
});

/**
 * Elementwise primitives folded on the single value of uniform (`const`) inputs. Each rule is the
 * interpreter's (runtime/interp/ops/elementwise.ts), computed in float64 and then `stored`, so the
 * folded value is bit-for-bit the one evaluation would produce. A rule refuses (undefined) where the
 * interpreter would throw, so the error still happens at run time.
 */
const SCALAR: Partial<Record<PrimName, ScalarRule>> = {
  neg: un(NUMERIC, (x) => -x),
  abs: un(NUMERIC, Math.abs),
  sign: un(NUMERIC, Math.sign),
  floor: un(NUMERIC, Math.floor),
  relu: un(NUMERIC, (x) => Math.max(x, 0)),
  exp: un(FLOAT, Math.exp),
  log: un(FLOAT, Math.log),
  sqrt: un(FLOAT, Math.sqrt),
  rsqrt: un(FLOAT, (x) => 1 / Math.sqrt(x)),
  logical_not: un(BOOL, (x) => 1 - x),
  stop_gradient: un(ANY, (x) => x),

  add: bin(NUMERIC, (x, y) => x + y),
  sub: bin(NUMERIC, (x, y) => x - y),
  mul: bin(NUMERIC, (x, y, t) => (t === 'i32' ? Math.imul(x, y) : x * y)),
  // i32: floor division (Python `//`); division by zero is left to throw at run time.
  div: bin(NUMERIC, (x, y, t) => (t === 'i32' ? (y === 0 ? undefined : Math.floor(x / y)) : x / y)),
  mod: bin(NUMERIC, (x, y, t) => (t === 'i32' && y === 0 ? undefined : floorMod(x, y))),
  pow: bin(NUMERIC, (x, y, t) => (t === 'i32' ? (y < 0 ? undefined : ipow(x, y)) : Math.pow(x, y))),
  maximum: bin(NUMERIC, (x, y) => Math.max(x, y)),
  minimum: bin(NUMERIC, (x, y) => Math.min(x, y)),
  eq: bin(ANY, (x, y) => bit(x === y)),
  ne: bin(ANY, (x, y) => bit(x !== y)),
  lt: bin(ANY, (x, y) => bit(x < y)),
  le: bin(ANY, (x, y) => bit(x <= y)),
  gt: bin(ANY, (x, y) => bit(x > y)),
  ge: bin(ANY, (x, y) => bit(x >= y)),
  logical_and: bin(BOOL, (x, y) => x & y),
  logical_or: bin(BOOL, (x, y) => x | y),
};

/** f32 → i32 truncates toward zero and saturates, NaN → 0; anything → bool is `x != 0`. */
function castValue(v: number, from: DType, to: DType): number {
  if (to === 'bool') return bit(v !== 0);
  if (to === 'i32' && from === 'f32') return Number.isNaN(v) ? 0 : Math.min(0x7fffffff, Math.max(-0x80000000, Math.trunc(v)));
  return v;
}

/** The (raw) uniform value of `n` given the values of its all-`const` inputs, or undefined. */
function foldValue(n: Node, xs: readonly number[], types: readonly TType[]): number | undefined {
  const t0 = types[0];
  const rule = SCALAR[n.op];
  if (rule !== undefined) {
    if (t0 === undefined || !rule.dtypes.includes(t0.dtype) || types.some((t) => t.dtype !== t0.dtype)) return undefined;
    return rule.f(xs, t0.dtype);
  }
  switch (n.op) {
    case 'where': {
      const [c, x, y] = types;
      if (c?.dtype !== 'bool' || x === undefined || x.dtype !== y?.dtype) return undefined;
      return xs[0] !== 0 ? xs[1] : xs[2];
    }
    case 'cast':
      return t0 === undefined ? undefined : castValue(xs[0]!, t0.dtype, n.type.dtype);
    // Layout ops move one uniform value around: the result is that value in the new shape.
    case 'broadcast':
      return t0 !== undefined && broadcastsTo(t0.shape, n.type.shape) ? xs[0] : undefined;
    case 'reshape':
      return t0 !== undefined && validShape(n.type.shape) && sizeOf(n.type.shape) === sizeOf(t0.shape) ? xs[0] : undefined;
    case 'transpose':
      return t0 !== undefined && isPerm(nums(n.attrs, 'perm'), t0.shape.length) ? xs[0] : undefined;
    case 'sum': {
      // The interpreter adds the `count` equal values one by one in float64 from +0. For
      // count < 2^29 every partial sum of a float32 value is exact in float64, so the sum is exactly
      // v·count (and +0 + v·count turns a -0 product into +0, as the running sum does). i32 sums are
      // exact while |v·count| <= 2^53. bool sums are not folded (the interpreter returns i32 for them).
      const axes = nums(n.attrs, 'axes');
      if (t0 === undefined || axes === undefined || axes.some((a) => !Number.isInteger(a) || a < 0 || a >= t0.shape.length)) return undefined;
      const count = sizeOf(axes.map((a) => t0.shape[a]!));
      const v = xs[0]!;
      if (count === 0) return 0;
      if (t0.dtype === 'f32' && count < 2 ** 29) return 0 + v * count;
      if (t0.dtype === 'i32' && Math.abs(v * count) <= 2 ** 53) return v * count;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Replaces a node whose inputs are all `const` nodes by a `const` node, when its value is again
 * uniform: elementwise arithmetic, comparisons, logic, `where`, `cast`, layout ops (broadcast,
 * reshape, transpose of a const is a const of the new shape) and sums. A `const` is one number
 * whatever its shape, so no size limit is needed: the folded node is never bigger than the one
 * it replaces, and no values are materialized at compile time.
 */
export function foldConstants(g: Graph): Graph {
  return rebuild(g, (b, n, inputs) => {
    if (n.op === 'const' || inputs.length === 0) return b.copy(n, inputs);
    const args = inputs.map((i) => b.node(i));
    const xs = args.map(constValue);
    if (xs.some((x) => x === undefined)) return b.copy(n, inputs);
    const v = foldValue(n, xs as number[], args.map((a) => a.type));
    return v === undefined ? b.copy(n, inputs) : b.constant(stored(n.type.dtype, v), n.type);
  });
}

// ---- 3. algebraic identities -------------------------------------------------------------------

/**
 * The single value of a uniform node: a `const`, or a broadcast or reshape of one (a valid one,
 * so that the rewrite does not hide a run-time shape error).
 */
function uniformValue(b: Builder, id: number): number | undefined {
  const n = b.node(id);
  if (n.op === 'const') return constValue(n);
  const x = n.inputs[0];
  if (x === undefined || n.inputs.length !== 1) return undefined;
  const from = b.type(x).shape;
  if (n.op === 'broadcast' && broadcastsTo(from, n.type.shape)) return uniformValue(b, x);
  if (n.op === 'reshape' && validShape(n.type.shape) && sizeOf(from) === sizeOf(n.type.shape)) return uniformValue(b, x);
  return undefined;
}

/**
 * Rewrites one node given the rebuilt graph so far; returns its replacement, or undefined to keep it.
 * The replacement always has exactly the node's type; where it would not, the node is kept.
 */
function identity(b: Builder, n: Node, inputs: readonly number[], signedZeros: boolean): number | undefined {
  const [x, y] = inputs;
  if (x === undefined) return undefined;
  const tx = b.type(x);
  // Arithmetic identities only for the dtypes the interpreter accepts (on bool it throws).
  const numeric = NUMERIC.includes(n.type.dtype) && inputs.every((i) => b.type(i).dtype === n.type.dtype);
  const is = (id: number | undefined, v: number): boolean => id !== undefined && uniformValue(b, id) === v;
  // A zero that may be removed: the exact one (`exact`: -0 for +, +0 for -) always; the other one
  // unless signed zeros are kept, or for i32 where there is only one zero.
  const zero = (id: number | undefined, exact: number): boolean =>
    id !== undefined && is(id, 0) && (!signedZeros || n.type.dtype !== 'f32' || Object.is(uniformValue(b, id), exact));
  const ok = (id: number | undefined): number | undefined => (id !== undefined && sameType(b.type(id), n.type) ? id : undefined);
  // A replacement node, added only if its type is exactly the node's (so a refused rewrite adds nothing).
  const make = (op: PrimName, args: readonly number[], attrs: Attrs): number | undefined =>
    sameType(PRIMS[op].type(args.map((i) => b.type(i)), attrs), n.type) ? b.add(op, args, attrs) : undefined;
  switch (n.op) {
    // x·0 is NOT rewritten to 0: NaN·0 and ∞·0 are NaN (and -x·0 is -0).
    case 'mul':
      if (!numeric) return undefined;
      return (is(y, 1) ? ok(x) : undefined) ?? (is(x, 1) ? ok(y) : undefined);
    // x + (-0) = x and x - (+0) = x for every x, -0 included; x + (+0) and x - (-0) turn -0 into +0.
    case 'add':
      if (!numeric) return undefined;
      return (zero(y, -0) ? ok(x) : undefined) ?? (zero(x, -0) ? ok(y) : undefined);
    case 'sub':
      return numeric && zero(y, 0) ? ok(x) : undefined;
    case 'div':
      return numeric && is(y, 1) ? ok(x) : undefined;
    // x ** 1 = x, and x ** 2 = x·x (what the gradient of a square becomes).
    case 'pow':
      if (!numeric || n.type.dtype !== 'f32') return undefined;
      return (is(y, 1) ? ok(x) : undefined) ?? (is(y, 2) ? make('mul', [x, x], {}) : undefined);
    // A condition known everywhere picks its branch.
    case 'where': {
      const c = uniformValue(b, x);
      if (c === undefined || y === undefined || inputs[2] === undefined) return undefined;
      return ok(c !== 0 ? y : inputs[2]);
    }
    case 'neg': {
      const inner = b.node(x);
      return numeric && inner.op === 'neg' ? ok(inner.inputs[0]) : undefined;
    }
    case 'transpose': {
      // Output axis d of transpose(v, p) is axis p[d] of v; so transpose(transpose(v, p), q) = transpose(v, p∘q).
      const q = nums(n.attrs, 'perm');
      if (!isPerm(q, tx.shape.length)) return undefined;
      const inner = b.node(x);
      const p = inner.op === 'transpose' ? nums(inner.attrs, 'perm') : undefined;
      const [v, perm] = isPerm(p, q.length) ? [inner.inputs[0]!, q.map((a) => p[a]!)] : [x, q];
      if (perm.every((a, i) => a === i)) return ok(v);
      return v === x ? undefined : make('transpose', [v], { ...n.attrs, perm });
    }
    case 'reshape': {
      const shape = n.type.shape;
      if (!validShape(shape) || sizeOf(shape) !== sizeOf(tx.shape)) return undefined;
      const inner = b.node(x);
      const v = inner.op === 'reshape' && validShape(inner.type.shape) ? inner.inputs[0]! : x;
      if (sizeOf(b.type(v).shape) !== sizeOf(shape)) return undefined;
      if (sameShape(b.type(v).shape, shape)) return ok(v);
      return v === x ? undefined : make('reshape', [v], n.attrs);
    }
    case 'broadcast': {
      const shape = n.type.shape;
      if (!broadcastsTo(tx.shape, shape)) return undefined;
      if (sameShape(tx.shape, shape)) return ok(x);
      // broadcast(broadcast(v, s1), s2) = broadcast(v, s2) when both steps are valid.
      const inner = b.node(x);
      const v = inner.inputs[0];
      if (inner.op !== 'broadcast' || v === undefined || !broadcastsTo(b.type(v).shape, tx.shape)) return undefined;
      return make('broadcast', [v], n.attrs);
    }
    case 'sum': {
      // Not for bool: the interpreter sums bools into an i32. An f32 sum starts from +0, so -0 → +0.
      const axes = nums(n.attrs, 'axes');
      if (axes === undefined || axes.length !== 0 || tx.dtype === 'bool' || (signedZeros && tx.dtype === 'f32')) return undefined;
      return ok(x);
    }
    default:
      return undefined;
  }
}

/**
 * The identities autodiff output needs: x·1, 1·x, x+0, 0+x, x-0, x/1 → x (where "1" and "0" are
 * const nodes, possibly broadcast or reshaped); neg(neg(x)) → x; transpose(transpose(x)) → one
 * transpose with the composed permutation, or x; an identity transpose → x; reshape(reshape(x)) →
 * reshape(x); broadcast(broadcast(x)) → broadcast(x); a reshape or broadcast to x's own shape → x;
 * a sum over no axes → x. Multiplication by 0 is NOT folded: NaN·0 must stay NaN.
 * See `SimplifyOptions.signedZeros` for the rewrites that lose the sign of a zero.
 */
export function algebra(g: Graph, options: SimplifyOptions = {}): Graph {
  const signedZeros = options.signedZeros === true;
  return rebuild(g, (b, n, inputs) => identity(b, n, inputs, signedZeros) ?? b.copy(n, inputs));
}

// ---- 4. dead-code elimination ------------------------------------------------------------------

/** Removes the nodes no output depends on; every `input` node stays, so the signature is unchanged. */
export function dce(g: Graph): Graph {
  const live = new Set<number>(g.outputs);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (live.has(n.id)) for (const i of n.inputs) live.add(i);
  }
  return rebuild(g, (b, n, inputs) => b.copy(n, inputs), (n) => live.has(n.id));
}

// ---- the pipeline ------------------------------------------------------------------------------

/** The passes of one round, in order. */
export function passes(options: SimplifyOptions = {}): readonly ((g: Graph) => Graph)[] {
  return [cse, foldConstants, (g) => algebra(g, options), dce];
}

/**
 * Runs cse, constant folding, algebraic identities and dead-code elimination until the graph stops
 * changing (at most `maxRounds` rounds). The result computes the same outputs (same count and types)
 * from the same inputs, and never has more nodes than `g`: no pass adds a node.
 */
export function simplify(g: Graph, options: SimplifyOptions = {}, maxRounds = 100): Graph {
  const round = passes(options);
  let cur = g;
  let key = fingerprint(g);
  for (let r = 0; r < maxRounds; r++) {
    const next = round.reduce((h, pass) => pass(h), cur);
    const nextKey = fingerprint(next);
    cur = next;
    if (nextKey === key) break;
    key = nextKey;
  }
  const types = (h: Graph): TType[] => h.outputs.map((o) => h.nodes.find((n) => n.id === o)!.type);
  const before = types(g);
  const after = types(cur);
  if (after.length !== before.length || after.some((t, i) => !sameType(t, before[i]!))) {
    throw new Error(`simplify: output types changed in graph ${g.name}`);
  }
  return cur;
}
