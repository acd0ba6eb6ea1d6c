// In-source tests, after Futhark: a comment line `-- ==` opens a block of comment lines that
// describe tests of the function declared after it:
//
//   -- ==
//   -- entry: f g                       (optional: the functions tested; default the next one)
//   -- input { [1.0, 2.0] 3 } output { 9.0 }
//   -- input { [1.0] 0 } error: out of range
//   -- error: do not broadcast          (the file must fail to check with a matching message)
//   -- structure { kernels 2 }          (what fusion must produce)
//
// The block is parsed by the MuTest grammar in mu.ohm, on a copy of the file in which everything
// but the block's text is blanked, so spans point into the original file.
import type * as ohm from 'ohm-js';
import type { Program, Span } from './ast.ts';
import { testGrammar } from './parse.ts';
import { error, type Diagnostic } from '../diag/diagnostic.ts';

export type TestValue =
  | { readonly kind: 'number'; readonly value: number; readonly dtype: 'f32' | 'i32' | null; readonly isFloat: boolean }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'array'; readonly items: readonly TestValue[] }
  | { readonly kind: 'tuple'; readonly items: readonly TestValue[] }
  | { readonly kind: 'record'; readonly fields: readonly { readonly name: string; readonly value: TestValue }[] };

export type TestCase =
  | { readonly kind: 'output'; readonly input: readonly TestValue[]; readonly output: readonly TestValue[]; readonly span: Span }
  | { readonly kind: 'error'; readonly input: readonly TestValue[]; readonly pattern: RegExp; readonly span: Span };

export interface TestBlock {
  /** The functions the cases call. */
  readonly entries: readonly string[];
  readonly cases: readonly TestCase[];
  /** A message the file's diagnostics must match: the file is expected not to check. */
  readonly compileErrors: readonly { readonly pattern: RegExp; readonly span: Span }[];
  /** Expected counts from the compiler's later stages, such as `kernels`. */
  readonly structure: ReadonlyMap<string, number>;
  readonly span: Span;
}

type Line =
  | { kind: 'entry'; names: string[] }
  | { kind: 'case'; input: TestValue[]; outcome: { kind: 'output'; values: TestValue[] } | { kind: 'error'; pattern: string; span: Span } }
  | { kind: 'error'; pattern: string; span: Span }
  | { kind: 'structure'; counts: [string, number][] };

let currentFile = '';
const spanOf = (n: ohm.Node): Span => ({ file: currentFile, start: n.source.startIdx, end: n.source.endIdx });
const v = <T>(n: ohm.Node): T => n['v']() as T;
const vs = <T>(n: ohm.Node): T[] => n.asIteration().children.map((c) => v<T>(c));

const actions: ohm.ActionDict<unknown> = {
  Block: (lines) => lines.children.map((l) => v<Line>(l)),
  Line_entry: (_e, _c, names) => ({ kind: 'entry', names: names.sourceString.trim().split(/\s+/) }),
  Line_case: (_i, _l, input, _r, outcome) => ({ kind: 'case', input: input.children.map((x) => v<TestValue>(x)), outcome: v(outcome) }),
  Line_error: (_e, _c, rest) => ({ kind: 'error', pattern: rest.sourceString.trim(), span: spanOf(rest) }),
  Line_structure: (_s, _l, counts, _r) => ({ kind: 'structure', counts: counts.children.map((c) => v(c)) }),
  Outcome_output: (_o, _l, values, _r) => ({ kind: 'output', values: values.children.map((x) => v<TestValue>(x)) }),
  Outcome_error: (_e, _c, rest) => ({ kind: 'error', pattern: rest.sourceString.trim(), span: spanOf(rest) }),
  Count: (name, n) => [name.sourceString, Number(n.sourceString)],
  Value_array: (_l, items, _r) => ({ kind: 'array', items: vs(items) }),
  Value_record: (_l, fields, _r) => ({ kind: 'record', fields: vs(fields) }),
  Value_tuple: (_l, items, _r) => ({ kind: 'tuple', items: vs(items) }),
  Value_number(n) {
    const text = n.sourceString;
    const suffix = /(f32|i32)$/.exec(text)?.[1] as 'f32' | 'i32' | undefined;
    const digits = suffix ? text.slice(0, -3) : text;
    return { kind: 'number', value: Number(digits), dtype: suffix ?? null, isFloat: /[.eE]/.test(digits) };
  },
  Value_true: (_t) => ({ kind: 'bool', value: true }),
  Value_false: (_f) => ({ kind: 'bool', value: false }),
  FieldValue: (name, _c, value) => ({ name: name.sourceString, value: v(value) }),
};
const semantics = testGrammar.createSemantics().addOperation('v', actions);

/** The `-- ==` blocks of a file, each with the function it precedes. */
export function parseTestBlocks(text: string, program: Program): { blocks: TestBlock[]; diagnostics: Diagnostic[] } {
  const blocks: TestBlock[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  let offset = 0;
  const starts = lines.map((l) => ((offset += l.length + 1), offset - l.length - 1));
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*--\s*==\s*$/.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && /^\s*--/.test(lines[j]!)) j++;
    const start = starts[i + 1] ?? text.length;
    const end = j < lines.length ? starts[j]! : text.length;
    const masked = ' '.repeat(start) + text.slice(start, end).replace(/^(\s*)--/gm, '$1  ') + ' '.repeat(text.length - end);
    const span: Span = { file: program.file, start: starts[i]!, end };
    const next = program.decls.find((d) => d.kind === 'fn' && d.span.start >= end);
    const block = parseBlock(masked, span, next?.kind === 'fn' ? next.name.name : null, diagnostics);
    if (block) blocks.push(block);
    i = j - 1;
  }
  return { blocks, diagnostics };
}

function parseBlock(masked: string, span: Span, nextFn: string | null, diagnostics: Diagnostic[]): TestBlock | null {
  const m = testGrammar.match(masked);
  if (m.failed()) {
    const pos = m.getRightmostFailurePosition();
    diagnostics.push(error({ file: span.file, start: pos, end: pos + 1 }, `malformed test block: expected ${m.getExpectedText()}`));
    return null;
  }
  currentFile = span.file;
  const lines = semantics(m)['v']() as Line[];
  const regex = (pattern: string, at: Span): RegExp | null => {
    try {
      return new RegExp(pattern);
    } catch {
      diagnostics.push(error(at, `test block: '${pattern}' is not a valid regular expression`));
      return null;
    }
  };
  const entries = lines.flatMap((l) => (l.kind === 'entry' ? l.names : []));
  const cases: TestCase[] = [];
  const compileErrors: TestBlock['compileErrors'][number][] = [];
  const structure = new Map<string, number>();
  for (const l of lines) {
    if (l.kind === 'structure') for (const [k, n] of l.counts) structure.set(k, n);
    if (l.kind === 'error') {
      const pattern = regex(l.pattern, l.span);
      if (pattern) compileErrors.push({ pattern, span: l.span });
    }
    if (l.kind === 'case') {
      if (l.outcome.kind === 'output') cases.push({ kind: 'output', input: l.input, output: l.outcome.values, span });
      else {
        const pattern = regex(l.outcome.pattern, l.outcome.span);
        if (pattern) cases.push({ kind: 'error', input: l.input, pattern, span });
      }
    }
  }
  if (entries.length === 0 && nextFn === null && cases.length > 0)
    diagnostics.push(error(span, 'test block: no function follows it; name one with entry: f'));
  return { entries: entries.length > 0 ? entries : nextFn ? [nextFn] : [], cases, compileErrors, structure, span };
}
