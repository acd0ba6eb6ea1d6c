// The package's TypeScript API: compile a source, call its functions with tensors and records.
import { describe, expect, it } from 'vitest';
import { compile, CompileError, MuRuntimeError, tensor, type Tensor } from '../index.ts';

const SOURCE = `
type Layer[i, o] = { w: f32[i, o], b: f32[o] }

fn linear[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] = x @ p.w + p.b

fn loss[i, o](p: Layer[i, o], x: f32[2, i]) -> f32 = sum(linear(p, x) ** 2)

fn grads[i, o](p: Layer[i, o], x: f32[2, i]) -> (f32, Layer[i, o]) = value_and_grad(loss)(p, x)

fn scaled(x: f32[3], k: f32 = 2.0) -> f32[3] = x * k

fn main() { print("hello") }
`;

const t = (shape: number[], values: number[]): Tensor => tensor('f32', shape, values);

describe('compile and call', () => {
  const program = compile(SOURCE, { file: 'api.mu' });

  it('lists the functions', () => {
    expect(program.functions).toEqual(['linear', 'loss', 'grads', 'scaled', 'main']);
  });

  it('calls a function with a record of tensors and returns a tensor', async () => {
    const p = { w: t([2, 1], [1, 2]), b: t([1], [0.5]) };
    const out = (await program.call('linear', p, t([2, 2], [1, 1, 2, 0]))) as Tensor;
    expect(out.shape).toEqual([2, 1]);
    expect([...out.data]).toEqual([3.5, 2.5]);
  });

  it('returns tuples as arrays and records as objects, with exact gradients', async () => {
    const p = { w: t([1, 1], [3]), b: t([1], [1]) };
    const [value, g] = (await program.call('grads', p, t([2, 1], [1, 2]))) as [Tensor, { w: Tensor; b: Tensor }];
    // loss = (3·1 + 1)² + (3·2 + 1)² = 16 + 49; d/dw = 2·4·1 + 2·7·2 = 36; d/db = 2·4 + 2·7 = 22.
    expect(value.data[0]).toBe(65);
    expect([...g.w.data]).toEqual([36]);
    expect([...g.b.data]).toEqual([22]);
  });

  it('takes numbers for scalars, defaults for missing arguments, and keyword arguments', async () => {
    const x = t([3], [1, 2, 3]);
    expect([...((await program.call('scaled', x)) as Tensor).data]).toEqual([2, 4, 6]);
    expect([...((await program.callWith('scaled', { x, k: 0.5 })) as Tensor).data]).toEqual([0.5, 1, 1.5]);
  });

  it('prints the IR of a function for arguments of given types', () => {
    expect(program.ir('scaled', t([3], [0, 0, 0]), 3)).toBe(
      ['graph scaled(%0: f32[3], %1: f32[]) {', '  %2 = broadcast(%1, shape=[3]) : f32[3]', '  %3 = mul(%0, %2) : f32[3]', '  return %3', '}'].join('\n'),
    );
  });

  it('rejects arguments of the wrong type with a message naming the parameter', async () => {
    await expect(program.call('scaled', t([2, 2], [1, 2, 3, 4]))).rejects.toThrow("scaled(x): expected f32[3]");
    await expect(program.call('nope')).rejects.toThrow("no function 'nope'");
  });

  it('runs main with a chosen printer', async () => {
    const lines: string[] = [];
    await program.main({ print: (l) => lines.push(l) });
    expect(lines).toEqual(['hello']);
  });
});

describe('errors', () => {
  it('throws CompileError with every diagnostic rendered', () => {
    let err: unknown;
    try {
      compile('fn f(x: f32[2]) -> f32[3] = x\nfn g() -> f32 = y\n', { file: 'bad.mu' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    const ce = err as CompileError;
    expect(ce.diagnostics).toHaveLength(2);
    expect(ce.message).toContain("bad.mu:1:29: error: 'f' returns f32[3], but its body has type f32[2]");
    expect(ce.message).toContain("bad.mu:2:17: error: unknown name 'y'");
  });

  it('throws MuRuntimeError with the source location', async () => {
    const p = compile('fn main() {\n  let x = load("nowhere.safetensors", zeros([2]))\n}\n', { file: 'rt.mu' });
    const err = await p.main().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MuRuntimeError);
    expect((err as Error).message).toBe('rt.mu:2:11: error: no such file: nowhere.safetensors');
  });

  it('names the backends it knows', () => {
    expect(() => compile('fn f() -> f32 = 1.0', { backend: 'tpu' })).toThrow("unknown backend 'tpu' (available: interp, cpu, webgpu)");
  });
});

describe('print', () => {
  it('shows f32 with up to 6 significant digits and never drops the zeros of an integer', async () => {
    const p = compile('fn main() { print(102400.0, 0.5, 1.0, 12.25, 1e-7, 0.0, -3.0, 1234567.0, [1, 2]) }', { file: 'print.mu' });
    const lines: string[] = [];
    await p.main({ print: (l) => lines.push(l) });
    expect(lines).toEqual(['102400 0.5 1 12.25 1e-7 0 -3 1.23457e+6 [1, 2]']);
  });
});
