// The README's tour of the language is a real program: it checks, and its loss falls.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../runtime/program.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('README', () => {
  it('has a tour program that checks and trains', async () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const start = readme.indexOf('```', readme.indexOf('## A tour of the language'));
    const source = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('```', start + 3));
    const program = compile(source, { file: `${ROOT}README-tour.mu` });
    const lines: string[] = [];
    await program.main({ print: (l) => lines.push(l) });
    const losses = lines.map((l) => Number(l.split(' ')[3]));
    expect(losses).toHaveLength(5);
    expect(losses[4]!).toBeLessThan(losses[0]! / 3);
  });
});
