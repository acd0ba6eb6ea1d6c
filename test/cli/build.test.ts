// `muc build --emit stats` through the real binary: a pure entry's kernels by kind, bytes moved and
// planned peak; a host entry run and traced, every graph it computes shown with its run count, and
// the sums per run count (a training step's graphs are those run once per step).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { mucAsync, ROOT } from '../support/cli.ts';


const muc = (...args: string[]) => mucAsync(args, { cwd: ROOT });

describe.concurrent('muc build --emit stats', () => {
  it("prints a pure entry's kernels by kind, the bytes they move and the planned peak", async ({ expect }) => {
    const r = await muc('build', 'test/testblocks/structure/pass.mu', '--emit', 'stats', '--entry', 'linear_gelu', '--entry', 'soft', '--size', 'm=4', '--size', 'n=8');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'stats linear_gelu: 1 kernel (0 elementwise, 0 reduce, 1 matmul, 0 library)',
        // x and w whole, the bias row once, the output
        '  bytes moved 960 (read 448, written 512)',
        '  planned peak 0 bytes of temporaries; inputs and outputs 960 bytes',
        '  k0 (root %3 matmul): matmul [8, 16] k=4; reads b0 f32[8, 4], b1 f32[4, 16], b2 f32[16]; writes b3 f32[8, 16]; 960 bytes',
        '',
        'stats soft: 3 kernels (1 elementwise, 2 reduce, 0 matmul, 0 library)',
        '  bytes moved 592 (read 432, written 160)',
        '  planned peak 272 bytes of temporaries; inputs and outputs 256 bytes',
        '  k0 (root %1 max): fused [4] reduce max [8]; reads b0 f32[4, 8]; writes b1 f32[4]; 144 bytes',
        '  k1 (root %7 sum): fused [4] reduce sum [8]; reads b0 f32[4, 8], b1 f32[4]; writes b2 f32[4]; 160 bytes',
        '  k2 (root %10 div): fused [4, 8]; reads b0 f32[4, 8], b1 f32[4], b2 f32[4]; writes b3 f32[4, 8]; 288 bytes',
        '',
      ].join('\n'),
    );
  });

  it('runs a host entry and sums the graphs of each run count: one MLP training step', async ({ expect }) => {
    const r = await muc('build', 'test/schedule/steps/mlp_step.mu', '--emit', 'stats', '--entry', 'step');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-- graph 1 of 7 \(host\), run 1 time\nstats host: /);
    expect(r.stdout).toContain('-- graph 6 of 7 (host), run 2 times\nstats host: 12 kernels (1 elementwise, 6 reduce, 5 matmul, 0 library)\n');
    // value_and_grad(loss) and the SGD update (one kernel per parameter: their shapes differ)
    expect(r.stdout).toContain('\n2 graphs run 2 times: 16 kernels and 47616 bytes moved per run\n');
  });

  it('says why a host entry with parameters cannot be traced', async ({ expect }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'muc-build-')), 'host.mu');
    writeFileSync(path, 'fn show(n: i32, k: i32 = 2) {\n  print(n * k)\n}\n');
    const r = await muc('build', path, '--emit', 'stats', '--entry', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("muc: error: 'show' is host code with parameters (n); a traced host entry takes none\n");
  });
});
