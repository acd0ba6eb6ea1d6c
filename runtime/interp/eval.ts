// The reference interpreter: evaluates a tensor-IR graph op by op on typed arrays. It is the
// oracle every compiled backend is tested against, so each rule is the plainest call into ops/.
import type { Attrs, DType, Graph } from '../../compiler/ir/graph.ts';
import type { PrimName } from '../../compiler/ir/prims.ts';
import * as E from './ops/elementwise.ts';
import * as I from './ops/index.ts';
import { matmul } from './ops/matmul.ts';
import * as R from './ops/reduce.ts';
import * as Sh from './ops/shape.ts';
import { forEachIndex, lanes, setFloat64, size, tensor, toStorage, zeros, type Tensor } from './ops/tensor.ts';
import * as Rand from './random.ts';

type Eval = (xs: readonly Tensor[], a: Attrs) => Tensor;

const num = (a: Attrs, k: string): number => a[k] as number;
const nums = (a: Attrs, k: string): readonly number[] => a[k] as readonly number[];
const u = (f: (x: Tensor) => Tensor): Eval => ([x]) => f(x!);
const b = (f: (x: Tensor, y: Tensor) => Tensor): Eval => ([x, y]) => f(x!, y!);

function filled(dtype: DType, shape: readonly number[], value: number): Tensor {
  const t = zeros(dtype, shape);
  t.data.fill(value);
  return t;
}

function iota(a: Attrs): Tensor {
  const shape = nums(a, 'shape');
  const axis = num(a, 'axis');
  const out = zeros(a['dtype'] as DType, shape);
  forEachIndex(shape, (idx, flat) => (out.data[flat] = idx[axis]!));
  return out;
}

/** Prefix sums from the end of the axis: the transpose of cumsum. Float64 sums, rounded once. */
function reverseCumsum(x: Tensor, axis: number): Tensor {
  const out = zeros(x.dtype === 'f32' ? 'f32' : 'i32', x.shape);
  const { outer, n, inner } = lanes(x.shape, axis);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = n - 1; k >= 0; k--) {
        const at = (o * n + k) * inner + i;
        out.data[at] = s += x.data[at]!;
      }
    }
  return out;
}

function key(t: Tensor): Int32Array {
  return t.data as Int32Array;
}

export const EVAL: Record<PrimName, Eval> = {
  input: () => {
    throw new Error('IR: input nodes are bound by evaluate()');
  },
  const: (_, a) => filled(a['dtype'] as DType, nums(a, 'shape'), num(a, 'value')),
  iota: (_, a) => iota(a),

  neg: u(E.neg), exp: u(E.exp), log: u(E.log), sqrt: u(E.sqrt), rsqrt: u(E.rsqrt), tanh: u(E.tanh),
  sigmoid: u(E.sigmoid), relu: u(E.relu), silu: u(E.silu), gelu: u(E.gelu), abs: u(E.abs),
  sign: u(E.sign), floor: u(E.floor), logical_not: u(E.not), stop_gradient: ([x]) => x!,
  sin: u((x) => tensor('f32', x.shape, Array.from(x.data, Math.sin))),
  cos: u((x) => tensor('f32', x.shape, Array.from(x.data, Math.cos))),

  add: b(E.add), sub: b(E.sub), mul: b(E.mul), div: b(E.div), mod: b(E.mod), pow: b(E.pow),
  maximum: b(E.max), minimum: b(E.min),
  eq: b(E.eq), ne: b(E.ne), lt: b(E.lt), le: b(E.le), gt: b(E.gt), ge: b(E.ge),
  logical_and: b(E.and), logical_or: b(E.or),
  where: ([c, x, y]) => E.where(c!, x!, y!),
  cast: ([x], a) => E.cast(x!, a['dtype'] as DType),

  sum: ([x], a) => R.sum(x!, nums(a, 'axes')),
  max: ([x], a) => R.max(x!, nums(a, 'axes')),
  min: ([x], a) => R.min(x!, nums(a, 'axes')),
  argmax: ([x], a) => R.argmax(x!, num(a, 'axis')),
  cumsum: ([x], a) => (a['reverse'] ? reverseCumsum(x!, num(a, 'axis')) : R.cumsum(x!, num(a, 'axis'))),
  matmul: b(matmul),

  transpose: ([x], a) => Sh.transpose(x!, nums(a, 'perm')),
  reshape: ([x], a) => Sh.reshape(x!, nums(a, 'shape')),
  broadcast: ([x], a) => Sh.broadcastTo(x!, nums(a, 'shape')),
  concat: (xs, a) => Sh.concat(xs, num(a, 'axis')),
  slice: ([x], a) => Sh.slice(x!, nums(a, 'starts'), nums(a, 'ends')),
  pad: ([x], a) => Sh.pad(x!, nums(a, 'before').map((v, i) => [v, nums(a, 'after')[i]!] as const), num(a, 'value')),

  gather: ([x, i], a) => I.gather(x!, i!, num(a, 'axis')),
  scatter_add: ([t, i, v], a) => I.scatterAdd(t!, i!, v!, num(a, 'axis')),
  take_along_axis: ([x, i], a) => I.takeAlongAxis(x!, i!, num(a, 'axis')),
  scatter_along_axis: ([t, i, v], a) => scatterAlongAxis(t!, i!, v!, num(a, 'axis')),
  topk_indices: ([x], a) => I.topk(x!, num(a, 'k')).indices,
  argsort: ([x], a) => I.argsort(x!, num(a, 'axis'), a['descending'] === true),

  rand_key: ([s]) => tensor('i32', [2], Rand.keyFromSeed(s!.data[0]!)),
  rand_split: ([k], a) => tensor('i32', [num(a, 'n'), 2], Rand.splitKey(key(k!), num(a, 'n'))),
  rand_fold_in: ([k, d]) => tensor('i32', [2], Rand.foldIn(key(k!), d!.data[0]!)),
  rand_normal: ([k], a) => tensor('f32', nums(a, 'shape'), Rand.normal(key(k!), size(nums(a, 'shape')))),
  rand_uniform: ([k], a) => tensor('f32', nums(a, 'shape'), Rand.uniform(key(k!), size(nums(a, 'shape')))),
};

/** Adds updates into target at the positions take_along_axis would read them from. */
function scatterAlongAxis(target: Tensor, idx: Tensor, updates: Tensor, axis: number): Tensor {
  const out = tensor(target.dtype, target.shape, target.data);
  const strides = target.shape.map((_, i) => size(target.shape.slice(i + 1)));
  const acc = Float64Array.from(out.data);
  forEachIndex(idx.shape, (at, flat) => {
    const pos = at.map((v, i) => (i === axis ? idx.data[flat]! : v));
    acc[pos.reduce((s, v, i) => s + v * strides[i]!, 0)]! += updates.data[flat]!;
  });
  out.data.set(acc);
  return out;
}

export interface EvaluateOptions {
  /**
   * Store and compute every f32 tensor in float64 (Float64Array, no rounding to float32), for
   * finite-difference checks; f32 inputs are widened, and f32 outputs come back as Float64Array.
   * Off (the default), f32 inputs given as Float64Array are rounded to float32 first.
   */
  readonly float64?: boolean;
}

/** Runs a graph on concrete inputs (one per `input` node, in order) and returns its outputs. */
export function evaluate(g: Graph, inputs: readonly Tensor[], options: EvaluateOptions = {}): Tensor[] {
  const previous = setFloat64(options.float64 === true);
  try {
    const values = new Map<number, Tensor>();
    g.inputs.forEach((id, i) => {
      const t = inputs[i];
      if (t !== undefined) values.set(id, toStorage(t));
    });
    for (const n of g.nodes) {
      if (n.op === 'input') continue;
      values.set(n.id, EVAL[n.op](n.inputs.map((i) => values.get(i)!), n.attrs));
    }
    return g.outputs.map((o) => values.get(o)!);
  } finally {
    setFloat64(previous);
  }
}
