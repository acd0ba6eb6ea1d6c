import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Builder, printGraph, showType, type DType, type Graph, type TType } from '../../compiler/ir/graph.ts';
import { PRIMS, type PrimName } from '../../compiler/ir/prims.ts';
import { vjp } from '../../compiler/transform/grad.ts';
import { algebra, cse, dce, foldConstants, passes, simplify } from '../../compiler/transform/simplify.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { size, tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';

const f32 = (...shape: number[]): TType => ({ dtype: 'f32', shape });
const i32 = (...shape: number[]): TType => ({ dtype: 'i32', shape });

/** The graph is well formed: unique ids, topological order, types that the primitive rules agree with. */
function expectValid(g: Graph): void {
  const types = new Map<number, TType>();
  for (const n of g.nodes) {
    expect(types.has(n.id), `duplicate %${n.id}`).toBe(false);
    const ins = n.inputs.map((i) => {
      const t = types.get(i);
      if (t === undefined) expect.fail(`%${n.id} uses %${i} before it is defined`);
      return t;
    });
    expect(showType(PRIMS[n.op].type(ins, n.attrs))).toBe(showType(n.type));
    types.set(n.id, n.type);
  }
  for (const i of g.inputs) expect(g.nodes.find((n) => n.id === i)?.op).toBe('input');
  for (const o of g.outputs) expect(types.has(o)).toBe(true);
}

/** Same signature and output types as `before`. */
function expectSameSignature(before: Graph, after: Graph): void {
  const sig = (g: Graph, ids: readonly number[]) => ids.map((id) => showType(g.nodes.find((n) => n.id === id)!.type));
  expect(sig(after, after.inputs)).toEqual(sig(before, before.inputs));
  expect(sig(after, after.outputs)).toEqual(sig(before, before.outputs));
}

/**
 * Tolerance of the before/after comparison: none (relative error bound 0). Folding reproduces the
 * interpreter's arithmetic step for step (float64, rounded once per op, sums of constants exact),
 * and no rewrite reorders float operations, so the outputs must be equal; NaN matches NaN.
 * With `bitExact` the sign of zero must match too (simplify with `signedZeros: true`); without it
 * +0 matches -0 (the default simplify may turn an IEEE +0 result back into the -0 it came from).
 */
const REL_TOL = 0;

function expectSameTensors(got: readonly Tensor[], want: readonly Tensor[], bitExact = false): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, k) => {
    const g = got[k]!;
    expect(g.dtype).toBe(w.dtype);
    expect([...g.shape]).toEqual([...w.shape]);
    for (let i = 0; i < w.data.length; i++) {
      const [a, b] = [g.data[i]!, w.data[i]!];
      const ok = bitExact ? Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))
        : a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= REL_TOL * Math.abs(b);
      if (!ok) expect.fail(`output ${k}, element ${i}: ${Object.is(a, -0) ? '-0' : a} after simplify, ${Object.is(b, -0) ? '-0' : b} before`);
    }
  });
}

describe('cse', () => {
  it('merges equal nodes, commutative operands and equal constants, but not inputs', () => {
    const b = new Builder();
    const x = b.input(f32(2), 0, 'x');
    const y = b.input(f32(2), 1, 'y');
    const z = b.input(f32(2), 2, 'z'); // same type as x: must stay a separate input
    const a1 = b.add('add', [x, y]);
    const a2 = b.add('add', [y, x]);
    const e1 = b.add('exp', [a1]);
    const e2 = b.add('exp', [a2]);
    const c1 = b.constant(2, f32(2));
    const c2 = b.constant(2, f32(2));
    const s1 = b.add('sub', [e1, c1]);
    const s2 = b.add('sub', [c2, e2]); // sub is not commutative
    const g = b.graph('cse', [b.add('mul', [s1, s2]), b.add('add', [x, z])]);
    expect(printGraph(g)).toMatchInlineSnapshot(`
      "graph cse(%0: f32[2], %1: f32[2], %2: f32[2]) {
        %3 = add(%0, %1) : f32[2]
        %4 = add(%1, %0) : f32[2]
        %5 = exp(%3) : f32[2]
        %6 = exp(%4) : f32[2]
        %7 = const(value=2) : f32[2]
        %8 = const(value=2) : f32[2]
        %9 = sub(%5, %7) : f32[2]
        %10 = sub(%8, %6) : f32[2]
        %11 = mul(%9, %10) : f32[2]
        %12 = add(%0, %2) : f32[2]
        return %11, %12
      }"
    `);
    const h = cse(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph cse(%0: f32[2], %1: f32[2], %2: f32[2]) {
        %3 = add(%0, %1) : f32[2]
        %4 = exp(%3) : f32[2]
        %5 = const(value=2) : f32[2]
        %6 = sub(%4, %5) : f32[2]
        %7 = sub(%5, %4) : f32[2]
        %8 = mul(%6, %7) : f32[2]
        %9 = add(%0, %2) : f32[2]
        return %8, %9
      }"
    `);
    expectValid(h);
  });

  it('keeps constants that differ only in the sign of zero, and merges NaN constants', () => {
    const b = new Builder();
    const z = b.scalar(0);
    const nz = b.scalar(-0);
    const n1 = b.scalar(NaN);
    const n2 = b.scalar(NaN);
    const g = b.graph('zeros', [z, nz, n1, n2]);
    const h = cse(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph zeros() {
        %0 = const(value=0) : f32[]
        %1 = const(value=-0) : f32[]
        %2 = const(value=NaN) : f32[]
        return %0, %1, %2, %2
      }"
    `);
    expect(h.outputs).toEqual([0, 1, 2, 2]);
  });

  it('merges random primitives on the same key (they are pure functions of it)', () => {
    const b = new Builder();
    const seed = b.input(i32(), 0, 'seed');
    const k1 = b.add('rand_key', [seed]);
    const k2 = b.add('rand_key', [seed]);
    const u1 = b.add('rand_uniform', [k1], { shape: [3] });
    const u2 = b.add('rand_uniform', [k2], { shape: [3] });
    const u3 = b.add('rand_uniform', [k2], { shape: [4] });
    const g = b.graph('rand', [u1, u2, u3]);
    const h = cse(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph rand(%0: i32[]) {
        %1 = rand_key(%0) : i32[2]
        %2 = rand_uniform(%1, shape=[3]) : f32[3]
        %3 = rand_uniform(%1, shape=[4]) : f32[4]
        return %2, %2, %3
      }"
    `);
    expectSameTensors(evaluate(h, [tensor('i32', [], [7])]), evaluate(g, [tensor('i32', [], [7])]));
  });
});

describe('foldConstants', () => {
  it('folds f32 arithmetic on constants, rounding to float32', () => {
    const b = new Builder();
    const x = b.input(f32(3), 0, 'x');
    const two = b.scalar(2);
    const three = b.scalar(3);
    const five = b.add('add', [two, three]);
    const tenth = b.add('div', [b.scalar(1), b.scalar(10)]);
    const sum = b.add('add', [tenth, b.scalar(0.2)]);
    const e = b.add('exp', [b.add('neg', [b.scalar(1)])]);
    const v = b.add('broadcast', [b.add('mul', [five, b.add('sqrt', [sum])])], { shape: [3] });
    const g = b.graph('fold', [b.add('add', [x, v]), e, b.add('reshape', [b.constant(4, f32(2, 3))], { shape: [3, 2] })]);
    expect(printGraph(g)).toMatchInlineSnapshot(`
      "graph fold(%0: f32[3]) {
        %1 = const(value=2) : f32[]
        %2 = const(value=3) : f32[]
        %3 = add(%1, %2) : f32[]
        %4 = const(value=1) : f32[]
        %5 = const(value=10) : f32[]
        %6 = div(%4, %5) : f32[]
        %7 = const(value=0.2) : f32[]
        %8 = add(%6, %7) : f32[]
        %9 = const(value=1) : f32[]
        %10 = neg(%9) : f32[]
        %11 = exp(%10) : f32[]
        %12 = sqrt(%8) : f32[]
        %13 = mul(%3, %12) : f32[]
        %14 = broadcast(%13, shape=[3]) : f32[3]
        %15 = add(%0, %14) : f32[3]
        %16 = const(value=4) : f32[2, 3]
        %17 = reshape(%16, shape=[3, 2]) : f32[3, 2]
        return %15, %11, %17
      }"
    `);
    const h = foldConstants(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph fold(%0: f32[3]) {
        %1 = const(value=2) : f32[]
        %2 = const(value=3) : f32[]
        %3 = const(value=5) : f32[]
        %4 = const(value=1) : f32[]
        %5 = const(value=10) : f32[]
        %6 = const(value=0.10000000149011612) : f32[]
        %7 = const(value=0.2) : f32[]
        %8 = const(value=0.30000001192092896) : f32[]
        %9 = const(value=1) : f32[]
        %10 = const(value=-1) : f32[]
        %11 = const(value=0.3678794503211975) : f32[]
        %12 = const(value=0.547722578048706) : f32[]
        %13 = const(value=2.7386128902435303) : f32[]
        %14 = const(value=2.7386128902435303) : f32[3]
        %15 = add(%0, %14) : f32[3]
        %16 = const(value=4) : f32[2, 3]
        %17 = const(value=4) : f32[3, 2]
        return %15, %11, %17
      }"
    `);
    expectValid(h);
    const xs = [tensor('f32', [3], [1, 2, 3])];
    expectSameTensors(evaluate(h, xs), evaluate(g, xs));
  });

  it('folds i32 with wrapping and floor division, and leaves division by zero to run time', () => {
    const b = new Builder();
    const k = (v: number) => b.scalar(v, 'i32');
    const outs = [
      b.add('div', [k(-7), k(2)]), // -4
      b.add('mod', [k(-7), k(2)]), // 1
      b.add('mod', [k(7), k(-2)]), // -1
      b.add('mul', [k(0x10000), k(0x10000)]), // wraps to 0
      b.add('add', [k(0x7fffffff), k(1)]), // wraps to -2^31
      b.add('neg', [k(-0x80000000)]), // wraps to -2^31
      b.add('pow', [k(3), k(4)]), // 81
      b.add('cast', [b.scalar(-2.75)], { dtype: 'i32' }), // -2 (toward zero)
      b.add('cast', [b.scalar(1e10)], { dtype: 'i32' }), // saturates
      b.add('cast', [b.scalar(NaN)], { dtype: 'bool' }), // NaN != 0
      b.add('lt', [k(-1), k(0)]),
    ];
    const g = b.graph('ints', outs);
    const h = foldConstants(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph ints() {
        %0 = const(value=-7) : i32[]
        %1 = const(value=2) : i32[]
        %2 = const(value=-4) : i32[]
        %3 = const(value=-7) : i32[]
        %4 = const(value=2) : i32[]
        %5 = const(value=1) : i32[]
        %6 = const(value=7) : i32[]
        %7 = const(value=-2) : i32[]
        %8 = const(value=-1) : i32[]
        %9 = const(value=65536) : i32[]
        %10 = const(value=65536) : i32[]
        %11 = const(value=0) : i32[]
        %12 = const(value=2147483647) : i32[]
        %13 = const(value=1) : i32[]
        %14 = const(value=-2147483648) : i32[]
        %15 = const(value=-2147483648) : i32[]
        %16 = const(value=-2147483648) : i32[]
        %17 = const(value=3) : i32[]
        %18 = const(value=4) : i32[]
        %19 = const(value=81) : i32[]
        %20 = const(value=-2.75) : f32[]
        %21 = const(value=-2) : i32[]
        %22 = const(value=10000000000) : f32[]
        %23 = const(value=2147483647) : i32[]
        %24 = const(value=NaN) : f32[]
        %25 = const(value=1) : bool[]
        %26 = const(value=-1) : i32[]
        %27 = const(value=0) : i32[]
        %28 = const(value=1) : bool[]
        return %2, %5, %8, %11, %14, %16, %19, %21, %23, %25, %28
      }"
    `);
    expectSameTensors(evaluate(h, []), evaluate(g, []));

    const c = new Builder();
    const bad = c.add('div', [c.scalar(1, 'i32'), c.scalar(0, 'i32')]);
    const exp = c.add('exp', [c.scalar(1, 'i32')]); // exp is f32-only: the interpreter throws
    const neg = c.add('pow', [c.scalar(2, 'i32'), c.scalar(-1, 'i32')]);
    const kept = foldConstants(c.graph('errors', [bad, exp, neg]));
    expect(kept.nodes.map((n) => n.op)).toEqual(['const', 'const', 'div', 'const', 'exp', 'const', 'const', 'pow']);
  });

  it('folds a sum of a constant exactly as the interpreter adds it', () => {
    const b = new Builder();
    const outs = [
      b.add('sum', [b.constant(0.1, f32(3, 7))], { axes: [0, 1] }),
      b.add('sum', [b.constant(-0, f32(4))], { axes: [0] }), // +0, as the running sum
      b.add('sum', [b.constant(5, i32(2, 0))], { axes: [1] }), // empty: 0
      b.add('sum', [b.constant(0x40000000, i32(4))], { axes: [0] }), // wraps
    ];
    const g = b.graph('sums', outs);
    const h = foldConstants(g);
    expect(h.nodes.every((n) => n.op === 'const')).toBe(true);
    const [got, want] = [evaluate(h, []), evaluate(g, [])];
    expectSameTensors(got, want);
    expect(Object.is(got[1]!.data[0], 0)).toBe(true);
  });
});

describe('algebra', () => {
  it('turns x ** 1 into x, x ** 2 into x·x, and where with a known condition into its branch', () => {
    const b = new Builder();
    const x = b.input(f32(3), 0, 'x');
    const y = b.input(f32(3), 1, 'y');
    const p1 = b.add('pow', [x, b.constant(1, f32(3))]);
    const p2 = b.add('pow', [y, b.broadcast(b.scalar(2), [3])]);
    const w = b.add('where', [b.constant(0, { dtype: 'bool', shape: [3] }), p1, p2]);
    const h = simplify(b.graph('rules', [p1, w]));
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph rules(%0: f32[3], %1: f32[3]) {
        %2 = mul(%1, %1) : f32[3]
        return %0, %2
      }"
    `);
    const inputs = [tensor('f32', [3], [1, -2, 3]), tensor('f32', [3], [0.5, -1, 4])];
    expect(evaluate(h, inputs).map((t) => [...t.data])).toEqual([[1, -2, 3], [0.25, 1, 16]]);
  });

  it('removes multiplications by 1 and additions of 0, but not multiplications by 0', () => {
    const b = new Builder();
    const x = b.input(f32(2, 3), 0, 'x');
    const y = b.input(f32(3), 1, 'y');
    const one = b.broadcast(b.scalar(1), [2, 3]);
    const zero = b.constant(0, f32(2, 3));
    const a = b.add('mul', [one, b.add('mul', [x, one])]);
    const c = b.add('sub', [b.add('add', [zero, b.add('add', [a, zero])]), zero]);
    const d = b.add('div', [c, one]);
    const e = b.add('mul', [d, zero]); // kept: NaN·0 is NaN
    const f = b.add('neg', [b.add('neg', [y])]);
    const g = b.graph('ident', [e, f]);
    expect(printGraph(g)).toMatchInlineSnapshot(`
      "graph ident(%0: f32[2, 3], %1: f32[3]) {
        %2 = const(value=1) : f32[]
        %3 = broadcast(%2, shape=[2, 3]) : f32[2, 3]
        %4 = const(value=0) : f32[2, 3]
        %5 = mul(%0, %3) : f32[2, 3]
        %6 = mul(%3, %5) : f32[2, 3]
        %7 = add(%6, %4) : f32[2, 3]
        %8 = add(%4, %7) : f32[2, 3]
        %9 = sub(%8, %4) : f32[2, 3]
        %10 = div(%9, %3) : f32[2, 3]
        %11 = mul(%10, %4) : f32[2, 3]
        %12 = neg(%1) : f32[3]
        %13 = neg(%12) : f32[3]
        return %11, %13
      }"
    `);
    const h = algebra(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph ident(%0: f32[2, 3], %1: f32[3]) {
        %2 = const(value=1) : f32[]
        %3 = broadcast(%2, shape=[2, 3]) : f32[2, 3]
        %4 = const(value=0) : f32[2, 3]
        %5 = mul(%0, %4) : f32[2, 3]
        %6 = neg(%1) : f32[3]
        return %5, %1
      }"
    `);
    expect(printGraph(dce(h))).toMatchInlineSnapshot(`
      "graph ident(%0: f32[2, 3], %1: f32[3]) {
        %2 = const(value=0) : f32[2, 3]
        %3 = mul(%0, %2) : f32[2, 3]
        return %3, %1
      }"
    `);
    const xs = [tensor('f32', [2, 3], [1, NaN, -0, Infinity, 2, 3]), tensor('f32', [3], [1, -0, NaN])];
    expectSameTensors(evaluate(h, xs), evaluate(g, xs));
  });

  it('composes transposes and reshapes and drops the ones that do nothing', () => {
    const b = new Builder();
    const x = b.input(f32(2, 3, 4), 0, 'x');
    const t1 = b.add('transpose', [x], { perm: [1, 2, 0] }); // [3, 4, 2]
    const t2 = b.add('transpose', [t1], { perm: [0, 2, 1] }); // [3, 2, 4]
    const t3 = b.add('transpose', [b.add('transpose', [x], { perm: [2, 0, 1] })], { perm: [1, 2, 0] }); // identity
    const t4 = b.add('transpose', [x], { perm: [0, 1, 2] });
    const r1 = b.add('reshape', [b.add('reshape', [x], { shape: [6, 4] })], { shape: [24] });
    const r2 = b.add('reshape', [b.add('reshape', [x], { shape: [24] })], { shape: [2, 3, 4] });
    const bc = b.add('broadcast', [b.add('broadcast', [x], { shape: [1, 2, 3, 4] })], { shape: [5, 2, 3, 4] });
    const same = b.add('broadcast', [x], { shape: [2, 3, 4] });
    const s = b.add('sum', [x], { axes: [] });
    const g = b.graph('layout', [t2, t3, t4, r1, r2, bc, same, s]);
    expect(printGraph(g)).toMatchInlineSnapshot(`
      "graph layout(%0: f32[2, 3, 4]) {
        %1 = transpose(%0, perm=[1, 2, 0]) : f32[3, 4, 2]
        %2 = transpose(%1, perm=[0, 2, 1]) : f32[3, 2, 4]
        %3 = transpose(%0, perm=[2, 0, 1]) : f32[4, 2, 3]
        %4 = transpose(%3, perm=[1, 2, 0]) : f32[2, 3, 4]
        %5 = transpose(%0, perm=[0, 1, 2]) : f32[2, 3, 4]
        %6 = reshape(%0, shape=[6, 4]) : f32[6, 4]
        %7 = reshape(%6, shape=[24]) : f32[24]
        %8 = reshape(%0, shape=[24]) : f32[24]
        %9 = reshape(%8, shape=[2, 3, 4]) : f32[2, 3, 4]
        %10 = broadcast(%0, shape=[1, 2, 3, 4]) : f32[1, 2, 3, 4]
        %11 = broadcast(%10, shape=[5, 2, 3, 4]) : f32[5, 2, 3, 4]
        %12 = broadcast(%0, shape=[2, 3, 4]) : f32[2, 3, 4]
        %13 = sum(%0, axes=[]) : f32[2, 3, 4]
        return %2, %4, %5, %7, %9, %11, %12, %13
      }"
    `);
    const h = dce(algebra(g));
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph layout(%0: f32[2, 3, 4]) {
        %1 = transpose(%0, perm=[1, 0, 2]) : f32[3, 2, 4]
        %2 = reshape(%0, shape=[24]) : f32[24]
        %3 = broadcast(%0, shape=[5, 2, 3, 4]) : f32[5, 2, 3, 4]
        return %1, %0, %0, %2, %0, %3, %0, %0
      }"
    `);
    const xs = [tensor('f32', [2, 3, 4], Array.from({ length: 24 }, (_, i) => i - 5))];
    expectSameTensors(evaluate(h, xs), evaluate(g, xs));
  });

  it('keeps the type of the node: no rewrite to a value of another shape or dtype', () => {
    const b = new Builder();
    const m = b.input(i32(2), 0, 'm');
    const bl = b.input({ dtype: 'bool', shape: [2] }, 1, 'b');
    const s = b.add('sum', [bl], { axes: [] }); // the interpreter sums bools into i32: kept
    const k = b.add('mul', [m, b.constant(1, i32(2))]); // i32 is fine
    const g = b.graph('types', [s, k]);
    const h = dce(algebra(g));
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph types(%0: i32[2], %1: bool[2]) {
        %2 = sum(%1, axes=[]) : bool[2]
        return %2, %0
      }"
    `);
  });
});

describe('signed zeros', () => {
  // x + 0 → x and sum(x, axes=[]) → x are exact except for x = -0, which the interpreter turns into
  // +0; the sign shows after 1/x. By default they are applied (as the brief and XLA do); with
  // signedZeros only the exact forms (x + (-0), x - 0) are.
  const build = (): Graph => {
    const b = new Builder();
    const x = b.input(f32(2), 0, 'x');
    const one = b.constant(1, f32(2));
    const inv = (v: number) => b.add('div', [one, v]);
    const outs = [
      inv(b.add('add', [x, b.constant(0, f32(2))])),
      inv(b.add('add', [b.constant(-0, f32(2)), x])),
      inv(b.add('sub', [x, b.constant(0, f32(2))])),
      inv(b.add('sub', [x, b.constant(-0, f32(2))])),
      inv(b.add('sum', [x], { axes: [] })),
    ];
    return b.graph('zeros', outs);
  };
  const xs = [tensor('f32', [2], [-0, 2])];

  it('by default drops every addition of a zero (1/(-0 + 0) = +∞ becomes 1/-0 = -∞)', () => {
    const g = build();
    const h = simplify(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph zeros(%0: f32[2]) {
        %1 = const(value=1) : f32[2]
        %2 = div(%1, %0) : f32[2]
        return %2, %2, %2, %2, %2
      }"
    `);
    const [got, want] = [evaluate(h, xs), evaluate(g, xs)];
    expect(Array.from(want, (t) => t.data[0])).toEqual([Infinity, -Infinity, -Infinity, Infinity, Infinity]);
    expect(Array.from(got, (t) => t.data[0])).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
  });

  it('with signedZeros keeps the sign of zero exactly', () => {
    const g = build();
    const h = simplify(g, { signedZeros: true });
    // %5 is the -0 constant; x - (-0) is kept, x + (-0) and x - 0 are dropped.
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph zeros(%0: f32[2]) {
        %1 = const(value=1) : f32[2]
        %2 = const(value=0) : f32[2]
        %3 = add(%0, %2) : f32[2]
        %4 = div(%1, %3) : f32[2]
        %5 = const(value=-0) : f32[2]
        %6 = div(%1, %0) : f32[2]
        %7 = sub(%0, %5) : f32[2]
        %8 = div(%1, %7) : f32[2]
        %9 = sum(%0, axes=[]) : f32[2]
        %10 = div(%1, %9) : f32[2]
        return %4, %6, %6, %8, %10
      }"
    `);
    expectSameTensors(evaluate(h, xs), evaluate(g, xs), true);
  });

  it('i32 has one zero: every form is dropped in either mode', () => {
    const b = new Builder();
    const x = b.input(i32(2), 0, 'x');
    const z = b.constant(0, i32(2));
    const g = b.graph('ints', [b.add('add', [x, z]), b.add('sub', [x, z]), b.add('sum', [x], { axes: [] })]);
    expect(printGraph(simplify(g, { signedZeros: true }))).toMatchInlineSnapshot(`
      "graph ints(%0: i32[2]) {
        return %0, %0, %0
      }"
    `);
  });
});

describe('dce', () => {
  it('drops what no output uses and keeps every input', () => {
    const b = new Builder();
    const x = b.input(f32(2), 0, 'x');
    b.input(f32(2), 1, 'unused');
    const dead = b.add('exp', [x]);
    b.add('log', [dead]);
    const live = b.add('neg', [x]);
    const g = b.graph('dce', [live]);
    const h = dce(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph dce(%0: f32[2], %1: f32[2]) {
        %2 = neg(%0) : f32[2]
        return %2
      }"
    `);
    expect(h.inputs).toHaveLength(2);
  });
});

describe('simplify', () => {
  it('cleans up the gradient of a small loss', () => {
    // Built by autodiff (grad.ts, owned elsewhere): checked by meaning, not by an exact print.
    const b = new Builder();
    const w = b.input(f32(3, 2), 0, 'w');
    const x = b.input(f32(4, 3), 1, 'x');
    const y = b.add('matmul', [x, w]);
    const loss = b.add('sum', [b.add('mul', [y, y])], { axes: [0, 1] });
    const [dw] = vjp(b, loss, [w]);
    const g = b.graph('grad', [loss, dw!]);
    const h = simplify(g);
    expectValid(h);
    expectSameSignature(g, h);
    expect(h.nodes.length).toBeLessThan(g.nodes.length);
    // The seed (ones) and everything built from it fold away: dw = xᵀ·(y + y) has no constant left.
    expect(g.nodes.some((n) => n.op === 'const')).toBe(true);
    expect(h.nodes.filter((n) => n.op === 'const')).toEqual([]);
    expect(h.nodes.filter((n) => n.op === 'matmul')).toHaveLength(2); // y and dw; dx is dead
    const xs = [tensor('f32', [3, 2], [1, -2, 0.5, 3, -1, 2]), tensor('f32', [4, 3], Array.from({ length: 12 }, (_, i) => i / 4 - 1))];
    expectSameTensors(evaluate(h, xs), evaluate(g, xs), true);
  });

  it('reaches a fixed point across passes (folding exposes identities, identities expose duplicates)', () => {
    const b = new Builder();
    const x = b.input(f32(2, 2), 0, 'x');
    const one = b.add('broadcast', [b.add('sub', [b.scalar(3), b.scalar(2)])], { shape: [2, 2] });
    const a = b.add('exp', [b.add('mul', [x, one])]);
    const c = b.add('exp', [b.add('transpose', [b.add('transpose', [x], { perm: [1, 0] })], { perm: [1, 0] })]);
    const g = b.graph('fix', [b.add('add', [a, c])]);
    const h = simplify(g);
    expect(printGraph(h)).toMatchInlineSnapshot(`
      "graph fix(%0: f32[2, 2]) {
        %1 = exp(%0) : f32[2, 2]
        %2 = add(%1, %1) : f32[2, 2]
        return %2
      }"
    `);
    expect(printGraph(simplify(h))).toBe(printGraph(h));
  });

  it('returns a graph of only inputs and outputs when an input is returned as is', () => {
    const b = new Builder();
    const x = b.input(f32(), 0, 'x');
    const g = b.graph('id', [x, b.add('neg', [b.add('neg', [x])])]);
    expect(printGraph(simplify(g))).toMatchInlineSnapshot(`
      "graph id(%0: f32[]) {
        return %0, %0
      }"
    `);
  });
});

// ---- property: random graphs evaluate the same before and after simplify ----

type Step =
  | { k: 'const'; a: number; v: number; bcast: boolean }
  | { k: 'un'; a: number; op: number }
  | { k: 'bin'; a: number; b: number; op: number; flip: boolean }
  | { k: 'where'; a: number; b: number; op: number }
  | { k: 'bcast'; a: number; mode: number; d: number }
  | { k: 'transpose'; a: number; seed: number[]; undo: boolean }
  | { k: 'reshape'; a: number; mode: number }
  | { k: 'sum'; a: number; mask: number }
  | { k: 'matmul'; a: number; b: number }
  | { k: 'cast'; a: number }
  | { k: 'dup'; a: number };

/** The ops that turn the sign of a zero into a different magnitude (1/±0 = ±∞): rsqrt, div, pow. */
const SIGN_REVEALING: ReadonlySet<PrimName> = new Set<PrimName>(['rsqrt', 'div', 'pow']);
const UN_F32: readonly PrimName[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'abs', 'relu', 'floor', 'sign'];
const UN_I32: readonly PrimName[] = ['neg', 'abs', 'relu', 'sign'];
const BIN_F32: readonly PrimName[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'mod'];
const BIN_I32: readonly PrimName[] = ['add', 'sub', 'mul', 'maximum', 'minimum'];
const CMP: readonly PrimName[] = ['lt', 'eq', 'ge', 'ne'];
const CONSTS = [0, 1, 1, 0, -0, 2, -1, 0.5, 3];
const VALUES = [-2, -1, -0.5, -0, 0, 0.5, 1, 2, 3, NaN, Infinity];
const MAX_SIZE = 48;

/** An operand choice: half the time the latest value (to build chains), else any earlier one. */
const LATEST = -1;
const idx = fc.oneof(fc.nat(1000), fc.constant(LATEST));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('const' as const), a: idx, v: fc.constantFrom(...CONSTS), bcast: fc.boolean() }),
  fc.record({ k: fc.constant('un' as const), a: idx, op: idx }),
  fc.record({ k: fc.constant('bin' as const), a: idx, b: idx, op: idx, flip: fc.boolean() }),
  fc.record({ k: fc.constant('bin' as const), a: idx, b: idx, op: idx, flip: fc.boolean() }),
  fc.record({ k: fc.constant('where' as const), a: idx, b: idx, op: idx }),
  fc.record({ k: fc.constant('bcast' as const), a: idx, mode: fc.nat(2), d: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('transpose' as const), a: idx, seed: fc.array(fc.nat(99), { minLength: 4, maxLength: 4 }), undo: fc.boolean() }),
  fc.record({ k: fc.constant('reshape' as const), a: idx, mode: fc.nat(3) }),
  fc.record({ k: fc.constant('sum' as const), a: idx, mask: fc.nat(15) }),
  fc.record({ k: fc.constant('matmul' as const), a: idx, b: idx }),
  fc.record({ k: fc.constant('cast' as const), a: idx }),
  fc.record({ k: fc.constant('dup' as const), a: idx }),
);

interface Case {
  readonly inputs: readonly TType[];
  readonly steps: readonly Step[];
  readonly outs: readonly number[];
  readonly data: readonly number[];
}

const typeArb: fc.Arbitrary<TType> = fc.record({
  dtype: fc.constantFrom<DType>('f32', 'f32', 'f32', 'i32'),
  shape: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
});

const caseArb: fc.Arbitrary<Case> = fc.record({
  inputs: fc.array(typeArb, { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30 }),
  outs: fc.array(idx, { minLength: 1, maxLength: 3 }),
  data: fc.array(fc.constantFrom(...VALUES), { minLength: 64, maxLength: 64 }),
});

/** Element i (modulo the length), or the last one for LATEST; undefined for an empty list. */
const choose = <T,>(xs: readonly T[], i: number): T | undefined => (i === LATEST ? xs[xs.length - 1] : xs[i % xs.length]);

/** Builds the graph a case describes; every step makes a well-typed node (adapting its operands). */
function buildCase(c: Case, signRevealing = true): Graph {
  const allowed = (ops: readonly PrimName[]) => (signRevealing ? ops : ops.filter((op) => !SIGN_REVEALING.has(op)));
  const b = new Builder();
  const vals: number[] = c.inputs.map((t, i) => b.input(t, i, `x${i}`));
  const pick = (i: number): number => choose(vals, i)!;
  const ty = (id: number): TType => b.type(id);
  const sameAs = (id: number): number[] => vals.filter((v) => showType(ty(v)) === showType(ty(id)));
  const numeric = (id: number): number => (ty(id).dtype === 'bool' ? b.add('cast', [id], { dtype: 'f32' }) : id);
  const transposeLast = (id: number): number => {
    const r = ty(id).shape.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return b.add('transpose', [id], { perm });
  };
  for (const s of c.steps) {
    const a = pick(s.a);
    const t = ty(a);
    const r = t.shape.length;
    const n = size(t.shape);
    let out: number;
    switch (s.k) {
      case 'const': {
        const dtype = t.dtype === 'bool' ? 'f32' : t.dtype;
        out = s.bcast ? b.add('broadcast', [b.scalar(s.v, dtype)], { shape: t.shape }) : b.constant(s.v, { dtype, shape: t.shape });
        break;
      }
      case 'un': {
        const x = numeric(a);
        const ops = allowed(ty(x).dtype === 'f32' ? UN_F32 : UN_I32);
        out = b.add(choose(ops, s.op)!, [x]);
        break;
      }
      case 'bin': {
        const x = numeric(a);
        const ys = sameAs(x);
        const y = choose(ys, s.b) ?? x;
        const ops = allowed(ty(x).dtype === 'f32' ? BIN_F32 : BIN_I32);
        out = b.add(choose(ops, s.op)!, s.flip ? [y, x] : [x, y]);
        break;
      }
      case 'where': {
        const x = numeric(a);
        const ys = sameAs(x);
        const y = choose(ys, s.b) ?? x;
        out = b.add('where', [b.add(choose(CMP, s.op)!, [x, y]), x, y]);
        break;
      }
      case 'bcast': {
        // 0: to its own shape (an explicit no-op node); 1: a new leading axis; 2: size-1 axes widened.
        const shape = s.mode === 0 || n * s.d > MAX_SIZE || r >= 4 ? t.shape
          : s.mode === 1 || !t.shape.includes(1) ? [s.d, ...t.shape] : t.shape.map((d) => (d === 1 ? s.d : d));
        out = b.add('broadcast', [a], { shape });
        break;
      }
      case 'transpose': {
        const inner = b.node(a);
        const p = inner.op === 'transpose' && s.undo ? (inner.attrs['perm'] as readonly number[]) : undefined;
        const perm = p !== undefined ? p.map((_, i) => p.indexOf(i)) : [...Array(r).keys()].sort((i, j) => s.seed[i]! - s.seed[j]! || i - j);
        out = b.add('transpose', [a], { perm });
        break;
      }
      case 'reshape': {
        const shapes = [t.shape, [n], r < 4 ? [1, ...t.shape] : t.shape, t.shape.filter((d) => d !== 1)];
        out = b.add('reshape', [a], { shape: shapes[s.mode]! });
        break;
      }
      case 'sum':
        out = b.add('sum', [a], { axes: [...Array(r).keys()].filter((i) => (s.mask >> i) & 1) });
        break;
      case 'matmul': {
        let x = numeric(a);
        if (r < 2) x = b.add('reshape', [x], { shape: [1, n] });
        const xs = ty(x).shape;
        const fits = vals.filter((v) => {
          const u = ty(v);
          return u.dtype === ty(x).dtype && u.shape.length === xs.length && u.shape[xs.length - 2] === xs[xs.length - 1]
            && xs.slice(0, -2).every((d, i) => d === u.shape[i]) && size(u.shape) * xs[xs.length - 2]! <= MAX_SIZE * 4;
        });
        out = b.add('matmul', [x, choose([...fits, undefined], s.b) ?? transposeLast(x)]);
        break;
      }
      case 'cast':
        out = b.add('cast', [a], { dtype: t.dtype === 'f32' ? 'i32' : 'f32' });
        break;
      case 'dup': {
        // The node again, on the same inputs, combined with the original so both stay live.
        const node = b.node(a);
        const copy = node.op === 'input' ? a : b.copy(node, node.inputs);
        out = t.dtype === 'bool' ? copy : b.add('add', [copy, a]);
        break;
      }
    }
    vals.push(out);
  }
  return b.graph('random', [...c.outs.map(pick), vals[vals.length - 1]!]);
}

function inputsFor(g: Graph, data: readonly number[]): Tensor[] {
  let at = 0;
  return g.inputs.map((id) => {
    const t = g.nodes.find((n) => n.id === id)!.type;
    const vs = Array.from({ length: size(t.shape) }, () => data[at++ % data.length]!);
    // i32 inputs: small integers (NaN and ∞ become 0 and 4).
    return tensor(t.dtype, t.shape, t.dtype === 'i32' ? vs.map((v) => (Number.isNaN(v) ? 0 : Number.isFinite(v) ? Math.trunc(v) : 4)) : vs);
  });
}

describe('simplify on random graphs', () => {
  // Two modes. With signedZeros every rewrite is bit-exact, so graphs use every op and the outputs
  // must match bit for bit. By default x + 0 → x may keep a -0 that the addition made +0, so the
  // outputs match under === (NaN = NaN) on graphs without rsqrt, div and pow, the only ops here
  // that turn the sign of a zero into a different magnitude.
  const modes = [
    { name: 'signedZeros: bit-exact on all ops', options: { signedZeros: true }, signRevealing: true },
    { name: 'default: equal (±0 alike) without rsqrt/div/pow', options: {}, signRevealing: false },
  ];
  for (const { name, options, signRevealing } of modes) {
    it(`computes the same outputs with no more nodes, and is idempotent (${name})`, () => {
      let shrunk = 0;
      fc.assert(
        fc.property(caseArb, (c) => {
          const g = buildCase(c, signRevealing);
          const h = simplify(g, options);
          expectValid(h);
          expectSameSignature(g, h);
          expect(h.nodes.length).toBeLessThanOrEqual(g.nodes.length);
          if (h.nodes.length < g.nodes.length) shrunk++;
          const xs = inputsFor(g, c.data);
          expectSameTensors(evaluate(h, xs), evaluate(g, xs), signRevealing);
          expect(printGraph(simplify(h, options))).toBe(printGraph(h));
        }),
        { numRuns: 1000 },
      );
      expect(shrunk).toBeGreaterThan(300); // the generator does exercise the passes
    });
  }

  it('each pass alone preserves the outputs bit for bit, and each one fires on a good share of the graphs', () => {
    const runs = 200;
    const [cseP, foldP, algebraP, dceP] = passes({ signedZeros: true });
    // How many of the 200 graphs each pass must change (measured: roughly 2-3 times these).
    const checks = [
      { name: 'cse', pass: cseP!, min: 12 },
      { name: 'foldConstants', pass: foldP!, min: 15 },
      { name: 'algebra', pass: algebraP!, min: 40 },
      { name: 'dce', pass: dceP!, min: 60 },
    ];
    for (const { name, pass, min } of checks) {
      let fired = 0;
      fc.assert(
        fc.property(caseArb, (c) => {
          const g = buildCase(c);
          const h = pass(g);
          expectValid(h);
          expectSameSignature(g, h);
          expect(h.nodes.length).toBeLessThanOrEqual(g.nodes.length);
          if (name === 'dce' ? h.nodes.length < g.nodes.length : printGraph(dce(h)) !== printGraph(dce(g))) fired++;
          const xs = inputsFor(g, c.data);
          expectSameTensors(evaluate(h, xs), evaluate(g, xs), true);
        }),
        { numRuns: runs },
      );
      expect(fired, name).toBeGreaterThanOrEqual(min);
    }
  });
});
