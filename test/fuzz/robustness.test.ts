// The front end must survive any input: checkSource returns (a result, with or without
// diagnostics) and never throws, quickly, and every diagnostic points inside the file.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource, type CheckResult, type Loader } from '../../compiler/check/program.ts';
import type { Span } from '../../compiler/syntax/ast.ts';
import { format } from '../../compiler/syntax/format.ts';
import { TOKENS, mutated, programs, syntax } from '../support/programs.ts';

const FILE = 'fuzz.mu';
/** Imports find nothing: the checker reports them and must not read the file system. */
const NO_FILES: Loader = { read: () => null };
const MLP = readFileSync(new URL('../../examples/mlp.mu', import.meta.url), 'utf8');
/**
 * The bound on one call. Typical calls take milliseconds; the bound only catches runaway cases
 * (and each property's test timeout bounds the calls together).
 */
const CALL_LIMIT_MS = 2000;

function spanProblem(s: Span, text: string): string | null {
  if (s.file !== FILE) return `its span is in another file, '${s.file}'`;
  if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end < s.start) return `its span ${s.start}-${s.end} is malformed`;
  if (s.end <= text.length) return null;
  // Known bug (reported): a syntax error at the very end of a file without a final newline is
  // reported at [length, length + 1), one character past the end.
  if (s.start === text.length && s.end === text.length + 1) return null;
  return `its span ${s.start}-${s.end} ends past the end of the text (${text.length})`;
}

/** Runs the checker on `text` and fails with a readable report when it misbehaves. */
function checkRobustly(text: string): CheckResult {
  const shown = `--- input (JSON): ${JSON.stringify(text)}\n--- input:\n${text}`;
  const t0 = performance.now();
  let r: CheckResult;
  try {
    r = checkSource(text, FILE, NO_FILES);
  } catch (err) {
    throw new Error(`checkSource threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n${shown}`);
  }
  const ms = performance.now() - t0;
  if (ms > CALL_LIMIT_MS) throw new Error(`checkSource took ${Math.round(ms)} ms (limit ${CALL_LIMIT_MS} ms)\n${shown}`);
  for (const d of r.diagnostics) {
    const problem = d.message.trim() === '' ? 'its message is empty' : spanProblem(d.span, text);
    if (problem !== null) throw new Error(`diagnostic '${d.message}' at ${d.span.start}-${d.span.end}: ${problem}\n${shown}`);
    for (const n of d.notes) {
      const noteProblem = n.message.trim() === '' ? 'its message is empty' : n.span === null ? null : spanProblem(n.span, text);
      if (noteProblem !== null) throw new Error(`note '${n.message}' of diagnostic '${d.message}': ${noteProblem}\n${shown}`);
    }
  }
  return r;
}

/** Texts made of the language's tokens, run together or separated by spaces and newlines. */
const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom('', ' ', ' ', '\n')), { maxLength: 40 })
  .map((ts) => ts.map(([t, sep]) => t + sep).join(''));

/** Token soup where a declaration is expected, so that more of it gets past the parser's first token. */
const soupInDecl = fc.tuple(
  fc.constantFrom('fn f[n](x: f32[n], y: i32) -> f32[n] = ', 'fn main() {\n  ', 'fn g(p: { w: f32[2] }) =\n  ', 'type T[n] = ', 'import '),
  tokenSoup,
  fc.constantFrom('', '\n', '\n}\n', ')\n'),
).map((parts) => parts.join(''));

describe('checkSource on arbitrary strings', () => {
  const cases: [string, fc.Arbitrary<string>, number][] = [
    ['ASCII strings', fc.string({ maxLength: 200 }), 300],
    ['full Unicode strings', fc.string({ unit: 'binary', maxLength: 200 }), 300],
    ['grapheme strings', fc.string({ unit: 'grapheme', maxLength: 100 }), 100],
    ['token soup', tokenSoup, 300],
    ['token soup inside a declaration', soupInDecl, 300],
  ];
  it.each(cases)('%s: returns, never throws', { timeout: 30_000 }, (_, arb, numRuns) => {
    fc.assert(
      fc.property(arb, (text) => {
        checkRobustly(text);
      }),
      { numRuns },
    );
  });

  it('handles the edge cases by hand', () => {
    for (const text of ['', '\n', '--', '-- only a comment', 'fn', 'fn f() =', '"', '"\\', 'fn f() = "\\', '\u0000', '\uD800', 'fn main() {', '}}}', 'fn f() = 1..2'])
      checkRobustly(text);
  });
});

describe('checkSource on edited programs', () => {
  // Mostly syntax errors, but also valid programs with type errors: wrong shapes, unknown
  // names, swapped arguments, duplicated declarations and statements.
  it('survives edits of generated programs', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(mutated(programs({ maxFns: 3, comments: false })), (text) => {
        checkRobustly(text);
      }),
      { numRuns: 150 },
    );
  });

  it('survives edits of examples/mlp.mu', { timeout: 30_000 }, () => {
    let checked = 0;
    fc.assert(
      fc.property(mutated(fc.constant(MLP), 2), (text) => {
        if (checkRobustly(text).module !== null) checked++;
      }),
      { numRuns: 80 },
    );
    // Some edits must get past the parser, to the checker.
    expect(checked).toBeGreaterThan(2);
  });

  it('survives any syntactically valid program (random syntax trees, ill-typed)', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(syntax(4).program, (p) => {
        checkRobustly(format(p));
      }),
      { numRuns: 200 },
    );
  });
});
