// `structure { … }` lines of test blocks, checked against the fusion scheduler by the runner
// (runtime/testblocks/runner.ts) on the fixtures beside this file: pass.mu holds, fail.mu fails
// and says why. The counts do not depend on the backend the cases run on.
import { describe, expect, it } from 'vitest';
import { testFile, type TestResult } from '../../runtime/testblocks/runner.ts';
import { BACKENDS } from '../../runtime/backend.ts';

const DIR = 'test/testblocks/structure';
const structures = (rs: readonly TestResult[]): TestResult[] => rs.filter((r) => r.kind === 'structure');

describe('structure blocks', () => {
  it('pass when every count matches, one result per entry, next to the cases', async () => {
    const r = await testFile(`${DIR}/pass.mu`);
    expect(r.results.filter((x) => x.status !== 'passed')).toEqual([]);
    expect(structures(r.results).map((x) => [x.line, x.entry, x.title, x.status])).toEqual([
      [7, 'sumsq', 'structure { kernels 1 reduce 1 }', 'passed'],
      [12, 'linear_gelu', 'structure { kernels 1 matmul 1 fused 0 }', 'passed'],
      [18, 'soft', 'structure { kernels 3 reduce 2 elementwise 1 }', 'passed'],
      [27, 'scaled', 'structure { kernels 1 elementwise 1 library 0 }', 'passed'],
      [27, 'shifted', 'structure { kernels 1 elementwise 1 library 0 }', 'passed'],
    ]);
  });

  it('are counted from the scheduler, whatever backend runs the cases', async () => {
    const r = await testFile(`${DIR}/pass.mu`, { backend: BACKENDS['cpu']! });
    expect(structures(r.results).every((x) => x.status === 'passed')).toBe(true);
  });

  it('fail naming expected and found, and list the kernels', async () => {
    const r = await testFile(`${DIR}/fail.mu`);
    const [soft, one, sized, host] = structures(r.results);
    expect(soft).toMatchObject({ line: 6, entry: 'soft', status: 'failed' });
    expect(soft!.message).toBe(
      [
        'kernels: expected 1, found 3',
        "the 3 kernels of 'soft':",
        '  k0 (root %1 max): fused [2] reduce max [2]; reads b0 f32[2, 2]; writes b1 f32[2]',
        '  k1 (root %7 sum): fused [2] reduce sum [2]; reads b0 f32[2, 2], b1 f32[2]; writes b2 f32[2]',
        '  k2 (root %10 div): fused [2, 2]; reads b0 f32[2, 2], b1 f32[2], b2 f32[2]; writes b3 f32[2, 2]',
      ].join('\n'),
    );
    expect(one).toMatchObject({ entry: 'one', status: 'failed', message: "no count named 'kernel' (the counts: kernels, fused, elementwise, reduce, matmul, library)" });
    expect(sized).toMatchObject({ entry: 'sized', status: 'failed', message: "no graph to schedule: 'x' is f32[n], whose sizes only a case's inputs can tell; give an input case" });
    expect(host).toMatchObject({ entry: 'host', status: 'failed', message: "'host' is host code; structure counts the kernels of a pure function" });
    // the cases of a block with a failing structure still run and pass
    expect(r.results.filter((x) => x.kind === 'output').map((x) => x.status)).toEqual(['passed']);
  });

  it('are not reported for a file that does not check (the file fails once)', async () => {
    const r = await testFile('test/testblocks/fail/checks_clean.mu');
    expect(structures(r.results)).toEqual([]);
  });
});
