// `muc fmt` through the real binary, and the repository's own .mu files kept in its layout.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mucSync, ROOT, scratch } from '../support/cli.ts';

const { dir } = scratch('muc-fmt-');
const muc = (...args: string[]) => mucSync(args);

describe('muc fmt', () => {
  it('prints, checks and rewrites a file, keeping its comments', () => {
    const path = join(dir, 'messy.mu');
    writeFileSync(path, '-- doubles\nfn   f(x:f32[3])->f32[3]=x*2.0   -- twice\n');
    const printed = muc('fmt', path);
    expect(printed.stdout).toBe('-- doubles\nfn f(x: f32[3]) -> f32[3] =\n  x * 2.0 -- twice\n');
    expect(muc('fmt', '--check', path)).toMatchObject({ code: 1, stdout: `${path}\n` });
    expect(muc('fmt', '--write', path).code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(printed.stdout);
    expect(muc('fmt', '--check', path)).toMatchObject({ code: 0, stdout: '' });
  });

  it('reports a syntax error instead of formatting', () => {
    const path = join(dir, 'broken.mu');
    writeFileSync(path, 'fn f(x: f32) -> f32 = x +\n');
    const r = muc('fmt', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:1:26: error: syntax error: expected an expression, found the end of the file`);
  });

  it('finds the standard library and the examples already in the canonical layout', () => {
    const files = ['stdlib', 'examples'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.mu')).map((f) => join(ROOT, d, f)));
    const r = muc('fmt', '--check', ...files);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});
