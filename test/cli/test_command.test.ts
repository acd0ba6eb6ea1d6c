// `muc test` end to end through the real binary, on the fixtures in test/testblocks/ (pass/: every
// case passes; fail/: cases that must fail, and why), and the conversion of test-block values to
// tensors and their comparison with results (runtime/testblocks/values.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as S from '../../compiler/check/size.ts';
import * as T from '../../compiler/check/types.ts';
import { parseTestBlocks, type TestValue } from '../../compiler/syntax/testblocks.ts';
import type { Tensor } from '../../runtime/interp/ops/tensor.ts';
import {
  closeEnough,
  compareValues,
  expectedOutput,
  formatTest,
  formatValue,
  inputValue,
  literalTensor,
  TestValueError,
} from '../../runtime/testblocks/values.ts';
import { mucAsync, ROOT } from '../support/cli.ts';

const PASS = 'test/testblocks/pass';
const FAIL = 'test/testblocks/fail';

const muc = (...args: string[]) => mucAsync(args, { cwd: ROOT });

describe.concurrent('muc test', () => {
  it('runs every case of the passing fixtures and exits 0', async ({ expect }) => {
    const r = await muc('test', PASS);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const expected = [
      // size parameters inferred from the inputs
      `✓ ${PASS}/cases.mu:5 sumsq: input { [1.0, 2.0, 3.0] }`,
      `✓ ${PASS}/cases.mu:6 sumsq: input { [0.0] }`,
      `✓ ${PASS}/cases.mu:7 sumsq: structure { kernels 1 }`,
      `✓ ${PASS}/cases.mu:11 flip: input { [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] }`,
      // f32 tolerance
      `✓ ${PASS}/cases.mu:16 add: input { 0.1 0.2 }`,
      `✓ ${PASS}/cases.mu:17 add: input { 1000.0 0.001 }`,
      // i32 and bool results
      `✓ ${PASS}/cases.mu:22 total: input { [3, 1, 2] }`,
      `✓ ${PASS}/cases.mu:23 total: input { [7i32] }`,
      `✓ ${PASS}/cases.mu:27 above: input { [1.0, -2.0, 3.0] 0 }`,
      // an error case
      `✓ ${PASS}/cases.mu:33 pick: input { [10.0, 20.0] [5] } error: out of range`,
      // records and tuples
      `✓ ${PASS}/cases.mu:38 scale_all: input { { w: [1.0, 2.0], b: 0.5 } 2.0 }`,
      `✓ ${PASS}/cases.mu:42 swap: input { ([1.0, 2.0], 3) }`,
      `✓ ${PASS}/cases.mu:43 swap: input { ([5.0], -1) }`,
      // entry: double twice
      `✓ ${PASS}/cases.mu:52 double: input { 1.5 }`,
      `✓ ${PASS}/cases.mu:52 twice: input { 1.5 }`,
      `✓ ${PASS}/cases.mu:53 twice: input { -2f32 }`,
      `✓ ${PASS}/cases.mu:58 dot: input { [1.0] [1.0, 2.0] } error: size n is 1 here, but the argument has 2`,
      // compile-error blocks, one line per pattern
      `✓ ${PASS}/compile_error.mu:4 error: do not broadcast`,
      `✓ ${PASS}/compile_error.mu:5 error: shapes \\[n\\] and \\[m\\]`,
      `✓ ${PASS}/syntax_error.mu:3 error: syntax error: expected .*, found '\\)'`,
      `- ${PASS}/plain.mu: no tests`,
    ];
    for (const line of expected) expect(lines).toContain(line);
    expect(r.stdout).not.toContain('✗');
    expect(r.stdout).toMatch(/\n\n23 passed, 0 failed in 4 files \(1 with no tests\)\n$/);
  });

  it('shows why each failing case fails, with the shapes, and exits 1', async ({ expect }) => {
    const r = await muc('test', `${FAIL}/wrong.mu`);
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toContain(`✓ ${FAIL}/wrong.mu:4 sumsq: input { [1.0, 2.0] }\n`);
    expect(out).toContain(
      `✗ ${FAIL}/wrong.mu:5 sumsq: input { [1.0, 2.0] }\n    expected: f32 5.1\n    actual:   f32 5.0\n    result: expected 5.1, got 5.0\n`,
    );
    expect(out).toContain(
      `✗ ${FAIL}/wrong.mu:6 sumsq: input { [1.0, 2.0] }\n    expected: f32[1] [5.0]\n    actual:   f32 5.0\n    result: expected shape [1], got []\n`,
    );
    expect(out).toContain(`    expected: i32[3] [2, 4, 7]\n    actual:   i32[3] [2, 4, 6]\n    result[2]: expected 7, got 6\n`);
    // an expected literal takes the result's element type where it fits it
    expect(out).toContain(`✓ ${FAIL}/wrong.mu:11 double: input { [1, 2] }\n`);
    expect(out).toContain(`    result: expected bool[2], got i32[2]\n`);
    expect(out).toContain(`    result.b: expected 3.0, got 2.0\n`);
    expect(out).toContain(`    bad input: 'p' is { w: f32[n], b: f32 }, but the input { w: [1.0] } has no field 'b'\n`);
    expect(out).toContain(
      `✗ ${FAIL}/wrong.mu:21 pick: input { [10.0, 20.0] [1] } error: out of range\n    expected an error matching /out of range/, but the call returned f32[1] [20.0]\n`,
    );
    expect(out).toMatch(/:22 pick: .*\n {4}the error does not match \/no such thing\/: .*wrong\.mu:\d+:\d+: error: gather: index 7 out of range/);
    expect(out).toMatch(/:23 pick: .*\n {4}the call failed: .*error: gather: index 7 out of range/);
    expect(out).toContain(`✗ ${FAIL}/wrong.mu:28 first: input { [[-1.0]] } error: expected f32\n    bad input: 'x' is f32, but the input [[-1.0]] is f32[1, 1]\n`);
    expect(out).toContain(`✗ ${FAIL}/wrong.mu:30 first: input { }\n    the case gives no input for 'x' (parameter 1 of 'first')\n`);
    expect(out).toContain(`    'first' takes 1 argument, but the case gives 2\n`);
    expect(out).toContain(`    bad input: [1.0, [2.0]] is irregular: its elements have shapes [] and [1]\n`);
    expect(out).toContain(`✗ ${FAIL}/wrong.mu:37 nowhere: input { 1.0 }\n    no function 'nowhere' in this file\n`);
    expect(out).toContain(`✓ ${FAIL}/wrong.mu:41 scale: input { { a: [1.0, 2.0], b: 2.0 } 3.0 }\n`);
    expect(out).toMatch(/\n\n4 passed, 14 failed in 1 file\n$/);
  });

  it('fails a compile-error block when the file checks, or when no diagnostic matches', async ({ expect }) => {
    const r = await muc('test', `${FAIL}/checks_clean.mu`, `${FAIL}/wrong_error.mu`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✗ ${FAIL}/checks_clean.mu:3 error: do not broadcast\n    the file checks without errors\n`);
    expect(r.stdout).toContain(
      `✗ ${FAIL}/wrong_error.mu:3 error: an entirely different message\n    no diagnostic matches /an entirely different message/; the file's diagnostics:\n` +
        `    ${FAIL}/wrong_error.mu:4:31: error: 'bad' returns f32[3], but its body has type f32[2]\n`,
    );
    expect(r.stdout).toMatch(/0 passed, 2 failed in 2 files\n$/);
  });

  it('reports a file that does not check as one failure, without running its cases', async ({ expect }) => {
    // the compile error of pass/compile_error.mu, in a file whose block expects results
    const path = join(mkdtempSync(join(tmpdir(), 'muc-test-')), 'bad.mu');
    writeFileSync(path, '-- ==\n-- input { [1.0] [2.0] } output { [3.0] }\nfn bad[n, m](x: f32[n], y: f32[m]) -> f32[n] = x + y\n');
    const bad = await muc('test', path);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`✗ ${path}: does not check\n    the file does not check, so its 1 case was not run:\n    ${path}:3:50: error: operator '+'`);
    expect(bad.stdout).toMatch(/0 passed, 1 failed in 1 file\n$/);
  });

  it('prints a machine-readable report with --json', async ({ expect }) => {
    const r = await muc('test', '--json', `${PASS}/cases.mu`, `${FAIL}/wrong.mu`, `${PASS}/plain.mu`);
    expect(r.code).toBe(1);
    interface Json {
      files: { file: string; hasTests: boolean; results: { kind: string; line: number | null; entry: string | null; title: string; status: string; expected?: string; actual?: string; message?: string }[] }[];
      errors: string[];
      totals: { passed: number; failed: number; notChecked: number; files: number; noTests: number };
    }
    const out = JSON.parse(r.stdout) as Json;
    expect(out.totals).toEqual({ passed: 24, failed: 14, notChecked: 0, files: 3, noTests: 1 });
    expect(out.errors).toEqual([]);
    expect(out.files.map((f) => [f.file, f.hasTests])).toEqual([
      [`${PASS}/cases.mu`, true],
      [`${FAIL}/wrong.mu`, true],
      [`${PASS}/plain.mu`, false],
    ]);
    expect(out.files[0]!.results.find((x) => x.kind === 'structure')).toMatchObject({ line: 7, entry: 'sumsq', status: 'passed', title: 'structure { kernels 1 }' });
    expect(out.files[1]!.results.find((x) => x.line === 6)).toMatchObject({
      kind: 'output',
      entry: 'sumsq',
      status: 'failed',
      expected: 'f32[1] [5.0]',
      actual: 'f32 5.0',
      message: 'result: expected shape [1], got []',
    });
  });

  it('reports a missing path clearly and still runs the others', async ({ expect }) => {
    const r = await muc('test', 'no/such/dir', `${PASS}/compile_error.mu`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('muc: error: no such file or directory: no/such/dir\n');
    expect(r.stdout).toContain(`✓ ${PASS}/compile_error.mu:4 error: do not broadcast`);
    const only = await muc('test', 'missing.mu');
    expect(only.code).toBe(1);
    expect(only.stdout).toBe('');
    expect(only.stderr).toContain('no such file or directory: missing.mu');
  });

  it('tests stdlib/ and examples/ by default', async ({ expect }) => {
    const r = await muc('test');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ stdlib\/moe\.mu:\d+ update_bias: input \{/m);
    expect(r.stdout).toContain('- examples/mlp.mu: no tests');
  });

  it('states the f32 tolerance in its help', async ({ expect }) => {
    const r = await muc('test', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('f32 results match within 1e-5 relative + 1e-6 absolute');
  });
});

// ---- values ----

const num = (value: number, isFloat = true, dtype: 'f32' | 'i32' | null = null): TestValue => ({ kind: 'number', value, dtype, isFloat });
const arr = (...items: TestValue[]): TestValue => ({ kind: 'array', items });
const n = S.sizeVar('n');
const data = (v: unknown): number[] => [...(v as Tensor).data];

describe('test values as tensors', () => {
  it('take the element type of the parameter, or of their suffix', () => {
    expect(inputValue(arr(num(1), num(2)), T.f32([n]), 'x')).toMatchObject({ dtype: 'f32', shape: [2] });
    expect(inputValue(arr(num(1, false), num(2, false)), T.i32([n]), 'x')).toMatchObject({ dtype: 'i32', shape: [2] });
    expect(inputValue(arr(num(1), num(2)), T.i32([n]), 'x')).toMatchObject({ dtype: 'i32', shape: [2] });
    expect(inputValue(num(3, false), T.f32(), 'x')).toMatchObject({ dtype: 'f32', shape: [] });
    expect(() => inputValue(arr(num(1.5)), T.i32([n]), 'i')).toThrow("'i' is i32[n], but the input [1.5] is f32[1]");
    expect(() => inputValue(num(1, false, 'i32'), T.f32(), 'x')).toThrow("'x' is f32, but the input 1i32 is i32");
    expect(() => inputValue(num(2.5, true, 'i32'), T.i32(), 'x')).toThrow('2.5i32 is not an i32');
    expect(() => inputValue(arr(num(1)), T.f32([S.constant(2)]), 'x')).toThrow("'x' is f32[2], but the input [1.0] is f32[1]");
    expect(() => inputValue(arr(num(1), { kind: 'bool', value: true }), T.f32([n]), 'x')).toThrow('mixes numbers and booleans');
    expect(() => inputValue(arr(num(1, false, 'i32'), num(1, true, 'f32')), T.f32([n]), 'x')).toThrow('mixes the suffixes');
  });

  it('convert records and tuples field by field', () => {
    const type: T.Type = { kind: 'record', fields: [{ name: 'w', type: T.f32([n]) }, { name: 'k', type: T.tuple([T.i32(), T.bool()]) }] };
    const tv: TestValue = {
      kind: 'record',
      fields: [
        { name: 'k', value: { kind: 'tuple', items: [num(4, false), { kind: 'bool', value: false }] } },
        { name: 'w', value: arr(num(1), num(2), num(3)) },
      ],
    };
    const v = inputValue(tv, type, 'p') as { w: Tensor; k: [Tensor, Tensor] };
    expect(Object.keys(v)).toEqual(['w', 'k']);
    expect(v.w).toMatchObject({ dtype: 'f32', shape: [3] });
    expect(v.k[0]).toMatchObject({ dtype: 'i32', shape: [] });
    expect(v.k[1]).toMatchObject({ dtype: 'bool', shape: [] });
    expect(data(v.k[1])).toEqual([0]);
    expect(() => inputValue({ kind: 'record', fields: [{ name: 'w', value: arr(num(1)) }] }, type, 'p')).toThrow("has no field 'k'");
    expect(() => inputValue({ kind: 'record', fields: [...(tv as Extract<TestValue, { kind: 'record' }>).fields, { name: 'z', value: num(1) }] }, type, 'p')).toThrow("which has no field 'z'");
    expect(() => inputValue(arr(num(1)), type, 'p')).toThrow("'p' is { w: f32[n], k: (i32, bool) }, but the input [1.0] is not a record");
    expect(() => inputValue({ kind: 'tuple', items: [num(1)] }, T.tuple([T.f32(), T.f32()]), 't')).toThrow('a tuple of 1');
  });

  it('expect several outputs as a tuple, guided by the result', () => {
    const result = [{ dtype: 'i32', shape: [], data: Int32Array.of(6) }, { dtype: 'f32', shape: [2], data: Float32Array.of(2, 3) }] as const;
    const expected = expectedOutput([num(6, false), arr(num(2), num(3))], result);
    expect(compareValues(result, expected)).toBeNull();
    expect(formatValue(expected)).toBe('(i32 6, f32[2] [2.0, 3.0])');
    expect(expectedOutput([], undefined)).toBeUndefined();
    // a literal that does not fit the result's type keeps its own, and the comparison says so
    const i32 = { dtype: 'i32', shape: [], data: Int32Array.of(2) } as const;
    expect(compareValues(i32, expectedOutput([num(2.5)], i32))).toEqual({ path: 'result', message: 'expected f32, got i32' });
  });

  it('compare f32 within 1e-5 relative + 1e-6 absolute, integers and booleans exactly', () => {
    expect(closeEnough(1 + 0.9e-5, 1, 'f32')).toBe(true);
    expect(closeEnough(1 + 1.2e-5, 1, 'f32')).toBe(false);
    expect(closeEnough(1000.009, 1000, 'f32')).toBe(true);
    expect(closeEnough(9e-7, 0, 'f32')).toBe(true);
    expect(closeEnough(2e-6, 0, 'f32')).toBe(false);
    expect(closeEnough(Number.NaN, 0, 'f32')).toBe(false);
    expect(closeEnough(3, 2, 'i32')).toBe(false);
    expect(closeEnough(1, 1, 'bool')).toBe(true);
    const m = { dtype: 'f32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } as const;
    const e = literalTensor(arr(arr(num(1), num(2)), arr(num(3), num(4.5))), 'f32');
    expect(compareValues(m, e)).toEqual({ path: 'result[1, 1]', message: 'expected 4.5, got 4.0' });
    expect(compareValues({ w: m }, { w: e, b: e })).toEqual({ path: 'result', message: "the result has no field 'b'" });
    expect(compareValues([m, m], [m, e])).toEqual({ path: 'result.1[1, 1]', message: 'expected 4.5, got 4.0' });
    expect(compareValues(m, [m])).toEqual({ path: 'result', message: 'expected a tuple of 1, got f32[2, 2]' });
  });

  it('show tensors with their types and shapes, cutting long axes', () => {
    expect(formatValue({ dtype: 'f32', shape: [], data: Float32Array.of(0.1) })).toBe('f32 0.1');
    expect(formatValue({ dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) })).toBe('bool[2] [true, false]');
    expect(formatValue({ dtype: 'f32', shape: [0], data: new Float32Array(0) })).toBe('f32[0] []');
    expect(formatValue({ dtype: 'i32', shape: [10], data: Int32Array.from({ length: 10 }, (_, i) => i) })).toBe('i32[10] [0, 1, 2, 3, 4, 5, 6, 7, … 2 more]');
    expect(formatValue({ a: { dtype: 'f32', shape: [], data: Float32Array.of(Number.NaN) } })).toBe('{ a: f32 nan }');
  });
});

describe('random nested arrays', () => {
  /** A shape of rank 0 to 3 and row-major elements to fill it. */
  const shaped = <T>(element: fc.Arbitrary<T>) =>
    fc
      .array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.array(element, { minLength: shape.reduce((a, d) => a * d, 1), maxLength: shape.reduce((a, d) => a * d, 1) })));

  /** The nested test value of a shape's elements. */
  function nest(shape: readonly number[], leaves: readonly TestValue[]): TestValue {
    if (shape.length === 0) return leaves[0]!;
    const step = leaves.length / shape[0]!;
    return arr(...Array.from({ length: shape[0]! }, (_, i) => nest(shape.slice(1), leaves.slice(i * step, (i + 1) * step))));
  }

  const f32s = fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
  const i32s = fc.integer({ min: -0x80000000, max: 0x7fffffff });

  it('convert to tensors of their shape and elements, and match themselves', () => {
    fc.assert(
      fc.property(shaped(f32s), ([shape, xs]) => {
        const tv = nest(shape, xs.map((x) => num(x)));
        const t = inputValue(tv, T.f32(shape.map(() => n)), 'x') as Tensor;
        expect(t.shape).toEqual(shape);
        expect(data(t)).toEqual(xs.map(Math.fround));
        expect(compareValues(t, expectedOutput([tv], t))).toBeNull();
      }),
    );
    fc.assert(
      fc.property(shaped(i32s), ([shape, xs]) => {
        const t = literalTensor(nest(shape, xs.map((x) => num(x, false))), null);
        expect(t).toMatchObject({ dtype: 'i32', shape });
        expect(data(t)).toEqual(xs);
      }),
    );
    fc.assert(
      fc.property(shaped(fc.boolean()), ([shape, bs]) => {
        const t = literalTensor(nest(shape, bs.map((value) => ({ kind: 'bool', value }))), 'f32');
        expect(t).toMatchObject({ dtype: 'bool', shape });
        expect(data(t)).toEqual(bs.map(Number));
      }),
    );
  });

  it('differ from a result with one element off by more than the tolerance, at that index', () => {
    fc.assert(
      fc.property(shaped(fc.integer({ min: -1000, max: 1000 })), fc.nat(), ([shape, xs], pick) => {
        const t = literalTensor(nest(shape, xs.map((x) => num(x))), 'f32');
        const i = pick % xs.length;
        const off = { ...t, data: Float32Array.from(t.data, (x, j) => (j === i ? x + 1e-4 * Math.max(1, Math.abs(x)) : x)) };
        const m = compareValues(off, t);
        expect(m).not.toBeNull();
        expect(m!.message).toMatch(/^expected .*, got /);
        if (shape.length > 0) expect(m!.path).toMatch(/^result\[[\d, ]+\]$/);
      }),
    );
  });

  it('print as they are written, and parse back to the same values', () => {
    const leaf = fc.oneof(
      f32s.map((x) => num(x)),
      i32s.map((x) => num(x, false)),
      i32s.map((x) => num(x, false, 'i32')),
      fc.boolean().map((value): TestValue => ({ kind: 'bool', value })),
    );
    fc.assert(
      fc.property(shaped(leaf), ([shape, leaves]) => {
        const tv = nest(shape, leaves);
        const text = `-- ==\n-- entry: f\n-- input { ${formatTest(tv)} } output { ${formatTest(tv)} }\n`;
        const parsed = parseTestBlocks(text, { file: 't.mu', decls: [] });
        expect(parsed.diagnostics).toEqual([]);
        const c = parsed.blocks[0]!.cases[0]!;
        expect(c.input).toEqual([tv]);
        expect(c.kind === 'output' && c.output).toEqual([tv]);
      }),
    );
  });

  it('report an irregular array instead of guessing a shape', () => {
    expect(() => literalTensor(arr(arr(num(1)), arr(num(1), num(2))), null)).toThrow(TestValueError);
    expect(() => literalTensor(arr({ kind: 'tuple', items: [num(1), num(2)] }), null)).toThrow('an array holds numbers or booleans, not a tuple');
  });
});
