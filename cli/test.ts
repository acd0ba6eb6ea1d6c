// `muc test [FILE|DIR…]`: run the `-- ==` test blocks of .mu files (spec/language.md §15), after
// `futhark test`. Directories are searched for .mu files; with no paths, the package's stdlib/ and
// examples/ are tested. Prints one line per case and the totals; exits 0 when every case passes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { STDLIB_DIR } from '../compiler/check/program.ts';
import { BACKENDS } from '../runtime/backend.ts';
import { testFile, type FileReport, type TestResult } from '../runtime/testblocks/runner.ts';

export interface TestCliOptions {
  readonly json: boolean;
  readonly backend: string;
}

/** The folders `muc test` runs with no paths: the package's own library and examples. */
export function defaultPaths(): string[] {
  const root = dirname(STDLIB_DIR);
  return [STDLIB_DIR, join(root, 'examples')].map((p) => relative(process.cwd(), p) || '.');
}

/** The .mu files under a folder, in order, skipping hidden folders and node_modules. */
function muFiles(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') out.push(...muFiles(path));
    else if (e.isFile() && e.name.endsWith('.mu')) out.push(path);
  }
  return out;
}

const MARK: Record<TestResult['status'], string> = { passed: '✓', failed: '✗', 'not checked': '○' };

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** The lines `muc test` prints for a file's results. */
export function formatReport(r: FileReport): string[] {
  if (!r.hasTests) return [`- ${r.file}: no tests`];
  const out: string[] = [];
  for (const t of r.results) {
    const where = t.line === null ? r.file : `${r.file}:${t.line}`;
    if (t.kind === 'structure' && t.status === 'not checked') {
      out.push(`${MARK[t.status]} ${where} ${t.entry !== null ? `${t.entry}: ` : ''}${t.title}: not checked (${t.message ?? ''})`);
      continue;
    }
    const head = t.kind === 'check' ? `${MARK[t.status]} ${where}: does not check` : `${MARK[t.status]} ${where} ${t.entry !== null ? `${t.entry}: ` : ''}${t.title}`;
    out.push(head);
    if (t.status !== 'failed') continue;
    if (t.expected !== undefined) out.push(`    expected: ${t.expected}`, `    actual:   ${t.actual ?? ''}`);
    if (t.message !== undefined) out.push(indent(t.message));
  }
  return out;
}

export interface Totals {
  passed: number;
  failed: number;
  notChecked: number;
  files: number;
  noTests: number;
}

function tally(reports: readonly FileReport[]): Totals {
  const t: Totals = { passed: 0, failed: 0, notChecked: 0, files: reports.length, noTests: 0 };
  for (const r of reports) {
    if (!r.hasTests) t.noTests++;
    for (const x of r.results) {
      if (x.status === 'passed') t.passed++;
      else if (x.status === 'failed') t.failed++;
      else t.notChecked++;
    }
  }
  return t;
}

export function formatTotals(t: Totals): string {
  const parts = [`${t.passed} passed`, `${t.failed} failed`];
  if (t.notChecked > 0) parts.push(`${t.notChecked} structure block${t.notChecked === 1 ? '' : 's'} not checked`);
  const files = `${t.files} file${t.files === 1 ? '' : 's'}${t.noTests > 0 ? ` (${t.noTests} with no tests)` : ''}`;
  return `${parts.join(', ')} in ${files}`;
}

/** Returns the exit code: 0 when every case passes, 1 when one fails or a path is missing. */
export async function runTests(paths: readonly string[], opts: TestCliOptions): Promise<number> {
  const backend = BACKENDS[opts.backend];
  if (!backend) {
    process.stderr.write(`muc: error: unknown backend '${opts.backend}' (available: ${Object.keys(BACKENDS).join(', ')})\n`);
    return 1;
  }
  const errors: string[] = [];
  const files: string[] = [];
  for (const p of paths.length > 0 ? paths : defaultPaths()) {
    if (!existsSync(p)) {
      errors.push(`no such file or directory: ${p}`);
      continue;
    }
    for (const f of statSync(p).isDirectory() ? muFiles(p) : [p]) if (!files.includes(f)) files.push(f);
  }
  for (const e of errors) process.stderr.write(`muc: error: ${e}\n`);

  const reports: FileReport[] = [];
  // In --json mode stdout is the report, so what tested host functions print goes to stderr.
  const print = opts.json ? (line: string) => process.stderr.write(line + '\n') : undefined;
  for (const file of files) {
    const r = await testFile(file, { backend, ...(print ? { print } : {}) });
    reports.push(r);
    if (!opts.json) process.stdout.write(formatReport(r).join('\n') + '\n');
  }
  const totals = tally(reports);
  if (opts.json) process.stdout.write(JSON.stringify({ files: reports, errors, totals }, null, 2) + '\n');
  else if (files.length > 0 || errors.length === 0) process.stdout.write(`\n${formatTotals(totals)}\n`);
  return totals.failed > 0 || errors.length > 0 ? 1 : 0;
}
