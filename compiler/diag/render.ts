// Renders diagnostics for people (`file:line:col: error: …` with the source line and a caret
// underline) and for programs (`--json`).
import type { Span } from '../syntax/ast.ts';
import { lineCol, type Diagnostic } from './diagnostic.ts';

/** The texts of the files diagnostics point into, by file name. */
export type Sources = ReadonlyMap<string, string>;

export function location(span: Span, sources: Sources): string {
  const text = sources.get(span.file);
  if (text === undefined) return span.file;
  const { line, col } = lineCol(text, span.start);
  return `${span.file}:${line}:${col}`;
}

/** The source line of a span with a `^~~~` underline below it, gutter-numbered. */
function excerpt(span: Span, text: string): string[] {
  const { line, col } = lineCol(text, span.start);
  const lineStart = span.start - (col - 1);
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  const src = text.slice(lineStart, lineEnd).replace(/\t/g, ' ');
  const width = Math.max(1, Math.min(span.end, lineEnd) - span.start);
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  return [
    ` ${gutter} | ${src}`,
    ` ${pad} | ${' '.repeat(col - 1)}^${'~'.repeat(width - 1)}`,
  ];
}

export function renderDiagnostic(d: Diagnostic, sources: Sources): string {
  const out = [`${location(d.span, sources)}: ${d.severity}: ${d.message}`];
  const text = sources.get(d.span.file);
  if (text !== undefined) out.push(...excerpt(d.span, text));
  for (const note of d.notes) {
    if (note.span === null) {
      out.push(`  note: ${note.message}`);
      continue;
    }
    out.push(`  note: ${location(note.span, sources)}: ${note.message}`);
    const noteText = sources.get(note.span.file);
    if (noteText !== undefined) out.push(...excerpt(note.span, noteText).map((l) => `  ${l}`));
  }
  return out.join('\n');
}

export interface JsonDiagnostic {
  readonly severity: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  readonly message: string;
  readonly notes: readonly { readonly message: string; readonly file?: string; readonly line?: number; readonly col?: number }[];
}

export function toJson(d: Diagnostic, sources: Sources): JsonDiagnostic {
  const text = sources.get(d.span.file) ?? '';
  const start = lineCol(text, d.span.start);
  const end = lineCol(text, d.span.end);
  return {
    severity: d.severity,
    file: d.span.file,
    line: start.line,
    col: start.col,
    endLine: end.line,
    endCol: end.col,
    message: d.message,
    notes: d.notes.map((n) => {
      if (n.span === null) return { message: n.message };
      const at = lineCol(sources.get(n.span.file) ?? '', n.span.start);
      return { message: n.message, file: n.span.file, line: at.line, col: at.col };
    }),
  };
}
