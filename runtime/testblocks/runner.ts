// Runs the test blocks of one file (spec/language.md §15), the way `futhark test` does: a block
// with `error:` lines expects the file not to check, with a diagnostic matching each; otherwise the
// file must check clean and every `input … output …` / `input … error: …` case calls every entry
// of its block on the backend. A `structure { kernels N … }` line is checked for each entry of its
// block against the fusion scheduler, whatever the backend: the entry's graph (the one a backend
// compiles for a call with the block's first case's inputs) is scheduled with the default options
// and its kernels counted (compiler/schedule/stats.ts names the counts).
import { checkFile, fsLoader, type Loader } from '../../compiler/check/program.ts';
import { renderDiagnostic } from '../../compiler/diag/render.ts';
import { lineCol, type Diagnostic } from '../../compiler/diag/diagnostic.ts';
import { parseTestBlocks, type TestBlock, type TestCase } from '../../compiler/syntax/testblocks.ts';
import { BACKENDS, type Backend } from '../backend.ts';
import { CompileError, MuProgram, MuRuntimeError, type Value } from '../program.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { scheduleStats, kernelLines, STRUCTURE_COUNTS } from '../../compiler/schedule/stats.ts';
import { compareValues, expectedOutput, formatTest, formatValue, inputValue, TestValueError, zeroValue } from './values.ts';

export type Status = 'passed' | 'failed' | 'not checked';

export interface TestResult {
  /**
   * `output` and `error`: a case called on an entry; `compile-error`: an `error:` line of a block;
   * `structure`: a block's counts; `block`: a malformed test block; `check`: the file does not
   * check, so its cases could not run.
   */
  readonly kind: 'output' | 'error' | 'compile-error' | 'structure' | 'block' | 'check';
  /** 1-based line of the case (or of its block), null for the whole file. */
  readonly line: number | null;
  readonly entry: string | null;
  /** What is tested, as written: `input { [1.0, 2.0] }`, `error: do not broadcast`, `structure { kernels 1 }`. */
  readonly title: string;
  readonly status: Status;
  /** For a failed output case: the values, with their types and shapes. */
  readonly expected?: string;
  readonly actual?: string;
  /** Why it failed (may span lines). */
  readonly message?: string;
}

export interface FileReport {
  readonly file: string;
  /** Whether the file has any test block (a malformed one counts). */
  readonly hasTests: boolean;
  readonly results: readonly TestResult[];
}

export interface TestFileOptions {
  readonly backend?: Backend;
  /** Where `print` in a tested host function writes. */
  readonly print?: (line: string) => void;
  readonly loader?: Loader;
}

/** Inputs and titles longer than this are cut with `…`. */
const TITLE_LIMIT = 100;
const cut = (s: string): string => (s.length > TITLE_LIMIT ? `${s.slice(0, TITLE_LIMIT - 1)}…` : s);

export async function testFile(file: string, opts: TestFileOptions = {}): Promise<FileReport> {
  const checked = checkFile(file, opts.loader ?? fsLoader);
  const text = checked.sources.get(file) ?? '';
  // A file that does not parse has no program; its blocks can still expect the syntax error.
  const program = checked.module?.program ?? { file, decls: [] };
  const parsed = parseTestBlocks(text, program);
  const lineOf = (offset: number): number => lineCol(text, offset).line;
  const render = (ds: readonly Diagnostic[]): string => ds.map((d) => renderDiagnostic(d, checked.sources)).join('\n');
  const results: TestResult[] = [];

  for (const d of parsed.diagnostics)
    results.push({ kind: 'block', line: lineOf(d.span.start), entry: null, title: 'test block', status: 'failed', message: render([d]) });

  const clean = checked.diagnostics.length === 0 && checked.module !== null;
  for (const b of parsed.blocks)
    for (const ce of b.compileErrors) {
      const title = `error: ${ce.pattern.source}`;
      const line = lineOf(ce.span.start);
      if (clean) results.push({ kind: 'compile-error', line, entry: null, title, status: 'failed', message: 'the file checks without errors' });
      else if (checked.diagnostics.some((d) => ce.pattern.test(d.message))) results.push({ kind: 'compile-error', line, entry: null, title, status: 'passed' });
      else
        results.push({
          kind: 'compile-error', line, entry: null, title, status: 'failed',
          message: `no diagnostic matches /${ce.pattern.source}/; the file's diagnostics:\n${render(checked.diagnostics)}`,
        });
    }

  const cases = parsed.blocks.reduce((n, b) => n + b.cases.length * b.entries.length, 0);
  const expectsErrors = parsed.blocks.some((b) => b.compileErrors.length > 0);
  if (!clean && (cases > 0 || !expectsErrors) && parsed.blocks.length > 0) {
    const what = cases > 0 ? `, so its ${cases} case${cases === 1 ? ' was' : 's were'} not run` : '';
    results.push({ kind: 'check', line: null, entry: null, title: 'check', status: 'failed', message: `the file does not check${what}:\n${render(checked.diagnostics)}` });
  }

  if (clean) {
    const mu = new MuProgram(checked, opts.backend ?? BACKENDS['interp']!);
    for (const b of parsed.blocks) {
      const lines = caseLines(text, b, lineOf);
      for (const entry of b.entries)
        for (const [i, c] of b.cases.entries()) results.push(await runCase(mu, entry, c, lines[i]!, opts));
      if (b.structure.size > 0) for (const entry of b.entries) results.push(checkStructure(mu, entry, b, structureLine(text, b, lineOf)));
    }
  }

  results.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { file, hasTests: parsed.blocks.length > 0 || parsed.diagnostics.length > 0, results };
}

/**
 * The line of each case of a block. The parsed cases carry the block's span only, so this finds
 * the comment lines that start with `input {`, in order; when they do not pair up one to one (a
 * case dropped for a bad regex), every case gets the line after the block's `-- ==`.
 */
function caseLines(text: string, b: TestBlock, lineOf: (offset: number) => number): number[] {
  const first = lineOf(b.span.start);
  const body = text.slice(b.span.start, b.span.end).split('\n');
  const found = body.flatMap((l, i) => (/^\s*--\s*input\s*\{/.test(l) ? [first + i] : []));
  return found.length === b.cases.length ? found : b.cases.map(() => first + 1);
}

/** The line of a block's first `structure { … }`. */
function structureLine(text: string, b: TestBlock, lineOf: (offset: number) => number): number {
  const i = text.slice(b.span.start, b.span.end).split('\n').findIndex((l) => /^\s*--\s*structure\s*\{/.test(l));
  return lineOf(b.span.start) + Math.max(i, 0);
}

/**
 * A block's `structure { … }` counts for one entry: its graph, for the first case's inputs (or, with
 * no case, for zeros of its parameter types, which then need constant sizes), scheduled.
 */
function checkStructure(mu: MuProgram, entry: string, b: TestBlock, line: number): TestResult {
  const title = `structure { ${[...b.structure].map(([k, n]) => `${k} ${n}`).join(' ')} }`;
  const base = { kind: 'structure', line, entry, title } as const;
  const fail = (message: string): TestResult => ({ ...base, status: 'failed', message });
  const unknown = [...b.structure.keys()].filter((k) => !Object.hasOwn(STRUCTURE_COUNTS, k));
  if (unknown.length > 0) return fail(`no count named ${unknown.map((k) => `'${k}'`).join(', ')} (the counts: ${Object.keys(STRUCTURE_COUNTS).join(', ')})`);
  const module = mu.checked.module!;
  const decl = module.fns.get(entry);
  if (!decl) return fail(`no function '${entry}' in this file`);
  if (decl.body.kind !== 'expr') return fail(`'${entry}' is host code; structure counts the kernels of a pure function`);
  const sig = mu.checked.checker.signature(decl, module);
  let args: Value[];
  try {
    const first = b.cases.find((c) => c.kind === 'output') ?? b.cases[0];
    if (first && first.input.length > sig.params.length) return fail(`'${entry}' takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, but the first case gives ${first.input.length}`);
    args = first
      ? first.input.map((tv, i) => inputValue(tv, sig.params[i]!.type, sig.params[i]!.name))
      : sig.params.slice(0, sig.params.findLastIndex((p) => !p.optional) + 1).map((p) => zeroValue(p.type, p.name));
  } catch (err) {
    if (err instanceof TestValueError) return fail(`no graph to schedule: ${err.message}${b.cases.length === 0 ? '; give an input case' : ''}`);
    throw err;
  }
  let graph;
  try {
    graph = mu.graph(entry, ...args);
  } catch (err) {
    // What a call with these inputs would report (a size that does not fit, a bad value).
    if (err instanceof Error) return fail(`no graph to schedule: ${err.message}`);
    throw err;
  }
  const s = schedule(graph);
  const stats = scheduleStats(s);
  const wrong = [...b.structure].flatMap(([k, n]) => {
    const found = STRUCTURE_COUNTS[k]!(stats);
    return found === n ? [] : [`${k}: expected ${n}, found ${found}`];
  });
  if (wrong.length === 0) return { ...base, status: 'passed' };
  return fail([wrong.join('; '), `the ${s.kernels.length === 1 ? 'kernel' : `${s.kernels.length} kernels`} of '${entry}':`, ...kernelLines(s, graph).map((l) => `  ${l}`)].join('\n'));
}

async function runCase(mu: MuProgram, entry: string, c: TestCase, line: number, opts: TestFileOptions): Promise<TestResult> {
  const inputs = c.input.length === 0 ? 'input { }' : `input { ${c.input.map(formatTest).join(' ')} }`;
  const title = cut(c.kind === 'error' ? `${inputs} error: ${c.pattern.source}` : inputs);
  const base = { kind: c.kind, line, entry, title } as const;
  const fail = (message: string, extra: { expected?: string; actual?: string } = {}): TestResult => ({ ...base, status: 'failed', message, ...extra });

  const module = mu.checked.module!;
  const decl = module.fns.get(entry);
  if (!decl) return fail(`no function '${entry}' in this file`);
  const sig = mu.checked.checker.signature(decl, module);
  if (c.input.length > sig.params.length)
    return fail(`'${entry}' takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, but the case gives ${c.input.length}`);
  const missing = sig.params.slice(c.input.length).find((p) => !p.optional);
  if (missing) return fail(`the case gives no input for '${missing.name}' (parameter ${c.input.length + 1} of '${entry}')`);
  const args: Record<string, Value> = {};
  try {
    c.input.forEach((tv, i) => {
      const p = sig.params[i]!;
      args[p.name] = inputValue(tv, p.type, p.name);
    });
  } catch (err) {
    if (err instanceof TestValueError) return fail(`bad input: ${err.message}`);
    throw err;
  }

  let result: Value;
  try {
    result = await mu.callWith(entry, args, opts.print ? { print: opts.print } : {});
  } catch (err) {
    if (!(err instanceof MuRuntimeError || err instanceof CompileError)) throw err;
    const detail = err instanceof MuRuntimeError ? err.detail : err.message;
    if (c.kind === 'output') return fail(`the call failed: ${err.message}`);
    if (c.pattern.test(err.message) || c.pattern.test(detail)) return { ...base, status: 'passed' };
    return fail(`the error does not match /${c.pattern.source}/: ${err.message}`);
  }

  if (c.kind === 'error') return fail(`expected an error matching /${c.pattern.source}/, but the call returned ${formatValue(result)}`);
  let expected: Value;
  try {
    expected = expectedOutput(c.output, result);
  } catch (err) {
    if (err instanceof TestValueError) return fail(`bad expected output: ${err.message}`);
    throw err;
  }
  const m = compareValues(result, expected);
  if (m === null) return { ...base, status: 'passed' };
  return fail(`${m.path}: ${m.message}`, { expected: formatValue(expected), actual: formatValue(result) });
}
