// A checked module: one `.mu` file, its declarations by name, and the modules it imports.
import type { FnDecl, Program, TypeDecl } from '../syntax/ast.ts';

export interface Module {
  /** The import path that names it (`std.nn`), or the file path for the file given to the checker. */
  readonly name: string;
  readonly file: string;
  readonly program: Program;
  readonly fns: ReadonlyMap<string, FnDecl>;
  readonly types: ReadonlyMap<string, TypeDecl>;
  /** Imported modules by the name they are bound to (`nn` for `import std.nn`). */
  readonly imports: ReadonlyMap<string, Module>;
}
