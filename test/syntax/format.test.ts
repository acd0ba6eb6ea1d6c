import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Program } from '../../compiler/syntax/ast.ts';
import { format } from '../../compiler/syntax/format.ts';
import { parse } from '../../compiler/syntax/parse.ts';
import { commentsOf, withoutSpans } from '../support/programs.ts';

const MLP = new URL('../../examples/mlp.mu', import.meta.url);

function parsed(text: string): Program {
  const r = parse(text, 'test.mu');
  if (r.program === null) throw new Error(`does not parse:\n${text}\n${r.diagnostics.map((d) => d.message).join('\n')}`);
  return r.program;
}

/** Formats `text` (comments included) and checks that the result parses back to the same AST. */
function fmt(text: string): string {
  const p = parsed(text);
  const out = format(p, text);
  expect(withoutSpans(parsed(out)), `reparse of:\n${out}`).toEqual(withoutSpans(p));
  return out;
}

/** Golden output of one declaration: `expected` is given without its final newline. */
function golden(text: string, expected: string): void {
  expect(fmt(text)).toBe(expected + '\n');
}

describe('format: canonical style', () => {
  it('puts a pure body on the next line, indented by two', () => {
    golden('fn f[n](x:f32[n],y:f32[n])->f32[n]=x+y', 'fn f[n](x: f32[n], y: f32[n]) -> f32[n] =\n  x + y');
  });

  it('separates declarations by one blank line', () => {
    expect(fmt('import std.nn as nn\nimport a.b\ntype L[i,o]={w:f32[i,o],b:f32[o]}\n\n\n\nfn f()=1')).toBe(
      'import std.nn as nn\n\nimport a.b\n\ntype L[i, o] = { w: f32[i, o], b: f32[o] }\n\nfn f() =\n  1\n',
    );
  });

  it('writes keyword arguments, records, updates, tuples, arrays and slices', () => {
    golden(
      'fn f(p:{w:f32[3]})={a:sum(x,axis=-1,keepdims=true),b:{p with w:1.0,b:2},c:(1,(2,3),())}',
      'fn f(p: { w: f32[3] }) =\n  { a: sum(x, axis = -1, keepdims = true), b: { p with w: 1.0, b: 2 }, c: (1, (2, 3), ()) }',
    );
    golden('fn f()=(x[:, 0:3, 1:, :n, i],[1,2],{},[])', 'fn f() =\n  (x[:, 0:3, 1:, :n, i], [1, 2], {}, [])');
  });

  it('prints types and size expressions with the fewest parentheses', () => {
    golden(
      'type P[n] = { w: f32[(n + 1), 2 * (n - 1), (n * 2) * 3, n - (1 - n), (n - 1) - 1], t: (f32, i32[n]), u: {}, v: (), s: nn.Layer[n, 4], z: f32[] }',
      'type P[n] = { w: f32[n + 1, 2 * (n - 1), n * 2 * 3, n - (1 - n), n - 1 - 1], t: (f32, i32[n]), u: {}, v: (), s: nn.Layer[n, 4], z: f32 }',
    );
  });

  it('keeps numeric literals as written', () => {
    golden('fn f() = 1e-7 * 4.7750 + 1E+2 - 007 + 0.10', 'fn f() =\n  1e-7 * 4.7750 + 1E+2 - 007 + 0.10');
  });

  it('escapes strings only where needed', () => {
    golden('fn main() { print("a\\"b\\\\c\\td--x", "é") }', 'fn main() {\n  print("a\\"b\\\\c\\td--x", "é")\n}');
  });

  it('writes lambdas and loops', () => {
    golden('fn f() = tree.map(fn(w,dw)=w-lr*dw,p,g)', 'fn f() =\n  tree.map(fn(w, dw) = w - lr * dw, p, g)');
    golden(
      'fn f() = 1 + (loop (a,(b,c)) = init for i in 0+1..n*2 do (a,(b,c)))',
      'fn f() =\n  1 + (loop (a, (b, c)) = init for i in 0 + 1..n * 2 do (a, (b, c)))',
    );
  });
});

describe('format: precedence', () => {
  const cases: [string, string][] = [
    // ** is right-associative and binds tighter than unary minus
    ['-x ** 2', '-x ** 2'],
    ['(-x) ** 2', '(-x) ** 2'],
    ['-(x ** 2)', '-x ** 2'],
    ['2 ** 3 ** 4', '2 ** 3 ** 4'],
    ['(2 ** 3) ** 4', '(2 ** 3) ** 4'],
    ['a ** -b', 'a ** -b'],
    ['a ** (-b)', 'a ** -b'],
    ['(a ** b)[0]', '(a ** b)[0]'],
    // left-associative levels
    ['a - b - c', 'a - b - c'],
    ['a - (b - c)', 'a - (b - c)'],
    ['(a + b) * c', '(a + b) * c'],
    ['a * (b / c)', 'a * (b / c)'],
    ['a @ b @ c', 'a @ b @ c'],
    ['a @ (b @ c)', 'a @ (b @ c)'],
    ['a * -b', 'a * -b'],
    ['-a @ b', '-a @ b'],
    ['-(a @ b)', '-(a @ b)'],
    ['a - -b', 'a - -b'],
    // `--` would start a comment
    ['-(-x)', '-(-x)'],
    ['- - x', '-(-x)'],
    ['-(-1) ** 2', '-(-1) ** 2'],
    // comparisons are non-associative
    ['(a < b) == c', '(a < b) == c'],
    ['a == (b < c)', 'a == (b < c)'],
    ['not a == b', 'not a == b'],
    ['(not a) == b', '(not a) == b'],
    ['not not a', 'not not a'],
    ['a or b and c', 'a or b and c'],
    ['(a or b) and c', '(a or b) and c'],
    ['a and (b and c)', 'a and (b and c)'],
    ['not (a and b)', 'not (a and b)'],
    // let, if, loop and lambdas extend as far as they can
    ['(if c then a else b) + 1', '(if c then a else b) + 1'],
    ['if c then a else b + 1', 'if c then a else b + 1'],
    ['1 + (let y = x in y)', '1 + (let y = x in y)'],
    ['(let y = x in y).w', '(let y = x in y).w'],
    ['f(let y = x in y, if a then b else c)', 'f(let y = x in y, if a then b else c)'],
    ['(fn(a) = a)(1)', '(fn(a) = a)(1)'],
    ['if a then if b then c else d else e', 'if a then if b then c else d else e'],
    ['if a then b else if c then d else e', 'if a then b else if c then d else e'],
    ['let a = (let b = 1 in b) in a', 'let a = let b = 1 in b in a'],
    // postfix
    ['(x + x).w[0]', '(x + x).w[0]'],
    ['f(x)[0].w(y)', 'f(x)[0].w(y)'],
    ['grad(loss)(p, x)', 'grad(loss)(p, x)'],
    ['{ a: x }.a', '{ a: x }.a'],
    ['(1).x + (1.5).x', '1.x + 1.5.x'],
    ['(-1).x', '(-1).x'],
  ];
  it.each(cases)('%s', (src, want) => {
    golden(`fn f() = ${src}`, `fn f() =\n  ${want}`);
  });
});

describe('format: long constructs break across lines', () => {
  it('puts a let chain one binding per line', () => {
    golden(
      'fn f[n](x: f32[n], y: f32[n]) -> f32[n] = let a = exp(x) * 2.0 + relu(y) in let (b, c) = (a * a, a - a) in let d = if sum(b) > 0.0 then b else c in a + b + c + d',
      'fn f[n](x: f32[n], y: f32[n]) -> f32[n] =\n' +
        '  let a = exp(x) * 2.0 + relu(y) in\n' +
        '  let (b, c) = (a * a, a - a) in\n' +
        '  let d = if sum(b) > 0.0 then b else c in\n' +
        '  a + b + c + d',
    );
  });

  it('keeps a short let chain on one line', () => {
    golden('fn f(x: f32) = let y = x * x in y + 1.0', 'fn f(x: f32) =\n  let y = x * x in y + 1.0');
  });

  it('breaks records one field per line', () => {
    golden(
      'fn g(p: { w: f32[3], b: f32[3] }) = { w: p.w * 2.0 + p.b * 3.0 + some_long_function_name(p.w, p.b), b: another_function(p.b, axis = -1, keepdims = true) }',
      'fn g(p: { w: f32[3], b: f32[3] }) =\n' +
        '  {\n' +
        '    w: p.w * 2.0 + p.b * 3.0 + some_long_function_name(p.w, p.b),\n' +
        '    b: another_function(p.b, axis = -1, keepdims = true)\n' +
        '  }',
    );
  });

  it('breaks arguments one per line', () => {
    golden(
      'fn main() { print(very_long_function_name_number_one(x, x, x, x), very_long_function_name_number_two(x, x, x, x, x)) }',
      'fn main() {\n' +
        '  print(\n' +
        '    very_long_function_name_number_one(x, x, x, x),\n' +
        '    very_long_function_name_number_two(x, x, x, x, x)\n' +
        '  )\n' +
        '}',
    );
  });

  it('breaks operator chains after each operator', () => {
    golden(
      'fn f() = aaaaaaaaaaaaaaaaaaaaaaaa * bbbbbbbbbbbbbbbbbbbbbbbbbbbb + cccccccccccccccccccccccccccccc - ddddddddddddddddddddddddddddd',
      'fn f() =\n' +
        '  aaaaaaaaaaaaaaaaaaaaaaaa * bbbbbbbbbbbbbbbbbbbbbbbbbbbb +\n' +
        '    cccccccccccccccccccccccccccccc -\n' +
        '    ddddddddddddddddddddddddddddd',
    );
  });

  it('breaks if/else if/else with indented branches', () => {
    golden(
      'fn f() = if cccccccccccccccccccccccccc then aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa else if dddddddddddddddddd then bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb else x',
      'fn f() =\n' +
        '  if cccccccccccccccccccccccccc then\n' +
        '    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' +
        '  else if dddddddddddddddddd then\n' +
        '    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n' +
        '  else\n' +
        '    x',
    );
  });

  it('breaks a long parameter list one per line', () => {
    golden(
      'fn fffffffffffffffffffffffffffff[nnnnnnnnnnnnnnn, mmmmmmmmmmmmmmmmm](xxxxxxxxxxxxxxxxxxx: f32[nnnnnnnnnnnnnnn], yyyyyyyyyy: f32 = 1.0) -> f32 = 1.0',
      'fn fffffffffffffffffffffffffffff[nnnnnnnnnnnnnnn, mmmmmmmmmmmmmmmmm](\n' +
        '  xxxxxxxxxxxxxxxxxxx: f32[nnnnnnnnnnnnnnn],\n' +
        '  yyyyyyyyyy: f32 = 1.0\n' +
        ') -> f32 =\n' +
        '  1.0',
    );
  });

  it('breaks a loop after do and a lambda after =', () => {
    golden(
      'fn f() = tree.map(fn(wwwwwwwwwwwwwwwwww, dddddddddddddddddddw) = wwwwwwwwwwwwwwwwww - learning_rate * dddddddddddddddddddw, p, g)',
      'fn f() =\n' +
        '  tree.map(\n' +
        '    fn(wwwwwwwwwwwwwwwwww, dddddddddddddddddddw) =\n' +
        '      wwwwwwwwwwwwwwwwww - learning_rate * dddddddddddddddddddw,\n' +
        '    p,\n' +
        '    g\n' +
        '  )',
    );
    golden(
      'fn f() = loop state = initial_state_value_here for iiiiiiii in 0..number_of_steps do update(state, iiiiiiii, learning_rate)',
      'fn f() =\n  loop state = initial_state_value_here for iiiiiiii in 0..number_of_steps do\n    update(state, iiiiiiii, learning_rate)',
    );
  });
});

describe('format: host code', () => {
  it('writes one statement per line and blocks with their braces', () => {
    golden(
      'fn main() { var p: f32[2] = zeros([2]) let (a, (b, _)) = f(x) (a, b) = (b, a) (c) = d for i in 0..10 do { p = p + 1.0 if i % 2 == 0 then { print("even", i) } else if i > 5 then { } else { print(i) } } }',
      'fn main() {\n' +
        '  var p: f32[2] = zeros([2])\n' +
        '  let (a, (b, _)) = f(x)\n' +
        '  (a, b) = (b, a)\n' +
        '  (c) = d\n' +
        '  for i in 0..10 do {\n' +
        '    p = p + 1.0\n' +
        '    if i % 2 == 0 then {\n' +
        '      print("even", i)\n' +
        '    } else if i > 5 then {} else {\n' +
        '      print(i)\n' +
        '    }\n' +
        '  }\n' +
        '}',
    );
  });

  it('writes an empty block as {}', () => {
    golden('fn main() {   }', 'fn main() {}');
  });

  it('parenthesizes expression statements that would read differently on their own line', () => {
    // In the source the minus continues the line before; in the AST below it does not.
    const p = parsed('fn main() {\n  f(x)\n  (-x)\n  (if a then {} else {})\n}');
    const out = format(p);
    expect(out).toBe('fn main() {\n  f(x)\n  (-x)\n  (if a then {} else {})\n}\n');
    expect(withoutSpans(parsed(out))).toEqual(withoutSpans(p));
  });

  it('writes return statements and host functions with return types', () => {
    golden('fn h() -> f32 { let x = 1.0\nreturn x * 2.0 }', 'fn h() -> f32 {\n  let x = 1.0\n  return x * 2.0\n}');
  });
});

describe('format: comments', () => {
  it('keeps full-line comments and test blocks before their declaration', () => {
    const src = [
      '-- A file header.',
      '',
      '-- About f.',
      '-- ==',
      '-- input { [1.0, 2.0] } output { 3.0f32 }',
      'fn f(x: f32[2]) -> f32 = sum(x)',
      '-- Doc for g,',
      '',
      '-- with a gap.',
      'fn g() = 1',
      '',
    ].join('\n');
    expect(fmt(src)).toBe(
      [
        '-- A file header.',
        '',
        '-- About f.',
        '-- ==',
        '-- input { [1.0, 2.0] } output { 3.0f32 }',
        'fn f(x: f32[2]) -> f32 =',
        '  sum(x)',
        '',
        '-- Doc for g,',
        '',
        '-- with a gap.',
        'fn g() =',
        '  1',
        '',
      ].join('\n'),
    );
  });

  it('keeps trailing comments at the end of their line', () => {
    expect(fmt('fn f() = 1 -- one\nfn main() {\n  var x = 1 -- x\n  x = 2    -- two   \n}   -- end main\n')).toBe(
      'fn f() =\n  1 -- one\n\nfn main() {\n  var x = 1 -- x\n  x = 2 -- two\n} -- end main\n',
    );
  });

  it('keeps comments between statements, at the end of blocks and of the file', () => {
    const src = [
      'fn main() { -- opening',
      '  -- before for',
      '  for i in 0..3 do {',
      '    print(i)',
      '    -- end of the for body',
      '  }',
      '  if true then {',
      '  -- only a comment',
      '  }',
      '  -- end of main',
      '}',
      '',
      '-- the end',
      '',
    ].join('\n');
    expect(fmt(src)).toBe(
      [
        'fn main() {',
        '  -- opening',
        '  -- before for',
        '  for i in 0..3 do {',
        '    print(i)',
        '    -- end of the for body',
        '  }',
        '  if true then {',
        '    -- only a comment',
        '  }',
        '  -- end of main',
        '}',
        '',
        '-- the end',
        '',
      ].join('\n'),
    );
  });

  it('moves comments inside expressions before the statement or declaration', () => {
    const src = [
      'fn f(x: f32, -- the input',
      '     y: f32) =',
      '  x + -- plus',
      '  y',
      'fn main() {',
      '  let z = f(1.0, -- first',
      '            2.0)',
      '  for i in 0..3 -- header',
      '  do {',
      '    print(i)',
      '  }',
      '}',
    ].join('\n');
    expect(fmt(src)).toBe(
      [
        '-- the input',
        '-- plus',
        'fn f(x: f32, y: f32) =',
        '  x + y',
        '',
        'fn main() {',
        '  -- first',
        '  let z = f(1.0, 2.0)',
        '  -- header',
        '  for i in 0..3 do {',
        '    print(i)',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('does not take -- inside a string for a comment', () => {
    expect(fmt('fn main() {\n  print("a -- b") -- real\n}\n')).toBe('fn main() {\n  print("a -- b") -- real\n}\n');
  });

  it('keeps an else-block comment by writing the braces', () => {
    const src = 'fn main() {\n  if a then {} else {\n    -- why\n    if b then {}\n  }\n}\n';
    expect(fmt(src)).toBe(src);
  });

  it('drops comments when no source text is given', () => {
    const src = '-- gone\nfn f() = 1 -- gone too\n';
    expect(format(parsed(src))).toBe('fn f() =\n  1\n');
  });

  it('formats a file of comments only, and an empty file', () => {
    expect(fmt('-- just\n\n\n-- comments\n')).toBe('-- just\n\n-- comments\n');
    expect(fmt('')).toBe('');
    expect(fmt('\n\n')).toBe('');
  });
});

describe('format: idempotence', () => {
  const corpus = [
    readFileSync(MLP, 'utf8'),
    'fn f() = let a = if cccccccccccccccccccccccccc then aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa else bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb in a',
    'fn f() = f(let aaaaaaaaaaaaaaaaaaaa = 1 in aaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbb, cccccccccccccccccccccccc, dddddddd)',
    'fn f() = { rrrrrrrrrrrrrrrrrrrrrrrrrrrrrr with aaaaaaaaaaaaaaa: 111111111111111111111, bbbbbbbbbbbbbbbbbbbb: 22222222222222222 }',
    'fn main() {\n  -- a\n  x = 1 -- b\n  -- c\n}\n-- d\n\n\n-- e\n',
    'fn f() =\n  x + -- inside\n  y -- after\n-- ==\n-- input {} output {}\nfn g() = 2',
    `fn f() = ${'('.repeat(20)}(((aaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbb) * ccccccccccccccccccccccc) - dddddddddddddddddd) / eeeeeeeeeeeeeeeee${')'.repeat(20)} ** ffffffffff`,
  ];
  it.each(corpus.map((c, i) => [i, c] as const))('corpus %i', (_, src) => {
    const once = fmt(src);
    expect(fmt(once)).toBe(once);
  });
});

describe('format: examples/mlp.mu', () => {
  const src = readFileSync(MLP, 'utf8');

  it('round-trips to the same AST', () => {
    const p = parsed(src);
    expect(withoutSpans(parsed(format(p, src)))).toEqual(withoutSpans(p));
    expect(withoutSpans(parsed(format(p)))).toEqual(withoutSpans(p));
  });

  it('keeps every comment, in order', () => {
    expect(commentsOf(format(parsed(src), src))).toEqual(commentsOf(src));
  });

  it('comes out in the canonical layout', () => {
    const lines = format(parsed(src), src).split('\n');
    for (const l of lines) {
      expect(l.length, l).toBeLessThanOrEqual(100);
      expect(l, 'no trailing spaces').toBe(l.trimEnd());
      expect(/^(?: {2})*\S/.test(l) || l === '', `indented by a multiple of two: '${l}'`).toBe(true);
    }
    expect(lines.join('\n')).not.toMatch(/\n\n\n/);
    // Every pure function's body starts on its own line, indented by two.
    lines.forEach((l, i) => {
      if (/^fn .*=$/.test(l)) expect(lines[i + 1]).toMatch(/^ {2}\S/);
    });
  });
});
