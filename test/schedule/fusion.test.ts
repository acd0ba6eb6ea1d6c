// The fusions that turn more of a training step into fewer kernels, on random instances, each
// scheduled, validated (bindings within the limit), run by the kernel executor and compared with
// the interpreter: exactly, except the batch-merged matmul (rounded once instead of per batch).
//   - dense scatters (one update per target element) computed inline: scatter_add of one index,
//     scatter_along_axis of extent 1, scatter_add through a permutation that is its own inverse;
//   - gathers of one constant index read in place by a matmul (a layer of a stack);
//   - a sum over a matmul's batch axes merged into its contraction;
//   - reductions over axes of extent 1 turned into reshapes;
//   - independent elementwise kernels of one shape merged into one with several stores.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, sizeOf, type DType, type Graph } from '../../compiler/ir/graph.ts';
import { printGraph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { validateSchedule } from '../../compiler/kernel/validate.ts';
import { planMemory } from '../../compiler/schedule/plan.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { kernelKind } from '../../compiler/schedule/stats.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { execute } from '../../runtime/kernels/execute.ts';

/** Graph inputs with their values: f32 on a grid of 1/64 in [-2, 2], i32 indices in [0, bound). */
class Inputs {
  readonly b = new Builder();
  readonly values: Tensor[] = [];
  private k = 0;

  constructor(private readonly seed: number) {}

  input(dtype: DType, shape: readonly number[], bound = 0): number {
    const n = sizeOf(shape);
    const k = this.k++;
    const data = Array.from({ length: n }, (_, i) => {
      const u = Math.abs(Math.sin(this.seed * 12.9898 + k * 78.233 + i * 37.719)) % 1;
      return dtype === 'i32' ? Math.floor(u * bound) : Math.round((u * 4 - 2) * 64) / 64;
    });
    this.values.push(tensor(dtype, shape, data));
    return this.b.input({ dtype, shape }, k, `x${k}`);
  }

  const(value: number, dtype: DType, shape: readonly number[]): number {
    return this.b.constant(value, { dtype, shape });
  }
}

/** Schedules g (within maxBindings), checks it, and compares the executor with the interpreter. */
function agree(g: Graph, inputs: readonly Tensor[], opts: { maxBindings?: number; tolerance?: number } = {}): ReturnType<typeof schedule> {
  const maxBindings = opts.maxBindings ?? 8;
  const s = schedule(g, { maxBindings });
  validateSchedule(s, { maxBindings });
  const got = execute(s, planMemory(s), inputs);
  const want = evaluate(g, inputs);
  const context = (): string => `${printGraph(g)}\n${printKernels(s)}`;
  want.forEach((w, k) => {
    for (let i = 0; i < w.data.length; i++) {
      const [x, y] = [got[k]!.data[i]!, w.data[i]!];
      const ok = x === y || (Number.isNaN(x) && Number.isNaN(y)) || (opts.tolerance !== undefined && Math.abs(x - y) <= opts.tolerance * Math.max(1, Math.abs(y)));
      if (!ok) expect.fail(`output ${k} element ${i}: kernels ${x}, interpreter ${y}\n${context()}`);
    }
  });
  return s;
}

const shapeArb = (minRank: number, maxRank: number) => fc.array(fc.integer({ min: 1, max: 4 }), { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer({ min: 0, max: 10_000 });
const libraryKernels = (s: ReturnType<typeof schedule>): number => s.kernels.filter((k) => kernelKind(k) === 'library').length;

describe('dense scatters are computed inline, equal to the interpreter', () => {
  it('scatter_add of a single index (constant or data), into zeros or a value, then used', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.nat(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), seedArb, (shape, a, constant, zeroTarget, scalarIndex, twice, seed) => {
        const axis = a % shape.length;
        const x = new Inputs(seed);
        const b = x.b;
        const idxShape = scalarIndex ? [] : [1];
        const updShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
        const index = (c: number): number => (constant ? x.const(c % shape[axis]!, 'i32', idxShape) : x.input('i32', idxShape, shape[axis]!));
        const target = zeroTarget ? x.const(0, 'f32', shape) : x.input('f32', shape);
        let out = b.add('scatter_add', [target, index(a), b.add('exp', [x.input('f32', updShape)])], { axis });
        // A second layer's gradient into the same stack, as a model's unrolled loop makes.
        if (twice) out = b.add('add', [out, b.add('scatter_add', [x.const(0, 'f32', shape), index(a + 1), x.input('f32', updShape)], { axis })]);
        const s = agree(b.graph('scatter', [b.add('mul', [out, out])]), x.values);
        expect(libraryKernels(s)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('scatter_along_axis with one index per row (the gradient of take_along_axis)', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.nat(), fc.boolean(), seedArb, (shape, a, zeroTarget, seed) => {
        const axis = a % shape.length;
        const x = new Inputs(seed);
        const b = x.b;
        const idxShape = shape.map((d, i) => (i === axis ? 1 : d));
        const target = zeroTarget ? x.const(0, 'f32', shape) : x.input('f32', shape);
        const out = b.add('scatter_along_axis', [target, x.input('i32', idxShape, shape[axis]!), x.input('f32', idxShape)], { axis });
        const s = agree(b.graph('scatter', [b.add('sub', [out, x.input('f32', shape)])]), x.values);
        expect(libraryKernels(s)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('scatter_add through a constant permutation: inline when it is its own inverse, a library kernel otherwise', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.nat(), fc.constantFrom('reverse', 'half', 'shift'), seedArb, (s0, a, kind, seed) => {
        const shape = s0.map((d) => d + 1); // extents from 2, so that there is something to permute
        const axis = a % shape.length;
        const n = shape[axis]!;
        const x = new Inputs(seed);
        const b = x.b;
        const iota = b.add('iota', [], { dtype: 'i32', shape: [n], axis: 0 });
        const k = (v: number): number => x.const(v, 'i32', [n]);
        // reverse: n-1-i; half: (i + n/2) mod n, an involution for even n; shift: (i + 1) mod n, not one for n > 2.
        const perm =
          kind === 'reverse' ? b.add('sub', [k(n - 1), iota]) : b.add('mod', [b.add('add', [iota, k(kind === 'half' ? Math.floor(n / 2) : 1)]), k(n)]);
        const involution = kind === 'reverse' || (kind === 'half' && n % 2 === 0) || (kind === 'shift' && n === 2);
        const out = b.add('scatter_add', [x.const(0, 'f32', shape), perm, b.add('tanh', [x.input('f32', shape)])], { axis });
        const s = agree(b.graph('permute', [b.add('mul', [out, x.input('f32', shape)])]), x.values);
        expect(libraryKernels(s)).toBe(involution ? 0 : 1);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a layer of a stack picked by a constant index is read in place by a matmul', () => {
  it('x @ w[c] and x @ transpose(w[c]): one matmul kernel, equal to the interpreter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.boolean(), seedArb, (layers, m, k, n, c, transposed, seed) => {
        const x = new Inputs(seed);
        const b = x.b;
        const w = x.input('f32', transposed ? [layers, n, k] : [layers, k, n]);
        const layer = b.add('gather', [w, x.const(c % layers, 'i32', [])], { axis: 0 });
        const rhs = transposed ? b.add('transpose', [layer], { perm: [1, 0] }) : layer;
        const s = agree(b.graph('pick', [b.add('matmul', [x.input('f32', [m, k]), rhs])]), x.values);
        expect(s.kernels.map((kk) => kk.kind)).toEqual(['matmul']);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a sum over the batch axes of a matmul is one matmul over a longer contraction', () => {
  it('within 1e-5 of the interpreter; one kernel when both operands lay the batch out next to the contraction', () => {
    fc.assert(
      fc.property(shapeArb(1, 2), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.boolean(), fc.boolean(), seedArb, (batch, m, k, n, pick, ta, epilogue, seed) => {
        const x = new Inputs(seed);
        const b = x.b;
        const r = batch.length + 2;
        const swap = [...Array(r).keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
        const a = ta ? b.add('transpose', [x.input('f32', [...batch, k, m])], { perm: swap }) : x.input('f32', [...batch, m, k]);
        const mm = b.add('matmul', [a, x.input('f32', [...batch, k, n])]);
        const axes = batch.flatMap((_, i) => ((pick >> i) & 1 ? [i] : [])).concat(pick % 3 === 0 ? [] : [0]);
        const summed = b.add('sum', [mm], { axes: [...new Set(axes)].sort() });
        const out = epilogue ? b.add('relu', [summed]) : summed;
        const s = agree(b.graph('wgrad', [out]), x.values, { tolerance: 1e-5 });
        // xᵀ (x of [..., k, m]) has the batch next to the contraction in memory, as does the right
        // operand [..., k, n]: the batch merges into k; a plain [..., m, k] only when m or k is 1.
        // (A sum over extent 1 is a reshape; over no axis, a copy in the matmul's epilogue.)
        // With a second batch axis kept between, whether the strides nest depends on more: at most 2.
        const extent = [...new Set(axes)].reduce((p, i) => p * batch[i]!, 1);
        if (batch.length === 1) expect(s.kernels.length).toBe(ta || m === 1 || k === 1 || extent === 1 ? 1 : 2);
        else expect(s.kernels.length).toBeLessThanOrEqual(2);
      }),
      { numRuns: 150 },
    );
  });

  it('is not merged when the matmul is read elsewhere', () => {
    const x = new Inputs(1);
    const b = x.b;
    const mm = b.add('matmul', [x.input('f32', [3, 2, 4]), x.input('f32', [3, 4, 5])]);
    const s = agree(b.graph('both', [b.add('sum', [mm], { axes: [0] }), mm]), x.values);
    expect(s.kernels.map((k) => kernelKind(k))).toEqual(['matmul', 'reduce']);
  });
});

describe('a reduction over axes of extent 1 is a reshape', () => {
  it('sum, max and min over size-1 axes fuse with their operand and their consumer', () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.nat(), fc.constantFrom('sum', 'max', 'min'), fc.boolean(), seedArb, (s0, mask, op, i32, seed) => {
        const shape = s0.map((d, i) => ((mask >> i) & 1 ? 1 : d));
        const axes = shape.flatMap((d, i) => (d === 1 ? [i] : []));
        const x = new Inputs(seed);
        const b = x.b;
        const v = i32 ? x.input('i32', shape, 7) : b.add('exp', [x.input('f32', shape)]);
        const r = b.add(op as 'sum', [v], { axes });
        const out = b.add('mul', [r, r]);
        const s = agree(b.graph('one', [out]), x.values);
        expect(s.kernels.every((k) => kernelKind(k) !== 'reduce')).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('independent elementwise kernels of one shape share a kernel', () => {
  it('several outputs, within any binding limit, equal to the interpreter', () => {
    fc.assert(
      fc.property(shapeArb(0, 3), fc.integer({ min: 2, max: 6 }), fc.constantFrom(4, 5, 8), seedArb, (shape, count, maxBindings, seed) => {
        const x = new Inputs(seed);
        const b = x.b;
        const shared = x.input('f32', shape);
        const outs = Array.from({ length: count }, (_, i) => b.add(i % 2 === 0 ? 'add' : 'mul', [b.add('exp', [x.input('f32', shape)]), shared]));
        const s = agree(b.graph('siblings', outs), x.values, { maxBindings });
        // Each kernel binds the shared input, one input per output and the outputs.
        const perKernel = Math.floor((maxBindings - 1) / 2);
        expect(s.kernels.length).toBe(Math.ceil(count / perKernel));
      }),
      { numRuns: 100 },
    );
  });

  it('are not merged when one depends on the other through a third kernel', () => {
    const x = new Inputs(2);
    const b = x.b;
    const p = b.add('exp', [x.input('f32', [4])]);
    const total = b.add('sum', [p], { axes: [0] });
    const q = b.add('mul', [x.input('f32', [4]), b.broadcast(total, [4])]);
    const s = agree(b.graph('chain', [p, q]), x.values);
    expect(s.kernels.map((k) => kernelKind(k))).toEqual(['elementwise', 'reduce', 'elementwise']);
  });
});
