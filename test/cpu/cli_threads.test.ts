// `muc run --threads N` through the real binary (bin/muc.js, which loads the sources with tsx while
// the worker threads load plain JavaScript): the same output on any thread count, a kernel failure
// on a worker as a one-line error, and a process that exits once main is done.
import { describe, expect, it } from 'vitest';
import { BACKENDS, backendNamed, parseThreads } from '../../runtime/backend.ts';
import type { CpuBackend } from '../../runtime/cpu/backend.ts';
import { mucSync, scratch } from '../support/cli.ts';

const { dir, file } = scratch('muc-threads-');

const muc = (...args: string[]) => mucSync(args, { cwd: dir, timeout: 120_000 });


// Big enough that its matmul and elementwise kernels go to the worker threads.
const GRAM = file('gram.mu', [
  'fn main() {',
  '  let x = rand.normal(rand.key(0), [192, 160])',
  '  let s = x @ transpose(x)',
  '  print("trace", sum(s * eye(192)), "corner", s[0, 191] - s[191, 0])',
  '}',
  '',
].join('\n'));

describe('muc run --threads', () => {
  it('prints the same on one thread and on two, and exits when main is done', () => {
    const a = muc('run', GRAM, '--threads', '1');
    const b = muc('run', GRAM, '--threads', '2');
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    expect([a.code, b.code, b.signal]).toEqual([0, 0, null]);
    expect(b.stdout).toMatch(/^trace \S+ corner 0\n$/);
    expect(b.stdout).toBe(a.stdout);
  });

  it('reports a kernel failure on a worker thread at its place in the source', () => {
    // Row sums of 1000 rows: rows split between the threads, the zero divisor in the last row.
    const path = file('div.mu', ['fn main() {', '  let x = arange(100000)', '  print(sum(sum(reshape(x / (x - 99999), [1000, 100]), axis = 1)))', '}', ''].join('\n'));
    const r = muc('run', path, '--threads', '2');
    expect(r.stderr).toMatch(new RegExp(`^${path}:3:\\d+: error: div: i32 division by zero\\n$`));
    expect(r.code).toBe(1);
  });

  it('rejects a thread count that is not a whole number ≥ 1, and other backends', () => {
    const r = muc('run', GRAM, '--threads', '0');
    expect(r.stderr).toBe("muc: error: --threads takes a whole number ≥ 1, as in --threads 2; found '0'\n");
    expect(r.code).toBe(1);
    for (const bad of ['two', '1.5', '-1', '']) expect(() => parseThreads(bad)).toThrow(`--threads takes a whole number ≥ 1, as in --threads 2; found '${bad}'`);
    expect(parseThreads('3')).toBe(3);
    expect(() => backendNamed('interp', { threads: 2 })).toThrow("--threads applies to the cpu backend, not 'interp'");
    expect(backendNamed('cpu')).toBe(BACKENDS['cpu']);
    expect((backendNamed('cpu', { threads: 3 }) as CpuBackend).threads).toBe(3);
  });
});
