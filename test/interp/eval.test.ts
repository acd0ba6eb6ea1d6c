// The reference interpreter (runtime/interp/eval.ts) primitive by primitive: every name of the
// primitive table PRIMS has at least one case here, run through evaluate() on a small hand-built
// graph. Expected numbers are written out literally, worked out by hand (or, for transcendental
// functions, with a desk calculator from the textbook formula), never by calling the implementation.
// A primitive added to the table without a case here fails the 'every primitive has a case' test.
import { describe, expect, it } from 'vitest';
import { Builder, type DType, type TType } from '../../compiler/ir/graph.ts';
import { PRIMS, type PrimName } from '../../compiler/ir/prims.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { expectAllclose } from '../../testing.ts';

// ---- helpers ----

/** A value fed to an `input` node. */
interface In {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}
const f = (shape: readonly number[], values: readonly number[]): In => ({ dtype: 'f32', shape, values });
const i = (shape: readonly number[], values: readonly number[]): In => ({ dtype: 'i32', shape, values });
const bo = (shape: readonly number[], values: readonly number[]): In => ({ dtype: 'bool', shape, values });

/**
 * Builds a graph whose inputs are `ins` (in order), with the outputs `build` returns, and
 * evaluates it. Returns the output tensors.
 */
function run(ins: readonly In[], build: (b: Builder, xs: readonly number[]) => number | readonly number[]): Tensor[] {
  const b = new Builder();
  const xs = ins.map((x, k) => b.input({ dtype: x.dtype, shape: x.shape }, k, `x${k}`));
  const out = build(b, xs);
  const g = b.graph('t', typeof out === 'number' ? [out] : out);
  return evaluate(g, ins.map((x) => tensor(x.dtype, x.shape, x.values)));
}

/** Evaluates one primitive applied to the inputs. */
function prim(op: PrimName, ins: readonly In[], attrs: Record<string, number | boolean | string | readonly number[]> = {}): Tensor {
  return run(ins, (b, xs) => b.add(op, xs, attrs))[0]!;
}

const vals = (t: Tensor): number[] => Array.from(t.data);

/** Exact dtype, shape and values (values compared with Object.is, so -0 ≠ 0). */
function exact(t: Tensor, dtype: DType, shape: readonly number[], values: readonly number[]): void {
  expect(t.dtype).toBe(dtype);
  expect(t.shape).toEqual(shape);
  expect(vals(t)).toEqual(values);
}

/**
 * f32 results of transcendental functions: within 2 float32 ulps-ish of the true value, as
 * allclose's atol + rtol·|want| with atol = rtol = tol/2 (never looser than tol·max(1, |want|)).
 */
function near(t: Tensor, shape: readonly number[], values: readonly number[], tol = 1e-6): void {
  expect(t.dtype).toBe('f32');
  expectAllclose(t, { dtype: 'f32', shape, data: Float64Array.from(values) }, { rtol: tol / 2, atol: tol / 2 });
}

const seedKey = (b: Builder, seed: number): number => b.add('rand_key', [b.scalar(seed, 'i32')]);

/** The cases of one primitive: a label and a check. */
type Cases = readonly (readonly [string, () => void])[];

// ---- the cases, one entry per primitive ----

const CASES: Partial<Record<PrimName, Cases>> = {
  input: [
    ['binds inputs by position, any dtype', () => {
      const [a, c, d] = run([f([2], [1.5, -2]), i([3], [7, 8, 9]), bo([], [1])], (_b, xs) => [xs[1]!, xs[0]!, xs[2]!]);
      exact(a!, 'i32', [3], [7, 8, 9]);
      exact(c!, 'f32', [2], [1.5, -2]);
      exact(d!, 'bool', [], [1]);
    }],
  ],
  const: [
    ['fills a shape with one value, per dtype', () => {
      const [a, c, d] = run([], (b) => [
        b.constant(2.5, { dtype: 'f32', shape: [2, 2] }),
        b.constant(-7, { dtype: 'i32', shape: [3] }),
        b.constant(1, { dtype: 'bool', shape: [] }),
      ]);
      exact(a!, 'f32', [2, 2], [2.5, 2.5, 2.5, 2.5]);
      exact(c!, 'i32', [3], [-7, -7, -7]);
      exact(d!, 'bool', [], [1]);
    }],
    ['rounds an f32 constant to float32', () => {
      exact(run([], (b) => b.scalar(0.1))[0]!, 'f32', [], [Math.fround(0.1)]);
    }],
  ],
  iota: [
    ['counts along axis 0 and axis 1 of a matrix', () => {
      exact(prim('iota', [], { dtype: 'i32', shape: [2, 3], axis: 0 }), 'i32', [2, 3], [0, 0, 0, 1, 1, 1]);
      exact(prim('iota', [], { dtype: 'i32', shape: [2, 3], axis: 1 }), 'i32', [2, 3], [0, 1, 2, 0, 1, 2]);
    }],
    ['counts along each axis of a rank-3 tensor', () => {
      exact(prim('iota', [], { dtype: 'i32', shape: [2, 2, 2], axis: 0 }), 'i32', [2, 2, 2], [0, 0, 0, 0, 1, 1, 1, 1]);
      exact(prim('iota', [], { dtype: 'i32', shape: [2, 2, 2], axis: 1 }), 'i32', [2, 2, 2], [0, 0, 1, 1, 0, 0, 1, 1]);
      exact(prim('iota', [], { dtype: 'i32', shape: [2, 2, 2], axis: 2 }), 'i32', [2, 2, 2], [0, 1, 0, 1, 0, 1, 0, 1]);
    }],
    ['f32 iota of a vector', () => {
      exact(prim('iota', [], { dtype: 'f32', shape: [4], axis: 0 }), 'f32', [4], [0, 1, 2, 3]);
    }],
  ],

  // ---- unary ----
  neg: [
    ['f32 and i32', () => {
      exact(prim('neg', [f([3], [2, -0.5, 3])]), 'f32', [3], [-2, 0.5, -3]);
      exact(prim('neg', [i([2], [3, -1])]), 'i32', [2], [-3, 1]);
    }],
  ],
  exp: [['e^x', () => near(prim('exp', [f([3], [0, 1, -1])]), [3], [1, 2.718281828459045, 0.36787944117144233])]],
  log: [['natural log', () => near(prim('log', [f([3], [1, 0.5, 4])]), [3], [0, -0.6931471805599453, 1.3862943611198906])]],
  sqrt: [['square roots of perfect squares', () => exact(prim('sqrt', [f([3], [4, 2.25, 0])]), 'f32', [3], [2, 1.5, 0])]],
  rsqrt: [['1/sqrt', () => exact(prim('rsqrt', [f([3], [4, 0.25, 16])]), 'f32', [3], [0.5, 2, 0.25])]],
  tanh: [['hyperbolic tangent', () => near(prim('tanh', [f([3], [0, 1, -2])]), [3], [0, 0.7615941559557649, -0.9640275800758169])]],
  sigmoid: [['logistic', () => near(prim('sigmoid', [f([3], [0, 2, -1])]), [3], [0.5, 0.8807970779778823, 0.2689414213699951])]],
  relu: [
    ['max(x, 0) on f32 and i32', () => {
      exact(prim('relu', [f([3], [-1.5, 0, 2])]), 'f32', [3], [0, 0, 2]);
      exact(prim('relu', [i([2], [-3, 5])]), 'i32', [2], [0, 5]);
    }],
  ],
  silu: [['x·sigmoid(x)', () => near(prim('silu', [f([3], [0, 1, -1])]), [3], [0, 0.7310585786300049, -0.2689414213699951])]],
  gelu: [
    ['tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))', () =>
      near(prim('gelu', [f([4], [-1, 0, 1, 2])]), [4], [-0.15880800939172324, 0, 0.8411919906082768, 1.954597694087775])],
  ],
  sin: [['sine', () => near(prim('sin', [f([3], [0, Math.PI / 2, -Math.PI / 6])]), [3], [0, 1, -0.5])]],
  cos: [['cosine', () => near(prim('cos', [f([3], [0, Math.PI, Math.PI / 3])]), [3], [1, -1, 0.5])]],
  abs: [
    ['|x| on f32 and i32', () => {
      exact(prim('abs', [f([3], [-2.5, 0, 3])]), 'f32', [3], [2.5, 0, 3]);
      exact(prim('abs', [i([2], [-4, 4])]), 'i32', [2], [4, 4]);
    }],
  ],
  sign: [
    ['-1, 0, 1', () => {
      exact(prim('sign', [f([3], [-2.5, 0, 3])]), 'f32', [3], [-1, 0, 1]);
      exact(prim('sign', [i([3], [-7, 0, 9])]), 'i32', [3], [-1, 0, 1]);
    }],
  ],
  floor: [['rounds toward -∞', () => exact(prim('floor', [f([4], [-1.5, 0.5, 2, -2])]), 'f32', [4], [-2, 0, 2, -2])]],
  logical_not: [['flips bools', () => exact(prim('logical_not', [bo([2], [1, 0])]), 'bool', [2], [0, 1])]],
  stop_gradient: [['is the identity on values', () => exact(prim('stop_gradient', [f([2], [1.25, -3])]), 'f32', [2], [1.25, -3])]],

  // ---- binary ----
  add: [['elementwise', () => exact(prim('add', [f([4], [1, -2, 3, 0.5]), f([4], [2, 2, -4, 0.25])]), 'f32', [4], [3, 0, -1, 0.75])]],
  sub: [
    ['f32 and i32', () => {
      exact(prim('sub', [f([4], [1, -2, 3, 0.5]), f([4], [2, 2, -4, 0.25])]), 'f32', [4], [-1, -4, 7, 0.25]);
      exact(prim('sub', [i([2], [5, -5]), i([2], [7, -7])]), 'i32', [2], [-2, 2]);
    }],
  ],
  mul: [
    ['f32 and i32', () => {
      exact(prim('mul', [f([4], [1, -2, 3, 0.5]), f([4], [2, 2, -4, 0.25])]), 'f32', [4], [2, -4, -12, 0.125]);
      exact(prim('mul', [i([2], [6, -3]), i([2], [7, 4])]), 'i32', [2], [42, -12]);
    }],
  ],
  div: [
    ['true division on f32', () => exact(prim('div', [f([4], [1, -2, 3, 0.5]), f([4], [2, 2, -4, 0.25])]), 'f32', [4], [0.5, -1, -0.75, 2])],
    ['floor division on i32', () => exact(prim('div', [i([4], [7, -7, 6, -6]), i([4], [2, 2, -4, -4])]), 'i32', [4], [3, -4, -2, 1])],
  ],
  mod: [
    ['result takes the sign of the divisor', () => {
      exact(prim('mod', [f([3], [7, -7, 5.5]), f([3], [3, 3, -2])]), 'f32', [3], [1, 2, -0.5]);
      exact(prim('mod', [i([3], [7, -7, 7]), i([3], [3, 3, -3])]), 'i32', [3], [1, 2, -2]);
    }],
  ],
  pow: [
    ['f32 powers, including roots and negative exponents', () =>
      exact(prim('pow', [f([4], [2, 4, 9, 2]), f([4], [3, 0.5, 0.5, -1])]), 'f32', [4], [8, 2, 3, 0.5])],
    ['i32 powers', () => exact(prim('pow', [i([3], [2, 3, -2]), i([3], [10, 0, 3])]), 'i32', [3], [1024, 1, -8])],
  ],
  maximum: [['elementwise larger', () => exact(prim('maximum', [f([3], [1, -2, 3]), f([3], [2, -3, 3])]), 'f32', [3], [2, -2, 3])]],
  minimum: [['elementwise smaller', () => exact(prim('minimum', [f([3], [1, -2, 3]), f([3], [2, -3, 3])]), 'f32', [3], [1, -3, 3])]],
  eq: [['a == b', () => exact(prim('eq', [f([3], [1, 2, 3]), f([3], [2, 2, 2])]), 'bool', [3], [0, 1, 0])]],
  ne: [['a != b', () => exact(prim('ne', [i([3], [1, 2, 3]), i([3], [2, 2, 2])]), 'bool', [3], [1, 0, 1])]],
  lt: [['a < b', () => exact(prim('lt', [f([3], [1, 2, 3]), f([3], [2, 2, 2])]), 'bool', [3], [1, 0, 0])]],
  le: [['a <= b', () => exact(prim('le', [f([3], [1, 2, 3]), f([3], [2, 2, 2])]), 'bool', [3], [1, 1, 0])]],
  gt: [['a > b', () => exact(prim('gt', [i([3], [1, 2, 3]), i([3], [2, 2, 2])]), 'bool', [3], [0, 0, 1])]],
  ge: [['a >= b', () => exact(prim('ge', [f([3], [1, 2, 3]), f([3], [2, 2, 2])]), 'bool', [3], [0, 1, 1])]],
  logical_and: [['truth table', () => exact(prim('logical_and', [bo([4], [1, 1, 0, 0]), bo([4], [1, 0, 1, 0])]), 'bool', [4], [1, 0, 0, 0])]],
  logical_or: [['truth table', () => exact(prim('logical_or', [bo([4], [1, 1, 0, 0]), bo([4], [1, 0, 1, 0])]), 'bool', [4], [1, 1, 1, 0])]],

  where: [
    ['picks per element', () => {
      exact(prim('where', [bo([3], [1, 0, 1]), f([3], [1, 2, 3]), f([3], [10, 20, 30])]), 'f32', [3], [1, 20, 3]);
      exact(prim('where', [bo([2], [0, 1]), i([2], [1, 2]), i([2], [-1, -2])]), 'i32', [2], [-1, 2]);
    }],
  ],
  cast: [
    ['f32 → i32 truncates toward zero', () => exact(prim('cast', [f([4], [-1.7, 2.9, 0, -0.5])], { dtype: 'i32' }), 'i32', [4], [-1, 2, 0, 0])],
    ['i32 → bool is x != 0, bool → f32 is 0/1, i32 → f32', () => {
      exact(prim('cast', [i([3], [3, 0, -2])], { dtype: 'bool' }), 'bool', [3], [1, 0, 1]);
      exact(prim('cast', [bo([2], [1, 0])], { dtype: 'f32' }), 'f32', [2], [1, 0]);
      exact(prim('cast', [i([2], [-3, 16])], { dtype: 'f32' }), 'f32', [2], [-3, 16]);
    }],
  ],

  // ---- reductions; x = [[1, 5, 3], [4, 2, 6]] ----
  sum: [
    ['over each axis, both, and none', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, 6]);
      exact(prim('sum', [x], { axes: [0] }), 'f32', [3], [5, 7, 9]);
      exact(prim('sum', [x], { axes: [1] }), 'f32', [2], [9, 12]);
      exact(prim('sum', [x], { axes: [0, 1] }), 'f32', [], [21]);
      exact(prim('sum', [x], { axes: [] }), 'f32', [2, 3], [1, 5, 3, 4, 2, 6]);
    }],
    ['middle axis of a rank-3 i32 tensor', () =>
      exact(prim('sum', [i([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])], { axes: [1] }), 'i32', [2, 2], [4, 6, 12, 14])],
  ],
  max: [
    ['over each axis and all', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, 6]);
      exact(prim('max', [x], { axes: [0] }), 'f32', [3], [4, 5, 6]);
      exact(prim('max', [x], { axes: [1] }), 'f32', [2], [5, 6]);
      exact(prim('max', [x], { axes: [0, 1] }), 'f32', [], [6]);
    }],
  ],
  min: [
    ['over each axis and all', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, -6]);
      exact(prim('min', [x], { axes: [0] }), 'f32', [3], [1, 2, -6]);
      exact(prim('min', [x], { axes: [1] }), 'f32', [2], [1, -6]);
      exact(prim('min', [i([2, 3], [1, 5, 3, 4, 2, 6])], { axes: [0, 1] }), 'i32', [], [1]);
    }],
  ],
  argmax: [
    ['along each axis, the first on ties', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, 6]);
      exact(prim('argmax', [x], { axis: 1 }), 'i32', [2], [1, 2]);
      exact(prim('argmax', [x], { axis: 0 }), 'i32', [3], [1, 0, 1]);
      exact(prim('argmax', [f([4], [3, 1, 3, 2])], { axis: 0 }), 'i32', [], [0]);
    }],
  ],
  cumsum: [
    ['forward along each axis', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, 6]);
      exact(prim('cumsum', [x], { axis: 1, reverse: false }), 'f32', [2, 3], [1, 6, 9, 4, 6, 12]);
      exact(prim('cumsum', [x], { axis: 0, reverse: false }), 'f32', [2, 3], [1, 5, 3, 5, 7, 9]);
    }],
    ['reverse (suffix sums) along each axis', () => {
      const x = f([2, 3], [1, 5, 3, 4, 2, 6]);
      exact(prim('cumsum', [x], { axis: 1, reverse: true }), 'f32', [2, 3], [9, 8, 3, 12, 8, 6]);
      exact(prim('cumsum', [x], { axis: 0, reverse: true }), 'f32', [2, 3], [5, 7, 9, 4, 2, 6]);
    }],
    ['i32', () => exact(prim('cumsum', [i([4], [1, -2, 3, 4])], { axis: 0, reverse: false }), 'i32', [4], [1, -1, 2, 6])],
  ],
  matmul: [
    ['a 2×3 by 3×2 product', () =>
      exact(prim('matmul', [f([2, 3], [1, 2, 3, 4, 5, 6]), f([3, 2], [1, 0, 0, 1, 1, 1])]), 'f32', [2, 2], [4, 5, 10, 11])],
    ['batched: one product per leading index', () => {
      // batch 0: [[1, 2], [3, 4]] @ [[1, 0, 2], [0, 1, 3]] = [[1, 2, 8], [3, 4, 18]]
      // batch 1: [[0, 1], [1, 0]] @ [[1, 2, 3], [4, 5, 6]] = [[4, 5, 6], [1, 2, 3]]
      const a = f([2, 2, 2], [1, 2, 3, 4, 0, 1, 1, 0]);
      const c = f([2, 2, 3], [1, 0, 2, 0, 1, 3, 1, 2, 3, 4, 5, 6]);
      exact(prim('matmul', [a, c]), 'f32', [2, 2, 3], [1, 2, 8, 3, 4, 18, 4, 5, 6, 1, 2, 3]);
    }],
  ],

  // ---- shape ----
  transpose: [
    ['a matrix', () => exact(prim('transpose', [f([2, 3], [1, 5, 3, 4, 2, 6])], { perm: [1, 0] }), 'f32', [3, 2], [1, 4, 5, 2, 3, 6])],
    ['a rank-3 permutation', () =>
      // out[k, 0, j] = x[0, j, k] = 3j + k
      exact(prim('transpose', [i([1, 2, 3], [0, 1, 2, 3, 4, 5])], { perm: [2, 0, 1] }), 'i32', [3, 1, 2], [0, 3, 1, 4, 2, 5])],
  ],
  reshape: [
    ['keeps row-major order', () => {
      exact(prim('reshape', [f([2, 3], [1, 2, 3, 4, 5, 6])], { shape: [3, 2] }), 'f32', [3, 2], [1, 2, 3, 4, 5, 6]);
      exact(prim('reshape', [f([2, 3], [1, 2, 3, 4, 5, 6])], { shape: [6] }), 'f32', [6], [1, 2, 3, 4, 5, 6]);
      exact(prim('reshape', [i([], [9])], { shape: [1, 1] }), 'i32', [1, 1], [9]);
    }],
  ],
  broadcast: [
    ['new leading axes, size-1 axes, and a scalar', () => {
      exact(prim('broadcast', [f([3], [1, 2, 3])], { shape: [2, 3] }), 'f32', [2, 3], [1, 2, 3, 1, 2, 3]);
      exact(prim('broadcast', [f([2, 1], [7, 8])], { shape: [2, 3] }), 'f32', [2, 3], [7, 7, 7, 8, 8, 8]);
      exact(prim('broadcast', [i([], [4])], { shape: [2, 2] }), 'i32', [2, 2], [4, 4, 4, 4]);
    }],
  ],
  concat: [
    ['along axis 0 and axis 1, several inputs', () => {
      exact(prim('concat', [f([1, 2], [1, 2]), f([2, 2], [3, 4, 5, 6])], { axis: 0 }), 'f32', [3, 2], [1, 2, 3, 4, 5, 6]);
      exact(prim('concat', [f([2, 1], [1, 2]), f([2, 2], [3, 4, 5, 6]), f([2, 1], [7, 8])], { axis: 1 }), 'f32', [2, 4], [1, 3, 4, 7, 2, 5, 6, 8]);
    }],
  ],
  slice: [
    ['a block of a matrix', () =>
      exact(prim('slice', [i([3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])], { starts: [1, 1], ends: [3, 3] }), 'i32', [2, 2], [5, 6, 9, 10])],
    ['an empty slice', () => exact(prim('slice', [f([3], [1, 2, 3])], { starts: [2], ends: [2] }), 'f32', [0], [])],
  ],
  pad: [
    ['a vector with zeros', () => exact(prim('pad', [f([2], [1, 2])], { before: [1], after: [2], value: 0 }), 'f32', [5], [0, 1, 2, 0, 0])],
    ['a matrix with a fill value', () =>
      exact(prim('pad', [f([2, 2], [1, 2, 3, 4])], { before: [0, 1], after: [1, 0], value: 9 }), 'f32', [3, 3], [9, 1, 2, 9, 3, 4, 9, 9, 9])],
  ],

  // ---- indexing; x = [[1, 2], [3, 4], [5, 6]] ----
  gather: [
    ['a scalar index drops the axis', () => {
      const x = f([3, 2], [1, 2, 3, 4, 5, 6]);
      exact(prim('gather', [x, i([], [2])], { axis: 0 }), 'f32', [2], [5, 6]);
      exact(prim('gather', [x, i([], [0])], { axis: 1 }), 'f32', [3], [1, 3, 5]);
    }],
    ['a vector index, with repeats', () =>
      exact(prim('gather', [f([3, 2], [1, 2, 3, 4, 5, 6]), i([3], [2, 0, 2])], { axis: 0 }), 'f32', [3, 2], [5, 6, 1, 2, 5, 6])],
    ['a matrix index along axis 1', () =>
      exact(prim('gather', [f([3, 2], [1, 2, 3, 4, 5, 6]), i([2, 1], [1, 0])], { axis: 1 }), 'f32', [3, 2, 1], [2, 1, 4, 3, 6, 5])],
  ],
  scatter_add: [
    ['duplicate indices accumulate', () =>
      exact(prim('scatter_add', [f([4], [0, 0, 0, 0]), i([3], [1, 3, 1]), f([3], [10, 20, 5])], { axis: 0 }), 'f32', [4], [0, 15, 0, 20])],
    ['along axis 1, onto a non-zero target', () =>
      // row 0: 1 + 1 + 2 at column 0; row 1: 1 + 3 + 4
      exact(prim('scatter_add', [f([2, 3], [1, 1, 1, 1, 1, 1]), i([2], [0, 0]), f([2, 2], [1, 2, 3, 4])], { axis: 1 }), 'f32', [2, 3], [4, 1, 1, 8, 1, 1])],
  ],
  take_along_axis: [
    ['along the last axis', () =>
      exact(prim('take_along_axis', [f([2, 3], [10, 20, 30, 40, 50, 60]), i([2, 2], [2, 0, 1, 1])], { axis: 1 }), 'f32', [2, 2], [30, 10, 50, 50])],
    ['along axis 0', () =>
      exact(prim('take_along_axis', [f([2, 3], [10, 20, 30, 40, 50, 60]), i([1, 3], [1, 0, 1])], { axis: 0 }), 'f32', [1, 3], [40, 20, 60])],
  ],
  scatter_along_axis: [
    ['adds where take_along_axis reads, duplicates accumulate', () =>
      exact(
        prim('scatter_along_axis', [f([2, 3], [0, 0, 0, 0, 0, 0]), i([2, 2], [2, 2, 0, 1]), f([2, 2], [1, 2, 3, 4])], { axis: 1 }),
        'f32', [2, 3], [0, 0, 3, 3, 4, 0],
      )],
    ['along axis 0 onto a non-zero target', () =>
      exact(
        prim('scatter_along_axis', [f([2, 2], [1, 1, 1, 1]), i([1, 2], [1, 0]), f([1, 2], [5, 7])], { axis: 0 }),
        'f32', [2, 2], [1, 8, 6, 1],
      )],
  ],
  topk_indices: [
    ['the k largest along the last axis, ties to the lower index', () => {
      const x = f([2, 4], [1, 3, 3, 2, 5, 1, 5, 5]);
      exact(prim('topk_indices', [x], { k: 2 }), 'i32', [2, 2], [1, 2, 0, 2]);
      exact(prim('topk_indices', [x], { k: 3 }), 'i32', [2, 3], [1, 2, 3, 0, 2, 3]);
      exact(prim('topk_indices', [f([3], [-1, 0.5, 0.25])], { k: 1 }), 'i32', [1], [1]);
    }],
  ],
  argsort: [
    ['ascending and descending, stable', () => {
      const x = f([4], [3, 1, 3, 2]);
      exact(prim('argsort', [x], { axis: 0, descending: false }), 'i32', [4], [1, 3, 0, 2]);
      exact(prim('argsort', [x], { axis: 0, descending: true }), 'i32', [4], [0, 2, 3, 1]);
    }],
    ['descending along axis 0 of a matrix', () =>
      // columns [1, 5, 3] and [4, 2, 6]
      exact(prim('argsort', [f([3, 2], [1, 4, 5, 2, 3, 6])], { axis: 0, descending: true }), 'i32', [3, 2], [1, 2, 2, 0, 0, 1])],
  ],

  // ---- random numbers (Threefry, bit-compatible with JAX) ----
  rand_key: [
    ["rand_key(0) is JAX's PRNGKey(0) = [0, 0]; a seed s gives [0, s]", () => {
      const [k0, k42] = run([], (b) => [seedKey(b, 0), seedKey(b, 42)]);
      exact(k0!, 'i32', [2], [0, 0]);
      exact(k42!, 'i32', [2], [0, 42]);
    }],
  ],
  rand_split: [
    ["split(PRNGKey(0)) is JAX's [[4146024105, 967050713], [2718843009, 1272950319]]", () => {
      // As i32: 4146024105 − 2³² = −148943191, 2718843009 − 2³² = −1576124287.
      exact(run([], (b) => b.add('rand_split', [seedKey(b, 0)], { n: 2 }))[0]!, 'i32', [2, 2], [-148943191, 967050713, -1576124287, 1272950319]);
    }],
    ['n distinct keys, different from the parent', () => {
      const [ks] = run([], (b) => [b.add('rand_split', [seedKey(b, 7)], { n: 3 })]);
      expect(ks!.shape).toEqual([3, 2]);
      const v = vals(ks!);
      const keys = new Set([`0,7`, `${v[0]},${v[1]}`, `${v[2]},${v[3]}`, `${v[4]},${v[5]}`]);
      expect(keys.size).toBe(4);
    }],
  ],
  rand_fold_in: [
    ['different data give different keys, the same data the same key', () => {
      const out = run([], (b) => {
        const k = seedKey(b, 0);
        return [0, 1, 0].map((d) => b.add('rand_fold_in', [k, b.scalar(d, 'i32')]));
      });
      out.forEach((t) => expect(t.shape).toEqual([2]));
      const [a, c, a2] = out.map(vals);
      expect(a).toEqual(a2);
      expect(a).not.toEqual(c);
      expect(a).not.toEqual([0, 0]);
      expect(c).not.toEqual([0, 0]);
    }],
  ],
  rand_normal: [
    ["normal(PRNGKey(0), (10,)) is JAX's documented sample", () =>
      // From JAX's quickstart: random.normal(random.PRNGKey(0), (10,)).
      near(run([], (b) => b.add('rand_normal', [seedKey(b, 0)], { shape: [10] }))[0]!, [10], [
        -0.3721109, 0.26423115, -0.18252768, -0.7368197, -0.44030377, -0.1521442, -0.67135346, -0.5908641, 0.73168886, 0.5673026,
      ], 1e-6)],
    ["normal(PRNGKey(0), (3,)) is JAX's [1.8160863, -0.48262316, 0.33988908]", () =>
      near(run([], (b) => b.add('rand_normal', [seedKey(b, 0)], { shape: [3] }))[0]!, [3], [1.8160863, -0.48262316, 0.33988908], 1e-6)],
    ['the shape of the attribute; the same key gives the same numbers on two calls', () => {
      const build = (b: Builder): number => b.add('rand_normal', [b.add('rand_fold_in', [seedKey(b, 3), b.scalar(5, 'i32')])], { shape: [2, 3] });
      const [a] = run([], build);
      const [c] = run([], build);
      expect(a!.dtype).toBe('f32');
      expect(a!.shape).toEqual([2, 3]);
      expect(vals(a!)).toEqual(vals(c!));
      expect(new Set(vals(a!)).size).toBe(6);
    }],
    ['10,000 samples have mean ≈ 0 and standard deviation ≈ 1', () => {
      const x = vals(run([], (b) => b.add('rand_normal', [seedKey(b, 1)], { shape: [100, 100] }))[0]!);
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
      // Standard errors: 0.01 for the mean, about 0.007 for the standard deviation; bounds are 4-5 of them.
      expect(Math.abs(mean)).toBeLessThan(0.04);
      expect(Math.abs(sd - 1)).toBeLessThan(0.035);
      expect(x.filter((v) => Math.abs(v) < 1).length / x.length).toBeCloseTo(0.6827, 1);
    }],
    ['different keys give different numbers', () => {
      const [a, c] = run([], (b) => [1, 2].map((s) => b.add('rand_normal', [seedKey(b, s)], { shape: [4] })));
      expect(vals(a!)).not.toEqual(vals(c!));
    }],
  ],
  rand_uniform: [
    ["uniform(PRNGKey(0)) is JAX's 0.41845703", () =>
      exact(run([], (b) => b.add('rand_uniform', [seedKey(b, 0)], { shape: [] }))[0]!, 'f32', [], [0.41845703125])],
    ['shape, determinism, range [0, 1) and mean ≈ 1/2', () => {
      const build = (b: Builder): number => b.add('rand_uniform', [seedKey(b, 9)], { shape: [50, 200] });
      const [a] = run([], build);
      const [c] = run([], build);
      expect(a!.shape).toEqual([50, 200]);
      const x = vals(a!);
      expect(x).toEqual(vals(c!));
      expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.012); // standard error 0.0029
    }],
  ],
};

describe('evaluate: every primitive', () => {
  const names = Object.keys(PRIMS) as PrimName[];

  it('every primitive of PRIMS has a case', () => {
    expect(names.filter((n) => (CASES[n]?.length ?? 0) === 0)).toEqual([]);
  });

  it('every case names a primitive of PRIMS', () => {
    expect(Object.keys(CASES).filter((n) => !(n in PRIMS))).toEqual([]);
  });

  for (const name of names) {
    describe(name, () => {
      const cases = CASES[name] ?? [];
      for (const [label, check] of cases) it(label, check);
    });
  }
});

describe('evaluate: graphs of several nodes', () => {
  it('reuses a value and returns several outputs in order', () => {
    // y = x·x + x for x = [1, 2, 3]; outputs (y, sum(y))
    const [y, s] = run([f([3], [1, 2, 3])], (b, [x]) => {
      const yy = b.add('add', [b.add('mul', [x!, x!]), x!]);
      return [yy, b.add('sum', [yy], { axes: [0] })];
    });
    exact(y!, 'f32', [3], [2, 6, 12]);
    exact(s!, 'f32', [], [20]);
  });

  it('float64 mode keeps f32 values unrounded', () => {
    const g = (() => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [1] } satisfies TType, 0, 'x');
      return b.graph('t', [b.add('add', [x, b.constant(1, { dtype: 'f32', shape: [1] })])]);
    })();
    const x = { dtype: 'f32' as const, shape: [1], data: Float64Array.of(0.1) };
    expect(evaluate(g, [x], { float64: true })[0]!.data[0]).toBe(1.1);
    expect(evaluate(g, [x])[0]!.data[0]).toBe(Math.fround(Math.fround(0.1) + 1));
  });
});
