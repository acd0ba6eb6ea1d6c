// Public testing helpers (`import { … } from 'muc/testing'`): fast-check arbitraries for tensors,
// tolerance-based comparison, and property tests that check a kernel on every available backend
// against a TypeScript reference (or against the interpreter).
import fc from 'fast-check';
import { compile, type MuProgram, type Value } from './runtime/program.ts';
import { BACKENDS } from './runtime/backend.ts';
import { webgpuAvailable } from './runtime/webgpu/device.ts';
import { tensor, type DType, type Shape, type Tensor } from './runtime/interp/ops/tensor.ts';

export type { DType, Shape, Tensor, Value };

// ─── Arbitraries ────────────────────────────────────────────────────────────────────────────────

export interface ShapeOptions {
  /** Inclusive range of the rank (number of axes); default [0, 3]. */
  readonly rank?: readonly [number, number];
  /** Inclusive range of each dimension; default [1, 4]. */
  readonly dim?: readonly [number, number];
}

/** Shapes (arrays of dimensions) with rank and dimensions in the given inclusive ranges. */
export function shapes(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const [minRank, maxRank] = opts.rank ?? [0, 3];
  const [minDim, maxDim] = opts.dim ?? [1, 4];
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

export interface TensorOptions {
  /** Element type; default 'f32'. */
  readonly dtype?: DType;
  /** Inclusive value range for f32 and i32 elements; default [-100, 100]. */
  readonly min?: number;
  readonly max?: number;
  /** f32 only: also draw NaN (default false). Infinities are never drawn. */
  readonly nan?: boolean;
}

/** Elements of one dtype: f32 values are float32 values (exactly representable), bools are 0 or 1. */
export function elements(opts: TensorOptions = {}): fc.Arbitrary<number> {
  const dtype = opts.dtype ?? 'f32';
  const min = opts.min ?? -100;
  const max = opts.max ?? 100;
  switch (dtype) {
    case 'f32':
      return fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: !opts.nan, noDefaultInfinity: true });
    case 'i32':
      return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    case 'bool':
      return fc.boolean().map((b) => (b ? 1 : 0));
  }
}

/** Tensors of a fixed shape, or of the shapes an arbitrary draws (e.g. `tensors(shapes({ rank: [1, 2] }))`). */
export function tensors(shape: Shape | fc.Arbitrary<Shape>, opts: TensorOptions = {}): fc.Arbitrary<Tensor> {
  if (shape instanceof fc.Arbitrary) return shape.chain((s) => tensors(s, opts));
  const dtype = opts.dtype ?? 'f32';
  const n = shape.reduce((a, d) => a * d, 1);
  return fc.array(elements(opts), { minLength: n, maxLength: n }).map((values) => tensor(dtype, shape, values));
}

/** Tuples of `count` tensors sharing one shape (for elementwise kernels such as `fn add[n](x: f32[n], y: f32[n])`). */
export function sameShapeTensors(count: number, shape: Shape | fc.Arbitrary<Shape>, opts: TensorOptions = {}): fc.Arbitrary<Tensor[]> {
  if (shape instanceof fc.Arbitrary) return shape.chain((s) => sameShapeTensors(count, s, opts));
  return fc.tuple(...Array.from({ length: count }, () => tensors(shape, opts)));
}

// ─── Comparison ─────────────────────────────────────────────────────────────────────────────────

export interface Tolerance {
  /** Relative tolerance; default 1e-5. */
  readonly rtol?: number;
  /** Absolute tolerance; default 1e-6. */
  readonly atol?: number;
  /** Whether NaN equals NaN; default false. */
  readonly equalNan?: boolean;
}

export interface CloseResult {
  readonly ok: boolean;
  /** Empty when ok; otherwise what differs first. */
  readonly message: string;
}

/** What `allclose` compares: tensors, numbers, booleans, number arrays, and tuples or records of them. */
export type Comparable = Value;

const showShape = (s: Shape): string => `[${s.join(', ')}]`;

function isTensor(v: Value): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'data' in v && ArrayBuffer.isView((v as Tensor).data);
}

/** A leaf as a tensor-like (shape, data), or null when it is a tuple, record or string. */
function leaf(v: Value): { shape: Shape; data: ArrayLike<number> } | null {
  if (typeof v === 'number') return { shape: [], data: [v] };
  if (typeof v === 'boolean') return { shape: [], data: [v ? 1 : 0] };
  if (v === undefined || typeof v === 'string') return null;
  if (isTensor(v)) return { shape: v.shape, data: v.data };
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return { shape: [v.length], data: v as readonly number[] };
  return null;
}

function unflatten(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

function close(a: number, e: number, rtol: number, atol: number, equalNan: boolean): boolean {
  if (Number.isNaN(a) || Number.isNaN(e)) return equalNan && Number.isNaN(a) && Number.isNaN(e);
  if (a === e) return true; // equal infinities too
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

function compare(actual: Value, expected: Value, tol: Required<Tolerance>, path: string): string {
  const where = path === '' ? '' : `${path}: `;
  const a = leaf(actual);
  const e = leaf(expected);
  if (a && e) {
    const sa = showShape(a.shape);
    const se = showShape(e.shape);
    if (sa !== se) return `${where}shapes differ: actual ${sa}, expected ${se}`;
    let first = -1;
    let count = 0;
    for (let i = 0; i < e.data.length; i++) {
      if (!close(a.data[i]!, e.data[i]!, tol.rtol, tol.atol, tol.equalNan)) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (first < 0) return '';
    const av = a.data[first]!;
    const ev = e.data[first]!;
    const limit = tol.atol + tol.rtol * Math.abs(ev);
    return (
      `${where}${count} of ${e.data.length} element(s) differ; first at index ${showShape(unflatten(first, e.shape))}: ` +
      `actual ${av}, expected ${ev} (|diff| ${Math.abs(av - ev)} > ${limit} = atol ${tol.atol} + rtol ${tol.rtol} · |expected|)`
    );
  }
  if (typeof actual === 'string' || typeof expected === 'string' || actual === undefined || expected === undefined) {
    return actual === expected ? '' : `${where}actual ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${where}tuple lengths differ: actual ${actual.length}, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const m = compare(actual[i] as Value, expected[i] as Value, tol, `${path}[${i}]`);
      if (m) return m;
    }
    return '';
  }
  if (a || e || Array.isArray(actual) || Array.isArray(expected)) return `${where}kinds differ: actual ${describe(actual)}, expected ${describe(expected)}`;
  const ak = Object.keys(actual).sort();
  const ek = Object.keys(expected).sort();
  if (ak.join() !== ek.join()) return `${where}fields differ: actual {${ak.join(', ')}}, expected {${ek.join(', ')}}`;
  for (const k of ek) {
    const m = compare((actual as Record<string, Value>)[k], (expected as Record<string, Value>)[k], tol, `${path}.${k}`);
    if (m) return m;
  }
  return '';
}

function describe(v: Value): string {
  if (Array.isArray(v)) return `a tuple of ${v.length}`;
  const l = leaf(v);
  if (l) return `a tensor of shape ${showShape(l.shape)}`;
  return typeof v === 'object' ? 'a record' : typeof v;
}

/**
 * Whether `actual` is elementwise within `atol + rtol · |expected|` of `expected` (numpy's rule),
 * with equal shapes. Numbers count as shape-[] tensors, number arrays as vectors; tuples and records
 * are compared item by item. The message names the first differing index (or path) and both values.
 */
export function allclose(actual: Comparable, expected: Comparable, opts: Tolerance = {}): CloseResult {
  const message = compare(actual, expected, { rtol: opts.rtol ?? 1e-5, atol: opts.atol ?? 1e-6, equalNan: opts.equalNan ?? false }, '');
  return { ok: message === '', message };
}

/** Throws an Error with `allclose`'s message unless `actual` is close to `expected`. */
export function expectAllclose(actual: Comparable, expected: Comparable, opts: Tolerance = {}): void {
  const r = allclose(actual, expected, opts);
  if (!r.ok) throw new Error(r.message);
}

// ─── Backends and property tests ────────────────────────────────────────────────────────────────

/** The backends that can run here: 'interp', 'cpu', and 'webgpu' when a WebGPU adapter exists. */
export async function availableBackends(): Promise<string[]> {
  const names = Object.keys(BACKENDS).filter((b) => b !== 'webgpu');
  if ('webgpu' in BACKENDS && (await webgpuAvailable())) names.push('webgpu');
  return names;
}

export interface PropertyTestOptions<Args extends readonly Value[] = Value[]> {
  /** The expected result for the generated arguments; without it, the interpreter's result. */
  readonly reference?: (...args: Args) => Value | Promise<Value>;
  /** The backends to check; default `availableBackends()`. */
  readonly backends?: readonly string[];
  readonly tolerance?: Tolerance;
  /** fast-check's number of runs; default 50. */
  readonly numRuns?: number;
  /** fast-check's seed, to replay a failure. */
  readonly seed?: number;
  /** Name diagnostics use for the source. */
  readonly file?: string;
}

/**
 * Checks the function `entry` of a `.mu` source on every backend: for each argument list that the
 * arbitraries draw (one arbitrary per argument, or one arbitrary of the whole list), each backend's
 * result must be allclose to the reference's. Compiles once per backend; rejects with fast-check's
 * counterexample report, whose message names the backend and the first differing element.
 */
export async function propertyTest<Args extends readonly Value[]>(
  source: string,
  entry: string,
  arbitraries: { readonly [K in keyof Args]: fc.Arbitrary<Args[K]> } | fc.Arbitrary<Args>,
  opts: PropertyTestOptions<Args> = {},
): Promise<void> {
  const backends = opts.backends ?? (await availableBackends());
  const file = opts.file ?? `<${entry}>`;
  const programs = new Map<string, MuProgram>(backends.map((b) => [b, compile(source, { file, backend: b })]));
  const oracle = opts.reference ? null : (programs.get('interp') ?? compile(source, { file, backend: 'interp' }));
  const args = (Array.isArray(arbitraries) ? fc.tuple(...(arbitraries as readonly fc.Arbitrary<Value>[])) : arbitraries) as fc.Arbitrary<Args>;
  const property = fc.asyncProperty(args, async (values) => {
    const expected = opts.reference ? await opts.reference(...values) : await oracle!.call(entry, ...values);
    for (const [name, program] of programs) {
      const actual = await program.call(entry, ...values);
      const r = allclose(actual, expected, opts.tolerance);
      if (!r.ok) throw new Error(`backend '${name}' differs from the ${opts.reference ? 'reference' : 'interpreter'}: ${r.message}`);
    }
  });
  await fc.assert(property, { numRuns: opts.numRuns ?? 50, includeErrorInReport: true, ...(opts.seed === undefined ? {} : { seed: opts.seed }) });
}
