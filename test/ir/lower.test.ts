// Lowering (.mu → tensor IR, compiler/ir/lower.ts and lower_builtins.ts), seen from the API:
// inline snapshots of the simplified IR of small functions (`program.ir`), and values computed
// through `program.call` compared with results worked out by hand.
import { describe, expect, it } from 'vitest';
import { compile, type Tensor, type Value } from '../../runtime/program.ts';
import { tensor } from '../../runtime/interp/ops/tensor.ts';
import { expectAllclose } from '../../testing.ts';

const f32 = (shape: readonly number[], values: readonly number[]): Tensor => tensor('f32', shape, values);
const i32 = (shape: readonly number[], values: readonly number[]): Tensor => tensor('i32', shape, values);

/** A tensor result as [dtype, shape, values]. */
function t(v: Value): [string, readonly number[], number[]] {
  const x = v as Tensor;
  return [x.dtype, x.shape, Array.from(x.data)];
}

/** f32 values within 5e-7 + 5e-7·|want| of the expected ones (never looser than 1e-6·max(1, |want|)). */
function near(v: Value, shape: readonly number[], want: readonly number[]): void {
  expect(t(v)[0]).toBe('f32');
  expectAllclose(v, { dtype: 'f32', shape, data: Float64Array.from(want) }, { rtol: 5e-7, atol: 5e-7 });
}

// ---- IR snapshots ----

describe('the IR of small functions (after simplification)', () => {
  const program = compile(`
    fn affine[b, n](x: f32[b, n], c: f32[n]) -> f32[b, n] = x * 2.0 + c
    fn center[b, n](x: f32[b, n]) -> f32[b, n] = x - mean(x, axis = -1, keepdims = true)
    fn vecmat[k, n](v: f32[k], m: f32[k, n]) -> f32[n] = v @ m
    fn three(x: f32[2]) -> f32[2] = loop y = x for i in 0..3 do y * 2.0 + f32(i)
    fn pick[m, n](x: f32[m, n]) -> f32 = if m > n then sum(x) else max(x)
    fn sq(x: f32[3]) -> f32 = sum(x * x)
    fn dsq(x: f32[3]) -> f32[3] = grad(sq)(x)
    fn th(x: f32[3]) -> f32 = sum(tanh(x))
    fn vg(x: f32[3]) -> (f32, f32[3]) = value_and_grad(th)(x)
  `, { file: 'snap.mu' });

  it('elementwise with a broadcast bias', () => {
    expect(program.ir('affine', f32([2, 3], [0, 0, 0, 0, 0, 0]), f32([3], [0, 0, 0]))).toMatchInlineSnapshot(`
      "graph affine(%0: f32[2, 3], %1: f32[3]) {
        %2 = const(value=2) : f32[2, 3]
        %3 = mul(%0, %2) : f32[2, 3]
        %4 = broadcast(%1, shape=[2, 3]) : f32[2, 3]
        %5 = add(%3, %4) : f32[2, 3]
        return %5
      }"
    `);
  });

  it('a reduction with keepdims (mean, re-broadcast)', () => {
    expect(program.ir('center', f32([2, 4], Array(8).fill(0)))).toMatchInlineSnapshot(`
      "graph center(%0: f32[2, 4]) {
        %1 = sum(%0, axes=[1]) : f32[2]
        %2 = reshape(%1, shape=[2, 1]) : f32[2, 1]
        %3 = const(value=0.25) : f32[2, 1]
        %4 = mul(%2, %3) : f32[2, 1]
        %5 = broadcast(%4, shape=[2, 4]) : f32[2, 4]
        %6 = sub(%0, %5) : f32[2, 4]
        return %6
      }"
    `);
  });

  it('a vector times a matrix: the vector becomes a one-row matrix and the row axis is dropped', () => {
    expect(program.ir('vecmat', f32([2], [0, 0]), f32([2, 3], Array(6).fill(0)))).toMatchInlineSnapshot(`
      "graph vecmat(%0: f32[2], %1: f32[2, 3]) {
        %2 = reshape(%0, shape=[1, 2]) : f32[1, 2]
        %3 = matmul(%2, %1) : f32[1, 3]
        %4 = reshape(%3, shape=[3]) : f32[3]
        return %4
      }"
    `);
  });

  it('a loop of 3 steps is unrolled', () => {
    expect(program.ir('three', f32([2], [0, 0]))).toMatchInlineSnapshot(`
      "graph three(%0: f32[2]) {
        %1 = const(value=2) : f32[2]
        %2 = mul(%0, %1) : f32[2]
        %3 = mul(%2, %1) : f32[2]
        %4 = const(value=1) : f32[2]
        %5 = add(%3, %4) : f32[2]
        %6 = mul(%5, %1) : f32[2]
        %7 = add(%6, %1) : f32[2]
        return %7
      }"
    `);
  });

  it('an if on a size comparison keeps one branch', () => {
    expect(program.ir('pick', f32([3, 2], Array(6).fill(0)))).toMatchInlineSnapshot(`
      "graph pick(%0: f32[3, 2]) {
        %1 = sum(%0, axes=[0, 1]) : f32[]
        return %1
      }"
    `);
    expect(program.ir('pick', f32([2, 3], Array(6).fill(0)))).toMatchInlineSnapshot(`
      "graph pick(%0: f32[2, 3]) {
        %1 = max(%0, axes=[0, 1]) : f32[]
        return %1
      }"
    `);
  });

  it('grad of sum(x * x) simplifies to x + x', () => {
    expect(program.ir('dsq', f32([3], [0, 0, 0]))).toMatchInlineSnapshot(`
      "graph dsq(%0: f32[3]) {
        %1 = add(%0, %0) : f32[3]
        return %1
      }"
    `);
  });

  it('value_and_grad of sum(tanh(x))', () => {
    expect(program.ir('vg', f32([3], [0, 0, 0]))).toMatchInlineSnapshot(`
      "graph vg(%0: f32[3]) {
        %1 = tanh(%0) : f32[3]
        %2 = sum(%1, axes=[0]) : f32[]
        %3 = const(value=1) : f32[3]
        %4 = mul(%1, %1) : f32[3]
        %5 = sub(%3, %4) : f32[3]
        return %2, %5
      }"
    `);
  });
});

// ---- values ----

describe('values through program.call', () => {
  const program = compile(`
    fn row(x: f32[4, 5]) -> f32[5] = x[1]
    fn cols(x: f32[4, 5]) -> f32[4, 2] = x[:, 1:3]
    fn last(x: f32[4, 5]) -> f32[5] = x[-1]
    fn at(x: f32[4, 5], i: i32) -> f32[5] = x[i]
    fn elem(x: f32[4, 5]) -> f32 = x[2, -2]
    fn mixed(x: f32[4, 5], i: i32) -> f32[2] = x[i, 1:3]
    fn inner(x: f32[4, 5]) -> f32[2] = x[1:-1, 0]
    fn known_index(x: f32[4]) -> f32 = let k = 2 in x[k - 3]

    fn bump(p: { w: f32[2], b: f32 }) -> { w: f32[2], b: f32 } = { p with b: p.b + 1.0 }
    fn build(x: f32) -> { w: f32[2], b: f32 } = { b: x, w: [x, 2.0 * x] }
    fn pats(x: f32) -> (f32, (f32, i32)) = let ((a, b), (c, _)) = ((x, 2.0 * x), (3.0, 4)) in (a + b + c, (b, 7))
    fn swap(p: (f32, i32)) -> (i32, f32) = let (a, b) = p in (b, a)
    fn sgd(p: { w: f32[2], b: f32 }, g: { w: f32[2], b: f32 }, lr: f32) -> { w: f32[2], b: f32 } =
      tree.map(fn(w, d) = w - lr * d, p, g)
    fn halve[n](x: f32[n]) -> f32[n] = x * 0.5
    fn halve_all(p: { a: f32[2], b: f32[3] }) -> { a: f32[2], b: f32[3] } = tree.map(halve, p)
    fn zero_all(p: ({ a: f32[2] }, f32)) -> ({ a: f32[2] }, f32) = tree.map(zeros_like, p)

    fn cat(x: f32[2], y: f32[3]) -> f32[5] = concat((x, y))
    fn cat1(x: f32[2, 1], y: f32[2, 2]) -> f32[2, 3] = concat((x, y), axis = 1)
    fn stk(x: f32[2], y: f32[2]) -> f32[2, 2] = stack((x, y))
    fn stk1(x: f32[2], y: f32[2]) -> f32[2, 2] = stack((x, y), axis = 1)
    fn pd(x: f32[2]) -> f32[5] = pad(x, 1, 2)
    fn pd2(x: f32[2, 2]) -> f32[2, 3] = pad(x, 0, 1, axis = 1, value = -1.0)
    fn pd0(x: f32[2, 2]) -> f32[3, 2] = pad(x, 1, 0, axis = 0)
    fn rs(x: f32[2, 3]) -> f32[3, 2] = reshape(x, [3, 2])
    fn flat[m, n](x: f32[m, n]) -> f32[n * m] = reshape(x, [m * n])

    fn relu_by_where(x: f32[3]) -> f32[3] = where(x > 0.0, x, 0.0)
    fn pick_rows(c: bool[2], x: f32[2, 2], y: f32[2]) -> f32[2, 2] = where(expand_dims(c, 1), x, y)
    fn oh(i: i32[3]) -> f32[3, 4] = one_hot(i, 4)
    fn tk(x: f32[5]) -> (f32[2], i32[2]) = topk(x, 2)
    fn tk2(x: f32[2, 3]) -> (f32[2, 1], i32[2, 1]) = topk(x, 1)
    fn asc(x: f32[4]) -> i32[4] = argsort(x)
    fn desc(x: f32[4]) -> i32[4] = argsort(x, descending = true)
    fn srt(x: f32[4]) -> f32[4] = sort(x, descending = true)
    fn cs(x: f32[2, 3]) -> f32[2, 3] = cumsum(x)
    fn cs0(x: f32[2, 3]) -> f32[2, 3] = cumsum(x, axis = 0)
    fn mean_rows(x: f32[2, 3]) -> f32[2] = mean(x, axis = -1)
    fn mean_all(x: f32[2, 3]) -> f32 = mean(x)
    fn mean_keep(x: f32[2, 3]) -> f32[1, 3] = mean(x, axis = 0, keepdims = true)
    fn lse(x: f32[3]) -> f32 = logsumexp(x)
    fn lse_rows(x: f32[2, 2]) -> f32[2] = logsumexp(x, axis = 1)
    fn sm(x: f32[2]) -> f32[2] = softmax(x)
    fn sm0(x: f32[2, 2]) -> f32[2, 2] = softmax(x, axis = 0)

    fn fill[n](x: f32) -> f32[n] = zeros([n]) + x
    fn three_of(x: f32) -> f32[3] = fill(x, n = 3)
    fn grow[m](x: f32[m]) -> f32[m + 1] = concat((x, fill(1.0, n = 1)))
    fn scale(x: f32, by: f32 = 2.0, bias = 0.5) -> f32 = x * by + bias
    fn scale_default(x: f32) -> f32 = scale(x)
    fn scale_pos(x: f32) -> f32 = scale(x, 3.0)
    fn scale_kw(x: f32) -> f32 = scale(x, bias = 1.0)
    fn steps(x: f32, k = 3) -> f32 = loop y = x for _ in 0..k do y * 2.0
    fn steps_default(x: f32) -> f32 = steps(x)
    fn steps_two(x: f32) -> f32 = steps(x, k = 2)

    fn half() -> i32 = 7 / 2
    fn neg_half() -> i32 = -7 / 2
    fn int_mix() -> i32 = 7 % 3 - 2 * 3 + (-7) / 2
    fn int_ops(i: i32) -> i32 = i / 2 + i % 3
    fn static_half(x: f32[5]) -> f32 = x[7 / 2]
    fn fib(n: i32) -> i32 = let (a, _) = loop (a, b) = (0, 1) for _ in 0..n do (b, a + b) in a
    fn fib10() -> i32 = fib(10)

    fn noise() -> f32[2, 2] = rand.normal(rand.key(0), [2, 2])
  `, { file: 'values.mu' });

  const x45 = f32([4, 5], Array.from({ length: 20 }, (_, k) => k)); // x[r, c] = 5r + c
  const call = (name: string, ...args: Value[]): Promise<Value> => program.call(name, ...args);

  it('indexing and slicing: x[1], x[:, 1:3], x[-1], x[2, -2], x[1:-1, 0]', async () => {
    expect(t(await call('row', x45))).toEqual(['f32', [5], [5, 6, 7, 8, 9]]);
    expect(t(await call('cols', x45))).toEqual(['f32', [4, 2], [1, 2, 6, 7, 11, 12, 16, 17]]);
    expect(t(await call('last', x45))).toEqual(['f32', [5], [15, 16, 17, 18, 19]]);
    expect(t(await call('elem', x45))).toEqual(['f32', [], [13]]);
    expect(t(await call('inner', x45))).toEqual(['f32', [2], [5, 10]]);
    expect(t(await call('known_index', f32([4], [1, 2, 3, 4])))).toEqual(['f32', [], [4]]);
  });

  it('a dynamic index x[i] with an i32 argument', async () => {
    expect(t(await call('at', x45, 2))).toEqual(['f32', [5], [10, 11, 12, 13, 14]]);
    expect(t(await call('at', x45, i32([], [0])))).toEqual(['f32', [5], [0, 1, 2, 3, 4]]);
    expect(t(await call('mixed', x45, 3))).toEqual(['f32', [2], [16, 17]]);
    await expect(call('at', x45, 4)).rejects.toThrow(/out of range/);
  });

  it('records and { r with f: … }', async () => {
    const r = (await call('bump', { w: f32([2], [1, 2]), b: 0.5 })) as Record<string, Value>;
    expect(t(r['w'])).toEqual(['f32', [2], [1, 2]]);
    expect(t(r['b'])).toEqual(['f32', [], [1.5]]);
    const b = (await call('build', 1.5)) as Record<string, Value>;
    expect(Object.keys(b).sort()).toEqual(['b', 'w']);
    expect(t(b['w'])).toEqual(['f32', [2], [1.5, 3]]);
    expect(t(b['b'])).toEqual(['f32', [], [1.5]]);
  });

  it('tuples and patterns', async () => {
    // a = 2, b = 4, c = 3: (a + b + c, (b, 7))
    const [s, [b, seven]] = (await call('pats', 2)) as [Value, [Value, Value]];
    expect(t(s)).toEqual(['f32', [], [9]]);
    expect(t(b)).toEqual(['f32', [], [4]]);
    expect(t(seven)).toEqual(['i32', [], [7]]);
    const [i, x] = (await call('swap', [1.25, 3])) as [Value, Value];
    expect(t(i)).toEqual(['i32', [], [3]]);
    expect(t(x)).toEqual(['f32', [], [1.25]]);
  });

  it('tree.map with a lambda, a function name and a builtin', async () => {
    const p = { w: f32([2], [1, 2]), b: 0.5 };
    const g = { w: f32([2], [10, 20]), b: 1 };
    const r = (await call('sgd', p, g, 0.1)) as Record<string, Value>;
    // w − 0.1·g in float32: 1 − 0.1·10 and 2 − 0.1·20 round to 0 (0.1f·10 = 1.0000000149 → 1f).
    expect(t(r['w'])).toEqual(['f32', [2], [0, 0]]);
    expect(t(r['b'])).toEqual(['f32', [], [Math.fround(0.5 - Math.fround(0.1))]]);
    const h = (await call('halve_all', { a: f32([2], [3, -1]), b: f32([3], [5, 0, 1]) })) as Record<string, Value>;
    expect(t(h['a'])).toEqual(['f32', [2], [1.5, -0.5]]);
    expect(t(h['b'])).toEqual(['f32', [3], [2.5, 0, 0.5]]);
    const [za, zb] = (await call('zero_all', [{ a: f32([2], [3, 4]) }, 7])) as [Record<string, Value>, Value];
    expect(t(za['a'])).toEqual(['f32', [2], [0, 0]]);
    expect(t(zb)).toEqual(['f32', [], [0]]);
  });

  it('concat, stack, pad and reshape', async () => {
    expect(t(await call('cat', f32([2], [1, 2]), f32([3], [3, 4, 5])))).toEqual(['f32', [5], [1, 2, 3, 4, 5]]);
    expect(t(await call('cat1', f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6])))).toEqual(['f32', [2, 3], [1, 3, 4, 2, 5, 6]]);
    expect(t(await call('stk', f32([2], [1, 2]), f32([2], [3, 4])))).toEqual(['f32', [2, 2], [1, 2, 3, 4]]);
    expect(t(await call('stk1', f32([2], [1, 2]), f32([2], [3, 4])))).toEqual(['f32', [2, 2], [1, 3, 2, 4]]);
    expect(t(await call('pd', f32([2], [1, 2])))).toEqual(['f32', [5], [0, 1, 2, 0, 0]]);
    expect(t(await call('pd2', f32([2, 2], [1, 2, 3, 4])))).toEqual(['f32', [2, 3], [1, 2, -1, 3, 4, -1]]);
    expect(t(await call('pd0', f32([2, 2], [1, 2, 3, 4])))).toEqual(['f32', [3, 2], [0, 0, 1, 2, 3, 4]]);
    expect(t(await call('rs', f32([2, 3], [1, 2, 3, 4, 5, 6])))).toEqual(['f32', [3, 2], [1, 2, 3, 4, 5, 6]]);
    expect(t(await call('flat', f32([2, 2], [1, 2, 3, 4])))).toEqual(['f32', [4], [1, 2, 3, 4]]);
  });

  it('where', async () => {
    expect(t(await call('relu_by_where', f32([3], [-1, 2, -3])))).toEqual(['f32', [3], [0, 2, 0]]);
    const c = tensor('bool', [2], [true, false]);
    expect(t(await call('pick_rows', c, f32([2, 2], [1, 2, 3, 4]), f32([2], [-1, -2])))).toEqual(['f32', [2, 2], [1, 2, -1, -2]]);
  });

  it('one_hot', async () => {
    expect(t(await call('oh', i32([3], [2, 0, 3])))).toEqual(['f32', [3, 4], [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]]);
  });

  it('topk: descending values and their indices, ties to the lower index', async () => {
    const [v, i] = (await call('tk', f32([5], [1, 5, 3, 5, 2]))) as [Value, Value];
    expect(t(v)).toEqual(['f32', [2], [5, 5]]);
    expect(t(i)).toEqual(['i32', [2], [1, 3]]);
    const [v2, i2] = (await call('tk2', f32([2, 3], [1, 3, 2, 6, 4, 5]))) as [Value, Value];
    expect(t(v2)).toEqual(['f32', [2, 1], [3, 6]]);
    expect(t(i2)).toEqual(['i32', [2, 1], [1, 0]]);
  });

  it('argsort (stable both ways) and sort', async () => {
    expect(t(await call('asc', f32([4], [3, 1, 3, 2])))).toEqual(['i32', [4], [1, 3, 0, 2]]);
    expect(t(await call('desc', f32([4], [3, 1, 3, 2])))).toEqual(['i32', [4], [0, 2, 3, 1]]);
    expect(t(await call('srt', f32([4], [3, 1, 4, 2])))).toEqual(['f32', [4], [4, 3, 2, 1]]);
  });

  it('cumsum along the last axis (default) and axis 0', async () => {
    expect(t(await call('cs', f32([2, 3], [1, 2, 3, 4, 5, 6])))).toEqual(['f32', [2, 3], [1, 3, 6, 4, 9, 15]]);
    expect(t(await call('cs0', f32([2, 3], [1, 2, 3, 4, 5, 6])))).toEqual(['f32', [2, 3], [1, 2, 3, 5, 7, 9]]);
  });

  it('mean, logsumexp and softmax', async () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(t(await call('mean_rows', x))).toEqual(['f32', [2], [2, 5]]);
    expect(t(await call('mean_all', x))).toEqual(['f32', [], [3.5]]);
    expect(t(await call('mean_keep', x))).toEqual(['f32', [1, 3], [2.5, 3.5, 4.5]]);
    near(await call('lse', f32([3], [1, 1, 1])), [], [1 + Math.log(3)]); // 1 + ln 3
    near(await call('lse_rows', f32([2, 2], [0, 0, 100, 100])), [2], [Math.LN2, 100 + Math.LN2]); // stable for large inputs
    near(await call('sm', f32([2], [0, Math.log(3)])), [2], [0.25, 0.75]);
    near(await call('sm0', f32([2, 2], [0, 1, 0, 1])), [2, 2], [0.5, 0.5, 0.5, 0.5]);
  });

  it('explicit size keyword arguments: fill(x, n = 3) with zeros([n])', async () => {
    expect(t(await call('three_of', 1.5))).toEqual(['f32', [3], [1.5, 1.5, 1.5]]);
    expect(t(await call('grow', f32([2], [4, 5])))).toEqual(['f32', [3], [4, 5, 1]]);
    expect(t(await program.callWith('fill', { x: 2, n: 4 }))).toEqual(['f32', [4], [2, 2, 2, 2]]);
  });

  it('default arguments: left out, given by position, given by keyword', async () => {
    expect(t(await call('scale_default', 1))).toEqual(['f32', [], [2.5]]); // 1·2 + 0.5
    expect(t(await call('scale_pos', 1))).toEqual(['f32', [], [3.5]]); // 1·3 + 0.5
    expect(t(await call('scale_kw', 1))).toEqual(['f32', [], [3]]); // 1·2 + 1
    // A default that is a loop's trip count.
    expect(t(await call('steps_default', 1))).toEqual(['f32', [], [8]]); // 2³, k = 3 by default
    expect(t(await call('steps_two', 1))).toEqual(['f32', [], [4]]); // 2²
  });

  it('integer literal arithmetic: / floors and % takes the sign of the divisor on i32', async () => {
    expect(t(await call('half'))).toEqual(['i32', [], [3]]);
    expect(t(await call('neg_half'))).toEqual(['i32', [], [-4]]);
    expect(t(await call('int_mix'))).toEqual(['i32', [], [-9]]); // 1 − 6 + (−4)
    expect(t(await call('int_ops', -7))).toEqual(['i32', [], [-2]]); // −4 + 2
    expect(t(await call('int_ops', 7))).toEqual(['i32', [], [4]]); // 3 + 1
    expect(t(await call('static_half', f32([5], [10, 11, 12, 13, 14])))).toEqual(['f32', [], [13]]); // x[3]
    expect(t(await call('fib10'))).toEqual(['i32', [], [55]]);
  });

  it('rand.normal(rand.key(0), [2, 2]) is the same on two calls', async () => {
    const a = t(await call('noise'));
    const b = t(await call('noise'));
    expect(a[0]).toBe('f32');
    expect(a[1]).toEqual([2, 2]);
    expect(a[2]).toEqual(b[2]);
    expect(new Set(a[2]).size).toBe(4);
  });
});

describe('regressions', () => {
  const program = compile(
    [
      'fn c2(x: f32) -> f32 = if x > 1.0 then 1 else x',
      'fn one() -> f32 = 1',
      'fn h3() -> f32 = let a = 7.0 in if a / 2.0 > 3.4 then 1.0 else 0.0',
      'fn h4() -> i32 = 7 / 2',
      'fn pv3(x: f32[2], v: f32) -> f32[4] = pad(x, 1, 1, value = v)',
      'fn steps(x: f32, k: i32 = 3) -> f32 = loop y = x for _ in 0..k do y * 2.0',
      'fn tup(x: f32) -> (f32, f32) = if x > 0.0 then (x, 1) else (2, x)',
    ].join('\n'),
    { file: 'regressions.mu' },
  );

  it('an integer literal in one branch of an if takes the f32 of the other', async () => {
    expect(t(await program.call('c2', 0.5))).toEqual(['f32', [], [0.5]]);
    expect(t(await program.call('c2', 2))).toEqual(['f32', [], [1]]);
  });

  it('a pure function called from the API returns its declared dtype', async () => {
    expect(t(await program.call('one'))).toEqual(['f32', [], [1]]);
  });

  it('compile-time arithmetic divides f32 exactly and i32 by floor', async () => {
    expect(t(await program.call('h3'))).toEqual(['f32', [], [1]]);
    expect(t(await program.call('h4'))).toEqual(['i32', [], [3]]);
  });

  it('pads with a value known only when running', async () => {
    expect(t(await program.call('pv3', f32([2], [1, 2]), 5))).toEqual(['f32', [4], [5, 1, 2, 5]]);
  });

  it('unrolls a loop whose trip count is a default argument, from the API too', async () => {
    expect(t(await program.call('steps', 1))).toEqual(['f32', [], [8]]);
  });

  it('lets literals adapt inside the tuples of two branches', async () => {
    const [a, b] = (await program.call('tup', -1)) as [Value, Value];
    expect([t(a), t(b)]).toEqual([['f32', [], [2]], ['f32', [], [-1]]]);
  });
});
