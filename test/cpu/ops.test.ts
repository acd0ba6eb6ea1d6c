// Chosen graphs on the cpu backend: every scalar operation on special values (exact: transcendental
// functions call the host's Math in float64 like the interpreter), integer and boolean arithmetic,
// errors, empty tensors, reductions and softmax over shapes large enough for the vector loops and
// their remainders (1e-5), the compile cache, and the WAT text.
import { describe, expect, it } from 'vitest';
import { emitWat } from '../../compiler/codegen/wasm/index.ts';
import { MR } from '../../compiler/codegen/wasm/matmul.ts';
import { Builder, type DType, type Graph } from '../../compiler/ir/graph.ts';
import type { PrimName } from '../../compiler/ir/prims.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { cpuBackend, makeCpuBackend } from '../../runtime/cpu/backend.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { expectAgree } from './support.ts';

const SPECIAL = [
  NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1, -1, 0.5, -2.5, 3.4e38, -3.4e38, 100, -100, 88.7, 89, -104,
  1e-8, 20, -20, 0.1, 7.25, -7.75, 2, -3, 0.75, 1.5, -0.5, 1e10, 2.5, 3, -1.5, 15.5, -8, 0.3,
];

async function agree(g: Graph, inputs: Tensor[], approx = false): Promise<void> {
  const want = evaluate(g, inputs);
  expectAgree(await cpuBackend.run(g, inputs), want, want.map(() => approx), () => emitWat(schedule(g)));
}

function seq(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

describe('scalar operations on the cpu backend (exact)', () => {
  const UNARY: PrimName[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'silu', 'gelu', 'sin', 'cos', 'abs', 'sign', 'floor'];
  const BINARY: PrimName[] = ['add', 'sub', 'mul', 'div', 'mod', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
  const x = tensor('f32', [4, 9], SPECIAL);
  const y = tensor('f32', [4, 9], [...SPECIAL].reverse());

  it('every f32 unary operation on NaN, ±inf, ±0, subnormals and large values', async () => {
    const b = new Builder();
    const v = b.input({ dtype: 'f32', shape: [4, 9] }, 0, 'x');
    await agree(b.graph('unary', UNARY.map((op) => b.add(op, [v]))), [x]);
    // The same on a scalar loop (a strided view is not contiguous: lanes are gathered).
    const c = new Builder();
    const t = c.add('transpose', [c.input({ dtype: 'f32', shape: [4, 9] }, 0, 'x')], { perm: [1, 0] });
    await agree(c.graph('unary_t', UNARY.map((op) => c.add(op, [t]))), [x]);
  });

  it('exp, sigmoid and silu on four lanes in Wasm agree bit for bit, also next to float32 rounding boundaries', async () => {
    // e^x of these is within 64 float64 ulps of a midpoint between two float32s: the vector form
    // must hand them to the host's Math.exp (and does, for any value within 4096 ulps).
    const hard = [5.138779640197754, 15.536725997924805, -11.837449073791504];
    let s = 7;
    const xs = seq(1 << 16, (i) => (i % 97 === 0 ? hard[i % 3]! : ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * (i % 2 ? 30 : 200)));
    const b = new Builder();
    const v = b.input({ dtype: 'f32', shape: [1 << 16] }, 0, 'x');
    await agree(b.graph('vmath', (['exp', 'sigmoid', 'silu'] as const).map((op) => b.add(op, [v]))), [tensor('f32', [1 << 16], xs)]);
  });

  it('every f32 binary operation and comparison, elementwise and broadcast', async () => {
    const b = new Builder();
    const p = b.input({ dtype: 'f32', shape: [4, 9] }, 0, 'x');
    const q = b.input({ dtype: 'f32', shape: [4, 9] }, 1, 'y');
    const row = b.broadcast(b.add('slice', [q], { starts: [1, 0], ends: [2, 9] }), [4, 9]);
    const outs = BINARY.flatMap((op) => [b.add(op, [p, q]), b.add(op, [row, p])]);
    outs.push(b.add('where', [b.add('gt', [p, q]), p, row]), b.add('cast', [p], { dtype: 'i32' }), b.add('cast', [p], { dtype: 'bool' }));
    await agree(b.graph('binary', outs), [x, y]);
  });

  it('integer and boolean arithmetic, constant and pass-through outputs', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'i32', shape: [2, 3] }, 0, 'x');
    const y = b.input({ dtype: 'i32', shape: [3] }, 1, 'y');
    const yb = b.broadcast(y, [2, 3]);
    const big = b.add('mul', [x, b.broadcast(b.scalar(2 ** 30 + 7, 'i32'), [2, 3])]);
    const q = b.add('div', [x, yb]);
    const r = b.add('mod', [x, yb]);
    const p = b.add('pow', [yb, b.broadcast(b.scalar(3, 'i32'), [2, 3])]);
    const lt = b.add('lt', [q, r]);
    const both = b.add('logical_and', [lt, b.add('logical_not', [b.add('eq', [p, big])])]);
    const f = b.add('cast', [b.add('where', [both, q, big])], { dtype: 'f32' });
    const back = b.add('cast', [b.add('mul', [f, b.broadcast(b.scalar(1e10), [2, 3])])], { dtype: 'i32' });
    const ops = (['neg', 'abs', 'sign', 'relu', 'floor'] as const).map((op) => b.add(op, [x]));
    const g = b.graph('ints', [big, q, r, p, both, f, back, x, b.scalar(-0.0), b.add('maximum', [x, yb]), b.add('minimum', [x, yb]), ...ops,
      b.add('div', [x, b.broadcast(b.scalar(-1, 'i32'), [2, 3])]), b.add('mod', [x, b.broadcast(b.scalar(-4, 'i32'), [2, 3])])]);
    const inputs = [tensor('i32', [2, 3], [7, -7, 2 ** 31 - 1, 0, -1, -(2 ** 31)]), tensor('i32', [3], [2, -3, 4])];
    await agree(g, inputs);
  });

  it('i32 vectors: floored division and modulo by constants and by values, four lanes at a time', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'i32', shape: [3, 11] }, 0, 'x');
    const y = b.input({ dtype: 'i32', shape: [3, 11] }, 1, 'y');
    const c = (v: number): number => b.broadcast(b.scalar(v, 'i32'), [3, 11]);
    const g = b.graph('ivec', [b.add('div', [x, c(4)]), b.add('mod', [x, c(3)]), b.add('div', [x, y]), b.add('mod', [x, y]), b.add('pow', [y, c(2)]),
      b.add('sum', [x], { axes: [1] }), b.add('max', [x], { axes: [0] }), b.add('min', [x], { axes: [1] })]);
    const xs = seq(33, (i) => (i * 7919) % 41 - 20);
    const ys = seq(33, (i) => ((i * 31) % 9) - 4 || 5);
    await agree(g, [tensor('i32', [3, 11], xs), tensor('i32', [3, 11], ys)]);
  });

  it('views at vector width: pads and concatenations (guarded loads), row gathers, take_along_axis, merged permuted axes', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [7, 13] }, 0, 'x');
    const rows = b.input({ dtype: 'i32', shape: [5] }, 1, 'rows');
    const cols = b.input({ dtype: 'i32', shape: [7, 6] }, 2, 'cols');
    const e = b.add('exp', [x]);
    const g = b.graph('views', [
      b.add('pad', [e], { before: [2, 0], after: [1, 0], value: -1.5 }),
      b.add('pad', [x], { before: [1, 3], after: [0, 2], value: 0 }),
      b.add('concat', [x, e, b.add('slice', [x], { starts: [0, 2], ends: [7, 9] })], { axis: 1 }),
      b.add('concat', [x, e], { axis: 0 }),
      b.add('gather', [e, rows], { axis: 0 }),
      b.add('take_along_axis', [x, cols], { axis: 1 }),
      b.add('reshape', [b.add('transpose', [b.add('reshape', [x], { shape: [7, 13, 1] })], { perm: [1, 0, 2] })], { shape: [91] }),
    ]);
    const inputs = [tensor('f32', [7, 13], seq(91, (i) => Math.cos(i) * 2)), tensor('i32', [5], [6, 0, 3, 3, 1]), tensor('i32', [7, 6], seq(42, (i) => (i * 5) % 13))];
    await agree(g, inputs);
  });

  it('an i32 division by zero raises', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'i32', shape: [5] }, 0, 'x');
    const g = b.graph('divzero', [b.add('div', [x, b.input({ dtype: 'i32', shape: [5] }, 1, 'y')])]);
    await expect(cpuBackend.run(g, [tensor('i32', [5], [1, 2, 3, 4, 5]), tensor('i32', [5], [1, 1, 0, 1, 1])])).rejects.toThrow('division by zero');
  });

  it('bool inputs and outputs travel as bytes', async () => {
    const b = new Builder();
    const m = b.input({ dtype: 'bool', shape: [6] }, 0, 'm');
    const g = b.graph('bools', [b.add('logical_not', [m]), m, b.add('cast', [m], { dtype: 'f32' })]);
    const got = await cpuBackend.run(g, [tensor('bool', [6], [1, 0, 0, 1, 1, 0])]);
    expect(got[0]!.data).toBeInstanceOf(Uint8Array);
    expect([...got[0]!.data]).toEqual([0, 1, 1, 0, 0, 1]);
    expect([...got[1]!.data]).toEqual([1, 0, 0, 1, 1, 0]);
    expect([...got[2]!.data]).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('empty tensors: reductions and matmuls over zero-length axes, and an empty max raises', async () => {
    const b = new Builder();
    const z = b.input({ dtype: 'f32', shape: [0, 3] }, 0, 'z');
    const g = b.graph('empty', [b.add('sum', [z], { axes: [0] }), b.add('matmul', [b.add('transpose', [z], { perm: [1, 0] }), z]), b.add('exp', [z])]);
    await agree(g, [tensor('f32', [0, 3], [])]);
    const c = new Builder();
    const e = c.input({ dtype: 'f32', shape: [2, 0] }, 0, 'e');
    await expect(cpuBackend.run(c.graph('emptymax', [c.add('max', [e], { axes: [1] })]), [tensor('f32', [2, 0], [])])).rejects.toThrow('empty axis');
  });
});

describe('reductions on the cpu backend (1e-5)', () => {
  const data = (n: number, seed: number): number[] => seq(n, (i) => Math.sin(i * 12.9898 + seed) * 3);

  it('sums, maxima and minima over every axis set of a [33, 70, 5] tensor', async () => {
    const shape = [33, 70, 5];
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape }, 0, 'x');
    const outs: number[] = [];
    for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]]) for (const op of ['sum', 'max', 'min'] as const) outs.push(b.add(op, [x], { axes }));
    await agree(b.graph('reduce', outs), [tensor('f32', shape, data(33 * 70 * 5, 1))], true);
  });

  it('NaN propagates through max and min; bool reductions are any and all', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [6, 37] }, 0, 'x');
    const m = b.add('gt', [x, b.broadcast(b.scalar(2.5), [6, 37])]);
    const g = b.graph('nan', [b.add('max', [x], { axes: [1] }), b.add('min', [x], { axes: [0] }), b.add('max', [m], { axes: [1] }), b.add('min', [m], { axes: [0] }), b.add('sum', [m], { axes: [1] })]);
    const xs = data(6 * 37, 2);
    xs[40] = NaN;
    xs[6 * 37 - 3] = NaN;
    const want = evaluate(g, [tensor('f32', [6, 37], xs)]);
    const got = await cpuBackend.run(g, [tensor('f32', [6, 37], xs)]);
    expectAgree(got.slice(0, 4), want.slice(0, 4), [false, false, false, false], () => emitWat(schedule(g)));
    // sum over bool is typed bool in the IR (any), while the interpreter counts: compare as truth values.
    expect([...got[4]!.data]).toEqual([...want[4]!.data].map((v) => (v !== 0 ? 1 : 0)));
  });

  it('softmax and layer norm over rows of 1000', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [16, 1000] }, 0, 'x');
    const full = (id: number): number => b.broadcast(b.add('reshape', [id], { shape: [16, 1] }), [16, 1000]);
    const e = b.add('exp', [b.add('sub', [x, full(b.add('max', [x], { axes: [1] }))])]);
    const softmax = b.add('div', [e, full(b.add('sum', [e], { axes: [1] }))]);
    const mean = b.add('mul', [b.add('sum', [x], { axes: [1] }), b.broadcast(b.scalar(1 / 1000), [16])]);
    const c = b.add('sub', [x, full(mean)]);
    const v = b.add('mul', [b.add('sum', [b.add('mul', [c, c])], { axes: [1] }), b.broadcast(b.scalar(1 / 1000), [16])]);
    const norm = b.add('mul', [c, full(b.add('rsqrt', [b.add('add', [v, b.broadcast(b.scalar(1e-5), [16])])]))]);
    await agree(b.graph('softmax', [softmax, norm, b.add('sum', [softmax], { axes: [0] })]), [tensor('f32', [16, 1000], data(16000, 3))], true);
  });
});

describe('compiling', () => {
  it('compiles a graph once, and once per structure', async () => {
    const backend = makeCpuBackend();
    const make = (): Graph => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [3] }, 0, 'x');
      return b.graph('twice', [b.add('exp', [x])]);
    };
    const g = make();
    const [a, c, d] = [await backend.compile(g), await backend.compile(g), await backend.compile(make())];
    expect(c).toBe(a);
    expect(d).toBe(a);
    expect(backend.name).toBe('cpu');
  });

  it('graphs share one memory, which grows for a larger graph without disturbing the others', async () => {
    const backend = makeCpuBackend();
    const scale = (n: number): Graph => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [n] }, 0, 'x');
      return b.graph(`scale${n}`, [b.add('mul', [x, b.broadcast(b.scalar(3), [n])])]);
    };
    const small = tensor('f32', [5], [1, 2, 3, 4, 5]);
    expect([...(await backend.run(scale(5), [small]))[0]!.data]).toEqual([3, 6, 9, 12, 15]);
    const pages = backend.memory.buffer.byteLength / 65536;
    const big = await backend.run(scale(100_000), [tensor('f32', [100_000], seq(100_000, (i) => i))]);
    expect(big[0]!.data[99_999]).toBe(299_997);
    expect(backend.memory.buffer.byteLength / 65536).toBeGreaterThan(pages);
    const [a, c] = await Promise.all([backend.run(scale(5), [small]), backend.run(scale(100_000), [tensor('f32', [100_000], seq(100_000, () => 1))])]);
    expect([...a[0]!.data]).toEqual([3, 6, 9, 12, 15]);
    expect(c[0]!.data[5]).toBe(3);
  });

  it('emits readable WAT: one function per kernel, the kernel printout above it, SIMD where contiguous', () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [8, 10] }, 0, 'x');
    const w = b.input({ dtype: 'f32', shape: [10, 16] }, 1, 'w');
    const h = b.add('relu', [b.add('matmul', [x, w])]);
    const wat = emitWat(schedule(b.graph('mlp', [b.add('sum', [h], { axes: [1] }), h])));
    expect(wat).toMatch(/^;; mlp: 2 kernels/);
    expect(wat).toContain('(import "env" "memory" (memory 1 65536 shared))');
    expect(wat).toContain(';; kernel k0 (root %2): matmul [8, 16] k=10');
    expect(wat).toContain('(func $k0 (param $begin i32) (param $end i32) (param $tid i32)');
    expect(wat).toContain('(call $gemm');
    expect(wat).toContain(';; loops [i0:8, r1:16x4] vectorized along the reduction; i0 over [begin, end)');
    // The matmul's products split by panels of MR rows, its relu epilogue by elements (one loop of
    // 8·16: C's rows are as long as the output's).
    expect(wat).toContain(`(func (export "run")
    (call $k0 (i32.const 0) (i32.const ${8 / MR}) (i32.const 0))
    (call $k0_epilogue (i32.const 0) (i32.const 128) (i32.const 0))
    (call $k1 (i32.const 0) (i32.const 8) (i32.const 0)))`);
    expect(wat).toContain('(export "k0_epilogue" (func $k0_epilogue))');
  });

  const dtypes: DType[] = ['f32', 'i32', 'bool'];
  it('rejects inputs of the wrong type', async () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [2] }, 0, 'x');
    const g = b.graph('typed', [b.add('neg', [x])]);
    for (const d of dtypes.slice(1)) await expect(cpuBackend.run(g, [tensor(d, [2], [1, 0])])).rejects.toThrow('input 0 must be f32[2]');
  });
});
