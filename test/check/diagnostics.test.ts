// Golden diagnostics: each broken program reports its error at an exact line:col with an exact
// message (a regex where the message lists alternatives, such as a parser's expected tokens).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, type Loader } from '../../compiler/check/program.ts';
import { renderDiagnostic, toJson, type JsonDiagnostic } from '../../compiler/diag/render.ts';
import { show } from '../../compiler/check/types.ts';

const FILE = 'main.mu';

/** A loader over an in-memory map of files; anything else does not exist. */
function memLoader(files: Readonly<Record<string, string>> = {}): Loader {
  return { read: (path) => files[path] ?? null };
}

function check(src: string, files: Readonly<Record<string, string>> = {}): JsonDiagnostic[] {
  const r = checkSource(src, FILE, memLoader(files));
  return r.diagnostics.map((d) => toJson(d, r.sources));
}

function rendered(src: string, files: Readonly<Record<string, string>> = {}): string[] {
  const r = checkSource(src, FILE, memLoader(files));
  return r.diagnostics.map((d) => renderDiagnostic(d, r.sources));
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

interface Row {
  readonly name: string;
  readonly src: string;
  readonly line: number;
  readonly col: number;
  readonly message: string | RegExp;
  /** Shapes (or types) that a shape error must name. */
  readonly shapes?: readonly string[];
  /** The file the diagnostic is in, when not the root. */
  readonly file?: string;
  /** Other files the loader can read. */
  readonly files?: Readonly<Record<string, string>>;
}

// A syntax error lists the tokens the parser tried; the rows match the part that matters.
const expected = (first: string, found: string): RegExp =>
  new RegExp(`^syntax error: expected ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*, found ${found.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const SYNTAX: readonly Row[] = [
  {
    name: 'missing ) at the end of the file',
    src: 'fn f(x: f32) -> f32 = (x + 1.0\n',
    line: 1, col: 31, message: expected('")"', 'the end of the file'),
  },
  {
    name: 'missing ]',
    src: 'fn f(x: f32[3]) -> f32 = x[0\n',
    line: 1, col: 29, message: expected('"]"', 'the end of the file'),
  },
  {
    name: 'let without in',
    src: 'fn f(x: f32) -> f32 = let y = x y\n',
    line: 1, col: 33, message: expected('"in"', "'y'"),
  },
  {
    name: 'if without else',
    src: 'fn f(x: f32) -> f32 = if x > 0.0 then x\n',
    line: 1, col: 40, message: expected('"else"', 'the end of the file'),
  },
  {
    name: 'if without then',
    src: 'fn f(x: f32) -> f32 = if x > 0.0 x else x\n',
    line: 1, col: 34, message: expected('"then"', "'x'"),
  },
  {
    name: 'for without do',
    src: 'fn main() { for i in 0..3 { print(i) } }\n',
    line: 1, col: 27, message: expected('"do"', "'{'"),
  },
  {
    name: 'binary operator with no right operand',
    src: 'fn f(x: f32) -> f32 = x + * x\n',
    line: 1, col: 27, message: "syntax error: expected an expression, found '*'",
  },
  {
    name: 'binary operator with no left operand',
    src: 'fn f(x: f32[3]) -> f32 = @x\n',
    line: 1, col: 26, message: "syntax error: expected an expression, found '@'",
  },
  {
    name: 'operator at the end of a declaration',
    src: lines('fn f(x: f32) -> f32 = x +', 'fn g(x: f32) -> f32 = x'),
    line: 1, col: 26, message: 'syntax error: expected an expression, found the end of the declaration',
  },
  {
    name: 'a character that is no token',
    src: 'fn f(x: f32) -> f32 = x $ 1\n',
    line: 1, col: 25, message: "syntax error: unexpected '$'",
  },
  {
    name: 'a body missing at the end of the file',
    src: 'fn f(x: f32) -> f32 =\n',
    line: 1, col: 22, message: 'syntax error: expected an expression, found the end of the file',
  },
  {
    name: 'type declaration without =',
    src: 'type T { a: f32 }\n',
    line: 1, col: 8, message: 'syntax error: expected "=" or "[", found \'{\'',
  },
  {
    name: 'parameters without a comma',
    src: 'fn f(x: f32 y: f32) -> f32 = x\n',
    line: 1, col: 13, message: expected('")"', "'y'"),
  },
  {
    name: 'with update written with = instead of :',
    src: 'fn f(p: { w: f32 }) -> { w: f32 } = { p with w = 1.0 }\n',
    line: 1, col: 48, message: 'syntax error: expected ":", found \'=\'',
  },
];

const NAMES: readonly Row[] = [
  {
    name: 'unknown name',
    src: 'fn f(x: f32) -> f32 = y + 1.0\n',
    line: 1, col: 23, message: "unknown name 'y'",
  },
  {
    name: 'unknown name inside a let body',
    src: 'fn f(x: f32) -> f32 = let y = x in z + y\n',
    line: 1, col: 36, message: "unknown name 'z'",
  },
  {
    name: 'misspelt parameter, with a suggestion',
    src: 'fn f(weights: f32) -> f32 = weight\n',
    line: 1, col: 29, message: "unknown name 'weight'; did you mean 'weights'?",
  },
  {
    name: 'misspelt builtin, with a suggestion',
    src: 'fn f(x: f32[3]) -> f32 = summ(x)\n',
    line: 1, col: 26, message: "unknown function 'summ'; did you mean 'sum'?",
  },
  {
    name: 'unknown function',
    src: 'fn f(x: f32[3]) -> f32 = foo(x)\n',
    line: 1, col: 26, message: "unknown function 'foo'",
  },
  {
    name: 'misspelt type, with a suggestion',
    src: lines('type Layer = { w: f32[3] }', 'fn f(x: Layr) -> f32 = 1.0'),
    line: 2, col: 9, message: "unknown type 'Layr'; did you mean 'Layer'?",
  },
  {
    name: 'unknown size',
    src: 'fn f(x: f32[n]) -> f32 = 1.0\n',
    line: 1, col: 13, message: "unknown size 'n': declare it among the size parameters, as in fn f[n](…)",
  },
  {
    name: 'type alias given the wrong number of sizes',
    src: lines('type T[n] = { a: f32[n] }', 'fn f(x: T[2, 3]) -> f32 = 1.0'),
    line: 2, col: 9, message: "type 'T' takes 1 size argument(s), found 2",
  },
  {
    name: 'unknown function in an imported module',
    src: lines('import x.y', 'fn f(x: f32) -> f32 = y.nope(x)'),
    files: { [join('x', 'y.mu')]: 'fn g(x: f32) -> f32 = x\n' },
    line: 2, col: 23, message: "unknown function 'y.nope'",
  },
  {
    name: 'import of a module that does not exist',
    src: lines('import lib.nothere', 'fn f(x: f32) -> f32 = x'),
    line: 1, col: 1, message: `no module 'lib.nothere' (looked for ${join('lib', 'nothere.mu')})`,
  },
  {
    name: 'an error inside an imported module is reported in that file',
    src: lines('import x.y', 'fn f(x: f32) -> f32 = y.g(x)'),
    files: { [join('x', 'y.mu')]: 'fn g(x: f32) -> f32 =\n  x + q\n' },
    file: join('x', 'y.mu'), line: 2, col: 7, message: "unknown name 'q'",
  },
  {
    name: 'import cycle',
    src: lines('import a', 'fn f(x: f32) -> f32 = a.fa(x)'),
    files: { 'a.mu': 'import b\nfn fa(x: f32) -> f32 = b.fb(x)\n', 'b.mu': 'import a\nfn fb(x: f32) -> f32 = x\n' },
    file: 'b.mu', line: 1, col: 1, message: 'import cycle: a imports this file back',
  },
  {
    name: 'a value called as a function',
    src: 'fn f(x: f32) -> f32 = x(1)\n',
    line: 1, col: 23, message: "'x' is a value of type f32, not a function",
  },
  {
    name: 'a function used as a value',
    src: lines('fn g(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = g'),
    line: 2, col: 23, message: "'g' is a function; call it as g(…)",
  },
  {
    name: 'a builtin namespace used as a value',
    src: 'fn f(x: f32) -> f32 = rand\n',
    line: 1, col: 23, message: "'rand' is a module; use one of its members, as in rand.name(…)",
  },
];

const DUPLICATES: readonly Row[] = [
  {
    name: 'function declared twice',
    src: lines('fn f(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = x'),
    line: 2, col: 4, message: "'f' is declared twice",
  },
  {
    name: 'type and function of the same name',
    src: lines('type T = { a: f32 }', 'fn T(x: f32) -> f32 = x'),
    line: 2, col: 4, message: "'T' is declared twice",
  },
  {
    name: 'duplicate parameter',
    src: 'fn f(x: f32, x: f32) -> f32 = x\n',
    line: 1, col: 14, message: "duplicate parameter 'x'",
  },
  {
    name: 'duplicate size parameter',
    src: 'fn f[n, n](x: f32[n]) -> f32 = 1.0\n',
    line: 1, col: 9, message: "duplicate parameter 'n'",
  },
  {
    name: 'duplicate field in a record type',
    src: 'type T = { a: f32, a: f32 }\n',
    line: 1, col: 20, message: "duplicate field 'a'",
  },
  {
    name: 'duplicate field in a record literal',
    src: 'fn f() -> f32 = let r = { a: 1.0, a: 2.0 } in r.a\n',
    line: 1, col: 35, message: "duplicate field 'a'",
  },
  {
    name: 'parameter without a type',
    src: 'fn f(x) -> f32 = 1.0\n',
    line: 1, col: 6, message: "parameter 'x' needs a type, as in x: f32[n]",
  },
  {
    name: 'default value of the wrong type',
    src: 'fn f(x: f32[2] = 1.0) -> f32 = 1.0\n',
    line: 1, col: 18, message: "the default of 'x' has type f32, but the parameter is f32[2]",
  },
];

const SHAPES: readonly Row[] = [
  {
    name: 'broadcasting failure, concrete',
    src: 'fn f(x: f32[4, 3], y: f32[4]) -> f32[4, 3] = x + y\n',
    line: 1, col: 48,
    message: "operator '+': shapes [4, 3] and [4] do not broadcast: dimension -1 is 3 in the left operand but 4 in the right operand",
    shapes: ['[4, 3]', '[4]'],
  },
  {
    name: 'broadcasting failure, a size variable is never assumed to be 1',
    src: 'fn f[n](x: f32[n], y: f32[3]) -> f32[n] = x + y\n',
    line: 1, col: 45,
    message: "operator '+': shapes [n] and [3] do not broadcast: dimension -1 is n in the left operand but 3 in the right operand",
    shapes: ['[n]', '[3]'],
  },
  {
    name: 'broadcasting failure in where names the parameters',
    src: 'fn f(x: f32[3], c: bool[2]) -> f32[3] = where(c, x, 0.0)\n',
    line: 1, col: 41,
    message: "where: shapes [2] and [3] do not broadcast: dimension -1 is 2 in 'cond' but 3 in 'a'",
    shapes: ['[2]', '[3]'],
  },
  {
    name: 'matmul inner dimensions',
    src: 'fn f(a: f32[2, 3], b: f32[4, 5]) -> f32[2, 5] = a @ b\n',
    line: 1, col: 51,
    message: "operator '@': inner dimensions differ: f32[2, 3] has 3 columns but f32[4, 5] has 4 rows",
    shapes: ['f32[2, 3]', 'f32[4, 5]'],
  },
  {
    name: 'matmul batch dimensions',
    src: 'fn f(x: f32[4, 2, 3], y: f32[5, 3, 2]) -> f32[4, 2, 2] = x @ y\n',
    line: 1, col: 60,
    message: "operator '@': batch dimensions [4] and [5] do not broadcast",
    shapes: ['[4]', '[5]'],
  },
  {
    name: 'matmul of a scalar',
    src: 'fn f(x: f32[3]) -> f32 = x @ 2.0\n',
    line: 1, col: 28,
    message: "operator '@': operands must have at least one axis, found f32[3] and f32; use * for scalars",
  },
  {
    name: 'reshape to a different element count',
    src: 'fn f(x: f32[2, 3]) -> f32[5] = reshape(x, [5])\n',
    line: 1, col: 43,
    message: 'reshape: cannot reshape f32[2, 3] (6 elements) to [5] (5 elements)',
    shapes: ['f32[2, 3]', '[5]'],
  },
  {
    name: 'reshape with symbolic sizes',
    src: 'fn f[n](x: f32[n, 3]) -> f32[n] = reshape(x, [n])\n',
    line: 1, col: 46,
    message: 'reshape: cannot reshape f32[n, 3] (3*n elements) to [n] (n elements)',
    shapes: ['f32[n, 3]', '[n]'],
  },
  {
    name: 'reshape to a shape that is not static',
    src: 'fn f(x: f32[2, 3], k: i32) -> f32[6] = reshape(x, [k])\n',
    line: 1, col: 51,
    message: "reshape: 'shape' must be a list of sizes such as [m, 2*n] known before the program runs",
  },
  {
    name: 'concat of mismatched shapes',
    src: 'fn f(a: f32[2, 3], b: f32[4, 5]) -> f32[6, 3] = concat((a, b))\n',
    line: 1, col: 56,
    message: 'concat: f32[2, 3] and f32[4, 5] differ in dimension 1, which is not the axis 0',
    shapes: ['f32[2, 3]', 'f32[4, 5]'],
  },
  {
    name: 'concat of different ranks',
    src: 'fn f(a: f32[2, 3], b: f32[4]) -> f32[6, 3] = concat((a, b))\n',
    line: 1, col: 53,
    message: 'concat: every tensor must have the same element type and rank, found f32[2, 3] and f32[4]',
    shapes: ['f32[2, 3]', 'f32[4]'],
  },
  {
    name: 'argument of the wrong rank',
    src: lines('fn g(x: f32[3]) -> f32 = sum(x)', 'fn f(x: f32[2, 3]) -> f32 = g(x)'),
    line: 2, col: 31,
    message: "argument 'x' of 'g': expected f32[3] (rank 1), found f32[2, 3] (rank 2)",
    shapes: ['f32[3]', 'f32[2, 3]'],
  },
  {
    name: 'argument of the wrong dtype',
    src: lines('fn g(x: f32[3]) -> f32 = sum(x)', 'fn f(x: i32[3]) -> f32 = g(x)'),
    line: 2, col: 28,
    message: "argument 'x' of 'g': expected a tensor f32[3], found i32[3]",
    shapes: ['f32[3]', 'i32[3]'],
  },
  {
    name: 'a size that cannot be inferred must be passed by keyword',
    src: lines('fn init[d](key: i32[2]) -> f32[d] = rand.normal(key, [d])', 'fn main() { let p = init(rand.key(0)) }'),
    line: 2, col: 21,
    message: "cannot infer size 'd' of 'init' from its arguments; pass it as d = …",
  },
  {
    name: 'an explicit size argument must be a size',
    src: lines('fn init[d](key: i32[2]) -> f32[d] = rand.normal(key, [d])', 'fn main() { let p = init(rand.key(0), d = 2.5) }'),
    line: 2, col: 43,
    message: "size 'd' of 'init' must be given a size (an integer literal, a size variable, or arithmetic on them)",
  },
  {
    name: 'transpose of a vector',
    src: 'fn f(x: f32[3]) -> f32[3] = transpose(x)\n',
    line: 1, col: 39,
    message: 'transpose: needs at least 2 axes, found f32[3]',
  },
];

const TYPES: readonly Row[] = [
  {
    name: 'return type mismatch',
    src: 'fn f(x: f32[3]) -> f32 = x\n',
    line: 1, col: 26, message: "'f' returns f32, but its body has type f32[3]",
    shapes: ['f32', 'f32[3]'],
  },
  {
    name: 'an array literal where a scalar is declared',
    src: 'fn f() -> f32 = [1.0, 2.0]\n',
    line: 1, col: 17, message: "'f' returns f32, but its body has type f32[2]",
  },
  {
    name: 'branches of if with different types',
    src: 'fn f(x: f32) -> f32 = if x > 0.0 then x else (x, x)\n',
    line: 1, col: 23, message: "the branches of 'if' have different types: f32 and (f32, f32)",
  },
  {
    name: 'non-bool condition',
    src: 'fn f(x: f32) -> f32 = if x then x else x\n',
    line: 1, col: 26, message: 'a condition must be a bool scalar, found f32',
  },
  {
    name: 'bool tensor condition suggests where',
    src: 'fn f(x: f32[3]) -> f32[3] = if x > 0.0 then x else x\n',
    line: 1, col: 32,
    message: 'a condition must be a bool scalar, found bool[3]; for an elementwise choice use where(cond, a, b)',
  },
  {
    name: 'loop body type differs from the state',
    src: 'fn f(x: f32[3]) -> f32 = loop s = 0.0 for i in 0..3 do x\n',
    line: 1, col: 56, message: "the loop body must give the loop state's type f32, but gives f32[3]",
    shapes: ['f32', 'f32[3]'],
  },
  {
    name: 'tuple pattern arity',
    src: 'fn f(x: f32) -> f32 = let (a, b) = (x, x, x) in a\n',
    line: 1, col: 27, message: 'this pattern takes a tuple of 2 values, but the value is (f32, f32, f32)',
  },
  {
    name: 'tuple pattern against a scalar',
    src: 'fn f(x: f32) -> f32 = let (a, b) = x in a + b\n',
    line: 1, col: 27, message: 'this pattern takes a tuple of 2 values, but the value is f32',
  },
  {
    name: 'mixing i32 and f32',
    src: 'fn f(x: f32[5], y: i32[5]) -> f32[5] = x + y\n',
    line: 1, col: 42,
    message: "operator '+': operands have different element types, f32[5] and i32[5]; convert one with f32(...) or i32(...)",
    shapes: ['f32[5]', 'i32[5]'],
  },
  {
    name: 'an int literal bound by let is i32',
    src: 'fn f(x: f32) -> f32 = let y = 1 in x + y\n',
    line: 1, col: 38,
    message: "operator '+': operands have different element types, f32 and i32; convert one with f32(...) or i32(...)",
  },
  {
    name: 'arithmetic on bools',
    src: 'fn f(x: bool) -> bool = x + x\n',
    line: 1, col: 27, message: "operator '+': operands must be f32 or i32, found bool and bool",
  },
  {
    name: 'i32 into a float builtin',
    src: 'fn f(x: i32) -> f32 = sqrt(x)\n',
    line: 1, col: 28, message: "sqrt: 'x' must be f32, found i32; convert with f32(...)",
  },
  {
    name: 'array elements of different types',
    src: 'fn f() -> f32[2] = [1.0, true]\n',
    line: 1, col: 26, message: 'array elements must have one type: the first is f32, this one is bool',
  },
  {
    name: 'empty array literal',
    src: 'fn f() -> f32[0] = []\n',
    line: 1, col: 20, message: 'an empty array literal has no element type',
  },
];

const INDEXING: readonly Row[] = [
  {
    name: 'index out of range',
    src: 'fn f(x: f32[3]) -> f32 = x[3]\n',
    line: 1, col: 28, message: 'index 3 is out of range for dimension 0 of size 3',
  },
  {
    name: 'negative index out of range',
    src: 'fn f(x: f32[3]) -> f32 = x[-4]\n',
    line: 1, col: 28, message: 'index -4 is out of range for dimension 0 of size 3',
  },
  {
    name: 'slice past the end',
    src: 'fn f(x: f32[3]) -> f32[2] = x[2:4]\n',
    line: 1, col: 31, message: 'slice 2:4 is out of range for dimension 0 of size 3',
  },
  {
    name: 'slice with its bounds reversed',
    src: 'fn f(x: f32[5]) -> f32[2] = x[4:2]\n',
    line: 1, col: 31, message: 'slice 4:2 is out of range for dimension 0 of size 5',
  },
  {
    name: 'slice bound that is not static',
    src: 'fn f(x: f32[3], k: i32) -> f32[2] = x[0:k]\n',
    line: 1, col: 41, message: 'slice bounds must be sizes (integer literals, size variables, or arithmetic on them)',
  },
  {
    name: 'too many indices',
    src: 'fn f(x: f32[3]) -> f32 = x[0, 1]\n',
    line: 1, col: 26, message: '2 indices for a tensor of rank 1 (f32[3])',
  },
  {
    name: 'an index that is not i32',
    src: 'fn f(x: f32[3]) -> f32 = x[1.0]\n',
    line: 1, col: 28, message: 'an index must be an i32 scalar, found f32; to pick many rows use gather(x, indices)',
  },
  {
    name: 'field access on a tensor',
    src: 'fn f(x: f32[3]) -> f32 = x.w\n',
    line: 1, col: 28, message: "f32[3] has no fields; '.w' needs a record",
  },
  {
    name: 'unknown field',
    src: 'fn f(p: { w: f32, b: f32 }) -> f32 = p.ww\n',
    line: 1, col: 40, message: "the record { w: f32, b: f32 } has no field 'ww'",
  },
  {
    name: 'unknown field, with a suggestion',
    src: 'fn f(p: { weight: f32, bias: f32 }) -> f32 = p.wieght\n',
    line: 1, col: 48, message: "the record { weight: f32, bias: f32 } has no field 'wieght'; did you mean 'weight'?",
  },
  {
    name: 'with update of an unknown field',
    src: 'fn f(p: { w: f32, b: f32 }) -> { w: f32, b: f32 } = { p with c: 1.0 }\n',
    line: 1, col: 62, message: "{ w: f32, b: f32 } has no field 'c'",
  },
  {
    name: 'with update of a tensor',
    src: 'fn f(x: f32) -> f32 = { x with a: 1.0 }\n',
    line: 1, col: 25, message: "'with' updates a record, but this is f32",
  },
  {
    name: 'with update changing a field type',
    src: 'fn f(p: { w: f32[2] }) -> { w: f32[2] } = { p with w: zeros([3]) }\n',
    line: 1, col: 55, message: "field 'w' is f32[2], but the new value is f32[3]",
    shapes: ['f32[2]', 'f32[3]'],
  },
];

const EFFECTS: readonly Row[] = [
  {
    name: 'print in pure code',
    src: 'fn f(x: f32) -> f32 = let u = print(x) in x\n',
    line: 1, col: 31, message: 'print has effects, so only host code may call it (a function whose body is a { … } block)',
  },
  {
    name: 'save in pure code',
    src: 'fn f(x: f32) -> f32 = let u = save("a.st", x) in x\n',
    line: 1, col: 31, message: 'save has effects, so only host code may call it (a function whose body is a { … } block)',
  },
  {
    name: 'a host function called from pure code',
    src: lines('fn h() { print(1) }', 'fn f(x: f32) -> f32 = let u = h() in x'),
    line: 2, col: 31, message: "'h' is host code (its body is a { … } block), so only host code may call it",
  },
  {
    name: 'assignment to a let binding',
    src: lines('fn main() { let a = 1.0', '  a = 2.0 }'),
    line: 2, col: 3, message: "'a' cannot be assigned; only variables declared with 'var' can",
  },
  {
    name: 'assignment changing the shape of a variable',
    src: lines('fn main() { var a = zeros([3])', '  a = zeros([4]) }'),
    line: 2, col: 7, message: "'a' is f32[3], but the new value is f32[4]; a variable keeps its type",
    shapes: ['f32[3]', 'f32[4]'],
  },
  {
    name: 'assignment to an undeclared variable',
    src: lines('fn main() { var a = 1', '  (a, c) = (1, 2) }'),
    line: 2, col: 7, message: "unknown variable 'c'; declare it first with var c = …",
  },
  {
    name: 'tuple assignment from a non-tuple',
    src: lines('fn main() { var a = 1.0', '  var b = 2.0', '  (a, b) = 1.0 }'),
    line: 3, col: 12, message: 'assigning to 2 variables needs a tuple of 2 values, found f32',
  },
  {
    name: 'var with a declared type that does not fit',
    src: 'fn main() { var x: f32 = zeros([2]) }\n',
    line: 1, col: 26, message: "'x' is declared f32, but its value is f32[2]",
  },
  {
    name: 'return without a return type',
    src: 'fn main() { return 1.0 }\n',
    line: 1, col: 13, message: 'this function declares no return type; add one, as in fn f(…) -> f32 { … }',
  },
  {
    name: 'return of the wrong type',
    src: 'fn main() -> f32 { return zeros([3]) }\n',
    line: 1, col: 27, message: 'the function returns f32, but this value is f32[3]',
  },
  {
    name: 'a range bound that is not i32',
    src: 'fn main() { for i in 0..3.0 do { print(i) } }\n',
    line: 1, col: 25, message: 'the end of a range must be an i32 scalar, found f32',
  },
  {
    name: 'log of something that is not a record of scalars',
    src: 'fn main() { log_metrics(1.0) }\n',
    line: 1, col: 25, message: 'log_metrics: metrics must be a record of scalars such as { loss: l }, found f32',
  },
  {
    name: 'save to a path that is not a string',
    src: 'fn main() { save(1, zeros([2])) }\n',
    line: 1, col: 18, message: "save: 'path' must be a string, found i32",
  },
];

const FUNCTIONS: readonly Row[] = [
  {
    name: 'grad of a function not returning an f32 scalar',
    src: lines('fn l(x: f32[3]) -> f32[3] = x', 'fn main() { let g = grad(l)(zeros([3])) }'),
    line: 2, col: 21, message: "grad needs a function that returns an f32 scalar (or a pair of one and other values), but 'l' returns f32[3]",
  },
  {
    name: 'grad(f) not applied',
    src: lines('fn l(x: f32[3]) -> f32 = sum(x)', 'fn main() { let g = grad(l) }'),
    line: 2, col: 21, message: 'grad(f) makes a function; apply it to arguments, as in grad(f)(x)',
  },
  {
    name: 'grad with respect to an i32 argument',
    src: lines('fn l(x: i32[3]) -> f32 = f32(sum(x))', 'fn main() { let g = grad(l)(arange(3)) }'),
    line: 2, col: 29,
    message: 'grad differentiates with respect to the first argument, which must be f32 tensors (or a record or tuple of them), found i32[3]',
  },
  {
    name: 'grad of an unknown function',
    src: 'fn main() { let g = grad(nope)(1.0) }\n',
    line: 1, col: 26, message: "unknown function 'nope'",
  },
  {
    name: 'grad of something that is not a function name',
    src: 'fn main() { let g = grad(1.0)(1.0) }\n',
    line: 1, col: 21, message: 'grad takes one function name, as in grad(loss)',
  },
  {
    name: 'tree.map over records of different structure',
    src: 'fn f(a: { w: f32 }, b: { v: f32 }) -> { w: f32 } = tree.map(fn(x, y) = x + y, a, b)\n',
    line: 1, col: 82, message: 'tree.map: the trees differ in structure at the root: { w: f32 } and { v: f32 }',
  },
  {
    name: 'tree.map over tuples of different length',
    src: 'fn f(x: (f32, f32), y: (f32, f32, f32)) -> (f32, f32) = tree.map(fn(a, b) = a + b, x, y)\n',
    line: 1, col: 57, message: 'tree.map: the tuples differ in structure at the root',
  },
  {
    name: 'tree.map with a function of the wrong arity',
    src: 'fn f(x: f32) -> f32 = tree.map(fn(a, b) = a, x)\n',
    line: 1, col: 32, message: 'the function takes 2 argument(s), but tree.map passes 1',
  },
  {
    name: 'tree.map without a tree',
    src: 'fn f(x: f32) -> f32 = tree.map(x)\n',
    line: 1, col: 23, message: 'tree.map takes a function and one or more records: tree.map(fn(w, g) = …, params, grads)',
  },
  {
    name: 'lambda outside tree.map',
    src: 'fn f(x: f32) -> f32 = let g = fn(y) = y in x\n',
    line: 1, col: 31, message: 'a function literal fn(…) = … may only be passed to tree.map',
  },
  {
    name: 'lambda passed to a builtin',
    src: 'fn f(x: f32) -> f32 = sum(fn(a) = a)\n',
    line: 1, col: 27, message: 'sum does not take a function',
  },
];

const CALLS: readonly Row[] = [
  {
    name: 'unknown keyword argument, with a suggestion',
    src: 'fn f(x: f32[3]) -> f32 = sum(x, axs = 0)\n',
    line: 1, col: 33, message: "sum has no parameter 'axs'; did you mean 'axis'?",
  },
  {
    name: 'unknown keyword argument to a user function',
    src: lines('fn g(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = g(x, scale = 2.0)'),
    line: 2, col: 28, message: "'g' has no parameter 'scale'",
  },
  {
    name: 'missing argument to a builtin',
    src: 'fn f(x: f32[3]) -> f32[3] = where(x > 0.0, x)\n',
    line: 1, col: 29, message: "missing argument 'b' in the call to where",
  },
  {
    name: 'missing argument to a user function',
    src: lines('fn g(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = g()'),
    line: 2, col: 23, message: "missing argument 'x' in the call to 'g'",
  },
  {
    name: 'argument given twice',
    src: 'fn f(x: f32[3]) -> f32 = sum(x, axis = 0, axis = 0)\n',
    line: 1, col: 43, message: "argument 'axis' of sum is given twice",
  },
  {
    name: 'positional and keyword argument for one parameter',
    src: lines('fn g(x: f32) -> f32 = x', 'fn f(y: f32) -> f32 = g(y, x = y)'),
    line: 2, col: 28, message: "argument 'x' of 'g' is given twice",
  },
  {
    name: 'too many arguments to a builtin',
    src: 'fn f(x: f32[3]) -> f32[3] = relu(x, x)\n',
    line: 1, col: 37, message: 'too many arguments to relu: it takes 1',
  },
  {
    name: 'too many arguments to a user function',
    src: lines('fn g(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = g(x, x)'),
    line: 2, col: 28, message: "too many arguments to 'g': it takes 1",
  },
  {
    name: 'topk with a k that is not static',
    src: 'fn f(x: f32[5], k: i32) -> f32[2] = let (v, i) = topk(x, k) in v\n',
    line: 1, col: 58,
    message: "topk: 'k' must be a size (an integer literal, a size variable, or arithmetic on them) known before the program runs",
  },
  {
    name: 'topk with k larger than the axis',
    src: 'fn f(x: f32[5]) -> (f32[7], i32[7]) = topk(x, 7)\n',
    line: 1, col: 47, message: 'topk: k = 7 must be between 1 and the last dimension 5',
  },
  {
    name: 'axis out of range',
    src: 'fn f(x: f32[5]) -> f32 = sum(x, axis = 1)\n',
    line: 1, col: 40, message: 'sum: axis 1 is out of range for a tensor of rank 1',
  },
  {
    name: 'negative axis out of range',
    src: 'fn f(x: f32[3, 4]) -> f32[3, 4] = softmax(x, axis = -3)\n',
    line: 1, col: 53, message: 'softmax: axis -3 is out of range for a tensor of rank 2',
  },
  {
    name: 'one_hot with a size that is not static',
    src: 'fn f(x: i32[3], k: i32) -> f32[3, 4] = one_hot(x, k)\n',
    line: 1, col: 51,
    message: "one_hot: 'n' must be a size (an integer literal, a size variable, or arithmetic on them) known before the program runs",
  },
];

const TABLES: readonly (readonly [string, readonly Row[]])[] = [
  ['syntax', SYNTAX],
  ['names', NAMES],
  ['duplicates', DUPLICATES],
  ['shapes', SHAPES],
  ['types', TYPES],
  ['indexing and fields', INDEXING],
  ['effects and host code', EFFECTS],
  ['grad, tree.map and lambdas', FUNCTIONS],
  ['call arguments', CALLS],
];

for (const [group, rows] of TABLES) {
  describe(`diagnostics: ${group}`, () => {
    it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
      const ds = check(row.src, row.files);
      expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`)).toHaveLength(1);
      const d = ds[0]!;
      expect(d.severity).toBe('error');
      expect(d.file).toBe(row.file ?? FILE);
      expect(`${d.line}:${d.col}`).toBe(`${row.line}:${row.col}`);
      if (typeof row.message === 'string') expect(d.message).toBe(row.message);
      else expect(d.message).toMatch(row.message);
      for (const s of row.shapes ?? []) expect(d.message).toContain(s);
    });
  });
}

describe('diagnostics: by hand', () => {
  it('reports the first error of every broken declaration', () => {
    const src = lines(
      'fn f(x: f32) -> f32 = x +',
      '',
      'fn ok(x: f32) -> f32 = x',
      '',
      'fn g(x: f32) -> f32 = (x',
      '',
      'type T = { a: f32,',
    );
    const ds = check(src);
    expect(ds.map((d) => `${d.line}:${d.col}`)).toEqual(['1:26', '5:25', '7:19']);
    expect(ds[0]!.message).toBe('syntax error: expected an expression, found the end of the declaration');
    expect(ds[1]!.message).toMatch(/^syntax error: expected "\)".*, found the end of the declaration$/);
    expect(ds[2]!.message).toMatch(/, found the end of the file$/);
  });

  it('reports several independent type errors in one file, each once, in order', () => {
    const src = lines(
      'fn f(x: f32) -> f32 = y + 1.0',
      'fn g(x: f32[3]) -> f32 = x',
      'fn h(x: f32) -> f32 = if x then x else x',
      'fn k(a: f32[2, 3], b: f32[4, 5]) -> f32[2, 5] = a @ b',
      'fn main() { let a = 1.0',
      '  a = 2.0',
      '  print(zeros([2]) + zeros([3])) }',
    );
    expect(check(src).map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      "1:23 unknown name 'y'",
      "2:26 'g' returns f32, but its body has type f32[3]",
      '3:26 a condition must be a bool scalar, found f32',
      "4:51 operator '@': inner dimensions differ: f32[2, 3] has 3 columns but f32[4, 5] has 4 rows",
      "6:3 'a' cannot be assigned; only variables declared with 'var' can",
      "7:20 operator '+': shapes [2] and [3] do not broadcast: dimension -1 is 2 in the left operand but 3 in the right operand",
    ]);
  });

  it('does not cascade: an expression built on an error is not reported again', () => {
    const src = 'fn f(x: f32[3]) -> f32[3] = relu(q * 2.0) + exp(x) @ x\n';
    expect(check(src).map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual(["1:34 unknown name 'q'"]);
  });

  it('reports the same mistake at two places twice', () => {
    const src = 'fn f(x: f32[3], y: f32[4]) -> f32[3] = (x + y) * 2.0 + (x + y)\n';
    expect(check(src).map((d) => `${d.line}:${d.col}`)).toEqual(['1:43', '1:59']);
  });

  it('reports recursion once, at the recursive call', () => {
    for (const src of ['fn f(x: f32) = f(x)\n', 'fn f(x: f32) -> f32 = f(x)\n']) {
      const ds = check(src);
      expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
        "1:" + (src.indexOf('f(x)\n') + 1) + " 'f' calls itself (directly or through other functions); recursion is not supported",
      ]);
    }
    const mutual = check(lines('fn f(x: f32) -> f32 = g(x)', 'fn g(x: f32) = f(x)', 'fn main() { main() }'));
    expect(mutual.map((d) => `${d.line}:${d.col}`)).toEqual(['2:16', '3:13']);
  });

  it('notes where a duplicate was first declared', () => {
    const [d] = check(lines('fn f(x: f32) -> f32 = x', 'fn f(x: f32) -> f32 = x'));
    expect(d!.notes).toEqual([{ message: 'first declared here', file: FILE, line: 1, col: 4 }]);
  });

  it('notes the declared type of each operand of a failed operator', () => {
    const [d] = check('fn f(x: f32[5], y: i32[5]) -> f32[5] = x + y\n');
    expect(d!.notes).toEqual([
      { message: "the left operand 'x' is f32[5], declared here", file: FILE, line: 1, col: 6 },
      { message: "the right operand 'y' is i32[5], declared here", file: FILE, line: 1, col: 17 },
    ]);
  });

  it('notes both branches of an if', () => {
    const [d] = check('fn f(x: f32) -> f32 = if x > 0.0 then x else (x, x)\n');
    expect(d!.notes.map((n) => `${n.line}:${n.col} ${n.message}`)).toEqual([
      "1:39 the 'then' branch is f32",
      "1:46 the 'else' branch is (f32, f32)",
    ]);
  });

  it('gives the end of a span', () => {
    const [d] = check('fn f(x: f32) -> f32 = let (a, b) = x in a + b\n');
    expect([d!.line, d!.col, d!.endLine, d!.endCol]).toEqual([1, 27, 1, 33]);
  });

  it('renders a broadcasting failure with its caret and the operands as notes', () => {
    expect(rendered('fn f(x: f32[4, 3], y: f32[4]) -> f32[4, 3] = x + y\n')).toEqual([
      [
        "main.mu:1:48: error: operator '+': shapes [4, 3] and [4] do not broadcast: dimension -1 is 3 in the left operand but 4 in the right operand",
        ' 1 | fn f(x: f32[4, 3], y: f32[4]) -> f32[4, 3] = x + y',
        '   |                                                ^',
        "  note: main.mu:1:6: the left operand 'x' is f32[4, 3], declared here",
        '   1 | fn f(x: f32[4, 3], y: f32[4]) -> f32[4, 3] = x + y',
        '     |      ^~~~~~~~~~~~',
        "  note: main.mu:1:20: the right operand 'y' is f32[4], declared here",
        '   1 | fn f(x: f32[4, 3], y: f32[4]) -> f32[4, 3] = x + y',
        '     |                    ^~~~~~~~~',
      ].join('\n'),
    ]);
  });

  it('renders a return type mismatch with a note on the declared type, on another line', () => {
    expect(rendered(lines('fn f(x: f32[3]) -> f32 =', '  x'))).toEqual([
      [
        "main.mu:2:3: error: 'f' returns f32, but its body has type f32[3]",
        ' 2 |   x',
        '   |   ^',
        '  note: main.mu:1:20: the return type is declared here',
        '   1 | fn f(x: f32[3]) -> f32 =',
        '     |                    ^~~',
      ].join('\n'),
    ]);
  });

  it('renders a syntax error with a one-character caret', () => {
    expect(rendered('fn f(x: f32) -> f32 = x + * x\n')).toEqual([
      [
        "main.mu:1:27: error: syntax error: expected an expression, found '*'",
        ' 1 | fn f(x: f32) -> f32 = x + * x',
        '   |                           ^',
      ].join('\n'),
    ]);
  });

  it('renders an assignment to a let binding with the binding as a note', () => {
    expect(rendered(lines('fn main() { let a = 1.0', '  a = 2.0 }'))).toEqual([
      [
        "main.mu:2:3: error: 'a' cannot be assigned; only variables declared with 'var' can",
        ' 2 |   a = 2.0 }',
        '   |   ^',
        '  note: main.mu:1:17: declared here',
        '   1 | fn main() { let a = 1.0',
        '     |                 ^',
      ].join('\n'),
    ]);
  });
});

describe('diagnostics: regressions', () => {
  const cases: readonly Row[] = [
    {
      name: 'a recursive type alias',
      src: lines('type A = B', 'type B = A', 'fn f(x: A) -> f32 = 1.0'),
      line: 1, col: 10, message: "type 'B' is recursive; recursive types are not supported",
    },
    {
      name: 'a host function that can end without returning its declared type',
      src: 'fn f() -> f32 { print(1) }\n',
      line: 1, col: 11, message: "'f' declares -> f32, but its body can end without a return",
    },
    {
      name: 'a wrong dimension names both types and where the size came from',
      src: lines('fn g[n](x: f32[n], y: f32[n]) -> f32 = sum(x) + sum(y)', 'fn h(a: f32[3], b: f32[4]) -> f32 = g(a, b)'),
      line: 2, col: 42, message: "argument 'y' of 'g': expected f32[3], found f32[4] (n = 3 from 'x')",
    },
    {
      name: 'a size given by the call that contradicts an argument',
      src: lines('fn g[n](x: f32[n]) -> f32 = sum(x)', 'fn h(a: f32[3]) -> f32 = g(a, n = 4)'),
      line: 2, col: 28, message: "argument 'x' of 'g': expected f32[4], found f32[3] (n = 4 given by the call)",
    },
    {
      name: 'a size that cannot be solved for',
      src: lines('fn g[n](x: f32[2*n]) -> f32 = sum(x)', 'fn h(a: f32[5]) -> f32 = g(a)'),
      line: 2, col: 28, message: "argument 'x' of 'g': expected f32[2*n], found f32[5]; cannot solve 2*n = 5",
    },
    {
      name: 'an unterminated string',
      src: 'fn main() { print("abc) }\n',
      line: 1, col: 19, message: 'syntax error: unterminated string',
    },
  ];
  for (const row of cases)
    it(row.name, () => {
      const ds = check(row.src);
      expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([`${row.line}:${row.col} ${row.message as string}`]);
    });

  it('differentiates with respect to the first parameter even when passed by keyword', () => {
    const r = checkSource(
      lines('fn loss(p: f32[3], x: f32[2]) -> f32 = sum(p) + sum(x)', 'fn main() { let g = grad(loss)(x = zeros([2]), p = zeros([3]))', '  print(g) }'),
      FILE,
      memLoader(),
    );
    expect(r.diagnostics).toEqual([]);
    const call = [...r.checker.types.entries()].find(([e]) => e.kind === 'call' && e.callee.kind === 'call');
    expect(call && show(call[1])).toBe('f32[3]');
  });

  it('accepts size variables in the type of a var in a host function', () => {
    expect(check(lines('fn main[n](x: f32[n]) { var y: f32[n] = x', '  print(y) }'))).toEqual([]);
  });

  it('lets an array of integer literals take the f32 type it meets', () => {
    expect(check('fn f() -> f32[2] = [1, 2]\n')).toEqual([]);
  });
});

describe('diagnostics: recursion through declared return types', () => {
  it('finds a cycle of functions that all declare their types, once', () => {
    const ds = check(lines('fn f(x: f32) -> f32 = g(x)', 'fn g(x: f32) -> f32 = f(x)'));
    expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      "2:23 'f' calls itself (directly or through other functions); recursion is not supported",
    ]);
  });

  it('parses escapes in strings without failing on unknown ones', () => {
    expect(check('fn main() { print("a\\qb\\n\tc") }\n')).toEqual([]);
  });
});
