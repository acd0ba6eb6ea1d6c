// `muc check FILE…`: parse and type-check each file (and what it imports); report every error.
import { existsSync } from 'node:fs';
import { checkFile, type CheckResult } from '../compiler/check/program.ts';
import { renderDiagnostic, toJson } from '../compiler/diag/render.ts';
import { parseTestBlocks } from '../compiler/syntax/testblocks.ts';
import type { Diagnostic } from '../compiler/diag/diagnostic.ts';

export interface CheckOptions {
  readonly json: boolean;
}

/** The diagnostics of one file: its own and its imports', and those of its test blocks. */
export function checkWithTests(file: string): CheckResult & { readonly all: readonly Diagnostic[] } {
  const r = checkFile(file);
  const text = r.sources.get(file) ?? '';
  const tests = r.module ? parseTestBlocks(text, r.module.program).diagnostics : [];
  return { ...r, all: [...r.diagnostics, ...tests] };
}

/** Returns the exit code: 0 when every file is clean, 1 otherwise. */
export function runCheck(files: readonly string[], opts: CheckOptions): number {
  let errors = 0;
  const json: unknown[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      errors++;
      if (opts.json) json.push({ severity: 'error', file, line: 0, col: 0, endLine: 0, endCol: 0, message: `no such file: ${file}`, notes: [] });
      else process.stderr.write(`muc: error: no such file: ${file}\n`);
      continue;
    }
    const r = checkWithTests(file);
    errors += r.all.length;
    if (opts.json) json.push(...r.all.map((d) => toJson(d, r.sources)));
    else for (const d of r.all) process.stderr.write(renderDiagnostic(d, r.sources) + '\n');
  }
  if (opts.json) process.stdout.write(JSON.stringify({ diagnostics: json }, null, 2) + '\n');
  else if (errors > 0) process.stderr.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}
