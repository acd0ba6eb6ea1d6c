// The front end's entry point: read a file and the modules it imports, parse and check them all,
// and return every diagnostic with the texts needed to render them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../diag/diagnostic.ts';
import { error } from '../diag/diagnostic.ts';
import type { FnDecl, ImportDecl, Program, TypeDecl } from '../syntax/ast.ts';
import { parse, TOO_DEEP } from '../syntax/parse.ts';
import { Checker, type CheckOptions } from './checker.ts';
import type { Module } from './module.ts';

/** Where `import std.x` looks: the stdlib folder of this package. */
export const STDLIB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../stdlib');

/** How the checker reads files; tests substitute an in-memory one. */
export interface Loader {
  read(path: string): string | null;
}

export const fsLoader: Loader = {
  read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null),
};

export interface CheckResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, string>;
  /** The root module, when it parsed. */
  readonly module: Module | null;
  readonly checker: Checker;
}

/** `std.nn` → `<stdlib>/nn.mu`; `a.b` → `a/b.mu` beside the importing file. */
export function importPath(path: readonly string[], fromFile: string): string {
  if (path[0] === 'std') return join(STDLIB_DIR, ...path.slice(1)) + '.mu';
  return join(dirname(fromFile), ...path) + '.mu';
}

export function checkSource(text: string, file: string, loader: Loader = fsLoader, options: CheckOptions = {}): CheckResult {
  const sources = new Map<string, string>([[file, text]]);
  const diagnostics: Diagnostic[] = [];
  const modules = new Map<string, Module | null>();
  const checker = new Checker(options);

  const load = (text: string, file: string, name: string): Module | null => {
    const parsed = parse(text, file);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.program === null) return null;
    modules.set(file, null); // an import cycle sees the module as in progress
    const m = buildModule(parsed.program, name, file, (imp) => loadImport(imp, file), diagnostics);
    modules.set(file, m);
    return m;
  };

  const loadImport = (imp: ImportDecl, from: string): Module | null => {
    const path = importPath(imp.path, from);
    if (modules.has(path)) {
      const m = modules.get(path) ?? null;
      if (m === null) diagnostics.push(error(imp.span, `import cycle: ${imp.path.join('.')} imports this file back`));
      return m;
    }
    const text = loader.read(path);
    if (text === null) {
      const shown = relative(process.cwd(), path) || path;
      diagnostics.push(error(imp.span, `no module '${imp.path.join('.')}' (looked for ${shown})`));
      return null;
    }
    sources.set(path, text);
    const m = load(text, path, imp.path.join('.'));
    if (m) checker.checkModule(m);
    return m;
  };

  try {
    const root = load(text, file, file);
    if (root) checker.checkModule(root);
    checker.finish();
  } catch (err) {
    // The checker recurses on nesting too; see parse().
    if (!(err instanceof RangeError)) throw err;
    diagnostics.push(error({ file, start: 0, end: Math.min(1, text.length) }, TOO_DEEP));
  }
  diagnostics.push(...checker.diagnostics);
  return { diagnostics: dedupe(diagnostics), sources, module: modules.get(file) ?? null, checker };
}

export function checkFile(file: string, loader: Loader = fsLoader, options: CheckOptions = {}): CheckResult {
  const text = loader.read(file);
  if (text === null) throw new Error(`no such file: ${file}`);
  return checkSource(text, file, loader, options);
}

function buildModule(
  program: Program,
  name: string,
  file: string,
  loadImport: (imp: ImportDecl) => Module | null,
  diagnostics: Diagnostic[],
): Module {
  const fns = new Map<string, FnDecl>();
  const types = new Map<string, TypeDecl>();
  const imports = new Map<string, Module>();
  for (const d of program.decls) {
    if (d.kind === 'import') {
      const m = loadImport(d);
      if (m) imports.set(d.alias?.name ?? d.path[d.path.length - 1]!, m);
      continue;
    }
    const prev = fns.get(d.name.name) ?? types.get(d.name.name);
    if (prev) diagnostics.push(error(d.name.span, `'${d.name.name}' is declared twice`, [{ span: prev.name.span, message: 'first declared here' }]));
    else if (d.kind === 'fn') fns.set(d.name.name, d);
    else types.set(d.name.name, d);
  }
  return { name, file, program, fns, types, imports };
}

/** Equal diagnostics (same place, same message) are reported once. */
function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.span.file}:${d.span.start}:${d.span.end}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
