// The builtin reference of spec/language.md, rendered from the table itself so the two cannot
// drift: test/spec/spec.test.ts checks that the spec holds exactly this text.
import type { Builtin, ParamSpec } from './builtin.ts';
import { COMM } from './comm.ts';
import { CREATE } from './create.ts';
import { HOST } from './host.ts';
import { INDEX } from './index.ts';
import { BINARY_OPERATORS, MATH, UNARY_OPERATORS } from './math.ts';
import { REDUCE } from './reduce.ts';
import { SHAPE } from './shape.ts';

/** The families in the order the reference lists them, each with its heading and a line about it. */
const FAMILIES: readonly { readonly title: string; readonly about: string; readonly builtins: readonly Builtin[] }[] = [
  { title: 'Elementwise math, comparisons and casts', about: 'Each works elementwise; binary ones broadcast their operands.', builtins: MATH },
  { title: 'Reductions, normalizations and matmul', about: 'An `axis` may be negative (counted from the end) and must be known before the program runs.', builtins: REDUCE },
  { title: 'Shape', about: 'These rearrange elements without computing; slicing is the indexing syntax `x[a:b]`.', builtins: SHAPE },
  { title: 'Indexing', about: 'Indices are i32; gradients flow through the values, never through the indices.', builtins: INDEX },
  { title: 'Creation and random numbers', about: 'Shapes are lists of sizes known before the program runs; a random key is an `i32[2]`.', builtins: CREATE },
  { title: 'Host effects', about: 'Only host code (a function whose body is a `{ … }` block) may call these.', builtins: HOST },
  {
    title: 'Collectives over data-parallel ranks',
    about: 'Host code on the ranks of `muc run --ranks N` (spec/distributed.md); without `--ranks` a program is rank 0 of 1 and each is the identity. A leaf of S elements shards, flattened, into N pieces of ⌈S/N⌉ (the last zero-padded).',
    builtins: COMM,
  },
];

/** A default that reads as code (`-1`, `false`) is shown in the signature; one that is a phrase
 * (`every axis`) is shown as `name?` and spelled out in the description, unless the doc line
 * already says what happens by default. */
const CODE_DEFAULT = /^(?:-?\d+(?:\.\d+)?|true|false)$/;

function param(p: ParamSpec): string {
  if (p.variadic) return `${p.name}…`;
  if (p.default === undefined) return p.name;
  return CODE_DEFAULT.test(p.default) ? `${p.name} = ${p.default}` : `${p.name}?`;
}

/** `sum(x, axis?, keepdims = false)`. */
export function signature(b: Builtin): string {
  return `${b.name}(${b.params.map(param).join(', ')})`;
}

function description(b: Builtin): string {
  const said = /\bdefault\b/.test(b.doc);
  const phrases = b.params.filter((p) => p.default !== undefined && !CODE_DEFAULT.test(p.default) && !said);
  const defaults = phrases.map((p) => `; \`${p.name}\` defaults to ${p.default}`).join('');
  return cell(`${b.doc}${defaults}`);
}

/** Text made safe for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function operatorRows(): string[] {
  const rows: string[] = [];
  for (const [op, name] of Object.entries(BINARY_OPERATORS)) rows.push(`| \`a ${op} b\` | \`${name}(a, b)\` |`);
  for (const [op, name] of Object.entries(UNARY_OPERATORS)) rows.push(`| \`${op === 'not' ? 'not x' : `${op}x`}\` | \`${name}(x)\` |`);
  return rows;
}

/** The builtin reference as Markdown: the operators, then one table per family. */
export function builtinReference(): string {
  const out: string[] = [
    '### Operators',
    '',
    'Each operator is the builtin of the same meaning, and has its type rule.',
    '',
    '| Operator | Builtin |',
    '|---|---|',
    ...operatorRows(),
  ];
  for (const f of FAMILIES) {
    out.push('', `### ${f.title}`, '', f.about, '', '| Signature | Host only | Description |', '|---|---|---|');
    for (const b of f.builtins) out.push(`| \`${signature(b)}\` | ${b.effect ? 'yes' : ''} | ${description(b)} |`);
  }
  return out.join('\n') + '\n';
}
