// `muc fmt FILE…`: print files in the canonical layout, or rewrite them (--write), or only say
// which ones differ from it (--check).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { renderDiagnostic } from '../compiler/diag/render.ts';
import { format } from '../compiler/syntax/format.ts';
import { parse } from '../compiler/syntax/parse.ts';

export interface FmtOptions {
  readonly write: boolean;
  readonly check: boolean;
}

export function runFmt(files: readonly string[], opts: FmtOptions): number {
  let failed = false;
  for (const file of files) {
    if (!existsSync(file)) {
      process.stderr.write(`muc: error: no such file: ${file}\n`);
      failed = true;
      continue;
    }
    const text = readFileSync(file, 'utf8');
    const parsed = parse(text, file);
    if (parsed.program === null) {
      for (const d of parsed.diagnostics) process.stderr.write(renderDiagnostic(d, new Map([[file, text]])) + '\n');
      failed = true;
      continue;
    }
    const out = format(parsed.program, text);
    if (opts.check) {
      if (out !== text) {
        process.stdout.write(`${file}\n`);
        failed = true;
      }
    } else if (opts.write) {
      if (out !== text) writeFileSync(file, out);
    } else process.stdout.write(out);
  }
  return failed ? 1 : 0;
}
