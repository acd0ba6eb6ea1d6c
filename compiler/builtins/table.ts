// The one table of builtins. Adding a builtin is adding an entry to one of these lists.
import type { Builtin } from './builtin.ts';
import { COMM } from './comm.ts';
import { CREATE } from './create.ts';
import { HOST } from './host.ts';
import { INDEX } from './index.ts';
import { MATH } from './math.ts';
import { REDUCE } from './reduce.ts';
import { SHAPE } from './shape.ts';

export const BUILTINS: ReadonlyMap<string, Builtin> = tableOf([...MATH, ...REDUCE, ...SHAPE, ...INDEX, ...CREATE, ...HOST, ...COMM]);

function tableOf(entries: readonly Builtin[]): Map<string, Builtin> {
  const table = new Map<string, Builtin>();
  for (const b of entries) {
    if (table.has(b.name)) throw new Error(`builtin '${b.name}' is defined twice`);
    table.set(b.name, b);
  }
  return table;
}

/** Namespaces of builtins: `rand.normal` is reached through the name `rand`. */
export const BUILTIN_NAMESPACES: ReadonlySet<string> = new Set(
  [...BUILTINS.keys()].filter((n) => n.includes('.')).map((n) => n.split('.')[0]!),
);
