// Reverse-mode differentiation (compiler/transform/grad.ts and the VJP rules in compiler/ir/prims.ts)
// checked against float64 central finite differences with step h = 1e-4·max(|x|, 0.1). Tolerance, per
// element: |grad − fd| ≤ 1e-3·(1 + |fd|) (TOL in test/support/grad.ts, which explains the choice).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, sizeOf as size } from '../../compiler/ir/graph.ts';
import { PRIMS, type Prim, type PrimName } from '../../compiler/ir/prims.ts';
import { vjp } from '../../compiler/transform/grad.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, zeros } from '../../runtime/interp/ops/tensor.ts';
import { shapes } from '../../testing.ts';
import { bool, f32, gradCheck, i32, type Arg } from '../support/grad.ts';

const RUNS = 150; // about 6 s for the whole file on 2 cores
const prop = <T,>(arb: fc.Arbitrary<T>, check: (t: T) => void, numRuns = RUNS): void =>
  fc.assert(fc.property(arb, check), { numRuns });

// ---- arbitraries ----

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = (minRank = 0, maxRank = 3): fc.Arbitrary<number[]> => shapes({ rank: [minRank, maxRank], dim: [1, 4] });
const GRID = 2 ** 16;
/** Reals in [lo, hi] on a 2^-16 grid (exact in f32); fc.double would crowd them around 0. */
const real = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.integer({ min: Math.ceil(lo * GRID), max: Math.floor(hi * GRID) }).map((k) => k / GRID);
const anyReal = real(-3, 3);
const positive = real(0.2, 3);
const awayFromZero = fc.tuple(real(0.5, 3), fc.boolean()).map(([v, neg]) => (neg ? -v : v));
const valuesArb = (n: number, elem: fc.Arbitrary<number> = anyReal): fc.Arbitrary<number[]> =>
  fc.array(elem, { minLength: n, maxLength: n });
/** Values at least 0.01 apart: no ties for max/min reductions, topk or argsort. */
const distinctArb = (n: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: n, maxLength: n }).map((v) => v.map((k) => k / 100));
const f32Arb = (shape: readonly number[], elem: fc.Arbitrary<number> = anyReal, wrt = true): fc.Arbitrary<Arg> =>
  valuesArb(size(shape), elem).map((v) => f32(shape, v, wrt));
const indexArb = (shape: readonly number[], bound: number): fc.Arbitrary<Arg> =>
  fc.array(fc.integer({ min: 0, max: bound - 1 }), { minLength: size(shape), maxLength: size(shape) }).map((v) => i32(shape, v));
/** A shape that broadcasts to c: some leading axes dropped, some axes set to 1. */
const broadcastFrom = (c: readonly number[]): fc.Arbitrary<number[]> =>
  fc.tuple(fc.integer({ min: 0, max: c.length }), fc.array(fc.boolean(), { minLength: c.length, maxLength: c.length }))
    .map(([drop, ones]) => c.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
/** A rank 1–3 shape and one of its axes. */
const shapeAxisArb = fc.tuple(shapeArb(1, 3), fc.nat()).map(([s, a]) => ({ shape: s, axis: a % s.length }));
const permArb = (rank: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank });
const allAxes = (shape: readonly number[]): number[] => shape.map((_, i) => i);

/** Every primitive with a VJP rule must be exercised below; this records which ones are. */
const covered = new Set<PrimName>();
const cover = (op: PrimName): PrimName => (covered.add(op), op);

describe('evaluate in float64 mode', () => {
  const b = new Builder();
  const x = b.input({ dtype: 'f32', shape: [2] }, 0, 'x');
  const y = b.add('add', [x, b.broadcast(b.scalar(1e-10), [2])]);
  const g = b.graph('g', [y, b.add('sum', [y], { axes: [0] })]);
  const input = tensor('f32', [2], [1, 2]);

  it('stores f32 in Float64Array without rounding, and float32 stays the default', () => {
    const [wide, total] = evaluate(g, [input], { float64: true });
    expect(wide!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(wide!.data)).toEqual([1 + 1e-10, 2 + 1e-10]);
    expect(total!.data[0]).toBe(1 + 1e-10 + (2 + 1e-10));
    const [narrow] = evaluate(g, [input]);
    expect(narrow!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(narrow!.data)).toEqual([1, 2]);
  });

  it('rounds Float64Array f32 inputs in float32 mode and restores the mode afterwards, even on errors', () => {
    const [narrow] = evaluate(g, [{ dtype: 'f32', shape: [2], data: Float64Array.from([0.1, 0.2]) }]);
    expect(Array.from(narrow!.data)).toEqual([Math.fround(Math.fround(0.1) + 1e-10), Math.fround(0.2)]);
    expect(zeros('f32', [1]).data).toBeInstanceOf(Float32Array);
    const bad = new Builder();
    const bx = bad.input({ dtype: 'f32', shape: [2] }, 0, 'x');
    const gi = bad.graph('bad', [bad.add('gather', [bx, bad.constant(5, { dtype: 'i32', shape: [1] })], { axis: 0 })]);
    expect(() => evaluate(gi, [input], { float64: true })).toThrow(RangeError);
    expect(zeros('f32', [1]).data).toBeInstanceOf(Float32Array);
  });
});

describe('vjp vs finite differences: elementwise', () => {
  const UNARY: readonly (readonly [PrimName, fc.Arbitrary<number>, boolean])[] = [
    ['neg', anyReal, false], ['exp', anyReal, false], ['log', positive, false], ['sqrt', positive, false],
    ['rsqrt', positive, false], ['tanh', anyReal, false], ['sigmoid', anyReal, false], ['relu', anyReal, true],
    ['silu', anyReal, false], ['gelu', anyReal, false], ['sin', anyReal, false], ['cos', anyReal, false],
    ['abs', anyReal, true],
  ];
  for (const [op, elem, kink] of UNARY) {
    it(cover(op), () =>
      prop(shapeArb().chain((s) => f32Arb(s, elem)), (x) =>
        gradCheck((b, [x]) => {
          const y = b.add(op, [x!]);
          return kink ? { out: y, away: [x!] } : y;
        }, [x])));
  }

  // [op, x values, y values, extra constraint]; x and y get random shapes that broadcast to a common one.
  type Away = (b: Builder, x: number, y: number) => { away: number[]; margin?: number };
  const BINARY: readonly (readonly [PrimName, fc.Arbitrary<number>, fc.Arbitrary<number>, Away?])[] = [
    ['add', anyReal, anyReal], ['sub', anyReal, anyReal], ['mul', anyReal, anyReal], ['div', anyReal, awayFromZero],
    // x mod y jumps where x/y is an integer: keep x/y at least 0.01 from one, so x ± h and y ± h stay put.
    ['mod', real(-4, 4), awayFromZero, (b, x, y) => {
      const q = b.add('div', [x, y]);
      const frac = b.add('sub', [q, b.add('floor', [q])]);
      return { away: [frac, b.add('sub', [b.constant(1, b.type(frac)), frac])], margin: 0.01 };
    }],
    ['pow', positive, real(-2, 2)],
    ['maximum', anyReal, anyReal, (b, x, y) => ({ away: [b.add('sub', [x, y])] })],
    ['minimum', anyReal, anyReal, (b, x, y) => ({ away: [b.add('sub', [x, y])] })],
  ];
  for (const [op, ex, ey, away] of BINARY) {
    it(`${cover(op)} (with broadcasting)`, () =>
      prop(
        shapeArb().chain((c) =>
          fc.tuple(fc.constant(c), broadcastFrom(c).chain((s) => f32Arb(s, ex)), broadcastFrom(c).chain((s) => f32Arb(s, ey)))),
        ([c, x, y]) =>
          gradCheck((b, [x, y]) => {
            const xb = b.broadcast(x!, c);
            const yb = b.broadcast(y!, c);
            return { out: b.add(op, [xb, yb]), ...(away ? away(b, xb, yb) : {}) };
          }, [x, y]),
      ));
  }

  it(`${cover('where')} with a random mask (and broadcasting)`, () =>
    prop(
      shapeArb().chain((c) =>
        fc.tuple(
          fc.constant(c),
          broadcastFrom(c).chain((s) => fc.array(fc.boolean(), { minLength: size(s), maxLength: size(s) }).map((m) => bool(s, m))),
          broadcastFrom(c).chain((s) => f32Arb(s)),
          broadcastFrom(c).chain((s) => f32Arb(s)),
        )),
      ([c, m, x, y]) =>
        gradCheck((b, [m, x, y]) => b.add('where', [b.broadcast(m!, c), b.broadcast(x!, c), b.broadcast(y!, c)]), [m, x, y]),
    ));

  it(`${cover('cast')} f32 → f32`, () =>
    prop(shapeArb().chain((s) => f32Arb(s)), (x) =>
      gradCheck((b, [x]) => b.add('mul', [b.add('cast', [x!], { dtype: 'f32' }), x!]), [x])));
});

describe('vjp vs finite differences: reductions and matmul', () => {
  const axesArb = shapeArb().chain((s) => fc.tuple(fc.constant(s), fc.subarray(allAxes(s))));

  it(`${cover('sum')} over random axes`, () =>
    prop(axesArb.chain(([s, axes]) => fc.tuple(fc.constant(axes), f32Arb(s))), ([axes, x]) =>
      gradCheck((b, [x]) => b.add('sum', [x!], { axes }), [x])));

  for (const op of ['max', 'min'] as const) {
    it(`${cover(op)} over random axes (no ties)`, () =>
      prop(axesArb.chain(([s, axes]) => fc.tuple(fc.constant(axes), distinctArb(size(s)).map((v) => f32(s, v)))), ([axes, x]) =>
        gradCheck((b, [x]) => b.add(op, [x!], { axes }), [x])));
  }

  it(`${cover('cumsum')} in both directions (reverse absent, false or true)`, () =>
    prop(shapeAxisArb.chain(({ shape, axis }) => fc.tuple(fc.constant(axis), fc.constantFrom(undefined, false, true), f32Arb(shape))), ([axis, reverse, x]) =>
      gradCheck((b, [x]) => b.add('cumsum', [x!], reverse === undefined ? { axis } : { axis, reverse }), [x])));

  it(`${cover('matmul')}, batched, ranks 2–3`, () =>
    prop(
      fc.tuple(fc.array(dim, { maxLength: 1 }), dim, dim, dim).chain(([batch, m, k, n]) =>
        fc.tuple(f32Arb([...batch, m, k]), f32Arb([...batch, k, n]))),
      ([x, y]) => gradCheck((b, [x, y]) => b.add('matmul', [x!, y!]), [x, y]),
    ));
});

describe('vjp vs finite differences: structural primitives', () => {
  it(`${cover('transpose')} with random perms`, () =>
    prop(shapeArb().chain((s) => fc.tuple(permArb(s.length), f32Arb(s))), ([perm, x]) =>
      gradCheck((b, [x]) => b.add('transpose', [x!], { perm }), [x])));

  it(`${cover('reshape')}`, () =>
    prop(
      fc.tuple(shapeArb(), fc.integer({ min: 0, max: 2 }), fc.nat()).chain(([s, kind, at]) => {
        const target = kind === 0 ? [size(s)] : kind === 1 ? [...s].reverse() : s.toSpliced(at % (s.length + 1), 0, 1);
        return fc.tuple(fc.constant(target), f32Arb(s));
      }),
      ([shape, x]) => gradCheck((b, [x]) => b.add('reshape', [x!], { shape }), [x]),
    ));

  it(`${cover('broadcast')}`, () =>
    prop(shapeArb().chain((c) => fc.tuple(fc.constant(c), broadcastFrom(c).chain((s) => f32Arb(s)))), ([shape, x]) =>
      gradCheck((b, [x]) => b.add('broadcast', [x!], { shape }), [x])));

  it(`${cover('concat')} of 2–3 inputs`, () =>
    prop(
      fc.tuple(shapeAxisArb, fc.array(dim, { minLength: 2, maxLength: 3 })).chain(([{ shape, axis }, ds]) =>
        fc.tuple(fc.constant(axis), fc.tuple(...ds.map((d) => f32Arb(shape.map((x, i) => (i === axis ? d : x))))))),
      ([axis, xs]) => gradCheck((b, ids) => b.add('concat', ids, { axis }), xs),
    ));

  it(`${cover('slice')}`, () =>
    prop(
      shapeArb(1, 3).chain((s) =>
        fc.tuple(fc.tuple(...s.map((d) => fc.tuple(fc.nat(d - 1), fc.nat(d - 1)))), f32Arb(s)).map(([ranges, x]) => {
          const starts = ranges.map(([p, q]) => Math.min(p, q));
          const ends = ranges.map(([p, q]) => Math.max(p, q) + 1);
          return { starts, ends, x };
        })),
      ({ starts, ends, x }) => gradCheck((b, [x]) => b.add('slice', [x!], { starts, ends }), [x]),
    ));

  it(`${cover('pad')}`, () =>
    prop(
      shapeArb().chain((s) =>
        fc.tuple(
          fc.array(fc.nat(2), { minLength: s.length, maxLength: s.length }),
          fc.array(fc.nat(2), { minLength: s.length, maxLength: s.length }),
          anyReal,
          f32Arb(s),
        )),
      ([before, after, value, x]) => gradCheck((b, [x]) => b.add('pad', [x!], { before, after, value }), [x]),
    ));
});

describe('vjp vs finite differences: indexing with random valid indices', () => {
  const gatherCase = fc.tuple(shapeAxisArb, shapeArb(0, 2));

  it(`${cover('gather')}`, () =>
    prop(
      gatherCase.chain(([{ shape, axis }, is]) => fc.tuple(fc.constant(axis), f32Arb(shape), indexArb(is, shape[axis]!))),
      ([axis, x, idx]) => gradCheck((b, [x, i]) => b.add('gather', [x!, i!], { axis }), [x, idx]),
    ));

  it(`${cover('scatter_add')}`, () =>
    prop(
      gatherCase.chain(([{ shape, axis }, is]) =>
        fc.tuple(fc.constant(axis), f32Arb(shape), indexArb(is, shape[axis]!), f32Arb([...shape.slice(0, axis), ...is, ...shape.slice(axis + 1)]))),
      ([axis, t, idx, u]) => gradCheck((b, [t, i, u]) => b.add('scatter_add', [t!, i!, u!], { axis }), [t, idx, u]),
    ));

  /** x's shape, an axis, and an index shape equal to x's except along the axis. */
  const alongCase = fc.tuple(shapeAxisArb, dim).map(([{ shape, axis }, m]) => ({ shape, axis, is: shape.map((d, i) => (i === axis ? m : d)) }));

  it(`${cover('take_along_axis')}`, () =>
    prop(
      alongCase.chain(({ shape, axis, is }) => fc.tuple(fc.constant(axis), f32Arb(shape), indexArb(is, shape[axis]!))),
      ([axis, x, idx]) => gradCheck((b, [x, i]) => b.add('take_along_axis', [x!, i!], { axis }), [x, idx]),
    ));

  it(`${cover('scatter_along_axis')}`, () =>
    prop(
      alongCase.chain(({ shape, axis, is }) => fc.tuple(fc.constant(axis), f32Arb(shape), indexArb(is, shape[axis]!), f32Arb(is))),
      ([axis, t, idx, u]) => gradCheck((b, [t, i, u]) => b.add('scatter_along_axis', [t!, i!, u!], { axis }), [t, idx, u]),
    ));
});

describe('vjp vs finite differences: compositions', () => {
  it('a 2-layer MLP with softmax cross-entropy written from primitives', () => {
    const [n, d, h, c] = [4, 3, 5, 3];
    prop(
      // noBias: fast-check's bias towards 0 and the bounds would put many ReLU inputs on the kink.
      fc.noBias(fc.tuple(f32Arb([n, d]), f32Arb([d, h], real(-1, 1)), f32Arb([h], real(-1, 1)), f32Arb([h, c], real(-1, 1)), f32Arb([c], real(-1, 1)),
        indexArb([n], c))),
      (args) =>
        gradCheck((b, [x, w1, b1, w2, b2, labels]) => {
          const pre = b.add('add', [b.add('matmul', [x!, w1!]), b.broadcast(b1!, [n, h])]);
          const logits = b.add('add', [b.add('matmul', [b.add('relu', [pre]), w2!]), b.broadcast(b2!, [n, c])]);
          const row = (v: number) => b.broadcast(b.add('reshape', [v], { shape: [n, 1] }), [n, c]);
          const z = b.add('sub', [logits, row(b.add('max', [logits], { axes: [1] }))]);
          const logp = b.add('sub', [z, row(b.add('log', [b.add('sum', [b.add('exp', [z])], { axes: [1] })]))]);
          const hot = b.add('cast', [b.add('eq', [b.add('iota', [], { dtype: 'i32', shape: [n, c], axis: 1 }), row(labels!)])], { dtype: 'f32' });
          const nll = b.add('neg', [b.add('sum', [b.add('mul', [logp, hot])], { axes: [0, 1] })]);
          // A ReLU input within 0.01 of its kink could cross it under the finite-difference step.
          return { out: b.add('div', [nll, b.scalar(n)]), away: [pre], margin: 0.01 };
        }, args),
      40,
    );
  });

  it('5 Newton–Schulz steps on a normalized 3×4 matrix', () => {
    const [a, bc, c] = [3.4445, -4.775, 2.0315];
    const nonzero = fc.noBias(f32Arb([3, 4], real(-1, 1))).filter((g) => Math.hypot(...g.values) > 0.5);
    prop(nonzero, (g) =>
      gradCheck((b, [g]) => {
        const k = (v: number, like: number) => b.broadcast(b.scalar(v), b.type(like).shape);
        const norm = b.add('sqrt', [b.add('sum', [b.add('mul', [g!, g!])], { axes: [0, 1] })]);
        let x = b.add('div', [g!, b.broadcast(norm, [3, 4])]);
        for (let step = 0; step < 5; step++) {
          const A = b.add('matmul', [x, b.add('transpose', [x], { perm: [1, 0] })]);
          const B = b.add('add', [b.add('mul', [k(bc, A), A]), b.add('mul', [k(c, A), b.add('matmul', [A, A])])]);
          x = b.add('add', [b.add('mul', [k(a, x), x]), b.add('matmul', [B, x])]);
        }
        return x;
      }, [g]),
      40,
    );
  });
});

describe('integer values stop gradients', () => {
  it("gather's index input gets no cotangent: vjp returns an i32 zero for it", () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [5, 3] }, 0, 'x');
    const idx = b.input({ dtype: 'i32', shape: [4] }, 1, 'idx');
    const y = b.add('gather', [x, idx], { axis: 0 });
    const loss = b.add('sum', [b.add('mul', [y, y])], { axes: [0, 1] });
    const [gx, gi] = vjp(b, loss, [x, idx]);
    const node = b.node(gi!);
    expect(node.op).toBe('const');
    expect(node.type).toEqual({ dtype: 'i32', shape: [4] });
    expect(node.attrs['value']).toBe(0);
    const [dx, di] = evaluate(b.graph('g', [gx!, gi!]), [tensor('f32', [5, 3], Array.from({ length: 15 }, (_, i) => i)), tensor('i32', [4], [4, 0, 4, 2])]);
    expect(Array.from(di!.data)).toEqual([0, 0, 0, 0]);
    // d/dx Σ gather(x)²: row 4 is picked twice, rows 0 and 2 once, rows 1 and 3 never.
    expect(Array.from(dx!.data)).toEqual([0, 2, 4, 0, 0, 0, 12, 14, 16, 0, 0, 0, 48, 52, 56]);
  });

  it('the index and mask operands of every rule get null', () => {
    const b = new Builder();
    const t = b.input({ dtype: 'f32', shape: [3, 2] }, 0, 't');
    const i1 = b.input({ dtype: 'i32', shape: [2] }, 1, 'i');
    const i2 = b.input({ dtype: 'i32', shape: [3, 2] }, 2, 'j');
    const m = b.input({ dtype: 'bool', shape: [3, 2] }, 3, 'm');
    const cases: readonly (readonly [PrimName, number[], number])[] = [
      ['gather', [t, i1], 1],
      ['scatter_add', [t, i1, b.add('gather', [t, i1], { axis: 0 })], 1],
      ['take_along_axis', [t, i2], 1],
      ['scatter_along_axis', [t, i2, t], 1],
      ['where', [m, t, t], 0],
    ];
    for (const [op, inputs, at] of cases) {
      const n = b.node(b.add(op, inputs, op === 'where' ? {} : { axis: 0 }));
      const cts = PRIMS[op].vjp!(b, n, b.constant(1, n.type));
      expect(cts[at], op).toBeNull();
    }
  });

  it('an index computed from f32 values (cast to i32) passes no gradient back to them', () =>
    prop(
      fc.tuple(f32Arb([4, 2]), valuesArb(3, real(0, 3.99))),
      ([x, pos]) =>
        gradCheck((b, [x, p]) => {
          const idx = b.add('cast', [b.add('floor', [p!])], { dtype: 'i32' });
          const frac = b.add('sub', [p!, b.add('floor', [p!])]);
          return { out: b.add('mul', [b.add('gather', [x!, idx], { axis: 0 }), b.broadcast(b.add('reshape', [p!], { shape: [3, 1] }), [3, 2])]), away: [frac, b.add('sub', [b.constant(1, b.type(frac)), frac])], margin: 0.01 };
        }, [x, f32([3], pos)]),
    ));

  it('a loss through topk_indices only via take_along_axis differentiates w.r.t. the values', () =>
    prop(
      fc.tuple(shapeArb(0, 1), dim, fc.nat()).chain(([lead, n, k]) =>
        fc.tuple(fc.constant(k % n + 1), distinctArb(size(lead) * n).map((v) => f32([...lead, n], v)))),
      ([k, x]) =>
        gradCheck((b, [x]) => {
          const axis = b.type(x!).shape.length - 1;
          return b.add('take_along_axis', [x!, b.add(cover('topk_indices'), [x!], { k })], { axis });
        }, [x]),
    ));

  it('a loss through argsort only via take_along_axis (a sort) differentiates w.r.t. the values', () =>
    prop(
      fc.tuple(shapeAxisArb, fc.boolean()).chain(([{ shape, axis }, descending]) =>
        fc.tuple(fc.constant(axis), fc.constant(descending), distinctArb(size(shape)).map((v) => f32(shape, v)))),
      ([axis, descending, x]) =>
        gradCheck((b, [x]) => {
          const sorted = b.add('take_along_axis', [x!, b.add(cover('argsort'), [x!], { axis, descending })], { axis });
          // Weight the sorted values by their own square so the gradient also depends on x.
          return b.add('mul', [sorted, sorted]);
        }, [x]),
    ));
});

describe('vjp of a value that does not depend on wrt', () => {
  it('returns zeros of the shape and dtype of each wrt value', () =>
    prop(fc.tuple(shapeArb(), shapeArb()), ([sx, sy]) => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: sx }, 0, 'x');
      const y = b.input({ dtype: 'f32', shape: sy }, 1, 'y');
      const k = b.input({ dtype: 'i32', shape: sx }, 2, 'k');
      // Depends on y only, and on x only through an integer value and stop_gradient.
      const sg = b.add('sum', [b.add('stop_gradient', [x])], { axes: allAxes(sx) });
      const viaInt = b.add('cast', [b.add('sum', [b.add('cast', [x], { dtype: 'i32' })], { axes: allAxes(sx) })], { dtype: 'f32' });
      const out = b.add('add', [b.add('add', [b.add('sum', [b.add('exp', [y])], { axes: allAxes(sy) }), sg]), viaInt]);
      const grads = vjp(b, out, [x, k]);
      const fill = (s: readonly number[], v: number) => Array.from({ length: size(s) }, () => v);
      const got = evaluate(b.graph('g', grads), [tensor('f32', sx, fill(sx, 1.5)), tensor('f32', sy, fill(sy, 0.5)), tensor('i32', sx, fill(sx, 3))]);
      expect(got.map((t) => ({ dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data) }))).toEqual([
        { dtype: 'f32', shape: sx, data: fill(sx, 0) },
        { dtype: 'i32', shape: sx, data: fill(sx, 0) },
      ]);
    }));
});

describe('the checker itself', () => {
  /** Runs `check` with PRIMS[op]'s rule replaced by `wrong`, restoring it afterwards. */
  function withRule(op: PrimName, wrong: NonNullable<Prim['vjp']>, check: () => void): void {
    const saved = PRIMS[op];
    PRIMS[op] = { ...saved, vjp: wrong };
    try {
      check();
    } finally {
      PRIMS[op] = saved;
    }
  }
  const mismatch = /finite differences/;

  it('catches wrong rules: a missing factor, a non-inverted perm, the wrong cumsum direction, a dropped broadcast sum', () => {
    withRule('exp', (_b, _n, ct) => [ct], () =>
      expect(() => gradCheck((b, [x]) => b.add('exp', [x!]), [f32([2], [0.5, -1])])).toThrow(mismatch));
    withRule('transpose', (b, n, ct) => [b.add('transpose', [ct], { perm: n.attrs['perm']! })], () =>
      expect(() => gradCheck((b, [x]) => b.add('transpose', [x!], { perm: [1, 2, 0] }), [f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])])).toThrow(mismatch));
    withRule('cumsum', (b, n, ct) => [b.add('cumsum', [ct], n.attrs)], () =>
      expect(() => gradCheck((b, [x]) => b.add('cumsum', [x!], { axis: 0 }), [f32([3], [1, 2, 3])])).toThrow(mismatch));
    withRule('broadcast', (b, n, ct) => [b.add('slice', [ct], { starts: n.type.shape.map(() => 0), ends: b.type(n.inputs[0]!).shape })], () =>
      expect(() => gradCheck((b, [x]) => b.add('broadcast', [x!], { shape: [3, 2] }), [f32([1, 2], [1, 2])])).toThrow(mismatch));
  });

  it('catches a gradient routed to the wrong element', () =>
    withRule('gather', (b, n, ct) => [b.add('scatter_add', [b.constant(0, b.type(n.inputs[0]!)), b.add('sub', [b.constant(2, b.type(n.inputs[1]!)), n.inputs[1]!]), ct], n.attrs), null], () =>
      expect(() => gradCheck((b, [x, i]) => b.add('gather', [x!, i!], { axis: 0 }), [f32([3], [1, 2, 3]), i32([2], [0, 0])])).toThrow(mismatch)));
});

describe('coverage', () => {
  it('every primitive with a VJP rule has a finite-difference test above', () => {
    const withVjp = (Object.keys(PRIMS) as PrimName[]).filter((op) => PRIMS[op].vjp !== undefined).sort();
    expect(withVjp.filter((op) => !covered.has(op))).toEqual([]);
  });
});
