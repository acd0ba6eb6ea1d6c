// `muc check` end to end, through the real binary in a child process.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guard, INTERNAL_ERROR } from '../../cli/guard.ts';
import { mucSync, scratch } from '../support/cli.ts';

const { dir, file } = scratch('muc-cli-');

const muc = (...args: string[]) => mucSync(args);


describe('muc check', () => {
  it('exits 0 and prints nothing for a clean file', () => {
    const r = muc('check', new URL('../../examples/mlp.mu', import.meta.url).pathname);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('reports every error with file:line:col, the source line and a caret, and exits 1', () => {
    const path = file('bad.mu', 'fn f[m, n](x: f32[m, n], y: f32[n, m]) -> f32[m, n] = x + y\nfn g(x: f32[3]) -> f32[3] = exp(x) + z\n');
    const r = muc('check', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:1:57: error: operator '+': shapes [m, n] and [n, m] do not broadcast`);
    expect(r.stderr).toContain(' 1 | fn f[m, n](x: f32[m, n], y: f32[n, m]) -> f32[m, n] = x + y\n   |                                                         ^');
    expect(r.stderr).toContain(`${path}:2:38: error: unknown name 'z'`);
    expect(r.stderr).toMatch(/2 errors\n$/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('checks several files and fails if any has errors', () => {
    const good = file('good.mu', 'fn f(x: f32[2]) -> f32[2] = x * 2\n');
    const bad = file('bad2.mu', 'fn f(x: f32[2]) -> f32[3] = x\n');
    expect(muc('check', good).code).toBe(0);
    const r = muc('check', good, bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:1:29: error: 'f' returns f32[3], but its body has type f32[2]`);
  });

  it('prints machine-readable diagnostics with --json', () => {
    const path = file('json.mu', 'fn f(x: f32[2, 3]) -> f32[2, 3] = x @ x\n');
    const r = muc('check', '--json', path);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: { file: string; line: number; col: number; message: string }[] };
    expect(out.diagnostics).toHaveLength(1);
    expect(out.diagnostics[0]).toMatchObject({ file: path, line: 1, col: 37 });
    expect(out.diagnostics[0]!.message).toMatch(/^operator '@'/);
  });

  it('reports a syntax error as a diagnostic', () => {
    const path = file('syntax.mu', 'fn f(x: f32[2]) -> f32[2] =\n  x + * 2\n');
    const r = muc('check', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:2:7: error: syntax error: expected an expression, found '*'`);
  });

  it('reports a missing file as an error, not a crash', () => {
    const r = muc('check', join(dir, 'nope.mu'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file');
  });

  it('treats a bad command line as an error with usage', () => {
    const r = muc('check', '--no-such-flag', 'x.mu');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });
});

describe('internal errors', () => {
  it('print as a bug with exit code 2 and no stack trace unless asked', () => {
    const out: string[] = [];
    const code = guard(() => {
      throw new Error('boom');
    }, (s) => out.push(s));
    expect(code).toBe(INTERNAL_ERROR);
    expect(out.join('')).toBe(
      'muc: internal error: boom\nThis is a bug in muc, not in your program; please report it with the input.\nRun with MUC_DEBUG=1 to see where it happened.\n',
    );
  });
});
