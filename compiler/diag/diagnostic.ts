// Diagnostics: what every stage reports about bad input. Plain data; rendering is in render.ts.
import type { Span } from '../syntax/ast.ts';

export interface Note {
  readonly span: Span | null;
  readonly message: string;
}

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly span: Span;
  readonly message: string;
  readonly notes: readonly Note[];
}

export function error(span: Span, message: string, notes: readonly Note[] = []): Diagnostic {
  return { severity: 'error', span, message, notes };
}

/** A diagnostic raised from deep inside a stage; the stage's entry point catches it. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** Line and column (both 1-based) of an offset in a text. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}
