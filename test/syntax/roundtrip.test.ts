// Property tests over random well-typed programs: they check, and the formatter gives back the
// same AST (and comments) for each of them and for programs mangled by random edits.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource, type Loader } from '../../compiler/check/program.ts';
import type { Program } from '../../compiler/syntax/ast.ts';
import { format } from '../../compiler/syntax/format.ts';
import { parse } from '../../compiler/syntax/parse.ts';
import { arbitrary, commentsOf, generateProgram, mutated, programs, syntax, withoutSpans } from '../support/programs.ts';

const FILE = 'generated.mu';
/** Generated programs import nothing; the checker must not touch the file system. */
const NO_FILES: Loader = { read: () => null };
const MLP = readFileSync(new URL('../../examples/mlp.mu', import.meta.url), 'utf8');

function parseOrThrow(text: string, what: string): Program {
  const r = parse(text, FILE);
  if (r.program === null)
    throw new Error(`${what} does not parse:\n${r.diagnostics.map((d) => `  at ${d.span.start}: ${d.message}`).join('\n')}\n--- text:\n${text}`);
  return r.program;
}

/** parse(format(p)) == p, format is idempotent, and no comment is lost or reordered. */
function checkRoundTrip(text: string, p: Program): void {
  const once = format(p, text);
  const again = parseOrThrow(once, 'the formatted program');
  expect(withoutSpans(again), `format changed the AST of:\n${text}\n--- formatted:\n${once}`).toEqual(withoutSpans(p));
  expect(format(again, once), `format is not idempotent on:\n${once}`).toBe(once);
  expect(commentsOf(once), `format lost or moved comments of:\n${text}\n--- formatted:\n${once}`).toEqual(commentsOf(text));
  const bare = format(p);
  expect(withoutSpans(parseOrThrow(bare, 'the program formatted without comments')), `format(p) changed the AST of:\n${text}`).toEqual(withoutSpans(p));
  expect(commentsOf(bare)).toEqual([]);
}

describe('generated programs', () => {
  it('are well-typed: the checker reports nothing', () => {
    fc.assert(
      fc.property(arbitrary, (text) => {
        const r = checkSource(text, FILE, NO_FILES);
        if (r.diagnostics.length > 0)
          throw new Error(
            `${r.diagnostics.length} diagnostic(s):\n` +
              r.diagnostics.map((d) => `  ${d.span.start}-${d.span.end} '${text.slice(d.span.start, d.span.end).slice(0, 60)}': ${d.message}`).join('\n') +
              `\n--- program:\n${text}`,
          );
      }),
      { numRuns: 200 },
    );
  });

  it('are deterministic in their choices, and the empty choice list gives a small program', () => {
    expect(generateProgram([3, 1, 4, 1, 5, 9, 2, 6])).toBe(generateProgram([3, 1, 4, 1, 5, 9, 2, 6]));
    const smallest = generateProgram([]);
    expect(checkSource(smallest, FILE, NO_FILES).diagnostics).toEqual([]);
    expect(smallest.split('\n').length).toBeLessThan(5);
  });

  it('cover the constructs the formatter must handle', () => {
    const sample = fc.sample(arbitrary, { numRuns: 200, seed: 42 }).join('\n');
    for (const needle of [' -> ', 'let (', ' in ', 'if ', 'loop ', ' for ', '..', 'fn main() {', 'var ', 'print(', 'type T', ' with ', 'fn(', 'axis = ', ' @ ', 'transpose(', '.w', '-- ', '**', ' and ', 'not '])
      expect(sample, `no generated program contains '${needle}'`).toContain(needle);
  });

  it('format back to the same AST, idempotently, keeping every comment', () => {
    fc.assert(
      fc.property(arbitrary, (text) => {
        checkRoundTrip(text, parseOrThrow(text, 'the generated program'));
      }),
      { numRuns: 100 },
    );
  });

  it('format deeper programs back to the same AST', () => {
    fc.assert(
      fc.property(programs({ depth: 5, maxFns: 2, host: false, choices: 600 }), (text) => {
        checkRoundTrip(text, parseOrThrow(text, 'the generated program'));
      }),
      { numRuns: 30 },
    );
  });
});

describe('edited programs that still parse', () => {
  // Random edits make valid programs no generator writes on purpose (odd operator mixes, misplaced
  // comments, statements run together); whichever of them parse must round-trip too.
  const cases = fc.oneof(mutated(programs({ maxFns: 2 })), mutated(fc.constant(MLP), 4));
  it('format back to the same AST, idempotently, keeping every comment', () => {
    let parsed = 0;
    fc.assert(
      fc.property(cases, (text) => {
        const r = parse(text, FILE);
        if (r.program === null) return;
        parsed++;
        checkRoundTrip(text, r.program);
      }),
      { numRuns: 150 },
    );
    expect(parsed).toBeGreaterThan(5);
  });
});

describe('random syntax trees', () => {
  // Every construct in every position, with no regard for types: the formatter must parenthesize,
  // separate and escape so that the parser reads back exactly this tree.
  it('format to text that parses back to the same tree', () => {
    fc.assert(
      fc.property(syntax().program, (p) => {
        const text = format(p);
        const back = parseOrThrow(text, 'the formatted tree');
        expect(withoutSpans(back), `the tree changed; formatted:\n${text}`).toEqual(withoutSpans(p));
        expect(format(back, text)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
