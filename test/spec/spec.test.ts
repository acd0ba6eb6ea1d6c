// The language reference is tested: every ```mu example in spec/language.md must check clean, every
// ```mu-error example must be rejected with a message matching its first line `-- error: <regex>`,
// and the builtin reference section must be exactly what compiler/builtins/docs.ts renders from
// the builtin table. Run with MUC_UPDATE_SPEC=1 to rewrite that section after changing the table.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinReference } from '../../compiler/builtins/docs.ts';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../../compiler/builtins/math.ts';
import { BUILTINS } from '../../compiler/builtins/table.ts';
import { checkSource, fsLoader, type CheckResult, type Loader } from '../../compiler/check/program.ts';
import { renderDiagnostic } from '../../compiler/diag/render.ts';
import { parseTestBlocks } from '../../compiler/syntax/testblocks.ts';

const SPEC_PATH = new URL('../../spec/language.md', import.meta.url);
const spec = readFileSync(SPEC_PATH, 'utf8');

const START = '<!-- builtins:start -->';
const END = '<!-- builtins:end -->';

/** Where the examples live while they are checked: a folder that exists only in memory. */
const DIR = '/spec-examples';

interface Example {
  readonly lang: 'mu' | 'mu-error';
  readonly heading: string;
  /** 1-based, counted within its heading. */
  readonly index: number;
  /** 1-based line of the opening fence in spec/language.md. */
  readonly line: number;
  readonly code: string;
}

function examples(text: string): Example[] {
  const out: Example[] = [];
  const perHeading = new Map<string, number>();
  let heading = '(top)';
  let open: { lang: string; line: number; lines: string[] } | null = null;
  text.split('\n').forEach((line, i) => {
    if (open !== null) {
      if (/^```\s*$/.test(line)) {
        if (open.lang === 'mu' || open.lang === 'mu-error') {
          const index = (perHeading.get(heading) ?? 0) + 1;
          perHeading.set(heading, index);
          out.push({ lang: open.lang, heading, index, line: open.line, code: open.lines.join('\n') + '\n' });
        }
        open = null;
      } else open.lines.push(line);
      return;
    }
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence) open = { lang: fence[1]!, line: i + 1, lines: [] };
    else {
      const h = /^#{1,6}\s+(.*?)\s*$/.exec(line);
      if (h) heading = h[1]!;
    }
  });
  if (open !== null) throw new Error(`spec/language.md: the code block opened on line ${(open as { line: number }).line} is never closed`);
  return out;
}

const ALL = examples(spec);

/** A module example names its file on its first line, `-- file: geometry/vec.mu`; the other
 * examples import it by that path (`import geometry.vec`). */
const FILE_LINE = /^-- file: (\S+\.mu)\s*$/;
const modules = new Map<string, string>();
for (const ex of ALL) {
  const m = FILE_LINE.exec(ex.code.split('\n')[0]!);
  if (m) modules.set(`${DIR}/${m[1]!}`, ex.code);
}
const loader: Loader = { read: (path) => (path.startsWith(`${DIR}/`) ? (modules.get(path) ?? null) : fsLoader.read(path)) };

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function fileOf(ex: Example): string {
  const m = FILE_LINE.exec(ex.code.split('\n')[0]!);
  return m ? `${DIR}/${m[1]!}` : `${DIR}/${slug(ex.heading)}-${ex.index}.mu`;
}

function rendered(r: CheckResult): string {
  return r.diagnostics.map((d) => renderDiagnostic(d, r.sources)).join('\n');
}

/** The `-- ==` test blocks of an example that parsed, with any malformed-block diagnostics. */
function testBlocks(ex: Example, r: CheckResult): ReturnType<typeof parseTestBlocks> | null {
  return r.module === null ? null : parseTestBlocks(ex.code, r.module.program);
}

describe('spec/language.md examples', () => {
  it('has many examples of both kinds', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(30);
    expect(ALL.some((e) => e.lang === 'mu')).toBe(true);
    expect(ALL.some((e) => e.lang === 'mu-error')).toBe(true);
  });

  for (const ex of ALL) {
    const name = `${ex.heading} › ${ex.lang} example ${ex.index} (line ${ex.line})`;
    if (ex.lang === 'mu') {
      it(name, () => {
        const r = checkSource(ex.code, fileOf(ex), loader);
        if (r.diagnostics.length > 0) expect.fail(`expected no diagnostics, got:\n${rendered(r)}\n\nin:\n${ex.code}`);
        const tb = testBlocks(ex, r);
        expect(tb?.diagnostics ?? [], 'its test blocks are well formed').toEqual([]);
        for (const b of tb?.blocks ?? [])
          expect(b.compileErrors, 'a file whose test block expects a compile error belongs in a mu-error example').toEqual([]);
      });
    } else {
      it(name, () => {
        const first = /^-- error: (.+)$/.exec(ex.code.split('\n')[0]!);
        if (!first) return expect.fail('a mu-error example must start with a line `-- error: <regex>`');
        const pattern = new RegExp(first[1]!.trim());
        const r = checkSource(ex.code, fileOf(ex), loader);
        if (r.diagnostics.length === 0) expect.fail(`expected an error matching /${pattern.source}/, but the example checks clean:\n${ex.code}`);
        if (!r.diagnostics.some((d) => pattern.test(d.message)))
          expect.fail(`no diagnostic matches /${pattern.source}/; got:\n${rendered(r)}\n\nin:\n${ex.code}`);
        const tb = testBlocks(ex, r);
        expect(tb?.diagnostics ?? [], 'its test blocks are well formed').toEqual([]);
        for (const b of tb?.blocks ?? [])
          for (const ce of b.compileErrors)
            expect(r.diagnostics.some((d) => ce.pattern.test(d.message)), `the test block's error: ${ce.pattern.source}`).toBe(true);
      });
    }
  }
});

describe('the builtin reference in spec/language.md', () => {
  const start = spec.indexOf(START);
  const end = spec.indexOf(END);
  const section = start >= 0 && end > start ? spec.slice(start + START.length, end) : null;
  const reference = builtinReference();

  it('is exactly what builtinReference() renders from the builtin table', () => {
    if (section === null) return expect.fail(`spec/language.md must contain ${START} … ${END}`);
    if (process.env['MUC_UPDATE_SPEC'] === '1' && section !== `\n${reference}`) {
      writeFileSync(SPEC_PATH, spec.slice(0, start + START.length) + `\n${reference}` + spec.slice(end));
      return;
    }
    expect(section, 'regenerate with MUC_UPDATE_SPEC=1 npx vitest run test/spec').toBe(`\n${reference}`);
  });

  it('names every builtin and every operator', () => {
    for (const name of BUILTINS.keys()) expect(reference, `builtin ${name}`).toContain(`\`${name}(`);
    for (const op of Object.keys(BINARY_OPERATORS)) expect(reference, `operator ${op}`).toContain(`\`a ${op} b\``);
    for (const name of Object.values(UNARY_OPERATORS)) expect(reference, `operator for ${name}`).toContain(`\`${name}(x)\``);
  });
});
